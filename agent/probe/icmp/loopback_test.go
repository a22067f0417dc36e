package icmp

import (
	"context"
	"net/netip"
	"os"
	"runtime"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/egovnet/egovnet/agent/probe/icmp/nstest"
	"github.com/egovnet/egovnet/internal/testenv"
)

// The loopback interface answers for all of 127.0.0.0/8 and for ::1.
func TestSweepLoopbackRaw(t *testing.T) {
	testenv.Root(t)
	yes := true
	res, err := Sweep(t.Context(), []netip.Prefix{
		netip.MustParsePrefix("127.0.0.0/24"), netip.MustParsePrefix("127.1.2.0/30"), netip.MustParsePrefix("::1/128"),
	}, Options{Privileged: &yes, Retries: 1})
	if err != nil {
		t.Fatal(err)
	}
	want := append(addrsOf(netip.MustParsePrefix("127.0.0.0/24"))[1:255], addrsOf(netip.MustParsePrefix("127.1.2.0/30"))[1:3]...)
	want = append(want, netip.MustParseAddr("::1"))
	checkFound(t, res, want)
	if !res.Raw {
		t.Fatal("Privileged=true did not use a raw socket")
	}
}

// pingGroupAllows reports whether net.ipv4.ping_group_range admits our group.
func pingGroupAllows(t *testing.T) bool {
	b, err := os.ReadFile("/proc/sys/net/ipv4/ping_group_range")
	if err != nil {
		return false
	}
	f := strings.Fields(string(b))
	if len(f) != 2 {
		return false
	}
	lo, _ := strconv.Atoi(f[0])
	hi, _ := strconv.Atoi(f[1])
	g := os.Getgid()
	return lo <= g && g <= hi
}

func TestSweepLoopbackPingSocket(t *testing.T) {
	no := false
	targets := []netip.Prefix{netip.MustParsePrefix("127.0.0.0/25")}
	var res Result
	var err error
	if pingGroupAllows(t) {
		res, err = Sweep(t.Context(), targets, Options{Privileged: &no, Retries: 1})
	} else {
		// Not allowed here: as root, use a namespace of our own (its own
		// loopback, its own ping_group_range).
		if os.Geteuid() != 0 {
			t.Skip("net.ipv4.ping_group_range does not admit this group and we are not root")
		}
		l := nstest.New(t)
		ns := l.NS("lo")
		l.Sysctl(ns, "net.ipv4.ping_group_range", "0 2147483647")
		err = nstest.Do(ns, func() error {
			var err error
			res, err = Sweep(context.Background(), targets, Options{Privileged: &no, Retries: 1})
			return err
		})
	}
	if err != nil {
		t.Fatal(err)
	}
	checkFound(t, res, addrsOf(netip.MustParsePrefix("127.0.0.0/25"))[1:127])
	if res.Raw {
		t.Fatal("Privileged=false used a raw socket")
	}
}

func TestStatsLoopback(t *testing.T) {
	testenv.Root(t)
	yes := true
	tests := []struct {
		name string
		addr string
	}{{"ipv4", "127.0.0.1"}, {"ipv6", "::1"}}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s, err := Stats(t.Context(), netip.MustParseAddr(tc.addr), 3, StatsOptions{Interval: 20 * time.Millisecond, Privileged: &yes})
			if err != nil {
				t.Fatal(err)
			}
			if s.Sent != 3 || s.Received != 3 || s.Loss != 0 || s.Min <= 0 || s.Max < s.Min {
				t.Fatalf("stats = %+v", s)
			}
		})
	}
}

func TestStatsUnprivilegedAndUnanswered(t *testing.T) {
	l := newLab(t)
	l.Sysctl(l.scanner, "net.ipv4.ping_group_range", "0 2147483647")
	no := false
	var live, dead Statistics
	err := nstest.Do(l.scanner, func() error {
		var err error
		if live, err = Stats(t.Context(), netip.MustParseAddr("10.20.4.9"), 3, StatsOptions{Interval: 20 * time.Millisecond, Privileged: &no}); err != nil {
			return err
		}
		dead, err = Stats(t.Context(), netip.MustParseAddr("10.20.5.9"), 2, StatsOptions{Interval: 20 * time.Millisecond, Timeout: 500 * time.Millisecond})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if live.Received != 3 || live.Raw {
		t.Errorf("live target: %+v", live)
	}
	if dead.Received != 0 || dead.Loss != 100 || !dead.Raw {
		t.Errorf("blackholed target: %+v", dead)
	}
}

func TestStatsRejectsBadInput(t *testing.T) {
	for _, c := range []int{0, -1, 100001} {
		if _, err := Stats(t.Context(), netip.MustParseAddr("127.0.0.1"), c, StatsOptions{}); err == nil {
			t.Errorf("count %d accepted", c)
		}
	}
	if _, err := Stats(t.Context(), netip.Addr{}, 1, StatsOptions{}); err == nil {
		t.Error("invalid address accepted")
	}
}

// Goroutines and sockets stay constant however many targets a sweep has.
func TestSweepResourcesDoNotGrowWithTargets(t *testing.T) {
	testenv.Root(t)
	fds := func() int {
		es, _ := os.ReadDir("/proc/self/fd")
		return len(es)
	}
	baseG, baseFD := runtime.NumGoroutine(), fds()
	var maxG, maxFD atomic.Int64
	stop := make(chan struct{})
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			maxG.Store(max(maxG.Load(), int64(runtime.NumGoroutine())))
			maxFD.Store(max(maxFD.Load(), int64(fds())))
			select {
			case <-stop:
				return
			case <-time.After(time.Millisecond):
			}
		}
	}()
	yes := true
	res, err := Sweep(t.Context(), []netip.Prefix{netip.MustParsePrefix("127.0.0.0/18"), netip.MustParsePrefix("::1/128")},
		Options{Privileged: &yes, Rate: 50000})
	close(stop)
	<-done
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Replies) < 16000 {
		t.Fatalf("found only %d of 16383", len(res.Replies))
	}
	t.Logf("goroutines %d -> max %d, descriptors %d -> max %d", baseG, maxG.Load(), baseFD, maxFD.Load())
	// Per family: one sender and one receiver goroutine and one socket
	// (plus the sampler goroutine and the runtime's occasional helpers).
	if g := maxG.Load() - int64(baseG); g > 8 {
		t.Errorf("goroutines grew by %d during a 16k-address sweep", g)
	}
	if f := maxFD.Load() - int64(baseFD); f > 4 {
		t.Errorf("descriptors grew by %d during a 16k-address sweep", f)
	}
}
