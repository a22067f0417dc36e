package api

import (
	"bytes"
	"fmt"
	"net/http"
	"runtime"
	"runtime/metrics"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/egovnet/egovnet/collector/store/storetest"
	"github.com/egovnet/egovnet/internal/wire"
)

// BenchmarkUploadOverLimit22MB posts a 22 MB report with more endpoints
// than wire.MaxEndpoints through the real handler (auth, body read,
// streaming decode) and reports the live heap's peak above the start:
// the hostile upload of issue #10 item 2, refused with 400.
func BenchmarkUploadOverLimit22MB(b *testing.B) {
	f := newFixture(b, storetest.NewSQLite(b), func(d *Deps) { d.MaxReportBytes = 64 << 20 })
	id, cred := f.enrol("CZJ")
	now := time.Now().UTC()
	var body bytes.Buffer
	fmt.Fprintf(&body, `{"schema":%q,"report_id":"3f1e8a52-5c0e-4d5a-9a43-2b8a4f4b6c11","agent":{"id":%q},"started_at":%q,"finished_at":%q,"scope":["10.0.0.0/8"],"endpoints":[`,
		wire.SchemaScanV1, id, now.Add(-time.Hour).Format(time.RFC3339), now.Add(-time.Minute).Format(time.RFC3339))
	for i := 0; body.Len() < 22<<20; i++ {
		if i > 0 {
			body.WriteByte(',')
		}
		fmt.Fprintf(&body, `{"ip":"10.%d.%d.%d","seen_by":["icmp"],"role":"unknown"}`, i>>16&255, i>>8&255, i&255)
	}
	body.WriteString(`]}`)
	data := body.Bytes()
	b.ReportAllocs()
	b.SetBytes(int64(len(data)))
	b.ResetTimer()
	var peak uint64
	for i := 0; i < b.N; i++ {
		p := livePeak(func() {
			req, _ := http.NewRequest("POST", f.ts.URL+"/api/v1/reports", bytes.NewReader(data))
			req.Header.Set("Authorization", "Bearer "+cred)
			res, err := f.ts.Client().Do(req)
			if err != nil {
				b.Fatal(err)
			}
			res.Body.Close()
			if res.StatusCode != http.StatusBadRequest {
				b.Fatalf("status %d, want 400", res.StatusCode)
			}
		})
		peak = max(peak, p)
	}
	b.ReportMetric(float64(peak)/(1<<20), "peak-heap-MB")
}

// livePeak samples the live heap while fn runs.
func livePeak(fn func()) uint64 {
	runtime.GC()
	s := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
	metrics.Read(s)
	base := s[0].Value.Uint64()
	var peak atomic.Uint64
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		s := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
		tk := time.NewTicker(time.Millisecond)
		defer tk.Stop()
		for {
			metrics.Read(s)
			if v := s[0].Value.Uint64(); v > peak.Load() {
				peak.Store(v)
			}
			select {
			case <-done:
				return
			case <-tk.C:
			}
		}
	}()
	fn()
	close(done)
	wg.Wait()
	if p := peak.Load(); p > base {
		return p - base
	}
	return 0
}
