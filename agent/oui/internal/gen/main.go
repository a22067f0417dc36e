// Command gen turns Debian's ieee-data CSV files (MA-L, MA-M, MA-S and IAB
// registries) into the compact, sorted, gzip-compressed table that package
// oui embeds. Run through `go generate ./agent/oui` after
// `apt-get install ieee-data`; the output is committed so the agent never
// fetches anything at run time.
package main

import (
	"bytes"
	"compress/gzip"
	"encoding/csv"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

func main() {
	dir := flag.String("dir", "/usr/share/ieee-data", "directory holding oui.csv, mam.csv, oui36.csv, iab.csv")
	out := flag.String("out", "oui.tsv.gz", "output file")
	flag.Parse()
	if err := run(*dir, *out); err != nil {
		fmt.Fprintln(os.Stderr, "gen:", err)
		os.Exit(1)
	}
}

func run(dir, out string) error {
	// Registry -> hex digits of its prefix.
	digits := map[string]int{"MA-L": 6, "MA-M": 7, "MA-S": 9, "IAB": 9}
	rows := map[string]string{}
	for _, f := range []string{"oui.csv", "mam.csv", "oui36.csv", "iab.csv"} {
		fh, err := os.Open(filepath.Join(dir, f))
		if err != nil {
			return fmt.Errorf("open %s: %w", f, err)
		}
		r := csv.NewReader(fh)
		r.FieldsPerRecord = -1
		r.LazyQuotes = true
		for line := 0; ; line++ {
			rec, err := r.Read()
			if err == io.EOF {
				break
			}
			if err != nil {
				fh.Close()
				return fmt.Errorf("read %s: %w", f, err)
			}
			if line == 0 || len(rec) < 3 {
				continue
			}
			n, ok := digits[rec[0]]
			a := strings.ToUpper(strings.TrimSpace(rec[1]))
			if !ok || len(a) < n {
				continue
			}
			name := strings.Join(strings.Fields(rec[2]), " ")
			if name == "" || strings.EqualFold(name, "IEEE Registration Authority") {
				continue
			}
			rows[a[:n]] = name
		}
		fh.Close()
	}
	keys := make([]string, 0, len(rows))
	for k := range rows {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var buf bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&buf, gzip.BestCompression)
	for _, k := range keys {
		fmt.Fprintf(zw, "%s\t%s\n", k, rows[k])
	}
	if err := zw.Close(); err != nil {
		return err
	}
	if err := os.WriteFile(out, buf.Bytes(), 0o644); err != nil {
		return fmt.Errorf("write %s: %w", out, err)
	}
	fmt.Printf("gen: %d prefixes, %d bytes -> %s\n", len(keys), buf.Len(), out)
	return nil
}
