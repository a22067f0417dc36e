package export

import (
	"fmt"
	"io"

	"github.com/xuri/excelize/v2"
)

// maxCellRunes keeps cells under Excel's 32 767-character limit.
const maxCellRunes = 32000

// WriteXLSX writes one sheet per table: bold frozen header, filters,
// wrapped text, numbers as numbers, percentages formatted. Sheets go
// through excelize's StreamWriter, which keeps a few rows in memory and
// the rest in a temporary file, so a sheet of 200,000 rows costs tens of
// MB, not gigabytes.
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
	n := t.Count() + 1
	// The filter must be on the sheet before the stream writer takes it
	// over: the writer copies the sheet's settings and then writes rows.
	lastCell, _ := excelize.CoordinatesToCellName(len(head), n)
	if err := f.AutoFilter(sheet, "A1:"+lastCell, nil); err != nil {
		return err
	}
	sw, err := f.NewStreamWriter(sheet)
	if err != nil {
		return err
	}
	for i, c := range t.Columns {
		if err := sw.SetColWidth(i+1, i+1, 10+8*c.Width); err != nil {
			return err
		}
	}
	if err := sw.SetPanes(&excelize.Panes{Freeze: true, YSplit: 1, TopLeftCell: "A2", ActivePane: "bottomLeft"}); err != nil {
		return err
	}
	row := make([]any, len(head))
	for i, h := range head {
		row[i] = excelize.Cell{StyleID: header, Value: h}
	}
	if err := sw.SetRow("A1", row); err != nil {
		return err
	}
	r := 1
	out := make([]any, len(head))
	err = t.Each(func(cells []any) error {
		r++ // a streamed source may gain rows after it was counted: they are written, outside the filter range
		for i, c := range cells {
			if s, ok := c.(string); ok {
				c = truncateRunes(s, maxCellRunes)
			}
			style := wrap
			if i < len(t.Columns) && t.Percent[t.Columns[i].Key] {
				style = pct
			}
			out[i] = excelize.Cell{StyleID: style, Value: c}
		}
		cell, _ := excelize.CoordinatesToCellName(1, r)
		return sw.SetRow(cell, out[:len(cells)])
	})
	if err != nil {
		return err
	}
	return sw.Flush()
}
