package export

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	"github.com/egovnet/egovnet/collector/progress"
	"github.com/egovnet/egovnet/internal/plan"
	"github.com/egovnet/egovnet/internal/wire"
)

func TestRequestCheck(t *testing.T) {
	now := time.Date(2026, 12, 6, 4, 0, 0, 0, time.UTC)
	ok := Request{Kind: KindViolations, Format: "csv", Out: "-", Lang: "zh", Table: "summary"}
	tests := []struct {
		name  string
		mod   func(r *Request)
		want  []string // substrings of the error; nil: valid
		check func(t *testing.T, c Checked)
	}{
		{"valid", func(*Request) {}, nil, func(t *testing.T, c Checked) {
			if c.Format != CSV || !c.AsOf.IsZero() || !c.From.IsZero() {
				t.Errorf("checked %+v", c)
			}
		}},
		{"every problem named", func(r *Request) {
			r.Format, r.Out, r.Lang, r.AsOf, r.Status, r.Rule = "", "", "fr", "yesterday", "closed", "no-such-rule"
		}, []string{"export violations:", "--format is required", "--out is required", "--as-of", "--status \"closed\"", "--rule \"no-such-rule\""}, nil},
		{"ledger table checked only for the ledger", func(r *Request) { r.Kind, r.Table = KindLedger, "wide" }, []string{"--table \"wide\""}, nil},
		{"table ignored elsewhere", func(r *Request) { r.Table = "wide" }, nil, nil},
		{"progress defaults to the range before now", func(r *Request) { r.Kind = KindProgress }, nil, func(t *testing.T, c Checked) {
			if c.To.IsZero() || !c.From.Before(c.To) || c.To.After(now.Add(24*time.Hour)) {
				t.Errorf("range %v..%v for now %v", c.From, c.To, now)
			}
		}},
		{"progress range ends at --as-of", func(r *Request) { r.Kind, r.AsOf = KindProgress, "2026-01-31" }, nil, func(t *testing.T, c Checked) {
			if got := c.To.In(progress.ChinaStandardTime).Format("2006-01-02"); got != "2026-01-31" {
				t.Errorf("to = %s, want the as-of day", got)
			}
		}},
		{"bad progress range", func(r *Request) { r.Kind, r.From = KindProgress, "31/01/2026" }, []string{"export progress:"}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := ok
			tt.mod(&r)
			c, err := r.Check(now)
			if tt.want == nil {
				if err != nil {
					t.Fatalf("Check: %v", err)
				}
				if tt.check != nil {
					tt.check(t, c)
				}
				return
			}
			if err == nil {
				t.Fatal("Check accepted an invalid request")
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q lacks %q", err, w)
				}
			}
		})
	}
}

func TestPlanMetaAndDepartment(t *testing.T) {
	p := &plan.Plan{Departments: []plan.Department{{Code: "CZJ", Name: "区财政局"}}}
	p.District.Code = "310110"
	if m := PlanMeta(p, Meta{}); m.District != "310110" || m.DepartmentNames["CZJ"] != "区财政局" {
		t.Errorf("no district name: %+v, want the code", m)
	}
	p.District.Name = "杨浦区"
	if m := PlanMeta(p, Meta{}); m.District != "杨浦区" {
		t.Errorf("district %q, want the name", m.District)
	}
	if m := PlanMeta(nil, Meta{}); m.District != "" || m.DepartmentNames == nil {
		t.Errorf("nil plan: %+v", m)
	}
	for _, tt := range []struct {
		name, dept string
		p          *plan.Plan
		bad        bool
	}{{"known", "CZJ", p, false}, {"unknown", "XYZ", p, true}, {"no filter", "", p, false}, {"no plan", "XYZ", nil, false}} {
		if err := CheckDepartment(tt.p, tt.dept); (err != nil) != tt.bad {
			t.Errorf("%s: CheckDepartment = %v", tt.name, err)
		}
	}
}

func TestFontFileOr(t *testing.T) {
	t.Setenv(FontFileEnv, "/env.ttf")
	if got := (Request{FontFile: "/flag.ttf"}).FontFileOr(); got != "/flag.ttf" {
		t.Errorf("flag: %q", got)
	}
	if got := (Request{}).FontFileOr(); got != "/env.ttf" {
		t.Errorf("env: %q", got)
	}
}

// sliceViolations is a ViolationStreamer over a slice that records which
// read path the renderer took.
type sliceViolations struct {
	vs           []wire.Violation
	listed, each int
}

func (s *sliceViolations) List(context.Context, ViolationFilter) ([]wire.Violation, error) {
	s.listed++
	return s.vs, nil
}
func (s *sliceViolations) Count(context.Context, ViolationFilter) (int, error) { return len(s.vs), nil }
func (s *sliceViolations) Each(_ context.Context, _ ViolationFilter, fn func(wire.Violation) error) error {
	s.each++
	for _, v := range s.vs {
		if err := fn(v); err != nil {
			return err
		}
	}
	return nil
}

func TestViolationsRenderer(t *testing.T) {
	tests := []struct {
		name       string
		format     Format
		maxRows    int
		n          int
		streamed   bool
		wantRowErr bool
	}{
		{"csv streams", CSV, 0, len(testViolations()), true, false},
		{"json streams", JSON, 0, len(testViolations()), true, false},
		{"csv ignores the PDF row limit", CSV, 5, 51, true, false},
		{"pdf over the row limit refused before reading", PDF, 50, 51, false, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			vs := testViolations()
			if tt.n != len(vs) {
				vs = manyViolations(tt.n)
			}
			src := &sliceViolations{vs: vs}
			e := &Exporter{MaxPDFRows: tt.maxRows}
			render, err := e.ViolationsRenderer(context.Background(), src, ViolationFilter{}, tt.format, Meta{Lang: "en"})
			if tt.wantRowErr {
				if err == nil || src.listed+src.each != 0 {
					t.Fatalf("err %v, listed %d each %d: want refusal without reading", err, src.listed, src.each)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			var buf bytes.Buffer
			if err := render(&buf); err != nil || buf.Len() == 0 {
				t.Fatalf("render: %v (%d bytes)", err, buf.Len())
			}
			if tt.streamed != (src.each == 1 && src.listed == 0) {
				t.Errorf("listed %d each %d, want streamed %v", src.listed, src.each, tt.streamed)
			}
		})
	}
}
