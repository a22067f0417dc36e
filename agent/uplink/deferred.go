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

// ServerError reports whether err is the collector's own 500: it took the
// request and failed on it. That may be this report alone (a fault its
// content sets off), so a sender of many reports (the relay) goes on with
// the others rather than wait behind it; a 502 or 504 comes from a proxy
// whose collector is away and is an outage.
func ServerError(err error) bool {
	var te *temporaryError
	return errors.As(err, &te) && te.status == http.StatusInternalServerError
}
