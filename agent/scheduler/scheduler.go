// Package scheduler is the agent daemon's loop: scan, spool, upload, wait
// an interval with jitter, again. A report is always spooled before it is
// uploaded, so a collector outage or a crash between scan and upload loses
// nothing; each cycle also flushes what earlier cycles left behind.
package scheduler

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"time"

	"github.com/egovnet/egovnet/agent/spool"
	"github.com/egovnet/egovnet/agent/uplink"
	"github.com/egovnet/egovnet/internal/wire"
)

// Cycle is one scan-spool-upload round.
type Cycle struct {
	Scan       func(ctx context.Context) *wire.ScanReport
	Spool      *spool.Spool
	MaxReports int
	// Client and Credential may be nil/empty: reports then stay spooled.
	Client     *uplink.Client
	Credential string
	Log        *slog.Logger
}

// Result says what one cycle did.
type Result struct {
	ReportID string
	Flush    uplink.FlushResult
	// FlushErr is the reason reports are still pending (collector down, ...).
	FlushErr error
}

// Run scans, spools the report durably and flushes the spool.
// The returned error means the report could not be spooled (it is lost);
// upload trouble is reported in Result.FlushErr with the report safe on disk.
func (c *Cycle) Run(ctx context.Context) (Result, error) {
	rep := c.Scan(ctx)
	canSend := c.Client != nil && c.Credential != ""
	if canSend && c.MaxReports > 0 && c.Spool.Depth() >= c.MaxReports {
		// Full: make room by sending before dropping anything.
		fctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 2*time.Minute)
		if _, err := uplink.Flush(fctx, c.Client, c.Credential, c.Spool, c.Log); err != nil {
			// Unreachable, failing, or asking to wait (503 while the
			// department's judgement lags): in each it took nothing.
			c.Log.Warn("spool full and the collector did not take the spooled reports: the oldest will be dropped", "err", err)
		}
		cancel()
	}
	depth := c.Spool.Depth()
	rep.Stats.SpoolDepth = int64(depth)
	rep.Stats.DroppedReports = c.Spool.Dropped()
	if c.MaxReports > 0 && depth >= c.MaxReports {
		rep.Stats.DroppedReports += int64(depth - c.MaxReports + 1) // Put drops them now
	}
	if err := rep.Validate(); err != nil {
		// Spooled anyway: the collector decides, and a refusal is kept in
		// spool/rejected with its reason rather than lost here.
		c.Log.Error("report fails validation; the collector will likely refuse it", "report", rep.ReportID, "err", err)
	}
	body, err := json.Marshal(rep)
	if err != nil {
		return Result{}, fmt.Errorf("encode report: %w", err)
	}
	if _, err := c.Spool.Put(rep.ReportID, body); err != nil {
		return Result{}, err
	}
	res := Result{ReportID: rep.ReportID}
	c.Log.Info("report spooled", "report", rep.ReportID, "endpoints", len(rep.Endpoints), "errors", rep.Stats.Errors, "spool_depth", depth+1)
	switch {
	case c.Client == nil:
		res.FlushErr = errors.New("no collector.url configured: report kept in the spool")
	case c.Credential == "":
		res.FlushErr = uplink.ErrNotEnrolled
	default:
		// The flush continues even when the scan was cut short by ctx, but
		// not for ever: a bounded grace period.
		fctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 2*time.Minute)
		defer cancel()
		if ctx.Err() != nil {
			fctx, cancel = context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
			defer cancel()
		}
		res.Flush, res.FlushErr = uplink.Flush(fctx, c.Client, c.Credential, c.Spool, c.Log)
	}
	if res.FlushErr != nil {
		c.Log.Warn("upload pending", "report", rep.ReportID, "err", res.FlushErr, "spool_depth", c.Spool.Depth())
	} else {
		c.Log.Info("spool flushed", "sent", res.Flush.Sent, "rejected", res.Flush.Rejected)
	}
	return res, nil
}

// Loop runs cycles every interval (plus up to jitter*interval at random)
// until ctx is done. A cycle that fails is logged and the loop goes on.
func Loop(ctx context.Context, c *Cycle, interval time.Duration, jitter float64) error {
	for {
		if _, err := c.Run(ctx); err != nil {
			c.Log.Error("cycle failed", "err", err)
		}
		wait := Next(interval, jitter, rand.Float64())
		c.Log.Info("next scan", "in", wait.Round(time.Second).String())
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return nil
		case <-t.C:
		}
	}
}

// Next is the wait before the next cycle: interval + jitter*interval*r,
// r in [0,1).
func Next(interval time.Duration, jitter, r float64) time.Duration {
	if jitter < 0 {
		jitter = 0
	}
	return interval + time.Duration(float64(interval)*jitter*r)
}
