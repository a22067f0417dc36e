package ledger

import (
	"bytes"
	"testing"
)

// TestLicenseReader: the file name picks the format, case-insensitively;
// each sheet reads back only through the reader its name picks.
func TestLicenseReader(t *testing.T) {
	ls := []License{{ID: "a", Product: "wps", Seats: 3}}
	var csvBuf, xlsxBuf bytes.Buffer
	if err := WriteLicensesCSV(&csvBuf, ls); err != nil {
		t.Fatal(err)
	}
	if err := WriteLicensesXLSX(&xlsxBuf, ls); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		body []byte
		ok   bool
	}{
		{"licences.xlsx", xlsxBuf.Bytes(), true},
		{"LICENCES.XLSX", xlsxBuf.Bytes(), true},
		{"licences.csv", csvBuf.Bytes(), true},
		{"licences.txt", csvBuf.Bytes(), true},
		{"licences.xls", xlsxBuf.Bytes(), false},
		{"licences", csvBuf.Bytes(), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			read, ok := LicenseReader(tt.name)
			if ok != tt.ok {
				t.Fatalf("ok = %v, want %v", ok, tt.ok)
			}
			if !ok {
				return
			}
			back, err := read(bytes.NewReader(tt.body))
			if err != nil || len(back) != 1 || back[0].Product != "wps" {
				t.Fatalf("read back %+v, %v", back, err)
			}
		})
	}
	if read, _ := LicenseReader("x.csv"); read != nil {
		if _, err := read(bytes.NewReader(xlsxBuf.Bytes())); err == nil {
			t.Error("a workbook read as CSV must fail")
		}
	}
}
