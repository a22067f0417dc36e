package ingest

import (
	"context"
	"fmt"
	"strings"
	"time"
)

// Backoff of RetryPending between passes that leave reports pending.
const (
	retryMin = time.Second
	retryMax = 5 * time.Minute
	// retryIdle is how often a pass runs when nothing is known to be
	// pending here: another collector on the same PostgreSQL may have left
	// a report pending.
	retryIdle = 5 * time.Minute
)

// wake tells RetryPending that a report was left pending.
func (in *Ingester) wake() {
	select {
	case in.kick <- struct{}{}:
	default:
	}
}

// RetryPending processes pending reports until ctx ends: once at start (a
// crash between commit and processing, or failures before a restart), then
// again with exponential backoff (retryMin to retryMax) while reports stay
// pending, so a report that lost to a transient failure is retried rather
// than parked until the next restart. onErr (may be nil) hears of passes
// that failed; onDone (may be nil) of reports a pass made good.
func (in *Ingester) RetryPending(ctx context.Context, onErr func(error), onDone func(int)) {
	backoff := retryMin
	warned, warnedUnreadable := "", ""
	for {
		p, err := in.processPending(ctx)
		if ctx.Err() != nil {
			return
		}
		if err != nil && onErr != nil {
			onErr(err)
		}
		if p.done > 0 && onDone != nil {
			onDone(p.done)
		}
		// Said once, and again when it changes: these wait for a plan
		// with their department, or for an operator.
		if msg := fmt.Sprint(p.outside); len(p.outside) > 0 && msg != warned {
			in.log.Warn("pending reports of departments not in the plan are not processed until the plan has them again",
				"reports_by_department", msg)
			warned = msg
		} else if len(p.outside) == 0 {
			warned = ""
		}
		if msg := strings.Join(p.unreadable, ","); msg != warnedUnreadable {
			if msg != "" {
				in.log.Error("pending reports whose stored form cannot be read (damaged rows) stay pending; restore them from a backup",
					"reports", msg)
			}
			warnedUnreadable = msg
		}
		wait := retryIdle
		switch {
		case err != nil || p.failed > 0:
			wait = backoff
			backoff = min(2*backoff, retryMax)
		default:
			backoff = retryMin
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-t.C:
		case <-in.kick:
			// A new failure: try it after the current backoff, not at
			// once (the race it lost is likely still on), and not more
			// often than the backoff allows under a run of failures.
			t.Stop()
			if !sleep(ctx, backoff) {
				return
			}
		}
	}
}

// sleep waits d or until ctx ends, reporting whether d passed.
func sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}
