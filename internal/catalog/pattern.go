package catalog

import (
	"fmt"
	"path"
	"regexp"
	"strings"
)

// A rule is one compiled pattern of one product.
//
// Pattern syntax (case-insensitive, matched on Normalize(name)):
//   - words separated by spaces must appear in order, each separator
//     optional ("kingbase es" matches "KingbaseES" and "Kingbase-ES");
//   - an ASCII edge must sit on a token boundary ("mysql" does not match
//     "mysqldb"); a CJK edge may sit anywhere ("银河麒麟" matches
//     "银河麒麟高级服务器操作系统");
//   - a leading or trailing '*' lifts that edge's boundary ("kylin*");
//   - "re:" introduces a raw Go regexp on the normalised text;
//   - "pkg:" introduces a package-name glob (path.Match syntax) tried only
//     on package-manager strings ("pkg:mysql-server-*").
//
// Packages lists are package globs without the prefix.
type rule struct {
	product *Product
	kind    string
	re      *regexp.Regexp // display pattern
	glob    string         // package glob (lower case)
	anchor  bool           // display pattern starts at the beginning of the text
	need    string         // a literal the text must contain (cheap prefilter)
	score   int
	src     string
}

func (p *Product) compile() error {
	p.rules = nil
	add := func(kind string, pats []string, pkgDefault bool) error {
		for _, s := range pats {
			r, err := compileRule(s, pkgDefault)
			if err != nil {
				return fmt.Errorf("pattern %q: %w", s, err)
			}
			r.product, r.kind = p, kind
			p.rules = append(p.rules, r)
		}
		return nil
	}
	if err := add(KindInstall, p.Match, false); err != nil {
		return err
	}
	if err := add(KindInstall, p.Packages, true); err != nil {
		return err
	}
	if err := add(KindClient, p.Clients, false); err != nil {
		return err
	}
	if err := add(KindLibrary, p.Libraries, false); err != nil {
		return err
	}
	if err := add(KindComponent, p.Components, false); err != nil {
		return err
	}
	p.exclude = nil
	for _, x := range p.Exclude {
		r, err := compileRule(x, false)
		if err != nil || r.re == nil {
			return fmt.Errorf("exclude %q: bad pattern", x)
		}
		p.exclude = append(p.exclude, r.re)
	}
	for i := range p.Editions {
		e := &p.Editions[i]
		if e.Match != "" {
			r, err := compileRule(e.Match, false)
			if err != nil || r.re == nil {
				return fmt.Errorf("edition %q match %q: bad pattern", e.Name, e.Match)
			}
			e.match = r.re
		}
		if e.Version != "" {
			re, err := regexp.Compile(e.Version)
			if err != nil {
				return fmt.Errorf("edition %q version: %w", e.Name, err)
			}
			e.version = re
		}
	}
	return nil
}

// excluded reports whether one of the product's exclusions matches.
func (p *Product) excluded(normName string) bool {
	for _, re := range p.exclude {
		if re.MatchString(normName) {
			return true
		}
	}
	return false
}

func compileRule(s string, pkgDefault bool) (rule, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return rule{}, fmt.Errorf("empty pattern")
	}
	switch {
	case strings.HasPrefix(s, "pkg:"):
		return globRule(strings.TrimPrefix(s, "pkg:"))
	case pkgDefault:
		return globRule(s)
	case strings.HasPrefix(s, "re:"):
		src := strings.TrimPrefix(s, "re:")
		re, err := regexp.Compile(src)
		if err != nil {
			return rule{}, err
		}
		return rule{re: re, score: literalLen(src), src: s, anchor: strings.HasPrefix(src, "^")}, nil
	}
	openL, openR := strings.HasPrefix(s, "*"), strings.HasSuffix(s, "*")
	body := Normalize(strings.Trim(s, "*"))
	if body == "" {
		return rule{}, fmt.Errorf("pattern has no letters or digits")
	}
	toks := strings.Fields(body)
	var b strings.Builder
	first, _ := firstRune(toks[0])
	if !openL && class(first) != 3 {
		b.WriteString(`(?:^| )`)
	}
	for i, t := range toks {
		if i > 0 {
			b.WriteString(` ?`)
		}
		b.WriteString(regexp.QuoteMeta(t))
	}
	last := lastRune(toks[len(toks)-1])
	if !openR && class(last) != 3 {
		b.WriteString(`(?: |$)`)
	}
	re, err := regexp.Compile(b.String())
	if err != nil {
		return rule{}, err
	}
	n := 0
	for _, t := range toks {
		for _, r := range t {
			if class(r) == 3 {
				n += 6 // one Han character says as much as a short English word
			} else {
				n += 2
			}
		}
	}
	need := toks[0]
	for _, t := range toks {
		if len(t) > len(need) {
			need = t
		}
	}
	return rule{re: re, score: n, src: s, need: need}, nil
}

func globRule(g string) (rule, error) {
	g = strings.ToLower(strings.TrimSpace(g))
	if _, err := path.Match(g, "x"); err != nil {
		return rule{}, fmt.Errorf("bad glob: %w", err)
	}
	lit := strings.NewReplacer("*", "", "?", "").Replace(g)
	score := 100 + len(lit)
	if !strings.ContainsAny(g, "*?[") {
		score += 50 // an exact package name beats any glob
	}
	return rule{glob: g, score: score, src: "pkg:" + g}, nil
}

func firstRune(s string) (rune, bool) {
	for _, r := range s {
		return r, true
	}
	return 0, false
}

func lastRune(s string) rune {
	rs := []rune(s)
	return rs[len(rs)-1]
}

// literalLen estimates how specific a raw regexp is.
func literalLen(src string) int {
	n := 0
	for _, r := range src {
		switch {
		case r > 0x7f:
			n += 6
		case (r >= 'a' && r <= 'z') || (r >= '0' && r <= '9'):
			n += 2
		}
	}
	return n
}
