// Command sweepbench runs one ICMP sweep or ARP scan for deploy/bench/sweep.sh
// and checks address lists against the expected live set, so that every tool
// in the benchmark is judged by the same code.
//
//	sweepbench icmp -targets 10.20.0.0/20 [-rate N] [-timeout D] [-min-timeout D] [-retries N]
//	sweepbench arp  -targets 10.30.0.0/20 [-rate N] [-timeout D] [-retries N]
//	sweepbench probing -targets 10.20.0.0/20   (pro-bing, one Pinger per host, pool 256: the old way)
//	sweepbench check -expect 10.20.4.0/22 < addresses
//	sweepbench ips < scan-report.json       (endpoint addresses of an egovnet-agent scan report)
//
// icmp and arp print the live addresses, one per line, on stdout and a
// summary on stderr; check prints "found=N missing=N false=N".
package main

import (
	"bufio"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"net/netip"
	"os"
	"os/signal"
	"runtime/pprof"
	"sort"
	"strings"
	"sync"
	"time"

	probing "github.com/prometheus-community/pro-bing"

	"github.com/egovnet/egovnet/agent/probe/arp"
	"github.com/egovnet/egovnet/agent/probe/icmp"
	"github.com/egovnet/egovnet/agent/probe/icmpid"
)

func main() { os.Exit(run()) }

func run() int {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: sweepbench icmp|arp|check [flags]")
		return 2
	}
	mode := os.Args[1]
	fs := flag.NewFlagSet(mode, flag.ContinueOnError)
	targets := fs.String("targets", "", "comma-separated CIDRs")
	expect := fs.String("expect", "", "comma-separated CIDRs or first-last ranges of the live addresses (check)")
	ignore := fs.String("ignore", "", "comma-separated addresses neither expected nor false (the scanner's own)")
	rate := fs.Int("rate", 0, "packets per second (0: default)")
	timeout := fs.Duration("timeout", time.Second, "longest wait per probe")
	minTimeout := fs.Duration("min-timeout", 0, "floor of the adaptive wait (0: default)")
	retries := fs.Int("retries", 0, "extra probes per silent address")
	cpuprofile := fs.String("cpuprofile", "", "write a CPU profile here")
	if err := fs.Parse(os.Args[2:]); err != nil {
		return 2
	}
	if *cpuprofile != "" {
		f, err := os.Create(*cpuprofile)
		if err != nil {
			fmt.Fprintln(os.Stderr, "sweepbench:", err)
			return 1
		}
		defer f.Close()
		pprof.StartCPUProfile(f)
		defer pprof.StopCPUProfile()
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	switch mode {
	case "icmp", "arp", "probing":
		ps, err := prefixes(*targets)
		if err != nil || len(ps) == 0 {
			fmt.Fprintln(os.Stderr, "sweepbench: -targets:", err)
			return 2
		}
		start := time.Now()
		w := bufio.NewWriter(os.Stdout)
		var line []byte
		emit := func(a netip.Addr) { line = append(a.AppendTo(line[:0]), '\n'); w.Write(line) }
		var summary string
		if mode == "icmp" {
			res, err := icmp.Sweep(ctx, ps, icmp.Options{Rate: *rate, Timeout: *timeout, MinTimeout: *minTimeout, Retries: *retries})
			if err != nil {
				fmt.Fprintln(os.Stderr, "sweepbench:", err)
				return 1
			}
			el := time.Since(start)
			for _, r := range res.Replies {
				emit(r.Addr)
			}
			summary = fmt.Sprintf("probed=%d sent=%d found=%d dups=%d seconds=%.3f pps=%.0f errors=%q",
				res.Probed, res.Sent, len(res.Replies), res.Duplicates, el.Seconds(), float64(res.Sent)/el.Seconds(), res.Errors)
		} else if mode == "probing" {
			live := poolPing(ctx, ps, *timeout)
			for _, a := range live {
				emit(a)
			}
			summary = fmt.Sprintf("found=%d seconds=%.3f", len(live), time.Since(start).Seconds())
		} else {
			es, err := arp.Scan(ctx, ps, arp.Options{Rate: *rate, Timeout: *timeout, Retries: *retries})
			if err != nil {
				fmt.Fprintln(os.Stderr, "sweepbench:", err)
				return 1
			}
			for _, e := range es {
				emit(e.IP)
			}
			summary = fmt.Sprintf("found=%d seconds=%.3f", len(es), time.Since(start).Seconds())
		}
		w.Flush()
		fmt.Fprintln(os.Stderr, summary)
		return 0
	case "ips":
		var rep struct {
			Endpoints []struct {
				IP string `json:"ip"`
			} `json:"endpoints"`
		}
		if err := json.NewDecoder(os.Stdin).Decode(&rep); err != nil {
			fmt.Fprintln(os.Stderr, "sweepbench: read scan report:", err)
			return 1
		}
		for _, e := range rep.Endpoints {
			fmt.Println(e.IP)
		}
		return 0
	case "check":
		want, err := addrSet(*expect)
		if err != nil {
			fmt.Fprintln(os.Stderr, "sweepbench: -expect:", err)
			return 2
		}
		skip, err := addrSet(*ignore)
		if err != nil {
			fmt.Fprintln(os.Stderr, "sweepbench: -ignore:", err)
			return 2
		}
		seen := map[netip.Addr]bool{}
		falsePos := 0
		sc := bufio.NewScanner(os.Stdin)
		for sc.Scan() {
			line := strings.TrimSpace(sc.Text())
			if line == "" {
				continue
			}
			a, err := netip.ParseAddr(line)
			if err != nil {
				fmt.Fprintf(os.Stderr, "sweepbench: bad address %q\n", line)
				return 1
			}
			if seen[a] || skip[a] {
				continue
			}
			seen[a] = true
			if !want[a] {
				falsePos++
			}
		}
		fmt.Printf("found=%d missing=%d false=%d\n", len(seen)-falsePos, len(want)-(len(seen)-falsePos), falsePos)
		return 0
	}
	fmt.Fprintln(os.Stderr, "sweepbench: unknown mode", mode)
	return 2
}

