package uplink

import (
	"errors"
	"net/http"
	"time"
)

// Deferred reports whether err is the collector asking to be asked later
// (503 or 429), and how long it asked to wait (its Retry-After; 0 when it
// gave none). The collector answers so while the sender's department's
// judgement lags, and stores nothing: the report must be kept and sent
// again. It is not an outage: the collector is up and takes other
// departments' reports, so a sender of many agents' reports (the relay)
// waits for this agent only. Network errors and other 5xx are outages and
// not deferrals.
func Deferred(err error) (retryAfter time.Duration, ok bool) {
	var te *temporaryError
	if !errors.As(err, &te) {
		return 0, false
	}
	if te.status != http.StatusServiceUnavailable && te.status != http.StatusTooManyRequests {
		return 0, false
	}
	// An HTTP-date already past (clock skew) is no wait at all.
	return max(te.retryAfter, 0), true
}
