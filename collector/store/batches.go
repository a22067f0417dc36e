package store

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
