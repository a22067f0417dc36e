// Package contract_test checks the built binaries against the names in
// CONTRACT.md: every command and flag the acceptance checks call must exist,
// every documented configuration key must be accepted from a file and from
// the environment, and bad usage must exit 2.
package contract_test

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"

	"github.com/egovnet/egovnet/internal/testenv"
)

type cli struct {
	t   *testing.T
	bin string
}

func (c cli) run(env []string, args ...string) (string, int) {
	c.t.Helper()
	cmd := exec.Command(c.bin, args...)
	cmd.Env = append(os.Environ(), env...)
	cmd.Stdin = strings.NewReader("")
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	code := testenv.ExitCode(c.t, cmd)
	return out.String(), code
}

func TestCommandsAndFlags(t *testing.T) {
	dir := testenv.BuildBinaries(t, "egovnet-agent", "egovnet-collector", "egovnet-lab")
	tests := []struct {
		bin   string
		args  []string // the command path
		flags []string // every CONTRACT flag of that command
	}{
		{"egovnet-agent", []string{"scan"}, []string{"--config", "--targets", "--methods", "--ports", "--timeout", "--retries", "--rate",
			"--snmp-community", "--snmp-port", "--path-targets", "--format", "--out"}},
		{"egovnet-agent", []string{"snmp-walk"}, []string{"--target", "--community", "--v3-user", "--v3-auth-proto", "--v3-auth-pass",
			"--v3-priv-proto", "--v3-priv-pass", "--v3-context", "--format"}},
		{"egovnet-agent", []string{"enroll"}, []string{"--collector", "--token", "--ca-file"}},
		{"egovnet-agent", []string{"run"}, []string{"--config", "--once"}},
		{"egovnet-agent", []string{"version"}, nil},
		{"egovnet-lab", []string{"up"}, nil},
		{"egovnet-lab", []string{"down"}, nil},
		{"egovnet-lab", []string{"exec"}, nil},
		{"egovnet-lab", []string{"status"}, nil},
		{"egovnet-collector", []string{"serve"}, []string{"--config"}},
		{"egovnet-collector", []string{"token", "create"}, []string{"--department", "--ttl", "--uses"}},
		{"egovnet-collector", []string{"audit"}, []string{"--plan", "--report", "--format"}},
		{"egovnet-collector", []string{"import"}, []string{"--report", "--department"}},
		{"egovnet-collector", []string{"export"}, []string{"--format", "--out", "--department", "--as-of"}},
		{"egovnet-collector", []string{"user", "add"}, []string{"--name", "--role", "--department"}},
		{"egovnet-collector", []string{"auditlog", "list"}, []string{"--since", "--format"}},
		{"egovnet-collector", []string{"auditlog", "verify"}, nil},
		{"egovnet-collector", []string{"catalog", "match"}, []string{"--format"}},
	}
	for _, tc := range tests {
		t.Run(tc.bin+" "+strings.Join(tc.args, " "), func(t *testing.T) {
			c := cli{t, filepath.Join(dir, tc.bin)}
			out, code := c.run(nil, append(tc.args, "--help")...)
			if code != 0 {
				t.Fatalf("--help exit %d:\n%s", code, out)
			}
			for _, f := range tc.flags {
				if !strings.Contains(out, f+" ") && !strings.Contains(out, f+"=") && !strings.Contains(out, f+"\n") {
					t.Errorf("flag %s missing from help:\n%s", f, out)
				}
			}
		})
	}
	t.Run("bad usage exits 2", func(t *testing.T) {
		for _, bin := range []string{"egovnet-agent", "egovnet-collector", "egovnet-lab"} {
			c := cli{t, filepath.Join(dir, bin)}
			if out, code := c.run(nil, "no-such-command"); code != 2 {
				t.Errorf("%s no-such-command: exit %d, want 2\n%s", bin, code, out)
			}
		}
	})
	t.Run("agent version names version commit and go", func(t *testing.T) {
		out, code := cli{t, filepath.Join(dir, "egovnet-agent")}.run(nil, "version")
		if code != 0 || !strings.Contains(out, "go1.") {
			t.Fatalf("version: exit %d: %s", code, out)
		}
	})
}

