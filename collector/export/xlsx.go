package export

import (
	"fmt"
	"io"

	"github.com/xuri/excelize/v2"
)

// maxCellRunes keeps cells under Excel's 32 767-character limit.
const maxCellRunes = 32000

// WriteXLSX writes one sheet per table: bold frozen header, filters,
// wrapped text, numbers as numbers, percentages formatted.
func WriteXLSX(w io.Writer, m Meta, tables ...Table) error {
	f := excelize.NewFile()
	defer f.Close()
	header, err := f.NewStyle(&excelize.Style{
		Font:      &excelize.Font{Bold: true},
		Fill:      excelize.Fill{Type: "pattern", Pattern: 1, Color: []string{"DDEBF7"}},
		Alignment: &excelize.Alignment{Vertical: "center", WrapText: true},
	})
	if err != nil {
		return fmt.Errorf("write xlsx: %w", err)
	}
	wrap, err := f.NewStyle(&excelize.Style{Alignment: &excelize.Alignment{Vertical: "top", WrapText: true}})
	if err != nil {
		return fmt.Errorf("write xlsx: %w", err)
	}
	pct, err := f.NewStyle(&excelize.Style{NumFmt: 10, Alignment: &excelize.Alignment{Vertical: "top"}}) // 0.00%
	if err != nil {
		return fmt.Errorf("write xlsx: %w", err)
	}
	used := map[string]int{}
	for i, t := range tables {
		name := sanitizeSheet(t.Name)
		if n := used[name]; n > 0 {
			name = sanitizeSheet(fmt.Sprintf("%s %d", name, n+1))
		}
		used[name]++
		if i == 0 {
			if err := f.SetSheetName("Sheet1", name); err != nil {
				return fmt.Errorf("write xlsx: %w", err)
			}
		} else if _, err := f.NewSheet(name); err != nil {
			return fmt.Errorf("write xlsx: %w", err)
		}
		if err := writeSheet(f, name, t, m, header, wrap, pct); err != nil {
			return fmt.Errorf("write xlsx sheet %s: %w", name, err)
		}
	}
	f.SetActiveSheet(0)
	if err := f.SetDocProps(&excelize.DocProperties{Creator: "egovnet", Title: m.District, Language: string(m.Lang)}); err != nil {
		return fmt.Errorf("write xlsx: %w", err)
	}
	if err := f.Write(w); err != nil {
		return fmt.Errorf("write xlsx: %w", err)
	}
	return nil
}

func writeSheet(f *excelize.File, sheet string, t Table, m Meta, header, wrap, pct int) error {
	head := t.Header(m.Lang)
	row := make([]any, len(head))
	for i, h := range head {
		row[i] = h
	}
	if err := f.SetSheetRow(sheet, "A1", &row); err != nil {
		return err
	}
	last, _ := excelize.CoordinatesToCellName(len(head), 1)
	if err := f.SetCellStyle(sheet, "A1", last, header); err != nil {
		return err
	}
	for r, cells := range t.Rows {
		out := make([]any, len(cells))
		for i, c := range cells {
			if s, ok := c.(string); ok {
				c = truncateRunes(s, maxCellRunes)
			}
			out[i] = c
		}
		cell, _ := excelize.CoordinatesToCellName(1, r+2)
		if err := f.SetSheetRow(sheet, cell, &out); err != nil {
			return err
		}
	}
	n := len(t.Rows) + 1
	for i, c := range t.Columns {
		col, _ := excelize.ColumnNumberToName(i + 1)
		width := 10 + 8*c.Width
		if err := f.SetColWidth(sheet, col, col, width); err != nil {
			return err
		}
		if n < 2 {
			continue
		}
		style := wrap
		if t.Percent[c.Key] {
			style = pct
		}
		if err := f.SetCellStyle(sheet, col+"2", fmt.Sprintf("%s%d", col, n), style); err != nil {
			return err
		}
	}
	if err := f.SetPanes(sheet, &excelize.Panes{Freeze: true, YSplit: 1, TopLeftCell: "A2", ActivePane: "bottomLeft"}); err != nil {
		return err
	}
	lastCell, _ := excelize.CoordinatesToCellName(len(head), n)
	return f.AutoFilter(sheet, "A1:"+lastCell, nil)
}
