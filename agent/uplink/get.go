package uplink

import (
	"context"
	"fmt"
	"io"
	"net/http"
)

// Response is a GET answer whose body the caller reads and closes.
type Response struct {
	Status int
	Header http.Header
	Body   io.ReadCloser
}

// Get fetches path with the agent's credential and extra headers, once (no
// retry: pollers retry on their own schedule). Any status is returned; only
// transport failures are errors.
func (c *Client) Get(ctx context.Context, path, credential string, hdr http.Header) (*Response, error) {
	return c.get(ctx, c.http, path, credential, hdr)
}

func (c *Client) get(ctx context.Context, hc *http.Client, path, credential string, hdr http.Header) (*Response, error) {
	u := *c.base
	ref, err := u.Parse(path)
	if err != nil {
		return nil, fmt.Errorf("collector path %q: %w", path, err)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, ref.String(), nil)
	if err != nil {
		return nil, fmt.Errorf("build request: %w", err)
	}
	for k, v := range hdr {
		req.Header[k] = v
	}
	if credential != "" {
		req.Header.Set("Authorization", "Bearer "+credential)
	}
	if c.opts.UserAgent != "" {
		req.Header.Set("User-Agent", c.opts.UserAgent)
	}
	res, err := hc.Do(req)
	if err != nil {
		return nil, fmt.Errorf("GET %s: %w", ref.Path, err)
	}
	return &Response{Status: res.StatusCode, Header: res.Header, Body: res.Body}, nil
}

// Download fetches path into w with no total timeout beyond ctx (a release
// is large); at most max bytes are written.
func (c *Client) Download(ctx context.Context, path, credential string, w io.Writer, max int64) (int64, error) {
	// The client's per-request timeout fits reports, not a large binary
	// over a slow department line: only ctx bounds a download.
	res, err := c.get(ctx, &http.Client{Transport: c.http.Transport}, path, credential, nil)
	if err != nil {
		return 0, err
	}
	defer res.Body.Close()
	if res.Status != http.StatusOK {
		return 0, fmt.Errorf("GET %s: status %d", path, res.Status)
	}
	n, err := io.Copy(w, io.LimitReader(res.Body, max+1))
	if err != nil {
		return n, fmt.Errorf("download %s: %w", path, err)
	}
	if n > max {
		return n, fmt.Errorf("download %s: larger than %d bytes", path, max)
	}
	return n, nil
}

// Proxy sends one request to path (which may carry a query) with credential
// (none when empty), the given headers and body, once and with no total
// timeout beyond ctx: a relay passes endpoint agents' polls, enrolments and
// release downloads through it and answers with whatever status comes back.
// Only transport failures are errors.
func (c *Client) Proxy(ctx context.Context, method, path, credential string, hdr http.Header, body io.Reader) (*Response, error) {
	ref, err := c.base.Parse(path)
	if err != nil {
		return nil, fmt.Errorf("collector path %q: %w", path, err)
	}
	req, err := http.NewRequestWithContext(ctx, method, ref.String(), body)
	if err != nil {
		return nil, fmt.Errorf("build request: %w", err)
	}
	for k, v := range hdr {
		req.Header[k] = v
	}
	if credential != "" {
		req.Header.Set("Authorization", "Bearer "+credential)
	}
	if c.opts.UserAgent != "" && req.Header.Get("User-Agent") == "" {
		req.Header.Set("User-Agent", c.opts.UserAgent)
	}
	res, err := (&http.Client{Transport: c.http.Transport}).Do(req)
	if err != nil {
		return nil, fmt.Errorf("%s %s: %w", method, ref.Path, err)
	}
	return &Response{Status: res.StatusCode, Header: res.Header, Body: res.Body}, nil
}
