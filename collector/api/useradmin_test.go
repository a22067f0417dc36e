package api

import (
	"context"
	"encoding/json"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/egovnet/egovnet/collector/auditlog"
	"github.com/egovnet/egovnet/collector/auth"
	"github.com/egovnet/egovnet/collector/fleet"
	"github.com/egovnet/egovnet/collector/mfa"
	"github.com/egovnet/egovnet/collector/store"
	"github.com/egovnet/egovnet/collector/store/storetest"
)

func TestUserAdmin(t *testing.T) {
	storetest.ForEachBackend(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		dir := t.TempDir()
		keys, err := fleet.LoadKeys(filepath.Join(dir, "seal"), filepath.Join(dir, "rel"))
		if err != nil {
			t.Fatal(err)
		}
		totp := mfa.New(db, keys)
		f.srv.MountAdmin()
		f.srv.MountUserAdmin(UserAdmin{TOTP: totp, Issuer: "egovnet test"})
		ctx := context.Background()
		admin := func() map[string]string {
			h := basic("admin")
			h["Content-Type"] = "application/json"
			return h
		}
		// state is every account as the service sees it: a refused call
		// must leave it exactly as it was.
		state := func() string {
			as, err := f.auth.Accounts(ctx)
			if err != nil {
				t.Fatal(err)
			}
			for i := range as {
				as[i].UpdatedAt = as[i].CreatedAt
			}
			b, _ := json.Marshal(as)
			return string(b)
		}
		js := func(v any) []byte { b, _ := json.Marshal(v); return b }
		const newPW = "Gx9#vLq2-new"

		t.Run("refusals change nothing", func(t *testing.T) {
			tests := []struct {
				name, method, path string
				hdr                map[string]string
				body               any
				want               int
			}{
				{"dept-admin may not add", "POST", "/api/v1/users", basic("czj"), newUser{Name: "x1", Role: "viewer", Password: newPW}, 403},
				{"auditor may not list", "GET", "/api/v1/users", basic("aud"), nil, 403},
				{"dept-admin may not disable", "POST", "/api/v1/users/aud/disable", basic("czj"), nil, 403},
				{"bad name", "POST", "/api/v1/users", admin(), newUser{Name: "-bad name", Role: "viewer", Password: newPW}, 400},
				{"unknown role", "POST", "/api/v1/users", admin(), newUser{Name: "x2", Role: "root", Password: newPW}, 400},
				{"dept-admin without department", "POST", "/api/v1/users", admin(), newUser{Name: "x3", Role: "dept-admin", Password: newPW}, 400},
				{"department not in the plan", "POST", "/api/v1/users", admin(), newUser{Name: "x4", Role: "dept-admin", Department: "NOPE", Password: newPW}, 400},
				{"department for a district role", "POST", "/api/v1/users", admin(), newUser{Name: "x5", Role: "viewer", Department: "CZJ", Password: newPW}, 400},
				{"weak password", "POST", "/api/v1/users", admin(), newUser{Name: "x6", Role: "viewer", Password: "password"}, 400},
				{"password contains the name", "POST", "/api/v1/users", admin(), newUser{Name: "wangli", Role: "viewer", Password: "Wangli#2026"}, 400},
				{"unknown field", "POST", "/api/v1/users", admin(), map[string]string{"name": "x8", "role": "viewer", "password": newPW, "admin": "1"}, 400},
				{"existing name", "POST", "/api/v1/users", admin(), newUser{Name: "aud", Role: "viewer", Password: newPW}, 409},
				{"own account: role", "PUT", "/api/v1/users/admin/role", admin(), roleBody{Role: "viewer"}, 409},
				{"own account: disable", "POST", "/api/v1/users/admin/disable", admin(), nil, 409},
				{"own account: delete", "DELETE", "/api/v1/users/admin", admin(), nil, 409},
				{"role of unknown user", "PUT", "/api/v1/users/ghost/role", admin(), roleBody{Role: "viewer"}, 404},
				{"bad role change", "PUT", "/api/v1/users/aud/role", admin(), roleBody{Role: "dept-admin"}, 400},
				{"delete unknown user", "DELETE", "/api/v1/users/ghost", admin(), nil, 404},
				{"totp of unknown user", "POST", "/api/v1/users/ghost/totp", admin(), nil, 404},
			}
			for _, tc := range tests {
				t.Run(tc.name, func(t *testing.T) {
					before := state()
					var body []byte
					if tc.body != nil {
						body = js(tc.body)
					}
					r := f.do(tc.method, tc.path, body, tc.hdr)
					if r.status != tc.want {
						t.Fatalf("%s %s: %d %s, want %d", tc.method, tc.path, r.status, r.body, tc.want)
					}
					if after := state(); after != before {
						t.Fatalf("refused call changed users:\n%s\n%s", before, after)
					}
				})
			}
		})

		t.Run("add, change role, disable, enable, reset totp, delete", func(t *testing.T) {
			r := f.do("POST", "/api/v1/users", js(newUser{Name: "gaj", Role: "dept-admin", Department: "GAJ", Password: newPW}), admin())
			if r.status != http.StatusCreated {
				t.Fatalf("add: %d %s", r.status, r.body)
			}
			login := func(name string) int {
				h := map[string]string{}
				req, _ := http.NewRequest("GET", "/", nil)
				req.SetBasicAuth(name, newPW)
				h["Authorization"] = req.Header.Get("Authorization")
				return f.do("GET", "/api/v1/me", nil, h).status
			}
			if s := login("gaj"); s != 200 {
				t.Fatalf("new user cannot log in: %d", s)
			}
			r = f.do("PUT", "/api/v1/users/gaj/role", js(roleBody{Role: "viewer"}), admin())
			if r.status != 200 {
				t.Fatalf("role: %d %s", r.status, r.body)
			}
			var list []auth.Account
			r = f.do("GET", "/api/v1/users?q=gaj", nil, basic("admin"))
			if json.Unmarshal(r.body, &list) != nil || len(list) != 1 || list[0].Role != "viewer" || list[0].Department != "" || r.header.Get("X-Total-Count") != "1" {
				t.Fatalf("after role change: %s (total %s)", r.body, r.header.Get("X-Total-Count"))
			}
			if r = f.do("POST", "/api/v1/users/gaj/disable", nil, admin()); r.status != 200 {
				t.Fatalf("disable: %d %s", r.status, r.body)
			}
			if s := login("gaj"); s != 401 {
				t.Fatalf("disabled user logs in: %d", s)
			}
			if r = f.do("POST", "/api/v1/users/gaj/enable", nil, admin()); r.status != 200 {
				t.Fatalf("enable: %d %s", r.status, r.body)
			}
			if s := login("gaj"); s != 200 {
				t.Fatalf("enabled user cannot log in: %d", s)
			}
			r = f.do("POST", "/api/v1/users/gaj/totp", nil, admin())
			var tr struct {
				URI   string   `json:"uri"`
				Codes []string `json:"recovery_codes"`
			}
			if r.status != 200 || json.Unmarshal(r.body, &tr) != nil || !strings.HasPrefix(tr.URI, "otpauth://totp/") || len(tr.Codes) != mfa.RecoveryCodes {
				t.Fatalf("totp: %d %s", r.status, r.body)
			}
			if ok, _ := totp.Enrolled(ctx, "gaj"); !ok {
				t.Fatal("totp not enrolled")
			}
			if r = f.do("DELETE", "/api/v1/users/gaj", nil, admin()); r.status != 200 {
				t.Fatalf("delete: %d %s", r.status, r.body)
			}
			if s := login("gaj"); s != 401 {
				t.Fatalf("deleted user logs in: %d", s)
			}
			if ok, _ := totp.Enrolled(ctx, "gaj"); ok {
				t.Fatal("a deleted user's second factor stays enrolled")
			}
			es, err := f.audit.List(ctx, time.Time{}, 0)
			if err != nil {
				t.Fatal(err)
			}
			seen := map[string]bool{}
			for _, e := range es {
				if e.Target == "gaj" && e.Actor == "admin" {
					seen[e.Action] = true
				}
			}
			for _, a := range []string{"user.add", "user.role", "user.disable", "user.enable", "user.totp", "user.delete"} {
				if !seen[a] {
					t.Errorf("audit log lacks %s by admin on gaj (has %v)", a, seen)
				}
			}
		})

		t.Run("the last enabled sysadmin stays", func(t *testing.T) {
			op := auth.Actor{Kind: auditlog.KindOperator, Name: "test"}
			if err := f.auth.AddUser(ctx, auth.User{Name: "root2", Role: auth.RoleSysAdmin}, password, op); err != nil {
				t.Fatal(err)
			}
			// With root2 disabled, admin is the last enabled sysadmin.
			if err := f.auth.SetDisabled(ctx, "root2", true, op); err != nil {
				t.Fatalf("disable one of two sysadmins: %v", err)
			}
			before := state()
			if err := f.auth.SetRole(ctx, "admin", auth.RoleViewer, "", op); err == nil || !strings.Contains(err.Error(), auth.ErrLastSysAdmin.Error()) {
				t.Fatalf("demoting the last enabled sysadmin: %v", err)
			}
			if err := f.auth.DeleteUser(ctx, "admin", op); err == nil {
				t.Fatal("deleting the last enabled sysadmin succeeded")
			}
			if after := state(); after != before {
				t.Fatalf("refusal changed users")
			}
		})
	})
}
