// Package export turns violations, the software ledger and progress series
// into the files people take away: CSV (UTF-8 with BOM, so Excel shows
// Chinese), XLSX, PDF (for auditors: citations and evidence, CJK font
// embedded, numbered pages) and JSON. Data comes through small source
// interfaces the collector wires to its stores, so the formats are tested
// on their own and one export path serves both the CLI and the API.
package export

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/egovnet/egovnet/collector/progress"
	"github.com/egovnet/egovnet/collector/terms"
	"github.com/egovnet/egovnet/internal/chinatime"
	"github.com/egovnet/egovnet/internal/wire"
)

// Format is an output format.
type Format string

// Formats (CONTRACT: --format csv|xlsx|pdf|json).
const (
	CSV  Format = "csv"
	XLSX Format = "xlsx"
	PDF  Format = "pdf"
	JSON Format = "json"
)

// ParseFormat validates a format name.
func ParseFormat(s string) (Format, error) {
	switch f := Format(strings.ToLower(strings.TrimSpace(s))); f {
	case CSV, XLSX, PDF, JSON:
		return f, nil
	}
	return "", fmt.Errorf("format %q: want csv, xlsx, pdf or json", s)
}

// ContentType is the HTTP media type of f.
func (f Format) ContentType() string {
	switch f {
	case CSV:
		return "text/csv; charset=utf-8"
	case XLSX:
		return "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
	case PDF:
		return "application/pdf"
	default:
		return "application/json; charset=utf-8"
	}
}

// Lang selects the language of headers and labels (the one Lang type,
// terms.Lang).
type Lang = terms.Lang

// Languages: Chinese first, English available.
const (
	ZH = terms.ZH
	EN = terms.EN
)

// ParseLang accepts zh, zh-CN, en (empty: zh).
func ParseLang(s string) (Lang, error) { return terms.ParseLang(s) }

// ViolationFilter selects violations. Zero fields select everything; AsOf
// zero means now.
type ViolationFilter struct {
	Department string
	Status     string
	Rule       string
	AsOf       time.Time
}

// ViolationSource lists violations (the rules store, adapted by the lead).
type ViolationSource interface {
	List(ctx context.Context, f ViolationFilter) ([]wire.Violation, error)
}

// ViolationStreamer is a ViolationSource that also counts without reading
// and hands violations one at a time in SortViolations order, so an export
// of 200,000 violations holds one row, not all of them (issue #10). The
// HTTP handler uses it when the source has it.
type ViolationStreamer interface {
	ViolationSource
	Count(ctx context.Context, f ViolationFilter) (int, error)
	Each(ctx context.Context, f ViolationFilter, fn func(wire.Violation) error) error
}

// LedgerSource gives the software ledger of a department ("" = all) as of
// a moment (zero = now).
type LedgerSource interface {
	Ledger(ctx context.Context, department string, asOf time.Time) (Ledger, error)
}

// ProgressSource gives progress snapshots (progress.Store satisfies it).
type ProgressSource interface {
	Series(ctx context.Context, department string, from, to time.Time) ([]progress.Snapshot, error)
}

// Meta is what a document says about itself.
type Meta struct {
	District string    // the district's name (or code)
	AsOf     time.Time // the moment the data describes
	Lang     Lang
	Location *time.Location // how times are printed (default UTC+8)
	// DepartmentNames maps codes to names for display (optional).
	DepartmentNames map[string]string
}

func (m Meta) loc() *time.Location {
	if m.Location != nil {
		return m.Location
	}
	return chinatime.Location
}

func (m Meta) zh() bool { return m.Lang != EN }

func (m Meta) time(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.In(m.loc()).Format("2006-01-02 15:04:05")
}

func (m Meta) date(t time.Time) string {
	if t.IsZero() {
		t = time.Now()
	}
	return t.In(m.loc()).Format("2006-01-02")
}

func (m Meta) dept(code string) string {
	if n := m.DepartmentNames[code]; n != "" {
		return n + " (" + code + ")"
	}
	return code
}

// Column is one column of a table: its key (JSON-like, stable) and its
// header in both languages; Width weighs it in PDF and XLSX layouts.
type Column struct {
	Key   string
	ZH    string
	EN    string
	Width float64
}

// Table is a sheet: rows of cells (string, int64, float64 or time.Time).
type Table struct {
	Name    string // sheet name / section title, already in the chosen language
	Columns []Column
	Rows    [][]any
	// Percent marks float columns (by key) shown as percentages.
	Percent map[string]bool
	// Stream, when set, produces the rows one by one instead of Rows (the
	// row slice may be reused between calls); Len is then their number.
	Stream func(emit func(row []any) error) error
	Len    int
}

// Each calls fn with every row, from Stream or Rows.
func (t Table) Each(fn func(row []any) error) error {
	if t.Stream != nil {
		return t.Stream(fn)
	}
	for _, r := range t.Rows {
		if err := fn(r); err != nil {
			return err
		}
	}
	return nil
}

// Count is the number of rows.
func (t Table) Count() int {
	if t.Stream != nil {
		return t.Len
	}
	return len(t.Rows)
}

// Header returns the column titles in lang.
func (t Table) Header(lang Lang) []string {
	out := make([]string, len(t.Columns))
	for i, c := range t.Columns {
		out[i] = c.ZH
		if lang == EN {
			out[i] = c.EN
		}
	}
	return out
}
