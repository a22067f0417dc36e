package wire

import (
	"reflect"
	"strings"
	"unicode/utf8"
)

// multiLine are the JSON fields whose device text may keep line breaks
// (validation allows CR and LF there: real sysDescr values hold them).
var multiLine = map[string]bool{"descr": true, "sys_descr": true, "contact": true, "location": true, "title": true, "error": true}

// Sanitize rewrites, in place, every string of v (a *ScanReport or
// *DeviceInventory, or anything holding them) that validation would refuse
// for its characters: invalid UTF-8 becomes U+FFFD and control characters
// become spaces (line breaks are kept where validation allows them). The
// agent calls it before a report leaves, so one device that puts an escape
// sequence or a newline in a name costs that name's bytes, never the whole
// report's acceptance by the collector.
func Sanitize(v any) {
	sanitize(reflect.ValueOf(v), false)
}

func sanitize(v reflect.Value, lines bool) {
	switch v.Kind() {
	case reflect.Pointer, reflect.Interface:
		if !v.IsNil() {
			sanitize(v.Elem(), lines)
		}
	case reflect.Struct:
		t := v.Type()
		for i := 0; i < v.NumField(); i++ {
			f := t.Field(i)
			if !f.IsExported() {
				continue
			}
			name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
			sanitize(v.Field(i), multiLine[name])
		}
	case reflect.Slice, reflect.Array:
		for i := 0; i < v.Len(); i++ {
			sanitize(v.Index(i), lines)
		}
	case reflect.Map:
		// Maps (evidence details) are not part of reports.
	case reflect.String:
		if v.CanSet() {
			if s := v.String(); needsClean(s, lines) {
				v.SetString(clean(s, lines))
			}
		}
	}
}

func needsClean(s string, lines bool) bool {
	if !utf8.ValidString(s) {
		return true
	}
	_, bad := ControlChar(s, lines)
	return bad
}

func clean(s string, lines bool) string {
	s = strings.ToValidUTF8(s, "\uFFFD")
	return strings.Map(func(r rune) rune {
		switch {
		case r == '\t':
			return r
		case lines && (r == '\n' || r == '\r'):
			return r
		case r < 0x20, r == 0x7f, r >= 0x80 && r <= 0x9f, invisible(r):
			return ' '
		}
		return r
	}, s)
}
