package config

import (
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/egovnet/egovnet/internal/plan"
	"github.com/egovnet/egovnet/internal/testenv"
)

// The shipped examples must load with the real loaders.
func TestShippedExamplesLoad(t *testing.T) {
	root := testenv.RepoRoot()
	cfg, err := Load(filepath.Join(root, "configs", "collector.yaml"))
	if err != nil {
		t.Fatalf("configs/collector.yaml: %v", err)
	}
	if cfg.Listen != "127.0.0.1:8080" || cfg.Rules.ResolveAfter != 3 || cfg.Store.Driver != "sqlite" || cfg.Audit.Retention != 180*24*time.Hour {
		t.Fatalf("configs/collector.yaml does not show the defaults: %+v", cfg)
	}
	p, err := plan.Load(filepath.Join(root, cfg.PlanFile))
	if err != nil {
		t.Fatalf("%s: %v", cfg.PlanFile, err)
	}
	if d, ok := p.Department("CZJ"); !ok || d.Name != "区财政局" {
		t.Fatalf("configs/plan.yaml lacks department CZJ: %+v", p.Departments)
	}
}

func write(t *testing.T, body string) string {
	t.Helper()
	f := filepath.Join(t.TempDir(), "collector.yaml")
	if err := os.WriteFile(f, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	return f
}

func TestLoad(t *testing.T) {
	tests := []struct {
		name  string
		file  string
		env   map[string]string
		want  []string // substrings of the error; none = valid
		check func(t *testing.T, c *Config)
	}{
		{name: "defaults", check: func(t *testing.T, c *Config) {
			if c.Listen != "127.0.0.1:8080" || c.DataDir != "./data" || c.Store.Driver != "sqlite" || c.Rules.ResolveAfter != 3 ||
				c.Limits.MaxReportBytes != 64<<20 || c.Auth.MaxLoginFailures != 5 || c.TLSEnabled() || c.PlainHTTPOverride() {
				t.Fatalf("defaults: %+v", c)
			}
		}},
		{name: "env overrides", env: map[string]string{"EGOVNET_STORE_DRIVER": "postgres", "EGOVNET_STORE_DSN": "postgres://x@y/z", "EGOVNET_RULES_RESOLVE_AFTER": "5"},
			check: func(t *testing.T, c *Config) {
				if c.Store.Driver != "postgres" || c.Store.DSN.Reveal() != "postgres://x@y/z" || c.Rules.ResolveAfter != 5 {
					t.Fatalf("env: %+v", c)
				}
				if s := c.Store.DSN.String(); s != "<secret>" {
					t.Fatalf("dsn prints as %q", s)
				}
			}},
		{name: "non-loopback needs TLS", file: "listen: 0.0.0.0:8443\n", want: []string{"tls: listen \"0.0.0.0:8443\" is not a loopback address"}},
		{name: "empty host needs TLS", file: "listen: \":8443\"\n", want: []string{"not a loopback address"}},
		{name: "tls disabled explicitly", file: "listen: 0.0.0.0:8080\ntls: {disable: true}\n", check: func(t *testing.T, c *Config) {
			if !c.PlainHTTPOverride() {
				t.Fatal("plain HTTP override not reported")
			}
		}},
		{name: "tls configured", file: "listen: 0.0.0.0:8443\ntls: {cert_file: c.pem, key_file: k.pem}\n", check: func(t *testing.T, c *Config) {
			if !c.TLSEnabled() || c.PlainHTTPOverride() {
				t.Fatal("TLS not enabled")
			}
		}},
		{name: "localhost is loopback", file: "listen: localhost:9000\n"},
		{name: "ipv6 loopback", file: "listen: \"[::1]:9000\"\n"},
		{name: "every problem at once", file: `listen: nope
store: {driver: mysql}
rules: {resolve_after: 0}
log: {level: loud}
tls: {cert_file: x}
audit: {retention: 24h}
limits: {max_report_bytes: 10}
`, want: []string{"listen:", "store.driver: \"mysql\"", "rules.resolve_after", "log.level", "tls: cert_file and key_file", "audit.retention", "limits.max_report_bytes"}},
		{name: "raw retention below the facts horizon", file: "inventory: {raw_retention: 24h}\n", want: []string{"inventory.raw_retention: must be 0 (keep whole) or at least rules.facts_horizon"}},
		{name: "raw retention 0 keeps whole", file: "inventory: {raw_retention: 0s}\n"},
		{name: "batching off", file: "rules: {batch_above: 0}\n"},
		{name: "report limit that would overflow the upload budget", file: "limits: {max_report_bytes: 2305843009213693952}\n",
			want: []string{"limits.max_report_bytes: must be between 1024 and 4294967296"}},
		{name: "batching out of range", file: "rules: {batch_above: -1, batch_interval: 10ms}\n",
			want: []string{"rules.batch_above: must be 0", "rules.batch_interval: must be between 100ms and 10m (got 10ms)"}},
		{name: "judgement lag bound below three batch intervals", file: "rules: {batch_interval: 20s}\n",
			want: []string{"rules.max_judgement_lag: must be 0 (no bound) or between 3 × rules.batch_interval (1m0s) and 24h (got 30s)"}},
		{name: "judgement lag unbounded", file: "rules: {batch_interval: 20s, max_judgement_lag: 0s}\n"},
		{name: "judgement lag bound above a day", file: "rules: {max_judgement_lag: 48h}\n",
			want: []string{"rules.max_judgement_lag: must be 0 (no bound) or between"}},
		{name: "postgres needs dsn", file: "store: {driver: postgres}\n", want: []string{"store.dsn: required"}},
		{name: "influx needs bucket", file: "influx: {url: http://127.0.0.1:8086}\n", want: []string{"influx.bucket: required"}},
		{name: "unknown key", file: "lisen: 1\n", want: []string{`unknown config key "lisen"`}},
		{name: "bad duration", file: "auth: {session_ttl: soon}\n", want: []string{"session_ttl"}},
		{name: "missing file", file: "-", want: []string{"read config"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			for k, v := range tc.env {
				t.Setenv(k, v)
			}
			file := ""
			switch tc.file {
			case "":
			case "-":
				file = filepath.Join(t.TempDir(), "absent.yaml")
			default:
				file = write(t, tc.file)
			}
			c, err := Load(file)
			if len(tc.want) == 0 {
				if err != nil {
					t.Fatalf("unexpected error: %v", err)
				}
				if tc.check != nil {
					tc.check(t, c)
				}
				return
			}
			if err == nil {
				t.Fatal("invalid configuration accepted")
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error lacks %q:\n%v", w, err)
				}
			}
		})
	}
}

var update = flag.Bool("update", false, "rewrite testdata/*.err golden files")

// Invalid fixtures are checked against their exact error text, so a
// message that stops naming the key is caught.
func TestInvalidFixtures(t *testing.T) {
	files, _ := filepath.Glob(filepath.Join("testdata", "invalid-*.yaml"))
	if len(files) == 0 {
		t.Fatal("no fixtures")
	}
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			_, err := Load(f)
			if err == nil {
				t.Fatal("invalid configuration accepted")
			}
			got := strings.ReplaceAll(err.Error(), f, "FILE") + "\n"
			golden := strings.TrimSuffix(f, ".yaml") + ".err"
			if *update {
				if err := os.WriteFile(golden, []byte(got), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("read golden (run with -update): %v", err)
			}
			if got != string(want) {
				t.Fatalf("error text changed:\n--- got\n%s--- want\n%s", got, want)
			}
		})
	}
}
