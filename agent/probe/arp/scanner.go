//go:build linux

package arp

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"net"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/net/bpf"
	"golang.org/x/sys/unix"

	"github.com/egovnet/egovnet/agent/probe/internal/pace"
	"github.com/egovnet/egovnet/agent/probe/internal/rtt"
)

const (
	frameLen  = 42 // Ethernet header + ARP for IPv4 over Ethernet
	opRequest = 1
	opReply   = 2
)

// scanner runs the ARP scan of one interface over one AF_PACKET socket.
type scanner struct {
	j     *job
	opts  Options
	f     *os.File
	pacer *pace.Pacer
	start time.Time

	sentAt []atomic.Int64 // per target: last request, ns since start
	found  []atomic.Uint64
	nfound atomic.Int64
	wake   chan struct{}

	mu      sync.Mutex // entries, rtt
	entries []Entry
	rtt     rtt.Estimator

	err error
}

func htons(v uint16) uint16 { return v<<8 | v>>8 }

func newScanner(j *job, opts Options) (*scanner, error) {
	fd, err := unix.Socket(unix.AF_PACKET, unix.SOCK_RAW|unix.SOCK_CLOEXEC|unix.SOCK_NONBLOCK, int(htons(unix.ETH_P_ARP)))
	if err != nil {
		return nil, fmt.Errorf("open packet socket on %s (needs CAP_NET_RAW): %w", j.ifc.Name, err)
	}
	fail := func(what string, err error) (*scanner, error) {
		unix.Close(fd)
		return nil, fmt.Errorf("%s on %s: %w", what, j.ifc.Name, err)
	}
	// Only ARP replies reach us: ARP opcode (offset 20) == 2.
	prog, err := bpf.Assemble([]bpf.Instruction{
		bpf.LoadAbsolute{Off: 20, Size: 2},
		bpf.JumpIf{Cond: bpf.JumpEqual, Val: opReply, SkipFalse: 1},
		bpf.RetConstant{Val: 0xffff},
		bpf.RetConstant{Val: 0},
	})
	if err != nil {
		return fail("assemble filter", err)
	}
	filter := make([]unix.SockFilter, len(prog))
	for i, in := range prog {
		filter[i] = unix.SockFilter{Code: in.Op, Jt: in.Jt, Jf: in.Jf, K: in.K}
	}
	if err := unix.SetsockoptSockFprog(fd, unix.SOL_SOCKET, unix.SO_ATTACH_FILTER, &unix.SockFprog{Len: uint16(len(filter)), Filter: &filter[0]}); err != nil {
		return fail("attach filter", err)
	}
	if unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_RCVBUFFORCE, 4<<20) != nil {
		_ = unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_RCVBUF, 4<<20)
	}
	if err := unix.Bind(fd, &unix.SockaddrLinklayer{Protocol: htons(unix.ETH_P_ARP), Ifindex: j.ifc.Index}); err != nil {
		return fail("bind packet socket", err)
	}
	return &scanner{
		j: j, opts: opts, f: os.NewFile(uintptr(fd), "arp:"+j.ifc.Name), pacer: pacerFor(opts),
		sentAt: make([]atomic.Int64, j.total), found: make([]atomic.Uint64, (j.total+63)/64),
		wake: make(chan struct{}, 1),
	}, nil
}

func (s *scanner) close() { s.f.Close() }

func (s *scanner) isFound(i uint64) bool { return s.found[i/64].Load()&(1<<(i%64)) != 0 }

// run sends rounds of requests to the silent addresses, each round
// followed by the adaptive wait, until all answered or retries are spent.
func (s *scanner) run(ctx context.Context) {
	s.start = time.Now()
	done := make(chan struct{})
	go func() { defer close(done); s.receive() }()
	defer func() {
		s.f.SetReadDeadline(time.Unix(1, 0))
		<-done
	}()
	frame := s.request()
	timer := time.NewTimer(time.Hour)
	defer timer.Stop()
	allIn := func() bool { return s.nfound.Load() >= int64(s.j.total) }
	for round := 0; round <= s.opts.Retries; round++ {
		before := s.nfound.Load()
		var i uint64
		for _, r := range s.j.ranges {
			for v := uint64(r.lo); v <= uint64(r.hi); v, i = v+1, i+1 {
				if s.isFound(i) {
					continue
				}
				if !s.pacer.Wait(ctx, timer, s.start) {
					return
				}
				binary.BigEndian.PutUint32(frame[38:], uint32(v))
				s.sentAt[i].Store(int64(time.Since(s.start)))
				if _, err := s.f.Write(frame); err != nil {
					if !errors.Is(err, unix.ENOBUFS) {
						s.err = fmt.Errorf("send ARP request on %s: %w", s.j.ifc.Name, err)
						return
					}
					s.pacer.Loss(time.Since(s.start)) // the device queue is full
				}
			}
		}
		// Wait for the replies to this round, or less if all are in.
		if !pace.AwaitReplies(ctx, timer, s.wake, s.wait(), allIn) {
			return
		}
		if round > 0 && s.nfound.Load() > before {
			s.pacer.Loss(time.Since(s.start)) // hosts that needed a retry: slow down
		}
		if s.nfound.Load() == int64(s.j.total) || ctx.Err() != nil {
			return
		}
	}
}

