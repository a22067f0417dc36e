// Package terms is egovnet's one vocabulary, Chinese first and English
// beside it: the names of rules, statuses, severities, roles and software
// categories, and the evidence reasons as codes with {zh, en} templates.
// The audit, the exports, the ledger and the web UI (GET /api/v1/terms)
// all read it, so one word changes in one place and never loses its
// translation.
package terms

import (
	"fmt"
	"strings"
)

// Lang is an output language.
type Lang string

// Languages: Chinese first, English available.
const (
	ZH Lang = "zh"
	EN Lang = "en"
)

// Langs lists the languages every text has.
var Langs = []Lang{ZH, EN}

// ParseLang accepts zh, zh-CN, zh_CN, en, en-US, en-GB (empty: zh).
func ParseLang(s string) (Lang, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "", "zh", "zh-cn", "zh_cn":
		return ZH, nil
	case "en", "en-us", "en-gb":
		return EN, nil
	}
	return "", fmt.Errorf("lang %q: want zh or en", s)
}

// Text is one text in both languages.
type Text struct {
	ZH string `json:"zh"`
	EN string `json:"en"`
}

// In is the text in lang (Chinese unless lang is EN).
func (t Text) In(lang Lang) string {
	if lang == EN {
		return t.EN
	}
	return t.ZH
}

// lookup is m[key] in lang, the key itself when unknown.
func lookup(m map[string]Text, key string, lang Lang) string {
	if t, ok := m[key]; ok {
		return t.In(lang)
	}
	return key
}
