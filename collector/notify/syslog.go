package notify

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"fmt"
	"net"
	"net/url"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Syslog sends one RFC 5424 message per event to a security operations
// centre: UDP (one datagram each), TCP or TLS (RFC 6587/5425 octet counting,
// one connection kept open and redialled on error).
type Syslog struct {
	ID       string
	Network  string // udp, tcp, tls
	Addr     string
	Facility int
	TLS      *tls.Config
	R        Route
	Hostname string

	mu   sync.Mutex
	conn net.Conn
}

// Facilities by name (RFC 5424 table 1).
var Facilities = map[string]int{
	"kern": 0, "user": 1, "daemon": 3, "auth": 4, "syslog": 5, "authpriv": 10,
	"local0": 16, "local1": 17, "local2": 18, "local3": 19, "local4": 20, "local5": 21, "local6": 22, "local7": 23,
}

// ParseSyslogAddress splits "udp://host:port", "tcp://host:port" or
// "tls://host:port".
func ParseSyslogAddress(s string) (network, addr string, err error) {
	u, err := url.Parse(s)
	if err != nil || u.Host == "" {
		return "", "", fmt.Errorf("%q is not udp://HOST:PORT, tcp://HOST:PORT or tls://HOST:PORT", s)
	}
	switch u.Scheme {
	case "udp", "tcp", "tls":
	default:
		return "", "", fmt.Errorf("%q: scheme must be udp, tcp or tls", s)
	}
	if _, port, err := net.SplitHostPort(u.Host); err != nil || port == "" {
		return "", "", fmt.Errorf("%q has no port", s)
	}
	return u.Scheme, u.Host, nil
}

// LoadCA reads a PEM bundle for syslog over TLS; empty means system roots.
func LoadCA(file string) (*x509.CertPool, error) {
	if file == "" {
		return nil, nil
	}
	b, err := os.ReadFile(file)
	if err != nil {
		return nil, fmt.Errorf("read syslog CA: %w", err)
	}
	p := x509.NewCertPool()
	if !p.AppendCertsFromPEM(b) {
		return nil, fmt.Errorf("read syslog CA %s: no PEM certificates", file)
	}
	return p, nil
}

// Name implements Sink.
func (s *Syslog) Name() string { return s.ID }

// Route implements Sink.
func (s *Syslog) Route() Route { return s.R }

// syslogSeverity maps a finding's severity to RFC 5424 severities.
func syslogSeverity(sev string) int {
	switch sev {
	case "critical":
		return 2
	case "high":
		return 3
	case "medium":
		return 4
	}
	return 5
}

// sdEscape escapes a PARAM-VALUE (RFC 5424 6.3.3).
func sdEscape(s string) string {
	return strings.NewReplacer(`\`, `\\`, `"`, `\"`, `]`, `\]`).Replace(s)
}

// headerToken makes s a valid header field: printable ASCII, no spaces.
func headerToken(s string, max int) string {
	if s == "" {
		return "-"
	}
	b := []byte(s)
	for i, c := range b {
		if c < 33 || c > 126 {
			b[i] = '_'
		}
	}
	if len(b) > max {
		b = b[:max]
	}
	return string(b)
}

// Format renders the RFC 5424 line for e: structured data names the
// finding for machines; MSG is a compact JSON summary (UTF-8, BOM-marked).
func (s *Syslog) Format(e *Event, now time.Time) []byte {
	pri := s.Facility*8 + syslogSeverity(e.Severity())
	sd := fmt.Sprintf(`[egovnet@32473 event="%s" department="%s" severity="%s"`, sdEscape(e.Name), sdEscape(e.Department), sdEscape(e.Severity()))
	summary := map[string]any{"event": e.Name, "at": e.At, "department": e.Department}
	if v := e.Violation; v != nil {
		sd += fmt.Sprintf(` id="%s" rule="%s" subject="%s" status="%s"`, sdEscape(v.ID), sdEscape(v.Rule), sdEscape(v.Subject), sdEscape(v.Status))
		summary["violation"] = map[string]any{"id": v.ID, "rule": v.Rule, "subject": v.Subject, "severity": v.Severity, "status": v.Status}
	}
	if a := e.Agent; a != nil {
		sd += fmt.Sprintf(` agent="%s" hostname="%s"`, sdEscape(a.ID), sdEscape(a.Hostname))
		summary["agent"] = a
	}
	sd += "]"
	msg, _ := json.Marshal(summary)
	host := s.Hostname
	if host == "" {
		host, _ = os.Hostname()
	}
	line := fmt.Sprintf("<%d>1 %s %s egovnet-collector %d %s %s \xEF\xBB\xBF%s",
		pri, now.UTC().Format(time.RFC3339Nano), headerToken(host, 255), os.Getpid(), headerToken(e.Name, 32), sd, msg)
	return []byte(line)
}

// Send implements Sink.
func (s *Syslog) Send(ctx context.Context, e *Event, _ []byte) error {
	line := s.Format(e, time.Now())
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.Network == "udp" {
		var d net.Dialer
		c, err := d.DialContext(ctx, "udp", s.Addr)
		if err != nil {
			return fmt.Errorf("dial syslog: %w", err)
		}
		defer c.Close()
		if dl, ok := ctx.Deadline(); ok {
			_ = c.SetWriteDeadline(dl)
		}
		if _, err := c.Write(line); err != nil {
			return fmt.Errorf("write syslog: %w", err)
		}
		return nil
	}
	frame := append([]byte(strconv.Itoa(len(line))+" "), line...)
	for try := 0; try < 2; try++ {
		if s.conn == nil {
			c, err := s.dial(ctx)
			if err != nil {
				return err
			}
			s.conn = c
		}
		if dl, ok := ctx.Deadline(); ok {
			_ = s.conn.SetWriteDeadline(dl)
		}
		if _, err := s.conn.Write(frame); err != nil {
			// A server that closed an idle connection: redial once.
			s.conn.Close()
			s.conn = nil
			if try == 1 {
				return fmt.Errorf("write syslog: %w", err)
			}
			continue
		}
		return nil
	}
	return nil
}

func (s *Syslog) dial(ctx context.Context) (net.Conn, error) {
	var d net.Dialer
	if s.Network == "tls" {
		td := tls.Dialer{NetDialer: &d, Config: s.TLS}
		c, err := td.DialContext(ctx, "tcp", s.Addr)
		if err != nil {
			return nil, fmt.Errorf("dial syslog over TLS: %w", err)
		}
		return c, nil
	}
	c, err := d.DialContext(ctx, "tcp", s.Addr)
	if err != nil {
		return nil, fmt.Errorf("dial syslog: %w", err)
	}
	return c, nil
}

// Close drops the kept connection.
func (s *Syslog) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.conn != nil {
		err := s.conn.Close()
		s.conn = nil
		return err
	}
	return nil
}
