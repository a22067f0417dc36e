package catalog

import (
	"sort"
	"strings"
)

// Resolution is what a product reference (a licence's "product", a
// purchase-list row) resolves to.
type Resolution struct {
	Product *Product // the one product; nil when unknown or ambiguous
	// Candidates are the products an ambiguous reference could mean, in
	// catalog order; empty unless Product is nil and the reference matched
	// more than one product.
	Candidates []*Product
	// Library is set when the reference names only a library, driver or
	// other part of a product (which needs no licence of its own).
	Library *Product
}

// Resolve finds the product a person means by ref, in this order:
//  1. a catalog key ("windows", "wps");
//  2. a product's display name, English or Chinese, as `catalog match`
//     prints it ("Microsoft Windows", "Windows操作系统"), compared
//     normalised (case, width, punctuation);
//  3. any name or alias the catalog recognises ("WPS Office 2019",
//     "银河麒麟桌面操作系统V10"), when its best match is exactly one product;
//  4. a name contained in exactly one product's display names ("Tomcat").
//
// When step 3 or 4 finds several equally good products the reference is
// ambiguous and Candidates lists them.
func (c *Catalog) Resolve(ref string) Resolution {
	ref = strings.TrimSpace(ref)
	if ref == "" {
		return Resolution{}
	}
	if p, ok := c.byKey[strings.ToLower(ref)]; ok {
		return Resolution{Product: p}
	}
	norm := Normalize(ref)
	if norm == "" {
		return Resolution{}
	}
	var named []*Product
	for _, p := range c.Products {
		if norm == Normalize(p.Name) || (p.NameZH != "" && norm == Normalize(p.NameZH)) {
			named = append(named, p)
		}
	}
	if len(named) == 1 {
		return Resolution{Product: named[0]}
	}
	if len(named) > 1 {
		return Resolution{Candidates: named}
	}
	if r := c.MatchName(ref); r.Known() {
		top := c.topProducts(norm)
		if len(top) > 1 {
			return Resolution{Candidates: top}
		}
		p := c.byKey[r.ProductKey]
		if r.Kind == KindLibrary {
			return Resolution{Library: p}
		}
		return Resolution{Product: p}
	}
	var within []*Product
	for _, p := range c.Products {
		if containsWords(Normalize(p.Name), norm) || (p.NameZH != "" && containsWords(Normalize(p.NameZH), norm)) {
			within = append(within, p)
		}
	}
	switch len(within) {
	case 0:
		return Resolution{}
	case 1:
		return Resolution{Product: within[0]}
	}
	return Resolution{Candidates: within}
}

// topProducts lists the distinct products whose display patterns (not
// library ones) match a normalised name with the best score.
func (c *Catalog) topProducts(norm string) []*Product {
	best := 0
	var out []*Product
	seen := map[*Product]bool{}
	for i := range c.rules {
		r := &c.rules[i]
		if r.glob != "" || r.re == nil || r.kind == KindLibrary || r.score < best {
			continue
		}
		if r.need != "" && !strings.Contains(norm, r.need) {
			continue
		}
		if !r.re.MatchString(norm) || r.product.excluded(norm) {
			continue
		}
		if r.score > best {
			best, out, seen = r.score, nil, map[*Product]bool{}
		}
		if !seen[r.product] {
			seen[r.product] = true
			out = append(out, r.product)
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return c.index(out[i]) < c.index(out[j]) })
	return out
}

func (c *Catalog) index(p *Product) int {
	for i, q := range c.Products {
		if q == p {
			return i
		}
	}
	return len(c.Products)
}

// containsWords reports whether the normalised text holds the normalised
// words of sub on token boundaries (Han runs may match inside a word).
func containsWords(text, sub string) bool {
	if sub == "" {
		return false
	}
	r, err := compileRule(sub, false)
	if err != nil || r.re == nil {
		return false
	}
	return r.re.MatchString(text)
}
