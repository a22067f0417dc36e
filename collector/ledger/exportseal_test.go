package ledger

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"testing"

	"github.com/emmansun/gmsm/sm2"

	"github.com/egovnet/egovnet/collector/auth"
	"github.com/egovnet/egovnet/collector/export"
	"github.com/egovnet/egovnet/collector/store"
	"github.com/egovnet/egovnet/collector/store/storetest"
)

// The ledger's HTTP exports are sealed like every other export.
func TestLedgerExportsSealed(t *testing.T) {
	storetest.ForEachBackend(t, func(t *testing.T, db *store.DB) {
		s := newStore(db)
		if _, err := s.CreateLicense(context.Background(), License{Product: "wps", Seats: 3, Department: "CZJ"}); err != nil {
			t.Fatal(err)
		}
		signer, err := export.LoadOrCreateSigner(filepath.Join(t.TempDir(), "k.pem"))
		if err != nil {
			t.Fatal(err)
		}
		h := NewHandlers(s)
		h.Signer = signer
		mux := http.NewServeMux()
		h.Mount(func(p string, _ []string, hh http.Handler) {
			mux.Handle(p, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				hh.ServeHTTP(w, r.WithContext(auth.WithUser(r.Context(), auth.User{Name: "a", Role: auth.RoleAuditor})))
			}))
		})
		srv := httptest.NewServer(mux)
		defer srv.Close()
		for _, path := range []string{"/api/v1/licenses/export?format=xlsx", "/api/v1/software/export?format=csv&table=summary"} {
			resp, err := http.Get(srv.URL + path)
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			sum := sha256.Sum256(body)
			sig, _ := base64.StdEncoding.DecodeString(resp.Header.Get(export.HeaderSignature))
			if resp.StatusCode != 200 || resp.Header.Get(export.HeaderSHA256) != hex.EncodeToString(sum[:]) ||
				len(resp.Header.Get(export.HeaderSM3)) != 64 || !sm2.VerifyASN1WithSM2(signer.PublicKey(), nil, body, sig) {
				t.Errorf("%s: %d, headers %v", path, resp.StatusCode, resp.Header)
			}
		}
	})
}
