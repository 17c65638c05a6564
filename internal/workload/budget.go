package workload

import (
	"context"

	"golang.org/x/sync/semaphore"
)

// Budget is the memory of one worker process, shared by its jobs: a job
// reserves what it needs (Acquire), waiting while the budget is full, and
// returns it when done (Release). More memory admits more jobs at once:
// the memory dimension scales a process up by RAM.
type Budget struct {
	size int64
	sem  *semaphore.Weighted
}

// NewBudget returns a budget of size bytes that admits waiting jobs in
// the order they came.
func NewBudget(size int64) *Budget {
	return &Budget{size: size, sem: semaphore.NewWeighted(size)}
}

// Size is the whole budget in bytes.
func (b *Budget) Size() int64 { return b.size }

// Acquire reserves n bytes, waiting until they are free or ctx ends. A
// request over the whole budget waits until ctx ends: check Size first.
func (b *Budget) Acquire(ctx context.Context, n int64) error { return b.sem.Acquire(ctx, n) }

// Release returns n bytes reserved by Acquire.
func (b *Budget) Release(n int64) { b.sem.Release(n) }
