package store

import (
	"slices"
	"testing"
)

func TestRowBatches(t *testing.T) {
	for _, tc := range []struct {
		name    string
		n, most int
		want    []int
	}{
		{name: "none", n: 0, most: 500, want: nil},
		{name: "one", n: 1, most: 500, want: []int{1}},
		{name: "small report", n: 10, most: 500, want: []int{10}},
		{name: "just under the exact bound", n: 31, most: 500, want: []int{31}},
		{name: "at the exact bound", n: 32, most: 500, want: []int{32}},
		{name: "past the exact bound", n: 45, most: 500, want: []int{32, 13}},
		{name: "exact", n: 1000, most: 500, want: []int{500, 500}},
		{name: "ladder", n: 625, most: 500, want: []int{500, 64, 32, 29}},
		{name: "just under the bound", n: 499, most: 500, want: []int{256, 128, 64, 32, 19}},
		{name: "bound a power of two", n: 600, most: 512, want: []int{512, 64, 24}},
		{name: "bound under the exact one", n: 7, most: 3, want: []int{3, 3, 1}},
		{name: "bad bound", n: 3, most: 0, want: []int{1, 1, 1}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := RowBatches(tc.n, tc.most)
			if !slices.Equal(got, tc.want) {
				t.Fatalf("RowBatches(%d, %d) = %v, want %v", tc.n, tc.most, got, tc.want)
			}
			sum := 0
			for _, s := range got {
				sum += s
			}
			if sum != tc.n {
				t.Fatalf("sizes add up to %d, want %d", sum, tc.n)
			}
		})
	}
	// A district's reports of any size use few distinct statement texts.
	sizes := map[int]bool{}
	for n := 0; n <= 5000; n++ {
		got := RowBatches(n, 500)
		for _, s := range got {
			sizes[s] = true
		}
		// one statement per 500 rows, then one per bit of the rest
		// from 32 up, then the rest
		if extra := len(got) - n/500; extra > 5 {
			t.Errorf("%d rows take %d statements beyond the full ones, want at most 5", n, extra)
		}
	}
	if len(sizes) > 40 {
		t.Errorf("reports of 0..5000 rows use %d statement sizes, want at most 40", len(sizes))
	}
}

func TestMultiRowSQL(t *testing.T) {
	m := &MultiRow{Head: "INSERT INTO t (a, b) VALUES ", Row: "(?, ?)", Tail: " ON CONFLICT DO NOTHING"}
	for _, tc := range []struct {
		name string
		n    int
		want string
	}{
		{name: "one row", n: 1, want: "INSERT INTO t (a, b) VALUES (?, ?) ON CONFLICT DO NOTHING"},
		{name: "three rows", n: 3, want: "INSERT INTO t (a, b) VALUES (?, ?), (?, ?), (?, ?) ON CONFLICT DO NOTHING"},
		{name: "again, from the kept texts", n: 3, want: "INSERT INTO t (a, b) VALUES (?, ?), (?, ?), (?, ?) ON CONFLICT DO NOTHING"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := m.SQL(tc.n); got != tc.want {
				t.Fatalf("SQL(%d) = %q, want %q", tc.n, got, tc.want)
			}
		})
	}
}
