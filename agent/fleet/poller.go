// Package fleet is the agent's side of central management: it polls the
// collector for its department's configuration (each poll is also the
// agent's heartbeat, carrying its version, platform and spool figures),
// tells the daemon when the configuration changed or a scan was asked for,
// and keeps the last configuration on disk so a restart without the
// collector still scans what the centre last asked for.
package fleet

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"time"

	"github.com/egovnet/egovnet/agent/spool"
	"github.com/egovnet/egovnet/agent/uplink"
	"github.com/egovnet/egovnet/internal/wire"
)

// ConfigPath is the collector route agents poll.
const ConfigPath = "/api/v1/agent/config"

// Stats reports the spool for the heartbeat.
type Stats func() (depth, dropped int64)

// Poller polls the collector.
type Poller struct {
	Client     *uplink.Client
	Credential string
	Version    string
	Profile    string
	Stats      Stats
	// CacheFile keeps the last configuration (data_dir/central-config.json).
	CacheFile string
	Log       *slog.Logger

	etag string
	last *wire.AgentConfig
}

// Update is what one poll brought.
type Update struct {
	Config  *wire.AgentConfig // nil when unchanged (304) or unreachable
	ScanNow bool
}

// ErrRefused is returned when the collector refuses the agent (its
// credential revoked, its department dropped from the plan); the error
// carries the collector's reason when it gave one.
var ErrRefused = errors.New("collector refused the agent")

// Cached returns the configuration saved by an earlier poll, if any.
func (p *Poller) Cached() (*wire.AgentConfig, error) {
	b, err := os.ReadFile(p.CacheFile)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read central config cache: %w", err)
	}
	var c wire.AgentConfig
	if err := json.Unmarshal(b, &c); err != nil {
		return nil, fmt.Errorf("decode central config cache %s: %w", p.CacheFile, err)
	}
	c.ScanNow = false
	p.last = &c
	return &c, nil
}

// Poll asks once. A transport error or 5xx leaves the last configuration
// in force and is returned for logging.
func (p *Poller) Poll(ctx context.Context) (Update, error) {
	q := url.Values{}
	q.Set("version", p.Version)
	q.Set("profile", p.Profile)
	q.Set("os", runtime.GOOS)
	q.Set("arch", runtime.GOARCH)
	if p.Stats != nil {
		d, dr := p.Stats()
		q.Set("spool_depth", strconv.FormatInt(d, 10))
		q.Set("dropped_reports", strconv.FormatInt(dr, 10))
	}
	hdr := http.Header{}
	if p.etag != "" {
		hdr.Set("If-None-Match", p.etag)
	}
	res, err := p.Client.Get(ctx, ConfigPath+"?"+q.Encode(), p.Credential, hdr)
	if err != nil {
		return Update{}, fmt.Errorf("poll collector: %w", err)
	}
	defer res.Body.Close()
	switch {
	case res.Status == http.StatusNotModified:
		return Update{}, nil
	case res.Status == http.StatusUnauthorized || res.Status == http.StatusForbidden:
		// the collector says why (a revoked credential, a department
		// dropped from the plan): the operator reads it in the log
		var e struct {
			Error string `json:"error"`
		}
		b, _ := io.ReadAll(io.LimitReader(res.Body, 4<<10))
		if json.Unmarshal(b, &e) == nil && e.Error != "" {
			return Update{}, fmt.Errorf("%w: %d %s", ErrRefused, res.Status, e.Error)
		}
		return Update{}, fmt.Errorf("%w: status %d", ErrRefused, res.Status)
	case res.Status != http.StatusOK:
		return Update{}, fmt.Errorf("poll collector: status %d", res.Status)
	}
	b, err := io.ReadAll(io.LimitReader(res.Body, 4<<20))
	if err != nil {
		return Update{}, fmt.Errorf("read central config: %w", err)
	}
	var c wire.AgentConfig
	if err := json.Unmarshal(b, &c); err != nil {
		return Update{}, fmt.Errorf("decode central config: %w", err)
	}
	p.etag = res.Header.Get("ETag")
	up := Update{ScanNow: c.ScanNow}
	c.ScanNow = false
	if p.last == nil || !same(p.last, &c) {
		up.Config = &c
		p.last = &c
		if p.CacheFile != "" {
			cb, _ := json.Marshal(c)
			if err := spool.WriteFileAtomic(p.CacheFile, cb, 0o600); err != nil {
				p.log().Warn("could not cache the central config", "err", err)
			}
		}
	}
	return up, nil
}

func same(a, b *wire.AgentConfig) bool {
	x, _ := json.Marshal(a)
	y, _ := json.Marshal(b)
	return string(x) == string(y)
}

func (p *Poller) log() *slog.Logger {
	if p.Log == nil {
		return slog.Default()
	}
	return p.Log
}

// Run polls every interval until ctx ends, calling onUpdate for every
// change or scan request. Errors are logged, never fatal: an agent whose
// collector is away keeps scanning with what it has.
func (p *Poller) Run(ctx context.Context, interval time.Duration, onUpdate func(Update)) {
	if interval <= 0 {
		interval = 30 * time.Second
	}
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		pctx, cancel := context.WithTimeout(ctx, interval)
		up, err := p.Poll(pctx)
		cancel()
		switch {
		case errors.Is(err, ErrRefused):
			p.log().Error("collector refused this agent: ask the big-data centre (re-enrol if its credential was revoked)", "err", err)
		case err != nil && ctx.Err() == nil:
			p.log().Warn("central config poll failed; keeping the last configuration", "err", err)
		case up.Config != nil || up.ScanNow:
			onUpdate(up)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// DefaultCacheFile is where the last central configuration is kept.
func DefaultCacheFile(dataDir string) string { return filepath.Join(dataDir, "central-config.json") }
