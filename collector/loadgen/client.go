package loadgen

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"time"
)

// agent is one synthetic agent enrolled in the target.
type agent struct {
	ID, Hostname, Credential string
	Dept                     Department
	Index                    int // its rank among its department's agents (address offsets)
}

// client speaks the agent and user HTTP API of CONTRACT.md.
type client struct {
	base string
	http *http.Client
}

func newClient(base string, conns int) *client {
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.MaxIdleConns, tr.MaxIdleConnsPerHost = conns*2, conns*2
	return &client{base: base, http: &http.Client{Transport: tr, Timeout: 10 * time.Minute}}
}

// enroll exchanges a token as `egovnet-agent enroll` does.
func (c *client) enroll(ctx context.Context, token, hostname string) (id, cred string, err error) {
	body, _ := json.Marshal(map[string]string{"token": token, "hostname": hostname, "agent_version": AgentVersion})
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.base+"/api/v1/agents/enroll", bytes.NewReader(body))
	if err != nil {
		return "", "", fmt.Errorf("build enrol request: %w", err)
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := c.http.Do(req)
	if err != nil {
		return "", "", fmt.Errorf("enrol %s: %w", hostname, err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if resp.StatusCode != http.StatusOK {
		return "", "", fmt.Errorf("enrol %s: %s: %s", hostname, resp.Status, bytes.TrimSpace(raw))
	}
	var out struct {
		AgentID    string `json:"agent_id"`
		Credential string `json:"credential"`
	}
	if err := json.Unmarshal(raw, &out); err != nil {
		return "", "", fmt.Errorf("decode enrolment answer: %w", err)
	}
	return out.AgentID, out.Credential, nil
}

// uploaded is the answer to one upload.
type uploaded struct {
	status int           // 0 when no answer came
	took   time.Duration // the request, body read included
	// retryAfter is the answer's Retry-After (0: none or unreadable)
	retryAfter time.Duration
}

// upload posts one report (body: its JSON).
func (c *client) upload(ctx context.Context, a *agent, body []byte) (uploaded, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.base+"/api/v1/reports", bytes.NewReader(body))
	if err != nil {
		return uploaded{}, fmt.Errorf("build upload request: %w", err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+a.Credential)
	start := time.Now()
	resp, err := c.http.Do(req)
	if err != nil {
		return uploaded{took: time.Since(start)}, fmt.Errorf("upload report: %w", err)
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	u := uploaded{status: resp.StatusCode, took: time.Since(start)}
	if s, err := strconv.Atoi(resp.Header.Get("Retry-After")); err == nil && s > 0 {
		u.retryAfter = time.Duration(s) * time.Second
	}
	return u, nil
}

// countReports is X-Total-Count of GET /api/v1/reports, as a user.
func (c *client) countReports(ctx context.Context, user, password string) (int, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, c.base+"/api/v1/reports?limit=1", nil)
	if err != nil {
		return 0, fmt.Errorf("build list request: %w", err)
	}
	req.SetBasicAuth(user, password)
	resp, err := c.http.Do(req)
	if err != nil {
		return 0, fmt.Errorf("list reports: %w", err)
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, resp.Body)
	if resp.StatusCode != http.StatusOK {
		return 0, fmt.Errorf("list reports: %s", resp.Status)
	}
	n, err := strconv.Atoi(resp.Header.Get("X-Total-Count"))
	if err != nil {
		return 0, fmt.Errorf("list reports: X-Total-Count %q: %w", resp.Header.Get("X-Total-Count"), err)
	}
	return n, nil
}
