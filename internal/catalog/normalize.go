package catalog

import (
	"bytes"
	"regexp"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/encoding/charmap"
	"golang.org/x/text/encoding/simplifiedchinese"
	"golang.org/x/text/unicode/norm"
)

// DecodeName turns raw bytes of an installed-software name into text.
//
// Valid UTF-8 is kept exactly as it is ("Café", "français", "Антивирус"):
// guessing another encoding for bytes that are already valid UTF-8 garbles
// real names ("é" is c3 a9, which GBK reads as "茅"). Only bytes that are
// not UTF-8 are decoded, best effort:
//   - Windows' SNMP agent serves hrSWInstalledName in the system's ANSI
//     code page, which on Chinese Windows is GBK ("安全更新" arrives as
//     b0b2c8ab...): GB18030 (a superset of GBK and GB 2312) when it decodes
//     cleanly and reads as common Chinese;
//   - Russian-locale Windows (CP1251): runs of letters in 0xC0-0xFF;
//   - otherwise GB18030 when it decodes cleanly, else Windows-1252 (the
//     Western code page: "Caf\xe9").
//
// Bytes that still do not decode are dropped. A short GBK name that
// happens to be valid UTF-8 ("位" is ce bb, UTF-8 "λ") stays UTF-8: the
// rule "valid UTF-8 is never re-decoded" is worth that rare miss.
func DecodeName(b []byte) string {
	b = bytes.TrimRight(b, "\x00")
	if utf8.Valid(b) {
		return string(b)
	}
	gb, gbClean := decodeGB18030(b)
	switch {
	case gbClean && commonGB(b):
		return gb
	case cyrillic1251(b):
		if s, err := charmap.Windows1251.NewDecoder().Bytes(b); err == nil {
			return strings.ToValidUTF8(string(s), "")
		}
	case gbClean && gbShape(b):
		return gb
	}
	if s, err := charmap.Windows1252.NewDecoder().Bytes(b); err == nil {
		return strings.Map(func(r rune) rune {
			if r == utf8.RuneError || (r < 0x20 && r != '\t') || (r >= 0x7f && r < 0xa0) {
				return -1
			}
			return r
		}, string(s))
	}
	return strings.ToValidUTF8(string(b), "")
}

// decodeGB18030 decodes b as GB18030; clean is false when any byte
// sequence was invalid (the decoder would have put U+FFFD there).
func decodeGB18030(b []byte) (s string, clean bool) {
	out, err := simplifiedchinese.GB18030.NewDecoder().Bytes(b)
	if err != nil || !utf8.Valid(out) || bytes.ContainsRune(out, utf8.RuneError) {
		return "", false
	}
	return string(out), true
}

// commonGB reports whether the non-ASCII bytes of b are GBK pairs and at
// least two thirds of them are GB 2312 punctuation or level-1 (common) Han
// characters: lead bytes 0xA1-0xA9 or 0xB0-0xD7, second byte 0xA1-0xFE. Chinese software names are written in
// common characters; other 8-bit code pages that decode as GB18030 by
// chance (CP1251 Cyrillic, mostly 0xE0-0xFF) land in the rare rows.
func commonGB(b []byte) bool {
	pairs, common := 0, 0
	for i := 0; i < len(b); i++ {
		c := b[i]
		if c < 0x80 {
			continue
		}
		if i+1 >= len(b) || c < 0x81 || c > 0xFE || b[i+1] < 0x40 || b[i+1] == 0x7F || b[i+1] > 0xFE {
			return false
		}
		pairs++
		if ((c >= 0xA1 && c <= 0xA9) || (c >= 0xB0 && c <= 0xD7)) && b[i+1] >= 0xA1 {
			common++
		}
		i++
	}
	return pairs > 0 && common*3 >= pairs*2
}

// gbShape reports whether every byte of 0x80 and up belongs to a GB18030
// sequence of high bytes (two-byte 0x81-0xFE 0x80-0xFE, or four-byte
// 0x81-0xFE 0x30-0x39 0x81-0xFE 0x30-0x39). GBK also allows an ASCII
// letter as second byte, but so does every Western name with an accent
// ("fran\xe7ais" decodes "\xe7a" as one Han character): such names are
// read as Windows-1252 unless commonGB already vouched for them.
func gbShape(b []byte) bool {
	for i := 0; i < len(b); i++ {
		c := b[i]
		if c < 0x80 {
			continue
		}
		switch {
		case c >= 0x81 && c <= 0xFE && i+1 < len(b) && b[i+1] >= 0x80 && b[i+1] <= 0xFE:
			i++
		case c >= 0x81 && c <= 0xFE && i+3 < len(b) && b[i+1] >= 0x30 && b[i+1] <= 0x39 && b[i+2] >= 0x81 && b[i+2] <= 0xFE && b[i+3] >= 0x30 && b[i+3] <= 0x39:
			i += 3
		default:
			return false
		}
	}
	return true
}

// cyrillic1251 reports whether b reads as CP1251 Cyrillic: every byte of
// 0x80 and up is a Cyrillic letter or common CP1251 punctuation, and the
// letters come in runs (words), unlike the lone accented letters of
// Western text.
func cyrillic1251(b []byte) bool {
	letters, inRun := 0, 0
	for i, c := range b {
		if c < 0x80 {
			continue
		}
		switch {
		case isCyr(c): // А-я, Ё, ё
			letters++
			if (i > 0 && isCyr(b[i-1])) || (i+1 < len(b) && isCyr(b[i+1])) {
				inRun++
			}
		case c == 0xAB, c == 0xBB, c == 0x96, c == 0x97, c == 0xB9, c == 0xA0, c == 0xAE, c == 0xA9, c == 0x99:
			// « » – — № nbsp ® © ™
		default:
			return false
		}
	}
	return letters >= 2 && inRun*4 >= letters*3
}

func isCyr(c byte) bool { return c >= 0xC0 || c == 0xA8 || c == 0xB8 }

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
