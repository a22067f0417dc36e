package ledger

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/egovnet/egovnet/collector/auth"
	"github.com/egovnet/egovnet/collector/store"
	"github.com/egovnet/egovnet/collector/store/storetest"
	"github.com/egovnet/egovnet/internal/wire"
	"github.com/xuri/excelize/v2"
)

// testServer mounts the handlers the way api.Server.UserRoute does: the
// caller is authenticated (here by the X-Test-User header: name/role/dept),
// a role outside the route's roles gets 403.
func testServer(t *testing.T, s *Store) *httptest.Server {
	t.Helper()
	mux := http.NewServeMux()
	h := NewHandlers(s)
	h.DepartmentExists = func(_ context.Context, code string) (bool, error) { return code == "CZJ" || code == "XXJ", nil }
	h.Mount(func(pattern string, roles []string, next http.Handler) {
		mux.Handle(pattern, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			parts := strings.Split(r.Header.Get("X-Test-User"), "/")
			if len(parts) != 3 {
				http.Error(w, `{"error":"authentication required"}`, http.StatusUnauthorized)
				return
			}
			u := auth.User{Name: parts[0], Role: parts[1], Department: parts[2]}
			if !slices.Contains(roles, u.Role) {
				http.Error(w, `{"error":"forbidden"}`, http.StatusForbidden)
				return
			}
			next.ServeHTTP(w, r.WithContext(auth.WithUser(r.Context(), u)))
		}))
	})
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return srv
}

type client struct {
	t    *testing.T
	base string
	user string
}

