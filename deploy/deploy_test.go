package deploy_test

// These tests read the deploy files as a user's tools would and check the
// promises they make: every YAML parses, every qualitywatch config in them
// passes config.Parse, the compose files publish no NATS port without
// authentication and have health checks, the Kubernetes pods meet the Pod
// Security "restricted" profile and have probes, and the systemd unit is
// hardened. Docker, a Kubernetes cluster and systemd as PID 1 are not needed;
// systemd-analyze is used when it is installed.

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"maps"
	"net"
	"net/url"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/nats-io/nats-server/v2/server"
	"go.yaml.in/yaml/v3"

	"github.com/qualitywatch/qualitywatch/config"
)

// The image's user and the container paths the files agree on.
const (
	imageUID        = 65532
	stateDir        = "/var/lib/qualitywatch"
	containerConfig = "/etc/qualitywatch/config.yaml"
)

// yamlDocs decodes every document of a YAML file.
func yamlDocs(t *testing.T, file string) []*yaml.Node {
	t.Helper()
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var docs []*yaml.Node
	for {
		var n yaml.Node
		err := dec.Decode(&n)
		if errors.Is(err, io.EOF) {
			return docs
		}
		if err != nil {
			t.Fatalf("%s: %v", file, err)
		}
		docs = append(docs, &n)
	}
}

func decodeFile[T any](t *testing.T, file string) T {
	t.Helper()
	var v T
	docs := yamlDocs(t, file)
	if len(docs) != 1 {
		t.Fatalf("%s: %d YAML documents, want 1", file, len(docs))
	}
	if err := docs[0].Decode(&v); err != nil {
		t.Fatalf("%s: %v", file, err)
	}
	return v
}

