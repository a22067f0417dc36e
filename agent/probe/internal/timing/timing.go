// Package timing checks and defaults the rate, retry and wait options that
// the active probes (ARP scan, ICMP sweep, path trace) share. The rules are
// the same for all of them (a negative rate or wait is an error, retries
// stay within 0..100, zero means the probe's default, the adaptive floor
// never exceeds the ceiling); keeping them once stops the copies drifting.
// Each probe keeps its own public Options and only maps its fields here.
package timing

import (
	"fmt"
	"time"
)

// MaxRetries bounds Retries: more would only multiply a silent range's cost.
const MaxRetries = 100

// Options are the shared knobs of one probe.
type Options struct {
	// Rate is packets per second; 0 means adaptive up to MaxRate, or the
	// default rate when MaxRate is 0 too.
	Rate, MaxRate int
	// Timeout is the longest wait for replies; 0 means the default.
	Timeout time.Duration
	// MinTimeout is the floor of an adaptive wait; 0 means the default
	// (a probe without an adaptive wait passes a zero default and gets 0).
	MinTimeout time.Duration
	// Retries is how many more probes a silent target gets.
	Retries int
}

// Defaults fill the zero fields of Options.
type Defaults struct {
	Rate       int
	Timeout    time.Duration
	MinTimeout time.Duration
}

// Normalise checks o and returns it with its zero fields defaulted. The
// errors name the field ("invalid rate ...") so that a probe can wrap
// them with its own name.
func Normalise(o Options, d Defaults) (Options, error) {
	if o.Rate < 0 {
		return o, fmt.Errorf("invalid rate %d: must be >= 0", o.Rate)
	}
	if o.Retries < 0 || o.Retries > MaxRetries {
		return o, fmt.Errorf("invalid retries %d: must be 0..%d", o.Retries, MaxRetries)
	}
	if o.Timeout < 0 || o.MinTimeout < 0 {
		return o, fmt.Errorf("invalid timeout %v/%v: must be >= 0", o.Timeout, o.MinTimeout)
	}
	if o.Rate == 0 && o.MaxRate <= 0 {
		o.Rate = d.Rate
	}
	if o.Timeout == 0 {
		o.Timeout = d.Timeout
	}
	if o.MinTimeout == 0 {
		o.MinTimeout = d.MinTimeout
	}
	o.MinTimeout = min(o.MinTimeout, o.Timeout)
	return o, nil
}
