package tsdb

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	influxdb2 "github.com/influxdata/influxdb-client-go/v2"
	"github.com/influxdata/influxdb-client-go/v2/api"
	ihttp "github.com/influxdata/influxdb-client-go/v2/api/http"

	"github.com/egovnet/egovnet/collector/store"
	"github.com/egovnet/egovnet/internal/config"
)

// Config is the influx.* section of the collector configuration. On
// InfluxDB 1.8 (v2-compatible API) Token is "user:password" or empty, Org is
// ignored and Bucket is "database/retention-policy" (or just "database").
type Config struct {
	URL       string        `mapstructure:"url"`
	Token     config.Secret `mapstructure:"token"`
	Org       string        `mapstructure:"org"`
	Bucket    string        `mapstructure:"bucket"`
	OutboxMax int           `mapstructure:"outbox_max"`
	BatchSize int           `mapstructure:"batch_size"`
	Timeout   time.Duration `mapstructure:"timeout"`
}

// ConfigDefaults are the influx.* keys with their defaults, for the
// collector's config.Load defaults map.
var ConfigDefaults = map[string]any{
	"influx.url":        "",
	"influx.token":      "",
	"influx.org":        "",
	"influx.bucket":     "",
	"influx.outbox_max": DefaultOutboxMax,
	"influx.batch_size": 1000,
	"influx.timeout":    "20s",
}

// Enabled reports whether an InfluxDB is configured.
func (c Config) Enabled() bool { return c.URL != "" }

// Validate names every problem of an enabled configuration.
func (c Config) Validate() error {
	if !c.Enabled() {
		return nil
	}
	var errs []error
	u, err := url.Parse(c.URL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		errs = append(errs, fmt.Errorf("influx.url %q: want http(s)://host:port", c.URL))
	}
	if strings.ContainsAny(c.Token.Reveal(), " \t\r\n") {
		// v2 tokens never contain blanks, and InfluxDB 1.8 splits the
		// "Token user:password" header on spaces.
		errs = append(errs, errors.New("influx.token: must not contain spaces (InfluxDB 1.8 cannot parse a password with blanks in a token)"))
	}
	if strings.TrimSpace(c.Bucket) == "" {
		errs = append(errs, errors.New("influx.bucket: required when influx.url is set (on InfluxDB 1.8: database/retention-policy)"))
	}
	if c.OutboxMax < 0 {
		errs = append(errs, fmt.Errorf("influx.outbox_max %d: must not be negative", c.OutboxMax))
	}
	if c.BatchSize < 0 {
		errs = append(errs, fmt.Errorf("influx.batch_size %d: must not be negative", c.BatchSize))
	}
	return errors.Join(errs...)
}

// Writer replays the outbox into InfluxDB. One Run loop per collector.
type Writer struct {
	outbox *Outbox
	client influxdb2.Client
	write  api.WriteAPIBlocking
	batch  int
	log    *slog.Logger
	kick   chan struct{}

	// PollInterval is how often an idle writer looks at the outbox (points
	// enqueued by other collectors sharing the database); Notify wakes it at
	// once for local ones.
	PollInterval time.Duration
	// MaxBackoff caps the wait between attempts while InfluxDB fails.
	MaxBackoff time.Duration

	mu      sync.Mutex
	lastErr string
	errAt   time.Time
	okAt    time.Time
}

// NewWriter builds the writer for cfg over db's outbox.
func NewWriter(cfg Config, db *store.DB, log *slog.Logger) (*Writer, error) {
	if !cfg.Enabled() {
		return nil, errors.New("new influx writer: influx.url not set")
	}
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if log == nil {
		log = slog.Default()
	}
	timeout := cfg.Timeout
	if timeout <= 0 {
		timeout = 20 * time.Second
	}
	opts := influxdb2.DefaultOptions().
		SetHTTPRequestTimeout(uint(timeout / time.Second)).
		SetPrecision(time.Nanosecond).
		SetMaxRetries(0). // retries are ours, from the durable outbox
		SetLogLevel(0)    // failures are reported through slog, once
	client := influxdb2.NewClientWithOptions(strings.TrimRight(cfg.URL, "/"), cfg.Token.Reveal(), opts)
	batch := cfg.BatchSize
	if batch <= 0 {
		batch = 1000
	}
	return &Writer{
		outbox:       NewOutbox(db, cfg.OutboxMax),
		client:       client,
		write:        client.WriteAPIBlocking(cfg.Org, cfg.Bucket),
		batch:        batch,
		log:          log,
		kick:         make(chan struct{}, 1),
		PollInterval: 5 * time.Second,
		MaxBackoff:   time.Minute,
	}, nil
}

// Outbox is the writer's outbox, for enqueuing points.
func (w *Writer) Outbox() *Outbox { return w.outbox }

// Notify wakes the Run loop after points were enqueued; it never blocks.
func (w *Writer) Notify() {
	select {
	case w.kick <- struct{}{}:
	default:
	}
}

