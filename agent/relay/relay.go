// Package relay lets a department's network agent carry the traffic of the
// endpoint agents of an isolated network that cannot reach the collector
// themselves (CONTRACT "Agents managed from the collector"; issue #15).
// Endpoint agents point collector.url at the relay; the relay
//
//   - stores every report upload durably in its own spool (file written,
//     fsynced, renamed, directory fsynced) BEFORE it answers 202, then
//     forwards it upstream oldest first, with the endpoint agent's own
//     credential and the body bytes exactly as received, so the collector
//     authenticates and attributes the report to that endpoint agent. An
//     agent whose department the collector pauses (503 with Retry-After)
//     waits, its reports in order, without holding back the others; so
//     does a report the collector fails on (500), up to three in a row. The
//     relay never parses or rewrites a report. It is not a trust boundary:
//     it holds each waiting report's credential, so whoever controls the
//     relay host or its disk can alter a waiting report or write one for
//     those agents (reports carry no signature of their own). The
//     collector refuses only what it can tell: another agent's name (403),
//     an agent of a department its plan lacks (403), a report id it holds
//     with other content (409), a broken body (400); those move to the
//     relay spool's rejected/ with the reason. Uploads
//     are accepted with any bearer credential and checked at the collector
//     when forwarded (relay.allow limits who may reach the relay);
//   - proxies config polls (and enrolment, release metadata and downloads)
//     live: when the collector cannot be reached it answers 503, so an
//     endpoint agent keeps its last configuration and retries;
//   - is bounded: the collector's body size limit (413), a spool cap in
//     reports and bytes (507 when full: the endpoint agent keeps the report
//     in its own spool, nothing is dropped), a per-client and a total
//     concurrency limit (429/503 with Retry-After).
//
// Acknowledged uploads are never dropped; an upload the relay crashed on
// before answering is sent again by the endpoint agent and stored once by
// the collector (report ids are idempotent there).
package relay

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/egovnet/egovnet/agent/uplink"
)

// Routes the relay serves (the collector's agent routes).
const (
	ReportsPath = "/api/v1/reports"
	ConfigPath  = "/api/v1/agent/config"
	ReleasePath = "/api/v1/agent/release"
	EnrollPath  = "/api/v1/agents/enroll"
)

// Options bound and tune a relay. Zero values take the defaults noted.
type Options struct {
	// MaxReportBytes is the largest upload accepted; keep it equal to the
	// collector's limits.max_report_bytes (default 64 MiB).
	MaxReportBytes int64
	// PerClient bounds concurrent uploads of one endpoint agent (one
	// credential); default 2. MaxConcurrent bounds all requests; default 16.
	PerClient     int
	MaxConcurrent int
	// Allow, when not empty, is the only source addresses served (403
	// otherwise): the department's own endpoint networks.
	Allow []netip.Prefix
	// MinBackoff and MaxBackoff space forwarding attempts while the
	// collector is unreachable; defaults 1s and 30s. A successful proxied
	// poll ends the wait at once. A wait the collector asks for
	// (Retry-After) when it defers some agents' reports is kept up to
	// MaxBackoff or a minute, whichever is more (maxPause).
	MinBackoff, MaxBackoff time.Duration
	// ProxyTimeout bounds a proxied poll or enrolment; default 30s.
	ProxyTimeout time.Duration
	Log          *slog.Logger
}

// Relay is one relay: its spool, its upstream and its limits.
type Relay struct {
	up *uplink.Client
	st *Store
	o  Options

	slots chan struct{}
	kick  chan struct{}

	mu     sync.Mutex
	active map[string]int
	// paused holds, by clientKey, until when the collector asked an
	// agent's reports to wait: a pass woken early (by an upload or a
	// proxied poll) forwards the others without asking again.
	paused map[string]time.Time
	// failing holds, by spool entry, the reports the collector failed on
	// (500) and when each may be sent again: across passes, so that a few
	// such reports at the head of the spool (three ending every pass) or
	// a pass woken early do not resend them before their backoff.
	failing map[string]failure
	now     func() time.Time // a test's clock
}

// failure is a relayed report's run of 500s.
type failure struct {
	n    int
	next time.Time
}

