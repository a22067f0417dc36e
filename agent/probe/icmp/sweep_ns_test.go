package icmp

import (
	"context"
	"net/netip"
	"testing"
	"time"

	"github.com/egovnet/egovnet/agent/probe/icmp/nstest"
)

// lab is scanner -- router -- target. The target answers for every address
// of live4/live6 (AnyIP local routes); the router blackholes dead4/dead6,
// so those addresses are routed but never answer.
type lab struct {
	*nstest.Lab
	scanner, router, target string
}

var (
	live4 = netip.MustParsePrefix("10.20.4.0/24")
	dead4 = netip.MustParsePrefix("10.20.5.0/24")
	live6 = netip.MustParsePrefix("fd00:20::/120")
	dead6 = netip.MustParsePrefix("fd00:20::100/120")
)

func newLab(t *testing.T) *lab {
	l := &lab{Lab: nstest.New(t)}
	l.scanner, l.router, l.target = l.NS("scan"), l.NS("rtr"), l.NS("tgt")
	l.Veth(l.scanner, "s0", []string{"10.99.0.1/30", "fd00:99::1/64"}, l.router, "r0", []string{"10.99.0.2/30", "fd00:99::2/64"})
	l.Veth(l.router, "r1", []string{"10.98.0.1/30", "fd00:98::1/64"}, l.target, "t0", []string{"10.98.0.2/30", "fd00:98::2/64"})
	l.Router(l.router)
	l.IP(l.scanner, "route", "add", "10.20.0.0/16", "via", "10.99.0.2")
	l.IP(l.scanner, "-6", "route", "add", "fd00:20::/64", "via", "fd00:99::2")
	l.IP(l.router, "route", "add", live4.String(), "via", "10.98.0.2")
	l.IP(l.router, "route", "add", "blackhole", dead4.String())
	l.IP(l.router, "-6", "route", "add", live6.String(), "via", "fd00:98::2")
	l.IP(l.router, "-6", "route", "add", "blackhole", dead6.String())
	l.IP(l.target, "route", "add", "local", live4.String(), "dev", "lo")
	l.IP(l.target, "-6", "route", "add", "local", live6.String(), "dev", "lo")
	l.IP(l.target, "route", "add", "10.99.0.0/30", "via", "10.98.0.1")
	l.IP(l.target, "-6", "route", "add", "fd00:99::/64", "via", "fd00:98::1")
	// Resolve the neighbours once: a burst towards an unresolved neighbour
	// overflows its queue (unres_qlen_bytes) and loses packets, a real
	// effect that retries cover, but not what these tests look at.
	l.Exec(l.router, "ping", "-c1", "-W2", "10.98.0.2")
	l.Exec(l.router, "ping", "-6", "-c1", "-W2", "fd00:98::2")
	l.Exec(l.scanner, "ping", "-c1", "-W2", "10.99.0.2")
	l.Exec(l.scanner, "ping", "-6", "-c1", "-W2", "fd00:99::2")
	return l
}

func (l *lab) sweep(t *testing.T, targets []netip.Prefix, opts Options) Result {
	t.Helper()
	var res Result
	err := nstest.Do(l.scanner, func() error {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
		defer cancel()
		var err error
		res, err = Sweep(ctx, targets, opts)
		return err
	})
	if err != nil {
		t.Fatalf("sweep: %v", err)
	}
	return res
}

// addrsOf lists every address of p (all of them: no network/broadcast skip).
func addrsOf(p netip.Prefix) []netip.Addr {
	var out []netip.Addr
	for a := p.Addr(); p.Contains(a); a = a.Next() {
		out = append(out, a)
	}
	return out
}

// checkFound asserts that res found exactly want.
func checkFound(t *testing.T, res Result, want []netip.Addr) {
	t.Helper()
	wantSet := map[netip.Addr]bool{}
	for _, a := range want {
		wantSet[a] = true
	}
	got := map[netip.Addr]bool{}
	for _, r := range res.Replies {
		if got[r.Addr] {
			t.Errorf("%s reported twice", r.Addr)
		}
		got[r.Addr] = true
		if !wantSet[r.Addr] {
			t.Errorf("false positive: %s", r.Addr)
		}
		if r.RTT <= 0 {
			t.Errorf("%s: RTT %v", r.Addr, r.RTT)
		}
	}
	missing := 0
	for _, a := range want {
		if !got[a] {
			missing++
			if missing <= 5 {
				t.Errorf("live address %s not found", a)
			}
		}
	}
	if missing > 0 {
		t.Errorf("%d of %d live addresses not found (errors: %v)", missing, len(want), res.Errors)
	}
}

// tolerant options keep tests deterministic on a loaded 2-core CI: a
// reply delayed by scheduling still arrives within the (retried) waits.
var tolerant = Options{Retries: 1, MinTimeout: 500 * time.Millisecond}

