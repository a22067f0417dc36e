package api

import (
	"log/slog"
	"math"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/egovnet/egovnet/collector/respond"
)

// lagGate refuses uploads while batched judgement lags too far behind
// them (rules.max_judgement_lag; lifecycle/backlog.go says why). The
// refusal is a 503 with Retry-After, which agents and relays treat as
// "keep the report, send it later"; it comes before the body is read, so
// a refused upload costs the collector next to nothing. Refusals are not
// written to the audit log: they store and change nothing, and under the
// very load they answer an audit record each would add a write per
// refusal to the store that cannot keep up; they are counted by
// egovnet_http_requests_total{code="503"}, and the gate logs when it
// closes and opens.
type lagGate struct {
	lag        func() time.Duration
	max        time.Duration
	retryAfter time.Duration
	log        *slog.Logger

	mu     sync.Mutex
	closed bool
}

// refuse answers w and reports true when uploads are paused.
func (g *lagGate) refuse(w http.ResponseWriter) bool {
	if g == nil || g.lag == nil || g.max <= 0 {
		return false
	}
	lag := g.lag()
	over := lag > g.max
	g.note(over, lag)
	if !over {
		return false
	}
	secs := int(math.Ceil(g.retryAfter.Seconds()))
	w.Header().Set("Retry-After", strconv.Itoa(max(1, secs)))
	respond.Error(w, http.StatusServiceUnavailable, "findings are behind the uploads: uploads are paused until the judgement catches up; retry after Retry-After",
		map[string]any{"lag_seconds": math.Round(lag.Seconds()), "max_lag_seconds": g.max.Seconds(), "retry_after_seconds": max(1, secs)})
	return true
}

// note logs the gate's transitions, not every refusal.
func (g *lagGate) note(over bool, lag time.Duration) {
	g.mu.Lock()
	changed := over != g.closed
	g.closed = over
	g.mu.Unlock()
	switch {
	case changed && over:
		g.log.Warn("uploads paused: batched judgement is behind (rules.max_judgement_lag)", "lag", lag.Round(time.Second).String(), "max", g.max.String())
	case changed:
		g.log.Info("uploads resumed: batched judgement caught up", "lag", lag.Round(time.Second).String())
	}
}
