// Package pace spaces probe packets to a rate. Timers on a busy host fire
// late by tens of microseconds, so a sender that sleeps between every
// packet never reaches a high rate; this pacer lets a late sender catch up
// with a short burst and never exceeds the rate over any longer window
// (the generic cell rate algorithm). Sweeps, ARP scans and path probes
// share it, and ARP scans and path probes also share the wait for the
// replies to a round (AwaitReplies).
package pace

import (
	"context"
	"sync"
	"time"
)

// MinSleep is the shortest sleep a sender takes between tries: a shorter
// timer only spins on a loaded host.
const MinSleep = 20 * time.Microsecond

// DefaultBurst is the burst for a rate: about 2 ms worth, at least 1.
func DefaultBurst(rate int) int { return max(1, rate/500) }

// Pacer spaces packets to a rate with a small burst allowance. It is safe
// for concurrent use: one pacer may be shared by several senders.
type Pacer struct {
	mu       sync.Mutex
	interval time.Duration // between packets
	slack    time.Duration // burst * interval
	tat      time.Duration // theoretical arrival time of the next packet

	// Adaptive pacing (NewAdaptive): rate grows by growFactor every
	// growEvery without loss, halves on Loss, stays in [minRate, maxRate].
	adaptive         bool
	rate             float64
	minRate, maxRate float64
	changed          time.Duration // last rate change
}

// Adaptive pacing constants. StartRate is moderate (what the fixed default
// used to be); the rate grows by half every 100 ms while no probe is lost,
// so it reaches a 2,000 pps cap in about 350 ms, and halves at once on a
// loss signal (an answer that needed a retry, a full send queue, ICMP rate
// limiting), as TCP's AIMD and nmap's timing do.
const (
	StartRate  = 500
	MinRate    = 50
	growEvery  = 100 * time.Millisecond
	growFactor = 1.5
)

// New paces to rate packets per second; burst packets may go back to
// back. rate <= 0 disables pacing.
func New(rate, burst int) *Pacer {
	if rate <= 0 {
		return &Pacer{}
	}
	if burst < 1 {
		burst = 1
	}
	iv := time.Second / time.Duration(rate)
	if iv <= 0 {
		iv = 1
	}
	return &Pacer{interval: iv, slack: time.Duration(burst-1) * iv}
}

// NewAdaptive paces starting at StartRate (or maxRate when lower), growing
// while Loss is not called, never above maxRate.
func NewAdaptive(maxRate int) *Pacer {
	maxRate = max(maxRate, 1)
	start := min(StartRate, maxRate)
	p := &Pacer{adaptive: true, rate: float64(start), minRate: float64(min(MinRate, maxRate)), maxRate: float64(maxRate)}
	p.setRate(p.rate)
	return p
}

// For returns the pacer for a fixed rate (> 0) or, when rate is 0 and
// maxRate > 0, an adaptive one; rate 0 and maxRate 0: def, fixed.
func For(rate, maxRate, def int) *Pacer {
	switch {
	case rate > 0:
		return New(rate, DefaultBurst(rate))
	case maxRate > 0:
		return NewAdaptive(maxRate)
	default:
		return New(def, DefaultBurst(def))
	}
}

func (p *Pacer) setRate(r float64) {
	p.rate = r
	p.interval = max(time.Duration(float64(time.Second)/r), 1)
	p.slack = time.Duration(DefaultBurst(int(r))-1) * p.interval
}

// Rate is the current rate in packets per second (0: unpaced).
func (p *Pacer) Rate() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.interval == 0 {
		return 0
	}
	return int(time.Second / p.interval)
}

// Loss reports a loss signal at now: an adaptive pacer halves its rate
// and does not grow again for one period. A fixed pacer ignores it.
func (p *Pacer) Loss(now time.Duration) {
	if !p.adaptive {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if now-p.changed < growEvery/2 {
		return // one burst of losses is one signal
	}
	p.setRate(max(p.minRate, p.rate/2))
	p.changed = now
}

// Reserve takes a send slot at now (any monotonic clock, as a duration)
// and returns 0, or returns how long to wait before asking again.
func (p *Pacer) Reserve(now time.Duration) time.Duration {
	if p.interval == 0 {
		return 0
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.adaptive && p.rate < p.maxRate && now-p.changed >= growEvery {
		p.setRate(min(p.maxRate, p.rate*growFactor))
		p.changed = now
	}
	if p.tat < now {
		p.tat = now // idle time earns at most one burst, never a backlog
	}
	if wait := p.tat - p.slack - now; wait > 0 {
		return wait
	}
	p.tat += p.interval
	return 0
}

// Wait blocks until Reserve grants a slot on the clock time.Since(start),
// sleeping on timer (at least MinSleep) between tries; it returns false when
// ctx ends first. timer is the caller's, reused to spare an allocation per
// packet.
func (p *Pacer) Wait(ctx context.Context, timer *time.Timer, start time.Time) bool {
	for {
		w := p.Reserve(time.Since(start))
		if w == 0 {
			return true
		}
		timer.Reset(max(w, MinSleep))
		select {
		case <-ctx.Done():
			return false
		case <-timer.C:
		}
	}
}

// AwaitReplies waits up to d for done to hold, checking it again whenever
// wake fires (the receiver signals each new answer), so a round ends as soon
// as every answer is in. It returns false when ctx ends first. timer is the
// caller's, as for Wait.
func AwaitReplies(ctx context.Context, timer *time.Timer, wake <-chan struct{}, d time.Duration, done func() bool) bool {
	deadline := time.Now().Add(d)
	for !done() {
		left := time.Until(deadline)
		if left <= 0 {
			break
		}
		timer.Reset(left)
		select {
		case <-ctx.Done():
			return false
		case <-timer.C:
		case <-wake:
			timer.Stop()
		}
	}
	return true
}
