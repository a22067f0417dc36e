package loadgen

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"os/signal"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/egovnet/egovnet/collector/config"
	"github.com/egovnet/egovnet/collector/inventory"
	"github.com/egovnet/egovnet/collector/server"
	"github.com/egovnet/egovnet/collector/store"
	"github.com/egovnet/egovnet/collector/store/storetest"
)

// serveEnv makes this test binary act as `egovnet-collector --config F
// serve` (server.Open then Serve, exactly what the serve command runs), so
// Start can run a real collector process without building the command.
const serveEnv = "EGOVNET_LOADGEN_TEST_SERVE"

func TestMain(m *testing.M) {
	if os.Getenv(serveEnv) == "1" {
		os.Exit(serveChild(os.Args[1:]))
	}
	os.Exit(m.Run())
}

func serveChild(args []string) int {
	if len(args) != 3 || args[0] != "--config" || args[2] != "serve" {
		os.Stderr.WriteString("test collector: want --config FILE serve\n")
		return 2
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	cfg, err := config.Load(args[1])
	if err != nil {
		os.Stderr.WriteString(err.Error() + "\n")
		return 2
	}
	app, err := server.Open(ctx, cfg, slog.New(slog.NewTextHandler(os.Stderr, nil)))
	if err != nil {
		os.Stderr.WriteString(err.Error() + "\n")
		return 1
	}
	defer app.Close()
	if err := app.Serve(ctx); err != nil {
		os.Stderr.WriteString(err.Error() + "\n")
		return 1
	}
	return 0
}

// postgresDSN is the test PostgreSQL, or a skip (a failure under
// EGOVNET_REQUIRE_INTEGRATION=1) when none answers.
func postgresDSN(t *testing.T) string {
	dsn := storetest.PostgresDSN()
	db, err := store.OpenPostgres(context.Background(), dsn)
	if err != nil {
		if storetest.RequireIntegration() {
			t.Fatalf("postgres required but unavailable: %v", err)
		}
		t.Skipf("postgres unavailable: %v", err)
	}
	db.Close()
	return dsn
}

// TestRunAgainstCollector drives a real collector process over loopback
// HTTP on each store and scenario; every acknowledged report must be
// listed by GET /api/v1/reports, checked here apart from loadgen's own
// verification.
func TestRunAgainstCollector(t *testing.T) {
	if testing.Short() {
		t.Skip("starts collector processes")
	}
	t.Setenv(serveEnv, "1") // the collector child inherits it
	cases := []struct {
		name        string
		departments int
		o           Options
		measured    int // reports of the measured phase (-1: as many as the duration allowed)
		stored      int // every report, fill included (-1: the measured ones)
	}{
		{"load", 5, Options{Scenario: ScenarioLoad, Agents: 10, Concurrency: 4, Reports: 50}, 50, 50},
		{"load for a duration", 3, Options{Scenario: ScenarioLoad, Agents: 8, Concurrency: 8, Duration: time.Second}, -1, -1},
		{"district", 6, Options{Scenario: ScenarioDistrict, Concurrency: 4, Fill: 20, Endpoints: 40, Samples: 3}, 3, 6 + 3},
		{"department", 2, Options{Scenario: ScenarioDepartment, Concurrency: 4, Fill: 2500, Samples: 3}, 3, 3 + 3},
	}
	for _, backend := range []string{"sqlite", "postgres"} {
		for _, c := range cases {
			t.Run(backend+"/"+c.name, func(t *testing.T) {
				ctx := context.Background()
				so := StartOptions{Binary: os.Args[0], Departments: c.departments, Dir: t.TempDir()}
				if backend == "postgres" {
					so.Postgres = postgresDSN(t)
				}
				tg, err := Start(ctx, so)
				if err != nil {
					t.Fatal(err)
				}
				defer tg.Close()
				res, err := Run(ctx, tg, c.o)
				if err != nil {
					t.Fatal(err)
				}
				if c.measured < 0 { // no upload may be left without an answer at the deadline
					c.measured, c.stored = max(res.Reports, 1), max(res.Reports, 1)
				}
				if res.Reports != c.measured || res.Failed != 0 || res.Latency.Count != c.measured {
					t.Errorf("%d reports acknowledged, %d failed (%v), %d latencies; want %d, 0", res.Reports, res.Failed, res.ErrorsByStatus, res.Latency.Count, c.measured)
				}
				if !res.Verified || res.Stored != c.stored {
					t.Errorf("loadgen counted %d stored (verified %v), want %d", res.Stored, res.Verified, c.stored)
				}
				if res.Memory.PID != tg.PID || res.Memory.HWMKB <= 0 {
					t.Errorf("collector memory %+v, want the peak RSS of pid %d", res.Memory, tg.PID)
				}
				if res.Store != backend {
					t.Errorf("store %q, want %q", res.Store, backend)
				}
				// a load is followed until its queued scans are judged;
				// the other scenarios time single reports
				if judged := res.JudgedAfterMS >= 0; judged != (c.o.Scenario == ScenarioLoad) {
					t.Errorf("judged_after_ms %.1f for scenario %s", res.JudgedAfterMS, c.o.Scenario)
				}
				// independently of loadgen: the collector lists every report
				// (a page at a time: a fast run stores more than one page)
				user, pw := tg.Credentials()
				var reps []inventory.Report
				total := -1
				for len(reps) < c.stored+1 {
					req, _ := http.NewRequestWithContext(ctx, http.MethodGet, fmt.Sprintf("%s/api/v1/reports?limit=1000&offset=%d", tg.URL, len(reps)), nil)
					req.SetBasicAuth(user, pw)
					resp, err := http.DefaultClient.Do(req)
					if err != nil {
						t.Fatal(err)
					}
					body, _ := io.ReadAll(resp.Body)
					resp.Body.Close()
					var page []inventory.Report
					if err := json.Unmarshal(body, &page); err != nil {
						t.Fatalf("GET /api/v1/reports: %s: %v", body, err)
					}
					total, _ = strconv.Atoi(resp.Header.Get("X-Total-Count"))
					if len(page) == 0 {
						break
					}
					reps = append(reps, page...)
				}
				if len(reps) != c.stored || total != c.stored {
					t.Errorf("GET /api/v1/reports lists %d (X-Total-Count %d), want %d", len(reps), total, c.stored)
				}
				for _, r := range reps {
					if !r.Processed || r.ProcessError != "" {
						t.Errorf("report %s of %s not processed cleanly: %q", r.ReportID, r.AgentID, r.ProcessError)
					}
				}
			})
		}
	}
}

// TestAttach loads a collector that is already running, as --url does,
// after other reports are stored: only this run's reports are counted.
func TestAttach(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a collector process")
	}
	t.Setenv(serveEnv, "1")
	ctx := context.Background()
	own, err := Start(ctx, StartOptions{Binary: os.Args[0], Departments: 3, Dir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	defer own.Close()
	if _, err := Run(ctx, own, Options{Agents: 4, Concurrency: 2, Reports: 7}); err != nil {
		t.Fatal(err)
	}
	user, pw := own.Credentials()
	tg, err := Attach(ctx, AttachOptions{URL: own.URL + "/", ConfigFile: own.configFile, PID: own.PID, User: user, Password: pw})
	if err != nil {
		t.Fatal(err)
	}
	res, err := Run(ctx, tg, Options{Agents: 4, Concurrency: 4, Reports: 12})
	if err != nil {
		t.Fatal(err)
	}
	if res.Reports != 12 || res.Stored != 12 || !res.Verified || res.Store != "" || res.Memory.HWMKB <= 0 || res.JudgedAfterMS != -1 {
		t.Errorf("attached run: %d reports, %d stored (verified %v), store %q, memory %+v; want 12, 12, true, \"\", the collector's (and no judgement wait: %.1f)", res.Reports, res.Stored, res.Verified, res.Store, res.Memory, res.JudgedAfterMS)
	}
	// the attached run's agents are revoked there; the own run's are not
	var revoked map[string]bool
	if err := own.withApp(ctx, func(app *server.App) (err error) {
		revoked, err = app.Auth.RevokedAgents(ctx)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	if len(revoked) != 4 {
		t.Errorf("revoked agents after the attached run: %v, want its 4", revoked)
	}
	if err := tg.Close(); err != nil {
		t.Fatal(err)
	}
	if err := own.waitHealthy(ctx, time.Second); err != nil {
		t.Errorf("closing an attached target stopped the collector: %v", err)
	}
	if _, err := Attach(ctx, AttachOptions{URL: own.URL}); err == nil {
		t.Error("Attach without the collector's configuration was accepted")
	}
}
