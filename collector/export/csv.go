package export

import (
	"encoding/csv"
	"fmt"
	"io"
	"strconv"
	"strings"
)

// bom makes Excel read the file as UTF-8 (otherwise it guesses GBK and
// shows Chinese as mojibake).
const bom = "\uFEFF"

// WriteCSV writes t with a header row in lang, UTF-8 with BOM, CRLF line
// ends (what Excel writes).
func WriteCSV(w io.Writer, t Table, lang Lang) error {
	if _, err := io.WriteString(w, bom); err != nil {
		return fmt.Errorf("write csv: %w", err)
	}
	cw := csv.NewWriter(w)
	cw.UseCRLF = true
	if err := cw.Write(t.Header(lang)); err != nil {
		return fmt.Errorf("write csv: %w", err)
	}
	rec := make([]string, len(t.Columns))
	if err := t.Each(func(row []any) error {
		for i, c := range row {
			rec[i] = defuse(cellText(c, false))
		}
		return cw.Write(rec)
	}); err != nil {
		return fmt.Errorf("write csv: %w", err)
	}
	cw.Flush()
	if err := cw.Error(); err != nil {
		return fmt.Errorf("write csv: %w", err)
	}
	return nil
}

// cellText renders a cell; percent formats fractions as "75.0%".
func cellText(c any, percent bool) string {
	switch v := c.(type) {
	case string:
		return v
	case int64:
		return strconv.FormatInt(v, 10)
	case int:
		return strconv.Itoa(v)
	case float64:
		if percent {
			return strconv.FormatFloat(v*100, 'f', 1, 64) + "%"
		}
		return strconv.FormatFloat(v, 'f', -1, 64)
	case nil:
		return ""
	}
	return fmt.Sprint(c)
}

// defuse keeps spreadsheet programs from evaluating a cell as a formula:
// subjects and evidence come from the network (HTTP titles, ifAlias), so a
// device could otherwise plant "=HYPERLINK(...)" in an auditor's sheet.
func defuse(s string) string {
	if s == "" {
		return s
	}
	switch s[0] {
	case '=', '+', '-', '@', '\t', '\r':
		if _, err := strconv.ParseFloat(s, 64); err == nil {
			return s // a negative number is a number
		}
		return "'" + s
	}
	return s
}

// sanitizeSheet makes a valid, unique-enough XLSX sheet name (31 chars, no
// []:*?/\).
func sanitizeSheet(name string) string {
	name = strings.Map(func(r rune) rune {
		if strings.ContainsRune(`[]:*?/\`, r) {
			return '_'
		}
		return r
	}, name)
	if r := []rune(name); len(r) > 31 {
		name = string(r[:31])
	}
	if name == "" {
		name = "Sheet1"
	}
	return name
}
