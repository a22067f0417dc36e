package catalog

import (
	"path"
	"regexp"
	"strings"
)

// Input is one installed-software name as a source reported it.
type Input struct {
	Name    string `json:"name"`
	Version string `json:"version,omitempty"`
	Vendor  string `json:"vendor,omitempty"` // publisher as reported
	Source  string `json:"source,omitempty"` // snmp, dpkg, rpm, registry, import
}

// Result is the normalised product of one name (CONTRACT fields first).
type Result struct {
	Name        string `json:"name"`
	Version     string `json:"version,omitempty"`
	Vendor      string `json:"vendor"`
	Product     string `json:"product"` // canonical product name; "" when unknown
	Category    string `json:"category"`
	Domestic    bool   `json:"domestic"`
	Commercial  bool   `json:"commercial"`
	ProductKey  string `json:"product_key,omitempty"`
	ProductZH   string `json:"product_zh,omitempty"`
	VendorZH    string `json:"vendor_zh,omitempty"`
	Kind        string `json:"kind,omitempty"` // install, client, library, update, component
	Edition     string `json:"edition,omitempty"`
	HomeEdition bool   `json:"home_edition,omitempty"` // home/personal/student: not an organisational licence
	Trial       bool   `json:"trial,omitempty"`        // trial or evaluation edition
	Package     string `json:"package,omitempty"`      // package name when the input was a package string
}

// Known reports whether the name matched a product.
func (r Result) Known() bool { return r.ProductKey != "" }

// Counted reports whether the result is an install that needs a licence
// seat or counts toward shares: an install of an in-scope product.
func (r Result) Counted() bool {
	return r.Known() && r.Kind == KindInstall && InScope(r.Category)
}

var (
	updateRE = regexp.MustCompile(`(^| )(security )?update (for|to) |(^| )hotfix (for )?|(^| )kb \d{5,}( |$)|安全更新|更新程序|修补程序|补丁|(^| )service pack( |$)|language pack|语言包|(^| )mui( |$)|(^| )proof(ing)?( |$)|(^| )update rollup`)
	// management tools and clients of a database or middleware product: a
	// licence of the product covers them, they need no seat of their own
	clientWordRE = regexp.MustCompile(`(^| )(client|clients|management studio|management tools?|management console|workbench|data studio|studio|manager|administrator|admin|console|sql developer|data modeler|shell|cli)( |$)|客户端|管理工具|管理器|管理控制台|控制台|开发工具|迁移工具`)
	// libraries, drivers and setup parts: not the product, no licence
	libraryWordRE = regexp.MustCompile(`(^| )(odbc|jdbc|oledb|ole db|driver|drivers|connector|provider|sdk|runtime|setup|setup support files|shared components?|shared features|vss writer|sql writer|database engine shared)( |$)|驱动`)
	// corporate suffixes stripped from a publisher before it is tried as a name prefix
	vendorNoise = regexp.MustCompile(`(?i)(,? ?(corporation|corp|incorporated|inc|ltd|limited|co|company|gmbh|llc|s\.?a|ag|group|technologies|technology|software|systems|international)\.?)+$|(股份有限公司|有限责任公司|有限公司|集团|公司)$`)
)

// maxMemo bounds the memo of Match: a district reports a few thousand
// distinct names; a flood of unique names stops being remembered instead of
// growing the collector's memory.
const maxMemo = 1 << 16

// Match normalises one name. Results are memoised per input: the same
// names come back in every report of every device, and the regular
// expressions behind a match cost far more than a map lookup.
func (c *Catalog) Match(in Input) Result {
	if c.memo == nil {
		return c.match(in)
	}
	if r, ok := c.memo.Load(in); ok {
		return r.(Result)
	}
	res := c.match(in)
	// count stored entries, not misses: goroutines racing on one new name
	// store it once, and the bound is about memory, not traffic
	if c.memoN.Load() < maxMemo {
		if _, loaded := c.memo.LoadOrStore(in, res); !loaded {
			c.memoN.Add(1)
		}
	}
	return res
}

