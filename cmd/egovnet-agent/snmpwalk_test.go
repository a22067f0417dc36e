package main

import (
	"bytes"
	"context"
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/egovnet/egovnet/internal/snmpsim"
	"github.com/egovnet/egovnet/internal/testenv"
	"github.com/egovnet/egovnet/internal/wire"
)

func runSnmpWalk(args ...string) (string, string, error) {
	cmd := newSnmpWalkCmd()
	var out, errOut bytes.Buffer
	cmd.SetOut(&out)
	cmd.SetErr(&errOut)
	cmd.SetArgs(args)
	err := cmd.ExecuteContext(context.Background())
	return out.String(), errOut.String(), err
}

func TestSnmpWalkUsage(t *testing.T) {
	for _, tc := range []struct {
		name string
		args []string
		want string
	}{
		{"no target", nil, "--target is required"},
		{"bad format", []string{"--target", "127.0.0.1", "--format", "xml"}, "--format"},
		{"community and v3", []string{"--target", "127.0.0.1", "--community", "c", "--v3-user", "u"}, "exclusive"},
		{"v3 option without user", []string{"--target", "127.0.0.1", "--v3-auth-pass", "x"}, "need --v3-user"},
		{"unknown table", []string{"--target", "127.0.0.1", "--tables", "bogus"}, "unknown table"},
		{"bad max-repetitions", []string{"--target", "127.0.0.1", "--max-repetitions", "0"}, "--max-repetitions"},
		{"unknown v3 auth protocol", []string{"--target", "127.0.0.1", "--v3-user", "u", "--v3-auth-proto", "SHA9", "--v3-auth-pass", "x12345678"}, "unknown auth protocol"},
		{"short v3 passphrase", []string{"--target", "127.0.0.1", "--v3-user", "u", "--v3-auth-proto", "SHA", "--v3-auth-pass", "short"}, "shorter than 8"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, _, err := runSnmpWalk(tc.args...)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want %q", err, tc.want)
			}
			ec, ok := err.(interface{ ExitCode() int })
			if !ok || ec.ExitCode() != 2 {
				t.Errorf("bad usage must exit 2, got %v", err)
			}
		})
	}
}

func TestSnmpWalkAgainstSimulator(t *testing.T) {
	if testing.Short() {
		t.Skip("starts snmpsimd")
	}
	testenv.Binary(t, "snmpsimd")
	dir := filepath.Join(testenv.TestdataDir(t), "snmp", "librenms")
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	sim, err := snmpsim.Start(ctx, snmpsim.Config{DataDirs: []string{dir}})
	if err != nil {
		t.Fatalf("start snmpsimd: %v", err)
	}
	defer sim.Stop()

	out, _, err := runSnmpWalk("--target", sim.Endpoint(), "--community", "vrp_5720", "--timeout", "10s")
	if err != nil {
		t.Fatalf("walk: %v", err)
	}
	var inv wire.DeviceInventory
	if err := json.Unmarshal([]byte(out), &inv); err != nil {
		t.Fatalf("output is not a DeviceInventory: %v\n%s", err, out)
	}
	if inv.System.ObjectID != "1.3.6.1.4.1.2011.2.23.291" || len(inv.Interfaces) != 65 || len(inv.Neighbors) != 5 {
		t.Errorf("inventory: oid %s, %d interfaces, %d neighbours", inv.System.ObjectID, len(inv.Interfaces), len(inv.Neighbors))
	}

	out, _, err = runSnmpWalk("--target", sim.Endpoint(), "--community", "ios_2960x", "--format", "table", "--timeout", "10s")
	if err != nil {
		t.Fatalf("walk table: %v", err)
	}
	for _, want := range []string{"sysObjectID", "1.3.6.1.4.1.9.1.1208", "interfaces=146", "== 邻居 neighbors (7)"} {
		if !strings.Contains(out, want) {
			t.Errorf("table output lacks %q:\n%s", want, out)
		}
	}

	// Several targets: a JSON array in target order, summary on stderr.
	out, errOut, err := runSnmpWalk("--target", sim.Endpoint()+","+sim.Endpoint(), "--community", "zxa10_c320",
		"--tables", "system", "--timeout", "10s")
	if err != nil {
		t.Fatalf("walk many: %v", err)
	}
	var many []wire.DeviceInventory
	if err := json.Unmarshal([]byte(out), &many); err != nil || len(many) != 2 || many[1].System.ObjectID == "" {
		t.Errorf("many: %v %+v", err, many)
	}
	if !strings.Contains(errOut, "2 targets, 2 answered") {
		t.Errorf("summary: %q", errOut)
	}

	// A silent device is a runtime failure (exit 1), not a usage error.
	_, _, err = runSnmpWalk("--target", sim.Endpoint(), "--community", "nobody-here", "--timeout", "300ms", "--retries", "0")
	if err == nil {
		t.Fatal("silent device: no error")
	}
	if ec, ok := err.(interface{ ExitCode() int }); ok && ec.ExitCode() == 2 {
		t.Errorf("silent device reported as bad usage: %v", err)
	}
}
