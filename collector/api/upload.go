package api

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net/http"
	"sync"
	"time"
)

// Upload defaults (Deps fields override them). An agent on a slow link
// still sends far faster than MinUploadRate; a client that trickles bytes
// to hold the collector's resources is cut off after the grace period.
const (
	DefaultMinUploadRate    = 8 << 10 // bytes per second, averaged from the start
	DefaultUploadGrace      = 15 * time.Second
	DefaultUploadsPerAgent  = 2
	uploadRetryAfterSeconds = "30"
)

var (
	errBodyTooLarge = errors.New("request body too large")
	errBodyTooSlow  = errors.New("request body arrives too slowly")
)

// agentSlots bounds uploads in progress per agent (reading included), so
// one agent, or one stolen credential, cannot occupy the collector.
type agentSlots struct {
	mu    sync.Mutex
	max   int
	inUse map[string]int
}

func (a *agentSlots) acquire(agentID string) (release func(), ok bool) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.inUse[agentID] >= a.max {
		return nil, false
	}
	a.inUse[agentID]++
	return func() {
		a.mu.Lock()
		defer a.mu.Unlock()
		if a.inUse[agentID]--; a.inUse[agentID] <= 0 {
			delete(a.inUse, agentID)
		}
	}, true
}

// readUpload reads the whole request body before any decoding slot is
// taken, refusing more than limit bytes and a sender slower than minRate
// bytes/s on average once grace has passed. The connection's read deadline
// is moved forward as bytes arrive (http.ResponseController), so a stalled
// sender is cut off by the network layer even while a Read blocks.
func readUpload(w http.ResponseWriter, r *http.Request, limit, minRate int64, grace time.Duration) (_ []byte, err error) {
	rc := http.NewResponseController(w)
	start := time.Now()
	deadline := func(n int64) time.Time {
		return start.Add(grace + time.Duration(float64(n)/float64(minRate)*float64(time.Second)))
	}
	canDeadline := rc.SetReadDeadline(deadline(0)) == nil
	if canDeadline {
		defer func() {
			if err == nil {
				// Keep-alive requests must not inherit the deadline.
				_ = rc.SetReadDeadline(time.Time{})
				return
			}
			// Refused: a deadline in the past stops net/http from
			// draining the unread rest of the body before it answers, and
			// the connection closes after the answer.
			_ = rc.SetReadDeadline(time.Now())
			w.Header().Set("Connection", "close")
		}()
	}
	var buf bytes.Buffer
	if r.ContentLength > 0 && r.ContentLength <= limit {
		buf.Grow(int(r.ContentLength))
	}
	// A read buffer the size of a small upload (most are a few KiB): 32
	// KiB for each of them was most of what an upload allocated.
	size := int64(32 << 10)
	if r.ContentLength > 0 {
		size = min(size, max(r.ContentLength+1, int64(4<<10)))
	}
	chunk := make([]byte, size)
	var n int64
	for {
		var k int
		k, err = r.Body.Read(chunk)
		if k > 0 {
			n += int64(k)
			if n > limit {
				return nil, errBodyTooLarge
			}
			buf.Write(chunk[:k])
			if canDeadline {
				_ = rc.SetReadDeadline(deadline(n))
			}
		}
		if err == io.EOF {
			err = nil
			return buf.Bytes(), nil
		}
		if time.Now().After(deadline(n)) {
			// Also catches senders where the deadline cannot be set.
			return nil, fmt.Errorf("%w: %d bytes in %s (at least %d bytes/s after %s)", errBodyTooSlow, n, time.Since(start).Round(time.Second), minRate, grace)
		}
		if err != nil {
			var maxErr *http.MaxBytesError
			if errors.As(err, &maxErr) {
				return nil, errBodyTooLarge
			}
			return nil, fmt.Errorf("read request body: %w", err)
		}
	}
}
