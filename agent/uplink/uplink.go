// Package uplink talks to the collector: enrolment (token for credential)
// and report upload. It decides what a failure means for a spooled report:
// 200/202 is an acknowledgement (delete), a 4xx other than 408/429 is a
// permanent refusal (move aside, never retry forever), and 5xx, 408, 429 or
// a network error keep the report spooled for the next cycle. Of those, a
// 503 or 429 with a Retry-After is the collector answering and asking to be
// asked later (its department's judgement is behind, or too many uploads at
// once): Deferred tells it from an outage, so a sender of many agents'
// reports waits for those agents only.
package uplink

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"net/netip"
	"net/url"
	"os"
	"strconv"
	"strings"
	"time"
)

// MaxReportBytes bounds an upload (the collector bounds it too).
const MaxReportBytes = 32 << 20

// Options configure a client.
type Options struct {
	CAFile     string        // extra PEM roots for the collector's certificate
	Timeout    time.Duration // per request; default 30s
	Retries    int           // extra attempts on temporary failures; 0 means 3, negative none
	MinBackoff time.Duration // default 1s, doubled per retry with jitter
	MaxBackoff time.Duration // default 30s
	UserAgent  string
	Logger     *slog.Logger // for the plain-HTTP warning; default slog.Default()
	// MaxReportBytes bounds SendReport; default MaxReportBytes. A relay
	// sets the collector's own limit, which may be larger than what this
	// agent's own reports need.
	MaxReportBytes int64
}

// Client is a collector client.
type Client struct {
	base *url.URL
	http *http.Client
	opts Options
}

// New builds a client for base (http(s)://host[:port]).
func New(base string, opts Options) (*Client, error) {
	u, err := url.Parse(strings.TrimRight(base, "/"))
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("collector url %q: want http(s)://host[:port]", base)
	}
	if PlainHTTPToRemote(u) {
		// H-trust: the credential and every report would cross the network
		// readable and forgeable; allowed (labs, a collector with
		// tls.disable), but never silently.
		log := opts.Logger
		if log == nil {
			log = slog.Default()
		}
		log.Warn("collector.url is plain http:// to a non-loopback host: the agent credential and reports travel unencrypted; use https://", "collector", u.Redacted())
	}
	if opts.Timeout <= 0 {
		opts.Timeout = 30 * time.Second
	}
	switch {
	case opts.Retries == 0:
		opts.Retries = 3
	case opts.Retries < 0:
		opts.Retries = 0
	}
	if opts.MinBackoff <= 0 {
		opts.MinBackoff = time.Second
	}
	if opts.MaxBackoff <= 0 {
		opts.MaxBackoff = 30 * time.Second
	}
	if opts.MaxReportBytes <= 0 {
		opts.MaxReportBytes = MaxReportBytes
	}
	tlsCfg := &tls.Config{MinVersion: tls.VersionTLS12}
	if opts.CAFile != "" {
		pem, err := os.ReadFile(opts.CAFile)
		if err != nil {
			return nil, fmt.Errorf("read ca file: %w", err)
		}
		pool, err := x509.SystemCertPool()
		if err != nil || pool == nil {
			pool = x509.NewCertPool()
		}
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("ca file %s: no PEM certificate found", opts.CAFile)
		}
		tlsCfg.RootCAs = pool
	}
	tr := &http.Transport{
		Proxy:               http.ProxyFromEnvironment,
		TLSClientConfig:     tlsCfg,
		TLSHandshakeTimeout: 10 * time.Second,
		MaxIdleConns:        2,
		IdleConnTimeout:     90 * time.Second,
	}
	return &Client{base: u, http: &http.Client{Transport: tr, Timeout: opts.Timeout}, opts: opts}, nil
}

// PlainHTTPToRemote reports an http:// URL whose host is not a loopback
// address (localhost, 127.0.0.0/8, ::1).
func PlainHTTPToRemote(u *url.URL) bool {
	if u.Scheme != "http" {
		return false
	}
	host := u.Hostname()
	if strings.EqualFold(host, "localhost") {
		return false
	}
	if ip, err := netip.ParseAddr(host); err == nil && ip.Unmap().IsLoopback() {
		return false
	}
	return true
}

// PermanentError is a refusal that retrying will not change (a 4xx).
type PermanentError struct {
	Status int
	Body   string
}

func (e *PermanentError) Error() string {
	return fmt.Sprintf("collector refused: %d %s: %s", e.Status, http.StatusText(e.Status), e.Body)
}

// IsPermanent reports whether err is a permanent refusal.
func IsPermanent(err error) bool {
	var p *PermanentError
	return errors.As(err, &p)
}

// temporaryError is a failure worth retrying, with an optional server hint.
type temporaryError struct {
	err        error
	status     int // the collector's answer; 0 when none came (network error)
	retryAfter time.Duration
}

func (e *temporaryError) Error() string { return e.err.Error() }
func (e *temporaryError) Unwrap() error { return e.err }

// EnrollRequest is POST /api/v1/agents/enroll's body.
type EnrollRequest struct {
	Token        string `json:"token"`
	Hostname     string `json:"hostname"`
	AgentVersion string `json:"agent_version"`
}

