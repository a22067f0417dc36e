// Package paging is the one reading of the CONTRACT's list parameters
// (?limit=N&offset=M&q=TEXT) and the one writer of X-Total-Count, so every
// list route pages the same way. Stores that page in SQL take a Page; lists
// still built in memory use Slice and Match, and handlers owned elsewhere that
// answer a whole JSON array can be wrapped with Buffer until they page
// natively.
package paging

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/egovnet/egovnet/collector/respond"
)

// Limits: ?limit= may lower the default, never exceed MaxLimit.
const (
	DefaultLimit = 1000
	MaxLimit     = 100_000
	MaxQuery     = 200 // bytes of ?q=
)

// TotalHeader is the header carrying the number of rows matching the filters
// before limit and offset.
const TotalHeader = "X-Total-Count"

// Page is one request's window and search text.
type Page struct {
	Limit  int
	Offset int
	Q      string // as typed, trimmed; match case-insensitively
	// Sort is ?sort=COLUMN or ?sort=-COLUMN (descending), as typed; a store
	// maps it to SQL through Order and its own list of sortable columns.
	Sort string
}

// Order returns the ORDER BY expression for p.Sort: cols maps the public
// column names a list allows to SQL expressions; an unknown or empty sort
// gives def. Ties keep the order of def after the chosen column.
func (p Page) Order(cols map[string]string, def string) string {
	name, desc := strings.CutPrefix(p.Sort, "-")
	expr, ok := cols[name]
	if !ok {
		return def
	}
	dir := " ASC"
	if desc {
		dir = " DESC"
	}
	return expr + dir + ", " + def
}

// Parse reads limit, offset and q from r's query.
func Parse(r *http.Request) (Page, error) {
	v := r.URL.Query()
	p := Page{Limit: DefaultLimit, Q: strings.TrimSpace(v.Get("q")), Sort: v.Get("sort")}
	var problems []string
	if s := v.Get("limit"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 || n > MaxLimit {
			problems = append(problems, fmt.Sprintf("limit: an integer in 1..%d", MaxLimit))
		} else {
			p.Limit = n
		}
	}
	if s := v.Get("offset"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 0 {
			problems = append(problems, "offset: a non-negative integer")
		} else {
			p.Offset = n
		}
	}
	if len(p.Q) > MaxQuery || !utf8.ValidString(p.Q) {
		problems = append(problems, fmt.Sprintf("q: at most %d bytes of UTF-8", MaxQuery))
	}
	if len(problems) > 0 {
		return p, fmt.Errorf("%s", strings.Join(problems, "; "))
	}
	return p, nil
}

// FromRequest is Parse that writes the 400 answer on failure.
func FromRequest(w http.ResponseWriter, r *http.Request) (Page, bool) {
	p, err := Parse(r)
	if err != nil {
		respond.Error(w, http.StatusBadRequest, "invalid list parameters", err.Error())
		return p, false
	}
	return p, true
}

// SetTotal sets X-Total-Count; call before writing the body.
func SetTotal(w http.ResponseWriter, total int) {
	w.Header().Set(TotalHeader, strconv.Itoa(total))
}

// Like returns the lower-cased LIKE pattern for q with %, _ and \ escaped;
// use it as `LOWER(col) LIKE ? ESCAPE '\'` (both backends).
func (p Page) Like() string {
	r := strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`)
	return "%" + r.Replace(strings.ToLower(p.Q)) + "%"
}

// Match reports whether q (case-insensitive) occurs in any field; an empty
// q matches everything.
func Match(q string, fields ...string) bool {
	if q == "" {
		return true
	}
	q = strings.ToLower(q)
	for _, f := range fields {
		if strings.Contains(strings.ToLower(f), q) {
			return true
		}
	}
	return false
}

// Slice returns the page's window of items (never nil).
func Slice[T any](items []T, p Page) []T {
	if p.Offset >= len(items) {
		return []T{}
	}
	end := len(items)
	if p.Limit > 0 && p.Offset+p.Limit < end {
		end = p.Offset + p.Limit
	}
	return items[p.Offset:end]
}

// Filter keeps the items whose text (from fields) matches p.Q.
func Filter[T any](items []T, p Page, fields func(T) []string) []T {
	if p.Q == "" {
		return items
	}
	out := make([]T, 0, len(items))
	for _, it := range items {
		if Match(p.Q, fields(it)...) {
			out = append(out, it)
		}
	}
	return out
}

// Buffer wraps a list handler that answers a whole JSON array and knows
// nothing of paging: it hides limit, offset and q from h, then filters the
// array's items by q over every string value in them, sets X-Total-Count and
// answers the window. Non-200 answers and non-array bodies pass through
// unchanged. It is a stopgap for lists whose store does not page yet: the
// server still reads every row, the page only receives its window.
func Buffer(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p, ok := FromRequest(w, r)
		if !ok {
			return
		}
		r2 := r.Clone(r.Context())
		q := r2.URL.Query()
		q.Del("limit")
		q.Del("offset")
		q.Del("q")
		q.Del("sort")
		r2.URL.RawQuery = q.Encode()
		rec := &recorder{header: http.Header{}}
		h.ServeHTTP(rec, r2)
		if rec.status == 0 {
			rec.status = http.StatusOK
		}
		var items []json.RawMessage
		if rec.status != http.StatusOK || rec.header.Get(TotalHeader) != "" || json.Unmarshal(rec.body.Bytes(), &items) != nil {
			for k, v := range rec.header {
				w.Header()[k] = v
			}
			w.WriteHeader(rec.status)
			_, _ = w.Write(rec.body.Bytes())
			return
		}
		if p.Q != "" {
			kept := items[:0]
			for _, it := range items {
				if Match(p.Q, stringsOf(it)...) {
					kept = append(kept, it)
				}
			}
			items = kept
		}
		for k, v := range rec.header {
			if k != "Content-Length" {
				w.Header()[k] = v
			}
		}
		SetTotal(w, len(items))
		out := Slice(items, p)
		respond.JSON(w, http.StatusOK, out)
	})
}

// Mounter wraps mount so that the listed patterns are mounted through Buffer.
func Mounter(mount func(pattern string, roles []string, h http.Handler), patterns ...string) func(string, []string, http.Handler) {
	set := map[string]bool{}
	for _, p := range patterns {
		set[p] = true
	}
	return func(pattern string, roles []string, h http.Handler) {
		if set[pattern] {
			h = Buffer(h)
		}
		mount(pattern, roles, h)
	}
}

// stringsOf collects every string value of a JSON document.
func stringsOf(raw json.RawMessage) []string {
	var v any
	if err := json.Unmarshal(raw, &v); err != nil {
		return nil
	}
	var out []string
	var walk func(any)
	walk = func(x any) {
		switch t := x.(type) {
		case string:
			out = append(out, t)
		case []any:
			for _, e := range t {
				walk(e)
			}
		case map[string]any:
			for _, e := range t {
				walk(e)
			}
		}
	}
	walk(v)
	return out
}

type recorder struct {
	header http.Header
	status int
	body   bytes.Buffer
}

func (r *recorder) Header() http.Header { return r.header }
func (r *recorder) WriteHeader(code int) {
	if r.status == 0 {
		r.status = code
	}
}
func (r *recorder) Write(b []byte) (int, error) {
	if r.status == 0 {
		r.status = http.StatusOK
	}
	return r.body.Write(b)
}
