// Package daemon is the agent's long-running loop under central
// management: it scans on the schedule, applies the department
// configuration the collector hands out (under what the local file sets
// explicitly), starts a scan at once when the centre asks, and installs
// newer signed builds. cmd/egovnet-agent only wires it.
package daemon

import (
	"context"
	"log/slog"
	"math/rand/v2"
	"runtime"
	"sync"
	"time"

	"github.com/egovnet/egovnet/agent/config"
	"github.com/egovnet/egovnet/agent/discover"
	"github.com/egovnet/egovnet/agent/endpoint"
	"github.com/egovnet/egovnet/agent/fleet"
	"github.com/egovnet/egovnet/agent/scheduler"
	"github.com/egovnet/egovnet/agent/update"
	"github.com/egovnet/egovnet/internal/wire"
)

// Daemon is one agent process.
type Daemon struct {
	Local    *config.Config  // file + environment
	Explicit map[string]bool // central keys the file or environment sets
	Agent    wire.Agent
	Cycle    *scheduler.Cycle // Scan is set by the daemon
	Poller   *fleet.Poller    // nil: not enrolled, local configuration only
	Updater  *update.Updater  // nil: self-update off
	Log      *slog.Logger

	mu  sync.Mutex
	cur *config.Config
}

// Current is the configuration in force.
func (d *Daemon) Current() *config.Config {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.cur
}

func (d *Daemon) apply(ac *wire.AgentConfig) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.cur = d.Local.WithCentral(*ac, d.Explicit)
	d.Log.Info("central configuration applied", "version", ac.Version, "profile", d.cur.Profile,
		"targets", len(d.cur.Scope.Targets), "interval", d.cur.Schedule.Interval.String())
}

// Scan runs one discovery with the configuration in force. The endpoint
// profile reports the host's own facts only; both profiles describe the
// machine they run on (OS, hardware, user) for the software ledger.
func (d *Daemon) Scan(ctx context.Context) *wire.ScanReport { return d.ScanWith(ctx, d.Current()) }

// ScanWith runs one discovery with c.
func (d *Daemon) ScanWith(ctx context.Context, c *config.Config) *wire.ScanReport {
	var enabled map[string]bool
	if c.Profile == "endpoint" {
		enabled, _ = discover.Enabled("host", true, c)
	} else {
		enabled, _ = discover.Enabled("", false, c)
		if len(c.Scope.Targets) == 0 {
			d.Log.Warn("scope.targets is empty: no network is scanned until it is configured (host facts and paths only)")
			discover.DisableScope(enabled, c)
		}
	}
	agent := d.Agent
	agent.Profile, agent.OS, agent.Arch = c.Profile, runtime.GOOS, runtime.GOARCH
	req := discover.NewRequest(c, enabled, agent)
	if c.Profile == "endpoint" {
		// The endpoint profile probes no network: a scope left in the
		// configuration would make the report claim a scan of it (scope
		// and addresses_probed) that never happened.
		req.Scope = nil
	}
	rep := discover.RunList(ctx, discover.Registry(c), discover.Hooks{}, req)
	if rep.Host == nil {
		rep.Host = &wire.Host{Interfaces: []wire.HostInterface{}, Routes: []wire.HostRoute{}, Software: []wire.Software{}}
	}
	f := endpoint.Collect(ctx, endpoint.DefaultPaths)
	rep.Host.OSInfo, rep.Host.Hardware, rep.Host.User = f.OS, f.Hardware, f.User
	if c.Host.FactsFile != "" {
		// a test or an isolated import names the host identity
		if ff, err := endpoint.ReadFactsFile(c.Host.FactsFile); err != nil {
			d.Log.Error("host.facts_file unreadable: the machine's own facts are reported", "err", err)
		} else {
			ff.Apply(rep.Host)
		}
	}
	wire.Sanitize(rep.Host)
	return rep
}

// Run scans until ctx ends. It returns restart=true after a new build was
// installed: the caller restarts into it.
func (d *Daemon) Run(ctx context.Context) (restart bool, err error) {
	d.mu.Lock()
	d.cur = d.Local
	d.mu.Unlock()
	if d.Poller != nil {
		if cached, err := d.Poller.Cached(); err != nil {
			d.Log.Warn("central config cache unreadable; using the local file until the next poll", "err", err)
		} else if cached != nil {
			d.apply(cached)
		}
		// One poll before the first scan, so a fresh agent scans what the
		// centre asks for rather than nothing.
		pctx, cancel := context.WithTimeout(ctx, 20*time.Second)
		if up, err := d.Poller.Poll(pctx); err == nil && up.Config != nil {
			d.apply(up.Config)
		}
		cancel()
	}
	d.Cycle.Scan = d.Scan
	wake := make(chan struct{}, 1)
	changed := make(chan struct{}, 1)
	signal := func(ch chan struct{}) {
		select {
		case ch <- struct{}{}:
		default:
		}
	}
	ctx, cancel := context.WithCancel(ctx)
	var wg sync.WaitGroup
	// Stop the poller before waiting for it (defers run last-in first-out).
	defer func() { cancel(); wg.Wait() }()
	if d.Poller != nil {
		wg.Add(1)
		go func() {
			defer wg.Done()
			d.Poller.Run(ctx, d.Local.Collector.PollInterval, func(up fleet.Update) {
				if up.Config != nil {
					d.apply(up.Config)
					signal(changed)
				}
				if up.ScanNow {
					d.Log.Info("scan requested by the collector")
					signal(wake)
				}
			})
		}()
	}
	var updates <-chan time.Time
	if d.Updater != nil {
		t := time.NewTicker(d.Local.Update.CheckInterval)
		defer t.Stop()
		updates = t.C
		if d.checkUpdate(ctx) {
			return true, nil
		}
	}
	good := false
	for {
		res, err := d.Cycle.Run(ctx)
		if err != nil {
			d.Log.Error("cycle failed", "err", err)
		} else if !good && res.FlushErr == nil {
			good = true
			if err := update.Good(d.Local.DataDir, d.Agent.Version); err != nil {
				d.Log.Warn("could not end the update probation", "err", err)
			}
		}
		for waiting := true; waiting; {
			c := d.Current()
			wait := scheduler.Next(c.Schedule.Interval, c.Schedule.Jitter, rand.Float64())
			d.Log.Info("next scan", "in", wait.Round(time.Second).String())
			timer := time.NewTimer(wait)
			select {
			case <-ctx.Done():
				timer.Stop()
				return false, nil
			case <-timer.C:
				waiting = false
			case <-wake:
				timer.Stop()
				waiting = false
			case <-changed:
				timer.Stop() // a new interval: wait again from now
			case <-updates:
				timer.Stop()
				if d.checkUpdate(ctx) {
					return true, nil
				}
			}
		}
	}
}

func (d *Daemon) checkUpdate(ctx context.Context) bool {
	uctx, cancel := context.WithTimeout(ctx, 10*time.Minute)
	defer cancel()
	inst, err := d.Updater.Check(uctx)
	if err != nil {
		d.Log.Error("self-update check failed", "err", err)
		return false
	}
	return inst != nil
}
