package daemon

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"path/filepath"

	"github.com/egovnet/egovnet/agent/config"
	"github.com/egovnet/egovnet/agent/fleet"
	"github.com/egovnet/egovnet/agent/render"
	"github.com/egovnet/egovnet/agent/scheduler"
	"github.com/egovnet/egovnet/agent/spool"
	"github.com/egovnet/egovnet/agent/update"
	"github.com/egovnet/egovnet/agent/uplink"
	"github.com/egovnet/egovnet/internal/release"
	"github.com/egovnet/egovnet/internal/wire"
)

// Endpoint is where this agent sends reports and how it proves who it is.
type Endpoint struct {
	URL        string
	CAFile     string
	Credential string
	// ReleaseKey verifies self-update builds; only enrolment pins it, so a
	// local file cannot point the agent at someone else's releases.
	ReleaseKey string
}

// ResolveEndpoint decides where the agent's collector settings come from:
// what the local file or environment sets wins (an administrator moving an
// agent to another collector must not have to re-enrol first), and the
// enrolment identity fills each setting it leaves empty. id may be nil (not
// enrolled, or the identity is unreadable).
func ResolveEndpoint(local config.Collector, id *uplink.Identity) Endpoint {
	ep := Endpoint{URL: local.URL, CAFile: local.CAFile, Credential: local.Credential.Reveal()}
	if id == nil {
		return ep
	}
	if ep.URL == "" {
		ep.URL = id.Collector
	}
	if ep.CAFile == "" {
		ep.CAFile = id.CAFile
	}
	if ep.Credential == "" {
		ep.Credential = id.Credential.Reveal()
	}
	ep.ReleaseKey = id.ReleaseKey
	return ep
}

// Management is what EnableManagement needs besides the daemon itself.
type Management struct {
	ReleaseKey string
	Once       bool   // run --once: one scan, no self-update
	Version    string // this build
	Exe        string // this executable, replaced by an update
	// Stats reports the spool depth and the reports dropped so far.
	Stats func() (depth, dropped int64)
}

// EnableManagement turns on central management where it can work. The
// poller (central configuration, scan requests) needs a collector and a
// credential: without either there is no one to ask. The updater needs the
// poller's conditions, update.auto, a long-running daemon (a --once run
// exits before a new build could start) and the release key pinned at
// enrolment; without the key it stays off with a warning.
func (d *Daemon) EnableManagement(m Management) {
	cyc := d.Cycle
	if cyc.Client == nil || cyc.Credential == "" {
		return
	}
	d.Poller = &fleet.Poller{Client: cyc.Client, Credential: cyc.Credential, Version: m.Version, Profile: d.Local.Profile,
		Stats: m.Stats, CacheFile: fleet.DefaultCacheFile(d.Local.DataDir), Log: d.Log}
	if !d.Local.Update.Auto || m.Once {
		return
	}
	key, err := release.DecodeKey(m.ReleaseKey)
	if err != nil {
		d.Log.Warn("self-update off: no release key pinned at enrolment (enrol again with this collector)")
		return
	}
	d.Updater = &update.Updater{Client: cyc.Client, Credential: cyc.Credential, Key: key, Current: m.Version,
		Exe: m.Exe, DataDir: d.Local.DataDir, Log: d.Log}
}

// ApplyCentralOnce is the central configuration for a --once run: one poll,
// and the department configuration applies under the keys the local file
// sets explicitly, as in the daemon. A failed poll is not an error: a
// one-shot scan proceeds on the local configuration rather than waiting for
// the centre.
func (d *Daemon) ApplyCentralOnce(ctx context.Context) {
	if d.Poller == nil {
		return
	}
	if c, err := d.Poller.Poll(ctx); err == nil && c.Config != nil {
		d.Local = d.Local.WithCentral(*c.Config, d.Explicit)
	}
}

// RunOnce is `run --once`: one scan of d.Local, spooled and flushed.
func (d *Daemon) RunOnce(ctx context.Context) error {
	d.Cycle.Scan = func(ctx context.Context) *wire.ScanReport { return d.ScanWith(ctx, d.Local) }
	res, err := d.Cycle.Run(ctx)
	if err != nil {
		return err
	}
	kept, err := OnceOutcome(res, d.Cycle.Spool.Dir())
	if kept {
		d.Log.Warn("report kept in the spool for the next run", "report", res.ReportID)
	}
	return err
}

// OnceOutcome decides how a --once run ends. A report the collector refused
// is a failure (it will never be accepted as is; it waits under
// spoolDir/rejected). A report that could not be sent is not: it is safe in
// the spool and goes with the next run, which kept says, except when the
// agent is simply not enrolled, which is expected for isolated use.
func OnceOutcome(res scheduler.Result, spoolDir string) (kept bool, err error) {
	if res.Flush.Rejected > 0 {
		return false, fmt.Errorf("collector refused %d report(s); see %s", res.Flush.Rejected, filepath.Join(spoolDir, "rejected"))
	}
	return res.FlushErr != nil && !errors.Is(res.FlushErr, uplink.ErrNotEnrolled), nil
}

// WriteOnce is `run --once --out F`: the same report the daemon would send
// (for an endpoint agent: OS, hardware, user, software), written to path
// for `egovnet-collector import` where no network reaches the collector. A
// report that fails validation is still written, with a warning: the
// operator carries it by hand and import names what is wrong.
func (d *Daemon) WriteOnce(ctx context.Context, path string) error {
	rep := d.ScanWith(ctx, d.Local)
	if err := rep.Validate(); err != nil {
		d.Log.Warn("report fails validation; import will likely refuse it", "report", rep.ReportID, "err", err)
	}
	var buf bytes.Buffer
	if err := render.JSON(&buf, rep); err != nil {
		return err
	}
	if err := spool.WriteFileAtomic(path, buf.Bytes(), 0o600); err != nil {
		return fmt.Errorf("write report: %w", err)
	}
	d.Log.Info("report written for import", "report", rep.ReportID, "file", path)
	return nil
}