// New returns a relay forwarding through up (a client for the network
// agent's collector) and spooling into st.
func New(up *uplink.Client, st *Store, o Options) *Relay {
	if o.MaxReportBytes <= 0 {
		o.MaxReportBytes = 64 << 20
	}
	if o.PerClient <= 0 {
		o.PerClient = 2
	}
	if o.MaxConcurrent <= 0 {
		o.MaxConcurrent = 16
	}
	if o.MinBackoff <= 0 {
		o.MinBackoff = time.Second
	}
	if o.MaxBackoff < o.MinBackoff {
		o.MaxBackoff = max(30*time.Second, o.MinBackoff)
	}
	if o.ProxyTimeout <= 0 {
		o.ProxyTimeout = 30 * time.Second
	}
	if o.Log == nil {
		o.Log = slog.Default()
	}
	return &Relay{up: up, st: st, o: o, slots: make(chan struct{}, o.MaxConcurrent), kick: make(chan struct{}, 1),
		active: map[string]int{}, paused: map[string]time.Time{}, failing: map[string]failure{}, now: time.Now}
}

// Handler serves the endpoint agents' routes.
func (r *Relay) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("POST "+ReportsPath, r.postReport)
	mux.Handle("GET "+ConfigPath, r.proxy(r.o.ProxyTimeout, 0))
	mux.Handle("GET "+ReleasePath, r.proxy(r.o.ProxyTimeout, 0))
	// A release download is large and the department line may be slow:
	// only the endpoint agent's own request bounds it.
	mux.Handle("GET "+ReleasePath+"/{id}/binary", r.proxy(0, 0))
	mux.Handle("POST "+EnrollPath, r.proxy(r.o.ProxyTimeout, 64<<10))
	mux.HandleFunc("GET /healthz", r.healthz)
	mux.HandleFunc("/", func(w http.ResponseWriter, _ *http.Request) {
		writeError(w, http.StatusNotFound, "not a route the relay carries")
	})
	return r.limit(mux)
}

// limit applies the source allow-list and the total concurrency bound.
func (r *Relay) limit(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		if len(r.o.Allow) > 0 && !r.allowed(req.RemoteAddr) {
			r.o.Log.Warn("relay request from an address outside relay.allow refused", "remote", req.RemoteAddr)
			writeError(w, http.StatusForbidden, "source address not allowed by relay.allow")
			return
		}
		select {
		case r.slots <- struct{}{}:
			defer func() { <-r.slots }()
		default:
			w.Header().Set("Retry-After", "5")
			writeError(w, http.StatusServiceUnavailable, "relay busy")
			return
		}
		next.ServeHTTP(w, req)
	})
}

func (r *Relay) allowed(remote string) bool {
	ap, err := netip.ParseAddrPort(remote)
	if err != nil {
		return false
	}
	for _, p := range r.o.Allow {
		if p.Contains(ap.Addr().Unmap()) {
			return true
		}
	}
	return false
}

// postReport spools one upload and acknowledges it only once it is on disk.
func (r *Relay) postReport(w http.ResponseWriter, req *http.Request) {
	cred := bearer(req)
	if cred == "" {
		// The relay cannot check a credential (only the collector can), but
		// an upload without one can never be attributed: refuse it now.
		w.Header().Set("WWW-Authenticate", `Bearer realm="egovnet"`)
		writeError(w, http.StatusUnauthorized, "missing agent credential")
		return
	}
	if enc := strings.ToLower(req.Header.Get("Content-Encoding")); enc != "" && enc != "identity" {
		writeError(w, http.StatusUnsupportedMediaType, "the relay carries uncompressed reports only")
		return
	}
	if req.ContentLength > r.o.MaxReportBytes {
		writeError(w, http.StatusRequestEntityTooLarge, fmt.Sprintf("report too large (limit %d bytes)", r.o.MaxReportBytes))
		return
	}
	key := clientKey(cred)
	if !r.acquire(key) {
		w.Header().Set("Retry-After", "1")
		writeError(w, http.StatusTooManyRequests, "too many uploads of this agent in progress")
		return
	}
	defer r.release(key)
	e, err := r.st.Put(cred, req.RemoteAddr, req.Body, r.o.MaxReportBytes)
	switch {
	case errors.Is(err, ErrTooLarge):
		writeError(w, http.StatusRequestEntityTooLarge, fmt.Sprintf("report too large (limit %d bytes)", r.o.MaxReportBytes))
		return
	case errors.Is(err, ErrFull):
		// 507 is a 5xx: the endpoint agent keeps the report and retries.
		r.o.Log.Error("relay spool full: uploads refused until the collector takes the backlog", "err", err)
		w.Header().Set("Retry-After", "60")
		writeError(w, http.StatusInsufficientStorage, "relay spool full; keep the report and retry later")
		return
	case err != nil:
		r.o.Log.Error("relay could not spool an upload", "remote", req.RemoteAddr, "err", err)
		writeError(w, http.StatusServiceUnavailable, "relay could not store the report; retry later")
		return
	}
	r.o.Log.Info("upload spooled by the relay", "upload", e.Name, "bytes", e.Size, "remote", req.RemoteAddr)
	r.wake()
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusAccepted)
	_ = json.NewEncoder(w).Encode(map[string]any{"accepted": true, "relayed": true})
}

