package pace

import (
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
