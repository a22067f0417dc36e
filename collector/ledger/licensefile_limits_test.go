package ledger

import (
	"archive/zip"
	"bytes"
	"compress/flate"
	"errors"
	"fmt"
	"hash/crc32"
	"net/http"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/egovnet/egovnet/collector/store"
	"github.com/egovnet/egovnet/collector/store/storetest"
	"github.com/xuri/excelize/v2"
)

// measure runs f and returns the peak heap in use while it ran (sampled)
// and the bytes it allocated in all, which bounds the peak from above.
func measure(f func()) (peak, total uint64) {
	runtime.GC()
	var before runtime.MemStats
	runtime.ReadMemStats(&before)
	var max atomic.Uint64
	done := make(chan struct{})
	stopped := make(chan struct{})
	go func() {
		defer close(stopped)
		var m runtime.MemStats
		for {
			runtime.ReadMemStats(&m)
			if m.HeapInuse > max.Load() {
				max.Store(m.HeapInuse)
			}
			select {
			case <-done:
				return
			case <-time.After(2 * time.Millisecond):
			}
		}
	}()
	f()
	close(done)
	<-stopped
	var after runtime.MemStats
	runtime.ReadMemStats(&after)
	return max.Load() - min(max.Load(), before.HeapInuse), after.TotalAlloc - before.TotalAlloc
}

// zipBomb builds an XLSX workbook whose first sheet inflates to size bytes
// of XML; declared, when not 0, is the size its zip directory claims.
func zipBomb(t testing.TB, size int, declared uint64) []byte {
	t.Helper()
	f := excelize.NewFile()
	_ = f.SetSheetRow("Sheet1", "A1", &[]string{"软件名称", "授权数量"})
	var good bytes.Buffer
	if err := f.Write(&good); err != nil {
		t.Fatal(err)
	}
	zr, err := zip.NewReader(bytes.NewReader(good.Bytes()), int64(good.Len()))
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	zw := zip.NewWriter(&out)
	for _, zf := range zr.File {
		if zf.Name != "xl/worksheets/sheet1.xml" {
			if err := zw.Copy(zf); err != nil {
				t.Fatal(err)
			}
			continue
		}
		head := `<?xml version="1.0" encoding="UTF-8" standalone="yes"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>软件名称</t></is></c><c r="B1" t="inlineStr"><is><t>授权数量</t></is></c></row>`
		tail := `</sheetData></worksheet>`
		var comp bytes.Buffer
		fw, _ := flate.NewWriter(&comp, flate.BestCompression)
		crc := crc32.NewIEEE()
		write := func(b []byte) {
			_, _ = fw.Write(b)
			crc.Write(b)
		}
		write([]byte(head))
		pad := bytes.Repeat([]byte(" "), 1<<20)
		for n := len(head) + len(tail); n < size; n += len(pad) {
			write(pad)
		}
		write([]byte(tail))
		_ = fw.Close()
		real := uint64(len(head) + len(tail) + ((size-len(head)-len(tail)+len(pad)-1)/len(pad))*len(pad))
		if declared == 0 {
			declared = real
		}
		w, err := zw.CreateRaw(&zip.FileHeader{Name: zf.Name, Method: zip.Deflate, CRC32: crc.Sum32(),
			CompressedSize64: uint64(comp.Len()), UncompressedSize64: declared})
		if err != nil {
			t.Fatal(err)
		}
		_, _ = w.Write(comp.Bytes())
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return out.Bytes()
}

// junkCSV is a licence sheet of n bytes: a valid heading, then junk rows.
func junkCSV(n int) []byte {
	var b bytes.Buffer
	b.WriteString("软件名称,授权数量,费用\n")
	for i := 0; b.Len() < n-64; i++ {
		fmt.Fprintf(&b, "no such product %d %s,many,lots\n", i, strings.Repeat("x", i%40))
	}
	return b.Bytes()
}

func TestLicenseFileLimits(t *testing.T) {
	const memBound = 160 << 20 // allocated in all by one hostile file (the 16 MB body itself is read once)
	tests := []struct {
		name string
		read func() ([]License, error)
		want string
	}{
		{"zip bomb, honest sizes", func() ([]License, error) { return ReadLicensesXLSX(bytes.NewReader(zipBomb(t, 1<<30, 0))) }, "inflates to more than"},
		{"zip bomb, lying sizes", func() ([]License, error) { return ReadLicensesXLSX(bytes.NewReader(zipBomb(t, 256<<20, 4096))) }, ""},
		{"16 MB of junk rows", func() ([]License, error) {
			return ReadLicensesCSV(bytes.NewReader(junkCSV(MaxLicenseFileBytes - 1024)))
		}, "more than 10000 licence rows"},
		{"one 16 MB heading row", func() ([]License, error) {
			return ReadLicensesCSV(strings.NewReader(strings.Repeat("a,", MaxLicenseFileBytes/2-8) + "\n"))
		}, "line 1 is longer than 128 KB"},
		{"64 columns of junk", func() ([]License, error) {
			return ReadLicensesCSV(strings.NewReader(strings.Repeat("a,", 1000) + "\n"))
		}, "columns, a licence sheet has at most 64"},
		{"over 16 MB", func() ([]License, error) {
			return ReadLicensesCSV(bytes.NewReader(junkCSV(MaxLicenseFileBytes + 1024)))
		}, "larger than 16 MB"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var ls []License
			var err error
			peak, total := measure(func() { ls, err = tc.read() })
			t.Logf("peak heap %d MB, allocated %d MB", peak>>20, total>>20)
			if len(ls) != 0 {
				t.Fatalf("got %d licences from a hostile file", len(ls))
			}
			if tc.want == "" { // a truncated sheet may read as empty: bounded memory is what counts
				if err == nil {
					err = errors.New("")
				}
			} else if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err %.500v; want an error mentioning %q", err, tc.want)
			}
			if len(err.Error()) > 64<<10 {
				t.Errorf("error of %d bytes", len(err.Error()))
			}
			var ve *ValidationError
			if errors.As(err, &ve) && len(ve.Problems) > MaxProblems+2 {
				t.Errorf("%d problems, want at most %d", len(ve.Problems), MaxProblems+2)
			}
			if total > memBound {
				t.Errorf("allocated %d MB, want at most %d MB", total>>20, memBound>>20)
			}
		})
	}
}

