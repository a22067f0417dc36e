package plan

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"reflect"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"

	"gopkg.in/yaml.v3"
)

// Load reads and strictly validates the plan file at path. Every problem is
// reported (errors.Join), each naming the file, the line and the key.
func Load(path string) (*Plan, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read plan: %w", err)
	}
	return Parse(data, path)
}

// Parse decodes plan.yaml strictly: unknown keys, wrong types, bad CIDRs or
// addresses, unknown packs or rules, duplicate departments and incomplete
// exemptions are errors naming the key and the line. name labels the errors
// (usually the file path).
func Parse(data []byte, name string) (*Plan, error) {
	if name == "" {
		name = "plan.yaml"
	}
	if len(bytes.TrimSpace(data)) == 0 {
		return nil, fmt.Errorf("%s: empty plan", name)
	}
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return nil, fmt.Errorf("%s", positioned(name, strings.TrimPrefix(err.Error(), "yaml: ")))
	}
	if doc.Kind != yaml.DocumentNode || len(doc.Content) != 1 || doc.Content[0].Kind != yaml.MappingNode {
		return nil, fmt.Errorf("%s: the plan must be a YAML mapping (district, packs, extranet, departments, ...)", name)
	}
	root := doc.Content[0]
	c := &checker{name: name}
	c.knownKeys(root, reflect.TypeOf(Plan{}), "")
	c.fixDates(root)
	var p Plan
	decoded := true
	if err := root.Decode(&p); err != nil {
		var te *yaml.TypeError
		if errors.As(err, &te) {
			for _, e := range te.Errors {
				pe := errors.New(positioned(name, e))
				c.errs = append(c.errs, pe)
				if c.typeLines == nil {
					c.typeLines = map[int]bool{}
				}
				c.typeLines[errLine(pe)] = true
			}
		} else {
			c.errs = append(c.errs, errors.New(positioned(name, strings.TrimPrefix(err.Error(), "yaml: "))))
			decoded = false
		}
	}
	if decoded && !c.dupKeys {
		v := &validator{c: c, root: root, p: &p}
		v.validate()
	}
	if len(c.errs) > 0 {
		sort.SliceStable(c.errs, func(i, j int) bool { return errLine(c.errs[i]) < errLine(c.errs[j]) })
		return nil, errors.Join(c.errs...)
	}
	return &p, nil
}

// checker collects problems with their positions.
type checker struct {
	name      string
	errs      []error
	badDates  map[int]bool // exemptions whose expires was present but invalid
	typeLines map[int]bool // lines whose value had the wrong type (already reported)
	dupKeys   bool         // a mapping repeats a key: the decoded plan is partial
}

func (c *checker) addf(line int, key, format string, args ...any) {
	if c.typeLines[line] {
		return // the wrong type is the problem there; what follows from it is noise
	}
	msg := fmt.Sprintf(format, args...)
	if key != "" {
		msg = key + ": " + msg
	}
	if line > 0 {
		c.errs = append(c.errs, fmt.Errorf("%s:%d: %s", c.name, line, msg))
		return
	}
	c.errs = append(c.errs, fmt.Errorf("%s: %s", c.name, msg))
}

// knownKeys walks the node tree along the Go type and names every key the
// type does not have. yaml.v3's KnownFields only works on a Decoder, and
// the date fix-up below needs the node tree, so the check is done here.
func (c *checker) knownKeys(n *yaml.Node, t reflect.Type, path string) {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if n.Kind == yaml.AliasNode {
		return
	}
	switch t.Kind() {
	case reflect.Struct:
		if t == reflect.TypeOf(time.Time{}) || n.Kind != yaml.MappingNode {
			return // wrong shapes are reported by Decode with their line
		}
		fields := map[string]reflect.Type{}
		var names []string
		for i := 0; i < t.NumField(); i++ {
			f := t.Field(i)
			tag := strings.Split(f.Tag.Get("yaml"), ",")[0]
			if tag == "" || tag == "-" {
				continue
			}
			fields[tag] = f.Type
			names = append(names, tag)
		}
		sort.Strings(names)
		seen := map[string]bool{}
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, val := n.Content[i], n.Content[i+1]
			if seen[k.Value] {
				c.dupKeys = true // yaml.v3 names it when decoding
			}
			seen[k.Value] = true
			key := join(path, k.Value)
			ft, ok := fields[k.Value]
			if !ok {
				c.addf(k.Line, key, "unknown key (known keys here: %s)", strings.Join(names, ", "))
				continue
			}
			c.knownKeys(val, ft, key)
		}
	case reflect.Slice:
		if n.Kind != yaml.SequenceNode {
			return
		}
		for i, e := range n.Content {
			c.knownKeys(e, t.Elem(), fmt.Sprintf("%s[%d]", path, i))
		}
	}
}

func join(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

// fixDates accepts exemptions[*].expires as a date (2027-06-30) or an
// RFC 3339 instant, quoted or not, and reports anything else with its line
// (yaml.v3 would stop at the first bad time without one).
func (c *checker) fixDates(root *yaml.Node) {
	ex := mapValue(root, "exemptions")
	if ex == nil || ex.Kind != yaml.SequenceNode {
		return
	}
	for i, e := range ex.Content {
		n := mapValue(e, "expires")
		if n == nil || n.Kind != yaml.ScalarNode {
			continue
		}
		key := fmt.Sprintf("exemptions[%d].expires", i)
		if n.Tag == "!!null" || n.Value == "" {
			continue // reported as missing by validate
		}
		t, err := ParseDate(n.Value)
		if err != nil {
			c.addf(n.Line, key, "%v", err)
			if c.badDates == nil {
				c.badDates = map[int]bool{}
			}
			c.badDates[i] = true
			n.Tag, n.Value, n.Style = "!!null", "", 0
			continue
		}
		n.Tag, n.Value, n.Style = "!!timestamp", t.Format(time.RFC3339Nano), 0
	}
}

// ParseDate reads a date (2006-01-02, taken as midnight UTC) or an RFC 3339
// instant.
func ParseDate(s string) (time.Time, error) {
	s = strings.TrimSpace(s)
	if t, err := time.Parse("2006-01-02", s); err == nil {
		return t, nil
	}
	if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
		return t, nil
	}
	return time.Time{}, fmt.Errorf("invalid date %q (want YYYY-MM-DD, e.g. 2027-06-30, or RFC 3339)", s)
}

// mapValue returns the value node of key in mapping n, or nil.
func mapValue(n *yaml.Node, key string) *yaml.Node {
	if n == nil || n.Kind != yaml.MappingNode {
		return nil
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value == key {
			return n.Content[i+1]
		}
	}
	return nil
}

// seqItem returns element i of sequence n, or nil.
func seqItem(n *yaml.Node, i int) *yaml.Node {
	if n == nil || n.Kind != yaml.SequenceNode || i < 0 || i >= len(n.Content) {
		return nil
	}
	return n.Content[i]
}

var lineRE = regexp.MustCompile(`^line (\d+): `)

// positioned turns yaml.v3's "line N: msg" into "name:N: msg".
func positioned(name, msg string) string {
	if m := lineRE.FindStringSubmatch(msg); m != nil {
		return name + ":" + m[1] + ": " + msg[len(m[0]):]
	}
	return name + ": " + msg
}

var posRE = regexp.MustCompile(`^[^:]*:(\d+): `)

// errLine is the line an error names (0 when none), for sorting.
func errLine(err error) int {
	if m := posRE.FindStringSubmatch(err.Error()); m != nil {
		n, _ := strconv.Atoi(m[1])
		return n
	}
	return 0
}
