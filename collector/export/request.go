package export

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/egovnet/egovnet/collector/progress"
	"github.com/egovnet/egovnet/internal/plan"
	"github.com/egovnet/egovnet/internal/wire"
)

// Kinds of export the command line offers.
const (
	KindViolations = "violations"
	KindLedger     = "ledger"
	KindProgress   = "progress"
)

// FontFileEnv names the PDF font when --font-file is not given.
const FontFileEnv = "EGOVNET_EXPORT_FONT_FILE"

// Request is one `egovnet-collector export` as typed: every field is the
// raw flag value. Check turns it into a Checked before any store is opened.
type Request struct {
	Kind                                       string // violations, ledger or progress
	Format, Out, Department, AsOf, Lang, Table string
	From, To, Status, Rule, FontFile           string
}

// Checked is a valid Request, parsed.
type Checked struct {
	Format Format
	Lang   Lang
	AsOf   time.Time // zero: now
	// From and To are the progress range (zero for other kinds).
	From, To time.Time
}

// Check validates every flag of r and names every problem in one error
// (in flag terms, for the command line), so a user fixes them all at once.
// now is the default end of a progress range when --as-of is empty; the
// range starts progress.DefaultRange before its end unless --from says.
func (r Request) Check(now time.Time) (Checked, error) {
	var problems []string
	var c Checked
	var err error
	c.Format, err = ParseFormat(r.Format)
	if r.Format == "" {
		err = errors.New("--format is required (csv, xlsx, pdf or json)")
	}
	if err != nil {
		problems = append(problems, err.Error())
	}
	if r.Out == "" {
		problems = append(problems, "--out is required (a file, or - for stdout)")
	}
	if c.Lang, err = ParseLang(r.Lang); err != nil {
		problems = append(problems, err.Error())
	}
	c.AsOf, err = ParseAsOf(r.AsOf, progress.ChinaStandardTime)
	if err != nil {
		problems = append(problems, "--"+strings.Replace(err.Error(), "as_of", "as-of", 1))
	}
	if r.Kind == KindLedger && r.Table != string(LedgerSummary) && r.Table != string(LedgerDetail) {
		problems = append(problems, fmt.Sprintf("--table %q: want summary or detail", r.Table))
	}
	if err := validFilter(ViolationFilter{Status: r.Status}); err != nil {
		problems = append(problems, "--"+err.Error())
	}
	if err := validFilter(ViolationFilter{Rule: r.Rule}); err != nil {
		problems = append(problems, "--"+err.Error())
	}
	if r.Kind == KindProgress {
		end := c.AsOf
		if end.IsZero() {
			end = now
		}
		if c.From, c.To, err = progress.ParseRange(r.From, r.To, end, progress.ChinaStandardTime); err != nil {
			problems = append(problems, err.Error())
		}
	}
	if len(problems) > 0 {
		return Checked{}, fmt.Errorf("export %s:\n  %s", r.Kind, strings.Join(problems, "\n  "))
	}
	return c, nil
}

// FontFileOr is the PDF font file: the request's, else FontFileEnv, else ""
// (FindFont then tries the usual system fonts).
func (r Request) FontFileOr() string {
	if r.FontFile != "" {
		return r.FontFile
	}
	return os.Getenv(FontFileEnv)
}

// PlanMeta is the document metadata the plan gives: the district as printed
// (its name, else its code) and each department's name. A nil plan gives
// none.
func PlanMeta(p *plan.Plan, m Meta) Meta {
	if m.DepartmentNames == nil {
		m.DepartmentNames = map[string]string{}
	}
	if p == nil {
		return m
	}
	m.District = p.District.Name
	if m.District == "" {
		m.District = p.District.Code
	}
	for _, d := range p.Departments {
		m.DepartmentNames[d.Code] = d.Name
	}
	return m
}

// CheckDepartment refuses a department filter the plan does not know (an
// empty filter, or no plan, is fine): an export of a mistyped code would
// silently be empty.
func CheckDepartment(p *plan.Plan, dept string) error {
	if p == nil || dept == "" {
		return nil
	}
	if _, ok := p.Department(dept); !ok {
		return fmt.Errorf("export: --department %q is not a department of the plan", dept)
	}
	return nil
}

// Ready fails early when format cannot be produced: a PDF needs a CJK font,
// and finding none after reading the store would waste the read.
func (e *Exporter) Ready(f Format) error {
	if f != PDF {
		return nil
	}
	_, err := e.Font()
	return err
}

// ViolationsRenderer prepares a violations export from src: formats that
// stream read the violations while writing (memory stays flat however many
// there are); a PDF lays pages out from the whole list, so it is read first.
// Either way the row count is checked against MaxPDFRows before any output.
func (e *Exporter) ViolationsRenderer(ctx context.Context, src ViolationStreamer, f ViolationFilter, format Format, meta Meta) (func(io.Writer) error, error) {
	n, err := src.Count(ctx, f)
	if err != nil {
		return nil, fmt.Errorf("count violations: %w", err)
	}
	if err := e.CheckPDFRows(format, n); err != nil {
		return nil, err
	}
	if format != PDF {
		return func(w io.Writer) error {
			return e.ViolationsStream(w, format, n, func(fn func(wire.Violation) error) error { return src.Each(ctx, f, fn) }, meta)
		}, nil
	}
	vs, err := src.List(ctx, f)
	if err != nil {
		return nil, fmt.Errorf("list violations: %w", err)
	}
	return func(w io.Writer) error { return e.Violations(w, format, vs, meta) }, nil
}
