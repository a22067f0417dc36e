package safetext

import (
	"bytes"
	"strings"
	"testing"
)

func TestTerminal(t *testing.T) {
	tests := []struct{ name, in, want string }{
		{"plain", "财政局 srv1", "财政局 srv1"},
		{"tab kept", "a\tb", "a\tb"},
		{"escape sequence", "x\x1b[2Jy", `x\x1b[2Jy`},
		{"newline", "a\nb\r", `a\x0ab\x0d`},
		{"C1 CSI", "a\u009b31m", `a\u009b31m`},
		{"DEL", "a\x7f", `a\x7f`},
		{"invalid byte", "a\xffb", `a\xffb`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := Terminal(tc.in); got != tc.want {
				t.Fatalf("Terminal(%q) = %q, want %q", tc.in, got, tc.want)
			}
		})
	}
}

func TestCell(t *testing.T) {
	tests := []struct{ in, want string }{
		{"=HYPERLINK(\"http://x\")", "'=HYPERLINK(\"http://x\")"},
		{"+1+1", "'+1+1"}, {"-3", "-3"}, {"@SUM(A1)", "'@SUM(A1)"}, {"\t=1", "'\t=1"}, {"ok", "ok"}, {"", ""},
	}
	for _, tc := range tests {
		if got := Cell(tc.in); got != tc.want {
			t.Errorf("Cell(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestDefuseCSV(t *testing.T) {
	var out bytes.Buffer
	if err := DefuseCSV(&out, strings.NewReader("a,b\n\"=HYPERLINK(\"\"http://evil\"\",\"\"x\"\")\",-2\n")); err != nil {
		t.Fatal(err)
	}
	if got := out.String(); got != "a,b\n\"'=HYPERLINK(\"\"http://evil\"\",\"\"x\"\")\",-2\n" {
		t.Fatalf("got %q", got)
	}
}

func TestWriterSplitsRunesSafely(t *testing.T) {
	var out bytes.Buffer
	w := NewWriter(&out)
	in := []byte("表\u009bX\x1b]0;t\x07\n")
	for i := range in { // one byte at a time: C1 and CJK runes split across writes
		if _, err := w.Write(in[i : i+1]); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	if got, want := out.String(), "表\\u009bX\\x1b]0;t\\x07\n"; got != want {
		t.Fatalf("got %q, want %q", got, want)
	}
}
