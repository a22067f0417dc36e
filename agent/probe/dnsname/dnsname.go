// Package dnsname turns endpoint addresses into names with reverse DNS
// (PTR) through the department's resolver: an approved website hosted on
// the e-gov cloud is known to the plan by its name, not its address. Each
// query has a timeout, answers are cached (names change rarely, and the
// daemon scans every hour), and a bounded number of queries run at once so
// a /16 of live hosts does not flood the resolver. A missing or silent
// resolver is recorded once, never fatal.
package dnsname

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"sort"
	"strings"
	"sync"
	"syscall"
	"time"
)

// Options tune the lookups.
type Options struct {
	// Servers are the resolvers asked, in order (the next when one fails);
	// empty: the system resolver.
	Servers []netip.AddrPort
	// Timeout bounds one query (default 2s).
	Timeout time.Duration
	// Workers bounds concurrent queries (default 16).
	Workers int
	// MaxNames bounds the names kept per address (default 8).
	MaxNames int
}

// Result is what the lookups found: names per address, and the errors of
// addresses whose resolver failed (a name that does not exist is no error).
type Result struct {
	Names  map[netip.Addr][]string
	Errors []error
	// Failed counts addresses whose lookup failed (timeout, refused).
	Failed int
	// Skipped counts addresses not asked because the resolver failed every
	// query so far (see giveUpAfter).
	Skipped int
}

// giveUpAfter: when this many queries per worker failed and none
// succeeded, the resolver is taken as absent and the rest are skipped (a
// silent resolver would otherwise cost a timeout per address of a /16).
const giveUpAfter = 2

// cache remembers answers across scans of one process.
var cache = struct {
	sync.Mutex
	m map[cacheKey]cacheEntry
}{m: map[cacheKey]cacheEntry{}}

type cacheKey struct {
	servers string
	addr    netip.Addr
}

type cacheEntry struct {
	names   []string
	expires time.Time
}

// Positive answers are kept an hour, "no name" five minutes (a name may be
// added while the department fixes its zone); failures are not cached.
const (
	positiveTTL = time.Hour
	negativeTTL = 5 * time.Minute
)

// Lookup resolves every address, at most opts.Workers at a time.
func Lookup(ctx context.Context, addrs []netip.Addr, opts Options) Result {
	if opts.Timeout <= 0 {
		opts.Timeout = 2 * time.Second
	}
	if opts.Workers <= 0 {
		opts.Workers = 16
	}
	if opts.MaxNames <= 0 {
		opts.MaxNames = 8
	}
	r := resolver(opts.Servers)
	key := fmt.Sprint(opts.Servers)
	res := Result{Names: map[netip.Addr][]string{}}
	var mu sync.Mutex
	errCount := map[string]int{}
	sem := make(chan struct{}, opts.Workers)
	var wg sync.WaitGroup
	answered := 0
	dead := func() bool {
		mu.Lock()
		defer mu.Unlock()
		return answered == 0 && res.Failed >= giveUpAfter*opts.Workers
	}
	for _, a := range addrs {
		a = a.Unmap()
		// Loopback names are the host's own and the system resolver would
		// forward them: never asked.
		if a.IsLoopback() && len(opts.Servers) == 0 {
			continue
		}
		if names, ok := cached(key, a); ok {
			if len(names) > 0 {
				res.Names[a] = names
			}
			continue
		}
		select {
		case sem <- struct{}{}:
		case <-ctx.Done():
		}
		if ctx.Err() != nil {
			break // a slot taken just now is never waited for
		}
		if dead() {
			<-sem
			res.Skipped++
			continue
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			names, err := lookupOne(ctx, r, a, opts)
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				res.Failed++
				errCount[err.Error()]++
				return
			}
			answered++
			store(key, a, names)
			if len(names) > 0 {
				res.Names[a] = names
			}
		}()
	}
	wg.Wait()
	// One error per distinct cause: a dead resolver must not fill the
	// report's error list with one line per address.
	msgs := make([]string, 0, len(errCount))
	for m := range errCount {
		msgs = append(msgs, m)
	}
	sort.Strings(msgs)
	for _, m := range msgs {
		res.Errors = append(res.Errors, fmt.Errorf("%s (%d addresses)", m, errCount[m]))
	}
	if res.Skipped > 0 {
		res.Errors = append(res.Errors, fmt.Errorf("reverse lookup: resolver failed every query; %d addresses not asked", res.Skipped))
	}
	return res
}

