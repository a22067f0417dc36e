package export

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/emmansun/gmsm/sm2"

	"github.com/egovnet/egovnet/collector/auth"
	"github.com/egovnet/egovnet/internal/wire"
)

// blockingViolations holds List until released, so a test can keep
// exports in flight.
type blockingViolations struct {
	vs      []wire.Violation
	entered chan struct{}
	release chan struct{}
}

func (b *blockingViolations) List(ctx context.Context, _ ViolationFilter) ([]wire.Violation, error) {
	if b.entered != nil {
		b.entered <- struct{}{}
		<-b.release
	}
	return b.vs, nil
}

func exportServer(t *testing.T, h *Handler) *httptest.Server {
	t.Helper()
	mux := http.NewServeMux()
	h.Mount(func(pattern string, _ []string, hh http.Handler) {
		mux.Handle(pattern, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			hh.ServeHTTP(w, r.WithContext(auth.WithUser(r.Context(), auth.User{Name: "a", Role: auth.RoleAuditor})))
		}))
	})
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return srv
}

func get(t *testing.T, url string) (*http.Response, []byte) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, b
}

// Every HTTP export carries its seal in headers, and the seal checks out
// with independent code: crypto/sha256, the test's own SM3 and gmsm's
// raw-message SM2 verification.
func TestExportSealHeaders(t *testing.T) {
	signer, err := LoadOrCreateSigner(filepath.Join(t.TempDir(), DefaultSigningKeyFile))
	if err != nil {
		t.Fatal(err)
	}
	h := &Handler{Exporter: &Exporter{}, Violations: &blockingViolations{vs: testViolations()}, Ledger: memLedger{}, Progress: memProgress{}, Signer: signer}
	srv := exportServer(t, h)
	for _, path := range []string{"violations?format=csv", "violations?format=xlsx", "violations?format=json", "ledger?format=xlsx", "progress?format=csv"} {
		t.Run(path, func(t *testing.T) {
			resp, body := get(t, srv.URL+"/api/v1/exports/"+path)
			if resp.StatusCode != http.StatusOK || len(body) == 0 {
				t.Fatalf("%d %s", resp.StatusCode, body)
			}
			sha := sha256.Sum256(body)
			if got := resp.Header.Get(HeaderSHA256); got != hex.EncodeToString(sha[:]) {
				t.Errorf("%s = %q, want %x", HeaderSHA256, got, sha)
			}
			if got := resp.Header.Get(HeaderSM3); got != hex.EncodeToString(sm3Ref(body)) {
				t.Errorf("%s = %q, want %x", HeaderSM3, got, sm3Ref(body))
			}
			sig, err := base64.StdEncoding.DecodeString(resp.Header.Get(HeaderSignature))
			if err != nil || !sm2.VerifyASN1WithSM2(signer.PublicKey(), nil, body, sig) {
				t.Errorf("%s does not verify: %v", HeaderSignature, err)
			}
			body[len(body)/2] ^= 1
			if sm2.VerifyASN1WithSM2(signer.PublicKey(), nil, body, sig) {
				t.Error("the signature verifies a tampered body")
			}
		})
	}
}

// A PDF beyond the cap is refused with the CONTRACT error shape in both
// languages, pointing to CSV/XLSX; those formats take the same rows.
func TestExportPDFCap(t *testing.T) {
	h := &Handler{Exporter: &Exporter{MaxPDFRows: 50}, Violations: &blockingViolations{vs: manyViolations(51)}}
	srv := exportServer(t, h)
	resp, body := get(t, srv.URL+"/api/v1/exports/violations?format=pdf")
	var eb struct {
		Error  string         `json:"error"`
		Detail map[string]any `json:"detail"`
	}
	if err := json.Unmarshal(body, &eb); err != nil || resp.StatusCode != http.StatusUnprocessableEntity {
		t.Fatalf("%d %s (%v)", resp.StatusCode, body, err)
	}
	for _, want := range []string{"CSV 或 XLSX", "export CSV or XLSX", "51"} {
		if !strings.Contains(eb.Error, want) {
			t.Errorf("error %q does not say %q", eb.Error, want)
		}
	}
	if eb.Detail["max_rows"] != float64(50) {
		t.Errorf("detail = %v", eb.Detail)
	}
	if resp, body := get(t, srv.URL+"/api/v1/exports/violations?format=xlsx"); resp.StatusCode != http.StatusOK {
		t.Errorf("xlsx of the same rows: %d %s", resp.StatusCode, body)
	}
}

// Exports beyond MaxConcurrent are refused at once with 429 and
// Retry-After, before they read anything.
func TestExportConcurrency(t *testing.T) {
	src := &blockingViolations{vs: testViolations(), entered: make(chan struct{}), release: make(chan struct{})}
	h := &Handler{Exporter: &Exporter{}, Violations: src, MaxConcurrent: 2}
	srv := exportServer(t, h)
	var wg sync.WaitGroup
	codes := make(chan int, 2)
	for i := 0; i < 2; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			resp, err := http.Get(srv.URL + "/api/v1/exports/violations?format=csv")
			if err != nil {
				codes <- 0
				return
			}
			resp.Body.Close()
			codes <- resp.StatusCode
		}()
	}
	<-src.entered
	<-src.entered
	resp, body := get(t, srv.URL+"/api/v1/exports/violations?format=xlsx")
	if resp.StatusCode != http.StatusTooManyRequests || resp.Header.Get("Retry-After") == "" || !strings.Contains(string(body), `"error"`) {
		t.Errorf("third export: %d, Retry-After %q, %s", resp.StatusCode, resp.Header.Get("Retry-After"), body)
	}
	close(src.release)
	wg.Wait()
	close(codes)
	for c := range codes {
		if c != http.StatusOK {
			t.Errorf("an admitted export answered %d", c)
		}
	}
	src.entered = nil
	if resp, _ := get(t, srv.URL+"/api/v1/exports/violations?format=csv"); resp.StatusCode != http.StatusOK {
		t.Errorf("after the others finished: %d", resp.StatusCode)
	}
}
