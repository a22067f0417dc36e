// Package rtt keeps the smoothed round-trip time of probe replies (RFC 6298)
// so that sweeps and ARP scans wait as long as the network in front of them
// needs, not a fixed timeout: a LAN answers in microseconds, a WAN link in
// tens of milliseconds.
package rtt

import "time"

// Estimator is the smoothed RTT and its variation. The zero value has no
// sample yet. It is not safe for concurrent use: its owner serialises.
type Estimator struct {
	srtt, rttvar time.Duration
}

// Observe folds one RTT sample in (alpha 1/8, beta 1/4). The first sample,
// or any sample while the smoothed RTT is 0, restarts the estimate.
func (e *Estimator) Observe(rtt time.Duration) {
	if e.srtt == 0 {
		e.srtt, e.rttvar = rtt, rtt/2
		return
	}
	d := e.srtt - rtt
	if d < 0 {
		d = -d
	}
	e.rttvar = (3*e.rttvar + d) / 4
	e.srtt = (7*e.srtt + rtt) / 8
}

// SRTT is the smoothed RTT; 0 before the first sample.
func (e *Estimator) SRTT() time.Duration { return e.srtt }

// RTO is the retransmission timeout srtt + 4*rttvar, before any clamping
// to the caller's limits.
func (e *Estimator) RTO() time.Duration { return e.srtt + 4*e.rttvar }
