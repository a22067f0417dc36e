package ledger

import (
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

// MaxLicenseFileBytes bounds an imported licence file.
const MaxLicenseFileBytes = 16 << 20

// licenseColumn is one column of the licence sheet: key, Chinese heading
// (what exports write), and the other headings imports accept.
type licenseColumn struct {
	key, zh  string
	aliases  []string
	readOnly bool // written by exports, ignored by imports
}

var licenseColumns = []licenseColumn{
	{key: "id", zh: "编号", aliases: []string{"序号编码", "licence id", "license id"}},
	{key: "product", zh: "软件产品", aliases: []string{"产品", "产品编码", "product key"}},
	{key: "product_name", zh: "软件名称", aliases: []string{"名称", "软件", "name", "product name", "software"}},
	{key: "category", zh: "软件类别", aliases: []string{"类别", "类型"}, readOnly: true},
	{key: "vendor", zh: "厂商", aliases: []string{"生产厂商", "供应商"}, readOnly: true},
	{key: "domestic", zh: "国产", aliases: []string{"是否国产"}, readOnly: true},
	{key: "version_range", zh: "版本范围", aliases: []string{"版本", "版本号", "version", "versions"}},
	{key: "edition", zh: "版本类型", aliases: []string{"版别", "授权版本"}},
	{key: "seats", zh: "授权数量", aliases: []string{"数量", "授权数", "套数", "seat", "licenses", "licences", "count"}},
	{key: "department", zh: "使用部门", aliases: []string{"部门", "单位", "部门代码", "dept"}},
	{key: "cost", zh: "费用(元)", aliases: []string{"费用", "金额", "金额(元)", "价格", "cost (yuan)", "cost(yuan)", "price"}},
	{key: "purpose", zh: "用途", aliases: []string{"使用用途"}},
	{key: "contract_no", zh: "合同编号", aliases: []string{"合同号", "contract", "contract number"}},
	{key: "purchase_date", zh: "购买日期", aliases: []string{"采购日期", "购置日期", "purchased"}},
	{key: "expiry", zh: "到期日期", aliases: []string{"有效期至", "截止日期", "到期日", "expires", "expiry date"}},
	{key: "filing_status", zh: "备案状态", aliases: []string{"是否备案", "备案", "filing", "filed"}},
	{key: "notes", zh: "备注", aliases: []string{"说明", "note"}},
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
// problem is reported with its line; nothing is returned on error.
func ReadLicensesCSV(r io.Reader) ([]License, error) {
	b, err := io.ReadAll(io.LimitReader(r, MaxLicenseFileBytes+1))
	if err != nil {
		return nil, fmt.Errorf("read licence csv: %w", err)
	}
	if len(b) > MaxLicenseFileBytes {
		return nil, fmt.Errorf("read licence csv: larger than %d bytes", MaxLicenseFileBytes)
	}
	b = bytes.TrimPrefix(b, []byte("\ufeff"))
	if !utf8.Valid(b) {
		if d, err := simplifiedchinese.GB18030.NewDecoder().Bytes(b); err == nil {
			b = d
		} else {
			return nil, errors.New("read licence csv: neither UTF-8 nor GBK text")
		}
	}
	cr := csv.NewReader(bytes.NewReader(b))
	cr.FieldsPerRecord = -1
	cr.TrimLeadingSpace = true
	records, err := cr.ReadAll()
	if err != nil {
		return nil, fmt.Errorf("read licence csv: %w", err)
	}
	return parseLicenseRecords(records, "line")
}

// ReadLicensesXLSX parses the first sheet of an XLSX licence workbook.
func ReadLicensesXLSX(r io.Reader) ([]License, error) {
	f, err := excelize.OpenReader(io.LimitReader(r, MaxLicenseFileBytes+1))
	if err != nil {
		return nil, fmt.Errorf("read licence xlsx: %w", err)
	}
	defer f.Close()
	sheets := f.GetSheetList()
	if len(sheets) == 0 {
		return nil, errors.New("read licence xlsx: the workbook has no sheet")
	}
	rows, err := f.GetRows(sheets[0])
	if err != nil {
		return nil, fmt.Errorf("read licence xlsx: %w", err)
	}
	return parseLicenseRecords(rows, "row")
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
	var ls []License
	switch strings.ToLower(filepath.Ext(path)) {
	case ".xlsx":
		ls, err = ReadLicensesXLSX(f)
	case ".csv", ".txt":
		ls, err = ReadLicensesCSV(f)
	default:
		return nil, fmt.Errorf("licences file %s: want a .csv or .xlsx file", path)
	}
	if err != nil {
		return nil, fmt.Errorf("licences file %s: %w", path, err)
	}
	var problems []string
	for i := range ls {
		if err := ls[i].Normalize(cat); err != nil {
			var ve *ValidationError
			if errors.As(err, &ve) {
				for _, p := range ve.Problems {
					problems = append(problems, fmt.Sprintf("row %d: %s", i+1, p))
				}
			}
		}
		if ls[i].ID == "" {
			ls[i].ID = fmt.Sprintf("row-%d", i+1)
		}
	}
	if len(problems) > 0 {
		return nil, fmt.Errorf("licences file %s: %w", path, &ValidationError{Problems: problems})
	}
	return ls, nil
}

var (
	moneyNoise = regexp.MustCompile(`[¥￥,，元\s]|rmb|cny`)
	seatsNoise = regexp.MustCompile(`[套个份台\s]|seats?$|copies$`)
)

func parseLicenseRecords(records [][]string, unit string) ([]License, error) {
	if len(records) == 0 {
		return nil, errors.New("the sheet is empty: the first row must name the columns")
	}
	header := records[0]
	cols := make([]licenseColumn, len(header))
	var problems []string
	seen := map[string]bool{}
	hasProduct := false
	for i, h := range header {
		if strings.TrimSpace(h) == "" {
			continue
		}
		c, ok := headingKey(h)
		if !ok {
			problems = append(problems, fmt.Sprintf("%s 1: unknown column %q", unit, h))
			continue
		}
		if seen[c.key] {
			problems = append(problems, fmt.Sprintf("%s 1: column %q appears twice", unit, h))
		}
		seen[c.key] = true
		cols[i] = c
		if c.key == "product" || c.key == "product_name" {
			hasProduct = true
		}
	}
	if !hasProduct {
		problems = append(problems, fmt.Sprintf("%s 1: no product column (product or 软件名称)", unit))
	}
	if !seen["seats"] {
		problems = append(problems, fmt.Sprintf("%s 1: no seats column (seats or 授权数量)", unit))
	}
	if len(problems) > 0 {
		return nil, &ValidationError{Problems: problems}
	}
	var out []License
	for n, rec := range records[1:] {
		line := n + 2
		empty := true
		for _, v := range rec {
			if strings.TrimSpace(v) != "" {
				empty = false
			}
		}
		if empty {
			continue
		}
		var l License
		for i, v := range rec {
			if i >= len(cols) || cols[i].key == "" || cols[i].readOnly {
				continue
			}
			v = strings.TrimSpace(v)
			switch cols[i].key {
			case "id":
				l.ID = v
			case "product":
				l.Product = v
			case "product_name":
				l.ProductName = v
			case "version_range":
				l.VersionRange = v
			case "edition":
				l.Edition = v
			case "seats":
				s := seatsNoise.ReplaceAllString(strings.ToLower(v), "")
				n, err := strconv.Atoi(s)
				if err != nil {
					problems = append(problems, fmt.Sprintf("%s %d: seats %q is not a whole number", unit, line, v))
				}
				l.Seats = n
			case "department":
				switch strings.ToLower(v) {
				case "共享池", "共享", "pool", "shared", "全区", "-":
					v = ""
				}
				l.Department = v
			case "cost":
				s := moneyNoise.ReplaceAllString(strings.ToLower(v), "")
				if s != "" {
					f, err := strconv.ParseFloat(s, 64)
					if err != nil {
						problems = append(problems, fmt.Sprintf("%s %d: cost %q is not an amount", unit, line, v))
					}
					l.Cost = f
				}
			case "purpose":
				l.Purpose = v
			case "contract_no":
				l.ContractNo = v
			case "purchase_date":
				l.PurchaseDate = v
			case "expiry":
				l.Expiry = v
			case "filing_status":
				l.FilingStatus = v
			case "notes":
				l.Notes = v
			}
		}
		out = append(out, l)
	}
	if len(problems) > 0 {
		return nil, &ValidationError{Problems: problems}
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
		rows = append(rows, []string{l.ID, l.Product, l.ProductName, categoryZH(l.Category), l.Vendor, yesNo(l.Domestic),
			l.VersionRange, l.Edition, strconv.Itoa(l.Seats), l.Department, strconv.FormatFloat(l.Cost, 'f', 2, 64), l.Purpose,
			l.ContractNo, l.PurchaseDate, l.Expiry, l.FilingStatus, l.Notes})
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
