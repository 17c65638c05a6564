package runner

import (
	"context"
	"errors"
	"net"
	"syscall"
	"time"

	"github.com/scalebench/scalebench/internal/thumbnail"
)

// backoff wraps a worker's Doer so that, while the image server refuses or
// drops connections, the worker waits before its next try (doubling from
// backoffMin up to backoffMax) instead of spinning on errors. The failed
// jobs still count as errors; the first success resets the wait.
type backoff struct {
	Doer
	wait time.Duration
}

const (
	backoffMin = time.Millisecond
	backoffMax = 250 * time.Millisecond
)

func (b *backoff) Do(ctx context.Context, url string) (thumbnail.Timings, error) {
	t, err := b.Doer.Do(ctx, url)
	if err == nil || !connectionError(err) {
		b.wait = 0
		return t, err
	}
	b.wait = min(max(2*b.wait, backoffMin), backoffMax)
	timer := time.NewTimer(b.wait)
	defer timer.Stop()
	select {
	case <-ctx.Done():
	case <-timer.C:
	}
	return t, err
}

// connectionError reports whether err means the server could not be
// reached at all, as opposed to a slow or failed request.
func connectionError(err error) bool {
	var op *net.OpError
	return errors.Is(err, syscall.ECONNREFUSED) || errors.Is(err, syscall.ECONNRESET) ||
		(errors.As(err, &op) && op.Op == "dial")
}
