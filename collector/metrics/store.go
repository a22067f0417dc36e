package metrics

import (
	"context"
	"time"

	"github.com/egovnet/egovnet/collector/lifecycle"
	"github.com/egovnet/egovnet/collector/store"
	"github.com/prometheus/client_golang/prometheus"
)

var (
	descAgents     = prometheus.NewDesc("egovnet_agents", "Enrolled agents by status: ok, late, silent, revoked (as GET /api/v1/agents says).", []string{"status"}, nil)
	descViolations = prometheus.NewDesc("egovnet_violations_open", "Findings open or acknowledged, by rule.", []string{"rule"}, nil)
	descReports    = prometheus.NewDesc("egovnet_reports_stored", "Scan reports stored.", nil, nil)
	descPending    = prometheus.NewDesc("egovnet_reports_pending", "Stored reports whose processors have not all succeeded yet.", nil, nil)
	descQueued     = prometheus.NewDesc("egovnet_scans_queued", "Scans waiting for their department's batched judgement (rules.batch_above, rules.batch_under_load).", nil, nil)
	descLag        = prometheus.NewDesc("egovnet_judgement_lag_seconds", "How long the oldest scan waiting for a batched judgement has waited (0: none); above rules.max_judgement_lag uploads are answered 503 with Retry-After.", nil, nil)
	descSetAside   = prometheus.NewDesc("egovnet_scans_set_aside", "Queued scans set aside because their stored reports cannot be read (rules_set_aside names them and why).", nil, nil)
	descOutbox     = prometheus.NewDesc("egovnet_outbox_depth", "Items waiting in a durable outbox (influx: InfluxDB points; notify: notifications).", []string{"outbox"}, nil)
	descNotifyDead = prometheus.NewDesc("egovnet_notify_dead", "Notifications given up after the maximum attempts.", nil, nil)
	descScrapeErr  = prometheus.NewDesc("egovnet_metrics_store_errors", "Store queries that failed during this scrape.", nil, nil)
)

// storeCollector reads district figures from the store at scrape time.
type storeCollector struct {
	db          *store.DB
	silentAfter time.Duration
	statuses    func(ctx context.Context) (map[string]int64, error)
}

func (c *storeCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{descAgents, descViolations, descReports, descPending, descQueued, descLag, descSetAside, descOutbox, descNotifyDead, descScrapeErr} {
		ch <- d
	}
}

func (c *storeCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	failed := 0
	one := func(q string, args ...any) (int64, bool) {
		var n int64
		if err := c.db.QueryRow(ctx, q, args...).Scan(&n); err != nil {
			failed++
			return 0, false
		}
		return n, true
	}
	gauge := func(d *prometheus.Desc, v int64, labels ...string) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.GaugeValue, float64(v), labels...)
	}
	if n, ok := one(`SELECT COUNT(*) FROM reports`); ok {
		gauge(descReports, n)
	}
	if n, ok := one(`SELECT COUNT(*) FROM reports WHERE processed = 0`); ok {
		gauge(descPending, n)
	}
	if b, err := lifecycle.ReadBacklog(ctx, c.db); err != nil {
		failed++
	} else {
		gauge(descQueued, int64(b.Scans))
		ch <- prometheus.MustNewConstMetric(descLag, prometheus.GaugeValue, b.Lag(time.Now()).Seconds())
	}
	if n, ok := one(`SELECT COUNT(*) FROM rules_set_aside`); ok {
		gauge(descSetAside, n)
	}
	if n, ok := one(`SELECT COUNT(*) FROM tsdb_outbox`); ok {
		gauge(descOutbox, n, "influx")
	}
	if n, ok := one(`SELECT COUNT(*) FROM notify_outbox WHERE delivered_at = '' AND dead = 0`); ok {
		gauge(descOutbox, n, "notify")
	}
	if n, ok := one(`SELECT COUNT(*) FROM notify_outbox WHERE delivered_at = '' AND dead = 1`); ok {
		gauge(descNotifyDead, n)
	}
	if c.statuses != nil {
		if m, err := c.statuses(ctx); err != nil {
			failed++
		} else {
			for _, st := range []string{"ok", "late", "silent", "revoked"} {
				gauge(descAgents, m[st], st)
			}
		}
	} else {
		c.agentsBySQL(ctx, gauge, one)
	}
	rows, err := c.db.Query(ctx, `SELECT rule, COUNT(*) FROM rules_violations WHERE status IN ('open', 'acknowledged') GROUP BY rule ORDER BY rule`)
	if err != nil {
		failed++
	} else {
		for rows.Next() {
			var rule string
			var n int64
			if rows.Scan(&rule, &n) == nil {
				gauge(descViolations, n, rule)
			}
		}
		if rows.Err() != nil {
			failed++
		}
		rows.Close()
	}
	gauge(descScrapeErr, int64(failed))
}

// agentsBySQL counts agents without the fleet's health (ok, silent by
// silentAfter, revoked).
func (c *storeCollector) agentsBySQL(ctx context.Context, gauge func(*prometheus.Desc, int64, ...string), one func(string, ...any) (int64, bool)) {
	cutoff := store.Time(time.Now().Add(-c.silentAfter))
	if n, ok := one(`SELECT COUNT(*) FROM agents WHERE revoked = 1`); ok {
		gauge(descAgents, n, "revoked")
	}
	if n, ok := one(`SELECT COUNT(*) FROM agents a WHERE a.revoked = 0 AND a.enrolled_at < ?
 AND COALESCE((SELECT MAX(r.received_at) FROM reports r WHERE r.agent_id = a.id), '') < ?`, cutoff, cutoff); ok {
		silent := n
		gauge(descAgents, silent, "silent")
		if all, ok := one(`SELECT COUNT(*) FROM agents WHERE revoked = 0`); ok {
			gauge(descAgents, all-silent, "ok")
		}
	}
}
