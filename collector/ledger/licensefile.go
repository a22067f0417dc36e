package ledger

import (
	"archive/zip"
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"text/tabwriter"
	"unicode/utf8"

	"github.com/egovnet/egovnet/internal/catalog"
	"github.com/xuri/excelize/v2"
	"golang.org/x/text/encoding/simplifiedchinese"
)

// Bounds of an imported licence file. A district's ledger has a few
// thousand licences; these leave room for that and stop a hostile upload
// (16 MB of junk rows, a zip bomb) from costing more than a few tens of MB.
const (
	// MaxLicenseFileBytes bounds the file as sent (CSV or XLSX).
	MaxLicenseFileBytes = 16 << 20
	// MaxLicenseRows bounds the non-empty data rows of a sheet.
	MaxLicenseRows = 10_000
	// MaxLicenseColumns bounds the columns the heading row may name.
	MaxLicenseColumns = 64
	// MaxLicenseUnzipBytes bounds what an XLSX workbook inflates to, by the
	// zip's declared sizes (archive/zip refuses a member that inflates past
	// its declared size, so the declaration binds).
	MaxLicenseUnzipBytes = 64 << 20
	// maxLicenseXMLBytes is the part excelize keeps in memory; a larger
	// sheet is unpacked to a temporary file instead.
	maxLicenseXMLBytes = 8 << 20
	// maxLicenseLineBytes bounds one line of a CSV sheet (64 columns of
	// 512 characters fit).
	maxLicenseLineBytes = 128 << 10
	// maxZipEntries bounds the members of an XLSX workbook.
	maxZipEntries = 1000
)

// ErrLicenseFileTooLarge is a licence file beyond the bounds above.
var ErrLicenseFileTooLarge = errors.New("licence file too large")

// licenseColumn is one column of the licence sheet: key, Chinese heading
// (what exports write), the other headings imports accept, how an import
// stores a cell (nil: written by exports, ignored by imports) and how an
// export renders it.
type licenseColumn struct {
	key, zh string
	aliases []string
	set     func(l *License, v string) error
	get     func(l License) string
}

// text is a column stored as the cell's text.
func text(key, zh string, aliases []string, field func(l *License) *string) licenseColumn {
	return licenseColumn{key: key, zh: zh, aliases: aliases,
		set: func(l *License, v string) error { *field(l) = v; return nil },
		get: func(l License) string { return *field(&l) }}
}

var (
	moneyNoise = regexp.MustCompile(`[¥￥,，元\s]|rmb|cny`)
	seatsNoise = regexp.MustCompile(`[套个份台\s]|seats?$|copies$`)
)

var licenseColumns = []licenseColumn{
	text("id", "编号", []string{"序号编码", "licence id", "license id"}, func(l *License) *string { return &l.ID }),
	text("product", "软件产品", []string{"产品", "产品编码", "product key"}, func(l *License) *string { return &l.Product }),
	text("product_name", "软件名称", []string{"名称", "软件", "name", "product name", "software"}, func(l *License) *string { return &l.ProductName }),
	{key: "category", zh: "软件类别", aliases: []string{"类别", "类型"}, get: func(l License) string { return categoryZH(l.Category) }},
	{key: "vendor", zh: "厂商", aliases: []string{"生产厂商", "供应商"}, get: func(l License) string { return l.Vendor }},
	{key: "domestic", zh: "国产", aliases: []string{"是否国产"}, get: func(l License) string { return yesNo(l.Domestic) }},
	text("version_range", "版本范围", []string{"版本", "版本号", "version", "versions"}, func(l *License) *string { return &l.VersionRange }),
	text("edition", "版本类型", []string{"版别", "授权版本"}, func(l *License) *string { return &l.Edition }),
	{key: "seats", zh: "授权数量", aliases: []string{"数量", "授权数", "套数", "seat", "licenses", "licences", "count"},
		set: func(l *License, v string) error {
			n, err := strconv.Atoi(seatsNoise.ReplaceAllString(strings.ToLower(v), ""))
			if err != nil {
				return fmt.Errorf("seats %q is not a whole number", quoteClip(v))
			}
			l.Seats = n
			return nil
		},
		get: func(l License) string { return strconv.Itoa(l.Seats) }},
	{key: "department", zh: "使用部门", aliases: []string{"部门", "单位", "部门代码", "dept"},
		set: func(l *License, v string) error {
			switch strings.ToLower(v) {
			case "共享池", "共享", "pool", "shared", "全区", "-":
				v = ""
			}
			l.Department = v
			return nil
		},
		get: func(l License) string { return l.Department }},
	{key: "cost", zh: "费用(元)", aliases: []string{"费用", "金额", "金额(元)", "价格", "cost (yuan)", "cost(yuan)", "price"},
		set: func(l *License, v string) error {
			s := moneyNoise.ReplaceAllString(strings.ToLower(v), "")
			if s == "" {
				return nil
			}
			f, err := strconv.ParseFloat(s, 64)
			if err != nil {
				return fmt.Errorf("cost %q is not an amount", quoteClip(v))
			}
			l.Cost = f
			return nil
		},
		get: func(l License) string { return strconv.FormatFloat(l.Cost, 'f', 2, 64) }},
	text("purpose", "用途", []string{"使用用途"}, func(l *License) *string { return &l.Purpose }),
	text("contract_no", "合同编号", []string{"合同号", "contract", "contract number"}, func(l *License) *string { return &l.ContractNo }),
	text("purchase_date", "购买日期", []string{"采购日期", "购置日期", "purchased"}, func(l *License) *string { return &l.PurchaseDate }),
	text("expiry", "到期日期", []string{"有效期至", "截止日期", "到期日", "expires", "expiry date"}, func(l *License) *string { return &l.Expiry }),
	text("filing_status", "备案状态", []string{"是否备案", "备案", "filing", "filed"}, func(l *License) *string { return &l.FilingStatus }),
	text("notes", "备注", []string{"说明", "note"}, func(l *License) *string { return &l.Notes }),
}

