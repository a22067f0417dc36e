package server

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/http"
	"sync"
	"time"
)

// Serve runs the API until ctx is cancelled, then shuts down gracefully
// (in-flight requests finish within http.shutdown_timeout). Before it
// listens it prunes the audit log beyond its retention (repeated daily);
// once it listens it re-runs processors for reports left pending, in the
// background, and anchors the audit log's head every second.
func (a *App) Serve(ctx context.Context) error {
	cfg := a.Config
	log := a.Logger
	if cfg.PlainHTTPOverride() {
		log.Warn("TLS DISABLED: serving plain HTTP on a non-loopback address because tls.disable is true; credentials and reports cross the network unencrypted", "listen", cfg.Listen)
	}
	a.pruneAudit(ctx)
	if err := a.startNotify(ctx); err != nil {
		return err
	}
	a.runBackground(ctx)

	ln, err := net.Listen("tcp", cfg.Listen)
	if err != nil {
		return fmt.Errorf("listen %s: %w", cfg.Listen, err)
	}
	srv := &http.Server{
		Handler:           a.handler(),
		ReadHeaderTimeout: cfg.HTTP.ReadHeaderTimeout,
		ReadTimeout:       cfg.HTTP.ReadTimeout,
		WriteTimeout:      cfg.HTTP.WriteTimeout,
		IdleTimeout:       cfg.HTTP.IdleTimeout,
		MaxHeaderBytes:    64 << 10,
		// No BaseContext from ctx: cancelling ctx must not abort in-flight
		// requests; Shutdown lets them finish.
	}
	if cfg.TLSEnabled() {
		cert, err := tls.LoadX509KeyPair(cfg.TLS.CertFile, cfg.TLS.KeyFile)
		if err != nil {
			ln.Close()
			return fmt.Errorf("load TLS certificate: %w", err)
		}
		srv.TLSConfig = &tls.Config{MinVersion: tls.VersionTLS12, Certificates: []tls.Certificate{cert}}
	}
	scheme := "http"
	if cfg.TLSEnabled() {
		scheme = "https"
	}
	log.Info("collector listening", "addr", ln.Addr().String(), "scheme", scheme, "store", string(a.DB.Dialect), "data_dir", cfg.DataDir)

	// H-trust: reports left pending by a crash are replayed in the
	// background once the collector listens, so a large backlog (kill -9
	// mid-ingest) does not keep agents and users out; processors are
	// idempotent and run again safely.
	bg, stopBG := context.WithCancel(ctx)
	var bgDone sync.WaitGroup
	bgDone.Add(2)
	// Reports a processor failed on are retried with backoff, not parked
	// until the next restart (issue 16).
	go func() {
		defer bgDone.Done()
		a.Ingester.RetryPending(bg, func(err error) { log.Error("process pending reports", "err", err) },
			func(n int) { log.Info("processed pending reports", "reports", n) })
	}()
	go func() {
		defer bgDone.Done()
		a.Audit.RunAnchor(bg, time.Second, func(err error) { log.Error("anchor audit log", "err", err) })
	}()
	if a.judge != nil {
		// Large departments are judged in batches (rules.batch_above);
		// scans queued before a crash are judged at once.
		bgDone.Add(1)
		go func() {
			defer bgDone.Done()
			a.judge.RunBatches(bg, func(err error) { log.Error("judge queued scans", "err", err) })
		}()
	}
	if a.backlog != nil && cfg.Rules.MaxJudgementLag > 0 {
		// Read four times per batch interval: the gate opens soon after a
		// judgement catches up, for a query on a table the gate keeps small.
		bgDone.Add(1)
		go func() {
			defer bgDone.Done()
			a.backlog.Run(bg, max(cfg.Rules.BatchInterval/4, 250*time.Millisecond), func(err error) { log.Warn("read the judgement backlog", "err", err) })
		}()
	}
	defer func() { stopBG(); bgDone.Wait() }()

	errc := make(chan error, 1)
	go func() {
		if cfg.TLSEnabled() {
			errc <- srv.ServeTLS(ln, "", "")
		} else {
			errc <- srv.Serve(ln)
		}
	}()
	ticker := time.NewTicker(24 * time.Hour)
	defer ticker.Stop()
	for {
		select {
		case err := <-errc:
			if errors.Is(err, http.ErrServerClosed) {
				return nil
			}
			return fmt.Errorf("serve: %w", err)
		case <-ticker.C:
			a.pruneAudit(ctx)
			a.compactReports(ctx)
		case <-ctx.Done():
			log.Info("shutting down", "timeout", cfg.HTTP.ShutdownTimeout.String())
			sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), cfg.HTTP.ShutdownTimeout)
			defer cancel()
			if err := srv.Shutdown(sctx); err != nil {
				return fmt.Errorf("shutdown: %w", err)
			}
			// H-trust: the audit records of the last reads are written
			// before the final anchor.
			if err := a.API().Close(sctx); err != nil {
				return fmt.Errorf("shutdown: %w", err)
			}
			// Scans of large departments still queued are judged now, so
			// offline commands (export, audit log) after a stop see them;
			// what the shutdown timeout cuts short stays queued for the
			// next start.
			stopBG()
			bgDone.Wait()
			if a.judge != nil {
				if err := a.judge.JudgeQueued(sctx); err != nil {
					log.Warn("judge queued scans at shutdown; the rest are judged at the next start", "err", err)
				}
			}
			return nil
		}
	}
}

// compactReports shrinks raw reports past inventory.raw_retention (issue
// 16); the reports the rules engine reads raw stay whole.
func (a *App) compactReports(ctx context.Context) {
	if a.Config.Inventory.RawRetention == 0 {
		return
	}
	// Kept whole: each agent's latest report, scans queued for a batched
	// judgement and the reports they replaced (the judgement reads both).
	n, unreadable, err := a.Inventory.CompactReports(ctx, time.Now().Add(-a.Config.Inventory.RawRetention),
		`SELECT report_id FROM rules_reports UNION SELECT report_id FROM rules_pending UNION SELECT prev_report_id FROM rules_pending`)
	if len(unreadable) > 0 {
		a.Logger.Error("raw reports that cannot be read were not compacted (damaged rows; restore them from a backup)",
			"reports", len(unreadable), "first", unreadable[0])
	}
	if err != nil {
		a.Logger.Error("compact raw reports", "err", err)
		return
	}
	if n > 0 {
		a.Logger.Info("compacted raw reports", "reports", n, "retention", a.Config.Inventory.RawRetention.String())
	}
}

func (a *App) pruneAudit(ctx context.Context) {
	if a.Config.Audit.Retention == 0 {
		return
	}
	n, err := a.Audit.Prune(ctx, a.Config.Audit.Retention)
	if err != nil {
		a.Logger.Error("prune audit log", "err", err)
		return
	}
	if n > 0 {
		a.Logger.Info("pruned audit log", "entries", n, "retention", a.Config.Audit.Retention.String())
	}
}
