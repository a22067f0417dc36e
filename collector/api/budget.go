package api

import (
	"context"

	"golang.org/x/sync/semaphore"
)

// decodeBudget bounds the memory of the uploads being decoded and stored at
// once. It is counted in body bytes, not uploads: a fixed number of slots
// sized for the largest report let four 3 KB reports stand for four 64 MiB
// ones, and the reports waiting for a slot could not share the store's
// commit with the ones holding them (store.DB.InSharedTx), which capped
// small-report throughput at the slot count. The budget holds what the
// slots held at most (MaxConcurrentReports reports of MaxReportBytes);
// waiters are served in order, so a large report is not starved by a
// stream of small ones.
type decodeBudget struct {
	sem *semaphore.Weighted
	max int64 // the largest single reservation (MaxReportBytes)
}

// minUploadWeight is the least an upload reserves: its decoded form, the
// report's row and its processors' work outweigh a tiny body.
const minUploadWeight = 64 << 10

func newDecodeBudget(reports int, maxReportBytes int64) *decodeBudget {
	return &decodeBudget{sem: semaphore.NewWeighted(int64(reports) * maxReportBytes), max: maxReportBytes}
}

// weight is what an upload of a body of n bytes reserves; a compressed
// body reserves the most any report may decompress to.
func (b *decodeBudget) weight(n int64, compressed bool) int64 {
	if compressed || n > b.max {
		return b.max
	}
	return max(n, minUploadWeight)
}

// acquire reserves w bytes until release is called, or fails when ctx
// ends first (the agent gave up).
func (b *decodeBudget) acquire(ctx context.Context, w int64) (release func(), err error) {
	if err := b.sem.Acquire(ctx, w); err != nil {
		return nil, err
	}
	return func() { b.sem.Release(w) }, nil
}
