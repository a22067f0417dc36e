package server

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/egovnet/egovnet/collector/fleet"
)

// TestSetAgentConfig: operator mistakes are usage errors; fleet's refusal
// and a saved version are both audited, a bad flag value is not (nothing
// reached the store).
func TestSetAgentConfig(t *testing.T) {
	ctx := context.Background()
	app, err := Open(ctx, loadConfig(t, ""), slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	defer app.Close()
	s := func(v string) *string { return &v }
	tests := []struct {
		name      string
		dept      string
		change    fleet.Change
		usage     bool
		outcome   string // audit outcome expected, "" none
		wantPorts []int
	}{
		{"unknown department", "NOPE", fleet.Change{}, true, "", nil},
		{"bad port", "CZJ", fleet.Change{Ports: s("http")}, true, "", nil},
		{"refused by fleet", "CZJ", fleet.Change{Interval: s("whenever")}, true, "refused", nil},
		{"saved", "CZJ", fleet.Change{Ports: s("22,443")}, false, "ok", []int{22, 443}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before, err := app.Audit.List(ctx, time.Time{}, 0)
			if err != nil {
				t.Fatal(err)
			}
			out, err := app.SetAgentConfig(ctx, tt.dept, tt.change)
			var ue *UsageError
			if errors.As(err, &ue) != tt.usage || (!tt.usage && err != nil) {
				t.Fatalf("err = %v, want usage error %v", err, tt.usage)
			}
			if tt.wantPorts != nil && (len(out.Scope.Ports) != 2 || out.Scope.Ports[1] != 443) {
				t.Errorf("saved ports %v, want %v", out.Scope.Ports, tt.wantPorts)
			}
			after, err := app.Audit.List(ctx, time.Time{}, 0)
			if err != nil {
				t.Fatal(err)
			}
			added := after[len(before):]
			switch {
			case tt.outcome == "" && len(added) != 0:
				t.Errorf("audited %+v, want nothing", added)
			case tt.outcome != "" && (len(added) != 1 || added[0].Action != "agent.config.set" || added[0].Outcome != tt.outcome || added[0].Target != tt.dept):
				t.Errorf("audited %+v, want one agent.config.set %s", added, tt.outcome)
			}
		})
	}
}
