package catalog

import (
	"bytes"
	"regexp"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/encoding/simplifiedchinese"
	"golang.org/x/text/unicode/norm"
)

// DecodeName turns raw bytes of an installed-software name into text.
// Windows' SNMP agent serves hrSWInstalledName in the system's ANSI code
// page, which on Chinese Windows is GBK ("安全更新" arrives as b0b2c8ab...):
// valid UTF-8 is kept, anything else is decoded as GB18030 (a superset of
// GBK and GB2312), and bytes that still do not decode are dropped.
func DecodeName(b []byte) string {
	b = bytes.TrimRight(b, "\x00")
	gbk := func() (string, bool) {
		out, err := simplifiedchinese.GB18030.NewDecoder().Bytes(b)
		if err != nil || !utf8.Valid(out) || bytes.ContainsRune(out, utf8.RuneError) {
			return "", false
		}
		return string(out), true
	}
	if utf8.Valid(b) {
		s := string(b)
		// Short GBK strings can be valid UTF-8 by accident ("位" is ce bb,
		// which UTF-8 reads as Greek "λ"): prefer GBK when UTF-8 yields
		// no Han character at all but GBK yields only Han and ASCII.
		if hasOddRunes(s) {
			if g, ok := gbk(); ok && onlyHanASCII(g) {
				return g
			}
		}
		return s
	}
	if g, ok := gbk(); ok {
		return g
	}
	return strings.ToValidUTF8(string(b), "")
}

func hasOddRunes(s string) bool {
	odd := false
	for _, r := range s {
		if unicode.Is(unicode.Han, r) {
			return false
		}
		if r >= 0x80 && r < 0x3000 {
			odd = true
		}
	}
	return odd
}

func onlyHanASCII(s string) bool {
	for _, r := range s {
		if r >= 0x80 && !unicode.Is(unicode.Han, r) && !(r >= 0x3000 && r <= 0x303f) && !(r >= 0xff00 && r <= 0xffef) {
			return false
		}
	}
	return true
}

// Normalize folds a name for matching: NFKC (full-width to half-width),
// lower case, symbols such as ® and ™ removed, separators (space, - _ . /
// ( ) [ ] , : ; + ' ") turned into single spaces, "&" into "and", and a
// space inserted wherever letters meet digits or ASCII meets CJK, so that
// "DM8", "dm-8" and "DM 8" all read "dm 8" and "360安全卫士" reads
// "360 安全卫士".
func Normalize(s string) string {
	s = strings.NewReplacer("®", " ", "™", " ", "©", " ", "℠", " ").Replace(s)
	s = norm.NFKC.String(s)
	s = strings.ToLower(s)
	var b strings.Builder
	b.Grow(len(s) + 8)
	prev := rune(' ')
	space := func() {
		if prev != ' ' {
			b.WriteByte(' ')
			prev = ' '
		}
	}
	for _, r := range s {
		switch {
		case r == '&':
			space()
			b.WriteString("and")
			prev = 'd'
			space()
			continue
		case r == '®' || r == '™' || r == '©':
			space()
			continue
		case unicode.IsSpace(r) || unicode.IsPunct(r) || unicode.IsSymbol(r) || r == 0xfffd:
			space()
			continue
		}
		if prev != ' ' && class(prev) != class(r) {
			b.WriteByte(' ')
		}
		b.WriteRune(r)
		prev = r
	}
	out := strings.TrimSpace(b.String())
	if strings.IndexFunc(out, func(r rune) bool { return r < 0x80 }) >= 0 {
		toks := strings.Fields(out)
		changed := false
		for i, t := range toks {
			if fix, ok := typos[t]; ok {
				toks[i], changed = fix, true
			}
		}
		if changed {
			out = strings.Join(toks, " ")
		}
	}
	return out
}

// typos are misspellings met in hand-kept inventories and purchase lists,
// fixed token by token before matching.
var typos = map[string]string{
	"mircosoft": "microsoft", "microsft": "microsoft", "micorsoft": "microsoft", "microsfot": "microsoft", "mirosoft": "microsoft",
	"micosoft": "microsoft", "microsoftoffice": "microsoft office", "msoffice": "ms office",
	"ofice": "office", "offce": "office", "offic": "office", "offcie": "office",
	"windos": "windows", "widows": "windows", "windws": "windows", "windowns": "windows", "window": "windows",
	"orcale": "oracle", "oracel": "oracle", "oralce": "oracle",
	"sever": "server", "servr": "server", "sevrer": "server",
	"postgre": "postgresql", "postgressql": "postgresql", "postgresq": "postgresql", "postgrelsql": "postgresql",
	"mysq": "mysql", "myslq": "mysql",
	"kingbse": "kingbase", "kinbase": "kingbase", "kingbasees8": "kingbasees",
	"acrobt": "acrobat", "acrobate": "acrobat",
	"kaspersy": "kaspersky", "kasperksy": "kaspersky", "kaspersk": "kaspersky",
	"symantic": "symantec", "semantec": "symantec",
	"macafee": "mcafee", "mcaffee": "mcafee", "mcafe": "mcafee",
	"weblogc": "weblogic", "weblogi": "weblogic", "websphear": "websphere", "webshpere": "websphere",
	"tomacat": "tomcat", "tomcate": "tomcat",
	"libreofice": "libreoffice", "libreoffce": "libreoffice",
	"tongwe": "tongweb", "tongwed": "tongweb",
	"wpsoffice": "wps office",
}

