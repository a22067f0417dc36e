// Package packs embeds the policy packs: one per source regulation, mapping
// rule ids to the articles they enforce, with each article's own words
// copied verbatim from the seed file so that an auditor can sign a finding
// without opening the regulation. Severities and parameters (cutoff dates)
// live here too, so a district changes policy by choosing packs, not code.
package packs

import (
	"embed"
	"fmt"
	"io/fs"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/egovnet/egovnet/internal/plan"
	"github.com/egovnet/egovnet/internal/wire"
	"gopkg.in/yaml.v3"
)

//go:embed *.yaml
var files embed.FS

// Pack is one regulation's rules.
type Pack struct {
	ID         string          `yaml:"id"`
	Title      string          `yaml:"title"`
	Number     string          `yaml:"number"` // document number, e.g. 杨府办发〔2021〕3号
	Issuer     string          `yaml:"issuer"`
	Issued     string          `yaml:"issued"`
	Seed       string          `yaml:"seed"` // file name under the seeds folder
	SeedSHA256 string          `yaml:"seed_sha256"`
	Rules      map[string]Rule `yaml:"rules"`
}

// Rule is what one pack says about one rule id.
type Rule struct {
	Severity  string            `yaml:"severity"`
	Summary   string            `yaml:"summary"` // English
	Params    map[string]string `yaml:"params"`
	Citations []Article         `yaml:"citations"`
}

// Article is one cited passage.
type Article struct {
	Article string `yaml:"article"`
	Text    string `yaml:"text"`
}

// Document is how a citation names the pack's document.
func (p Pack) Document() string { return p.Title + "(" + p.Number + ")" }

// Citations returns the wire citations of rule in this pack.
func (p Pack) Citations(rule string) []wire.Citation {
	r, ok := p.Rules[rule]
	if !ok {
		return nil
	}
	// Several paragraphs of one article are one citation: an auditor
	// reads an article once, its paragraphs in the pack's order.
	out := make([]wire.Citation, 0, len(r.Citations))
	for _, a := range r.Citations {
		if i := slices.IndexFunc(out, func(c wire.Citation) bool { return c.Article == a.Article }); i >= 0 {
			if !strings.Contains(out[i].Text, a.Text) {
				out[i].Text += "\n" + a.Text
			}
			continue
		}
		out = append(out, wire.Citation{Pack: p.ID, Document: p.Document(), Article: a.Article, Text: a.Text, Summary: r.Summary})
	}
	return out
}

// Date returns a date parameter of rule (e.g. "cutoff"), if set.
func (p Pack) Date(rule, param string) (time.Time, bool) {
	r, ok := p.Rules[rule]
	if !ok || r.Params[param] == "" {
		return time.Time{}, false
	}
	t, err := plan.ParseDate(r.Params[param])
	if err != nil {
		return time.Time{}, false
	}
	return t, true
}

var all = mustLoad()

// All returns every shipped pack in plan.PackIDs order.
func All() []Pack { return slices.Clone(all) }

// Get returns the pack with id.
func Get(id string) (Pack, bool) {
	for _, p := range all {
		if p.ID == id {
			return p, true
		}
	}
	return Pack{}, false
}

func mustLoad() []Pack {
	ps, err := load(files)
	if err != nil {
		panic(err) // the embedded packs are tested; this is a build defect
	}
	return ps
}

var severities = []string{wire.SeverityCritical, wire.SeverityHigh, wire.SeverityMedium, wire.SeverityLow}

func load(fsys fs.FS) ([]Pack, error) {
	names, err := fs.Glob(fsys, "*.yaml")
	if err != nil {
		return nil, err
	}
	byID := map[string]Pack{}
	for _, n := range names {
		data, err := fs.ReadFile(fsys, n)
		if err != nil {
			return nil, fmt.Errorf("read pack %s: %w", n, err)
		}
		var p Pack
		dec := yaml.NewDecoder(strings.NewReader(string(data)))
		dec.KnownFields(true)
		if err := dec.Decode(&p); err != nil {
			return nil, fmt.Errorf("decode pack %s: %w", n, err)
		}
		if p.ID+".yaml" != n {
			return nil, fmt.Errorf("pack %s: id %q does not match the file name", n, p.ID)
		}
		for id, r := range p.Rules {
			if !slices.Contains(wire.RuleIDs, id) {
				return nil, fmt.Errorf("pack %s: unknown rule %q", n, id)
			}
			if !slices.Contains(severities, r.Severity) {
				return nil, fmt.Errorf("pack %s: rule %s: bad severity %q", n, id, r.Severity)
			}
			if len(r.Citations) == 0 {
				return nil, fmt.Errorf("pack %s: rule %s: no citation", n, id)
			}
			for k, v := range r.Params {
				if (k == "cutoff" || k == "deadline") && v != "" {
					if _, err := plan.ParseDate(v); err != nil {
						return nil, fmt.Errorf("pack %s: rule %s: param %s: %w", n, id, k, err)
					}
				}
			}
		}
		byID[p.ID] = p
	}
	var out []Pack
	for _, id := range plan.PackIDs {
		p, ok := byID[id]
		if !ok {
			return nil, fmt.Errorf("pack %s is not embedded", id)
		}
		out = append(out, p)
		delete(byID, id)
	}
	if len(byID) > 0 {
		var extra []string
		for id := range byID {
			extra = append(extra, id)
		}
		sort.Strings(extra)
		return nil, fmt.Errorf("packs %v are embedded but unknown to plan.PackIDs", extra)
	}
	return out, nil
}

// SeverityRank orders severities, most serious first (critical = 0).
func SeverityRank(s string) int {
	if i := slices.Index(severities, s); i >= 0 {
		return i
	}
	return len(severities)
}

// Lower returns the severity one step less serious (low stays low).
func Lower(s string) string {
	i := SeverityRank(s)
	if i+1 < len(severities) {
		return severities[i+1]
	}
	return wire.SeverityLow
}

// Raise returns the severity one step more serious (critical stays).
func Raise(s string) string {
	i := SeverityRank(s)
	if i > 0 && i < len(severities) {
		return severities[i-1]
	}
	return s
}
