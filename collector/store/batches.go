package store

import (
	"strings"
	"sync"
)

// RowBatches splits n rows into the sizes of multi-row statements: as many
// of most as fit, then of most/5, most/25 and so on down to single rows. A
// statement of n rows has a text of its own, so sizing each by the data
// would make every report parse new SQL (SQLite parses a statement it has
// not prepared on every call; pgx's statement cache would fill with
// one-off texts). From this ladder a table's upserts have a handful of
// texts, each parsed once and then kept prepared.
func RowBatches(n, most int) []int {
	var out []int
	for size := max(1, most); n > 0; size = max(1, size/5) {
		for n >= size {
			out = append(out, size)
			n -= size
		}
	}
	return out
}

// MultiRow is a multi-row statement: Head, n copies of Row separated by
// commas, Tail. Its texts are built once per row count (the few sizes
// RowBatches hands out) and kept.
type MultiRow struct {
	Head, Row, Tail string
	texts           sync.Map // int -> string
}

// SQL is the statement of n rows.
func (m *MultiRow) SQL(n int) string {
	if q, ok := m.texts.Load(n); ok {
		return q.(string)
	}
	var q strings.Builder
	q.WriteString(m.Head)
	for i := 0; i < n; i++ {
		if i > 0 {
			q.WriteString(", ")
		}
		q.WriteString(m.Row)
	}
	q.WriteString(m.Tail)
	m.texts.Store(n, q.String())
	return q.String()
}
