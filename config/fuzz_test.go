package config

import (
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"
)

// FuzzParse checks that Parse never panics on any document, that its errors
// say something, and that a document it accepts it accepts again. Every
// ${VAR} is set (to "x"). The seed corpus (testdata/fuzz/FuzzParse) holds
// realistic configs and near misses.
func FuzzParse(f *testing.F) {
	f.Add([]byte("sources:\n  - name: a\n    url: \"https://example.org/rss.xml\"\nnotifiers:\n  - name: t\n    type: console\n"))
	f.Add([]byte("notifiers:\n  - name: s\n    type: slack\n    webhook_url: \"${SLACK_WEBHOOK_URL}\"\n"))
	f.Add([]byte("base: &b {name: a, url: \"https://example.org/\"}\nsources: [*b]\n"))
	f.Add([]byte("watch:\n  timeout: 99999999999999999999d\n  max_bytes: 1e400\n"))
	getenv := func(string) string { return "x" }
	f.Fuzz(func(t *testing.T, data []byte) {
		if readsOutside(data) {
			t.Skip("a *_file path could name a device or a FIFO")
		}
		cfg, err := Parse(data, getenv, t.TempDir())
		if err != nil {
			if strings.TrimSpace(err.Error()) == "" {
				t.Fatalf("Parse(%q): empty error text", data)
			}
			return
		}
		if cfg == nil {
			t.Fatalf("Parse(%q): nil config and no error", data)
		}
		if _, err := Parse(data, getenv, t.TempDir()); err != nil {
			t.Fatalf("Parse(%q) succeeded, then failed: %v", data, err)
		}
	})
}

// readsOutside reports whether a *_file key in data names a path outside
// the test's empty directory, where reading could block (/dev/stdin, a
// FIFO) or never end (/dev/zero). Such inputs test the file system, not
// Parse.
func readsOutside(data []byte) bool {
	var doc yaml.Node
	if yaml.Unmarshal(data, &doc) != nil {
		return false // Parse fails the same way before reading files.
	}
	var walk func(n *yaml.Node) bool
	walk = func(n *yaml.Node) bool {
		if n.Kind == yaml.MappingNode {
			for i := 0; i+1 < len(n.Content); i += 2 {
				k, v := n.Content[i], n.Content[i+1]
				if v.Kind == yaml.AliasNode && v.Alias != nil {
					v = v.Alias
				}
				if strings.HasSuffix(k.Value, "_file") && (v.Kind != yaml.ScalarNode || strings.ContainsAny(v.Value, `/\`) || strings.HasPrefix(v.Value, "..")) {
					return true
				}
			}
		}
		for _, c := range n.Content {
			if walk(c) {
				return true
			}
		}
		return false
	}
	return walk(&doc)
}
