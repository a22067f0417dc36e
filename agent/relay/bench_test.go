package relay

import (
	"bytes"
	"context"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"

	"github.com/egovnet/egovnet/agent/uplink"
)

// BenchmarkRelayUpload: one endpoint report (256 KiB, a PC with a long
// package list) accepted by the relay: streamed to disk, fsynced, renamed,
// directory fsynced, 202. The fsyncs dominate; the disk sets the rate.
func BenchmarkRelayUpload(b *testing.B) {
	up, _ := uplink.New("http://127.0.0.1:1", uplink.Options{Retries: -1})
	st, err := OpenStore(filepath.Join(b.TempDir(), "spool"), 1<<30, 1<<40)
	if err != nil {
		b.Fatal(err)
	}
	srv := httptest.NewServer(New(up, st, Options{Log: quiet}).Handler())
	defer srv.Close()
	body := bytes.Repeat([]byte("x"), 256<<10)
	b.SetBytes(int64(len(body)))
	b.ResetTimer()
	for range b.N {
		req, _ := http.NewRequest(http.MethodPost, srv.URL+ReportsPath, bytes.NewReader(body))
		req.Header.Set("Authorization", "Bearer c")
		res, err := http.DefaultClient.Do(req)
		if err != nil || res.StatusCode != http.StatusAccepted {
			b.Fatalf("%v %v", res, err)
		}
		res.Body.Close()
	}
}

// BenchmarkRelayForward: spooled reports forwarded to a collector-like
// peer and removed (read, POST, unlink, directory fsync).
func BenchmarkRelayForward(b *testing.B) {
	col := httptest.NewServer(&upstream{})
	defer col.Close()
	up, _ := uplink.New(col.URL, uplink.Options{Retries: -1})
	st, err := OpenStore(filepath.Join(b.TempDir(), "spool"), 1<<30, 1<<40)
	if err != nil {
		b.Fatal(err)
	}
	r := New(up, st, Options{Log: quiet})
	body := strings.Repeat("x", 256<<10)
	for range b.N {
		if _, err := st.Put("c", "", strings.NewReader(body), 1<<20); err != nil {
			b.Fatal(err)
		}
	}
	b.SetBytes(int64(len(body)))
	b.ResetTimer()
	res, err := r.Forward(context.Background())
	if err != nil || res.Sent != b.N {
		b.Fatalf("%+v %v", res, err)
	}
}
