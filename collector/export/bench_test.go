package export

import (
	"bytes"
	"testing"
)

// BenchmarkViolationsPDF renders the auditors' report of 200 violations.
func BenchmarkViolationsPDF(b *testing.B) {
	e := &Exporter{}
	if _, err := e.Font(); err != nil {
		b.Skip(err)
	}
	vs := manyViolations(200)
	m := testMeta(ZH)
	var buf bytes.Buffer
	for i := 0; i < b.N; i++ {
		buf.Reset()
		if err := e.Violations(&buf, PDF, vs, m); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(buf.Len()), "bytes/pdf")
}

// BenchmarkViolationsXLSX writes 1000 violations to a workbook.
func BenchmarkViolationsXLSX(b *testing.B) {
	e := &Exporter{}
	vs := manyViolations(1000)
	m := testMeta(ZH)
	var buf bytes.Buffer
	for i := 0; i < b.N; i++ {
		buf.Reset()
		if err := e.Violations(&buf, XLSX, vs, m); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(buf.Len()), "bytes/xlsx")
}
