package notify

import (
	"context"
	"crypto/tls"
	"encoding/base64"
	"fmt"
	"mime"
	"net"
	"net/smtp"
	"strings"
	"time"
)

// Mail sends each event as a short bilingual message. STARTTLS is used
// whenever the server offers it and required when RequireTLS is set; a
// password is only ever sent over TLS (net/smtp refuses otherwise, except to
// localhost).
type Mail struct {
	ID         string
	Addr       string // host:port
	From       string
	To         []string
	Username   string
	Password   string
	RequireTLS bool
	TLS        *tls.Config
	R          Route
}

// Name implements Sink.
func (m *Mail) Name() string { return m.ID }

// Route implements Sink.
func (m *Mail) Route() Route { return m.R }

var eventTitles = map[string][2]string{
	EventOpened:   {"发现违规", "violation opened"},
	EventReopened: {"违规复现", "violation reopened"},
	EventResolved: {"违规已整改", "violation resolved"},
	EventSilent:   {"代理失联", "agent silent"},
}

// Message renders the RFC 5322 message for e.
func (m *Mail) Message(e *Event, payload []byte, now time.Time) []byte {
	t := eventTitles[e.Name]
	subject := fmt.Sprintf("[egovnet] %s %s %s", t[0], e.Department, e.Subject())
	var body strings.Builder
	fmt.Fprintf(&body, "%s / %s\r\n部门 department: %s\r\n时间 at: %s\r\n", t[0], t[1], e.Department, e.At.UTC().Format(time.RFC3339))
	if v := e.Violation; v != nil {
		fmt.Fprintf(&body, "规则 rule: %s\r\n对象 subject: %s\r\n级别 severity: %s\r\n状态 status: %s\r\n编号 id: %s\r\n", v.Rule, v.Subject, v.Severity, v.Status, v.ID)
		for _, c := range v.Citations {
			fmt.Fprintf(&body, "依据 citation: %s %s\r\n", c.Document, c.Article)
		}
	}
	if a := e.Agent; a != nil {
		fmt.Fprintf(&body, "代理 agent: %s (%s)\r\n最后报告 last report: %s\r\n", a.ID, a.Hostname, a.LastReport.UTC().Format(time.RFC3339))
	}
	body.WriteString("\r\n")
	body.Write(payload)
	body.WriteString("\r\n")
	var b strings.Builder
	fmt.Fprintf(&b, "From: %s\r\nTo: %s\r\nSubject: %s\r\nDate: %s\r\nMIME-Version: 1.0\r\n", m.From, strings.Join(m.To, ", "),
		mime.BEncoding.Encode("UTF-8", subject), now.Format(time.RFC1123Z))
	b.WriteString("Content-Type: text/plain; charset=UTF-8\r\nContent-Transfer-Encoding: base64\r\n\r\n")
	enc := base64.StdEncoding.EncodeToString([]byte(body.String()))
	for len(enc) > 76 {
		b.WriteString(enc[:76] + "\r\n")
		enc = enc[76:]
	}
	b.WriteString(enc + "\r\n")
	return []byte(b.String())
}

// Send implements Sink.
func (m *Mail) Send(ctx context.Context, e *Event, payload []byte) error {
	host, _, err := net.SplitHostPort(m.Addr)
	if err != nil {
		return fmt.Errorf("smtp address %q: %w", m.Addr, err)
	}
	var d net.Dialer
	conn, err := d.DialContext(ctx, "tcp", m.Addr)
	if err != nil {
		return fmt.Errorf("dial smtp: %w", err)
	}
	if dl, ok := ctx.Deadline(); ok {
		_ = conn.SetDeadline(dl)
	}
	c, err := smtp.NewClient(conn, host)
	if err != nil {
		conn.Close()
		return fmt.Errorf("smtp greeting: %w", err)
	}
	defer c.Close()
	if ok, _ := c.Extension("STARTTLS"); ok {
		cfg := m.TLS
		if cfg == nil {
			cfg = &tls.Config{ServerName: host, MinVersion: tls.VersionTLS12}
		}
		if err := c.StartTLS(cfg); err != nil {
			return fmt.Errorf("smtp starttls: %w", err)
		}
	} else if m.RequireTLS {
		return fmt.Errorf("smtp %s does not offer STARTTLS and smtp.require_tls is set", m.Addr)
	}
	if m.Username != "" {
		if err := c.Auth(smtp.PlainAuth("", m.Username, m.Password, host)); err != nil {
			return fmt.Errorf("smtp auth: %w", err)
		}
	}
	if err := c.Mail(m.From); err != nil {
		return fmt.Errorf("smtp MAIL FROM: %w", err)
	}
	for _, to := range m.To {
		if err := c.Rcpt(to); err != nil {
			return fmt.Errorf("smtp RCPT TO %s: %w", to, err)
		}
	}
	w, err := c.Data()
	if err != nil {
		return fmt.Errorf("smtp DATA: %w", err)
	}
	if _, err := w.Write(m.Message(e, payload, time.Now())); err != nil {
		return fmt.Errorf("smtp write: %w", err)
	}
	if err := w.Close(); err != nil {
		return fmt.Errorf("smtp end of data: %w", err)
	}
	return c.Quit()
}
