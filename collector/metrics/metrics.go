// Package metrics serves the collector's Prometheus metrics (GET /metrics):
// HTTP requests and latency per route, report ingest, processor (rules,
// ledger, progress) time, and, read from the store at scrape time, agents by
// status, open findings by rule, stored and pending reports, and the depth of
// the InfluxDB and notification outboxes. Store figures are read when
// scraped rather than counted in memory, so several collectors behind one
// load balancer each report the district's truth.
package metrics

import (
	"context"
	"crypto/subtle"
	"net/http"
	"strconv"

	"time"

	"github.com/egovnet/egovnet/collector/ingest"
	"github.com/egovnet/egovnet/collector/respond"
	"github.com/egovnet/egovnet/collector/store"
	"github.com/egovnet/egovnet/internal/wire"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// IngestRoute is the upload route whose requests also feed the ingest
// metrics.
const IngestRoute = "POST /api/v1/reports"

// Metrics is one collector's registry.
type Metrics struct {
	reg       *prometheus.Registry
	httpReqs  *prometheus.CounterVec
	httpDur   *prometheus.HistogramVec
	ingest    *prometheus.CounterVec
	ingestDur prometheus.Histogram
	procDur   *prometheus.HistogramVec
	procErr   *prometheus.CounterVec
}

// Options: SilentAfter is the age of the last report past which an agent
// counts as silent (as notify.agent_silent_after).
type Options struct {
	SilentAfter time.Duration
	// AgentStatuses, when set, counts agents by the fleet's own health
	// (ok, late, silent, revoked), so /metrics and GET /api/v1/agents agree.
	AgentStatuses func(ctx context.Context) (map[string]int64, error)
	// IngestReruns, when set, counts reports whose transaction without
	// savepoints failed and ran again with them (ingest.Ingester.Reruns).
	IngestReruns func() int64
}

// New registers every metric; db feeds the scrape-time figures.
func New(db *store.DB, o Options) *Metrics {
	if o.SilentAfter <= 0 {
		o.SilentAfter = 2 * time.Hour
	}
	buckets := []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30}
	m := &Metrics{
		reg: prometheus.NewRegistry(),
		httpReqs: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "egovnet_http_requests_total",
			Help: "HTTP requests by route pattern, method and status code."}, []string{"route", "code"}),
		httpDur: prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "egovnet_http_request_duration_seconds",
			Help: "HTTP request latency by route pattern.", Buckets: buckets}, []string{"route"}),
		ingest: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "egovnet_ingest_reports_total",
			Help: "Report uploads by outcome: accepted (202), duplicate (200), rejected (4xx), failed (5xx)."}, []string{"outcome"}),
		ingestDur: prometheus.NewHistogram(prometheus.HistogramOpts{Name: "egovnet_ingest_duration_seconds",
			Help: "Time from request to acknowledgement of a report upload.", Buckets: buckets}),
		procDur: prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "egovnet_processor_duration_seconds",
			Help: "Time each ingest processor (rules, ledger, progress, ...) spends on one report.", Buckets: buckets}, []string{"processor"}),
		procErr: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "egovnet_processor_errors_total",
			Help: "Processor failures (the report stays pending and is processed again)."}, []string{"processor"}),
	}
	m.reg.MustRegister(m.httpReqs, m.httpDur, m.ingest, m.ingestDur, m.procDur, m.procErr,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		&storeCollector{db: db, silentAfter: o.SilentAfter, statuses: o.AgentStatuses})
	if o.IngestReruns != nil {
		m.reg.MustRegister(prometheus.NewCounterFunc(prometheus.CounterOpts{Name: "egovnet_ingest_reruns_total",
			Help: "Reports whose transaction ran again with savepoints after the attempt without them failed (PostgreSQL): a processor failed, a race was lost, or the report was a backfill (a scan older than its agent's latest, under load); steadily rising, ingest does twice the work."},
			func() float64 { return float64(o.IngestReruns()) }))
	}
	return m
}

// Registry exposes the registry (tests gather from it).
func (m *Metrics) Registry() *prometheus.Registry { return m.reg }

// Middleware counts and times every request. route names the request's mux
// pattern, never its raw path: label values stay bounded whatever clients
// send.
func (m *Metrics) Middleware(next http.Handler, route func(*http.Request) string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		sw := &respond.StatusRecorder{ResponseWriter: w}
		next.ServeHTTP(sw, r)
		code := sw.Code()
		pattern := route(r)
		if pattern == "" {
			pattern = "unmatched"
		}
		d := time.Since(start).Seconds()
		m.httpReqs.WithLabelValues(pattern, strconv.Itoa(code)).Inc()
		m.httpDur.WithLabelValues(pattern).Observe(d)
		if pattern == IngestRoute {
			m.ingestDur.Observe(d)
			m.ingest.WithLabelValues(ingestOutcome(code)).Inc()
		}
	})
}

func ingestOutcome(code int) string {
	switch {
	case code == http.StatusAccepted:
		return "accepted"
	case code == http.StatusOK:
		return "duplicate"
	case code >= 500:
		return "failed"
	}
	return "rejected"
}

// Handler serves the text exposition. With a token, scrapers must send
// "Authorization: Bearer <token>".
func (m *Metrics) Handler(token string) http.Handler {
	h := promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{ErrorHandling: promhttp.ContinueOnError})
	if token == "" {
		return h
	}
	want := []byte("Bearer " + token)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got := []byte(r.Header.Get("Authorization"))
		if subtle.ConstantTimeCompare(got, want) != 1 {
			w.Header().Set("WWW-Authenticate", `Bearer realm="metrics"`)
			http.Error(w, "metrics: bearer token required", http.StatusUnauthorized)
			return
		}
		h.ServeHTTP(w, r)
	})
}

// Processor wraps an ingest processor so its time and failures are counted.
func (m *Metrics) Processor(p ingest.Processor) ingest.Processor {
	return &timed{p: p, m: m}
}

type timed struct {
	p ingest.Processor
	m *Metrics
}

func (t *timed) Name() string { return t.p.Name() }

func (t *timed) Process(ctx context.Context, rep *wire.ScanReport, dept string) error {
	start := time.Now()
	err := t.p.Process(ctx, rep, dept)
	t.m.procDur.WithLabelValues(t.p.Name()).Observe(time.Since(start).Seconds())
	// An error inside store.Tx.Flat is the attempt's, not surely this
	// processor's (a statement another processor held back may fail in
	// this one's): the report runs again with savepoints, where the
	// failing processor's error is counted.
	if err != nil && !store.TxFrom(ctx).InFlat() {
		t.m.procErr.WithLabelValues(t.p.Name()).Inc()
	}
	return err
}
