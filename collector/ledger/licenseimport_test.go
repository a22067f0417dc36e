package ledger

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/egovnet/egovnet/collector/store"
	"github.com/egovnet/egovnet/collector/store/storetest"
)

// A department administrator's import row naming another department's or
// the pool's licence id must not take that licence over.
func TestImportTakeover(t *testing.T) {
	storetest.ForEachBackend(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		s := newStore(db)
		srv := testServer(t, s)
		admin := client{t, srv.URL, "root/sysadmin/"}
		czj := client{t, srv.URL, "li/dept-admin/CZJ"}
		for _, l := range []map[string]any{
			{"id": "pool-wps", "product": "wps", "seats": 100},
			{"id": "xxj-dm", "product": "达梦数据库", "seats": 3, "department": "XXJ"},
			{"id": "czj-kylin", "product": "kylin-os", "seats": 10, "department": "CZJ"},
		} {
			if code, body := admin.json("POST", "/api/v1/licenses", l); code != http.StatusCreated {
				t.Fatalf("seed %v: %d %s", l["id"], code, body)
			}
		}
		before, err := s.ListLicenses(ctx, LicenseFilter{})
		if err != nil {
			t.Fatal(err)
		}
		tests := []struct {
			name    string
			csv     string
			code    int
			mention string
		}{
			{"pool licence", "编号,软件名称,授权数量,使用部门\npool-wps,WPS Office,1,CZJ\n", http.StatusForbidden, `row 1: licence \"pool-wps\"`},
			{"other department", "编号,软件名称,授权数量,使用部门\nxxj-dm,达梦数据库,1,CZJ\n", http.StatusForbidden, `row 1: licence \"xxj-dm\"`},
			{"own row then foreign row", "编号,软件名称,授权数量,使用部门\nczj-kylin,kylin-os,99,CZJ\nxxj-dm,达梦数据库,1,CZJ\n", http.StatusForbidden, `row 2: licence \"xxj-dm\"`},
		}
		for _, tc := range tests {
			t.Run(tc.name, func(t *testing.T) {
				code, body := czj.do("POST", "/api/v1/licenses/import", "text/csv", []byte(tc.csv))
				if code != tc.code || !strings.Contains(string(body), tc.mention) {
					t.Errorf("import: %d %s; want %d mentioning %s", code, body, tc.code, tc.mention)
				}
				var eb struct {
					Error  string   `json:"error"`
					Detail []string `json:"detail"`
				}
				if err := json.Unmarshal(body, &eb); err != nil || eb.Error == "" {
					t.Errorf("error body %s: %v", body, err)
				}
				after, err := s.ListLicenses(ctx, LicenseFilter{})
				if err != nil {
					t.Fatal(err)
				}
				if len(after) != len(before) {
					t.Fatalf("licences: %d after, %d before", len(after), len(before))
				}
				for i := range after {
					if after[i].ID != before[i].ID || after[i].Department != before[i].Department || after[i].Seats != before[i].Seats || !after[i].UpdatedAt.Equal(before[i].UpdatedAt) {
						t.Errorf("licence changed: %+v, was %+v", after[i], before[i])
					}
				}
			})
		}
		// its own licence by id still updates, and the sysadmin may move any
		code, body := czj.do("POST", "/api/v1/licenses/import", "text/csv", []byte("编号,软件名称,授权数量,使用部门\nczj-kylin,kylin-os,12,CZJ\n"))
		if code != http.StatusOK || !strings.Contains(string(body), `"updated":1`) {
			t.Errorf("own update: %d %s", code, body)
		}
		code, body = admin.do("POST", "/api/v1/licenses/import", "text/csv", []byte("编号,软件名称,授权数量,使用部门\npool-wps,wps,5,CZJ\n"))
		if code != http.StatusOK || !strings.Contains(string(body), `"updated":1`) {
			t.Errorf("sysadmin update: %d %s", code, body)
		}
		if l, err := s.GetLicense(ctx, "czj-kylin"); err != nil || l.Seats != 12 {
			t.Errorf("czj-kylin = %+v, %v", l, err)
		}
	})
}