func TestSweepNamespaces(t *testing.T) {
	l := newLab(t)
	// Live block first and last address: the /23's network and broadcast
	// are skipped, the /24 inside it is all live (AnyIP answers .0 and .255).
	live4All := addrsOf(live4)
	tests := []struct {
		name    string
		targets []netip.Prefix
		opts    Options
		want    []netip.Addr
		probed  int64
	}{
		{"ipv4 raw live and dead", []netip.Prefix{netip.MustParsePrefix("10.20.4.0/23")},
			tolerant, live4All[1:], 510},
		{"ipv4 exact /24 skips network and broadcast", []netip.Prefix{live4},
			tolerant, live4All[1:255], 254},
		{"ipv4 overlapping targets merged", []netip.Prefix{live4, netip.MustParsePrefix("10.20.4.7/32"), netip.MustParsePrefix("10.20.4.0/25")},
			tolerant, live4All[1:255], 254},
		{"ipv4 paced", []netip.Prefix{netip.MustParsePrefix("10.20.4.0/25"), netip.MustParsePrefix("10.20.5.0/25")},
			Options{Rate: 2000, Retries: 1, MinTimeout: 500 * time.Millisecond}, live4All[1:127], 252},
		{"skip leaves a block out", []netip.Prefix{netip.MustParsePrefix("10.20.4.0/23")},
			Options{Retries: 1, MinTimeout: 500 * time.Millisecond, Skip: []netip.Prefix{netip.MustParsePrefix("10.20.4.0/25")}}, live4All[128:], 383},
		{"ipv6", []netip.Prefix{netip.MustParsePrefix("fd00:20::/119")},
			tolerant, addrsOf(live6), 512},
		{"dual stack", []netip.Prefix{netip.MustParsePrefix("10.20.4.0/23"), netip.MustParsePrefix("fd00:20::/119")},
			tolerant, append(append([]netip.Addr{}, live4All[1:]...), addrsOf(live6)...), 1022},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			res := l.sweep(t, tc.targets, tc.opts)
			checkFound(t, res, tc.want)
			if res.Probed != tc.probed {
				t.Errorf("probed = %d, want %d", res.Probed, tc.probed)
			}
			if res.Sent < res.Probed {
				t.Errorf("sent %d < probed %d", res.Sent, res.Probed)
			}
			if !res.Raw {
				t.Errorf("root sweep did not use raw sockets")
			}
		})
	}
}

func TestSweepUnprivilegedPingSocket(t *testing.T) {
	l := newLab(t)
	l.Sysctl(l.scanner, "net.ipv4.ping_group_range", "0 2147483647")
	no := false
	opts := tolerant
	opts.Privileged = &no
	res := l.sweep(t, []netip.Prefix{netip.MustParsePrefix("10.20.4.0/23"), netip.MustParsePrefix("fd00:20::/119")}, opts)
	checkFound(t, res, append(addrsOf(live4)[1:], addrsOf(live6)...))
	if res.Raw {
		t.Errorf("Privileged=false used a raw socket")
	}
}

func TestSweepRetriesRecoverLoss(t *testing.T) {
	l := newLab(t)
	// 40% of the echo requests the router forwards to the target vanish.
	l.Loss(l.router, "r1", 0.4)
	targets := []netip.Prefix{live4}
	without := l.sweep(t, targets, Options{Retries: 0, Timeout: 300 * time.Millisecond})
	// Sanity: the loss is real (P(all 254 of them pass) = 0.6^254).
	if len(without.Replies) == 254 {
		t.Fatalf("no loss observed without retries; the loss setup is broken")
	}
	// With 15 retries a host stays unfound with probability 0.4^16 = 4e-7.
	with := l.sweep(t, targets, Options{Retries: 15, Timeout: 300 * time.Millisecond, MinTimeout: 20 * time.Millisecond})
	checkFound(t, with, addrsOf(live4)[1:255])
	if with.Sent <= with.Probed {
		t.Errorf("sent %d, probed %d: retries were never sent", with.Sent, with.Probed)
	}
}

func TestSweepUnroutableTargetsRecorded(t *testing.T) {
	l := newLab(t)
	// 192.0.2.0/28 has no route in the scanner: every send fails, the sweep goes on.
	res := l.sweep(t, []netip.Prefix{netip.MustParsePrefix("192.0.2.0/28"), live4}, tolerant)
	checkFound(t, res, addrsOf(live4)[1:255])
	if len(res.Errors) == 0 {
		t.Fatalf("no error recorded for unroutable targets")
	}
	t.Logf("errors: %v", res.Errors)
}

func TestSweepCancel(t *testing.T) {
	l := newLab(t)
	err := nstest.Do(l.scanner, func() error {
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		_, err := Sweep(ctx, []netip.Prefix{live4}, Options{})
		return err
	})
	if err != context.Canceled {
		t.Fatalf("err = %v, want context.Canceled", err)
	}
}

// Two sweeps at once in one namespace see every echo reply on their raw
// sockets; identifiers and nonces keep each to its own.
func TestConcurrentSweepsKeepTheirReplies(t *testing.T) {
	l := newLab(t)
	a, b := netip.MustParsePrefix("10.20.4.0/25"), netip.MustParsePrefix("10.20.4.128/25")
	var ra, rb Result
	errc := make(chan error, 2)
	for _, job := range []struct {
		p   netip.Prefix
		res *Result
	}{{a, &ra}, {b, &rb}} {
		go func() {
			errc <- nstest.Do(l.scanner, func() error {
				var err error
				*job.res, err = Sweep(t.Context(), []netip.Prefix{job.p}, tolerant)
				return err
			})
		}()
	}
	for range 2 {
		if err := <-errc; err != nil {
			t.Fatal(err)
		}
	}
	checkFound(t, ra, addrsOf(a)[1:127])
	checkFound(t, rb, addrsOf(b)[1:127])
}