// quoteClip shortens a cell quoted in a problem, so a megabyte cell does not
// come back in the error body.
func quoteClip(s string) string {
	const max = 64
	if utf8.RuneCountInString(s) <= max {
		return s
	}
	r := []rune(s)
	return string(r[:max]) + "…"
}

func headingKey(h string) (licenseColumn, bool) {
	h = strings.ToLower(strings.TrimSpace(strings.TrimPrefix(h, "\ufeff")))
	h = strings.NewReplacer("（", "(", "）", ")", " ", "").Replace(h)
	for _, c := range licenseColumns {
		cands := append([]string{c.key, c.zh, strings.ReplaceAll(c.key, "_", "")}, c.aliases...)
		for _, a := range cands {
			if strings.ReplaceAll(strings.ToLower(a), " ", "") == h {
				return c, true
			}
		}
	}
	return licenseColumn{}, false
}

// ReadLicensesCSV parses a licence sheet in CSV (UTF-8 with or without BOM,
// or GBK as Excel saves it on Chinese Windows). The first row names the
// columns (English keys or the Chinese headings exports write). Every
// problem is reported with its line (the first MaxProblems of them);
// nothing is returned on error.
func ReadLicensesCSV(r io.Reader) ([]License, error) {
	b, err := io.ReadAll(io.LimitReader(r, MaxLicenseFileBytes+1))
	if err != nil {
		return nil, fmt.Errorf("read licence csv: %w", err)
	}
	if len(b) > MaxLicenseFileBytes {
		return nil, fmt.Errorf("read licence csv: %w: larger than %d MB", ErrLicenseFileTooLarge, MaxLicenseFileBytes>>20)
	}
	b = bytes.TrimPrefix(b, []byte("\ufeff"))
	if !utf8.Valid(b) {
		if d, err := simplifiedchinese.GB18030.NewDecoder().Bytes(b); err == nil {
			b = d
		} else {
			return nil, errors.New("read licence csv: neither UTF-8 nor GBK text")
		}
	}
	// encoding/csv holds a whole record: one 16 MB line of commas would be
	// millions of fields, so lines are bounded before it sees them.
	for line, rest := 1, b; len(rest) > 0; line++ {
		i := bytes.IndexByte(rest, '\n')
		if i < 0 {
			i = len(rest)
		}
		if i > maxLicenseLineBytes {
			return nil, fmt.Errorf("read licence csv: %w: line %d is longer than %d KB", ErrLicenseFileTooLarge, line, maxLicenseLineBytes>>10)
		}
		rest = rest[min(i+1, len(rest)):]
	}
	cr := csv.NewReader(bytes.NewReader(b))
	cr.FieldsPerRecord = -1
	cr.TrimLeadingSpace = true
	cr.ReuseRecord = true
	ls, err := parseLicenseRows(func() ([]string, error) {
		rec, err := cr.Read()
		if err != nil && !errors.Is(err, io.EOF) {
			return nil, fmt.Errorf("read licence csv: %w", err)
		}
		return rec, err
	}, "line")
	if err != nil {
		return nil, err
	}
	return ls, nil
}