func (r *Relay) acquire(key string) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.active[key] >= r.o.PerClient {
		return false
	}
	r.active[key]++
	return true
}

func (r *Relay) release(key string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.active[key]--; r.active[key] <= 0 {
		delete(r.active, key)
	}
}

// clientKey names a client by its credential without keeping the secret
// in memory longer than the request.
func clientKey(cred string) string {
	s := sha256.Sum256([]byte(cred))
	return hex.EncodeToString(s[:8])
}

// hopByHop headers belong to one connection and are not copied.
var hopByHop = map[string]bool{"Connection": true, "Keep-Alive": true, "Proxy-Authenticate": true, "Proxy-Authorization": true,
	"Te": true, "Trailer": true, "Transfer-Encoding": true, "Upgrade": true}

// proxy passes a request to the collector live and its answer back. When
// the collector cannot be reached the answer is 503: an endpoint agent
// then keeps its last configuration.
func (r *Relay) proxy(timeout time.Duration, maxBody int64) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		ctx := req.Context()
		if timeout > 0 {
			var cancel context.CancelFunc
			ctx, cancel = context.WithTimeout(ctx, timeout)
			defer cancel()
		}
		var body io.Reader
		if maxBody > 0 {
			b, err := io.ReadAll(io.LimitReader(req.Body, maxBody+1))
			if err != nil {
				writeError(w, http.StatusBadRequest, "request body unreadable")
				return
			}
			if int64(len(b)) > maxBody {
				writeError(w, http.StatusRequestEntityTooLarge, "request body too large")
				return
			}
			body = bytes.NewReader(b)
		}
		hdr := http.Header{}
		for _, k := range []string{"If-None-Match", "Content-Type", "Accept", "User-Agent", "Range"} {
			if v := req.Header.Get(k); v != "" {
				hdr.Set(k, v)
			}
		}
		res, err := r.up.Proxy(ctx, req.Method, req.URL.RequestURI(), bearer(req), hdr, body)
		if err != nil {
			r.o.Log.Warn("collector unreachable from the relay", "route", req.URL.Path, "err", err)
			w.Header().Set("Retry-After", "30")
			writeError(w, http.StatusServiceUnavailable, "collector unreachable through the relay")
			return
		}
		defer res.Body.Close()
		if res.Status < 500 {
			r.wake() // the collector answers again: forward the backlog now
		}
		for k, vs := range res.Header {
			if !hopByHop[k] {
				w.Header()[k] = vs
			}
		}
		w.WriteHeader(res.Status)
		if _, err := io.Copy(w, res.Body); err != nil && ctx.Err() == nil {
			r.o.Log.Warn("relay could not pass the collector's answer on", "route", req.URL.Path, "err", err)
		}
	})
}

func (r *Relay) healthz(w http.ResponseWriter, _ *http.Request) {
	n, b := r.st.Usage()
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(map[string]int64{"spool_reports": int64(n), "spool_bytes": b})
}

func (r *Relay) wake() {
	select {
	case r.kick <- struct{}{}:
	default:
	}
}

