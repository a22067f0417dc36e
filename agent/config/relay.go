package config

import (
	"errors"
	"fmt"
	"net"
	"net/netip"
	"strings"
)

// Relay makes a network agent carry the uploads and polls of the endpoint
// agents of an isolated network (agent/relay). Off unless Listen is set.
type Relay struct {
	// Listen is host:port; empty: no relay.
	Listen string `mapstructure:"listen"`
	// TLSCert and TLSKey (PEM files) serve HTTPS; endpoint agents then
	// trust the certificate through their collector.ca_file. Without them
	// the relay speaks plain HTTP (warned about off loopback).
	TLSCert string `mapstructure:"tls_cert"`
	TLSKey  string `mapstructure:"tls_key"`
	// MaxReportBytes matches the collector's limits.max_report_bytes.
	MaxReportBytes int64 `mapstructure:"max_report_bytes"`
	// SpoolMaxReports and SpoolMaxBytes cap the relay spool; a full spool
	// refuses uploads (507) and the endpoint agents keep them.
	SpoolMaxReports int   `mapstructure:"spool_max_reports"`
	SpoolMaxBytes   int64 `mapstructure:"spool_max_bytes"`
	// PerClient bounds concurrent uploads of one endpoint agent;
	// MaxConcurrent bounds all requests in progress.
	PerClient     int `mapstructure:"per_client"`
	MaxConcurrent int `mapstructure:"max_concurrent"`
	// Allow lists the source networks served (CIDRs); empty: any.
	Allow []string `mapstructure:"allow"`
}

func relayDefaults() map[string]any {
	return map[string]any{
		"relay.listen":            "",
		"relay.tls_cert":          "",
		"relay.tls_key":           "",
		"relay.max_report_bytes":  int64(64 << 20),
		"relay.spool_max_reports": 1000,
		"relay.spool_max_bytes":   int64(1 << 30),
		"relay.per_client":        2,
		"relay.max_concurrent":    16,
		"relay.allow":             []string{},
	}
}

// AllowPrefixes parses relay.allow.
func (r Relay) AllowPrefixes() ([]netip.Prefix, error) {
	var out []netip.Prefix
	var errs []error
	for _, s := range r.Allow {
		p, err := ParseTarget(strings.TrimSpace(s))
		if err != nil {
			errs = append(errs, err)
			continue
		}
		out = append(out, p)
	}
	return out, errors.Join(errs...)
}

func (c *Config) validateRelay() error {
	r := c.Relay
	var errs []error
	bad := func(format string, args ...any) { errs = append(errs, fmt.Errorf(format, args...)) }
	if r.Listen != "" {
		if _, _, err := net.SplitHostPort(r.Listen); err != nil {
			bad("relay.listen %q: want host:port", r.Listen)
		}
		if c.Profile != "network" {
			bad("relay.listen: only a network agent (profile network) relays for endpoint agents")
		}
	}
	if (r.TLSCert == "") != (r.TLSKey == "") {
		bad("relay.tls_cert and relay.tls_key: set both or neither")
	}
	if r.MaxReportBytes < 1024 {
		bad("relay.max_report_bytes %d: want at least 1024", r.MaxReportBytes)
	}
	if r.SpoolMaxReports < 1 {
		bad("relay.spool_max_reports %d: want at least 1", r.SpoolMaxReports)
	}
	if r.SpoolMaxBytes < r.MaxReportBytes {
		bad("relay.spool_max_bytes %d: want at least relay.max_report_bytes (%d)", r.SpoolMaxBytes, r.MaxReportBytes)
	}
	if r.PerClient < 1 || r.PerClient > 64 {
		bad("relay.per_client %d: want 1..64", r.PerClient)
	}
	if r.MaxConcurrent < 1 || r.MaxConcurrent > 4096 {
		bad("relay.max_concurrent %d: want 1..4096", r.MaxConcurrent)
	}
	if _, err := r.AllowPrefixes(); err != nil {
		bad("relay.allow: %w", err)
	}
	return errors.Join(errs...)
}
