// Package vpn checks live hosts for VPN services, which are evidence of a
// private link (业务专网) or a self-built remote-access exit: IKE (IPsec,
// UDP 500 and NAT-T 4500), OpenVPN (UDP 1194), L2TP (UDP 1701) and PPTP
// (TCP 1723, here because it is the same question asked over TCP). UDP
// services stay silent unless spoken to in their own protocol, so each
// check sends the first packet a real client sends and accepts only a reply
// that a real daemon would give (matching our SPI / session / tunnel id).
package vpn

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"os"
	"sort"
	"strconv"
	"sync"
	"time"
)

// Service is one protocol check.
type Service struct {
	Name  string // ike, ike-nat-t, openvpn, l2tp, pptp
	Proto string // udp or tcp
	Port  int
	// Probe returns true when addr ("host:port") answered like the service.
	Probe func(ctx context.Context, addr string, timeout time.Duration) (bool, error)
}

// DefaultServices are the VPN checks on their well-known ports.
func DefaultServices() []Service {
	return []Service{
		{Name: "ike", Proto: "udp", Port: 500, Probe: ProbeIKE},
		{Name: "ike-nat-t", Proto: "udp", Port: 4500, Probe: ProbeIKENATT},
		{Name: "openvpn", Proto: "udp", Port: 1194, Probe: ProbeOpenVPN},
		{Name: "l2tp", Proto: "udp", Port: 1701, Probe: ProbeL2TP},
		{Name: "pptp", Proto: "tcp", Port: 1723, Probe: ProbePPTP},
	}
}

// Options tune a check run.
type Options struct {
	Timeout  time.Duration // per packet; default 1s
	Retries  int           // extra sends on silence
	Workers  int           // default 16
	Services []Service     // default DefaultServices()
}

// Finding is one service that answered.
type Finding struct {
	Addr    netip.Addr
	Port    int
	Proto   string
	Service string
}

// ProbeError is one local failure while checking one target.
type ProbeError struct {
	Target string
	Err    error
}

// Result of a check run.
type Result struct {
	Findings []Finding // sorted by address, port
	Probed   int64
	Errors   []ProbeError
}

// Check runs every service check on every address with a bounded pool.
func Check(ctx context.Context, addrs []netip.Addr, opts Options) (Result, error) {
	if opts.Timeout <= 0 {
		opts.Timeout = time.Second
	}
	if opts.Workers <= 0 {
		opts.Workers = 16
	}
	if opts.Services == nil {
		opts.Services = DefaultServices()
	}
	type job struct {
		a netip.Addr
		s Service
	}
	jobs := make(chan job)
	var mu sync.Mutex
	var res Result
	var wg sync.WaitGroup
	for range opts.Workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range jobs {
				target := net.JoinHostPort(j.a.String(), strconv.Itoa(j.s.Port))
				var ok bool
				var err error
				tries := 0
				for attempt := 0; attempt <= opts.Retries && ctx.Err() == nil; attempt++ {
					tries++
					ok, err = j.s.Probe(ctx, target, opts.Timeout)
					if ok || err != nil {
						break
					}
				}
				mu.Lock()
				res.Probed += int64(tries)
				if err != nil {
					res.Errors = append(res.Errors, ProbeError{Target: target, Err: fmt.Errorf("%s: %w", j.s.Name, err)})
				} else if ok {
					res.Findings = append(res.Findings, Finding{Addr: j.a, Port: j.s.Port, Proto: j.s.Proto, Service: j.s.Name})
				}
				mu.Unlock()
			}
		}()
	}
feed:
	for _, a := range addrs {
		for _, s := range opts.Services {
			select {
			case jobs <- job{a, s}:
			case <-ctx.Done():
				break feed
			}
		}
	}
	close(jobs)
	wg.Wait()
	sort.Slice(res.Findings, func(i, j int) bool {
		if res.Findings[i].Addr != res.Findings[j].Addr {
			return res.Findings[i].Addr.Less(res.Findings[j].Addr)
		}
		return res.Findings[i].Port < res.Findings[j].Port
	})
	return res, ctx.Err()
}

// exchange sends req over UDP and hands every datagram received before the
// deadline to match until it accepts one. Silence, ICMP port unreachable
// (ECONNREFUSED on a connected socket) and the deadline are "no" without error.
func exchange(ctx context.Context, addr string, timeout time.Duration, req []byte, match func([]byte) bool) (bool, error) {
	cctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	var d net.Dialer
	c, err := d.DialContext(cctx, "udp", addr)
	if err != nil {
		return false, fmt.Errorf("dial %s: %w", addr, err)
	}
	defer c.Close()
	deadline, _ := cctx.Deadline()
	_ = c.SetDeadline(deadline)
	stop := context.AfterFunc(cctx, func() { _ = c.SetDeadline(time.Unix(1, 0)) })
	defer stop()
	if _, err := c.Write(req); err != nil {
		if isSilence(err) {
			return false, nil
		}
		return false, fmt.Errorf("send %s: %w", addr, err)
	}
	buf := make([]byte, 4096)
	for {
		n, err := c.Read(buf)
		if err != nil {
			if isSilence(err) {
				return false, nil
			}
			return false, fmt.Errorf("read %s: %w", addr, err)
		}
		if match(buf[:n]) {
			return true, nil
		}
	}
}

func isSilence(err error) bool {
	var ne net.Error
	return errors.Is(err, os.ErrDeadlineExceeded) || errors.Is(err, context.DeadlineExceeded) ||
		errors.Is(err, context.Canceled) || (errors.As(err, &ne) && ne.Timeout()) ||
		isUnreachable(err)
}