// Result counts what one forwarding pass did.
type Result struct {
	Sent, Rejected int
	// Pending is what the pass left in the spool: the deferred entries and,
	// when it ended early, the ones it did not reach.
	Pending int
	// Deferred counts the entries kept because the collector asked their
	// agent to wait (503: its department's judgement is behind; 429: too
	// many of its uploads at once), DeferredAgents those agents. The pass
	// went on with the others.
	Deferred, DeferredAgents int
	// RetryAfter is how long until the first deferred agent may be asked
	// again, from the collector's Retry-After (at most maxPause).
	RetryAfter time.Duration
}

// Forward sends spooled uploads oldest first: acknowledged ones are
// removed, permanently refused ones moved to rejected/. When the collector
// asks an agent to wait (uplink.Deferred), that agent's entries stay, in
// order, until its Retry-After ends, and the pass goes on: its department
// is paused, not the collector, and the relay carries other departments'
// agents too. A report the collector fails on (500) is kept, with its
// agent's later ones, and the pass goes on with the other agents, so one
// report that sets off a fault in the collector does not hold every report
// behind it for good. The pass then ends with an error; the report is not
// sent again before a backoff of its own (MinBackoff doubled per failure,
// at most MaxBackoff, remembered across passes, so a pass woken early does
// not resend it), and maxServerErrors such failures in a row end the pass
// early, as an outage does. Any other temporary failure ends the pass (the
// collector is away: the rest would fail too) and is returned.
func (r *Relay) Forward(ctx context.Context) (res Result, err error) {
	entries, err := r.st.List()
	if err != nil {
		return res, err
	}
	paused := r.pausedAgents()
	failing := r.failingEntries(entries)
	waits := map[string]time.Duration{} // agents deferred in this pass: how long still
	var failed error                    // the last 500 of the pass
	inARow := 0                         // 500s since the last other answer
	held := map[string]bool{}           // agents with a report the collector failed on in this pass
	defer func() {
		res.DeferredAgents = len(waits)
		first := true
		for _, w := range waits {
			if first || w < res.RetryAfter {
				res.RetryAfter, first = w, false
			}
		}
	}()
	for i, e := range entries {
		if err := ctx.Err(); err != nil {
			res.Pending += len(entries) - i
			return res, err
		}
		if len(waits)+len(paused)+len(held)+len(failing) > 0 {
			// A waiting agent's entry is passed over unread and unsent; so
			// is a later one of an agent whose report failed, which keeps
			// each agent's reports in order, and a report the collector
			// failed on before, until its backoff ends.
			if cred, err := r.st.Credential(e); err == nil {
				key := clientKey(cred)
				if held[key] {
					res.Pending++
					continue
				}
				_, deferred := waits[key]
				if until := paused[key]; !deferred && until.After(r.now()) {
					waits[key], deferred = until.Sub(r.now()), true
				}
				if deferred {
					res.Deferred++
					res.Pending++
					continue
				}
				if until, ok := failing[e.Name]; ok && until.After(r.now()) {
					held[key] = true
					res.Pending++
					continue
				}
			}
		}
		cred, body, err := r.st.Read(e)
		if err != nil {
			r.forget(e.Name)
			r.o.Log.Error("unreadable relay spool entry moved to rejected", "upload", e.Name, "err", err)
			if rerr := r.st.Reject(e, err); rerr != nil {
				return res, rerr
			}
			res.Rejected++
			continue
		}
		err = r.up.SendReport(ctx, cred, body)
		if wait, ok := uplink.Deferred(err); ok {
			// Bounded: a Retry-After of an hour (a proxy's, or an HTTP-date
			// read with a skewed clock) must not park an agent's reports
			// that long; asking again costs one refused upload.
			wait = min(wait, r.maxPause())
			key := clientKey(cred)
			waits[key] = wait
			r.pause(key, wait)
			res.Deferred++
			res.Pending++
			r.o.Log.Debug("collector asked an agent's relayed reports to wait", "upload", e.Name, "retry_in", wait.Round(time.Millisecond).String(), "err", err)
			continue
		}
		if uplink.ServerError(err) {
			inARow++
			failed = err
			retry := r.failed(e.Name)
			if inARow < maxServerErrors {
				r.o.Log.Warn("collector failed on a relayed report; kept with its agent's later ones, the others go on",
					"upload", e.Name, "retry_in", retry.Round(time.Second).String(), "err", err)
				held[clientKey(cred)] = true
				res.Pending++
				continue
			}
		} else {
			inARow = 0
		}
		if err == nil || uplink.IsPermanent(err) {
			r.forget(e.Name)
		}
		switch {
		case err == nil:
			if err := r.st.Ack(e); err != nil {
				return res, err
			}
			res.Sent++
		case uplink.IsPermanent(err):
			r.o.Log.Warn("collector refused a relayed report; moved to the relay spool's rejected/", "upload", e.Name, "err", err)
			if rerr := r.st.Reject(e, err); rerr != nil {
				return res, rerr
			}
			res.Rejected++
		default:
			res.Pending += len(entries) - i
			return res, fmt.Errorf("forward relayed reports: %w", err)
		}
	}
	if failed != nil {
		return res, fmt.Errorf("forward relayed reports: the collector failed on some: %w", failed)
	}
	return res, nil
}

