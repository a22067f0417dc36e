package paging_test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/egovnet/egovnet/collector/paging"
)

func TestParse(t *testing.T) {
	tests := []struct {
		name, query string
		want        paging.Page
		bad         bool
	}{
		{"defaults", "", paging.Page{Limit: paging.DefaultLimit}, false},
		{"window and search", "limit=50&offset=100&q=+Abc+&sort=-ip", paging.Page{Limit: 50, Offset: 100, Q: "Abc", Sort: "-ip"}, false},
		{"zero limit", "limit=0", paging.Page{}, true},
		{"huge limit", "limit=100001", paging.Page{}, true},
		{"negative offset", "offset=-1", paging.Page{}, true},
		{"text offset", "offset=x", paging.Page{}, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p, err := paging.Parse(httptest.NewRequest("GET", "/x?"+tc.query, nil))
			if (err != nil) != tc.bad {
				t.Fatalf("err %v, want bad=%v", err, tc.bad)
			}
			if !tc.bad && p != tc.want {
				t.Errorf("got %+v want %+v", p, tc.want)
			}
		})
	}
}

func TestLikeEscapes(t *testing.T) {
	if got := (paging.Page{Q: `A_b%c\`}).Like(); got != `%a\_b\%c\\%` {
		t.Errorf("Like: %q", got)
	}
}

func TestOrder(t *testing.T) {
	cols := map[string]string{"ip": "ipkey(ip)"}
	for sort, want := range map[string]string{"": "dept", "ip": "ipkey(ip) ASC, dept", "-ip": "ipkey(ip) DESC, dept", "x; DROP": "dept"} {
		if got := (paging.Page{Sort: sort}).Order(cols, "dept"); got != want {
			t.Errorf("sort %q: %q want %q", sort, got, want)
		}
	}
}

func TestBuffer(t *testing.T) {
	inner := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Query().Get("limit") != "" || r.URL.Query().Get("q") != "" {
			t.Error("inner handler saw the paging parameters")
		}
		if r.URL.Query().Get("status") != "open" {
			t.Error("inner handler lost its own filter")
		}
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode([]map[string]any{{"subject": "10.1.0.1"}, {"subject": "10.1.0.2", "evidence": []any{map[string]any{"detail": "Rogue ISP"}}}, {"subject": "172.20.0.0/16"}, {"subject": "10.1.0.3"}})
	})
	tests := []struct {
		name, query string
		status      int
		total       string
		n           int
	}{
		{"all", "status=open", 200, "4", 4},
		{"window", "status=open&limit=2&offset=1", 200, "4", 2},
		{"past the end", "status=open&offset=9", 200, "4", 0},
		{"q in nested values", "status=open&q=rogue", 200, "1", 1},
		{"q on subject", "status=open&q=10.1.0", 200, "3", 3},
		{"bad limit", "status=open&limit=-3", 400, "", 0},
	}
	h := paging.Buffer(inner)
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, httptest.NewRequest("GET", "/api/v1/violations?"+tc.query, nil))
			if rec.Code != tc.status {
				t.Fatalf("status %d: %s", rec.Code, rec.Body)
			}
			if tc.status != 200 {
				return
			}
			var items []any
			if err := json.Unmarshal(rec.Body.Bytes(), &items); err != nil {
				t.Fatal(err)
			}
			if rec.Header().Get(paging.TotalHeader) != tc.total || len(items) != tc.n {
				t.Errorf("total %q, %d items; want %s, %d", rec.Header().Get(paging.TotalHeader), len(items), tc.total, tc.n)
			}
		})
	}
}
