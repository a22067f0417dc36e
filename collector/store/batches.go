package store

import (
	"strings"
	"sync"
)

// RowBatches splits n rows into the sizes of multi-row statements: as many
// of most as fit, then powers of two, largest first, down to a remainder
// under exactBelow, which takes one statement of its own size. A
// statement of n rows has a text of its own, so sizing each by the data
// would make every report parse new SQL (SQLite parses a statement it has
// not prepared on every call; pgx's statement cache would fill with
// one-off texts). From this ladder a table's upserts have some forty
// texts, each parsed once and then kept prepared, and a report takes at
// most five statements beyond the full ones: a 10-row report one round
// trip, where one per bit of its size took two and a ladder of fifths
// four.
func RowBatches(n, most int) []int {
	most = max(1, most)
	var out []int
	for ; n >= most; n -= most {
		out = append(out, most)
	}
	for size := 1 << 30; n >= exactBelow; size >>= 1 {
		if size < most && n >= size {
			out = append(out, size)
			n -= size
		}
	}
	if n > 0 {
		out = append(out, n)
	}
	return out
}

// exactBelow: a remainder this small is one statement of exactly its
// size (a small report's rows, the common case, in one round trip).
const exactBelow = 32

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