func prefixes(s string) ([]netip.Prefix, error) {
	var out []netip.Prefix
	for _, f := range strings.Split(s, ",") {
		if f = strings.TrimSpace(f); f == "" {
			continue
		}
		p, err := netip.ParsePrefix(f)
		if err != nil {
			return nil, err
		}
		out = append(out, p)
	}
	return out, nil
}

// addrSet expands CIDRs, first-last ranges and single addresses.
func addrSet(s string) (map[netip.Addr]bool, error) {
	set := map[netip.Addr]bool{}
	for _, f := range strings.Split(s, ",") {
		if f = strings.TrimSpace(f); f == "" {
			continue
		}
		var first, last netip.Addr
		var err error
		switch {
		case strings.Contains(f, "/"):
			p, perr := netip.ParsePrefix(f)
			if perr != nil {
				return nil, perr
			}
			p = p.Masked()
			first, last = p.Addr(), p.Addr()
			for n := last.Next(); p.Contains(n); n = n.Next() {
				last = n
			}
		case strings.Contains(f, "-"):
			a, b, _ := strings.Cut(f, "-")
			if first, err = netip.ParseAddr(a); err != nil {
				return nil, err
			}
			if last, err = netip.ParseAddr(b); err != nil {
				return nil, err
			}
		default:
			if first, err = netip.ParseAddr(f); err != nil {
				return nil, err
			}
			last = first
		}
		for a := first; a.IsValid() && a.Compare(last) <= 0; a = a.Next() {
			set[a] = true
		}
	}
	return set, nil
}

// poolPing is how discovery was done before the one-socket sweep: one
// pro-bing Pinger (socket and goroutines) per host, 256 at a time.
func poolPing(ctx context.Context, ps []netip.Prefix, timeout time.Duration) []netip.Addr {
	addrs := make(chan netip.Addr)
	go func() {
		defer close(addrs)
		for _, p := range ps {
			p = p.Masked()
			for a := p.Addr().Next(); p.Contains(a.Next()); a = a.Next() {
				addrs <- a
			}
		}
	}()
	var mu sync.Mutex
	var live []netip.Addr
	var wg sync.WaitGroup
	for w := 0; w < 256; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for a := range addrs {
				lease, err := icmpid.Acquire()
				if err != nil {
					continue
				}
				pg := probing.New(a.String())
				pg.Count, pg.Timeout = 1, timeout
				pg.SetPrivileged(true)
				pg.SetID(int(lease.ID()))
				if pg.RunWithContext(ctx) == nil && pg.Statistics().PacketsRecv > 0 {
					mu.Lock()
					live = append(live, a)
					mu.Unlock()
				}
				lease.Release()
			}
		}()
	}
	wg.Wait()
	sort.Slice(live, func(i, j int) bool { return live[i].Less(live[j]) })
	return live
}
