package config

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/egovnet/egovnet/internal/testenv"
)

func load(t *testing.T, yaml string, env map[string]string) (*Config, error) {
	t.Helper()
	for k, v := range env {
		t.Setenv(k, v)
	}
	file := ""
	if yaml != "" {
		file = filepath.Join(t.TempDir(), "agent.yaml")
		if err := os.WriteFile(file, []byte(yaml), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	return Load(nil, file)
}

func TestLoadDefaults(t *testing.T) {
	c, err := load(t, "", nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(c.Scope.Targets) != 0 {
		t.Fatalf("default scope must be empty, got %v", c.Scope.Targets)
	}
	if c.DataDir != "./agent-data" || c.SNMP.Port != 161 || c.Probe.Timeout != time.Second || c.Spool.MaxReports != 100 {
		t.Fatalf("defaults: %+v", c)
	}
	if fmt.Sprint(c.Scope.Ports) != fmt.Sprint(DefaultPorts) {
		t.Fatalf("ports = %v", c.Scope.Ports)
	}
}

func TestLoadValues(t *testing.T) {
	yaml := `
collector: {url: "https://collector.example:8443", ca_file: /etc/egovnet/ca.pem}
department: CZJ
scope: {targets: ["10.1.0.0/24", "10.1.1.7"], ports: [22, 443]}
snmp:
  communities: [public, s3cret]
  v3:
    - {user: admin, auth_proto: sha, auth_pass: authpass1, priv_proto: aes, priv_pass: privpass1, context: ""}
paths:
  targets:
    - 203.0.113.10
    - "extranet:10.255.0.1"
    - {address: "2001:db8::1", kind: internet}
`
	c, err := load(t, yaml, map[string]string{"EGOVNET_SCHEDULE_INTERVAL": "15m"})
	if err != nil {
		t.Fatal(err)
	}
	if c.Department != "CZJ" || len(c.Scope.Targets) != 2 || c.Schedule.Interval != 15*time.Minute {
		t.Fatalf("values: %+v", c)
	}
	if c.SNMP.Communities[1].Reveal() != "s3cret" || c.SNMP.V3[0].PrivPass.Reveal() != "privpass1" {
		t.Fatalf("secrets not decoded: %#v", c.SNMP)
	}
	got := fmt.Sprintf("%+v", c.Paths.Targets)
	want := "[{Address:203.0.113.10 Kind:} {Address:10.255.0.1 Kind:extranet} {Address:2001:db8::1 Kind:internet}]"
	if got != want {
		t.Fatalf("paths = %s, want %s", got, want)
	}
	if s := fmt.Sprintf("%v %+v", c.SNMP, c); strings.Contains(s, "s3cret") || strings.Contains(s, "privpass1") {
		t.Fatalf("secret leaked in %s", s)
	}
}

func TestLoadEnvLists(t *testing.T) {
	c, err := load(t, "", map[string]string{
		"EGOVNET_SCOPE_TARGETS":    "10.1.0.0/24,10.1.1.0/24",
		"EGOVNET_SCOPE_PORTS":      "22,80",
		"EGOVNET_SNMP_COMMUNITIES": "a,b",
		"EGOVNET_PATHS_TARGETS":    "internet:203.0.113.10,10.255.0.1",
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(c.Scope.Targets) != 2 || fmt.Sprint(c.Scope.Ports) != "[22 80]" || len(c.SNMP.Communities) != 2 {
		t.Fatalf("env: %+v", c)
	}
	if c.Paths.Targets[0].Kind != "internet" || c.Paths.Targets[1].Address != "10.255.0.1" {
		t.Fatalf("env paths: %+v", c.Paths.Targets)
	}
}

func TestValidateNamesEveryProblem(t *testing.T) {
	yaml := `
collector: {url: "ftp://x"}
scope: {targets: ["10.1.0.1/24", "nonsense"], ports: [0, 70000]}
snmp:
  port: 0
  v3:
    - {user: "", auth_proto: rot13, priv_proto: aes}
paths: {targets: ["not-an-ip", {address: 192.0.2.1, kind: moon}]}
probe: {timeout: 0s, retries: -1, rate: -1, max_rate: 0}
schedule: {interval: 10s}
spool: {max_reports: 0}
log: {level: loud}
`
	_, err := load(t, yaml, nil)
	if err == nil {
		t.Fatal("want errors")
	}
	for _, want := range []string{
		`collector.url "ftp://x"`,
		`host bits set (did you mean 10.1.0.0/24?)`,
		`target "nonsense"`,
		"port 0", "port 70000",
		"snmp.port 0",
		"snmp.v3[0].user", `snmp.v3[0].auth_proto "rot13"`, "snmp.v3[0].priv_pass",
		`paths.targets[0].address "not-an-ip"`, `paths.targets[1].kind "moon"`,
		"probe.timeout", "probe.retries -1", "probe.rate -1", "probe.max_rate 0",
		"schedule.interval 10s", "spool.max_reports 0", `log.level "loud"`,
	} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error lacks %q:\n%v", want, err)
		}
	}
}

func TestScopeTooLarge(t *testing.T) {
	_, err := load(t, "scope: {targets: [10.0.0.0/8]}\n", nil)
	if err == nil || !strings.Contains(err.Error(), "exceed the limit") {
		t.Fatalf("err = %v", err)
	}
}

func TestUnknownKey(t *testing.T) {
	_, err := load(t, "scope: {targetz: [10.0.0.0/24]}\n", nil)
	if err == nil || !strings.Contains(err.Error(), `unknown config key "scope.targetz"`) {
		t.Fatalf("err = %v", err)
	}
}

func TestParseTarget(t *testing.T) {
	tests := []struct{ in, want, err string }{
		{"10.1.0.0/24", "10.1.0.0/24", ""},
		{"127.0.0.1", "127.0.0.1/32", ""},
		{"::1", "::1/128", ""},
		{"10.1.0.5/24", "", "host bits"},
		{"example.org", "", "not an address"},
	}
	for _, tc := range tests {
		t.Run(tc.in, func(t *testing.T) {
			p, err := ParseTarget(tc.in)
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("err = %v", err)
				}
				return
			}
			if err != nil || p.String() != tc.want {
				t.Fatalf("got %v %v", p, err)
			}
		})
	}
}

// TestExampleConfig loads the shipped configs/agent.yaml: it must be valid,
// match the defaults, and keep the scope empty.
func TestExampleConfig(t *testing.T) {
	file := filepath.Join(testenv.RepoRoot(), "configs", "agent.yaml")
	c, err := Load(nil, file)
	if err != nil {
		t.Fatalf("configs/agent.yaml: %v", err)
	}
	def, err := Load(nil, "")
	if err != nil {
		t.Fatal(err)
	}
	if len(c.Scope.Targets) != 0 {
		t.Fatalf("example scope must be empty: %v", c.Scope.Targets)
	}
	if fmt.Sprintf("%+v", *c) != fmt.Sprintf("%+v", *def) {
		t.Fatalf("example differs from defaults:\n%+v\n%+v", *c, *def)
	}
}

func TestWarnings(t *testing.T) {
	tests := []struct {
		name, url string
		warn      bool
	}{
		{"https remote", "https://collector.example.gov.cn:8443", false},
		{"http loopback", "http://127.0.0.1:8080", false},
		{"http localhost", "http://localhost:8080", false},
		{"http ipv6 loopback", "http://[::1]:8080", false},
		{"http remote", "http://10.0.0.5:8080", true},
		{"unset", "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := Config{Collector: Collector{URL: tt.url}}
			if got := len(c.Warnings()) > 0; got != tt.warn {
				t.Fatalf("warnings %v, want warn=%v", c.Warnings(), tt.warn)
			}
		})
	}
}
