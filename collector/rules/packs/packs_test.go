package packs

import (
	"crypto/sha256"
	"encoding/hex"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/egovnet/egovnet/internal/plan"
	"github.com/egovnet/egovnet/internal/testenv"
	"github.com/egovnet/egovnet/internal/wire"
)

// TestCitationsAreVerbatim proves every quoted article is copied exactly
// from its seed file, and that the seed is the one the pack was made from.
func TestCitationsAreVerbatim(t *testing.T) {
	dir := testenv.SeedsDir(t)
	for _, p := range All() {
		t.Run(p.ID, func(t *testing.T) {
			data, err := os.ReadFile(filepath.Join(dir, p.Seed))
			if err != nil {
				t.Fatalf("read seed: %v", err)
			}
			sum := sha256.Sum256(data)
			if got := hex.EncodeToString(sum[:]); got != p.SeedSHA256 {
				t.Errorf("seed %s sha256 = %s, pack says %s", p.Seed, got, p.SeedSHA256)
			}
			seed := string(data)
			n := 0
			for rule, r := range p.Rules {
				for _, a := range r.Citations {
					n++
					if len([]rune(a.Text)) < 15 {
						t.Errorf("%s %s: quotation too short to stand alone: %q", rule, a.Article, a.Text)
					}
					if !strings.Contains(seed, a.Text) {
						t.Errorf("%s %s: text is not in %s: %q", rule, a.Article, p.Seed, a.Text)
					}
					if a.Article == "" || r.Summary == "" {
						t.Errorf("%s: article and summary required", rule)
					}
				}
			}
			if n == 0 {
				t.Error("pack cites nothing")
			}
		})
	}
}

func TestEveryPackShipsAndEveryRuleIsCited(t *testing.T) {
	if len(All()) != len(plan.PackIDs) {
		t.Fatalf("packs = %d, want %d", len(All()), len(plan.PackIDs))
	}
	cited := map[string]bool{}
	for _, p := range All() {
		for id := range p.Rules {
			cited[id] = true
		}
	}
	for _, id := range wire.RuleIDs {
		if !cited[id] {
			t.Errorf("rule %s is cited by no pack", id)
		}
	}
	j, _ := Get("jiangmen-2017")
	cut, ok := j.Date(wire.RuleNewInfrastructure, "cutoff")
	if !ok || cut.Format("2006-01-02") != "2017-01-01" {
		t.Errorf("jiangmen cutoff = %v %v", cut, ok)
	}
	if c := j.Citations(wire.RuleNewInfrastructure); len(c) != 1 || c[0].Document != "江门市关于进一步完善网信统筹机制加强电子政务建设的办法(江府办〔2017〕19号)" || c[0].Article != "第十四项" {
		t.Errorf("citations = %+v", c)
	}
}

func TestLoadRejectsBadPacks(t *testing.T) {
	cases := []struct{ name, body, want string }{
		{"unknown rule", "id: x\nrules:\n  wifi: {severity: high, summary: s, citations: [{article: a, text: t}]}\n", `unknown rule "wifi"`},
		{"bad severity", "id: x\nrules:\n  local-server: {severity: huge, summary: s, citations: [{article: a, text: t}]}\n", `bad severity "huge"`},
		{"no citation", "id: x\nrules:\n  local-server: {severity: high, summary: s}\n", "no citation"},
		{"unknown key", "id: x\ncolour: red\n", "field colour not found"},
		{"bad cutoff", "id: x\nrules:\n  local-server: {severity: high, summary: s, params: {cutoff: soon}, citations: [{article: a, text: t}]}\n", "param cutoff"},
		{"name mismatch", "id: y\n", "does not match the file name"},
		{"missing pack", "id: x\n", "pack yangpu-2021 is not embedded"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := load(mapFS(map[string]string{"x.yaml": tc.body}))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error = %v, want it to contain %q", err, tc.want)
			}
		})
	}
}

func TestSeverityOrder(t *testing.T) {
	if Lower("high") != "medium" || Lower("low") != "low" || Raise("low") != "medium" || Raise("critical") != "critical" {
		t.Error("severity steps wrong")
	}
}

// TestCitationsOneEntryPerArticle: paragraphs of one article are one
// citation (text joined in order), and no pack cites a definitions section
// for a rule it does not define.
func TestCitationsOneEntryPerArticle(t *testing.T) {
	cases := []struct {
		name, pack, rule, article string
		paragraphs                int
	}{
		{"yangpu art 18 two paragraphs", "yangpu-2021", wire.RuleLocalServer, "第十八条", 2},
		{"qiqihar art 5 two paragraphs", "qiqihar-2018", wire.RuleLocalServer, "第五条", 2},
		{"yangpu art 19 one paragraph", "yangpu-2021", wire.RuleInternetEgress, "第十九条", 1},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			p, _ := Get(tc.pack)
			n := 0
			for _, c := range p.Citations(tc.rule) {
				if c.Article != tc.article {
					continue
				}
				n++
				if got := strings.Count(c.Text, "\n") + 1 - strings.Count(strings.Join(paragraphTexts(p, tc.rule, tc.article), ""), "\n"); got != tc.paragraphs {
					t.Errorf("%s text has %d paragraphs, want %d: %q", tc.article, got, tc.paragraphs, c.Text)
				}
				for _, para := range paragraphTexts(p, tc.rule, tc.article) {
					if !strings.Contains(c.Text, para) {
						t.Errorf("merged text lacks %q", para)
					}
				}
			}
			if n != 1 {
				t.Errorf("%s cited %d times, want once", tc.article, n)
			}
		})
	}
	for _, p := range All() {
		for rule := range p.Rules {
			seen := map[string]bool{}
			for _, c := range p.Citations(rule) {
				if seen[c.Article] {
					t.Errorf("%s %s: %s cited twice", p.ID, rule, c.Article)
				}
				seen[c.Article] = true
			}
		}
	}
	q, _ := Get("qiqihar-2018")
	for _, c := range q.Citations(wire.RuleInternetEgress) {
		if c.Article == "相关概念解释" {
			t.Errorf("qiqihar cites its definitions section for internet-egress")
		}
	}
}

func paragraphTexts(p Pack, rule, article string) []string {
	var out []string
	for _, a := range p.Rules[rule].Citations {
		if a.Article == article {
			out = append(out, a.Text)
		}
	}
	return out
}
