package notify

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
)

// SignatureHeader carries "sha256=<hex HMAC-SHA256 of the body>".
const SignatureHeader = "X-Egovnet-Signature"

// Webhook POSTs the event JSON to a URL, signed with a shared secret so the
// receiver can tell the collector from anyone else who knows the URL.
type Webhook struct {
	ID     string // stable name, e.g. "webhook:0"
	URL    string
	Secret string
	R      Route
	Client *http.Client
}

// Name implements Sink.
func (w *Webhook) Name() string { return w.ID }

// Route implements Sink.
func (w *Webhook) Route() Route { return w.R }

// Sign returns the header value for body.
func Sign(secret string, body []byte) string {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write(body)
	return "sha256=" + hex.EncodeToString(m.Sum(nil))
}

// Send implements Sink: any 2xx is delivered; everything else is retried.
func (w *Webhook) Send(ctx context.Context, e *Event, payload []byte) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, w.URL, bytes.NewReader(payload))
	if err != nil {
		return fmt.Errorf("build webhook request: %w", err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "egovnet-collector")
	req.Header.Set("X-Egovnet-Event", e.Name)
	req.Header.Set(SignatureHeader, Sign(w.Secret, payload))
	c := w.Client
	if c == nil {
		c = http.DefaultClient
	}
	resp, err := c.Do(req)
	if err != nil {
		return fmt.Errorf("post webhook: %w", err)
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	if resp.StatusCode/100 != 2 {
		return fmt.Errorf("post webhook: status %d", resp.StatusCode)
	}
	return nil
}
