package catalog

import (
	"regexp"
	"strings"
)

var (
	kbRE        = regexp.MustCompile(`(?i)\(?\bKB\d{5,}(-v\d+)?\)?`)
	archRE      = regexp.MustCompile(`(?i)(\b|_)(x86|x64|x86_64|amd64|i[3-6]86|win32|win64|(32|64)[ -]?(bit|位))(\b|_)`)
	bracketRE   = regexp.MustCompile(`\[([0-9][0-9A-Za-z.\-]*)\]?`)
	dottedRE    = regexp.MustCompile(`\b[vV]?(\d+(?:\.\d+)+(?:[-_.]?[A-Za-z]+\d*)?)`)
	vrRE        = regexp.MustCompile(`(?i)(?:^|[^A-Za-z])(V\d+(?:R\d+)?(?:C\d+)?(?:B\d+)?(?: ?SP\d+)?)\b`)
	yearRE      = regexp.MustCompile(`(?:^|\D)((?:19|20)\d{2})(?:\D|$)`)
	trailNumRE  = regexp.MustCompile(`(?:^|[^\d.])(\d{1,3})(?:\s*(?:SP\d+|R2|[xX]64)?)\s*(?:\(|$|\s)`)
	glueNumRE   = regexp.MustCompile(`(?i)^[a-z]+?(\d{1,2})\b`)       // DM8, tomcat9
	oracleRelRE = regexp.MustCompile(`(?i)\b(\d{1,2}(?:i|g|c|ai))\b`) // Oracle 8i, 11g, 19c, 23ai
	// Oracle home names: "OraDB19Home1" is release 19, home number 1
	oraHomeRE = regexp.MustCompile(`(?i)\bora(?:db|client)(\d{1,2})(?:c|g|i)?home\d*\b`)
	// a Windows client release before a feature-update number
	// ("Windows 10 专业版 2004" is Windows 10, release 2004)
	winClientRE = regexp.MustCompile(`(?i)\bwindows\s+(7|8\.1|8|10|11)\b`)
	// ordinal R2 on server releases ("Windows Server 2008 R2")
	r2RE = regexp.MustCompile(`(?i)\b((?:19|20)\d{2})\s+(R2)\b`)
	// digits that are part of a product's name, not its release: ESET NOD32,
	// Microsoft/Office/WPS 365, Norton 360 and 360安全卫士, 7-Zip, IBM Db2,
	// Neo4j, GBase 8a/8s/8c/8t/8m/8d, Win32. They are removed before the
	// version is looked for, so "ESET NOD32 Antivirus" has no version and
	// "360安全卫士 13.0.0.2001" has 13.0.0.2001.
	productDigitsRE = regexp.MustCompile(`(?i)(?:^|[^a-z\d.])(nod\s?32|36[05]|7-?zip|db\s?2|neo4j|gbase\s?8[ascdmt]|win(?:32|64)|x264|mp[34]|h\.?26[45])(?:[^a-z\d.]|$)`)
)

// stripProductDigits blanks the product-name tokens of productDigitsRE.
// The surrounding separators are kept so that neighbouring numbers do not
// merge; overlapping matches are handled by repeating.
func stripProductDigits(s string) string {
	for i := 0; i < 4; i++ {
		locs := productDigitsRE.FindAllStringSubmatchIndex(s, -1)
		if locs == nil {
			return s
		}
		var b strings.Builder
		last := 0
		for _, m := range locs {
			b.WriteString(s[last:m[2]])
			b.WriteString(" ")
			last = m[3]
		}
		b.WriteString(s[last:])
		s = b.String()
	}
	return s
}

// extractVersion finds a version in a display name: a bracketed release
// ("[13.3R9.13]"), a dotted version ("11.1.0.11294"), a V-release ("V8R6",
// "V10"), a year ("2016", "Server 2008 R2"), or a short trailing number
// ("Windows 10", "DM8"). KB numbers are never versions, nor are digits
// that belong to the product's name (NOD32, Microsoft 365, 360安全卫士).
func extractVersion(name string) string {
	s := kbRE.ReplaceAllString(name, " ")
	s = archRE.ReplaceAllString(s, " ")
	s = stripProductDigits(s)
	if m := oraHomeRE.FindStringSubmatch(s); m != nil {
		return m[1]
	}
	if m := winClientRE.FindStringSubmatch(s); m != nil {
		if m := dottedRE.FindStringSubmatch(s[strings.Index(s, m[0])+len(m[0]):]); m != nil {
			return m[1] // a build number after the release ("Windows 10 10.0.19045")
		}
		return m[1]
	}
	if m := bracketRE.FindStringSubmatch(s); m != nil {
		return m[1]
	}
	if m := dottedRE.FindStringSubmatch(s); m != nil {
		return m[1]
	}
	if m := vrRE.FindStringSubmatch(s); m != nil {
		return strings.ToUpper(m[1])
	}
	if m := oracleRelRE.FindStringSubmatch(s); m != nil {
		return strings.ToLower(m[1])
	}
	if m := r2RE.FindStringSubmatch(s); m != nil {
		return m[1] + " " + strings.ToUpper(m[2])
	}
	if m := yearRE.FindStringSubmatch(s); m != nil {
		return m[1]
	}
	if m := trailNumRE.FindStringSubmatch(s); m != nil {
		return m[1]
	}
	for _, f := range strings.Fields(s) {
		if strings.EqualFold(f, "db2") {
			continue // IBM Db2 is a name, not release 2
		}
		if m := glueNumRE.FindStringSubmatch(f); m != nil {
			return m[1]
		}
	}
	return ""
}

