// Package tcp finds live hosts and open ports with plain TCP connects, the
// one probe that needs no privileges. A refused connection proves the host
// is alive as much as an accepted one does; only silence (timeout) or an
// ICMP unreachable says nothing. Concurrency is a fixed worker pool so a
// /16 costs the same number of goroutines as a single address.
package tcp

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"strconv"
	"sync"
	"syscall"
	"time"
)

// State is what one connect attempt proved.
type State int

// States of one port.
const (
	// Filtered: no answer within the timeout (or unreachable): proves nothing.
	Filtered State = iota
	// Open: the handshake completed.
	Open
	// Closed: RST (connection refused): the host is alive, the port closed.
	Closed
)

func (s State) String() string {
	switch s {
	case Open:
		return "open"
	case Closed:
		return "closed"
	default:
		return "filtered"
	}
}

// Options tune a scan.
type Options struct {
	Timeout time.Duration // per connect; default 1s
	Retries int           // extra tries on filtered ports
	Workers int           // concurrent connects; default 64
	// Rate caps connects per second (0: unlimited).
	Rate int
	// Dial replaces the dialer (tests); nil uses net.Dialer.
	Dial func(ctx context.Context, network, addr string) (net.Conn, error)
}

// Probe is one (address, port) pair.
type Probe struct {
	Addr netip.Addr
	Port int
}

// HostResult is everything learned about one address.
type HostResult struct {
	Addr   netip.Addr
	Open   []int // sorted ascending
	Closed []int // sorted ascending
	// RTT of the first answered connect (open or refused).
	RTT time.Duration
}

// Alive reports whether any port answered.
func (h HostResult) Alive() bool { return len(h.Open) > 0 || len(h.Closed) > 0 }

// Result of a scan.
type Result struct {
	Hosts  []HostResult // only hosts that answered, sorted by address
	Probed int64        // connect attempts made (retries included)
	// Errors are local failures (out of file descriptors, ...), not silence.
	Errors []ProbeError
}

// ProbeError is one local failure while probing one target.
type ProbeError struct {
	Target string
	Err    error
}

// Scan connects to every port on every address. It returns when all probes
// finished or ctx is done (then with what was learned so far and ctx.Err()).
func Scan(ctx context.Context, addrs []netip.Addr, ports []int, opts Options) (Result, error) {
	opts = opts.withDefaults()
	jobs := make(chan Probe)
	type answer struct {
		p     Probe
		state State
		rtt   time.Duration
		tries int
		err   error
	}
	answers := make(chan answer, opts.Workers)
	var tick <-chan time.Time
	if opts.Rate > 0 {
		t := time.NewTicker(time.Second / time.Duration(opts.Rate))
		defer t.Stop()
		tick = t.C
	}
	var wg sync.WaitGroup
	for range opts.Workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for p := range jobs {
				st, rtt, tries, err := probeOne(ctx, p, opts, tick)
				answers <- answer{p, st, rtt, tries, err}
			}
		}()
	}
	go func() {
		defer close(jobs)
		for _, a := range addrs {
			for _, port := range ports {
				select {
				case jobs <- Probe{a, port}:
				case <-ctx.Done():
					return
				}
			}
		}
	}()
	go func() { wg.Wait(); close(answers) }()

	hosts := map[netip.Addr]*HostResult{}
	var res Result
	for an := range answers {
		res.Probed += int64(an.tries)
		if an.err != nil {
			res.Errors = append(res.Errors, ProbeError{Target: net.JoinHostPort(an.p.Addr.String(), strconv.Itoa(an.p.Port)), Err: an.err})
			continue
		}
		if an.state == Filtered {
			continue
		}
		h := hosts[an.p.Addr]
		if h == nil {
			h = &HostResult{Addr: an.p.Addr, RTT: an.rtt}
			hosts[an.p.Addr] = h
		}
		if an.rtt < h.RTT {
			h.RTT = an.rtt
		}
		if an.state == Open {
			h.Open = insertSorted(h.Open, an.p.Port)
		} else {
			h.Closed = insertSorted(h.Closed, an.p.Port)
		}
	}
	for _, h := range hosts {
		res.Hosts = append(res.Hosts, *h)
	}
	sortHosts(res.Hosts)
	return res, ctx.Err()
}

func (o Options) withDefaults() Options {
	if o.Timeout <= 0 {
		o.Timeout = time.Second
	}
	if o.Workers <= 0 {
		o.Workers = 64
	}
	if o.Retries < 0 {
		o.Retries = 0
	}
	if o.Dial == nil {
		d := &net.Dialer{}
		o.Dial = d.DialContext
	}
	return o
}

// probeOne connects, retrying while the port stays silent.
func probeOne(ctx context.Context, p Probe, opts Options, tick <-chan time.Time) (State, time.Duration, int, error) {
	addr := net.JoinHostPort(p.Addr.String(), strconv.Itoa(p.Port))
	tries := 0
	for attempt := 0; attempt <= opts.Retries; attempt++ {
		if tick != nil {
			select {
			case <-tick:
			case <-ctx.Done():
				return Filtered, 0, tries, nil
			}
		}
		if ctx.Err() != nil {
			return Filtered, 0, tries, nil
		}
		tries++
		st, rtt, err := Connect(ctx, addr, opts.Timeout, opts.Dial)
		if err != nil {
			return Filtered, 0, tries, err
		}
		if st != Filtered {
			return st, rtt, tries, nil
		}
	}
	return Filtered, 0, tries, nil
}

// Connect makes one connect attempt to addr ("host:port"). A returned error
// is a local failure (e.g. too many open files); silence and unreachable
// networks are Filtered with a nil error.
func Connect(ctx context.Context, addr string, timeout time.Duration, dial func(context.Context, string, string) (net.Conn, error)) (State, time.Duration, error) {
	if dial == nil {
		d := &net.Dialer{}
		dial = d.DialContext
	}
	cctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	start := time.Now()
	c, err := dial(cctx, "tcp", addr)
	rtt := time.Since(start)
	if err == nil {
		c.Close()
		return Open, rtt, nil
	}
	switch {
	case errors.Is(err, syscall.ECONNREFUSED):
		return Closed, rtt, nil
	case errors.Is(err, context.DeadlineExceeded), errors.Is(err, context.Canceled),
		errors.Is(err, syscall.EHOSTUNREACH), errors.Is(err, syscall.ENETUNREACH),
		errors.Is(err, syscall.ETIMEDOUT), errors.Is(err, syscall.EHOSTDOWN):
		return Filtered, 0, nil
	case errors.Is(err, syscall.EMFILE), errors.Is(err, syscall.ENFILE), errors.Is(err, syscall.EADDRNOTAVAIL):
		return Filtered, 0, fmt.Errorf("connect %s: %w", addr, err)
	}
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		return Filtered, 0, nil
	}
	return Filtered, 0, fmt.Errorf("connect %s: %w", addr, err)
}

func insertSorted(s []int, v int) []int {
	i := len(s)
	for i > 0 && s[i-1] > v {
		i--
	}
	s = append(s, 0)
	copy(s[i+1:], s[i:])
	s[i] = v
	return s
}
