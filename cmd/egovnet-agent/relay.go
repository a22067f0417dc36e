package main

import (
	"context"
	"errors"
	"github.com/egovnet/egovnet/internal/cliexit"
	"log/slog"
	"path/filepath"

	agentconfig "github.com/egovnet/egovnet/agent/config"
	"github.com/egovnet/egovnet/agent/relay"
	"github.com/egovnet/egovnet/agent/uplink"
	"github.com/egovnet/egovnet/internal/version"
)

// startRelay starts the relay for endpoint agents when relay.listen is set
// (wiring only; the logic is agent/relay). stop ends it and waits.
func startRelay(ctx context.Context, cfg *agentconfig.Config, collectorURL, caFile string, log *slog.Logger) (stop func(), err error) {
	rc := cfg.Relay
	if rc.Listen == "" {
		return func() {}, nil
	}
	if collectorURL == "" {
		return nil, cliexit.Usage(errors.New("relay.listen: the relay needs the collector (enrol this agent or set collector.url)"))
	}
	// Its own client: no retries inside one send (the relay's forwarder
	// backs off itself) and the collector's body limit.
	up, err := uplink.New(collectorURL, uplink.Options{CAFile: caFile, UserAgent: "egovnet-agent-relay/" + version.Version,
		Retries: -1, MaxReportBytes: rc.MaxReportBytes, Logger: log})
	if err != nil {
		return nil, cliexit.Usage(err)
	}
	allow, err := rc.AllowPrefixes()
	if err != nil {
		return nil, cliexit.Usage(err)
	}
	st, err := relay.OpenStore(filepath.Join(cfg.DataDir, "relay-spool"), rc.SpoolMaxReports, rc.SpoolMaxBytes)
	if err != nil {
		return nil, err
	}
	ln, err := relay.Listen(ctx, rc.Listen, rc.TLSCert != "", log)
	if err != nil {
		return nil, err
	}
	r := relay.New(up, st, relay.Options{MaxReportBytes: rc.MaxReportBytes, PerClient: rc.PerClient, MaxConcurrent: rc.MaxConcurrent,
		Allow: allow, Log: log.With("component", "relay")})
	rctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		if err := r.Serve(rctx, ln, rc.TLSCert, rc.TLSKey); err != nil {
			log.Error("relay stopped", "err", err)
		}
	}()
	log.Info("relay for endpoint agents listening", "listen", ln.Addr().String(), "tls", rc.TLSCert != "", "spool", st.Dir())
	return func() { cancel(); <-done }, nil
}