// Close releases the client's idle connections.
func (w *Writer) Close() { w.client.Close() }

// Run sends queued points until ctx ends, backing off while InfluxDB is
// unreachable. Points leave the outbox only after InfluxDB acknowledged them.
func (w *Writer) Run(ctx context.Context) {
	backoff := time.Second
	for {
		n, err := w.sendBatch(ctx)
		var wait time.Duration
		switch {
		case ctx.Err() != nil:
			return
		case err != nil:
			wait = backoff
			backoff = min(backoff*2, w.MaxBackoff)
		case n == 0:
			wait = w.PollInterval
			backoff = time.Second
		default:
			backoff = time.Second
			continue // more may be queued
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-w.kick:
			t.Stop()
		case <-t.C:
		}
	}
}

// Flush sends everything queued now, batch by batch, and returns the first
// failure (the unsent points stay queued).
func (w *Writer) Flush(ctx context.Context) error {
	for {
		n, err := w.sendBatch(ctx)
		if err != nil {
			return err
		}
		if n == 0 {
			return nil
		}
	}
}

// sendBatch sends the oldest batch and reports how many points left the
// outbox. A batch InfluxDB refuses as malformed (400) is retried point by
// point so that only the bad points are rejected and counted.
func (w *Writer) sendBatch(ctx context.Context) (int, error) {
	qs, err := w.outbox.peek(ctx, w.batch)
	if err != nil || len(qs) == 0 {
		return 0, err
	}
	lines := make([]string, len(qs))
	for i, q := range qs {
		lines[i] = q.line
	}
	err = w.write.WriteRecord(ctx, lines...)
	switch {
	case err == nil:
		w.noteOK()
		return len(qs), w.outbox.remove(ctx, qs, CounterWritten)
	case !isMalformed(err):
		w.noteErr(err)
		return 0, fmt.Errorf("write %d points to influxdb: %w%s", len(qs), err, hint(err))
	}
	// Partial write: InfluxDB kept the good points of the batch; resend one
	// by one (idempotent: same series and timestamp) to find the bad ones.
	for _, q := range qs {
		err := w.write.WriteRecord(ctx, q.line)
		counter := CounterWritten
		switch {
		case err == nil:
		case isMalformed(err):
			counter = CounterRejected
			w.log.Warn("influxdb rejected point", "error", err, "point", truncate(q.line, 200))
		default:
			w.noteErr(err)
			return 0, fmt.Errorf("write point to influxdb: %w", err)
		}
		if err := w.outbox.remove(ctx, []queued{q}, counter); err != nil {
			return 0, err
		}
	}
	w.noteOK()
	return len(qs), nil
}

// hint names the configuration key behind an authorisation or bucket
// failure; such points stay queued until the configuration is fixed.
func hint(err error) string {
	var he *ihttp.Error
	if !errors.As(err, &he) {
		return ""
	}
	switch he.StatusCode {
	case http.StatusUnauthorized, http.StatusForbidden:
		return " (check influx.token; on InfluxDB 1.8 it is user:password)"
	case http.StatusNotFound:
		return " (check influx.bucket and influx.org; on InfluxDB 1.8 the bucket is database/retention-policy)"
	}
	return ""
}

func isMalformed(err error) bool {
	var he *ihttp.Error
	return errors.As(err, &he) && (he.StatusCode == http.StatusBadRequest || he.StatusCode == http.StatusRequestEntityTooLarge)
}

func (w *Writer) noteOK() {
	w.mu.Lock()
	recovered := w.lastErr != "" && w.errAt.After(w.okAt)
	w.okAt = time.Now()
	w.mu.Unlock()
	if recovered {
		w.log.Info("influxdb writes resumed; replaying the outbox")
	}
}

func (w *Writer) noteErr(err error) {
	w.mu.Lock()
	first := w.lastErr == "" || w.okAt.After(w.errAt)
	w.lastErr, w.errAt = err.Error(), time.Now()
	w.mu.Unlock()
	if first {
		w.log.Warn("influxdb unavailable; points stay in the outbox", "error", err)
	}
}

// Status is the writer's view: the stored outbox state plus this process's
// last success and failure.
type Status struct {
	Stats
	Enabled     bool      `json:"enabled"`
	LastWrite   time.Time `json:"last_write,omitempty"`
	LastError   string    `json:"last_error,omitempty"`
	LastErrorAt time.Time `json:"last_error_at,omitempty"`
}

// Status reads the outbox and adds the writer's last outcomes.
func (w *Writer) Status(ctx context.Context) (Status, error) {
	s, err := w.outbox.Stats(ctx)
	w.mu.Lock()
	defer w.mu.Unlock()
	return Status{Stats: s, Enabled: true, LastWrite: w.okAt, LastError: w.lastErr, LastErrorAt: w.errAt}, err
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}
