package ledger

import (
	"bytes"
	"errors"
	"strings"
	"testing"

	"github.com/egovnet/egovnet/internal/catalog"
	"golang.org/x/text/encoding/simplifiedchinese"
)

func gbk(t *testing.T, b []byte) []byte {
	t.Helper()
	out, err := simplifiedchinese.GBK.NewEncoder().Bytes(b)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func TestLicenseSheets(t *testing.T) {
	cat := catalog.MustDefault()
	ls := []License{
		{ID: "a", Product: "wps", Seats: 10, Department: "CZJ", Cost: 1234.5, Purpose: "办公, 公文", ContractNo: "=HYPERLINK(\"x\")", PurchaseDate: "2025-01-02", FilingStatus: "filed"},
		{ID: "b", Product: "dameng", Seats: 2, VersionRange: ">=8", Expiry: "2030-12-31"},
	}
	for i := range ls {
		if err := ls[i].Normalize(cat); err != nil {
			t.Fatal(err)
		}
	}
	var csvBuf, xlsxBuf bytes.Buffer
	if err := WriteLicensesCSV(&csvBuf, ls); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(csvBuf.String(), `'=HYPERLINK`) {
		t.Errorf("a formula in a cell must be neutralised:\n%s", csvBuf.String())
	}
	if err := WriteLicensesXLSX(&xlsxBuf, ls); err != nil {
		t.Fatal(err)
	}
	for name, read := range map[string]func() ([]License, error){
		"csv":  func() ([]License, error) { return ReadLicensesCSV(bytes.NewReader(csvBuf.Bytes())) },
		"xlsx": func() ([]License, error) { return ReadLicensesXLSX(bytes.NewReader(xlsxBuf.Bytes())) },
	} {
		back, err := read()
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		for i := range back {
			if err := back[i].Normalize(cat); err != nil {
				t.Fatalf("%s row %d: %v", name, i+1, err)
			}
		}
		if len(back) != 2 || back[0].Product != "wps" || back[0].Cost != 1234.5 || back[0].Purpose != "办公, 公文" || back[1].VersionRange != ">=8" || back[1].Department != "" {
			t.Errorf("%s round trip = %+v", name, back)
		}
	}
	bad := []struct{ name, csv, want string }{
		{"unknown column", "软件名称,授权数量,颜色\nwps,1,red\n", `unknown column "颜色"`},
		{"no seats column", "软件名称\nwps\n", "no seats column"},
		{"bad seats", "软件名称,授权数量\nwps,ten\n", `line 2: seats "ten"`},
		{"bad cost", "软件名称,授权数量,费用\nwps,1,lots\n", `line 2: cost "lots"`},
		{"empty", "", "empty"},
	}
	for _, tc := range bad {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ReadLicensesCSV(strings.NewReader(tc.csv))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("err = %v, want %q", err, tc.want)
			}
		})
	}
	got, err := ReadLicensesCSV(bytes.NewReader(gbk(t, []byte("软件名称,授权数量,费用(元),使用部门\n永中Office,3套,\"￥1,000元\",共享池\n"))))
	if err != nil || len(got) != 1 || got[0].Seats != 3 || got[0].Cost != 1000 || got[0].ProductName != "永中Office" || got[0].Department != "" {
		t.Errorf("GBK sheet = %+v, %v", got, err)
	}
	var ve *ValidationError
	l := License{Product: "wps", Seats: 1, PurchaseDate: "2026-05-01", Expiry: "2025-01-01"}
	if err := l.Normalize(cat); !errors.As(err, &ve) || !strings.Contains(ve.Problems[0], "before purchase_date") {
		t.Errorf("expiry before purchase: %v", err)
	}
	lib := License{Product: "mysql-common", Seats: 1}
	if err := lib.Normalize(cat); !errors.As(err, &ve) || !strings.Contains(ve.Problems[0], "library or part of MySQL") {
		t.Errorf("a licence for a library: %v", err)
	}
	pkg := License{Product: "kingbase-server", Seats: 1}
	if err := pkg.Normalize(cat); err != nil || pkg.Product != "kingbase" {
		t.Errorf("a package name resolves to its product: %+v %v", pkg, err)
	}
}
