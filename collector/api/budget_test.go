package api

import (
	"context"
	"testing"
	"time"
)

func TestDecodeBudget(t *testing.T) {
	const maxReport = 64 << 20
	tests := []struct {
		name       string
		held       []int64 // bodies already in progress (plain)
		compressed int     // of which, held as compressed
		next       int64
		nextGzip   bool
		wantWait   bool
	}{
		{name: "small reports share the budget of four large ones", held: repeat(3<<10, 4*maxReport/minUploadWeight-1), next: 3 << 10},
		{name: "the budget is full of small reports", held: repeat(3<<10, 4*maxReport/minUploadWeight), next: 3 << 10, wantWait: true},
		{name: "four largest reports fill it, as the slots did", held: repeat(maxReport, 4), next: 1, wantWait: true},
		{name: "three largest leave room for one more", held: repeat(maxReport, 3), next: maxReport},
		{name: "a compressed body counts as the largest", held: repeat(maxReport, 3), compressed: 0, next: 10, nextGzip: true},
		{name: "compressed bodies held fill it", held: repeat(10, 4), compressed: 4, next: 10, wantWait: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			b := newDecodeBudget(4, maxReport)
			for i, n := range tc.held {
				ctx, cancel := context.WithTimeout(context.Background(), time.Second)
				if _, err := b.acquire(ctx, b.weight(n, i < tc.compressed)); err != nil {
					cancel()
					t.Fatalf("held upload %d of %d bytes did not fit: %v", i, n, err)
				}
				cancel()
			}
			ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
			defer cancel()
			free, err := b.acquire(ctx, b.weight(tc.next, tc.nextGzip))
			if waited := err != nil; waited != tc.wantWait {
				t.Fatalf("next upload waited=%v, want %v", waited, tc.wantWait)
			}
			if free != nil {
				free()
			}
		})
	}
}

func repeat(n int64, k int) []int64 {
	out := make([]int64, k)
	for i := range out {
		out[i] = n
	}
	return out
}
