package export

import (
	"fmt"
	"io"
	"strings"
	"unicode"

	"github.com/signintech/gopdf"
)

const fontFamily = "cjk"

// pdfDoc is a small flowing layout over gopdf: headings, wrapped
// paragraphs and tables whose header repeats on every page, and "page n of
// N" footers filled in at the end.
type pdfDoc struct {
	gp           *gopdf.GoPdf
	pageW, pageH float64
	margin       float64
	y            float64
	size         float64
	footer       string
	lang         Lang
	glyph        map[rune]bool
	width        map[runeSize]float64
}

type runeSize struct {
	r    rune
	size float64
}

func newPDF(font *Font, landscape bool, footer string, lang Lang) (*pdfDoc, error) {
	if font == nil {
		return nil, fmt.Errorf("write pdf: no CJK font")
	}
	size := *gopdf.PageSizeA4
	if landscape {
		size = gopdf.Rect{W: size.H, H: size.W}
	}
	gp := &gopdf.GoPdf{}
	gp.Start(gopdf.Config{PageSize: size})
	if err := gp.AddTTFFontData(fontFamily, font.Data); err != nil {
		return nil, fmt.Errorf("write pdf: embed font %s: %w", font.Path, err)
	}
	d := &pdfDoc{gp: gp, pageW: size.W, pageH: size.H, margin: 40, footer: footer, lang: lang,
		glyph: map[rune]bool{}, width: map[runeSize]float64{}}
	gp.SetInfo(gopdf.PdfInfo{Title: footer, Creator: "egovnet", Producer: "egovnet"})
	d.newPage()
	return d, nil
}

func (d *pdfDoc) newPage() {
	d.gp.AddPage()
	d.y = d.margin
	d.size = 0
}

func (d *pdfDoc) bottom() float64 { return d.pageH - d.margin - 12 }
func (d *pdfDoc) avail() float64  { return d.pageW - 2*d.margin }

func (d *pdfDoc) setSize(size float64) error {
	if d.size == size {
		return nil
	}
	d.size = size
	return d.gp.SetFont(fontFamily, "", size)
}

func lineHeight(size float64) float64 { return size * 1.4 }

// clean replaces what the font cannot draw: control characters become
// spaces, runes without a glyph become '?'.
func (d *pdfDoc) clean(s string) string {
	return strings.Map(func(r rune) rune {
		if r == '\n' {
			return r
		}
		if unicode.IsControl(r) {
			return ' '
		}
		ok, seen := d.glyph[r]
		if !seen {
			ok, _ = d.gp.IsCurrFontContainGlyph(r)
			d.glyph[r] = ok
		}
		if !ok {
			return '?'
		}
		return r
	}, s)
}

func (d *pdfDoc) runeWidth(r rune) float64 {
	k := runeSize{r, d.size}
	if w, ok := d.width[k]; ok {
		return w
	}
	w, err := d.gp.MeasureTextWidth(string(r))
	if err != nil {
		w = d.size
	}
	d.width[k] = w
	return w
}

// wrap breaks text into lines no wider than width at the current size,
// preferring to break Latin text at a space.
func (d *pdfDoc) wrap(text string, width float64) []string {
	var out []string
	for _, para := range strings.Split(d.clean(text), "\n") {
		rs := []rune(para)
		if len(rs) == 0 {
			out = append(out, "")
			continue
		}
		start, w, lastSpace := 0, 0.0, -1
		for i := 0; i < len(rs); i++ {
			rw := d.runeWidth(rs[i])
			if w+rw > width && i > start {
				cut := i
				if lastSpace > start && unicode.IsLetter(rs[i]) && rs[i] < 0x2E80 {
					cut = lastSpace + 1
				}
				out = append(out, strings.TrimRight(string(rs[start:cut]), " "))
				start, w, lastSpace = cut, 0, -1
				for j := start; j < i; j++ {
					w += d.runeWidth(rs[j])
				}
			}
			if rs[i] == ' ' {
				lastSpace = i
			}
			w += rw
		}
		out = append(out, string(rs[start:]))
	}
	return out
}

func (d *pdfDoc) textAt(x, y float64, s string) error {
	if s == "" {
		return nil
	}
	d.gp.SetXY(x, y)
	return d.gp.Cell(nil, s)
}

// ink sets black for text.
func (d *pdfDoc) ink() {
	d.gp.SetFillColor(0, 0, 0)
	d.gp.SetTextColor(0, 0, 0)
}

// ensure starts a new page unless h more points fit.
func (d *pdfDoc) ensure(h float64) {
	if d.y+h > d.bottom() {
		d.newPage()
	}
}

// title writes a centred title.
func (d *pdfDoc) title(s string) error {
	if err := d.setSize(16); err != nil {
		return err
	}
	for _, l := range d.wrap(s, d.avail()) {
		w, _ := d.gp.MeasureTextWidth(l)
		if err := d.textAt((d.pageW-w)/2, d.y, l); err != nil {
			return err
		}
		d.y += lineHeight(16)
	}
	d.y += 6
	return nil
}