// wait is how long to listen after a round.
func (s *scanner) wait() time.Duration {
	s.mu.Lock()
	defer s.mu.Unlock()
	d := s.opts.Timeout
	if s.rtt.SRTT() > 0 {
		d = s.rtt.RTO()
	}
	return min(max(d, s.opts.MinTimeout), s.opts.Timeout)
}

// request is a broadcast who-has frame from our address; the target
// address (bytes 38..41) is filled in per request.
func (s *scanner) request() []byte {
	b := make([]byte, frameLen)
	copy(b[0:6], []byte{0xff, 0xff, 0xff, 0xff, 0xff, 0xff})
	copy(b[6:12], s.j.ifc.HardwareAddr)
	binary.BigEndian.PutUint16(b[12:], unix.ETH_P_ARP)
	binary.BigEndian.PutUint16(b[14:], 1)      // Ethernet
	binary.BigEndian.PutUint16(b[16:], 0x0800) // IPv4
	b[18], b[19] = 6, 4
	binary.BigEndian.PutUint16(b[20:], opRequest)
	copy(b[22:28], s.j.ifc.HardwareAddr)
	src := s.j.src.As4()
	copy(b[28:32], src[:])
	return b
}

// receive reads ARP replies until the read deadline is moved into the past.
func (s *scanner) receive() {
	buf := make([]byte, 1514)
	for {
		n, err := s.f.Read(buf)
		now := time.Since(s.start)
		if err != nil {
			if errors.Is(err, os.ErrDeadlineExceeded) || errors.Is(err, os.ErrClosed) {
				return
			}
			continue
		}
		ip, mac, ok := parseReply(buf[:n])
		if !ok {
			continue
		}
		i, ok := s.j.index(ip)
		if !ok {
			continue
		}
		w, bit := &s.found[i/64], uint64(1)<<(i%64)
		if w.Or(bit)&bit != 0 {
			continue // duplicate
		}
		sample := now - time.Duration(s.sentAt[i].Load())
		s.mu.Lock()
		s.entries = append(s.entries, Entry{IP: addr4(ip), MAC: mac, Iface: s.j.ifc.Name})
		if sample > 0 {
			s.rtt.Observe(sample)
		}
		s.mu.Unlock()
		s.nfound.Add(1)
		select {
		case s.wake <- struct{}{}:
		default:
		}
	}
}

// parseReply returns the sender address and hardware address of an ARP
// reply for IPv4 over Ethernet.
func parseReply(b []byte) (ip uint32, mac net.HardwareAddr, ok bool) {
	if len(b) < frameLen || binary.BigEndian.Uint16(b[12:]) != unix.ETH_P_ARP {
		return 0, nil, false
	}
	if binary.BigEndian.Uint16(b[14:]) != 1 || binary.BigEndian.Uint16(b[16:]) != 0x0800 || b[18] != 6 || b[19] != 4 ||
		binary.BigEndian.Uint16(b[20:]) != opReply {
		return 0, nil, false
	}
	mac = append(net.HardwareAddr(nil), b[22:28]...)
	ip = binary.BigEndian.Uint32(b[28:32])
	if ip == 0 {
		return 0, nil, false
	}
	return ip, mac, true
}

// Usable reports whether this process may open the AF_PACKET socket an ARP
// scan needs (root or CAP_NET_RAW).
func Usable() bool {
	fd, err := unix.Socket(unix.AF_PACKET, unix.SOCK_DGRAM, 0)
	if err != nil {
		return false
	}
	unix.Close(fd)
	return true
}