// EnrollResponse is its answer. Department is read when the collector sends it.
type EnrollResponse struct {
	AgentID    string `json:"agent_id"`
	Credential string `json:"credential"`
	Department string `json:"department,omitempty"`
	// ReleaseKey is the collector's release signing key, pinned at
	// enrolment: self-updates install only builds it signed.
	ReleaseKey string `json:"release_key,omitempty"`
}

// Enroll exchanges a token for this agent's credential. Not retried on 4xx.
func (c *Client) Enroll(ctx context.Context, req EnrollRequest) (EnrollResponse, error) {
	body, err := json.Marshal(req)
	if err != nil {
		return EnrollResponse{}, fmt.Errorf("encode enrolment: %w", err)
	}
	var out EnrollResponse
	resp, err := c.do(ctx, "/api/v1/agents/enroll", "", body)
	if err != nil {
		return EnrollResponse{}, fmt.Errorf("enroll: %w", err)
	}
	if err := json.Unmarshal(resp, &out); err != nil {
		return EnrollResponse{}, fmt.Errorf("enroll: decode answer: %w", err)
	}
	if out.AgentID == "" || out.Credential == "" {
		return EnrollResponse{}, errors.New("enroll: collector answered without agent_id or credential")
	}
	return out, nil
}

// SendReport uploads one report; nil means acknowledged (200 or 202).
func (c *Client) SendReport(ctx context.Context, credential string, report []byte) error {
	if int64(len(report)) > c.opts.MaxReportBytes {
		return &PermanentError{Status: http.StatusRequestEntityTooLarge, Body: fmt.Sprintf("report of %d bytes exceeds %d", len(report), c.opts.MaxReportBytes)}
	}
	if _, err := c.do(ctx, "/api/v1/reports", credential, report); err != nil {
		return fmt.Errorf("upload report: %w", err)
	}
	return nil
}

// do POSTs with retries on temporary failures, backing off with jitter and
// honouring Retry-After and ctx.
func (c *Client) do(ctx context.Context, path, credential string, body []byte) ([]byte, error) {
	var last error
	for attempt := 0; attempt <= c.opts.Retries; attempt++ {
		if attempt > 0 {
			wait := c.backoff(attempt)
			var te *temporaryError
			if errors.As(last, &te) && te.retryAfter > wait {
				wait = min(te.retryAfter, c.opts.MaxBackoff)
			}
			t := time.NewTimer(wait)
			select {
			case <-ctx.Done():
				t.Stop()
				return nil, errors.Join(last, ctx.Err())
			case <-t.C:
			}
		}
		out, err := c.once(ctx, path, credential, body)
		if err == nil {
			return out, nil
		}
		if IsPermanent(err) || ctx.Err() != nil {
			return nil, err
		}
		last = err
	}
	return nil, last
}

func (c *Client) backoff(attempt int) time.Duration {
	d := c.opts.MinBackoff << (attempt - 1)
	if d > c.opts.MaxBackoff || d <= 0 {
		d = c.opts.MaxBackoff
	}
	// Full jitter in [d/2, d): agents of one district do not retry in step.
	return d/2 + time.Duration(rand.Int64N(int64(d/2)+1))
}

func (c *Client) once(ctx context.Context, path, credential string, body []byte) ([]byte, error) {
	u := c.base.JoinPath(path)
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, u.String(), bytes.NewReader(body))
	if err != nil {
		return nil, fmt.Errorf("build request: %w", err)
	}
	req.Header.Set("Content-Type", "application/json")
	if c.opts.UserAgent != "" {
		req.Header.Set("User-Agent", c.opts.UserAgent)
	}
	if credential != "" {
		req.Header.Set("Authorization", "Bearer "+credential)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return nil, &temporaryError{err: fmt.Errorf("post %s: %w", u.Redacted(), err)}
	}
	defer resp.Body.Close()
	rb, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	switch {
	case resp.StatusCode == http.StatusOK || resp.StatusCode == http.StatusAccepted || resp.StatusCode == http.StatusCreated:
		return rb, nil
	case resp.StatusCode >= 400 && resp.StatusCode < 500 &&
		resp.StatusCode != http.StatusRequestTimeout && resp.StatusCode != http.StatusTooManyRequests:
		return nil, &PermanentError{Status: resp.StatusCode, Body: strings.TrimSpace(string(rb))}
	}
	return nil, &temporaryError{
		err:        fmt.Errorf("post %s: %d %s: %s", u.Redacted(), resp.StatusCode, http.StatusText(resp.StatusCode), strings.TrimSpace(string(rb))),
		status:     resp.StatusCode,
		retryAfter: retryAfter(resp.Header.Get("Retry-After")),
	}
}

func retryAfter(h string) time.Duration {
	if h == "" {
		return 0
	}
	if s, err := strconv.Atoi(h); err == nil && s >= 0 {
		return time.Duration(s) * time.Second
	}
	if t, err := http.ParseTime(h); err == nil {
		return time.Until(t)
	}
	return 0
}
