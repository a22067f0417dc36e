package notify_test

import (
	"bufio"
	"context"
	"encoding/base64"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/egovnet/egovnet/collector/notify"
	"github.com/egovnet/egovnet/internal/wire"
)

// smtpSink is a minimal real SMTP server on loopback (RFC 5321 subset:
// EHLO, MAIL, RCPT, DATA, QUIT) that keeps what it received.
type smtpSink struct {
	mu   sync.Mutex
	from string
	rcpt []string
	data string
	ln   net.Listener
}

func newSMTPSink(t *testing.T) *smtpSink {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := &smtpSink{ln: ln}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go s.serve(c)
		}
	}()
	return s
}

func (s *smtpSink) serve(c net.Conn) {
	defer c.Close()
	r := bufio.NewReader(c)
	w := func(l string) { c.Write([]byte(l + "\r\n")) }
	w("220 sink ESMTP")
	for {
		line, err := r.ReadString('\n')
		if err != nil {
			return
		}
		cmd := strings.ToUpper(strings.TrimSpace(line))
		switch {
		case strings.HasPrefix(cmd, "EHLO"), strings.HasPrefix(cmd, "HELO"):
			w("250-sink")
			w("250 8BITMIME")
		case strings.HasPrefix(cmd, "MAIL FROM:"):
			s.mu.Lock()
			s.from = strings.TrimSpace(line[10:])
			s.mu.Unlock()
			w("250 ok")
		case strings.HasPrefix(cmd, "RCPT TO:"):
			s.mu.Lock()
			s.rcpt = append(s.rcpt, strings.TrimSpace(line[8:]))
			s.mu.Unlock()
			w("250 ok")
		case cmd == "DATA":
			w("354 go ahead")
			var b strings.Builder
			for {
				l, err := r.ReadString('\n')
				if err != nil {
					return
				}
				if l == ".\r\n" {
					break
				}
				b.WriteString(l)
			}
			s.mu.Lock()
			s.data = b.String()
			s.mu.Unlock()
			w("250 queued")
		case cmd == "QUIT":
			w("221 bye")
			return
		default:
			w("502 not implemented")
		}
	}
}

func TestMailToLocalSink(t *testing.T) {
	sink := newSMTPSink(t)
	m := &notify.Mail{ID: "smtp", Addr: sink.ln.Addr().String(), From: "egovnet@example.gov.cn", To: []string{"noc@example.gov.cn", "secadmin@example.gov.cn"}}
	e := &notify.Event{Name: notify.EventOpened, At: time.Date(2026, 12, 6, 2, 0, 0, 0, time.UTC), Department: "ZFB",
		Violation: &wire.Violation{ID: "v1", Rule: "isolation-breach", Subject: "10.9.1.0/24", Severity: wire.SeverityCritical, Status: wire.StatusOpen,
			Citations: []wire.Citation{{Document: "杨府办规〔2021〕4号", Article: "第十条"}}}}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := m.Send(ctx, e, []byte(`{"event":"violation.opened"}`)); err != nil {
		t.Fatal(err)
	}
	sink.mu.Lock()
	defer sink.mu.Unlock()
	if !strings.HasPrefix(sink.from, "<egovnet@example.gov.cn>") || len(sink.rcpt) != 2 {
		t.Fatalf("envelope from %q rcpt %q", sink.from, sink.rcpt)
	}
	head, body, ok := strings.Cut(sink.data, "\r\n\r\n")
	if !ok || !strings.Contains(head, "Subject: =?UTF-8?b?") || !strings.Contains(head, "charset=UTF-8") {
		t.Fatalf("headers:\n%s", head)
	}
	text, err := base64.StdEncoding.DecodeString(strings.ReplaceAll(body, "\r\n", ""))
	if err != nil {
		t.Fatalf("body is not base64: %v", err)
	}
	for _, want := range []string{"发现违规", "isolation-breach", "10.9.1.0/24", "杨府办规〔2021〕4号 第十条", "部门 department: ZFB"} {
		if !strings.Contains(string(text), want) {
			t.Errorf("mail body lacks %q:\n%s", want, text)
		}
	}
}

func TestMailRequireTLSRefusesPlainServer(t *testing.T) {
	sink := newSMTPSink(t)
	m := &notify.Mail{ID: "smtp", Addr: sink.ln.Addr().String(), From: "a@example.gov.cn", To: []string{"b@example.gov.cn"}, RequireTLS: true}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	err := m.Send(ctx, &notify.Event{Name: notify.EventSilent, Agent: &notify.Agent{ID: "a1"}}, []byte("{}"))
	if err == nil || !strings.Contains(err.Error(), "STARTTLS") {
		t.Fatalf("plain server accepted with require_tls: %v", err)
	}
	sink.mu.Lock()
	defer sink.mu.Unlock()
	if sink.data != "" {
		t.Fatal("message sent without TLS")
	}
}
