// Package icmp finds live hosts with ICMP echo. Sweep sends every probe of
// a sweep over one socket per address family and receives concurrently,
// telling replies apart by identifier, sequence and a per-sweep payload,
// so goroutines and sockets stay constant however many targets there are
// (pro-bing's socket-and-goroutines per target took 12.7 s for a /20 that
// one socket sweeps in a fraction of fping's 1 s). Stats keeps pro-bing for
// what it does well: loss and RTT statistics of a few important targets.
package icmp

import (
	"context"
	"crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"
	"net/netip"
	"sort"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/egovnet/egovnet/agent/probe/internal/icmpsock"
	"github.com/egovnet/egovnet/agent/probe/internal/pace"
	"github.com/egovnet/egovnet/agent/probe/internal/rtt"
	"github.com/egovnet/egovnet/agent/probe/internal/timing"
)

// Defaults applied to zero Options fields.
const (
	DefaultRate       = 100000 // packets per second: "unlimited-ish"
	DefaultTimeout    = time.Second
	DefaultMinTimeout = 200 * time.Millisecond
)

// Options tune a sweep.
type Options struct {
	// Rate is the sending rate in packets per second over all families;
	// 0 means adaptive up to MaxRate, or DefaultRate when MaxRate is 0.
	Rate int
	// MaxRate caps the adaptive rate (pace.NewAdaptive): it starts
	// moderate, grows while replies keep up and halves when an answer
	// needed a retry or the send queue filled.
	MaxRate int
	// Timeout is the longest wait for a reply to one probe; 0 means
	// DefaultTimeout. The wait adapts to the measured RTT (srtt+4*rttvar,
	// doubled on every retry) between MinTimeout and Timeout.
	Timeout time.Duration
	// MinTimeout is the floor of the adaptive wait; 0 means
	// DefaultMinTimeout (or Timeout when that is smaller). Set it to
	// Timeout for a fixed wait.
	MinTimeout time.Duration
	// Retries is how many more probes an unanswered address gets.
	Retries int
	// Privileged: nil tries a raw socket, then an unprivileged ping
	// socket; true raw only; false ping socket only.
	Privileged *bool
	// MaxAddresses bounds the sweep; 0 means DefaultMaxAddresses.
	MaxAddresses int
	// Skip lists prefixes whose addresses are not probed. Pass
	// arp.OnLink(targets) to leave on-link segments to the ARP scan: ICMP
	// to a large on-link segment overflows the kernel neighbour table,
	// which every network namespace of the host shares.
	Skip []netip.Prefix
}

// Reply is one live address.
type Reply struct {
	Addr netip.Addr
	RTT  time.Duration
}

// Result is what a sweep found, in address order.
type Result struct {
	Replies []Reply
	// Probed is the number of distinct addresses probed.
	Probed int64
	// Sent is the number of echo requests sent, retries included.
	Sent int64
	// Duplicates counts replies for addresses already found.
	Duplicates int64
	// Errors summarises what failed (per error, with a count); a failing
	// address never stops the sweep.
	Errors []string
	// Raw tells whether raw sockets (true) or ping sockets were used.
	Raw bool
}