// The problem list of a sheet with thousands of bad rows is capped.
func TestLicenseProblemsCapped(t *testing.T) {
	var b strings.Builder
	b.WriteString("软件名称,授权数量\n")
	for i := 0; i < 5000; i++ {
		fmt.Fprintf(&b, "wps,seats-%d\n", i)
	}
	_, err := ReadLicensesCSV(strings.NewReader(b.String()))
	var ve *ValidationError
	if !errors.As(err, &ve) || len(ve.Problems) != MaxProblems+1 || !strings.Contains(ve.Problems[MaxProblems], "and 4900 more") {
		t.Fatalf("err = %.300v", err)
	}
}

// Through the HTTP handler: hostile sheets get a 4xx with a bounded body
// and store nothing.
func TestImportHostileSheets(t *testing.T) {
	storetest.ForEachBackend(t, func(t *testing.T, db *store.DB) {
		s := newStore(db)
		srv := testServer(t, s)
		czj := client{t, srv.URL, "li/dept-admin/CZJ"}
		xlsx := "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
		tests := []struct {
			name, ctype string
			body        []byte
			code        int
		}{
			{"zip bomb", xlsx, zipBomb(t, 1<<30, 0), http.StatusRequestEntityTooLarge},
			{"junk csv", "text/csv", junkCSV(MaxLicenseFileBytes - 1024), http.StatusBadRequest},
			{"csv over the limit", "text/csv", junkCSV(MaxLicenseFileBytes + 1024), http.StatusRequestEntityTooLarge},
		}
		for _, tc := range tests {
			t.Run(tc.name, func(t *testing.T) {
				code, body := czj.do("POST", "/api/v1/licenses/import", tc.ctype, tc.body)
				if code != tc.code || len(body) > 64<<10 || !bytes.Contains(body, []byte(`"error"`)) {
					t.Errorf("import: %d, %d bytes: %.300s", code, len(body), body)
				}
				ls, err := s.ListLicenses(t.Context(), LicenseFilter{})
				if err != nil || len(ls) != 0 {
					t.Errorf("stored %d licences, %v", len(ls), err)
				}
			})
		}
	})
}
