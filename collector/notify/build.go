package notify

import (
	"crypto/tls"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/egovnet/egovnet/collector/config"
)

// FromConfig builds the configured sinks and dispatcher options. It returns
// no sinks when nothing is configured; the caller then runs no dispatcher.
func FromConfig(c config.Notify, logger *slog.Logger) ([]Sink, Options, error) {
	opt := Options{Interval: c.Interval, MaxAttempts: c.MaxAttempts, SilentAfter: c.AgentSilentAfter, Logger: logger}
	route := func(r config.NotifyRoute) Route {
		return Route{Events: r.Events, Departments: r.Departments, MinSeverity: r.MinSeverity}
	}
	var sinks []Sink
	client := &http.Client{Timeout: 15 * time.Second}
	for i, w := range c.Webhooks {
		sinks = append(sinks, &Webhook{ID: fmt.Sprintf("webhook:%d", i), URL: w.URL, Secret: w.Secret.Reveal(), R: route(w.NotifyRoute), Client: client})
	}
	if c.Syslog.Address != "" {
		network, addr, err := ParseSyslogAddress(c.Syslog.Address)
		if err != nil {
			return nil, opt, fmt.Errorf("notify.syslog.address: %w", err)
		}
		s := &Syslog{ID: "syslog", Network: network, Addr: addr, Facility: Facilities[c.Syslog.Facility], R: route(c.Syslog.NotifyRoute)}
		if network == "tls" {
			pool, err := LoadCA(c.Syslog.CAFile)
			if err != nil {
				return nil, opt, err
			}
			host, _, _ := net.SplitHostPort(addr)
			s.TLS = &tls.Config{ServerName: host, RootCAs: pool, MinVersion: tls.VersionTLS12}
		}
		sinks = append(sinks, s)
	}
	if c.SMTP.Address != "" {
		sinks = append(sinks, &Mail{ID: "smtp", Addr: c.SMTP.Address, From: c.SMTP.From, To: c.SMTP.To, Username: c.SMTP.Username,
			Password: c.SMTP.Password.Reveal(), RequireTLS: c.SMTP.RequireTLS, R: route(c.SMTP.NotifyRoute)})
	}
	return sinks, opt, nil
}
