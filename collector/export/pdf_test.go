package export

import (
	"bytes"
	"context"
	"fmt"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/egovnet/egovnet/internal/testenv"
	"github.com/egovnet/egovnet/internal/wire"
)

func testExporter(t *testing.T) *Exporter {
	t.Helper()
	e := &Exporter{}
	if _, err := e.Font(); err != nil {
		testenv.Missing(t, "CJK font for PDF export: %v", err)
	}
	return e
}

// pdfText runs poppler's pdftotext and returns the text with all
// whitespace removed (wrapped Chinese lines join up again).
func pdfText(t *testing.T, pdf []byte) (raw, compact string) {
	t.Helper()
	bin := testenv.Binary(t, "pdftotext")
	path := filepath.Join(t.TempDir(), "out.pdf")
	if err := os.WriteFile(path, pdf, 0o600); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	out, err := exec.CommandContext(ctx, bin, "-enc", "UTF-8", path, "-").Output()
	if err != nil {
		t.Fatalf("pdftotext: %v", err)
	}
	return string(out), strings.Join(strings.Fields(string(out)), "")
}

// inkedPixels renders page to PNG with pdftoppm and counts non-white pixels.
func inkedPixels(t *testing.T, pdf []byte, page int) (inked, total int) {
	t.Helper()
	bin := testenv.Binary(t, "pdftoppm")
	dir := t.TempDir()
	path := filepath.Join(dir, "out.pdf")
	if err := os.WriteFile(path, pdf, 0o600); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	p := fmt.Sprint(page)
	if out, err := exec.CommandContext(ctx, bin, "-png", "-r", "60", "-f", p, "-l", p, "-singlefile", path, filepath.Join(dir, "page")).CombinedOutput(); err != nil {
		t.Fatalf("pdftoppm: %v\n%s", err, out)
	}
	f, err := os.Open(filepath.Join(dir, "page.png"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	img, err := png.Decode(f)
	if err != nil {
		t.Fatalf("decode rendered page: %v", err)
	}
	b := img.Bounds()
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			r, g, bl, _ := img.At(x, y).RGBA()
			if r < 0xC000 || g < 0xC000 || bl < 0xC000 {
				inked++
			}
			total++
		}
	}
	return inked, total
}

func TestViolationsPDF(t *testing.T) {
	e := testExporter(t)
	tests := []struct {
		name     string
		vs       []wire.Violation
		lang     Lang
		want     []string // must appear (whitespace removed)
		minPages int
		minInk   int // per mille of page 1's pixels that must be inked
	}{
		{
			name: "zh with citations and evidence",
			vs:   testViolations(), lang: ZH,
			want: []string{"电子政务外网违规情况报告", "区县：杨浦区", "数据截至：2026-03-20",
				"自建互联网出口", "业务专网", "部门自建网站", "第十九条",
				"公务网应当与互联网物理隔离", "依据条款", "证据", "next_hop=203.0.113.1", "公安专线", "第1页/共1页"},
			minPages: 1, minInk: 10,
		},
		{
			name: "en",
			vs:   testViolations(), lang: EN,
			want:     []string{"E-governmentextranetviolationreport", "Owninternetexit", "Legalbasis", "Page1of", "Internetinterfacesarecentralised"},
			minPages: 1, minInk: 10,
		},
		{
			name: "many violations break pages",
			vs:   manyViolations(80), lang: ZH,
			want:     []string{"第1页/共", "第2页/共", "地址超出规划"},
			minPages: 3, minInk: 10,
		},
		{name: "no violations", vs: nil, lang: ZH, want: []string{"违规共0项", "第1页/共1页"}, minPages: 1, minInk: 3},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var buf bytes.Buffer
			m := testMeta(tc.lang)
			if err := e.Violations(&buf, PDF, tc.vs, m); err != nil {
				t.Fatal(err)
			}
			if !bytes.HasPrefix(buf.Bytes(), []byte("%PDF-")) {
				t.Fatal("not a PDF")
			}
			raw, text := pdfText(t, buf.Bytes())
			for _, w := range tc.want {
				if !strings.Contains(text, w) {
					t.Errorf("pdftotext output lacks %q:\n%s", w, raw)
				}
			}
			pages := strings.Count(raw, "\f")
			if pages < tc.minPages {
				t.Errorf("pages = %d, want at least %d", pages, tc.minPages)
			}
			if tc.lang == ZH {
				last := regexp.MustCompile(`第(\d+)页/共(\d+)页`).FindAllStringSubmatch(text, -1)
				if len(last) != pages || last[len(last)-1][1] != last[len(last)-1][2] || last[0][2] != fmt.Sprint(pages) {
					t.Errorf("page numbers %v do not count %d pages", last, pages)
				}
			}
			inked, total := inkedPixels(t, buf.Bytes(), 1)
			// A4 at 60 dpi is ~ 496x702 pixels; a blank page, or one whose
			// glyphs failed to embed, inks almost none of it.
			if inked*1000 < total*tc.minInk {
				t.Errorf("page 1 looks blank: %d of %d pixels inked", inked, total)
			}
		})
	}
}