// ReadLicensesXLSX parses the first sheet of an XLSX licence workbook. The
// workbook is checked before excelize inflates it: at most maxZipEntries
// members declaring at most MaxLicenseUnzipBytes in all.
func ReadLicensesXLSX(r io.Reader) ([]License, error) {
	b, err := io.ReadAll(io.LimitReader(r, MaxLicenseFileBytes+1))
	if err != nil {
		return nil, fmt.Errorf("read licence xlsx: %w", err)
	}
	if len(b) > MaxLicenseFileBytes {
		return nil, fmt.Errorf("read licence xlsx: %w: larger than %d MB", ErrLicenseFileTooLarge, MaxLicenseFileBytes>>20)
	}
	zr, err := zip.NewReader(bytes.NewReader(b), int64(len(b)))
	if err != nil {
		return nil, fmt.Errorf("read licence xlsx: not an XLSX workbook: %w", err)
	}
	if len(zr.File) > maxZipEntries {
		return nil, fmt.Errorf("read licence xlsx: %w: %d parts in the workbook, at most %d", ErrLicenseFileTooLarge, len(zr.File), maxZipEntries)
	}
	var inflated uint64
	for _, zf := range zr.File {
		inflated += zf.UncompressedSize64
		if inflated > MaxLicenseUnzipBytes || zf.UncompressedSize64 > MaxLicenseUnzipBytes {
			return nil, fmt.Errorf("read licence xlsx: %w: the workbook inflates to more than %d MB; a licence sheet has at most %d rows", ErrLicenseFileTooLarge, MaxLicenseUnzipBytes>>20, MaxLicenseRows)
		}
	}
	f, err := excelize.OpenReader(bytes.NewReader(b), excelize.Options{UnzipSizeLimit: MaxLicenseUnzipBytes, UnzipXMLSizeLimit: maxLicenseXMLBytes})
	if err != nil {
		return nil, fmt.Errorf("read licence xlsx: %w", err)
	}
	defer f.Close()
	sheets := f.GetSheetList()
	if len(sheets) == 0 {
		return nil, errors.New("read licence xlsx: the workbook has no sheet")
	}
	rows, err := f.Rows(sheets[0])
	if err != nil {
		return nil, fmt.Errorf("read licence xlsx: %w", err)
	}
	defer rows.Close()
	return parseLicenseRows(func() ([]string, error) {
		if !rows.Next() {
			if err := rows.Error(); err != nil {
				return nil, fmt.Errorf("read licence xlsx: %w", err)
			}
			return nil, io.EOF
		}
		rec, err := rows.Columns()
		if err != nil {
			return nil, fmt.Errorf("read licence xlsx: %w", err)
		}
		return rec, nil
	}, "row")
}

// LicenseReader picks the reader of a licence sheet by its file name:
// .xlsx is a workbook, .csv and .txt are CSV (Excel's "save as text" keeps
// the columns); ok is false for anything else.
func LicenseReader(name string) (read func(io.Reader) ([]License, error), ok bool) {
	switch strings.ToLower(filepath.Ext(name)) {
	case ".xlsx":
		return ReadLicensesXLSX, true
	case ".csv", ".txt":
		return ReadLicensesCSV, true
	}
	return nil, false
}

// ReadLicensesFile reads a CSV or XLSX licence file (by extension) and
// validates every row against the catalog: the plan's
// software.licenses_file for the offline audit.
func ReadLicensesFile(path string, cat *catalog.Catalog) ([]License, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("open licences file: %w", err)
	}
	defer f.Close()
	read, ok := LicenseReader(path)
	if !ok {
		return nil, fmt.Errorf("licences file %s: want a .csv or .xlsx file", path)
	}
	ls, err := read(f)
	if err != nil {
		return nil, fmt.Errorf("licences file %s: %w", path, err)
	}
	var problems problemList
	for i := range ls {
		if err := ls[i].Normalize(cat); err != nil {
			var ve *ValidationError
			if errors.As(err, &ve) {
				for _, p := range ve.Problems {
					problems.add("row %d: %s", i+1, p)
				}
			}
		}
		if ls[i].ID == "" {
			ls[i].ID = fmt.Sprintf("row-%d", i+1)
		}
	}
	if problems.len() > 0 {
		return nil, fmt.Errorf("licences file %s: %w", path, &ValidationError{Problems: problems.list()})
	}
	return ls, nil
}

