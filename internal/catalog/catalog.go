// Package catalog normalises installed-software names from every source
// (SNMP hrSWInstalledName, dpkg and rpm names, Windows uninstall
// DisplayName/Publisher, CSV imports) to a known product with its vendor,
// category, domestic (信创) and commercial flags. Software legalization
// (软件正版化, Yangpu art. 33) is judged per product, so every count the
// ledger makes starts here; the built-in catalog is embedded data so that
// agents and collectors classify identically.
//
// Classification policy (documented because inspectors and users rely on it):
//   - kind "install": the product itself (server, desktop application). Counted.
//   - kind "client": a client or management tool of a product
//     (postgresql-client, SSMS, Oracle Instant Client, SQL Developer,
//     MySQL Workbench, pgAdmin, 达梦管理工具). Keeps the product's category,
//     is never counted as a licensed install and is not commercial on its
//     own (client tools ship free with the server licence), so it can never
//     raise unlicensed-software.
//   - third-party database tools sold on their own licence (Navicat, Toad,
//     PL/SQL Developer, DataGrip) are products of their own in category
//     "other", commercial: they are inventoried with their real vendor, but
//     are outside the legalization categories (OS, database, middleware,
//     antivirus, office, layout), so they raise no finding; free ones
//     (DBeaver Community, HeidiSQL) likewise, not commercial.
//   - kind "library": libraries, runtimes, drivers, -dev/-doc/-common parts
//     (mysql-common, libpq5, ODBC/JDBC drivers). Category "other": they are
//     not the product and need no licence of their own.
//   - kind "update": updates, hotfixes, service packs and language packs of a
//     product. Keeps the category, never counted.
//   - kind "component": a package shipped as part of an operating system
//     (kernel, desktop parts, "com.kylin.*" apps). Category os, never counted:
//     the OS is one install per host, derived once from its release marker
//     (base-files, *-release, os-release, sysDescr), see OS.
//
// Unknown software gets product "" and category "other".
package catalog

import (
	"embed"
	"fmt"
	"io/fs"
	"regexp"
	"sort"
	"strings"
	"sync"
	"sync/atomic"

	"gopkg.in/yaml.v3"
)

// Categories (CONTRACT).
const (
	CategoryOS         = "os"
	CategoryDatabase   = "database"
	CategoryMiddleware = "middleware"
	CategoryAntivirus  = "antivirus"
	CategoryOffice     = "office"
	CategoryLayout     = "layout"
	CategoryOther      = "other"
)

// Categories lists every category in report order.
var Categories = []string{CategoryOS, CategoryDatabase, CategoryMiddleware, CategoryAntivirus, CategoryOffice, CategoryLayout, CategoryOther}

// InScope reports whether a category is covered by the legalization
// regulations (OS, database, middleware, antivirus, office, layout).
func InScope(category string) bool {
	return category != "" && category != CategoryOther
}

// Kinds of a matched name.
const (
	KindInstall   = "install"
	KindClient    = "client"
	KindLibrary   = "library"
	KindUpdate    = "update"
	KindComponent = "component"
)

// Product is one catalog entry.
type Product struct {
	Key        string    `yaml:"key" json:"key"`
	Name       string    `yaml:"name" json:"name"`
	NameZH     string    `yaml:"name_zh" json:"name_zh"`
	Vendor     string    `yaml:"vendor" json:"vendor"`
	VendorZH   string    `yaml:"vendor_zh" json:"vendor_zh"`
	Category   string    `yaml:"category" json:"category"`
	Domestic   bool      `yaml:"domestic" json:"domestic"`
	Commercial bool      `yaml:"commercial" json:"commercial"`
	Match      []string  `yaml:"match" json:"match,omitempty"`           // display-name patterns: the product itself
	Packages   []string  `yaml:"packages" json:"packages,omitempty"`     // package-name globs: the product itself
	Clients    []string  `yaml:"clients" json:"clients,omitempty"`       // patterns or globs: client tools
	Libraries  []string  `yaml:"libraries" json:"libraries,omitempty"`   // patterns or globs: libraries, drivers
	Components []string  `yaml:"components" json:"components,omitempty"` // patterns or globs: OS parts
	Exclude    []string  `yaml:"exclude" json:"exclude,omitempty"`       // patterns that veto this product
	Editions   []Edition `yaml:"editions" json:"editions,omitempty"`     // product-specific editions, tried first
	OSRelease  bool      `yaml:"os_release" json:"os_release,omitempty"` // Packages are release markers (one OS per host)

	rules   []rule
	exclude []*regexp.Regexp
}

// Edition is a product-specific edition rule.
type Edition struct {
	Name       string `yaml:"name" json:"name"`
	Match      string `yaml:"match" json:"match,omitempty"`     // pattern on the name
	Version    string `yaml:"version" json:"version,omitempty"` // regexp on the version
	Home       bool   `yaml:"home" json:"home,omitempty"`       // not an organisational licence
	Trial      bool   `yaml:"trial" json:"trial,omitempty"`
	Commercial *bool  `yaml:"commercial" json:"commercial,omitempty"`

	match   *regexp.Regexp
	version *regexp.Regexp
}

