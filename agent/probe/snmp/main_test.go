package snmp

import (
	"context"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/egovnet/egovnet/internal/snmpsim"
	"github.com/egovnet/egovnet/internal/testenv"
)

var update = flag.Bool("update", false, "rewrite golden files under testdata/")

// One snmpsimd serves all 41 recordings for the whole package; it starts on
// first use and stops in TestMain.
var (
	simOnce sync.Once
	simSrv  *snmpsim.Server
	simErr  error
)

func TestMain(m *testing.M) {
	flag.Parse()
	code := m.Run()
	if simSrv != nil {
		simSrv.Stop()
	}
	os.Exit(code)
}

func snmpDataDir(t testing.TB) string {
	t.Helper()
	return filepath.Join(testenv.TestdataDir(t), "snmp")
}

// simulator returns the shared snmpsimd, or skips/fails when it cannot run.
func simulator(t testing.TB) *snmpsim.Server {
	t.Helper()
	if testing.Short() {
		t.Skip("integration test (snmpsimd) skipped in -short mode")
	}
	dir := snmpDataDir(t)
	testenv.Binary(t, "snmpsimd")
	simOnce.Do(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
		defer cancel()
		simSrv, simErr = snmpsim.Start(ctx, snmpsim.Config{
			DataDirs: []string{filepath.Join(dir, "librenms"), filepath.Join(dir, "snmpsim-data")},
		})
	})
	if simErr != nil {
		t.Fatalf("start snmpsimd: %v", simErr)
	}
	if !simSrv.Alive() {
		t.Fatalf("snmpsimd died (a malformed recording kills it): %s", simSrv.Log())
	}
	return simSrv
}

// expectedCounts is /work/shared/testdata/snmp/expected-counts.json.
type expectedCounts struct {
	Devices map[string]struct {
		Set         string `json:"set"`
		ObjectID    string `json:"object_id"`
		Interfaces  int    `json:"interfaces"`
		IPAddresses int    `json:"ip_addresses"`
		ARP         int    `json:"arp"`
		Routes      int    `json:"routes"`
		Neighbors   int    `json:"neighbors"`
		Software    int    `json:"software"`
	} `json:"devices"`
}

func loadExpected(t testing.TB) expectedCounts {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(snmpDataDir(t), "expected-counts.json"))
	if err != nil {
		t.Fatalf("read expected counts: %v", err)
	}
	var e expectedCounts
	if err := json.Unmarshal(b, &e); err != nil {
		t.Fatalf("parse expected counts: %v", err)
	}
	if len(e.Devices) != 41 {
		t.Fatalf("expected-counts.json has %d devices, want 41", len(e.Devices))
	}
	return e
}

// testOpts are generous: snmpsimd is single-threaded Python on a shared,
// loaded 2-core machine, and these tests assert content, not speed.
func testOpts() Options {
	return Options{Timeout: 10 * time.Second, Retries: 2, MaxRepetitions: 25}
}