func lookupOne(ctx context.Context, r *net.Resolver, a netip.Addr, opts Options) ([]string, error) {
	ctx, cancel := context.WithTimeout(ctx, opts.Timeout)
	defer cancel()
	names, err := r.LookupAddr(ctx, a.String())
	if err != nil {
		var de *net.DNSError
		if errors.As(err, &de) && de.IsNotFound {
			return []string{}, nil
		}
		return nil, classify(err)
	}
	out := make([]string, 0, len(names))
	for _, n := range names {
		n = strings.TrimSuffix(strings.ToLower(strings.TrimSpace(n)), ".")
		if n != "" && len(n) <= 253 && !contains(out, n) {
			out = append(out, n)
		}
		if len(out) == opts.MaxNames {
			break
		}
	}
	return out, nil
}

// resolver asks the given servers in order, or is the system resolver.
// classify names a failure by its cause, without socket addresses, so one
// dead resolver is one error line however many addresses it failed.
func classify(err error) error {
	var ne net.Error
	// net.DNSError keeps its cause as text only.
	msg := err.Error()
	switch {
	case errors.Is(err, syscall.ECONNREFUSED) || strings.Contains(msg, "connection refused"):
		return errors.New("reverse lookup: no resolver listening (connection refused)")
	case errors.Is(err, syscall.ENETUNREACH) || errors.Is(err, syscall.EHOSTUNREACH) || strings.Contains(msg, "unreachable"):
		return errors.New("reverse lookup: resolver unreachable")
	case errors.Is(err, context.DeadlineExceeded) || (errors.As(err, &ne) && ne.Timeout()) || strings.Contains(msg, "i/o timeout"):
		return errors.New("reverse lookup: resolver timed out")
	}
	var de *net.DNSError
	if errors.As(err, &de) {
		return fmt.Errorf("reverse lookup: %s", de.Err)
	}
	return fmt.Errorf("reverse lookup: %w", err)
}

func resolver(servers []netip.AddrPort) *net.Resolver {
	if len(servers) == 0 {
		return net.DefaultResolver
	}
	return &net.Resolver{
		PreferGo: true,
		Dial: func(ctx context.Context, network, _ string) (net.Conn, error) {
			var d net.Dialer
			var errs []error
			for _, s := range servers {
				c, err := d.DialContext(ctx, network, s.String())
				if err == nil {
					return c, nil
				}
				errs = append(errs, err)
			}
			return nil, errors.Join(errs...)
		},
	}
}

func cached(key string, a netip.Addr) ([]string, bool) {
	cache.Lock()
	defer cache.Unlock()
	e, ok := cache.m[cacheKey{key, a}]
	if !ok || time.Now().After(e.expires) {
		return nil, false
	}
	return e.names, true
}

func store(key string, a netip.Addr, names []string) {
	ttl := positiveTTL
	if len(names) == 0 {
		ttl = negativeTTL
	}
	cache.Lock()
	defer cache.Unlock()
	if len(cache.m) > 1<<17 {
		clear(cache.m) // bounded: a /16 twice over
	}
	cache.m[cacheKey{key, a}] = cacheEntry{names: names, expires: time.Now().Add(ttl)}
}

func contains(s []string, x string) bool {
	for _, v := range s {
		if v == x {
			return true
		}
	}
	return false
}
