package web_test

import (
	"io/fs"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/egovnet/egovnet/collector/terms"
	"github.com/egovnet/egovnet/collector/web"
)

// TestStringsComplete: both languages of the one string table carry the same
// keys, and every key the pages ask for literally (t("...")) exists there or
// in the collector's terms (GET /api/v1/terms, merged in at sign-in), so no
// label falls back to a raw key or to the other language. A word the terms
// carry is not repeated in the UI's table (one table per word).
func TestStringsComplete(t *testing.T) {
	src, err := fs.ReadFile(web.Assets(), "i18n.js")
	if err != nil {
		t.Fatal(err)
	}
	text := string(src)
	en := strings.Index(text, `"en": {`)
	if en < 0 {
		t.Fatal("no English table")
	}
	key := regexp.MustCompile(`"([a-z][a-zA-Z0-9.\-]*)":`)
	keys := func(s string) []string {
		var out []string
		for _, m := range key.FindAllStringSubmatch(s, -1) {
			if m[1] != "en" && m[1] != "zh-CN" {
				out = append(out, m[1])
			}
		}
		slices.Sort(out)
		return out
	}
	zh, eng := keys(text[:en]), keys(text[en:])
	if !slices.Equal(zh, eng) {
		for _, k := range zh {
			if !slices.Contains(eng, k) {
				t.Errorf("English lacks %q", k)
			}
		}
		for _, k := range eng {
			if !slices.Contains(zh, k) {
				t.Errorf("Chinese lacks %q", k)
			}
		}
	}
	dict := terms.Dictionary(terms.ZH)
	for _, k := range zh {
		if _, ok := dict[k]; ok {
			t.Errorf("i18n.js repeats %q, which GET /api/v1/terms serves", k)
		}
	}
	// A column header is a terms word ("col.<key>", shared with the
	// exports): a string carrying the same words in both languages is a
	// second copy of it.
	pair := regexp.MustCompile(`"([a-z][a-zA-Z0-9.\-]*)": "((?:[^"\\]|\\.)*)"`)
	values := func(s string) map[string]string {
		out := map[string]string{}
		for _, m := range pair.FindAllStringSubmatch(s, -1) {
			out[m[1]] = m[2]
		}
		return out
	}
	zhVals, enVals := values(text[:en]), values(text[en:])
	dictEN := terms.Dictionary(terms.EN)
	for _, k := range terms.ColumnKeys() {
		for ui, v := range zhVals {
			if v == dict["col."+k] && enVals[ui] == dictEN["col."+k] {
				t.Errorf("i18n.js %q repeats the column header col.%s (%s / %s) of collector/terms", ui, k, v, enVals[ui])
			}
		}
	}
	used := regexp.MustCompile(`\bt\("([a-z][a-zA-Z0-9.\-]*[a-zA-Z0-9])"\s*[,)]`)
	for _, f := range []string{"app.js", "core.js", "findings.js", "inventory.js", "software.js", "progress.js", "map.js", "admin.js"} {
		b, err := fs.ReadFile(web.Assets(), f)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range used.FindAllStringSubmatch(string(b), -1) {
			if _, ok := dict[m[1]]; !ok && !slices.Contains(zh, m[1]) {
				t.Errorf("%s asks for string %q, not in the table", f, m[1])
			}
		}
	}
}
