package catalog

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
)

// MaxLineBytes bounds one input line of ReadInputs.
const MaxLineBytes = 4096

// ReadInputs reads names one per line, optionally "name<TAB>version<TAB>vendor"
// (the CONTRACT's catalog match input). Valid UTF-8 lines are taken as they
// are; other lines are decoded by DecodeName (GB18030 for exports from
// Chinese Windows tools, CP1251 or Windows-1252 otherwise); blank lines are
// skipped. A line over MaxLineBytes is an error naming the line.
func ReadInputs(r io.Reader) ([]Input, error) {
	br := bufio.NewReaderSize(r, 64*1024)
	var out []Input
	for n := 1; ; n++ {
		line, err := readLine(br)
		if err == io.EOF && line == nil {
			return out, nil
		}
		if err != nil && err != io.EOF {
			return nil, fmt.Errorf("read line %d: %w", n, err)
		}
		if len(line) > MaxLineBytes {
			return nil, fmt.Errorf("read line %d: longer than %d bytes", n, MaxLineBytes)
		}
		text := strings.TrimRight(DecodeName(line), "\r")
		if strings.TrimSpace(text) != "" {
			f := strings.Split(text, "\t")
			in := Input{Name: strings.TrimSpace(f[0])}
			if len(f) > 1 {
				in.Version = strings.TrimSpace(f[1])
			}
			if len(f) > 2 {
				in.Vendor = strings.TrimSpace(f[2])
			}
			if len(f) > 3 {
				in.Source = strings.TrimSpace(f[3])
			}
			out = append(out, in)
		}
		if err == io.EOF {
			return out, nil
		}
	}
}

// readLine returns one line without its newline; nil at end of input.
func readLine(br *bufio.Reader) ([]byte, error) {
	var line []byte
	for {
		chunk, isPrefix, err := br.ReadLine()
		if err != nil {
			if len(line) > 0 {
				return line, io.EOF
			}
			return nil, err
		}
		line = append(line, chunk...)
		if len(line) > MaxLineBytes {
			// drain the rest of the line before reporting it
			for isPrefix {
				_, isPrefix, err = br.ReadLine()
				if err != nil {
					break
				}
			}
			return line, nil
		}
		if !isPrefix {
			if line == nil {
				line = []byte{}
			}
			return line, nil
		}
	}
}

// MatchAll matches every input.
func (c *Catalog) MatchAll(ins []Input) []Result {
	out := make([]Result, len(ins))
	for i, in := range ins {
		out[i] = c.Match(in)
	}
	return out
}

// WriteJSON writes results as an indented JSON array.
func WriteJSON(w io.Writer, rs []Result) error {
	if rs == nil {
		rs = []Result{}
	}
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(rs); err != nil {
		return fmt.Errorf("write json: %w", err)
	}
	return nil
}

// WriteTable writes results as an aligned table (Chinese headings first).
func WriteTable(w io.Writer, rs []Result) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "名称 NAME\t版本 VERSION\t厂商 VENDOR\t产品 PRODUCT\t类别 CATEGORY\t国产 DOMESTIC\t商业 COMMERCIAL\t类型 KIND\t版本类型 EDITION")
	yes := func(b bool) string {
		if b {
			return "是 yes"
		}
		return "否 no"
	}
	for _, r := range rs {
		ed := r.Edition
		if r.HomeEdition {
			ed += " (家庭/个人版 home)"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n",
			oneLine(r.Name), oneLine(r.Version), oneLine(r.Vendor), r.Product, r.Category, yes(r.Domestic), yes(r.Commercial), r.Kind, ed)
	}
	if err := tw.Flush(); err != nil {
		return fmt.Errorf("write table: %w", err)
	}
	return nil
}

func oneLine(s string) string {
	return strings.Map(func(r rune) rune {
		if r == '\t' || r == '\n' || r == '\r' {
			return ' '
		}
		return r
	}, s)
}