// Sweep probes every address of targets (IPv4 network and broadcast
// addresses of prefixes up to /30 excluded, overlaps merged) and returns
// the addresses that answered. On cancellation it returns what it found
// so far with ctx's error.
func Sweep(ctx context.Context, targets []netip.Prefix, opts Options) (Result, error) {
	if err := opts.normalise(); err != nil {
		return Result{}, err
	}
	v4, v6 := splitFamilies(targets)
	var sets []*targetSet
	var fams []bool
	for i, ps := range [][]netip.Prefix{v4, v6} {
		if len(ps) == 0 {
			continue
		}
		ts, err := newTargetSet(ps, opts.Skip, uint64(opts.MaxAddresses))
		if err != nil {
			return Result{}, err
		}
		if ts.total > 0 {
			sets, fams = append(sets, ts), append(fams, i == 1)
		}
	}
	if n := totalOf(sets); n > uint64(opts.MaxAddresses) {
		return Result{}, fmt.Errorf("too many target addresses: %d > %d", n, opts.MaxAddresses)
	}
	// Open every socket here, on the caller's thread: a caller that entered
	// a network namespace on a locked thread gets its sockets there.
	var engines []*engine
	defer func() {
		for _, e := range engines {
			e.conn.Close()
		}
	}()
	p := pace.For(opts.Rate, opts.MaxRate, DefaultRate)
	var openErrs []string
	for i, ts := range sets {
		c, err := icmpsock.Listen(icmpsock.Config{V6: fams[i], Privileged: opts.Privileged, Accept: acceptEchoReply(fams[i])})
		if err != nil {
			// One family failing (IPv6 disabled, say) must not cost the other.
			openErrs = append(openErrs, fmt.Sprintf("%v (%d addresses not probed)", err, ts.total))
			if len(sets) == 1 || i == len(sets)-1 && len(engines) == 0 {
				return Result{}, err
			}
			continue
		}
		e, err := newEngine(c, ts, opts, p)
		if err != nil {
			c.Close()
			return Result{}, err
		}
		engines = append(engines, e)
	}
	start := time.Now()
	var wg sync.WaitGroup
	for _, e := range engines {
		wg.Add(1)
		go func() { defer wg.Done(); e.run(ctx, start) }()
	}
	wg.Wait()
	res := Result{Errors: openErrs}
	n := 0
	for _, e := range engines {
		n += len(e.replies)
	}
	res.Replies = make([]Reply, 0, n)
	for _, e := range engines { // IPv4 first, then IPv6: address order
		sort.Slice(e.replies, func(i, j int) bool { return e.replies[i].index < e.replies[j].index })
		for _, f := range e.replies {
			res.Replies = append(res.Replies, Reply{Addr: e.ts.addr(uint64(f.index)), RTT: f.rtt})
		}
		res.Probed += int64(e.next)
		res.Sent += e.sent.Load()
		res.Duplicates += e.dups
		res.Errors = append(res.Errors, e.errs.summary()...)
		res.Raw = e.conn.Raw
	}
	return res, ctx.Err()
}

func totalOf(sets []*targetSet) (n uint64) {
	for _, s := range sets {
		n += s.total
	}
	return n
}

func acceptEchoReply(v6 bool) []uint8 {
	if v6 {
		return []uint8{typeEchoReply6}
	}
	return []uint8{typeEchoReply4}
}

// normalise checks o and fills its zero fields (rate, retries and waits by
// the rules shared with the other active probes in package timing).
func (o *Options) normalise() error {
	t, err := timing.Normalise(
		timing.Options{Rate: o.Rate, MaxRate: o.MaxRate, Timeout: o.Timeout, MinTimeout: o.MinTimeout, Retries: o.Retries},
		timing.Defaults{Rate: DefaultRate, Timeout: DefaultTimeout, MinTimeout: DefaultMinTimeout})
	if err != nil {
		return err
	}
	if o.MaxAddresses < 0 {
		return fmt.Errorf("invalid max addresses %d", o.MaxAddresses)
	}
	o.Rate, o.Timeout, o.MinTimeout = t.Rate, t.Timeout, t.MinTimeout
	if o.MaxAddresses == 0 {
		o.MaxAddresses = DefaultMaxAddresses
	}
	return nil
}

// foundWord holds the found bits of 64 targets.
type foundWord = atomic.Uint64

// found is one answered target, kept small: a /16 of them is 1 MB.
type found struct {
	index uint32
	rtt   time.Duration
}

// pending is one probe waiting for its answer or its timeout.
type pending struct {
	index   uint32
	attempt uint8
	sent    time.Duration
}

// engine sweeps one address family over one socket: the sender (run)
// paces first probes and due retries; the receiver marks targets found.
type engine struct {
	conn  *icmpsock.Conn
	ts    *targetSet
	opts  Options
	pacer *pace.Pacer
	m     matcher
	start time.Time

	found []foundWord   // bit per target index
	wake  chan struct{} // receiver -> sender: something was found
	rto   atomic.Int64  // current adaptive timeout (ns)
	sent  atomic.Int64
	next  uint64 // targets given their first probe (sender-owned)

	// receiver-owned until it stops
	replies []found
	dups    int64
	rtt     rtt.Estimator

	errs errorSet
}

