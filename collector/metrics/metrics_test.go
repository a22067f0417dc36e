package metrics_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/egovnet/egovnet/collector/auditlog"
	"github.com/egovnet/egovnet/collector/auth"
	_ "github.com/egovnet/egovnet/collector/inventory" // reports
	"github.com/egovnet/egovnet/collector/lifecycle"
	"github.com/egovnet/egovnet/collector/metrics"
	_ "github.com/egovnet/egovnet/collector/notify" // notify_outbox
	"github.com/egovnet/egovnet/collector/store"
	"github.com/egovnet/egovnet/collector/store/storetest"
	_ "github.com/egovnet/egovnet/collector/tsdb" // tsdb_outbox
	"github.com/egovnet/egovnet/internal/wire"
)

type failing struct{}

func (failing) Name() string { return "rules" }
func (failing) Process(context.Context, *wire.ScanReport, string) error {
	return errors.New("boom")
}

func scrape(t *testing.T, h http.Handler, auth string) (int, string) {
	t.Helper()
	req := httptest.NewRequest(http.MethodGet, "/metrics", nil)
	if auth != "" {
		req.Header.Set("Authorization", auth)
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	b, _ := io.ReadAll(rec.Result().Body)
	return rec.Code, string(b)
}

func TestMetricsExposition(t *testing.T) {
	storetest.ForEachBackend(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		svc := auth.NewService(db, auditlog.New(db), auth.Options{})
		for _, d := range []string{"CZJ", "SCJ"} {
			tok, _, err := svc.CreateToken(ctx, d, time.Hour, 1, auth.Actor{Kind: auditlog.KindOperator, Name: "t"})
			if err != nil {
				t.Fatal(err)
			}
			a, _, err := svc.Enroll(ctx, tok, "probe-"+d, "1.0", "127.0.0.1")
			if err != nil {
				t.Fatal(err)
			}
			if d == "SCJ" {
				if err := svc.RevokeAgent(ctx, a.ID, auth.Actor{Kind: auditlog.KindOperator, Name: "t"}); err != nil {
					t.Fatal(err)
				}
			}
		}
		lc := lifecycle.NewStore(db)
		v := wire.Violation{ID: "v1", Rule: "internet-egress", Department: "CZJ", Subject: "203.0.113.1", Severity: wire.SeverityHigh,
			Status: wire.StatusOpen, Citations: []wire.Citation{}, Evidence: []wire.Evidence{}}
		if err := lc.Apply(ctx, "CZJ", lifecycle.Scan{ReportID: "r1", FinishedAt: time.Now()}, []wire.Violation{v}, 1); err != nil {
			t.Fatal(err)
		}

		// one scan waiting a minute and a half for its batched judgement
		if _, err := db.Exec(ctx, `INSERT INTO rules_pending (report_id, department, agent, agent_key, finished_at, queued_at) VALUES ('r2', 'CZJ', 'a', 'a', ?, ?)`,
			time.Now().UTC().Format(time.RFC3339Nano), time.Now().Add(-90*time.Second).UTC().Format("2006-01-02T15:04:05.000000000Z")); err != nil {
			t.Fatal(err)
		}

		m := metrics.New(db, metrics.Options{SilentAfter: time.Hour, IngestReruns: func() int64 { return 3 }})
		mux := http.NewServeMux()
		mux.HandleFunc("POST /api/v1/reports", func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusAccepted) })
		mux.HandleFunc("GET /api/v1/violations/{id}", func(w http.ResponseWriter, r *http.Request) { w.Write([]byte("{}")) })
		route := func(r *http.Request) string { _, p := mux.Handler(r); return p }
		h := m.Middleware(mux, route)
		for _, req := range []*http.Request{
			httptest.NewRequest(http.MethodPost, "/api/v1/reports", nil),
			httptest.NewRequest(http.MethodGet, "/api/v1/violations/abc", nil),
			httptest.NewRequest(http.MethodGet, "/api/v1/violations/def", nil),
			httptest.NewRequest(http.MethodGet, "/nope/../etc/passwd", nil),
		} {
			h.ServeHTTP(httptest.NewRecorder(), req)
		}
		p := m.Processor(failing{})
		if err := p.Process(ctx, &wire.ScanReport{}, "CZJ"); err == nil {
			t.Fatal("wrapped processor swallowed the error")
		}
		// Inside store.Tx.Flat (PostgreSQL) the error is the attempt's and
		// is counted when the report runs again with savepoints, not here;
		// SQLite runs Flat with savepoints, so it counts.
		wantErrs := 2
		if db.Dialect == store.Postgres {
			wantErrs = 1
		}
		_ = db.InNewTx(ctx, func(tx *store.Tx) error {
			return tx.Flat(func() error {
				if err := p.Process(store.WithTx(ctx, tx), &wire.ScanReport{}, "CZJ"); err == nil {
					t.Error("wrapped processor swallowed the error in Flat")
				}
				return nil
			})
		})

		code, body := scrape(t, m.Handler(""), "")
		if code != http.StatusOK {
			t.Fatalf("scrape status %d", code)
		}
		for _, want := range []string{
			`egovnet_http_requests_total{code="202",route="POST /api/v1/reports"} 1`,
			// Raw paths never become labels: both ids count under the pattern.
			`egovnet_http_requests_total{code="200",route="GET /api/v1/violations/{id}"} 2`,
			`egovnet_ingest_reports_total{outcome="accepted"} 1`,
			`egovnet_ingest_duration_seconds_count 1`,
			`egovnet_processor_duration_seconds_count{processor="rules"} 2`,
			`egovnet_processor_errors_total{processor="rules"} ` + strconv.Itoa(wantErrs),
			`egovnet_ingest_reruns_total 3`,
			`egovnet_agents{status="ok"} 1`,
			`egovnet_agents{status="revoked"} 1`,
			`egovnet_agents{status="silent"} 0`,
			`egovnet_violations_open{rule="internet-egress"} 1`,
			`egovnet_outbox_depth{outbox="notify"} 0`,
			`egovnet_outbox_depth{outbox="influx"} 0`,
			`egovnet_metrics_store_errors 0`,
			`egovnet_scans_queued 1`,
			`go_goroutines`,
		} {
			if !strings.Contains(body, want) {
				t.Errorf("exposition lacks %q", want)
			}
		}
		if m := regexp.MustCompile(`(?m)^egovnet_judgement_lag_seconds (\S+)$`).FindStringSubmatch(body); m == nil {
			t.Error("exposition lacks egovnet_judgement_lag_seconds")
		} else if lag, err := strconv.ParseFloat(m[1], 64); err != nil || lag < 90 || lag > 3600 {
			t.Errorf("egovnet_judgement_lag_seconds %s, want the queued scan's 90 s and a little", m[1])
		}
		if strings.Contains(body, "etc/passwd") || strings.Contains(body, "/abc") {
			t.Error("a raw request path became a label value")
		}

		tok := m.Handler("scrape-token")
		if code, _ := scrape(t, tok, ""); code != http.StatusUnauthorized {
			t.Fatalf("no token: status %d, want 401", code)
		}
		if code, _ := scrape(t, tok, "Bearer wrong"); code != http.StatusUnauthorized {
			t.Fatalf("wrong token: status %d, want 401", code)
		}
		if code, _ := scrape(t, tok, "Bearer scrape-token"); code != http.StatusOK {
			t.Fatalf("right token: status %d, want 200", code)
		}
	})
}
