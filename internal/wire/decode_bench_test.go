package wire

import (
	"bytes"
	"fmt"
	"runtime"
	"runtime/metrics"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// bigReport builds a report body of about size bytes: n endpoints with a
// few ports and an HTTP title each. hostile adds endpoints past
// MaxEndpoints with the smallest valid text each, the upload of issue #10.
func bigReport(tb testing.TB, size int, hostile bool) []byte {
	tb.Helper()
	now := time.Now().UTC()
	head := fmt.Sprintf(`{"schema":%q,"report_id":"3f1e8a52-5c0e-4d5a-9a43-2b8a4f4b6c11","agent":{"id":"a1","hostname":"h","version":"1","department":"CZJ"},"started_at":%q,"finished_at":%q,"scope":["10.0.0.0/8"],"endpoints":[`,
		SchemaScanV1, now.Add(-time.Hour).Format(time.RFC3339), now.Add(-time.Minute).Format(time.RFC3339))
	var b bytes.Buffer
	b.Grow(size + 4096)
	b.WriteString(head)
	for i := 0; b.Len() < size; i++ {
		if i > 0 {
			b.WriteByte(',')
		}
		ip := fmt.Sprintf("10.%d.%d.%d", i>>16&255, i>>8&255, i&255)
		if hostile {
			fmt.Fprintf(&b, `{"ip":%q,"seen_by":["icmp"],"role":"unknown"}`, ip)
		} else {
			fmt.Fprintf(&b, `{"ip":%q,"mac":"00:11:22:33:44:55","vendor":"Huawei","hostname":"host-%d","seen_by":["icmp","tcp"],"rtt_ms":0.4,"open_ports":[22,80,443],"role":"server","http":[{"port":80,"title":"办公系统","server":"nginx"}]}`, ip, i)
		}
	}
	b.WriteString(`],"devices":[],"paths":[],"stats":{"addresses_probed":1,"duration_ms":1,"errors":0}}`)
	return b.Bytes()
}

// peakHeap samples the live heap while fn runs and returns the highest
// value above the heap at the start.
func peakHeap(fn func()) uint64 {
	runtime.GC()
	sample := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
	metrics.Read(sample)
	base := sample[0].Value.Uint64()
	var peak atomic.Uint64
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		s := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
		t := time.NewTicker(time.Millisecond)
		defer t.Stop()
		for {
			metrics.Read(s)
			if v := s[0].Value.Uint64(); v > peak.Load() {
				peak.Store(v)
			}
			select {
			case <-done:
				return
			case <-t.C:
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

// BenchmarkDecodeReport22MB decodes a valid 22 MB report and a hostile one
// (more endpoints than MaxEndpoints); peak-heap-MB is the live heap above
// the start while decoding, B/op everything allocated.
func BenchmarkDecodeReport22MB(b *testing.B) {
	for _, tc := range []struct {
		name    string
		hostile bool
	}{{"valid", false}, {"over-endpoint-limit", true}} {
		b.Run(tc.name, func(b *testing.B) {
			body := bigReport(b, 22<<20, tc.hostile)
			b.ReportAllocs()
			b.SetBytes(int64(len(body)))
			b.ResetTimer()
			var peak uint64
			for i := 0; i < b.N; i++ {
				p := peakHeap(func() {
					rep, err := DecodeReport(bytes.NewReader(body), 64<<20)
					if tc.hostile == (err == nil) {
						b.Fatalf("hostile=%v but err=%v", tc.hostile, err)
					}
					runtime.KeepAlive(rep)
				})
				peak = max(peak, p)
			}
			b.ReportMetric(float64(peak)/(1<<20), "peak-heap-MB")
			b.ReportMetric(float64(len(body))/(1<<20), "body-MB")
		})
	}
}

// TestDecodeReportMemoryBounded is the regression check of issue #10: the
// live heap while decoding a report stays within a small multiple of its
// body, for a valid report, for one past the endpoint limit and for one of
// junk endpoints (decoding stops once the problem list is full).
func TestDecodeReportMemoryBounded(t *testing.T) {
	if testing.Short() {
		t.Skip("builds reports of up to 22 MB")
	}
	junk := bytes.Repeat([]byte(`{"ip":"x","seen_by":["icmp"],"role":"unknown"},`), 8<<20/48)
	junk = junk[:len(junk)-1]
	tests := []struct {
		name    string
		body    []byte
		wantErr string
	}{
		{"valid 8 MB", bigReport(t, 8<<20, false), ""},
		{"past the endpoint limit 22 MB", bigReport(t, 22<<20, true), "endpoints: too many entries"},
		{"junk endpoints 8 MB", bytes.Replace(bigReport(t, 1, true), []byte(`"endpoints":[]`), append(append([]byte(`"endpoints":[`), junk...), ']'), 1), "not an IP address"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var derr error
			peak := peakHeap(func() {
				rep, err := DecodeReport(bytes.NewReader(tc.body), 64<<20)
				derr = err
				runtime.KeepAlive(rep)
			})
			if (tc.wantErr == "") != (derr == nil) || derr != nil && !bytes.Contains([]byte(derr.Error()), []byte(tc.wantErr)) {
				t.Fatalf("err = %v, want %q", derr, tc.wantErr)
			}
			ratio := float64(peak) / float64(len(tc.body))
			t.Logf("body=%.1f MB peak live heap=%.1f MB (%.1fx)", float64(len(tc.body))/(1<<20), float64(peak)/(1<<20), ratio)
			if ratio > 10 {
				t.Errorf("decoding a %d-byte body held %d bytes (%.1fx), want at most 10x", len(tc.body), peak, ratio)
			}
		})
	}
}

// BenchmarkDecodeSmallReport: a 10-endpoint upload, most of what a
// collector receives; its allocation is the report, not the decoder's
// buffers.
func BenchmarkDecodeSmallReport(b *testing.B) {
	body := bigReport(b, 2500, false)
	b.ReportAllocs()
	b.SetBytes(int64(len(body)))
	for i := 0; i < b.N; i++ {
		if _, err := DecodeReport(bytes.NewReader(body), 1<<20); err != nil {
			b.Fatal(err)
		}
	}
}
