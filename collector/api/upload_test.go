package api

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/egovnet/egovnet/collector/store/storetest"
)

// trickle sends the headers and first bytes of an upload over a raw
// connection and then stalls until stop closes, like an agent throttled to
// nothing; the channel gets the status the collector answered (0: none
// before the connection closed).
func trickle(ctx context.Context, t *testing.T, url, cred string, body []byte, stop <-chan struct{}) <-chan int {
	t.Helper()
	var d net.Dialer
	conn, err := d.DialContext(ctx, "tcp", strings.TrimPrefix(url, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	fmt.Fprintf(conn, "POST /api/v1/reports HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer %s\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n", cred, len(body))
	conn.Write(body[:64])
	done := make(chan int, 1)
	go func() {
		res, err := http.ReadResponse(bufio.NewReader(conn), nil)
		if err != nil {
			done <- 0
			return
		}
		res.Body.Close()
		done <- res.StatusCode
	}()
	go func() {
		select {
		case <-stop:
		case <-ctx.Done():
		}
		conn.Close()
	}()
	return done
}

// TestSlowUploadsDoNotStallOthers is issue #10 item 3: four agents
// trickling their bodies must not take the decoding slots a fifth, normal
// upload needs; a sender below the minimum rate is cut off with 408, and
// one agent cannot hold more than its share of uploads.
func TestSlowUploadsDoNotStallOthers(t *testing.T) {
	db := storetest.NewSQLite(t)
	f := newFixture(t, db, func(d *Deps) {
		d.MaxConcurrentReports = 4
		d.MinUploadRate = 1 << 10
		d.UploadGrace = time.Minute // the throttled four stay in flight for the whole test
	})
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	stop := make(chan struct{})
	var slow []<-chan int
	for i := 0; i < 4; i++ {
		id, cred := f.enrol("CZJ")
		body, _ := json.Marshal(scanReport(id, "CZJ"))
		slow = append(slow, trickle(ctx, t, f.ts.URL, cred, body, stop))
	}
	// Let the four reach the handler and start reading.
	time.Sleep(300 * time.Millisecond)

	id, cred := f.enrol("CZJ")
	body, _ := json.Marshal(scanReport(id, "CZJ"))
	req, _ := http.NewRequestWithContext(ctx, "POST", f.ts.URL+"/api/v1/reports", bytes.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+cred)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("the fifth upload did not complete while four slow ones were in flight: %v", err)
	}
	io.Copy(io.Discard, res.Body)
	res.Body.Close()
	if res.StatusCode != http.StatusAccepted {
		t.Fatalf("fifth upload: %d, want 202", res.StatusCode)
	}
	for i, c := range slow {
		select {
		case s := <-c:
			t.Fatalf("slow upload %d finished (%d) before the fifth: it was not really in flight", i, s)
		default:
		}
	}

	t.Run("per agent bound", func(t *testing.T) {
		id, cred := f.enrol("CZJ")
		body, _ := json.Marshal(scanReport(id, "CZJ"))
		var held []<-chan int
		for i := 0; i < DefaultUploadsPerAgent; i++ {
			held = append(held, trickle(ctx, t, f.ts.URL, cred, body, stop))
		}
		time.Sleep(300 * time.Millisecond)
		r := f.do("POST", "/api/v1/reports", body, map[string]string{"Authorization": "Bearer " + cred})
		if r.status != http.StatusTooManyRequests || r.header.Get("Retry-After") == "" {
			t.Fatalf("third concurrent upload of one agent: %d %s, want 429 with Retry-After", r.status, r.body)
		}
		_ = held
	})
	close(stop)
}

// TestTooSlowUploadIsCutOff: a body arriving below the minimum rate after
// the grace period gets 408 (which agents retry) instead of holding on.
func TestTooSlowUploadIsCutOff(t *testing.T) {
	db := storetest.NewSQLite(t)
	f := newFixture(t, db, func(d *Deps) {
		d.MinUploadRate = 1 << 10
		d.UploadGrace = 500 * time.Millisecond
	})
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	id, cred := f.enrol("CZJ")
	body, _ := json.Marshal(scanReport(id, "CZJ"))
	stop := make(chan struct{})
	defer close(stop)
	select {
	case s := <-trickle(ctx, t, f.ts.URL, cred, body, stop):
		if s != http.StatusRequestTimeout {
			t.Fatalf("stalled upload: status %d, want 408", s)
		}
	case <-ctx.Done():
		t.Fatal("a stalled upload was never cut off")
	}
}

// TestSameReportIDOtherContent: a retry of the same report is 200, the same
// id with other content 409, and the original stays stored.
func TestSameReportIDOtherContent(t *testing.T) {
	f := newFixture(t, storetest.NewSQLite(t))
	id, cred := f.enrol("CZJ")
	hdr := map[string]string{"Authorization": "Bearer " + cred}
	rep := scanReport(id, "CZJ")
	body, _ := json.Marshal(rep)
	if r := f.do("POST", "/api/v1/reports", body, hdr); r.status != http.StatusAccepted {
		t.Fatalf("first upload: %d %s", r.status, r.body)
	}
	if r := f.do("POST", "/api/v1/reports", body, hdr); r.status != http.StatusOK {
		t.Fatalf("retry: %d %s", r.status, r.body)
	}
	rep.Endpoints[0].Hostname = "forged"
	forged, _ := json.Marshal(rep)
	if r := f.do("POST", "/api/v1/reports", forged, hdr); r.status != http.StatusConflict {
		t.Fatalf("same id, other content: %d %s, want 409", r.status, r.body)
	}
	raw, err := f.inv.RawReport(context.Background(), rep.ReportID)
	if err != nil || strings.Contains(string(raw), "forged") {
		t.Fatalf("original not kept: %v", err)
	}
}