func (c client) do(method, path, ctype string, body []byte) (int, []byte) {
	c.t.Helper()
	req, err := http.NewRequest(method, c.base+path, bytes.NewReader(body))
	if err != nil {
		c.t.Fatal(err)
	}
	req.Header.Set("X-Test-User", c.user)
	if ctype != "" {
		req.Header.Set("Content-Type", ctype)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		c.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, b
}

func (c client) json(method, path string, v any) (int, []byte) {
	c.t.Helper()
	b, _ := json.Marshal(v)
	return c.do(method, path, "application/json", b)
}

func TestLicenseAPI(t *testing.T) {
	storetest.ForEachBackend(t, func(t *testing.T, db *store.DB) {
		s := newStore(db)
		srv := testServer(t, s)
		admin := client{t, srv.URL, "root/sysadmin/"}
		czj := client{t, srv.URL, "li/dept-admin/CZJ"}
		xxj := client{t, srv.URL, "wang/dept-admin/XXJ"}
		viewer := client{t, srv.URL, "v/viewer/"}

		code, body := czj.json("POST", "/api/v1/licenses", map[string]any{"product": "银河麒麟桌面操作系统V10", "seats": 50, "department": "CZJ", "cost": 25000, "purpose": "信创终端", "filing_status": "已备案"})
		if code != http.StatusCreated {
			t.Fatalf("create: %d %s", code, body)
		}
		var l License
		_ = json.Unmarshal(body, &l)
		if l.Product != "kylin-os" || l.Category != "os" || !l.Domestic || l.Seats != 50 {
			t.Errorf("created = %+v", l)
		}
		if code, body := czj.json("POST", "/api/v1/licenses", map[string]any{"product": "wps", "seats": 5, "department": "XXJ"}); code != http.StatusForbidden {
			t.Errorf("dept-admin writing another department: %d %s", code, body)
		}
		if code, body := czj.json("POST", "/api/v1/licenses", map[string]any{"product": "wps", "seats": 5, "department": ""}); code != http.StatusForbidden {
			t.Errorf("dept-admin writing the shared pool: %d %s", code, body)
		}
		if code, _ := viewer.json("POST", "/api/v1/licenses", map[string]any{"product": "wps", "seats": 5}); code != http.StatusForbidden {
			t.Errorf("viewer writing: %d", code)
		}
		code, body = admin.json("POST", "/api/v1/licenses", map[string]any{"product": "unknown thing", "seats": 0, "department": "CZJ"})
		var eb struct {
			Error  string   `json:"error"`
			Detail []string `json:"detail"`
		}
		_ = json.Unmarshal(body, &eb)
		if code != http.StatusBadRequest || len(eb.Detail) != 2 {
			t.Errorf("invalid licence: %d %s", code, body)
		}
		if code, body := admin.do("POST", "/api/v1/licenses", "application/json", []byte(`{"product":"wps","seats":1,"colour":"red"}`)); code != http.StatusBadRequest {
			t.Errorf("unknown field: %d %s", code, body)
		}
		if code, body := admin.json("POST", "/api/v1/licenses", map[string]any{"product": "wps", "seats": 1, "department": "NOPE"}); code != http.StatusNotFound {
			t.Errorf("unknown department: %d %s", code, body)
		}
		code, body = admin.json("POST", "/api/v1/licenses", map[string]any{"id": "pool-wps", "product": "WPS Office", "seats": 100})
		if code != http.StatusCreated {
			t.Fatalf("pool: %d %s", code, body)
		}
		// visibility
		var ls []License
		_, body = xxj.do("GET", "/api/v1/licenses", "", nil)
		_ = json.Unmarshal(body, &ls)
		if len(ls) != 1 || ls[0].ID != "pool-wps" {
			t.Errorf("XXJ sees %+v, want the pool only", ls)
		}
		if code, _ := xxj.do("GET", "/api/v1/licenses?department=CZJ", "", nil); code != http.StatusForbidden {
			t.Errorf("XXJ reading CZJ: %d", code)
		}
		if code, _ := xxj.do("GET", "/api/v1/licenses/"+l.ID, "", nil); code != http.StatusNotFound {
			t.Errorf("XXJ reading CZJ's licence: %d", code)
		}
		_, body = admin.do("GET", "/api/v1/licenses", "", nil)
		_ = json.Unmarshal(body, &ls)
		if len(ls) != 2 {
			t.Errorf("admin sees %d licences", len(ls))
		}
		// update and delete
		l.Seats = 60
		if code, body := czj.json("PUT", "/api/v1/licenses/"+l.ID, l); code != http.StatusOK || !strings.Contains(string(body), `"seats":60`) {
			t.Errorf("put: %d %s", code, body)
		}
		if code, _ := xxj.json("PUT", "/api/v1/licenses/"+l.ID, l); code != http.StatusNotFound {
			t.Errorf("XXJ put: %d", code)
		}
		if code, _ := czj.do("DELETE", "/api/v1/licenses/pool-wps", "", nil); code != http.StatusForbidden {
			t.Errorf("dept-admin deleting the pool: %d", code)
		}
		if code, _ := admin.do("DELETE", "/api/v1/licenses/pool-wps", "", nil); code != http.StatusNoContent {
			t.Errorf("delete: %d", code)
		}
		if code, _ := admin.do("GET", "/api/v1/licenses/pool-wps", "", nil); code != http.StatusNotFound {
			t.Errorf("get deleted: %d", code)
		}
		// import a CSV (GBK, as Excel on Chinese Windows saves it), export XLSX
		csvBody := []byte("软件名称,授权数量,使用部门,备案状态\n达梦数据库,2,CZJ,已备案\n")
		if code, body := czj.do("POST", "/api/v1/licenses/import", "text/csv", gbk(t, csvBody)); code != http.StatusOK || !strings.Contains(string(body), `"created":1`) {
			t.Errorf("import: %d %s", code, body)
		}
		if code, body := czj.do("POST", "/api/v1/licenses/import", "text/csv", []byte("软件名称,授权数量\n达梦数据库,2\n")); code != http.StatusForbidden {
			t.Errorf("dept-admin importing pool licences: %d %s", code, body)
		}
		if code, body := admin.do("POST", "/api/v1/licenses/import", "text/csv", []byte("软件名称,授权数量,颜色\nx,1,red\n")); code != http.StatusBadRequest || !strings.Contains(string(body), "unknown column") {
			t.Errorf("bad sheet: %d %s", code, body)
		}
		if code, _ := admin.do("POST", "/api/v1/licenses/import", "application/pdf", []byte("%PDF")); code != http.StatusUnsupportedMediaType {
			t.Errorf("pdf import: %d", code)
		}
		code, body = czj.do("GET", "/api/v1/licenses/export?format=xlsx", "", nil)
		if code != http.StatusOK {
			t.Fatalf("export: %d", code)
		}
		back, err := ReadLicensesXLSX(bytes.NewReader(body))
		if err != nil || len(back) != 2 {
			t.Errorf("exported xlsx read back: %d licences, %v", len(back), err)
		}
		if code, _ := czj.do("GET", "/api/v1/licenses/export?format=pdf", "", nil); code != http.StatusBadRequest {
			t.Errorf("bad export format: %d", code)
		}
	})
}

func TestSoftwareAPI(t *testing.T) {
	xp := recordedDevice(t, "snmpsim-data/ssd-windows-xp.snmprec", "10.1.0.21:161")
	storetest.ForEachBackend(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		s := newStore(db)
		if err := s.RecordReport(ctx, report("r1", "CZJ", t0, []wire.DeviceInventory{xp}, nil), "CZJ"); err != nil {
			t.Fatal(err)
		}
		srv := testServer(t, s)
		czj := client{t, srv.URL, "li/dept-admin/CZJ"}
		xxj := client{t, srv.URL, "wang/dept-admin/XXJ"}
		auditor := client{t, srv.URL, "a/auditor/"}
		var sws []Software
		code, body := czj.do("GET", "/api/v1/software", "", nil)
		_ = json.Unmarshal(body, &sws)
		if code != http.StatusOK || len(sws) != 3 {
			t.Fatalf("software: %d, %d rows: %s", code, len(sws), body)
		}
		for _, sw := range sws {
			if sw.Product == "" || sw.Category == "other" || sw.Department != "CZJ" {
				t.Errorf("software row %+v", sw)
			}
		}
		_, body = czj.do("GET", "/api/v1/software?all=true", "", nil)
		_ = json.Unmarshal(body, &sws)
		if len(sws) < 100 {
			t.Errorf("all=true: %d rows", len(sws))
		}
		if _, body := xxj.do("GET", "/api/v1/software", "", nil); string(bytes.TrimSpace(body)) != "[]" {
			t.Errorf("XXJ sees CZJ's software: %s", body)
		}
		if code, _ := xxj.do("GET", "/api/v1/software?department=CZJ", "", nil); code != http.StatusForbidden {
			t.Errorf("XXJ asking for CZJ: %d", code)
		}
		for _, q := range []string{"category=games", "as_of=yesterday", "limit=0"} {
			if code, _ := auditor.do("GET", "/api/v1/software?"+q, "", nil); code != http.StatusBadRequest {
				t.Errorf("%s: %d", q, code)
			}
		}
		code, body = auditor.do("GET", "/api/v1/software/compliance?department=CZJ", "", nil)
		var comp struct {
			Departments []DepartmentSummary `json:"departments"`
			Summary     []SummaryRow        `json:"summary"`
		}
		_ = json.Unmarshal(body, &comp)
		if code != http.StatusOK || len(comp.Departments) != 1 || comp.Departments[0].Installs != 3 || comp.Departments[0].Unlicensed != 2 {
			t.Errorf("compliance: %d %s", code, body)
		}
		if comp.Departments[0].Devices < 1 || comp.Departments[0].Devices != comp.Departments[0].CompliantDevices+1 {
			t.Errorf("compliance device counts: %s", body)
		}
		var devs []Device
		code, body = czj.do("GET", "/api/v1/software/devices", "", nil)
		_ = json.Unmarshal(body, &devs)
		if code != http.StatusOK || len(devs) < 1 || devs[0].Department != "CZJ" || devs[0].Installs < 1 {
			t.Errorf("devices: %d %s", code, body)
		}
		// paged and searched (CONTRACT lists): the total counts the matches
		named := 0
		for _, d := range devs {
			if strings.Contains(d.Device, devs[0].Device) || strings.Contains(d.DeviceName, devs[0].Device) {
				named++
			}
		}
		for _, tc := range []struct {
			name, query string
			rows, total int
		}{
			{"first row", "limit=1", 1, len(devs)},
			{"past the end", "offset=" + strconv.Itoa(len(devs)), 0, len(devs)},
			{"q on the device, case aside", "q=" + url.QueryEscape(strings.ToUpper(devs[0].Device)), named, named},
			{"q matching nothing", "q=no-such-device", 0, 0},
		} {
			req, _ := http.NewRequest("GET", czj.base+"/api/v1/software/devices?"+tc.query, nil)
			req.Header.Set("X-Test-User", czj.user)
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			var page []Device
			_ = json.NewDecoder(resp.Body).Decode(&page)
			resp.Body.Close()
			if resp.StatusCode != http.StatusOK || len(page) != tc.rows || resp.Header.Get("X-Total-Count") != strconv.Itoa(tc.total) {
				t.Errorf("devices %s: %d, %d rows, total %s; want %d rows, total %d", tc.name, resp.StatusCode, len(page),
					resp.Header.Get("X-Total-Count"), tc.rows, tc.total)
			}
		}
		if _, body := xxj.do("GET", "/api/v1/software/devices", "", nil); string(bytes.TrimSpace(body)) != "[]" {
			t.Errorf("XXJ sees CZJ's devices: %s", body)
		}
		for _, table := range []string{"summary", "details", "maintenance", "devices"} {
			code, body := auditor.do("GET", "/api/v1/software/export?format=xlsx&table="+table, "", nil)
			if code != http.StatusOK {
				t.Errorf("export %s: %d", table, code)
				continue
			}
			f, err := excelize.OpenReader(bytes.NewReader(body))
			if err != nil {
				t.Errorf("export %s: %v", table, err)
				continue
			}
			rows, _ := f.GetRows(TableTitles[table])
			if len(rows) < 2 {
				t.Errorf("export %s: %d rows", table, len(rows))
			}
			f.Close()
		}
		code, body = auditor.do("GET", "/api/v1/software/export?format=csv&table=details", "", nil)
		if code != http.StatusOK || !strings.HasPrefix(string(body), "\ufeff部门,设备") || !strings.Contains(string(body), "Microsoft Office") {
			t.Errorf("details csv: %d %.200s", code, body)
		}
	})
}
