package terms

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"

	"github.com/egovnet/egovnet/internal/wire"
)

// TestEveryCodeHasBothTemplates: a reason without its Chinese or English
// text, or whose two templates name different values, cannot ship.
func TestEveryCodeHasBothTemplates(t *testing.T) {
	ph := regexp.MustCompile(`\{[^}]*\}`)
	if len(Codes()) < 20 {
		t.Fatalf("only %d codes", len(Codes()))
	}
	for _, c := range Codes() {
		tpl, ok := c.Template()
		if !ok || strings.TrimSpace(tpl.ZH) == "" || strings.TrimSpace(tpl.EN) == "" {
			t.Errorf("%s: zh %q en %q", c, tpl.ZH, tpl.EN)
			continue
		}
		zh, en := ph.FindAllString(tpl.ZH, -1), ph.FindAllString(tpl.EN, -1)
		if strings.Join(sorted(zh), ",") != strings.Join(sorted(en), ",") {
			t.Errorf("%s: placeholders differ: zh %v en %v", c, zh, en)
		}
		for _, p := range append(zh, en...) {
			if vocab, _, ok := strings.Cut(strings.Trim(p, "{}"), ":"); ok {
				if _, known := vocabularies[vocab]; !known {
					t.Errorf("%s: unknown vocabulary in %s", c, p)
				}
			}
		}
		if !hasHan(tpl.ZH) {
			t.Errorf("%s: zh template has no Chinese: %q", c, tpl.ZH)
		}
	}
}

func sorted(s []string) []string {
	out := append([]string(nil), s...)
	for i := range out {
		for j := i + 1; j < len(out); j++ {
			if out[j] < out[i] {
				out[i], out[j] = out[j], out[i]
			}
		}
	}
	return out
}

func hasHan(s string) bool {
	for _, r := range s {
		if r >= 0x4e00 && r <= 0x9fff {
			return true
		}
	}
	return false
}

// TestEveryNameHasBothLanguages: every rule, status and severity the wire
// defines has a name in each language, different from its id.
func TestEveryNameHasBothLanguages(tt *testing.T) {
	check := func(kind string, ids []string, m map[string]Text) {
		for _, id := range ids {
			t, ok := m[id]
			if !ok || t.EN == "" || !hasHan(t.ZH) {
				tt.Errorf("%s %s: %+v", kind, id, t)
			}
		}
	}
	check("rule", wire.RuleIDs, rules)
	check("status", []string{wire.StatusOpen, wire.StatusAcknowledged, wire.StatusResolved, wire.StatusExempted}, statuses)
	check("severity", []string{wire.SeverityCritical, wire.SeverityHigh, wire.SeverityMedium, wire.SeverityLow}, severities)
	check("role", []string{wire.RoleServer, wire.RoleWorkstation, wire.RoleNetwork, wire.RolePrinter, wire.RoleUnknown}, roles)
	check("category", []string{"os", "database", "middleware", "antivirus", "office", "layout", "other"}, categories)
	check("licence", []string{"licensed", "free", "unlicensed", "over-deployed", "expired", "version-mismatch", "home-edition"}, licences)
	if Rule("nope", ZH) != "nope" || RuleTitle(wire.RuleLocalServer, true, ZH) != "自建机房/本地服务器(已登记)" {
		tt.Error("unknown ids stay ids; registered titles get the registered suffix")
	}
}

