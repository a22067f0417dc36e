package config

import (
	"fmt"
	"net"
	"net/url"
	"slices"
	"strings"
)

// notifyEvents and notifySeverities mirror collector/notify (config may not
// import it: notify builds its sinks from this package).
var (
	notifyEvents     = []string{"violation.opened", "violation.reopened", "violation.resolved", "agent.silent"}
	notifySeverities = []string{"", "low", "medium", "high", "critical"}
	syslogFacilities = []string{"kern", "user", "daemon", "auth", "syslog", "authpriv",
		"local0", "local1", "local2", "local3", "local4", "local5", "local6", "local7"}
)

func (r NotifyRoute) validate(key string) []error {
	var errs []error
	for _, e := range r.Events {
		if !slices.Contains(notifyEvents, e) {
			errs = append(errs, fmt.Errorf("%s.events: %q is not one of %s", key, e, strings.Join(notifyEvents, ", ")))
		}
	}
	if !slices.Contains(notifySeverities, r.MinSeverity) {
		errs = append(errs, fmt.Errorf("%s.min_severity: %q is not low, medium, high or critical", key, r.MinSeverity))
	}
	return errs
}

// validate names every problem of the notify block; secrets are never
// quoted back.
func (n Notify) validate() []error {
	var errs []error
	bad := func(key, format string, args ...any) {
		errs = append(errs, fmt.Errorf("%s: %s", key, fmt.Sprintf(format, args...)))
	}
	for i, w := range n.Webhooks {
		key := fmt.Sprintf("notify.webhooks[%d]", i)
		u, err := url.Parse(w.URL)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			bad(key+".url", "%q is not an http(s) URL", w.URL)
		}
		if w.Secret == "" {
			bad(key+".secret", "required: receivers check the X-Egovnet-Signature HMAC")
		}
		errs = append(errs, w.validate(key)...)
	}
	if a := n.Syslog.Address; a != "" {
		u, err := url.Parse(a)
		if err != nil || (u.Scheme != "udp" && u.Scheme != "tcp" && u.Scheme != "tls") || u.Host == "" {
			bad("notify.syslog.address", "%q is not udp://HOST:PORT, tcp://HOST:PORT or tls://HOST:PORT", a)
		} else if _, port, err := net.SplitHostPort(u.Host); err != nil || port == "" {
			bad("notify.syslog.address", "%q has no port", a)
		}
		if !slices.Contains(syslogFacilities, n.Syslog.Facility) {
			bad("notify.syslog.facility", "%q is not a syslog facility (local0..local7, daemon, ...)", n.Syslog.Facility)
		}
		errs = append(errs, n.Syslog.validate("notify.syslog")...)
	}
	if a := n.SMTP.Address; a != "" {
		if _, port, err := net.SplitHostPort(a); err != nil || port == "" {
			bad("notify.smtp.address", "%q is not host:port", a)
		}
		if n.SMTP.From == "" {
			bad("notify.smtp.from", "required when notify.smtp.address is set")
		}
		if len(n.SMTP.To) == 0 {
			bad("notify.smtp.to", "at least one recipient when notify.smtp.address is set")
		}
		errs = append(errs, n.SMTP.validate("notify.smtp")...)
	}
	if n.Interval <= 0 {
		bad("notify.interval", "must be positive (got %s)", n.Interval)
	}
	if n.MaxAttempts < 1 {
		bad("notify.max_attempts", "must be at least 1 (got %d)", n.MaxAttempts)
	}
	if n.AgentSilentAfter < 0 {
		bad("notify.agent_silent_after", "must not be negative (0 disables)")
	}
	return errs
}