type editionResult struct {
	Name       string
	Home       bool
	Trial      bool
	Commercial *bool
}

type globalEdition struct {
	re     *regexp.Regexp
	name   string
	home   bool
	trial  bool
	osOnly bool // "server" and "desktop" are editions of operating systems only
}

func ge(pattern, name string, home, trial bool) globalEdition {
	r, err := compileRule(pattern, false)
	if err != nil || r.re == nil {
		panic("catalog: bad global edition pattern " + pattern)
	}
	return globalEdition{re: r.re, name: name, home: home, trial: trial}
}

func (g globalEdition) os() globalEdition { g.osOnly = true; return g }

// globalEditions apply to every product after its own editions; first
// match wins, so the longer names come first.
var globalEditions = []globalEdition{
	ge("home and student", "Home and Student 家庭和学生版", true, false),
	ge("家庭和学生", "Home and Student 家庭和学生版", true, false),
	ge("home and business", "Home and Business 小型企业版", false, false),
	ge("小型企业版", "Home and Business 小型企业版", false, false),
	ge("home premium", "Home Premium 家庭高级版", true, false),
	ge("home basic", "Home Basic 家庭普通版", true, false),
	ge("家庭高级版", "Home Premium 家庭高级版", true, false),
	ge("家庭普通版", "Home Basic 家庭普通版", true, false),
	ge("家庭中文版", "Home 家庭版", true, false),
	ge("家庭版", "Home 家庭版", true, false),
	ge("home", "Home 家庭版", true, false),
	ge("个人版", "Personal 个人版", true, false),
	ge("personal", "Personal 个人版", true, false),
	ge("family", "Family 家庭版", true, false),
	ge("student", "Student 学生版", true, false),
	ge("学生版", "Student 学生版", true, false),
	ge("free", "Free 免费版", true, false),
	ge("免费版", "Free 免费版", true, false),
	ge("trial", "Trial 试用版", false, true),
	ge("试用版", "Trial 试用版", false, true),
	ge("evaluation", "Evaluation 评估版", false, true),
	ge("评估版", "Evaluation 评估版", false, true),
	ge("pro for workstations", "Pro for Workstations 专业工作站版", false, false),
	ge("专业工作站版", "Pro for Workstations 专业工作站版", false, false),
	ge("professional plus", "Professional Plus 专业增强版", false, false),
	ge("proplus", "Professional Plus 专业增强版", false, false),
	ge("professionnel plus", "Professional Plus 专业增强版", false, false), // French-language installs
	ge("专业增强版", "Professional Plus 专业增强版", false, false),
	ge("professional", "Professional 专业版", false, false),
	ge("专业版", "Professional 专业版", false, false),
	ge("pro", "Professional 专业版", false, false),
	ge("ultimate", "Ultimate 旗舰版", false, false),
	ge("旗舰版", "Ultimate 旗舰版", false, false),
	ge("enterprise", "Enterprise 企业版", false, false),
	ge("企业版", "Enterprise 企业版", false, false),
	ge("datacenter", "Datacenter 数据中心版", false, false),
	ge("数据中心版", "Datacenter 数据中心版", false, false),
	ge("standard", "Standard 标准版", false, false),
	ge("标准版", "Standard 标准版", false, false),
	ge("education", "Education 教育版", false, false),
	ge("教育版", "Education 教育版", false, false),
	ge("政务版", "Government 政务版", false, false),
	ge("政府版", "Government 政务版", false, false),
	ge("community", "Community 社区版", false, false),
	ge("社区版", "Community 社区版", false, false),
	ge("express", "Express 精简版", false, false),
	ge("developer", "Developer 开发版", false, false),
	ge("开发版", "Developer 开发版", false, false),
	ge("advanced server", "Advanced Server 高级服务器版", false, false).os(),
	ge("高级服务器", "Advanced Server 高级服务器版", false, false).os(),
	ge("server", "Server 服务器版", false, false).os(),
	ge("服务器", "Server 服务器版", false, false).os(),
	ge("desktop", "Desktop 桌面版", false, false).os(),
	ge("桌面", "Desktop 桌面版", false, false).os(),
}

// editionOf finds the edition of a matched product: the product's own
// rules first (by name, then by version), then the global ones.
func editionOf(p *Product, normName, version string, global bool) editionResult {
	for _, e := range p.Editions {
		hit := false
		if e.match != nil && e.match.MatchString(normName) {
			hit = true
		}
		if e.version != nil && version != "" && e.version.MatchString(version) {
			hit = true
		}
		if hit {
			return editionResult{Name: e.Name, Home: e.Home, Trial: e.Trial, Commercial: e.Commercial}
		}
	}
	if p.Category == CategoryOther || !global {
		return editionResult{}
	}
	for _, g := range globalEditions {
		if g.osOnly && p.Category != CategoryOS {
			continue
		}
		if g.re.MatchString(normName) {
			return editionResult{Name: g.name, Home: g.home, Trial: g.trial}
		}
	}
	return editionResult{}
}
