package daemon

import (
	"context"
	"io"
	"log/slog"
	"testing"

	"github.com/egovnet/egovnet/agent/config"
	"github.com/egovnet/egovnet/agent/scheduler"
	iconfig "github.com/egovnet/egovnet/internal/config"
	"github.com/egovnet/egovnet/internal/wire"
)

// TestScanWithScopeClaims: a report claims the scope it probed, and the
// endpoint profile probes none even when scope.targets is configured.
func TestScanWithScopeClaims(t *testing.T) {
	tests := []struct {
		name      string
		profile   string
		targets   []string
		wantScope int
	}{
		{"endpoint profile with a configured scope", "endpoint", []string{"192.0.2.0/24"}, 0},
		{"endpoint profile without scope", "endpoint", nil, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Setenv("EGOVNET_DATA_DIR", t.TempDir())
			c, err := config.Load(iconfig.New(), "")
			if err != nil {
				t.Fatal(err)
			}
			c.Profile, c.Scope.Targets = tc.profile, tc.targets
			d := &Daemon{Local: c, Cycle: &scheduler.Cycle{}, Agent: wire.Agent{ID: "a1"},
				Log: slog.New(slog.NewTextHandler(io.Discard, nil))}
			rep := d.ScanWith(context.Background(), c)
			if len(rep.Scope) != tc.wantScope || rep.Stats.AddressesProbed != 0 {
				t.Fatalf("scope %v, addresses_probed %d: want %d prefixes and 0 probed", rep.Scope, rep.Stats.AddressesProbed, tc.wantScope)
			}
			if len(rep.Endpoints) != 0 {
				t.Fatalf("endpoint profile reported %d endpoints", len(rep.Endpoints))
			}
			if err := rep.Validate(); err != nil {
				t.Fatalf("report refused by the wire validation the collector runs: %v", err)
			}
		})
	}
}
