package scheduler

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/egovnet/egovnet/agent/spool"
	"github.com/egovnet/egovnet/agent/uplink"
	"github.com/egovnet/egovnet/internal/wire"
)

var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

func fakeScan(ctx context.Context) *wire.ScanReport {
	now := time.Now().UTC()
	return &wire.ScanReport{Schema: wire.SchemaScanV1, ReportID: uuid.NewString(), Agent: wire.Agent{ID: "ag"},
		StartedAt: now, FinishedAt: now, Scope: []string{}, Endpoints: []wire.Endpoint{}, Devices: []wire.DeviceInventory{}, Paths: []wire.Path{}}
}

type recorder struct {
	mu      sync.Mutex
	down    bool
	reports []wire.ScanReport
}

func (r *recorder) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.down {
		w.WriteHeader(http.StatusServiceUnavailable)
		return
	}
	rep, err := wire.DecodeReport(req.Body, 1<<20)
	if err != nil {
		w.WriteHeader(http.StatusBadRequest)
		return
	}
	r.reports = append(r.reports, *rep)
	w.WriteHeader(http.StatusAccepted)
	_ = json.NewEncoder(w).Encode(map[string]any{"report_id": rep.ReportID, "accepted": true})
}

func TestCycleSpoolsWhileDownAndCatchesUp(t *testing.T) {
	rec := &recorder{down: true}
	srv := httptest.NewServer(rec)
	defer srv.Close()
	sp, _ := spool.Open(t.TempDir(), 2)
	cl, _ := uplink.New(srv.URL, uplink.Options{Retries: -1})
	c := &Cycle{Scan: fakeScan, Spool: sp, MaxReports: 2, Client: cl, Credential: "cred", Log: quiet}
	for range 3 {
		res, err := c.Run(context.Background())
		if err != nil || res.FlushErr == nil {
			t.Fatalf("down cycle: %+v %v", res, err)
		}
	}
	if sp.Depth() != 2 || sp.Dropped() != 1 {
		t.Fatalf("depth %d dropped %d", sp.Depth(), sp.Dropped())
	}
	rec.mu.Lock()
	rec.down = false
	rec.mu.Unlock()
	res, err := c.Run(context.Background())
	if err != nil || res.FlushErr != nil || sp.Depth() != 0 || len(rec.reports) != 3 {
		t.Fatalf("up cycle: %+v %v depth %d sent %d", res, err, sp.Depth(), len(rec.reports))
	}
	// Oldest first; each report tells what the spool held when it was made:
	// cycle 2 saw one pending, cycle 3 two pending after dropping cycle 1's.
	got := [][2]int64{}
	for _, r := range rec.reports {
		got = append(got, [2]int64{r.Stats.SpoolDepth, r.Stats.DroppedReports})
	}
	if want := [][2]int64{{1, 0}, {2, 1}, {0, 1}}; fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("spool stats per report %v, want %v", got, want)
	}
	if rec.reports[2].ReportID != res.ReportID {
		t.Fatal("current report not sent last")
	}
}

func TestCycleWithoutCollectorKeepsReport(t *testing.T) {
	sp, _ := spool.Open(t.TempDir(), 5)
	c := &Cycle{Scan: fakeScan, Spool: sp, MaxReports: 5, Log: quiet}
	res, err := c.Run(context.Background())
	if err != nil || res.FlushErr == nil || sp.Depth() != 1 {
		t.Fatalf("%+v %v", res, err)
	}
	c.Client, _ = uplink.New("http://127.0.0.1:1", uplink.Options{})
	res, _ = c.Run(context.Background())
	if res.FlushErr != uplink.ErrNotEnrolled || sp.Depth() != 2 {
		t.Fatalf("not enrolled: %+v", res)
	}
}

func TestLoopStopsOnCancel(t *testing.T) {
	sp, _ := spool.Open(t.TempDir(), 5)
	ctx, cancel := context.WithCancel(context.Background())
	n := 0
	c := &Cycle{Spool: sp, MaxReports: 5, Log: quiet, Scan: func(ctx context.Context) *wire.ScanReport {
		n++
		cancel()
		return fakeScan(ctx)
	}}
	if err := Loop(ctx, c, time.Hour, 0.1); err != nil || n != 1 {
		t.Fatalf("loop %v after %d cycles", err, n)
	}
}

func TestNext(t *testing.T) {
	tests := []struct {
		interval time.Duration
		jitter   float64
		r        float64
		want     time.Duration
	}{
		{time.Hour, 0, 0.9, time.Hour},
		{time.Hour, 0.1, 0, time.Hour},
		{time.Hour, 0.1, 0.5, time.Hour + 3*time.Minute},
		{time.Hour, -1, 0.5, time.Hour},
	}
	for _, tc := range tests {
		if got := Next(tc.interval, tc.jitter, tc.r); got != tc.want {
			t.Errorf("Next(%v,%v,%v) = %v, want %v", tc.interval, tc.jitter, tc.r, got, tc.want)
		}
	}
}
