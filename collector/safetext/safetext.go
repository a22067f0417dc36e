// Package safetext makes text from the network safe to show: on a terminal
// (control characters escaped, so a hostname cannot clear the screen or
// rewrite what an operator reads) and in a spreadsheet (formula cells
// defused, so an HTTP title cannot become =HYPERLINK(...) in an auditor's
// sheet). The collector's exports and CLI output share it.
package safetext

import (
	"encoding/csv"
	"fmt"
	"io"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Terminal returns s with every control character (C0 but tab, DEL, C1)
// and invalid UTF-8 byte written as a visible escape (\x1b, \u009b).
func Terminal(s string) string {
	if !needsEscape(s, false) {
		return s
	}
	return escape(s, false)
}

func needsEscape(s string, keepNewline bool) bool {
	for i := 0; i < len(s); {
		r, n := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && n == 1 || isControl(r, keepNewline) {
			return true
		}
		i += n
	}
	return false
}

func isControl(r rune, keepNewline bool) bool {
	switch {
	case r == '\t', keepNewline && r == '\n':
		return false
	case r < 0x20, r == 0x7f, r >= 0x80 && r <= 0x9f:
		return true
	}
	return false
}

func escape(s string, keepNewline bool) string {
	var b strings.Builder
	for i := 0; i < len(s); {
		r, n := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && n == 1:
			fmt.Fprintf(&b, `\x%02x`, s[i])
		case isControl(r, keepNewline) && r < 0x80:
			fmt.Fprintf(&b, `\x%02x`, r)
		case isControl(r, keepNewline):
			fmt.Fprintf(&b, `\u%04x`, r)
		default:
			b.WriteString(s[i : i+n])
		}
		i += n
	}
	return b.String()
}

// Cell defuses a spreadsheet cell: text starting with = + - @ tab or CR is
// prefixed with an apostrophe (numbers such as -3 stay numbers).
func Cell(s string) string {
	if s == "" {
		return s
	}
	switch s[0] {
	case '=', '+', '-', '@', '\t', '\r':
		if _, err := strconv.ParseFloat(s, 64); err == nil {
			return s
		}
		return "'" + s
	}
	return s
}

// DefuseCSV copies CSV from r to w with every cell passed through Cell.
func DefuseCSV(w io.Writer, r io.Reader) error {
	cr := csv.NewReader(r)
	cr.FieldsPerRecord = -1
	cw := csv.NewWriter(w)
	for {
		rec, err := cr.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			return fmt.Errorf("defuse csv: %w", err)
		}
		for i := range rec {
			rec[i] = Cell(rec[i])
		}
		if err := cw.Write(rec); err != nil {
			return fmt.Errorf("defuse csv: %w", err)
		}
	}
	cw.Flush()
	return cw.Error()
}

// Writer escapes control characters (but newline and tab, which lay out
// tables) in everything written through it to a terminal.
type Writer struct {
	w    io.Writer
	tail []byte // an incomplete UTF-8 sequence held for the next Write
}

// NewWriter returns a Writer over w.
func NewWriter(w io.Writer) *Writer { return &Writer{w: w} }

// Write escapes p and writes it; it reports len(p) on success.
func (t *Writer) Write(p []byte) (int, error) {
	buf := append(t.tail, p...)
	t.tail = nil
	// Hold back a trailing incomplete rune (a C1 control is two bytes).
	cut := len(buf)
	for i := len(buf) - 1; i >= 0 && i >= len(buf)-utf8.UTFMax; i-- {
		if utf8.RuneStart(buf[i]) {
			if !utf8.FullRune(buf[i:]) {
				cut = i
			}
			break
		}
	}
	t.tail = append([]byte(nil), buf[cut:]...)
	s := string(buf[:cut])
	if needsEscape(s, true) {
		s = escape(s, true)
	}
	if _, err := io.WriteString(t.w, s); err != nil {
		return 0, err
	}
	return len(p), nil
}

// Flush writes a held incomplete sequence (escaped).
func (t *Writer) Flush() error {
	if len(t.tail) == 0 {
		return nil
	}
	s := escape(string(t.tail), true)
	t.tail = nil
	_, err := io.WriteString(t.w, s)
	return err
}