// Catalog is a compiled product list.
type Catalog struct {
	Products []*Product
	byKey    map[string]*Product
	rules    []rule // every rule of every product, most specific first

	memo  *sync.Map // Input -> Result, see Match
	memoN atomic.Int64
}

type catalogFile struct {
	Products []*Product `yaml:"products"`
}

//go:embed data/*.yaml
var dataFS embed.FS

var (
	defaultOnce sync.Once
	defaultCat  *Catalog
	defaultErr  error
)

// Default returns the built-in catalog. The embedded data is validated by
// tests, so an error here is a build defect.
func Default() (*Catalog, error) {
	defaultOnce.Do(func() {
		defaultCat, defaultErr = LoadFS(dataFS, "data")
	})
	return defaultCat, defaultErr
}

// MustDefault is Default for callers that cannot proceed without it.
func MustDefault() *Catalog {
	c, err := Default()
	if err != nil {
		panic(err)
	}
	return c
}

// LoadFS reads every *.yaml file of dir in fsys (sorted by name) as one catalog.
func LoadFS(fsys fs.FS, dir string) (*Catalog, error) {
	entries, err := fs.ReadDir(fsys, dir)
	if err != nil {
		return nil, fmt.Errorf("read catalog dir %s: %w", dir, err)
	}
	var all []*Product
	for _, e := range entries {
		if e.IsDir() || !strings.HasSuffix(e.Name(), ".yaml") {
			continue
		}
		b, err := fs.ReadFile(fsys, dir+"/"+e.Name())
		if err != nil {
			return nil, fmt.Errorf("read catalog file %s: %w", e.Name(), err)
		}
		ps, err := parse(b)
		if err != nil {
			return nil, fmt.Errorf("parse catalog file %s: %w", e.Name(), err)
		}
		all = append(all, ps...)
	}
	return New(all)
}

// Parse reads one YAML catalog document ("products: [...]").
func Parse(b []byte) (*Catalog, error) {
	ps, err := parse(b)
	if err != nil {
		return nil, err
	}
	return New(ps)
}

func parse(b []byte) ([]*Product, error) {
	dec := yaml.NewDecoder(strings.NewReader(string(b)))
	dec.KnownFields(true)
	var f catalogFile
	if err := dec.Decode(&f); err != nil {
		return nil, err
	}
	return f.Products, nil
}

var keyRE = regexp.MustCompile(`^[a-z0-9][a-z0-9.-]*$`)

// New validates and compiles products into a catalog.
func New(products []*Product) (*Catalog, error) {
	c := &Catalog{byKey: map[string]*Product{}, memo: &sync.Map{}}
	var problems []string
	for i, p := range products {
		where := fmt.Sprintf("product %d (%s)", i+1, p.Key)
		if !keyRE.MatchString(p.Key) {
			problems = append(problems, where+": key must be lower-case letters, digits, '.' or '-'")
		}
		if _, dup := c.byKey[p.Key]; dup {
			problems = append(problems, where+": duplicate key")
		}
		if p.Name == "" {
			problems = append(problems, where+": name is empty")
		}
		if !validCategory(p.Category) {
			problems = append(problems, fmt.Sprintf("%s: category %q is not one of %s", where, p.Category, strings.Join(Categories, ", ")))
		}
		if len(p.Match)+len(p.Packages)+len(p.Clients)+len(p.Libraries)+len(p.Components) == 0 {
			problems = append(problems, where+": no match patterns or packages")
		}
		if err := p.compile(); err != nil {
			problems = append(problems, fmt.Sprintf("%s: %v", where, err))
		}
		c.byKey[p.Key] = p
		c.Products = append(c.Products, p)
		c.rules = append(c.rules, p.rules...)
	}
	if len(problems) > 0 {
		return nil, fmt.Errorf("invalid catalog:\n  %s", strings.Join(problems, "\n  "))
	}
	// Most specific first: exact package names, then longer literals; catalog
	// order breaks ties so the data file decides between equals.
	sort.SliceStable(c.rules, func(i, j int) bool { return c.rules[i].score > c.rules[j].score })
	return c, nil
}

func validCategory(s string) bool {
	for _, c := range Categories {
		if s == c {
			return true
		}
	}
	return false
}

// Product returns the product with key.
func (c *Catalog) Product(key string) (*Product, bool) {
	p, ok := c.byKey[key]
	return p, ok
}

// Len is the number of products.
func (c *Catalog) Len() int { return len(c.Products) }

// CountByCategory returns how many products each category holds, and how
// many of them are domestic.
func (c *Catalog) CountByCategory() (total, domestic map[string]int) {
	total, domestic = map[string]int{}, map[string]int{}
	for _, p := range c.Products {
		total[p.Category]++
		if p.Domestic {
			domestic[p.Category]++
		}
	}
	return total, domestic
}