func newEngine(c *icmpsock.Conn, ts *targetSet, opts Options, p *pace.Pacer) (*engine, error) {
	var nb [8]byte
	if _, err := rand.Read(nb[:]); err != nil {
		return nil, fmt.Errorf("read random nonce: %w", err)
	}
	e := &engine{conn: c, ts: ts, opts: opts, pacer: p, replies: make([]found, 0, min(ts.total, 1<<16)),
		found: make([]foundWord, (ts.total+63)/64), wake: make(chan struct{}, 1)}
	e.m = matcher{v6: c.V6, checkID: c.Raw, id: c.ID, nonce: binary.BigEndian.Uint64(nb[:]), total: ts.total,
		addrOf: func(i uint64) [16]byte { return ts.addr(i).As16() }}
	e.rto.Store(int64(opts.Timeout))
	return e, nil
}

func (e *engine) isFound(i uint32) bool { return e.found[i/64].Load()&(1<<(i%64)) != 0 }

// timeout is how long to wait for an answer to an attempt.
func (e *engine) timeout(attempt uint8) time.Duration {
	d := time.Duration(e.rto.Load())
	for i := uint8(0); i < attempt && d < e.opts.Timeout; i++ {
		d *= 2 // back off; stop before it can overflow
	}
	return min(max(d, e.opts.MinTimeout), e.opts.Timeout)
}

func (e *engine) run(ctx context.Context, start time.Time) {
	e.start = start
	done := make(chan struct{})
	go func() { defer close(done); e.receive() }()
	e.send(ctx)
	// Stop the receiver: a deadline in the past wakes its blocked read.
	e.conn.SetReadDeadline(time.Unix(1, 0))
	<-done
}

// send runs the sender until every target has been answered or has had
// its last attempt time out, or ctx ends. Outstanding probes wait in one
// FIFO per attempt number; within one FIFO deadlines are in send order, so
// only the heads need looking at and no per-probe timer exists.
func (e *engine) send(ctx context.Context) {
	var (
		b      = &batch{}
		queues = make([]fifo, e.opts.Retries+1)
		next   uint64 // next target for its first probe
		timer  = time.NewTimer(time.Hour)
	)
	defer timer.Stop()
	total := e.ts.total
	for ctx.Err() == nil {
		now := time.Since(e.start)
		wait := time.Duration(-1) // until the next event; -1: none pending
		soonest := func(d time.Duration) {
			if wait < 0 || d < wait {
				wait = d
			}
		}
		// The most overdue head of any FIFO goes first.
		best, bestDue := -1, time.Duration(0)
		for a := range queues {
			q := &queues[a]
			for q.len() > 0 && e.isFound(q.peek().index) {
				q.pop()
			}
			if q.len() == 0 {
				continue
			}
			due := q.peek().sent + e.timeout(uint8(a))
			if best < 0 || due < bestDue {
				best, bestDue = a, due
			}
		}
		if best >= 0 && bestDue <= now {
			p := queues[best].peek()
			if best >= e.opts.Retries {
				queues[best].pop() // last attempt unanswered: give up
				continue
			}
			if w := e.pacer.Reserve(now); w > 0 {
				soonest(w)
			} else {
				queues[best].pop()
				r := pending{index: p.index, attempt: p.attempt + 1, sent: now}
				e.add(b, r)
				queues[r.attempt].push(r)
				continue
			}
		} else if best >= 0 {
			soonest(bestDue - now)
		}
		if next < total {
			if w := e.pacer.Reserve(now); w > 0 {
				soonest(w)
			} else {
				p := pending{index: uint32(next), sent: now}
				e.add(b, p)
				queues[0].push(p)
				next++
				e.next = next
				continue
			}
		}
		e.flush(b)
		if wait < 0 {
			return // everything sent, answered or given up
		}
		timer.Reset(max(wait, pace.MinSleep))
		select {
		case <-ctx.Done():
		case <-timer.C:
		case <-e.wake:
			timer.Stop() // Go >= 1.23: no stale tick after Stop or Reset
		}
	}
}

// fifo is a ring of pending probes; it grows only when full, so its size
// follows the number of outstanding probes (rate x timeout), not targets.
type fifo struct {
	buf        []pending
	head, size int
}