// parseLicenseRows reads a sheet row by row from next (io.EOF at the end):
// the heading row, then at most MaxLicenseRows non-empty data rows. unit
// names a row in problems ("line" for CSV, "row" for XLSX).
func parseLicenseRows(next func() ([]string, error), unit string) ([]License, error) {
	header, err := next()
	if errors.Is(err, io.EOF) {
		return nil, errors.New("the sheet is empty: the first row must name the columns")
	}
	if err != nil {
		return nil, err
	}
	for len(header) > 0 && strings.TrimSpace(header[len(header)-1]) == "" {
		header = header[:len(header)-1]
	}
	if len(header) > MaxLicenseColumns {
		return nil, &ValidationError{Problems: []string{fmt.Sprintf("%s 1: %d columns, a licence sheet has at most %d", unit, len(header), MaxLicenseColumns)}}
	}
	cols := make([]*licenseColumn, len(header))
	var problems problemList
	seen := map[string]bool{}
	for i, h := range header {
		if strings.TrimSpace(h) == "" {
			continue
		}
		c, ok := headingKey(h)
		if !ok {
			problems.add("%s 1: unknown column %q", unit, quoteClip(h))
			continue
		}
		if seen[c.key] {
			problems.add("%s 1: column %q appears twice", unit, quoteClip(h))
		}
		seen[c.key] = true
		if c.set != nil {
			cols[i] = &c
		}
	}
	if !seen["product"] && !seen["product_name"] {
		problems.add("%s 1: no product column (product or 软件名称)", unit)
	}
	if !seen["seats"] {
		problems.add("%s 1: no seats column (seats or 授权数量)", unit)
	}
	if problems.len() > 0 {
		return nil, &ValidationError{Problems: problems.list()}
	}
	var out []License
	for line := 2; ; line++ {
		rec, err := next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, err
		}
		empty := true
		for _, v := range rec {
			if strings.TrimSpace(v) != "" {
				empty = false
				break
			}
		}
		if empty {
			continue
		}
		if len(out) == MaxLicenseRows {
			return nil, &ValidationError{Problems: append([]string{fmt.Sprintf("%s %d: more than %d licence rows; split the sheet", unit, line, MaxLicenseRows)}, problems.list()...)}
		}
		var l License
		for i, v := range rec {
			if i >= len(cols) || cols[i] == nil {
				continue
			}
			if err := cols[i].set(&l, strings.TrimSpace(v)); err != nil {
				problems.add("%s %d: %v", unit, line, err)
			}
		}
		out = append(out, l)
	}
	if problems.len() > 0 {
		return nil, &ValidationError{Problems: problems.list()}
	}
	return out, nil
}

// licenseTable renders licences with the Chinese headings.
func licenseTable(ls []License) ([]string, [][]string) {
	head := make([]string, len(licenseColumns))
	for i, c := range licenseColumns {
		head[i] = c.zh
	}
	rows := make([][]string, 0, len(ls))
	for _, l := range ls {
		row := make([]string, len(licenseColumns))
		for i, c := range licenseColumns {
			row[i] = c.get(l)
		}
		rows = append(rows, row)
	}
	return head, rows
}

// WriteLicensesCSV writes licences as CSV with a UTF-8 BOM (so Excel opens
// the Chinese headings correctly); ReadLicensesCSV reads it back.
func WriteLicensesCSV(w io.Writer, ls []License) error {
	head, rows := licenseTable(ls)
	return writeCSV(w, head, rows)
}

// WriteLicensesXLSX writes licences as an XLSX workbook.
func WriteLicensesXLSX(w io.Writer, ls []License) error {
	head, rows := licenseTable(ls)
	return writeXLSX(w, "授权台账", head, rows)
}

// WriteLicensesText writes licences as an aligned table for terminals.
func WriteLicensesText(w io.Writer, ls []License) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "编号 ID\t软件 PRODUCT\t类别 CATEGORY\t国产 DOMESTIC\t部门 DEPT\t授权数 SEATS\t版本 VERSIONS\t到期 EXPIRY\t备案 FILING\t合同 CONTRACT")
	for _, l := range ls {
		dept := l.Department
		if dept == "" {
			dept = "共享池 pool"
		}
		fmt.Fprintf(tw, "%s\t%s (%s)\t%s\t%s\t%s\t%d\t%s\t%s\t%s\t%s\n", l.ID, l.ProductName, l.Product, l.Category, yesNo(l.Domestic),
			dept, l.Seats, l.VersionRange, l.Expiry, l.FilingStatus, l.ContractNo)
	}
	if err := tw.Flush(); err != nil {
		return fmt.Errorf("write table: %w", err)
	}
	return nil
}