func TestRender(t *testing.T) {
	cases := []struct {
		name   string
		code   Reason
		detail map[string]any
		lang   Lang
		want   string
	}{
		{"plain zh", EgressRoute, nil, ZH, "默认路由或公网路由的下一跳不是经批准的政务外网上联"},
		{"value and vocabulary en", IsolationReaches, map[string]any{"kind": "extranet", "target": "10.255.255.10"}, EN,
			"a classified segment reaches the extranet reference target 10.255.255.10"},
		{"value and vocabulary zh", IsolationReaches, map[string]any{"kind": "internet", "target": "203.0.113.10"}, ZH,
			"涉密网段可访问互联网参考目标 203.0.113.10"},
		{"toward zh", IsolationRoute, map[string]any{"toward": "default"}, ZH, "涉密网段内的主机或设备有默认路由(非直连路由)"},
		{"class zh", IsolationMultihome, map[string]any{"other_class": "department", "other_address": "10.5.0.77"}, ZH,
			"同一设备同时拥有涉密网段地址和本部门地址 10.5.0.77"},
		{"unknown code", Reason("nope"), nil, ZH, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := tc.code.Render(tc.detail, tc.lang); got != tc.want {
				t.Errorf("got %q, want %q", got, tc.want)
			}
		})
	}
}

func TestEvidenceReason(t *testing.T) {
	coded := map[string]any{KeyCode: string(LocalServer)}
	Annotate(coded)
	if coded[KeyEN] != "server inside the department's prefixes rather than on the e-gov cloud" || coded[KeyZH] != "服务器部署在部门网段内,而非政务云" {
		t.Errorf("annotate: %v", coded)
	}
	other := map[string]any{KeyEN: "ledger says so", KeyZH: "台账如此"}
	for _, tc := range []struct {
		d    map[string]any
		lang Lang
		want string
	}{
		{coded, ZH, "服务器部署在部门网段内,而非政务云"},
		{coded, EN, "server inside the department's prefixes rather than on the e-gov cloud"},
		{other, ZH, "台账如此"},
		{other, EN, "ledger says so"},
		{map[string]any{KeyEN: "english only"}, ZH, "english only"},
		{map[string]any{}, ZH, ""},
	} {
		if got := EvidenceReason(tc.d, tc.lang); got != tc.want {
			t.Errorf("EvidenceReason(%v, %s) = %q, want %q", tc.d, tc.lang, got, tc.want)
		}
	}
}

func TestParseLang(t *testing.T) {
	for in, want := range map[string]Lang{"": ZH, "zh": ZH, "zh-CN": ZH, "EN": EN, "en-GB": EN} {
		if got, err := ParseLang(in); err != nil || got != want {
			t.Errorf("ParseLang(%q) = %q, %v", in, got, err)
		}
	}
	if _, err := ParseLang("fr"); err == nil {
		t.Error("fr accepted")
	}
}

func TestHandler(t *testing.T) {
	rec := httptest.NewRecorder()
	Handler().ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/api/v1/terms", nil))
	var got map[string]map[string]string
	if err := json.Unmarshal(rec.Body.Bytes(), &got); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct{ lang, key, want string }{
		{"zh", "rule.internet-egress", "自建互联网出口"},
		{"en", "rule.private-link.registered", "Business private network (registered, awaiting consolidation)"},
		{"zh", "st.open", "未整改"},
		{"zh", "reason." + string(IsolationRoute), "涉密网段内的主机或设备有{toward:toward}(非直连路由)"},
		{"zh", "toward.default", "默认路由"},
	} {
		if got[c.lang][c.key] != c.want {
			t.Errorf("%s %s = %q, want %q", c.lang, c.key, got[c.lang][c.key], c.want)
		}
	}
	if ct := rec.Header().Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		t.Errorf("content type %q", ct)
	}
}

// TestColumnsBothLanguages: every column header the exports and the web UI
// share has its Chinese and its English, and reaches the UI as "col.<key>".
func TestColumnsBothLanguages(t *testing.T) {
	zh, en := Dictionary(ZH), Dictionary(EN)
	for _, k := range append(ColumnKeys(), "licence_status") {
		if !hasHan(zh["col."+k]) || en["col."+k] == "" || en["col."+k] == k || hasHan(en["col."+k]) {
			t.Errorf("col.%s: zh %q en %q", k, zh["col."+k], en["col."+k])
		}
	}
}
