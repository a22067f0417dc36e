package ledger

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/egovnet/egovnet/collector/auth"
	"github.com/egovnet/egovnet/collector/store"
	"github.com/egovnet/egovnet/collector/store/storetest"
	"github.com/egovnet/egovnet/internal/catalog"
)

// TestLicenseProductReference: a licence names its product by catalog key,
// by the display name `catalog match` prints (English or Chinese), or by
// any alias that resolves to exactly one product; an ambiguous name is
// rejected with the candidate keys.
func TestLicenseProductReference(t *testing.T) {
	cat := catalog.MustDefault()
	cases := []struct {
		name, product, key string
		wantErr            []string // substrings of the one problem
	}{
		{"catalog key", "windows", "windows", nil},
		{"key upper case", "WPS", "wps", nil},
		{"display name as catalog match prints it", "Microsoft Windows", "windows", nil},
		{"Chinese display name", "Windows操作系统", "windows", nil},
		{"Chinese display name of a domestic product", "达梦数据库", "dameng", nil},
		{"display name of the server OS", "Microsoft Windows Server", "windows-server", nil},
		{"alias", "WPS Office 2019 专业版", "wps", nil},
		{"alias Chinese", "银河麒麟高级服务器操作系统V10", "kylin-os", nil},
		{"alias with vendor word", "东方通 TongLINK/Q", "tonglinkq", nil},
		{"part of one display name", "WebLogic", "weblogic", nil},
		{"package name", "kingbase-server", "kingbase", nil},
		{"ambiguous", "Oracle", "", []string{`"Oracle" is ambiguous`, "oracle-db (Oracle数据库 / Oracle Database)", "weblogic", "give one of these keys"}},
		{"ambiguous Chinese", "麒麟", "", []string{"ambiguous", "kylin-os", "neokylin"}},
		{"library", "mysql-common", "", []string{"library or part of MySQL"}},
		{"unknown", "TotallyUnknownWidget", "", []string{"not in the software catalog", "Microsoft Windows"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			l := License{Product: tc.product, Seats: 1}
			err := l.Normalize(cat)
			if tc.wantErr == nil {
				if err != nil || l.Product != tc.key {
					t.Fatalf("Normalize(%q) = %q, %v; want %q", tc.product, l.Product, err, tc.key)
				}
				p, _ := cat.Product(tc.key)
				if l.Category != p.Category || l.Domestic != p.Domestic || l.ProductName == "" {
					t.Errorf("catalog fields not filled: %+v", l)
				}
				return
			}
			var ve *ValidationError
			if !errors.As(err, &ve) || len(ve.Problems) != 1 {
				t.Fatalf("Normalize(%q) = %v, want one validation problem", tc.product, err)
			}
			for _, want := range tc.wantErr {
				if !strings.Contains(ve.Problems[0], want) {
					t.Errorf("problem %q lacks %q", ve.Problems[0], want)
				}
			}
		})
	}
}

// TestLicenseAPIProductNames posts licences the way the review did:
// {"product":"Microsoft Windows"} is what `catalog match` prints and must
// be accepted; an ambiguous name is a 400 listing the candidates and
// stores nothing.
func TestLicenseAPIProductNames(t *testing.T) {
	storetest.ForEachBackend(t, func(t *testing.T, db *store.DB) {
		s := newStore(db)
		mux := http.NewServeMux()
		h := NewHandlers(s)
		h.DepartmentExists = func(_ context.Context, code string) (bool, error) { return code == "CZJ", nil }
		h.Mount(func(pattern string, _ []string, next http.Handler) {
			mux.Handle(pattern, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				u := auth.User{Name: "root", Role: auth.RoleSysAdmin}
				next.ServeHTTP(w, r.WithContext(auth.WithUser(r.Context(), u)))
			}))
		})
		srv := httptest.NewServer(mux)
		defer srv.Close()
		post := func(body map[string]any) (int, []byte) {
			b, _ := json.Marshal(body)
			resp, err := http.Post(srv.URL+"/api/v1/licenses", "application/json", bytes.NewReader(b))
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			out, _ := io.ReadAll(resp.Body)
			return resp.StatusCode, out
		}
		for _, tc := range []struct{ product, key string }{
			{"Microsoft Windows", "windows"},
			{"windows", "windows"},
			{"Windows操作系统", "windows"},
			{"Microsoft Office", "ms-office"},
			{"WPS Office办公软件", "wps"},
		} {
			code, body := post(map[string]any{"product": tc.product, "seats": 10, "department": "CZJ"})
			var l License
			_ = json.Unmarshal(body, &l)
			if code != http.StatusCreated || l.Product != tc.key {
				t.Errorf("POST product %q: %d %s, want 201 with product %s", tc.product, code, body, tc.key)
			}
		}
		code, body := post(map[string]any{"product": "Oracle", "seats": 10, "department": "CZJ"})
		var eb struct {
			Error  string   `json:"error"`
			Detail []string `json:"detail"`
		}
		_ = json.Unmarshal(body, &eb)
		if code != http.StatusBadRequest || len(eb.Detail) != 1 || !strings.Contains(eb.Detail[0], "ambiguous") || !strings.Contains(eb.Detail[0], "oracle-db") || !strings.Contains(eb.Detail[0], "weblogic") {
			t.Errorf("ambiguous product: %d %s", code, body)
		}
		ls, err := s.ListLicenses(context.Background(), LicenseFilter{Department: "CZJ"})
		if err != nil {
			t.Fatal(err)
		}
		if len(ls) != 5 {
			t.Errorf("stored %d licences, want the 5 accepted ones", len(ls))
		}
	})
}