func (q *fifo) len() int      { return q.size }
func (q *fifo) peek() pending { return q.buf[q.head] }
func (q *fifo) push(p pending) {
	if q.size == len(q.buf) {
		grown := make([]pending, max(64, 2*len(q.buf)))
		n := copy(grown, q.buf[q.head:])
		copy(grown[n:], q.buf[:q.head])
		q.buf, q.head = grown, 0
	}
	q.buf[(q.head+q.size)%len(q.buf)] = p
	q.size++
}
func (q *fifo) pop() {
	q.head = (q.head + 1) % len(q.buf)
	q.size--
}

// batch collects probes for one sendmmsg.
type batch struct {
	bufs [icmpsock.MaxBatch][probeLen]byte
	pkts [][]byte
	dsts []netip.Addr
}

// add queues probe p for sending.
func (e *engine) add(b *batch, p pending) {
	pkt := marshalEcho(b.bufs[len(b.pkts)][:], e.conn.V6, e.conn.ID, e.m.nonce, probe{index: p.index, attempt: p.attempt, sent: p.sent})
	b.pkts = append(b.pkts, pkt)
	b.dsts = append(b.dsts, e.ts.addr(uint64(p.index)))
	if len(b.pkts) == icmpsock.MaxBatch {
		e.flush(b)
	}
}

// flush sends the queued probes; a failed send is recorded and its
// address counts as unanswered, the rest of the batch still goes.
func (e *engine) flush(b *batch) {
	pkts, dsts := b.pkts, b.dsts
	now := time.Since(e.start) // stamp the real send time: RTTs stay exact
	for _, p := range pkts {
		restamp(p, e.conn.V6, now)
	}
	for try := 0; len(pkts) > 0; {
		n, err := e.conn.WriteBatch(pkts, dsts)
		e.sent.Add(int64(n))
		pkts, dsts = pkts[n:], dsts[n:]
		if err == nil {
			continue
		}
		if errors.Is(err, syscall.ENOBUFS) && try < 20 {
			try++
			e.pacer.Loss(time.Since(e.start))
			time.Sleep(time.Millisecond) // a full device queue drains quickly
			continue
		}
		if len(pkts) > 0 {
			e.errs.add("send", dsts[0], err)
			pkts, dsts = pkts[1:], dsts[1:]
		}
	}
	b.pkts, b.dsts = b.pkts[:0], b.dsts[:0]
}

// receive reads replies, a batch per system call, until the read
// deadline is moved into the past.
func (e *engine) receive() {
	const bufLen = 128 // an IPv4 header and our 32-byte reply fit; longer packets are not ours
	bufs := make([][]byte, icmpsock.MaxBatch)
	for i := range bufs {
		bufs[i] = make([]byte, bufLen)
	}
	lens := make([]int, icmpsock.MaxBatch)
	srcs := make([]netip.Addr, icmpsock.MaxBatch)
	for {
		n, err := e.conn.ReadBatch(bufs, lens, srcs)
		now := time.Since(e.start)
		if err != nil {
			if icmpsock.IsTimeout(err) || errors.Is(err, errClosed) {
				return
			}
			e.errs.add("receive", netip.Addr{}, err)
			if e.errs.count() > 1000 {
				return
			}
			continue
		}
		for i := 0; i < n; i++ {
			e.handle(bufs[i][:min(lens[i], bufLen)], srcs[i].WithZone("").As16(), now)
		}
	}
}

// handle takes one received packet: a new answer marks its target found,
// feeds the RTT estimate and wakes the sender; a duplicate is counted.
func (e *engine) handle(b []byte, src [16]byte, now time.Duration) {
	p, v := e.m.match(b, src, now)
	if v != accepted {
		return
	}
	w := &e.found[p.index/64]
	bit := uint64(1) << (p.index % 64)
	if w.Or(bit)&bit != 0 {
		e.dups++
		return
	}
	if p.attempt > 0 {
		e.pacer.Loss(now) // the first try went unanswered: slow down
	}
	sample := now - p.sent
	e.replies = append(e.replies, found{index: p.index, rtt: sample})
	e.observe(sample)
	select {
	case e.wake <- struct{}{}:
	default:
	}
}

// observe folds one RTT sample into the adaptive timeout (RFC 6298).
func (e *engine) observe(sample time.Duration) {
	e.rtt.Observe(sample)
	e.rto.Store(int64(e.rtt.RTO()))
}