// class groups runes whose junction marks a token boundary.
func class(r rune) int {
	switch {
	case r >= '0' && r <= '9':
		return 1
	case r < 0x80:
		return 2
	case unicode.Is(unicode.Han, r):
		return 3
	default:
		return 2 // other letters (Cyrillic, Latin-1) join ASCII words
	}
}

// pkg is a package name split from a version-bearing package string.
type pkg struct {
	Name    string
	Version string
	Arch    string
}

var (
	// dpkg as net-snmp on Debian serves it: name_version_arch.
	dpkgRE = regexp.MustCompile(`^([a-z0-9][a-z0-9+.\-]*)_([0-9][^_\s]*)_([a-z0-9]+)$`)
	// rpm NVR (name-version-release[.arch]) or name-version.
	nvrRE = regexp.MustCompile(`^([^:~]+?)-((?:[0-9]+:)?[0-9][^\s-]*)-([^\s-]*[0-9][^\s-]*)$`)
	nvRE  = regexp.MustCompile(`^([^:~]+?)-((?:[0-9]+:)?[0-9][^\s-]*)$`)
	// a bare package name: no spaces, starts with a letter or digit.
	pkgNameRE = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9+._~:\-]*$`)
	rpmArchRE = regexp.MustCompile(`\.(x86_64|i[3-6]86|noarch|aarch64|arm64|armv7hl|mips64el|loongarch64|sw_64|ppc64le|s390x)$`)
)

// parsePackage recognises package-manager strings: "acpi_1.7-1.2_amd64",
// "mysql-libs-5.1.73-5.el6_6", "bash-completion-1:2.8-1ubuntu1",
// "kingbase-server". ok is false for display names (with spaces).
func parsePackage(s string) (p pkg, ok bool) {
	s = strings.TrimSpace(s)
	if s == "" || !pkgNameRE.MatchString(s) {
		return pkg{}, false
	}
	if m := dpkgRE.FindStringSubmatch(strings.ToLower(s)); m != nil {
		return pkg{Name: m[1], Version: m[2], Arch: m[3]}, true
	}
	if m := rpmArchRE.FindStringSubmatch(s); m != nil {
		p.Arch = m[1]
		s = strings.TrimSuffix(s, m[0])
	}
	if m := nvrRE.FindStringSubmatch(s); m != nil && !strings.Contains(m[1], "_") {
		p.Name, p.Version = m[1], m[2]+"-"+m[3]
		return p, true
	}
	if m := nvRE.FindStringSubmatch(s); m != nil {
		p.Name, p.Version = m[1], m[2]
		return p, true
	}
	// Debian versions may hold hyphens ("libsasl2-2-2.1.27~101-g0780600+dfsg-3ubuntu2.1"):
	// the version starts at the first part that begins with a digit and looks
	// like a version (a dot, tilde, colon or plus in it).
	parts := strings.Split(s, "-")
	for i := 1; i < len(parts); i++ {
		if parts[i] != "" && parts[i][0] >= '0' && parts[i][0] <= '9' && strings.ContainsAny(parts[i], ".~:+") {
			name := strings.Join(parts[:i], "-")
			if !strings.ContainsAny(name, ":~") {
				return pkg{Name: name, Version: strings.Join(parts[i:], "-"), Arch: p.Arch}, true
			}
		}
	}
	p.Name = s
	return p, true
}

// libraryish reports whether a package name is a library, development,
// documentation or data part by naming convention, whatever product it
// belongs to.
func libraryish(name string) bool {
	n := strings.ToLower(name)
	for _, pre := range []string{"lib", "python-", "python2-", "python3-", "php-", "php7", "php8", "ruby-", "node-", "golang-", "perl-", "r-cran-", "texlive-"} {
		if strings.HasPrefix(n, pre) {
			return true
		}
	}
	for _, suf := range []string{"-dev", "-devel", "-doc", "-docs", "-dbg", "-dbgsym", "-debuginfo", "-debugsource", "-headers", "-libs", "-lib", "-common", "-data", "-perl", "-java", "-jdbc", "-odbc", "-static", "-l10n", "-i18n", "-locale", "-locales", "-help", "-man"} {
		if strings.HasSuffix(n, suf) {
			return true
		}
	}
	return false
}
