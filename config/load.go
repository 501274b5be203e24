package config

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"strings"

	"go.yaml.in/yaml/v3"
)

// Load reads, expands, defaults and validates the config file at path.
// getenv looks up `${VAR}` references (os.Getenv in production). The error,
// when there is one, lists every problem found, one per line.
func Load(path string, getenv func(string) string) (*Config, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read config: %w", err)
	}
	cfg, err := Parse(data, getenv, filepath.Dir(path))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return cfg, nil
}

// Parse is Load on bytes; relative *_file paths are taken from baseDir.
func Parse(data []byte, getenv func(string) string, baseDir string) (*Config, error) {
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return nil, fmt.Errorf("parse yaml: %w", err)
	}
	cfg := &Config{}
	if len(doc.Content) > 0 {
		root := doc.Content[0]
		if errs := checkKeys(root, reflect.TypeOf(*cfg), ""); len(errs) > 0 {
			return nil, errors.Join(errs...)
		}
		dec := yaml.NewDecoder(bytes.NewReader(data))
		dec.KnownFields(true)
		if err := dec.Decode(cfg); err != nil {
			return nil, fmt.Errorf("decode: %w", err)
		}
	}
	var errs []error
	errs = append(errs, expandEnv(reflect.ValueOf(cfg).Elem(), "", getenv)...)
	errs = append(errs, cfg.readSecretFiles(baseDir)...)
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	cfg.applyDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	return cfg, nil
}

// checkKeys walks the YAML tree beside the Go type and reports unknown keys
// and values of the wrong kind, each with its path and line.
func checkKeys(n *yaml.Node, t reflect.Type, path string) []error {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if n.Kind == yaml.AliasNode && n.Alias != nil {
		n = n.Alias
	}
	if n.Kind == yaml.ScalarNode && n.Tag == "!!null" {
		return nil
	}
	where := func(format string, args ...any) error {
		p := path
		if p == "" {
			p = "config"
		}
		return fmt.Errorf("%s: %s (line %d)", p, fmt.Sprintf(format, args...), n.Line)
	}
	if u, ok := reflect.New(t).Interface().(yaml.Unmarshaler); ok {
		if err := n.Decode(u); err != nil {
			return []error{where("%v", err)}
		}
		return nil
	}
	switch t.Kind() {
	case reflect.Struct:
		if n.Kind != yaml.MappingNode {
			return []error{where("want a mapping of keys, got %s", kindName(n))}
		}
		fields := map[string]reflect.StructField{}
		var names []string
		for i := range t.NumField() {
			f := t.Field(i)
			tag := strings.Split(f.Tag.Get("yaml"), ",")[0]
			if tag == "" || tag == "-" {
				continue
			}
			fields[tag] = f
			names = append(names, tag)
		}
		var errs []error
		seen := map[string]bool{}
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, v := n.Content[i], n.Content[i+1]
			sub := joinPath(path, k.Value)
			f, ok := fields[k.Value]
			if !ok {
				errs = append(errs, fmt.Errorf("%s: unknown key (line %d); known keys: %s", sub, k.Line, strings.Join(names, ", ")))
				continue
			}
			if seen[k.Value] {
				errs = append(errs, fmt.Errorf("%s: given twice (line %d)", sub, k.Line))
			}
			seen[k.Value] = true
			errs = append(errs, checkKeys(v, f.Type, sub)...)
		}
		return errs
	case reflect.Slice:
		if n.Kind != yaml.SequenceNode {
			return []error{where("want a list, got %s", kindName(n))}
		}
		var errs []error
		for i, c := range n.Content {
			errs = append(errs, checkKeys(c, t.Elem(), fmt.Sprintf("%s[%d]", path, i))...)
		}
		return errs
	case reflect.Map:
		if n.Kind != yaml.MappingNode {
			return []error{where("want a mapping, got %s", kindName(n))}
		}
		return nil
	default:
		if n.Kind != yaml.ScalarNode {
			return []error{where("want a single value, got %s", kindName(n))}
		}
		var probe = reflect.New(t)
		if err := n.Decode(probe.Interface()); err != nil {
			return []error{where("%q is not a valid %s", n.Value, t.Kind())}
		}
		return nil
	}
}

func kindName(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	default:
		return fmt.Sprintf("%q", n.Value)
	}
}

func joinPath(base, key string) string {
	if base == "" {
		return key
	}
	return base + "." + key
}

var envRef = regexp.MustCompile(`\$\$|\$\{([A-Za-z_][A-Za-z0-9_]*)\}`)

// expandEnv replaces ${VAR} in every string of v; "$$" stands for "$".
// A reference to an unset variable is an error naming the entry.
func expandEnv(v reflect.Value, path string, getenv func(string) string) []error {
	switch v.Kind() {
	case reflect.Pointer:
		if v.IsNil() {
			return nil
		}
		return expandEnv(v.Elem(), path, getenv)
	case reflect.Struct:
		var errs []error
		for i := range v.NumField() {
			tag := strings.Split(v.Type().Field(i).Tag.Get("yaml"), ",")[0]
			if tag == "-" || !v.Type().Field(i).IsExported() {
				continue // compiled values, not text from the file
			}
			errs = append(errs, expandEnv(v.Field(i), joinPath(path, tag), getenv)...)
		}
		return errs
	case reflect.Slice:
		var errs []error
		for i := range v.Len() {
			errs = append(errs, expandEnv(v.Index(i), fmt.Sprintf("%s[%d]", path, i), getenv)...)
		}
		return errs
	case reflect.String:
		s := v.String()
		if !strings.Contains(s, "$") {
			return nil
		}
		var errs []error
		out := envRef.ReplaceAllStringFunc(s, func(m string) string {
			if m == "$$" {
				return "$"
			}
			name := m[2 : len(m)-1]
			val := getenv(name)
			if val == "" {
				errs = append(errs, fmt.Errorf("%s: environment variable %s is not set", path, name))
			}
			return val
		})
		v.SetString(out)
		return errs
	}
	return nil
}

// readSecretFiles fills each secret from its *_file companion.
func (c *Config) readSecretFiles(baseDir string) []error {
	var errs []error
	read := func(path, file string, dst *string) {
		if file == "" {
			return
		}
		if *dst != "" {
			errs = append(errs, fmt.Errorf("%s: give the value or the _file, not both", path))
			return
		}
		if !filepath.IsAbs(file) {
			file = filepath.Join(baseDir, file)
		}
		b, err := os.ReadFile(file)
		if err != nil {
			errs = append(errs, fmt.Errorf("%s_file: %w", path, err))
			return
		}
		*dst = strings.TrimSpace(string(b))
		if *dst == "" {
			errs = append(errs, fmt.Errorf("%s_file: %s is empty", path, file))
		}
	}
	read("nats.token", c.NATS.TokenFile, &c.NATS.Token)
	read("http.token", c.HTTP.TokenFile, &c.HTTP.Token)
	read("nats.password", c.NATS.PasswordFile, &c.NATS.Password)
	for i := range c.Notifiers {
		n := &c.Notifiers[i]
		p := fmt.Sprintf("notifiers[%d]", i)
		read(p+".webhook_url", n.WebhookURLFile, &n.WebhookURL)
		read(p+".url", n.URLFile, &n.URL)
		read(p+".secret", n.SecretFile, &n.Secret)
		if n.SMTP != nil {
			read(p+".smtp.password", n.SMTP.PasswordFile, &n.SMTP.Password)
		}
	}
	return errs
}