// TestConfigKeys writes every CONTRACT key in a file and, separately, sets
// every one through its EGOVNET_ variable, and checks that no key is unknown
// to the binary. A bad value must name its key and exit 2.
func TestConfigKeys(t *testing.T) {
	dir := testenv.BuildBinaries(t, "egovnet-agent", "egovnet-collector")
	plan := filepath.Join(testenv.RepoRoot(), "configs", "plan.yaml")
	collectorKeys := map[string]string{
		"listen": "127.0.0.1:1", "data_dir": t.TempDir(), "plan_file": plan,
		"tls.cert_file": "", "tls.key_file": "", "tls.disable": "false",
		"store.driver": "sqlite", "store.dsn": "", "influx.url": "", "influx.token": "", "influx.org": "", "influx.bucket": "",
		"rules.resolve_after": "3", "log.level": "info",
	}
	agentKeys := map[string]string{
		"collector.url": "", "collector.ca_file": "", "data_dir": t.TempDir(), "department": "CZJ",
		"scope.targets": "127.0.0.1/32", "scope.ports": "22,80", "snmp.communities": "public",
		"paths.targets": "127.0.0.1", "schedule.interval": "1h", "log.level": "info",
	}
	// An offline command that loads the whole config: nothing is started.
	type binCase struct {
		bin  string
		keys map[string]string
		args []string
	}
	cases := []binCase{
		{"egovnet-collector", collectorKeys, []string{"token", "create", "--department", "NOPE"}},
		{"egovnet-agent", agentKeys, []string{"scan", "--methods", "tcp", "--targets", "127.0.0.1/32", "--ports", "1", "--timeout", "200ms"}},
	}
	for _, bc := range cases {
		t.Run(bc.bin+" env", func(t *testing.T) {
			var env []string
			for k, v := range bc.keys {
				env = append(env, "EGOVNET_"+strings.ToUpper(strings.NewReplacer(".", "_").Replace(k))+"="+v)
			}
			out, code := cli{t, filepath.Join(dir, bc.bin)}.run(env, bc.args...)
			if strings.Contains(out, "unknown config key") || code == 2 && !strings.Contains(out, "NOPE") {
				t.Fatalf("env keys refused (exit %d):\n%s", code, out)
			}
		})
		t.Run(bc.bin+" file", func(t *testing.T) {
			f := filepath.Join(t.TempDir(), "c.yaml")
			if err := os.WriteFile(f, nested(t, bc.keys), 0o600); err != nil {
				t.Fatal(err)
			}
			out, code := cli{t, filepath.Join(dir, bc.bin)}.run(nil, append(bc.args, "--config", f)...)
			if strings.Contains(out, "unknown config key") || code == 2 && !strings.Contains(out, "NOPE") {
				t.Fatalf("file keys refused (exit %d):\n%s", code, out)
			}
		})
		t.Run(bc.bin+" typo exits 2 naming the key", func(t *testing.T) {
			f := filepath.Join(t.TempDir(), "c.yaml")
			if err := os.WriteFile(f, []byte("lisen: x\n"), 0o600); err != nil {
				t.Fatal(err)
			}
			out, code := cli{t, filepath.Join(dir, bc.bin)}.run(nil, append(bc.args, "--config", f)...)
			if code != 2 || !strings.Contains(out, "lisen") {
				t.Fatalf("typo: exit %d, want 2 naming the key:\n%s", code, out)
			}
		})
	}
}

// nested writes dotted keys as nested YAML; list keys become lists.
func nested(t *testing.T, keys map[string]string) []byte {
	lists := map[string]bool{"scope.targets": true, "scope.ports": true, "snmp.communities": true, "paths.targets": true}
	root := map[string]any{}
	for k, v := range keys {
		var val any = v
		switch {
		case lists[k]:
			val = strings.Split(v, ",")
		case v == "true" || v == "false":
			val = v == "true"
		}
		parts := strings.Split(k, ".")
		m := root
		for _, p := range parts[:len(parts)-1] {
			sub, ok := m[p].(map[string]any)
			if !ok {
				sub = map[string]any{}
				m[p] = sub
			}
			m = sub
		}
		m[parts[len(parts)-1]] = val
	}
	b, err := yaml.Marshal(root)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
