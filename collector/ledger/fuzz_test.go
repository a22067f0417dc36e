package ledger

import (
	"bytes"
	"os"
	"testing"
)

// FuzzReadLicensesCSV: any sheet is licences or an error, within the
// bounds, and what it reads writes and reads back to the same rows.
func FuzzReadLicensesCSV(f *testing.F) {
	if b, err := os.ReadFile("testdata/licenses.csv"); err == nil {
		f.Add(b)
	}
	f.Add([]byte("软件名称,授权数量,费用(元),使用部门\n永中Office,3套,\"￥1,000元\",共享池\n"))
	f.Add([]byte("编号,软件产品,授权数量,到期日期,备案状态\nx1,wps,10,2027-01-01,已备案\n\n,dameng,2,,\n"))
	f.Add([]byte("product,seats\n\"a\"\"b\",1\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		ls, err := ReadLicensesCSV(bytes.NewReader(data))
		checkRead(t, ls, err)
		if err != nil {
			return
		}
		var buf bytes.Buffer
		if err := WriteLicensesCSV(&buf, ls); err != nil {
			t.Fatalf("write back: %v", err)
		}
		back, err := ReadLicensesCSV(&buf)
		if err != nil {
			t.Fatalf("read back what was written: %v\n%q", err, buf.String())
		}
		if len(back) != len(ls) {
			t.Fatalf("round trip: %d licences, then %d", len(ls), len(back))
		}
	})
}

// FuzzReadLicensesXLSX: any workbook bytes are licences or an error,
// within the bounds; never a panic.
func FuzzReadLicensesXLSX(f *testing.F) {
	var good bytes.Buffer
	ls := []License{{ID: "a", Product: "wps", Seats: 10, Department: "CZJ", Cost: 12.5}, {Product: "dameng", Seats: 2}}
	if err := WriteLicensesXLSX(&good, ls); err != nil {
		f.Fatal(err)
	}
	f.Add(good.Bytes())
	f.Add(zipBomb(f, 1<<20, 0))
	f.Add([]byte("PK\x03\x04"))
	f.Fuzz(func(t *testing.T, data []byte) {
		ls, err := ReadLicensesXLSX(bytes.NewReader(data))
		checkRead(t, ls, err)
	})
}

func checkRead(t *testing.T, ls []License, err error) {
	t.Helper()
	if err != nil && ls != nil {
		t.Fatal("licences and an error")
	}
	if len(ls) > MaxLicenseRows {
		t.Fatalf("%d licences, more than %d", len(ls), MaxLicenseRows)
	}
	if err != nil && len(err.Error()) > 256<<10 {
		t.Fatalf("error of %d bytes", len(err.Error()))
	}
}
