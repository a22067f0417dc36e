package server

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"github.com/egovnet/egovnet/collector/auditlog"
	"github.com/egovnet/egovnet/collector/ingest"
	"github.com/egovnet/egovnet/collector/inventory"
	"github.com/egovnet/egovnet/collector/store/storetest"
	"github.com/egovnet/egovnet/internal/wire"
	"github.com/google/uuid"
)

// gate fails while failing is set, else blocks each report until released.
type gate struct {
	failing atomic.Bool
	entered chan struct{}
	release chan struct{}
}

func (g *gate) Name() string { return "gate" }
func (g *gate) Process(ctx context.Context, _ *wire.ScanReport, _ string) error {
	if g.failing.Load() {
		return errors.New("crash stand-in")
	}
	g.entered <- struct{}{}
	<-g.release
	return nil
}

// TestServeListensBeforeReplay is issue #10 item 6: after a crash left
// reports pending, the collector answers requests while it replays them
// in the background, and the replay still completes.
func TestServeListensBeforeReplay(t *testing.T) {
	addr := freeAddr(t)
	cfg := loadConfig(t, fmt.Sprintf("listen: %s\n", addr))
	ctx := context.Background()
	app, err := Open(ctx, cfg, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	defer app.Close()
	g := &gate{entered: make(chan struct{}, 1), release: make(chan struct{})}
	g.failing.Store(true)
	app.Ingester.Use(g)
	now := time.Now().UTC()
	rep := &wire.ScanReport{Schema: wire.SchemaScanV1, ReportID: uuid.NewString(), Agent: wire.Agent{ID: "a1", Department: "CZJ"},
		StartedAt: now.Add(-time.Minute), FinishedAt: now, Scope: []string{"10.1.0.0/24"}}
	res, err := app.Ingester.Ingest(ctx, rep, "CZJ", ingest.Source{Kind: inventory.SourceImport, AgentID: "a1",
		Actor: auditlog.Entry{ActorKind: auditlog.KindOperator, Actor: "test"}})
	if err != nil || len(res.ProcessErrors) == 0 {
		t.Fatalf("setup: want a pending report, got %+v %v", res, err)
	}
	g.failing.Store(false)

	stop := serve(t, app, "http://"+addr, http.DefaultClient) // returns once /healthz answers
	select {
	case <-g.entered:
	case <-time.After(time.Minute):
		t.Fatal("the pending report was never replayed")
	}
	// The replay is blocked inside the processor: the API still answers.
	r, err := http.Get("http://" + addr + "/healthz")
	if err != nil || r.StatusCode != 200 {
		t.Fatalf("healthz during replay: %v %v", r, err)
	}
	r.Body.Close()
	close(g.release)
	for i := 0; ; i++ { // wait for the replay to mark the report processed
		pend, err := app.Inventory.Pending(ctx, 10)
		if err != nil {
			t.Fatal(err)
		}
		if len(pend) == 0 {
			break
		}
		if i > 600 {
			t.Fatalf("still pending after replay: %+v", pend)
		}
		time.Sleep(50 * time.Millisecond)
	}
	stop()
	if _, err := os.Stat(filepath.Join(cfg.DataDir, auditlog.AnchorFileName)); err != nil {
		t.Fatalf("audit anchor not written by serve: %v", err)
	}
}

// TestConcurrentOpensPostgres is issue #10 item 5 with every package's
// migrations: ten collectors opening one empty PostgreSQL schema at the
// same moment all start.
func TestConcurrentOpensPostgres(t *testing.T) {
	dsn := storetest.NewPostgresEmptySchema(t)
	cfg := loadConfig(t, fmt.Sprintf("store: {driver: postgres, dsn: %q}\n", dsn))
	const n = 10
	errs := make(chan error, n)
	start := make(chan struct{})
	for i := 0; i < n; i++ {
		go func() {
			<-start
			app, err := Open(context.Background(), cfg, slog.New(slog.NewTextHandler(io.Discard, nil)))
			if err == nil {
				err = app.Close()
			}
			errs <- err
		}()
	}
	close(start)
	for i := 0; i < n; i++ {
		if err := <-errs; err != nil {
			t.Errorf("collector %d of %d failed to start: %v", i+1, n, err)
		}
	}
}