func TestEveryYAMLParses(t *testing.T) {
	var files []string
	err := filepath.WalkDir(".", func(p string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() && (strings.HasSuffix(p, ".yaml") || strings.HasSuffix(p, ".yml")) {
			files = append(files, p)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(files) < 5 {
		t.Fatalf("found only %v", files)
	}
	for _, f := range files {
		if docs := yamlDocs(t, f); len(docs) == 0 {
			t.Errorf("%s: no YAML document", f)
		}
	}
}

// parseConfig runs config.Parse on a qualitywatch config as the daemon
// would, with every ${VAR} set to "x" and every *_file key pointing at a
// temporary file holding a plausible secret (a URL for *url_file). It
// returns the config and the original *_file paths by key path.
func parseConfig(t *testing.T, name string, data []byte) (*config.Config, map[string]string) {
	t.Helper()
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	dir := t.TempDir()
	files := map[string]string{}
	var walk func(n *yaml.Node, at string)
	walk = func(n *yaml.Node, at string) {
		switch n.Kind {
		case yaml.DocumentNode, yaml.SequenceNode:
			for i, c := range n.Content {
				walk(c, at+"["+strconv.Itoa(i)+"]")
			}
		case yaml.MappingNode:
			for i := 0; i+1 < len(n.Content); i += 2 {
				k, v := n.Content[i], n.Content[i+1]
				p := strings.TrimPrefix(at+"."+k.Value, "[0].")
				if strings.HasSuffix(k.Value, "_file") && v.Kind == yaml.ScalarNode && v.Value != "" {
					secret := "x"
					if strings.HasSuffix(k.Value, "url_file") {
						secret = "https://hooks.example.org/x"
					}
					tmp := filepath.Join(dir, strconv.Itoa(len(files)))
					if err := os.WriteFile(tmp, []byte(secret+"\n"), 0o600); err != nil {
						t.Fatal(err)
					}
					files[p] = v.Value
					v.Value = tmp
					continue
				}
				walk(v, p)
			}
		}
	}
	walk(&doc, "")
	out, err := yaml.Marshal(&doc)
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := config.Parse(out, func(string) string { return "x" }, dir)
	if err != nil {
		t.Fatalf("%s: config.Parse:\n%v", name, err)
	}
	return cfg, files
}

func readConfig(t *testing.T, file string) (*config.Config, map[string]string) {
	t.Helper()
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	return parseConfig(t, file, data)
}

func TestStandaloneConfigsParse(t *testing.T) {
	for _, f := range []string{"qualitywatch.example.yaml", "compose.config.yaml", "compose.cluster.config.yaml", "systemd/config.yaml"} {
		readConfig(t, f)
	}
}

func splitHostPort(t *testing.T, what, hp string) (string, int) {
	t.Helper()
	host, port, err := net.SplitHostPort(hp)
	if err != nil {
		t.Fatalf("%s %q: %v", what, hp, err)
	}
	p, err := strconv.Atoi(port)
	if err != nil {
		t.Fatalf("%s %q: %v", what, hp, err)
	}
	return host, p
}

func isLoopback(host string) bool {
	ip := net.ParseIP(host)
	return host == "localhost" || (ip != nil && ip.IsLoopback())
}

// checkEmbeddedNATS: the embedded server has no authentication, so its
// client port must not be reachable from outside the container or pod.
func checkEmbeddedNATS(t *testing.T, where string, cfg *config.Config) (port int) {
	t.Helper()
	if cfg.NATS.URL != "" {
		return 0
	}
	if l := *cfg.NATS.Listen; l != "" {
		host, p := splitHostPort(t, where+" nats.listen", l)
		if !isLoopback(host) {
			t.Errorf("%s: the embedded NATS (no auth) listens on %q; keep it on the loopback", where, l)
		}
		port = p
	}
	if !strings.HasPrefix(cfg.NATS.StoreDir, stateDir+"/") {
		t.Errorf("%s: nats.store_dir %q is not under %s", where, cfg.NATS.StoreDir, stateDir)
	}
	return port
}

// checkClusterNATS: a replica on a cluster authenticates and uses three
// replicas for its streams.
func checkClusterNATS(t *testing.T, where string, cfg *config.Config, files map[string]string) (hosts []string) {
	t.Helper()
	for _, u := range strings.Split(cfg.NATS.URL, ",") {
		pu, err := url.Parse(strings.TrimSpace(u))
		if err != nil {
			t.Fatalf("%s: nats.url %q: %v", where, u, err)
		}
		hosts = append(hosts, pu.Hostname())
	}
	if len(hosts) != 3 {
		t.Errorf("%s: nats.url lists %d servers, want the 3 nodes", where, len(hosts))
	}
	if cfg.NATS.Replicas != 3 {
		t.Errorf("%s: nats.replicas = %d, want 3", where, cfg.NATS.Replicas)
	}
	if cfg.NATS.Token == "" && cfg.NATS.CredsFile == "" && cfg.NATS.User == "" {
		t.Errorf("%s: no NATS credentials", where)
	}
	if files["nats.token_file"] == "" {
		t.Errorf("%s: the NATS token should come from a secret file (nats.token_file)", where)
	}
	return hosts
}

// checkHTTP: the HTTP endpoint is reachable from outside the container.
func checkHTTP(t *testing.T, where string, cfg *config.Config) int {
	t.Helper()
	host, port := splitHostPort(t, where+" http.listen", *cfg.HTTP.Listen)
	if host != "0.0.0.0" && host != "" && host != "::" {
		t.Errorf("%s: http.listen %q is not reachable from outside the container", where, *cfg.HTTP.Listen)
	}
	return port
}

// ---- Dockerfile

func TestDockerfile(t *testing.T) {
	data, err := os.ReadFile("Dockerfile")
	if err != nil {
		t.Fatal(err)
	}
	var final []string // the instructions of the last stage, continuation lines joined
	var cur strings.Builder
	sc := bufio.NewScanner(bytes.NewReader(data))
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if cur.Len() == 0 && (line == "" || strings.HasPrefix(line, "#")) {
			continue
		}
		cur.WriteString(strings.TrimSuffix(line, "\\") + " ")
		if strings.HasSuffix(line, "\\") {
			continue
		}
		ins := strings.TrimSpace(cur.String())
		cur.Reset()
		if strings.HasPrefix(ins, "FROM ") {
			final = nil
		}
		final = append(final, ins)
	}
	if len(final) == 0 || !strings.HasPrefix(final[0], "FROM alpine:") {
		t.Fatalf("final stage %q: want an alpine base (busybox wget for the health check, tzdata)", final)
	}
	find := func(prefix string) int {
		return slices.IndexFunc(final, func(s string) bool { return strings.HasPrefix(s, prefix) })
	}
	user, volume, health := find("USER "), find("VOLUME "+stateDir), find("HEALTHCHECK ")
	if user < 0 || strings.Fields(final[user])[1] != strconv.Itoa(imageUID)+":"+strconv.Itoa(imageUID) {
		t.Errorf("want USER %d:%d in the final stage", imageUID, imageUID)
	}
	if volume < 0 {
		t.Fatalf("want VOLUME %s", stateDir)
	}
	owned := slices.IndexFunc(final, func(s string) bool {
		return strings.HasPrefix(s, "RUN ") && regexp.MustCompile(`install -d .*-o `+strconv.Itoa(imageUID)+` .*`+stateDir).MatchString(s)
	})
	if owned < 0 || owned > volume {
		t.Errorf("the state directory must be created owned by %d before VOLUME (a new volume copies its ownership)", imageUID)
	}
	if health < 0 || !strings.Contains(final[health], "wget") || !strings.Contains(final[health], "/readyz") {
		t.Errorf("want a HEALTHCHECK with wget on /readyz")
	}
	if !strings.Contains(string(data), "tzdata") {
		t.Error("the image needs tzdata: the binary does not embed time/tzdata and defaults to Asia/Shanghai")
	}
	cp := find("COPY deploy/compose.config.yaml " + containerConfig)
	if cp < 0 {
		t.Errorf("want the container config copied to %s", containerConfig)
	}
}

// ---- compose

type composeFile struct {
	Name     string                    `yaml:"name"`
	Services map[string]composeService `yaml:"services"`
	Secrets  map[string]struct {
		File string `yaml:"file"`
	} `yaml:"secrets"`
	Volumes map[string]any `yaml:"volumes"`
}

type composeService struct {
	Image       string            `yaml:"image"`
	Build       any               `yaml:"build"`
	Hostname    string            `yaml:"hostname"`
	Entrypoint  []string          `yaml:"entrypoint"`
	Command     []string          `yaml:"command"`
	Environment map[string]string `yaml:"environment"`
	Ports       []string          `yaml:"ports"`
	Volumes     []string          `yaml:"volumes"`
	Secrets     []string          `yaml:"secrets"`
	CapDrop     []string          `yaml:"cap_drop"`
	SecurityOpt []string          `yaml:"security_opt"`
	ReadOnly    bool              `yaml:"read_only"`
	Healthcheck *struct {
		Test []string `yaml:"test"`
	} `yaml:"healthcheck"`
	DependsOn map[string]struct {
		Condition string `yaml:"condition"`
	} `yaml:"depends_on"`
}

func (s composeService) isQualitywatch() bool {
	return s.Build != nil || strings.HasPrefix(s.Image, "qualitywatch")
}

// mount returns the host source of the volume mounted at target.
func (s composeService) mount(target string) (string, bool) {
	for _, v := range s.Volumes {
		parts := strings.Split(v, ":")
		if len(parts) >= 2 && parts[1] == target {
			return parts[0], true
		}
	}
	return "", false
}

type published struct {
	hostIP        string
	containerPort int
}

func (s composeService) published(t *testing.T, name string) []published {
	t.Helper()
	var out []published
	for _, p := range s.Ports {
		parts := strings.Split(strings.TrimSuffix(p, "/tcp"), ":")
		if len(parts) != 3 {
			t.Errorf("%s: port %q: publish as 127.0.0.1:HOST:CONTAINER", name, p)
			continue
		}
		cp, err := strconv.Atoi(parts[2])
		if err != nil {
			t.Errorf("%s: port %q: %v", name, p, err)
			continue
		}
		if parts[0] != "127.0.0.1" {
			t.Errorf("%s: port %q is published beyond the host's loopback", name, p)
		}
		out = append(out, published{parts[0], cp})
	}
	return out
}

// natsConf reads a nats-server config mounted into a nats service, with the
// environment the service gives it; the token is quoted as the entrypoint
// quotes it, and all digits so that an unquoted token would not be a string.
func natsConf(t *testing.T, svcName string, s composeService) *server.Options {
	t.Helper()
	src, ok := s.mount("/etc/nats/nats.conf")
	if !ok {
		t.Fatalf("%s: no config mounted at /etc/nats/nats.conf", svcName)
	}
	script := strings.Join(s.Entrypoint, " ")
	if !strings.Contains(script, `NATS_TOKEN="\"$$(cat /run/secrets/nats_token)\""`) ||
		!strings.Contains(script, "nats-server --config /etc/nats/nats.conf") {
		t.Errorf("%s: entrypoint %q does not pass the secret's token, quoted, to nats-server", svcName, script)
	}
	for k, v := range s.Environment {
		t.Setenv(k, v)
	}
	t.Setenv("NATS_TOKEN", `"0123456789"`)
	opts, err := server.ProcessConfigFile(src)
	if err != nil {
		t.Fatalf("%s: %s: %v", svcName, src, err)
	}
	if opts.Authorization != "0123456789" {
		t.Errorf("%s: token = %q, want it from $NATS_TOKEN", svcName, opts.Authorization)
	}
	if opts.ServerName != svcName {
		t.Errorf("%s: server_name = %q", svcName, opts.ServerName)
	}
	return opts
}

func TestComposeEmbedded(t *testing.T) {
	cf := decodeFile[composeFile](t, "compose.yaml")
	qw, ok := cf.Services["qualitywatch"]
	if !ok || len(cf.Services) != 1 {
		t.Fatalf("want one service, qualitywatch: %v", cf.Services)
	}
	checkComposeQualitywatch(t, cf, "qualitywatch", qw)
}

// checkComposeQualitywatch checks a qualitywatch service and its config,
// and returns the config with its *_file paths.
func checkComposeQualitywatch(t *testing.T, cf composeFile, name string, s composeService) (*config.Config, map[string]string) {
	t.Helper()
	src, ok := s.mount(containerConfig)
	if !ok {
		t.Fatalf("%s: no config mounted at %s", name, containerConfig)
	}
	if want := []string{"run", "--config", containerConfig}; len(s.Command) < 3 || !slices.Equal(s.Command[:3], want) {
		t.Errorf("%s: command %v, want %v ...", name, s.Command, want)
	}
	cfg, files := readConfig(t, src)
	httpPort := checkHTTP(t, name, cfg)
	natsPort := checkEmbeddedNATS(t, name, cfg)
	reachable := false
	for _, p := range s.published(t, name) {
		switch p.containerPort {
		case httpPort:
			reachable = true
		case natsPort, 4222:
			t.Errorf("%s: publishes the embedded NATS port %d, which has no authentication", name, p.containerPort)
		}
	}
	if !reachable {
		t.Errorf("%s: the HTTP port %d is not published", name, httpPort)
	}
	if s.Healthcheck == nil || len(s.Healthcheck.Test) < 2 || s.Healthcheck.Test[0] != "CMD" ||
		!slices.Contains(s.Healthcheck.Test, "http://127.0.0.1:"+strconv.Itoa(httpPort)+"/readyz") {
		t.Errorf("%s: want a healthcheck on http://127.0.0.1:%d/readyz, got %+v", name, httpPort, s.Healthcheck)
	}
	if !slices.Contains(s.CapDrop, "ALL") || !s.ReadOnly || !slices.Contains(s.SecurityOpt, "no-new-privileges:true") {
		t.Errorf("%s: want cap_drop [ALL], read_only and no-new-privileges", name)
	}
	if cfg.NATS.URL == "" { // the store is on a named volume the image owns
		vol, ok := s.mount(stateDir)
		if _, named := cf.Volumes[vol]; !ok || !named {
			t.Errorf("%s: want a named volume at %s for the embedded store", name, stateDir)
		}
	}
	// Secret files come from the service's compose secrets.
	for key, file := range files {
		secret, ok := strings.CutPrefix(file, "/run/secrets/")
		if !ok || !slices.Contains(s.Secrets, secret) {
			t.Errorf("%s: %s %q is not one of the service's secrets %v", name, key, file, s.Secrets)
		}
		if _, ok := cf.Secrets[secret]; !ok {
			t.Errorf("%s: secret %q is not defined", name, secret)
		}
	}
	return cfg, files
}

func TestComposeCluster(t *testing.T) {
	cf := decodeFile[composeFile](t, "compose.cluster.yaml")
	var natsNodes, replicas []string
	for name, s := range cf.Services {
		switch {
		case strings.HasPrefix(s.Image, "nats:"):
			natsNodes = append(natsNodes, name)
		case s.isQualitywatch():
			replicas = append(replicas, name)
		}
	}
	slices.Sort(natsNodes)
	slices.Sort(replicas)
	if len(natsNodes) != 3 || len(replicas) != 2 {
		t.Fatalf("want 3 nats nodes and 2 qualitywatch replicas, got %v and %v", natsNodes, replicas)
	}

	for _, name := range natsNodes {
		s := cf.Services[name]
		opts := natsConf(t, name, s)
		if !opts.JetStream || opts.StoreDir == "" {
			t.Errorf("%s: JetStream with a store_dir wanted", name)
		}
		if _, ok := s.mount(opts.StoreDir); !ok {
			t.Errorf("%s: no volume at the JetStream store_dir %s", name, opts.StoreDir)
		}
		var routes []string
		for _, r := range opts.Routes {
			routes = append(routes, r.Hostname())
		}
		slices.Sort(routes)
		if opts.Cluster.Name == "" || opts.Cluster.Port == 0 || !slices.Equal(routes, natsNodes) {
			t.Errorf("%s: cluster %q port %d routes %v, want routes to %v", name, opts.Cluster.Name, opts.Cluster.Port, routes, natsNodes)
		}
		if !slices.Contains(s.Secrets, "nats_token") {
			t.Errorf("%s: the nats_token secret is not mounted", name)
		}
		if s.Healthcheck == nil || !strings.Contains(strings.Join(s.Healthcheck.Test, " "), ":"+strconv.Itoa(opts.HTTPPort)+"/healthz") {
			t.Errorf("%s: want a healthcheck on the monitoring port's /healthz", name)
		}
		for _, p := range s.published(t, name) {
			switch p.containerPort {
			case opts.Port:
				if opts.Authorization == "" {
					t.Errorf("%s: client port published without authorization", name)
				}
			default:
				t.Errorf("%s: publishes port %d (routes and monitoring stay inside)", name, p.containerPort)
			}
		}
	}

	hostnames := map[string]bool{}
	for _, name := range replicas {
		s := cf.Services[name]
		cfg, files := checkComposeQualitywatch(t, cf, name, s)
		hosts := checkClusterNATS(t, name, cfg, files)
		slices.Sort(hosts)
		if !slices.Equal(hosts, natsNodes) {
			t.Errorf("%s: nats.url hosts %v, want %v", name, hosts, natsNodes)
		}
		for _, n := range natsNodes {
			if s.DependsOn[n].Condition != "service_healthy" {
				t.Errorf("%s: want depends_on %s: service_healthy", name, n)
			}
		}
		// The lease owner is the host name: distinct and stable per replica.
		if s.Hostname == "" || hostnames[s.Hostname] {
			t.Errorf("%s: want a distinct hostname, got %q", name, s.Hostname)
		}
		hostnames[s.Hostname] = true
		// Email goes to mailpit.
		var mail bool
		for _, n := range cfg.Notifiers {
			if n.Type == "email" && n.SMTP != nil {
				m, ok := cf.Services[n.SMTP.Host]
				mail = ok && strings.HasPrefix(m.Image, "axllent/mailpit:") && n.SMTP.Port == 1025
			}
		}
		if !mail {
			t.Errorf("%s: want an email notifier sending to the mailpit service on port 1025", name)
		}
	}
	if s := cf.Secrets["nats_token"]; s.File == "" {
		t.Error("want the nats_token secret read from a file")
	}
}

// ---- Kubernetes

type k8sObject struct {
	Kind     string `yaml:"kind"`
	Metadata struct {
		Name string `yaml:"name"`
	} `yaml:"metadata"`
	Data       map[string]string `yaml:"data"`
	StringData map[string]string `yaml:"stringData"`
	Spec       struct {
		Replicas             *int  `yaml:"replicas"`
		VolumeClaimTemplates []any `yaml:"volumeClaimTemplates"`
		Template             struct {
			Spec podSpec `yaml:"spec"`
		} `yaml:"template"`
	} `yaml:"spec"`
}

type seccomp struct {
	Type string `yaml:"type"`
}

type podSpec struct {
	HostNetwork     bool `yaml:"hostNetwork"`
	HostPID         bool `yaml:"hostPID"`
	HostIPC         bool `yaml:"hostIPC"`
	SecurityContext *struct {
		RunAsNonRoot   *bool    `yaml:"runAsNonRoot"`
		RunAsUser      *int64   `yaml:"runAsUser"`
		SeccompProfile *seccomp `yaml:"seccompProfile"`
	} `yaml:"securityContext"`
	Containers     []container      `yaml:"containers"`
	InitContainers []container      `yaml:"initContainers"`
	Volumes        []map[string]any `yaml:"volumes"`
}

type container struct {
	Name  string   `yaml:"name"`
	Args  []string `yaml:"args"`
	Ports []struct {
		Name          string `yaml:"name"`
		ContainerPort int    `yaml:"containerPort"`
		HostPort      int    `yaml:"hostPort"`
	} `yaml:"ports"`
	SecurityContext *struct {
		RunAsNonRoot             *bool    `yaml:"runAsNonRoot"`
		RunAsUser                *int64   `yaml:"runAsUser"`
		Privileged               *bool    `yaml:"privileged"`
		AllowPrivilegeEscalation *bool    `yaml:"allowPrivilegeEscalation"`
		ReadOnlyRootFilesystem   *bool    `yaml:"readOnlyRootFilesystem"`
		SeccompProfile           *seccomp `yaml:"seccompProfile"`
		Capabilities             *struct {
			Add  []string `yaml:"add"`
			Drop []string `yaml:"drop"`
		} `yaml:"capabilities"`
	} `yaml:"securityContext"`
	LivenessProbe  *probe        `yaml:"livenessProbe"`
	ReadinessProbe *probe        `yaml:"readinessProbe"`
	VolumeMounts   []volumeMount `yaml:"volumeMounts"`
	Env            []envVar      `yaml:"env"`
	Resources      struct {
		Limits map[string]string `yaml:"limits"`
	} `yaml:"resources"`
}

type envVar struct {
	Name  string `yaml:"name"`
	Value string `yaml:"value"`
}

type volumeMount struct {
	Name      string `yaml:"name"`
	MountPath string `yaml:"mountPath"`
	SubPath   string `yaml:"subPath"`
}

type probe struct {
	HTTPGet *struct {
		Path string `yaml:"path"`
		Port any    `yaml:"port"`
	} `yaml:"httpGet"`
}

// k8sObjects reads every manifest under kubernetes/.
func k8sObjects(t *testing.T) map[string][]k8sObject {
	t.Helper()
	files, err := filepath.Glob("kubernetes/*.yaml")
	if err != nil || len(files) == 0 {
		t.Fatalf("no manifests: %v", err)
	}
	out := map[string][]k8sObject{}
	for _, f := range files {
		for _, d := range yamlDocs(t, f) {
			var o k8sObject
			if err := d.Decode(&o); err != nil {
				t.Fatalf("%s: %v", f, err)
			}
			out[f] = append(out[f], o)
		}
	}
	return out
}

func isTrue(b *bool) bool   { return b != nil && *b }
func isFalse(b *bool) bool  { return b != nil && !*b }
func nonRoot(u *int64) bool { return u != nil && *u != 0 }

// restrictedVolumes are the volume types the restricted profile allows.
var restrictedVolumes = []string{"configMap", "csi", "downwardAPI", "emptyDir", "ephemeral", "persistentVolumeClaim", "projected", "secret"}

// checkRestricted checks the Pod Security "restricted" profile, with every
// field set explicitly on the pod and on each container.
func checkRestricted(t *testing.T, where string, p podSpec) {
	t.Helper()
	if p.HostNetwork || p.HostPID || p.HostIPC {
		t.Errorf("%s: host namespaces", where)
	}
	sc := p.SecurityContext
	if sc == nil || !isTrue(sc.RunAsNonRoot) || !nonRoot(sc.RunAsUser) || sc.SeccompProfile == nil || sc.SeccompProfile.Type != "RuntimeDefault" {
		t.Errorf("%s: pod securityContext needs runAsNonRoot: true, a non-zero runAsUser and seccompProfile RuntimeDefault", where)
	}
	for _, v := range p.Volumes {
		for k := range v {
			if k != "name" && !slices.Contains(restrictedVolumes, k) {
				t.Errorf("%s: volume %v of type %s is not allowed by the restricted profile", where, v["name"], k)
			}
		}
	}
	for _, c := range slices.Concat(p.InitContainers, p.Containers) {
		w := where + " container " + c.Name
		sc := c.SecurityContext
		if sc == nil {
			t.Errorf("%s: no securityContext", w)
			continue
		}
		if !isTrue(sc.RunAsNonRoot) || !nonRoot(sc.RunAsUser) {
			t.Errorf("%s: want runAsNonRoot: true and a non-zero runAsUser", w)
		}
		if !isFalse(sc.AllowPrivilegeEscalation) || isTrue(sc.Privileged) {
			t.Errorf("%s: want allowPrivilegeEscalation: false, not privileged", w)
		}
		if !isTrue(sc.ReadOnlyRootFilesystem) {
			t.Errorf("%s: want readOnlyRootFilesystem: true", w)
		}
		if sc.SeccompProfile == nil || sc.SeccompProfile.Type != "RuntimeDefault" {
			t.Errorf("%s: want seccompProfile RuntimeDefault", w)
		}
		if sc.Capabilities == nil || !slices.Contains(sc.Capabilities.Drop, "ALL") || len(sc.Capabilities.Add) > 0 {
			t.Errorf("%s: want capabilities drop [ALL], none added", w)
		}
		for _, port := range c.Ports {
			if port.HostPort != 0 {
				t.Errorf("%s: hostPort %d", w, port.HostPort)
			}
		}
	}
}

func TestKubernetes(t *testing.T) {
	all := k8sObjects(t)
	configMaps, secretKeys := map[string]map[string]string{}, map[string]map[string]bool{}
	for _, objs := range all {
		for _, o := range objs {
			switch o.Kind {
			case "ConfigMap":
				configMaps[o.Metadata.Name] = o.Data
			case "Secret":
				secretKeys[o.Metadata.Name] = map[string]bool{}
				for k := range o.StringData {
					secretKeys[o.Metadata.Name][k] = true
				}
			}
		}
	}
	var embedded, cluster int
	for file, objs := range all {
		for _, o := range objs {
			if o.Kind != "StatefulSet" && o.Kind != "Deployment" {
				continue
			}
			where := file + " " + o.Kind + "/" + o.Metadata.Name
			pod := o.Spec.Template.Spec
			checkRestricted(t, where, pod)
			if len(pod.Containers) != 1 {
				t.Fatalf("%s: want one container", where)
			}
			c := pod.Containers[0]
			cfg, files := k8sConfig(t, where, pod, c, configMaps)
			httpPort := checkHTTP(t, where, cfg)
			checkProbe(t, where+" livenessProbe", c.LivenessProbe, "/healthz", c, httpPort)
			checkProbe(t, where+" readinessProbe", c.ReadinessProbe, "/readyz", c, httpPort)
			checkMemoryLimit(t, where, c)
			for key, f := range files {
				checkK8sSecretFile(t, where, key, f, pod, c, secretKeys)
			}
			if cfg.NATS.URL == "" {
				embedded++
				checkEmbeddedNATS(t, where, cfg)
				if o.Kind != "StatefulSet" || len(o.Spec.VolumeClaimTemplates) == 0 || o.Spec.Replicas == nil || *o.Spec.Replicas != 1 {
					t.Errorf("%s: the embedded mode is a StatefulSet of 1 replica with a volume claim", where)
				}
				if !slices.ContainsFunc(c.VolumeMounts, func(m volumeMount) bool {
					return strings.HasPrefix(cfg.NATS.StoreDir, m.MountPath+"/") && m.Name == "data"
				}) {
					t.Errorf("%s: nats.store_dir %s is not on the claimed volume", where, cfg.NATS.StoreDir)
				}
			} else {
				cluster++
				checkClusterNATS(t, where, cfg, files)
				if o.Kind != "Deployment" || o.Spec.Replicas == nil || *o.Spec.Replicas < 2 {
					t.Errorf("%s: the cluster mode is a Deployment of 2 or more replicas", where)
				}
			}
		}
	}
	if embedded != 1 || cluster != 1 {
		t.Errorf("want one embedded StatefulSet and one cluster Deployment, got %d and %d", embedded, cluster)
	}
}

// checkMemoryLimit: a container with a memory limit tells the Go runtime
// (GOMEMLIMIT) to collect harder as it nears it, below the limit, so that
// the heap's headroom (up to twice the live heap) does not get the pod
// killed while what it holds would fit.
func checkMemoryLimit(t *testing.T, where string, c container) {
	t.Helper()
	limit, ok := c.Resources.Limits["memory"]
	if !ok {
		return
	}
	podBytes, err := byteSize(limit, map[string]int64{"Mi": 1 << 20, "Gi": 1 << 30})
	if err != nil {
		t.Errorf("%s: resources.limits.memory: %v", where, err)
		return
	}
	i := slices.IndexFunc(c.Env, func(e envVar) bool { return e.Name == "GOMEMLIMIT" })
	if i < 0 {
		t.Errorf("%s: a memory limit of %s and no GOMEMLIMIT", where, limit)
		return
	}
	goBytes, err := byteSize(c.Env[i].Value, map[string]int64{"MiB": 1 << 20, "GiB": 1 << 30})
	if err != nil {
		t.Errorf("%s: GOMEMLIMIT: %v", where, err)
		return
	}
	if goBytes < podBytes/2 || goBytes > podBytes*95/100 {
		t.Errorf("%s: GOMEMLIMIT %s is not between 50%% and 95%% of the pod's limit %s", where, c.Env[i].Value, limit)
	}
}

// byteSize parses a whole number with one of the given unit suffixes.
func byteSize(s string, units map[string]int64) (int64, error) {
	for suffix, unit := range units {
		if n, ok := strings.CutSuffix(s, suffix); ok {
			v, err := strconv.ParseInt(n, 10, 64)
			if err != nil || v <= 0 {
				return 0, fmt.Errorf("%q is not a positive whole number of %s", s, suffix)
			}
			return v * unit, nil
		}
	}
	return 0, fmt.Errorf("%q has none of the units %v", s, slices.Sorted(maps.Keys(units)))
}

// k8sConfig finds the container's --config file in a ConfigMap volume and
// parses it.
func k8sConfig(t *testing.T, where string, pod podSpec, c container, configMaps map[string]map[string]string) (*config.Config, map[string]string) {
	t.Helper()
	i := slices.Index(c.Args, "--config")
	if i < 0 || i+1 >= len(c.Args) {
		t.Fatalf("%s: no --config in args %v", where, c.Args)
	}
	file := c.Args[i+1]
	for _, m := range c.VolumeMounts {
		key := strings.TrimPrefix(file, m.MountPath+"/")
		if m.SubPath != "" {
			if m.MountPath != file {
				continue
			}
			key = m.SubPath
		} else if key == file {
			continue
		}
		for _, v := range pod.Volumes {
			cm, ok := v["configMap"].(map[string]any)
			if v["name"] != m.Name || !ok {
				continue
			}
			data, ok := configMaps[cm["name"].(string)][key]
			if !ok {
				t.Fatalf("%s: ConfigMap %v has no key %s", where, cm["name"], key)
			}
			return parseConfig(t, where+" config", []byte(data))
		}
	}
	t.Fatalf("%s: %s is not mounted from a ConfigMap", where, file)
	return nil, nil
}

func checkProbe(t *testing.T, where string, p *probe, path string, c container, httpPort int) {
	t.Helper()
	if p == nil || p.HTTPGet == nil || p.HTTPGet.Path != path {
		t.Errorf("%s: want an httpGet probe on %s", where, path)
		return
	}
	port := 0
	switch v := p.HTTPGet.Port.(type) {
	case int:
		port = v
	case string:
		for _, cp := range c.Ports {
			if cp.Name == v {
				port = cp.ContainerPort
			}
		}
	}
	if port != httpPort {
		t.Errorf("%s: probes port %v, http.listen is on %d", where, p.HTTPGet.Port, httpPort)
	}
}

// checkK8sSecretFile: a *_file path lies in a Secret volume and names one of
// the Secret's keys.
func checkK8sSecretFile(t *testing.T, where, key, file string, pod podSpec, c container, secretKeys map[string]map[string]bool) {
	t.Helper()
	for _, m := range c.VolumeMounts {
		name, ok := strings.CutPrefix(file, m.MountPath+"/")
		if !ok {
			continue
		}
		for _, v := range pod.Volumes {
			sec, ok := v["secret"].(map[string]any)
			if v["name"] != m.Name || !ok {
				continue
			}
			secretName, _ := sec["secretName"].(string)
			if keys := secretKeys[secretName]; !keys[path.Base(name)] {
				t.Errorf("%s: %s %s: Secret %q (secret.example.yaml) has no key %q", where, key, file, secretName, path.Base(name))
			}
			items, _ := sec["items"].([]any)
			found := len(items) == 0
			for _, it := range items {
				if it.(map[string]any)["path"] == name {
					found = true
				}
			}
			if !found {
				t.Errorf("%s: %s %s is not among the Secret volume's items", where, key, file)
			}
			return
		}
	}
	t.Errorf("%s: %s %s is not in a mounted Secret", where, key, file)
}

// ---- systemd

func unitDirectives(t *testing.T, file string) map[string][]string {
	t.Helper()
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string][]string{}
	for _, line := range strings.Split(string(data), "\n") {
		line = strings.TrimSpace(line)
		if line == "" || line[0] == '#' || line[0] == ';' || line[0] == '[' {
			continue
		}
		k, v, ok := strings.Cut(line, "=")
		if !ok {
			t.Errorf("%s: %q is not key=value", file, line)
			continue
		}
		out[k] = append(out[k], v)
	}
	return out
}

func TestSystemdUnit(t *testing.T) {
	const unit = "systemd/qualitywatch.service"
	d := unitDirectives(t, unit)
	want := map[string]string{
		"DynamicUser":             "yes",
		"StateDirectory":          "qualitywatch",
		"ExecReload":              "/bin/kill -HUP $MAINPID",
		"NoNewPrivileges":         "yes",
		"CapabilityBoundingSet":   "",
		"ProtectSystem":           "strict",
		"ProtectHome":             "yes",
		"PrivateTmp":              "yes",
		"PrivateDevices":          "yes",
		"PrivateUsers":            "yes",
		"ProtectKernelTunables":   "yes",
		"ProtectKernelModules":    "yes",
		"ProtectKernelLogs":       "yes",
		"ProtectControlGroups":    "yes",
		"ProtectClock":            "yes",
		"ProtectHostname":         "yes",
		"RestrictNamespaces":      "yes",
		"RestrictRealtime":        "yes",
		"RestrictSUIDSGID":        "yes",
		"LockPersonality":         "yes",
		"MemoryDenyWriteExecute":  "yes",
		"SystemCallArchitectures": "native",
	}
	for k, v := range want {
		if !slices.Contains(d[k], v) {
			t.Errorf("%s: want %s=%s, have %v", unit, k, v, d[k])
		}
	}
	for _, k := range []string{"SystemCallFilter", "RestrictAddressFamilies", "UMask"} {
		if len(d[k]) == 0 {
			t.Errorf("%s: want %s", unit, k)
		}
	}
	// The config the unit runs keeps its store in the StateDirectory.
	start := strings.Join(d["ExecStart"], " ")
	if !strings.Contains(start, "--config /etc/qualitywatch/config.yaml") {
		t.Errorf("%s: ExecStart %q", unit, start)
	}
	cfg, _ := readConfig(t, "systemd/config.yaml")
	checkEmbeddedNATS(t, "systemd/config.yaml", cfg)

	// The exposure score, when systemd-analyze is here (--offline: 252+).
	sa, err := exec.LookPath("systemd-analyze")
	if err != nil {
		t.Log("systemd-analyze not installed: exposure not measured")
		return
	}
	out, err := exec.Command(sa, "security", "--offline=yes", unit).CombinedOutput()
	m := regexp.MustCompile(`Overall exposure level for \S+: ([0-9.]+)`).FindSubmatch(out)
	if m == nil {
		t.Logf("systemd-analyze security --offline did not give a score (%v): %s", err, lastLine(out))
		return
	}
	score, _ := strconv.ParseFloat(string(m[1]), 64)
	t.Logf("systemd-analyze security: exposure %.1f", score)
	if score > 2.0 {
		t.Errorf("exposure %.1f > 2.0", score)
	}
}

func lastLine(b []byte) string {
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	return lines[len(lines)-1]
}
