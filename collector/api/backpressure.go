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

// lagGate refuses a department's uploads while its batched judgement lags
// too far behind them (rules.max_judgement_lag; lifecycle/backlog.go says
// why). The refusal is a 503 with Retry-After, which agents and relays treat as
// "keep the report, send it later"; it comes before the body is read, so
// a refused upload costs the collector next to nothing. Refusals are not
// written to the audit log: they store and change nothing, and under the
// very load they answer an audit record each would add a write per
// refusal to the store that cannot keep up; they are counted by
// egovnet_http_requests_total{code="503"}, and the gate logs when a
// department's uploads pause and resume. Retry-After is retryAfter (about
// two judgement rounds) while the lag is near the bound, and grows with
// how far past it the lag is, up to a minute: a department whose
// judgement keeps failing is tried again less and less often
// (RunBatches), and its agents need not ask every second.
type lagGate struct {
	lag        func(dept string) time.Duration
	max        time.Duration
	retryAfter time.Duration
	log        *slog.Logger

	mu     sync.Mutex
	closed map[string]bool // departments whose uploads are paused
}

// maxLagRetryAfter bounds the Retry-After of a paused department.
const maxLagRetryAfter = time.Minute

// refuse answers w and reports true when dept's uploads are paused.
func (g *lagGate) refuse(w http.ResponseWriter, dept string) bool {
	if g == nil || g.lag == nil || g.max <= 0 {
		return false
	}
	lag := g.lag(dept)
	over := lag > g.max
	g.note(dept, over, lag)
	if !over {
		return false
	}
	wait := min(max(g.retryAfter, lag-g.max), maxLagRetryAfter)
	secs := max(1, int(math.Ceil(wait.Seconds())))
	w.Header().Set("Retry-After", strconv.Itoa(secs))
	respond.Error(w, http.StatusServiceUnavailable, "the department's findings are behind its uploads: its uploads are paused until the judgement catches up; retry after Retry-After",
		map[string]any{"department": dept, "lag_seconds": math.Round(lag.Seconds()), "max_lag_seconds": g.max.Seconds(), "retry_after_seconds": secs})
	return true
}

// note logs a department's transitions, not every refusal.
func (g *lagGate) note(dept string, over bool, lag time.Duration) {
	g.mu.Lock()
	changed := over != g.closed[dept]
	if over {
		if g.closed == nil {
			g.closed = map[string]bool{}
		}
		g.closed[dept] = true
	} else {
		delete(g.closed, dept)
	}
	g.mu.Unlock()
	switch {
	case changed && over:
		g.log.Warn("uploads paused: batched judgement is behind (rules.max_judgement_lag)", "department", dept, "lag", lag.Round(time.Second).String(), "max", g.max.String())
	case changed:
		g.log.Info("uploads resumed: batched judgement caught up", "department", dept, "lag", lag.Round(time.Second).String())
	}
}
