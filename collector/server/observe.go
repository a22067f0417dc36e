package server

import (
	"context"
	"fmt"
	"net/http"

	"github.com/egovnet/egovnet/collector/metrics"
	"github.com/egovnet/egovnet/collector/notify"
)

// handler is the API behind the metrics middleware, with GET /metrics in
// front of it (outside the API's user authentication: scrapers use
// metrics.token).
func (a *App) handler() http.Handler {
	api := a.API()
	if !a.Config.Metrics.Enabled {
		return api
	}
	m := a.metrics()
	inner := m.Middleware(api, api.RoutePattern)
	scrape := m.Handler(a.Config.Metrics.Token.Reveal())
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/metrics" && (r.Method == http.MethodGet || r.Method == http.MethodHead) {
			scrape.ServeHTTP(w, r)
			return
		}
		inner.ServeHTTP(w, r)
	})
}

// ingestReruns is the ingester's count of reports run twice (none before
// it is wired).
func (a *App) ingestReruns() int64 {
	if a.Ingester == nil {
		return 0
	}
	return a.Ingester.Reruns()
}

// metrics returns the collector's registry, built once.
func (a *App) metrics() *metrics.Metrics {
	if a.metricsReg == nil {
		a.metricsReg = metrics.New(a.DB, metrics.Options{SilentAfter: a.Config.Notify.AgentSilentAfter, IngestReruns: a.ingestReruns,
			AgentStatuses: func(ctx context.Context) (map[string]int64, error) {
				list, err := a.Fleet.Agents(ctx, "")
				if err != nil {
					return nil, err
				}
				out := map[string]int64{}
				for _, h := range list {
					out[h.Status]++
				}
				return out, nil
			}})
	}
	return a.metricsReg
}

// startNotify runs the notification dispatcher until ctx ends when any
// sink is configured.
func (a *App) startNotify(ctx context.Context) error {
	sinks, opt, err := notify.FromConfig(a.Config.Notify, a.Logger)
	if err != nil {
		return err
	}
	if len(sinks) == 0 {
		return nil
	}
	d, err := notify.New(a.DB, sinks, opt)
	if err != nil {
		return fmt.Errorf("configure notifications: %w", err)
	}
	names := make([]string, 0, len(sinks))
	for _, s := range sinks {
		names = append(names, s.Name())
	}
	a.Logger.Info("notifications enabled", "sinks", names)
	go d.Run(ctx)
	return nil
}