// failingEntries returns when each spooled report the collector failed on
// may be sent again, forgetting those no longer in the spool.
func (r *Relay) failingEntries(entries []Entry) map[string]time.Time {
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(r.failing) == 0 {
		return nil
	}
	in := make(map[string]bool, len(entries))
	for _, e := range entries {
		in[e.Name] = true
	}
	out := map[string]time.Time{}
	for name, f := range r.failing {
		if !in[name] {
			delete(r.failing, name)
			continue
		}
		out[name] = f.next
	}
	return out
}

// failed records a 500 for a spooled report and returns its backoff:
// MinBackoff doubled per failure in a row, at most MaxBackoff.
func (r *Relay) failed(name string) time.Duration {
	r.mu.Lock()
	defer r.mu.Unlock()
	f := r.failing[name]
	f.n++
	wait := r.o.MaxBackoff
	if f.n <= 30 {
		wait = min(r.o.MinBackoff<<(f.n-1), r.o.MaxBackoff)
	}
	f.next = r.now().Add(wait)
	r.failing[name] = f
	return wait
}

// forget drops a report's run of 500s (it was taken or refused).
func (r *Relay) forget(name string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	delete(r.failing, name)
}

// maxServerErrors is how many 500s in a row end a pass: one report may
// set off a fault, but a collector failing on every report (its database
// down) is an outage, and sending it the whole spool would only add load.
const maxServerErrors = 3

// maxPause bounds how long an agent's reports wait when the collector asks:
// MaxBackoff, or a minute if that is more, the longest the collector itself
// asks for (it raises Retry-After to a minute for a department whose
// judgement keeps failing, and a relay asking sooner would only be refused).
func (r *Relay) maxPause() time.Duration { return max(r.o.MaxBackoff, time.Minute) }