func manyViolations(n int) []wire.Violation {
	base := testViolations()
	out := make([]wire.Violation, 0, n)
	for i := 0; i < n; i++ {
		v := base[i%len(base)]
		v.ID = fmt.Sprint("m", i)
		v.Subject = fmt.Sprintf("10.1.%d.%d", i/250, i%250)
		if i%7 == 0 {
			v.Rule = wire.RuleAddressOutsidePlan
		}
		out = append(out, v)
	}
	return out
}

func TestTablesPDF(t *testing.T) {
	e := testExporter(t)
	tests := []struct {
		name  string
		write func(w *bytes.Buffer) error
		want  []string
	}{
		{"ledger", func(w *bytes.Buffer) error { return e.Ledger(w, PDF, testLedger(), "", testMeta(ZH)) },
			[]string{"软件正版化台账", "软件使用情况汇总表", "软件使用情况明细表", "Windows10专业版", "张三", "75.0%"}},
		{"progress landscape", func(w *bytes.Buffer) error { return e.Progress(w, PDF, testSnapshots(), testMeta(ZH)) },
			[]string{"电子政务外网整合进度", "互联网出口", "全区合计", "87.5%", "第1页/共1页"}},
		{"empty ledger", func(w *bytes.Buffer) error { return e.Ledger(w, PDF, Ledger{}, "", testMeta(EN)) },
			[]string{"Softwarelegalizationledger", "(nodata)"}},
		{"cell taller than a page is cut", func(w *bytes.Buffer) error {
			l := testLedger()
			l.Summary[0].Product = strings.Repeat("超长软件名称", 3000)
			return e.Ledger(w, PDF, l, "", testMeta(ZH))
		}, []string{"超长软件名称", "…", "WPSOffice", "张三"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var buf bytes.Buffer
			if err := tc.write(&buf); err != nil {
				t.Fatal(err)
			}
			raw, text := pdfText(t, buf.Bytes())
			for _, w := range tc.want {
				if !strings.Contains(text, w) {
					t.Errorf("pdftotext output lacks %q:\n%s", w, raw)
				}
			}
			if inked, total := inkedPixels(t, buf.Bytes(), 1); inked*200 < total {
				t.Errorf("page 1 looks blank: %d of %d pixels inked", inked, total)
			}
		})
	}
}

func TestFindFont(t *testing.T) {
	dir := t.TempDir()
	notFont := filepath.Join(dir, "x.ttf")
	if err := os.WriteFile(notFont, []byte("this is not a font at all"), 0o600); err != nil {
		t.Fatal(err)
	}
	cff := filepath.Join(dir, "cff.otf")
	if err := os.WriteFile(cff, append([]byte("OTTO"), make([]byte, 64)...), 0o600); err != nil {
		t.Fatal(err)
	}
	latin := "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"
	tests := []struct {
		name string
		path string
		want string
	}{
		{"missing configured file", filepath.Join(dir, "none.ttf"), "no such file"},
		{"not a font", notFont, "not a TrueType font"},
		{"CFF outlines", cff, "CFF"},
		{"latin-only font", latin, "no glyph"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if tc.path == latin {
				if _, err := os.Stat(latin); err != nil {
					t.Skip("DejaVu not installed")
				}
			}
			_, err := FindFont(tc.path)
			if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), "export.font_file") {
				t.Fatalf("FindFont(%s) = %v, want an error naming %q and export.font_file", tc.path, err, tc.want)
			}
			var buf bytes.Buffer
			err = (&Exporter{FontFile: tc.path}).Violations(&buf, PDF, testViolations(), testMeta(ZH))
			if err == nil || buf.Len() != 0 {
				t.Fatalf("PDF export with bad font = %v, %d bytes written; want an error and nothing written", err, buf.Len())
			}
		})
	}
	t.Run("collection extracted", func(t *testing.T) {
		const ttc = "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc"
		if _, err := os.Stat(ttc); err != nil {
			testenv.Missing(t, "fonts-wqy-microhei not installed: %v", err)
		}
		f, err := FindFont(ttc)
		if err != nil {
			t.Fatal(err)
		}
		if string(f.Data[:4]) != "\x00\x01\x00\x00" {
			t.Fatalf("extracted font starts with %q, want a TrueType sfnt", f.Data[:4])
		}
	})
}