// heading writes a section heading.
func (d *pdfDoc) heading(s string, size float64) error {
	if err := d.setSize(size); err != nil {
		return err
	}
	d.y += size * 0.6
	d.ensure(lineHeight(size) * 3) // keep a heading with what follows
	for _, l := range d.wrap(s, d.avail()) {
		d.ensure(lineHeight(size))
		if err := d.textAt(d.margin, d.y, l); err != nil {
			return err
		}
		d.y += lineHeight(size)
	}
	return nil
}

// para writes wrapped text, indented.
func (d *pdfDoc) para(s string, size, indent float64) error {
	if err := d.setSize(size); err != nil {
		return err
	}
	for _, l := range d.wrap(s, d.avail()-indent) {
		d.ensure(lineHeight(size))
		if err := d.textAt(d.margin+indent, d.y, l); err != nil {
			return err
		}
		d.y += lineHeight(size)
	}
	return nil
}

// table draws a bordered table; the header row repeats after page breaks
// and a cell taller than a page is cut with an ellipsis.
func (d *pdfDoc) table(cols []Column, head []string, rows [][]string, size float64) error {
	if err := d.setSize(size); err != nil {
		return err
	}
	total := 0.0
	for _, c := range cols {
		total += c.Width
	}
	widths := make([]float64, len(cols))
	for i, c := range cols {
		widths[i] = d.avail() * c.Width / total
	}
	const pad = 3.0
	lh := lineHeight(size)
	layout := func(cells []string) ([][]string, float64) {
		lines := make([][]string, len(cells))
		n := 1
		for i, c := range cells {
			lines[i] = d.wrap(c, widths[i]-2*pad)
			n = max(n, len(lines[i]))
		}
		return lines, float64(n)*lh + 2*pad
	}
	headLines, headH := layout(head)
	maxH := d.bottom() - d.margin - headH
	draw := func(lines [][]string, h float64, fill bool) error {
		style := "D"
		if fill {
			d.gp.SetFillColor(221, 235, 247)
			style = "FD"
		}
		x := d.margin
		for _, w := range widths {
			d.gp.RectFromUpperLeftWithStyle(x, d.y, w, h, style)
			x += w
		}
		d.ink() // PDF text is painted with the fill colour
		x = d.margin
		for i, w := range widths {
			for k, l := range lines[i] {
				if err := d.textAt(x+pad, d.y+pad+float64(k)*lh, l); err != nil {
					return err
				}
			}
			x += w
		}
		d.y += h
		return nil
	}
	d.gp.SetLineWidth(0.5)
	d.gp.SetStrokeColor(120, 120, 120)
	d.ensure(headH + lh + 2*pad)
	if err := draw(headLines, headH, true); err != nil {
		return err
	}
	for _, r := range rows {
		lines, h := layout(r)
		if h > maxH {
			keep := max(int((maxH-2*pad)/lh), 2)
			for i := range lines {
				if len(lines[i]) > keep {
					lines[i] = append(lines[i][:keep-1], "…")
				}
			}
			h = float64(keep)*lh + 2*pad
		}
		if d.y+h > d.bottom() {
			d.newPage()
			if err := d.setSize(size); err != nil {
				return err
			}
			if err := draw(headLines, headH, true); err != nil {
				return err
			}
		}
		if err := draw(lines, h, false); err != nil {
			return err
		}
	}
	d.y += 4
	return nil
}

// finish numbers the pages ("第 n 页 / 共 N 页") and writes the PDF.
func (d *pdfDoc) finish(w io.Writer) error {
	n := d.gp.GetNumberOfPages()
	d.size = 0
	if err := d.setSize(8); err != nil {
		return err
	}
	for p := 1; p <= n; p++ {
		if err := d.gp.SetPage(p); err != nil {
			return fmt.Errorf("write pdf: %w", err)
		}
		d.gp.SetTextColor(90, 90, 90)
		d.gp.SetFillColor(90, 90, 90)
		num := fmt.Sprintf("第 %d 页 / 共 %d 页", p, n)
		if d.lang == EN {
			num = fmt.Sprintf("Page %d of %d", p, n)
		}
		y := d.pageH - d.margin + 8
		if err := d.textAt(d.margin, y, d.clean(d.footer)); err != nil {
			return err
		}
		wn, _ := d.gp.MeasureTextWidth(num)
		if err := d.textAt(d.pageW-d.margin-wn, y, num); err != nil {
			return err
		}
	}
	if _, err := d.gp.WriteTo(w); err != nil {
		return fmt.Errorf("write pdf: %w", err)
	}
	return nil
}

// stringRows renders table cells as text for the PDF.
func stringRows(t Table) [][]string {
	out := make([][]string, 0, t.Count())
	_ = t.Each(func(r []any) error {
		row := make([]string, len(r))
		for j, c := range r {
			row[j] = cellText(c, t.Percent[t.Columns[j].Key])
		}
		out = append(out, row)
		return nil
	})
	return out
}