// pause remembers that the collector asked key's agent to wait (a zero
// wait is nothing to remember).
func (r *Relay) pause(key string, wait time.Duration) {
	if wait <= 0 {
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	r.paused[key] = r.now().Add(wait)
}

// pausedAgents forgets the pauses that ended and returns a copy of the
// others, read by one pass without the lock.
func (r *Relay) pausedAgents() map[string]time.Time {
	r.mu.Lock()
	defer r.mu.Unlock()
	now := r.now()
	out := make(map[string]time.Time, len(r.paused))
	for k, until := range r.paused {
		if !until.After(now) {
			delete(r.paused, k)
			continue
		}
		out[k] = until
	}
	return out
}

// forwardLoop forwards whenever an upload arrives, the collector is seen
// again, or the wait ends; a quiet relay still looks every minute.
func (r *Relay) forwardLoop(ctx context.Context) {
	backoff := time.Duration(0)
	for {
		res, err := r.Forward(ctx)
		if ctx.Err() != nil {
			return
		}
		var wait time.Duration
		wait, backoff = r.nextWait(res, err, backoff)
		if res.Sent+res.Rejected > 0 {
			r.o.Log.Info("relayed reports forwarded", "sent", res.Sent, "rejected", res.Rejected)
		}
		switch {
		case err != nil:
			r.o.Log.Warn("relayed reports stay in the relay spool: collector unreachable or failing", "pending", res.Pending, "deferred", res.Deferred, "retry_in", wait.Round(time.Millisecond).String(), "err", err)
		case res.Deferred > 0:
			// The collector is up and said when to come back: not a fault.
			r.o.Log.Info("collector asked relayed reports to wait (judgement behind)", "pending", res.Pending, "deferred", res.Deferred, "agents", res.DeferredAgents, "retry_in", wait.Round(time.Millisecond).String())
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-r.kick:
			t.Stop()
		case <-t.C:
		}
	}
}

// nextWait is the wait after a pass and the backoff carried to the next.
// A failed pass doubles the backoff (MinBackoff..MaxBackoff). A pass whose
// only trouble was deferrals waits what the collector asked, within
// MinBackoff..MaxBackoff, and resets the backoff: the collector answered.
// A deferral without a wait (uplink.Deferred gives none, but a zero wait
// must never spin the loop) backs off as a failure.
func (r *Relay) nextWait(res Result, err error, backoff time.Duration) (wait, next time.Duration) {
	switch {
	case err != nil, res.Deferred > 0 && res.RetryAfter <= 0:
		next = min(max(2*backoff, r.o.MinBackoff), r.o.MaxBackoff)
		return next, next
	case res.Deferred > 0:
		return min(max(res.RetryAfter, r.o.MinBackoff), r.o.MaxBackoff), 0
	}
	return time.Minute, 0
}

// Serve serves ln (TLS when certFile and keyFile are set) and forwards
// until ctx ends, then shuts the listener down gracefully.
func (r *Relay) Serve(ctx context.Context, ln net.Listener, certFile, keyFile string) error {
	srv := &http.Server{
		Handler:           r.Handler(),
		ReadHeaderTimeout: 10 * time.Second,
		// A report body is streamed to disk; a client trickling it holds
		// one slot at most this long.
		ReadTimeout:    10 * time.Minute,
		IdleTimeout:    2 * time.Minute,
		MaxHeaderBytes: 64 << 10,
		ErrorLog:       slog.NewLogLogger(r.o.Log.Handler(), slog.LevelWarn),
		BaseContext:    func(net.Listener) context.Context { return context.WithoutCancel(ctx) },
	}
	fctx, stopForward := context.WithCancel(ctx)
	var wg sync.WaitGroup
	wg.Add(1)
	go func() { defer wg.Done(); r.forwardLoop(fctx) }()
	errc := make(chan error, 1)
	go func() {
		if certFile != "" {
			errc <- srv.ServeTLS(ln, certFile, keyFile)
		} else {
			errc <- srv.Serve(ln)
		}
	}()
	var err error
	select {
	case <-ctx.Done():
		sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
		if serr := srv.Shutdown(sctx); serr != nil {
			// A long download still running: cut it; its agent retries.
			_ = srv.Close()
		}
		cancel()
		<-errc
	case err = <-errc:
	}
	stopForward()
	wg.Wait()
	if err != nil && !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("serve relay: %w", err)
	}
	return nil
}

// Listen opens addr and warns when it is plain HTTP on a non-loopback
// address: endpoint agents' credentials and reports would then cross the
// department network unencrypted.
func Listen(ctx context.Context, addr string, tls bool, log *slog.Logger) (net.Listener, error) {
	ln, err := (&net.ListenConfig{}).Listen(ctx, "tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("listen relay %s: %w", addr, err)
	}
	if !tls && !loopback(ln.Addr()) {
		log.Warn("relay.listen is plain HTTP on a non-loopback address: endpoint agents' credentials and reports travel unencrypted; set relay.tls_cert and relay.tls_key", "listen", ln.Addr().String())
	}
	return ln, nil
}

func loopback(a net.Addr) bool {
	ta, ok := a.(*net.TCPAddr)
	return ok && ta.IP.IsLoopback()
}

func bearer(r *http.Request) string {
	h := r.Header.Get("Authorization")
	if len(h) > 7 && strings.EqualFold(h[:7], "Bearer ") {
		return strings.TrimSpace(h[7:])
	}
	return ""
}

func writeError(w http.ResponseWriter, status int, msg string) {
	w.Header().Set("Content-Type", "application/json")
	if status == http.StatusServiceUnavailable || status == http.StatusInsufficientStorage || status == http.StatusTooManyRequests {
		if w.Header().Get("Retry-After") == "" {
			w.Header().Set("Retry-After", strconv.Itoa(30))
		}
	}
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]string{"error": msg})
}