func (c *Catalog) match(in Input) Result {
	name := strings.TrimSpace(in.Name)
	res := Result{Name: name, Version: strings.TrimSpace(in.Version), Vendor: strings.TrimSpace(in.Vendor), Category: CategoryOther}
	if name == "" {
		return res
	}
	pk, isPkg := parsePackage(name)
	if isPkg && (in.Source == "registry" || looksLikeDisplayName(name)) {
		isPkg = false // Windows DisplayNames such as "OraDB19Home1" or "CCleaner" are not packages
	}
	if isPkg && res.Version != "" && pkgNameRE.MatchString(name) && !strings.ContainsAny(name, ":~") {
		// the source gave the version apart (dpkg, rpm): the name is the bare
		// package name, even when it ends in digits ("postgresql-15")
		pk = pkg{Name: name, Version: res.Version}
	}
	var pkgNorm string
	if isPkg {
		res.Package = strings.ToLower(pk.Name)
		if res.Version == "" {
			res.Version = pk.Version
		}
	}
	normName := Normalize(name)
	var r *rule
	if isPkg {
		if osr, ok := c.baseFiles(pk); ok {
			return c.fill(res, osr, KindInstall, "", false)
		}
		pkgNorm = Normalize(pk.Name)
		r = c.best(pkgNorm, strings.ToLower(pk.Name), true)
	} else {
		r = c.best(normName, "", false)
		if r == nil && res.Vendor != "" {
			v := strings.TrimSpace(vendorNoise.ReplaceAllString(strings.TrimSpace(res.Vendor), ""))
			if v != "" {
				r = c.best(Normalize(v+" "+name), "", false)
			}
		}
	}
	if r == nil {
		if res.Version == "" && !isPkg {
			res.Version = extractVersion(name)
		}
		return res
	}
	kind := r.kind
	if isPkg && r.glob == "" {
		switch {
		case kind == KindInstall && r.product.Category == CategoryOS && extraTokens(r, pkgNorm):
			kind = KindComponent // a distro package matched by name ("ubuntu-minimal") is part of the OS, not an install of it
		case kind == KindInstall && (libraryish(pk.Name) || extraTokens(r, pkgNorm)):
			// "nginx-filesystem", "mysql-testsuite": a part of the product, not the product
			kind = KindLibrary
		}
	}
	if !isPkg && kind == KindInstall && updateRE.MatchString(normName) {
		kind = KindUpdate
	}
	if !isPkg && kind == KindInstall && (r.product.Category == CategoryDatabase || r.product.Category == CategoryMiddleware) {
		switch {
		case libraryWordRE.MatchString(normName):
			kind = KindLibrary // "Oracle ODBC Driver", "达梦 JDBC 驱动"
		case clientWordRE.MatchString(normName):
			kind = KindClient // "Oracle Database 19c Client", "IBM MQ Client", "达梦客户端"
		}
	}
	if isPkg {
		return c.fill(res, r.product, kind, pkgNorm, false)
	}
	return c.fill(res, r.product, kind, normName, true)
}

// extraTokens reports whether a package name goes on, after the matched
// product name, with words other than version numbers.
func extraTokens(r *rule, text string) bool {
	loc := r.re.FindStringIndex(text)
	if loc == nil {
		return false
	}
	for _, tok := range strings.Fields(text[loc[1]:]) {
		if tok[0] < '0' || tok[0] > '9' {
			return true
		}
	}
	return false
}

// looksLikeDisplayName reports whether a single-token name is a product
// name in CamelCase ("OraDB19Home1", "WinRAR") rather than a package name,
// which has separators or is lower case.
func looksLikeDisplayName(s string) bool {
	if strings.ContainsAny(s, "-_.+:~") {
		return false
	}
	return strings.ToLower(s) != s
}

// MatchName is Match for a bare name.
func (c *Catalog) MatchName(name string) Result { return c.Match(Input{Name: name}) }

// fill copies the product into res. Global edition words are looked for
// only in display names: package names say "server" or "common" for
// reasons that have nothing to do with licence editions.
func (c *Catalog) fill(res Result, p *Product, kind, normName string, globalEditions bool) Result {
	res.ProductKey = p.Key
	res.Product = p.Name
	res.ProductZH = p.NameZH
	res.Vendor = p.Vendor
	res.VendorZH = p.VendorZH
	res.Category = p.Category
	res.Domestic = p.Domestic
	res.Commercial = p.Commercial
	res.Kind = kind
	if kind == KindLibrary {
		// a library, driver or runtime part needs no licence of its own
		res.Category = CategoryOther
		res.Commercial = false
	}
	if res.Version == "" {
		res.Version = extractVersion(res.Name)
	}
	if kind == KindClient {
		// a client or management tool ships with the product's licence
		// (SSMS, Instant Client, 达梦管理工具): it needs no seat and is not a
		// commercial install of its own, whatever edition words it carries
		// ("Oracle SQL Developer" is not a Developer edition)
		res.Commercial = false
		return res
	}
	ed := editionOf(p, normName, res.Version, globalEditions)
	if kind == KindLibrary && ed.Commercial != nil {
		ed.Commercial = nil
	}
	res.Edition, res.HomeEdition, res.Trial = ed.Name, ed.Home, ed.Trial
	if ed.Commercial != nil {
		res.Commercial = *ed.Commercial
	}
	return res
}

// best returns the most specific rule matching a name. For package strings
// (pkgName set) globs are tried on the package name and display patterns
// must match at its start, so "libdbd-mysql-perl" is not MySQL.
func (c *Catalog) best(normText, pkgName string, isPkg bool) *rule {
	// In "PolarDB for PostgreSQL" or "ODBC Driver 17 for SQL Server" what
	// follows "for" is the platform, not the product: a match that starts
	// after a "for" counts half.
	forAt := -1
	if !isPkg {
		if i := strings.Index(" "+normText+" ", " for "); i >= 0 {
			forAt = i
		}
	}
	var best *rule
	bestScore := 0
	for i := range c.rules {
		r := &c.rules[i]
		if best != nil && r.score <= bestScore {
			break // rules are sorted by score: nothing later can win
		}
		score := r.score
		if r.glob != "" {
			if !isPkg {
				continue
			}
			if ok, _ := path.Match(r.glob, pkgName); !ok {
				continue
			}
		} else {
			if r.need != "" && !strings.Contains(normText, r.need) {
				continue
			}
			loc := r.re.FindStringIndex(normText)
			if loc == nil || (isPkg && loc[0] != 0) {
				continue
			}
			if forAt >= 0 && loc[0] > forAt {
				score /= 2
			}
		}
		if score <= bestScore || r.product.excluded(normText) {
			continue
		}
		best, bestScore = r, score
	}
	return best
}
