package pace

import (
	"context"
	"sync"
	"testing"
	"time"
)

// drive asks the pacer for slots on a fake clock for d and counts grants,
// advancing the clock by the returned waits (never less than step).
func drive(p *Pacer, d, step time.Duration) (grants int, maxBurst int) {
	now, burst := time.Duration(0), 0
	for now < d {
		if w := p.Reserve(now); w > 0 {
			now += max(w, step)
			burst = 0
			continue
		}
		grants++
		burst++
		maxBurst = max(maxBurst, burst)
	}
	return grants, maxBurst
}

func TestPacerRate(t *testing.T) {
	tests := []struct {
		name       string
		rate       int
		burst      int
		step       time.Duration // timer granularity of the fake sleeper
		wantGrants int
		wantBurst  int
	}{
		{"1000 pps precise timer", 1000, 1, time.Nanosecond, 1000, 1},
		{"1000 pps coarse timer keeps the rate with a burst", 1000, 8, 5 * time.Millisecond, 1000 + 7, 8},
		{"100k pps, 1 ms timer", 100000, 200, time.Millisecond, 100000 + 199, 200},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			g, b := drive(New(tc.rate, tc.burst), time.Second, tc.step)
			// Over one second: the rate is kept (a late timer is caught up
			// with a burst) and exceeded by at most the initial burst.
			if g < tc.rate*99/100 || g > tc.wantGrants {
				t.Errorf("grants in 1 s = %d, want %d..%d", g, tc.rate*99/100, tc.wantGrants)
			}
			if b > tc.wantBurst {
				t.Errorf("burst = %d, want <= %d", b, tc.wantBurst)
			}
		})
	}
}

func TestPacerIdleEarnsOneBurstOnly(t *testing.T) {
	p := New(1000, 4)
	n := 0
	for p.Reserve(10*time.Second) == 0 { // a long idle time
		n++
	}
	if n != 4 {
		t.Fatalf("after idling, %d packets went back to back, want the burst of 4", n)
	}
}

func TestPacerUnlimited(t *testing.T) {
	p := New(0, 0)
	for i := 0; i < 1000; i++ {
		if w := p.Reserve(0); w != 0 {
			t.Fatalf("unlimited pacer asked to wait %v", w)
		}
	}
}

func TestPacerWait(t *testing.T) {
	cancelled, cancel := context.WithCancel(context.Background())
	cancel()
	tests := []struct {
		name string
		p    *Pacer
		ctx  context.Context
		want bool
	}{
		{"unpaced grants at once", New(0, 0), context.Background(), true},
		{"first packet of a burst is granted", New(1, 1), cancelled, true},
		{"cancelled context stops the wait", func() *Pacer { p := New(1, 1); p.Reserve(0); return p }(), cancelled, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			timer := time.NewTimer(time.Hour)
			defer timer.Stop()
			if got := tt.p.Wait(tt.ctx, timer, time.Now()); got != tt.want {
				t.Fatalf("Wait = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestAwaitReplies(t *testing.T) {
	cancelled, cancel := context.WithCancel(context.Background())
	cancel()
	tests := []struct {
		name  string
		ctx   context.Context
		d     time.Duration
		ready bool // done holds from the start
		wake  bool // a receiver makes done hold and signals wake
		want  bool
	}{
		{"already done", cancelled, time.Hour, true, false, true},
		{"cancelled while waiting", cancelled, time.Hour, false, false, false},
		{"no time left ends the round", context.Background(), 0, false, false, true},
		{"wake ends the round early", context.Background(), time.Hour, false, true, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			timer := time.NewTimer(time.Hour)
			defer timer.Stop()
			var mu sync.Mutex
			done := tt.ready
			wake := make(chan struct{}, 1)
			if tt.wake {
				go func() {
					mu.Lock()
					done = true
					mu.Unlock()
					wake <- struct{}{}
				}()
			}
			isDone := func() bool { mu.Lock(); defer mu.Unlock(); return done }
			if got := AwaitReplies(tt.ctx, timer, wake, tt.d, isDone); got != tt.want {
				t.Fatalf("AwaitReplies = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestAdaptive(t *testing.T) {
	tests := []struct {
		name     string
		maxRate  int
		lossAt   []time.Duration
		at       time.Duration
		wantRate int
	}{
		{"starts moderate", 2000, nil, 0, StartRate},
		{"grows while nothing is lost", 2000, nil, 250 * time.Millisecond, 1125},
		{"never above the cap", 2000, nil, 2 * time.Second, 2000},
		{"start capped by a low max", 100, nil, 0, 100},
		{"halves on loss", 2000, []time.Duration{2 * time.Second}, 2 * time.Second, 1000},
		{"a burst of losses is one signal", 2000, []time.Duration{2 * time.Second, 2*time.Second + time.Millisecond}, 2*time.Second + time.Millisecond, 1000},
		{"floor", 2000, []time.Duration{1000 * time.Millisecond, 1060 * time.Millisecond, 1120 * time.Millisecond, 1180 * time.Millisecond, 1240 * time.Millisecond, 1300 * time.Millisecond, 1360 * time.Millisecond}, 1360 * time.Millisecond, MinRate},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := NewAdaptive(tt.maxRate)
			li := 0
			for now := time.Duration(0); now <= tt.at; now += time.Millisecond {
				for li < len(tt.lossAt) && tt.lossAt[li] <= now {
					p.Loss(tt.lossAt[li])
					li++
				}
				if li == len(tt.lossAt) || now < tt.lossAt[len(tt.lossAt)-1] {
					p.Reserve(now)
				}
			}
			if got := p.Rate(); got < tt.wantRate*95/100 || got > tt.wantRate*105/100 {
				t.Fatalf("rate %d, want about %d", got, tt.wantRate)
			}
		})
	}
}

func TestForFixedWins(t *testing.T) {
	if r := For(300, 2000, 100000).Rate(); r != 300 {
		t.Fatalf("fixed rate %d, want 300", r)
	}
	if r := For(0, 2000, 100000).Rate(); r != StartRate {
		t.Fatalf("adaptive start %d, want %d", r, StartRate)
	}
	if r := For(0, 0, 7000).Rate(); r != 7000 {
		t.Fatalf("default %d, want 7000", r)
	}
}
