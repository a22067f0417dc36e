package uplink

import (
	"errors"
	"net/http"
	"time"
)

// Deferred reports whether err is the collector asking to be asked later
// (503 or 429 with a Retry-After), and how long it asked to wait. The
// collector answers so while the sender's department's judgement lags, and
// stores nothing: the report must be kept and sent again. It is not an
// outage: the collector is up and takes other departments' reports, so a
// sender of many agents' reports (the relay) waits for this agent only.
// A 503 or 429 without a usable Retry-After is not taken for one: a proxy
// in front of a collector that is down answers 503 so, and an outage must
// stop a relay's pass and back it off rather than resend every agent's
// report. Network errors and other 5xx are outages too.
func Deferred(err error) (retryAfter time.Duration, ok bool) {
	var te *temporaryError
	if !errors.As(err, &te) {
		return 0, false
	}
	if te.status != http.StatusServiceUnavailable && te.status != http.StatusTooManyRequests {
		return 0, false
	}
	// none, 0, unreadable, or an HTTP-date already past (clock skew)
	if te.retryAfter <= 0 {
		return 0, false
	}
	return te.retryAfter, true
}
