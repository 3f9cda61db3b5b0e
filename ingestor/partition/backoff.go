package partition

import (
	"context"
	"math/rand/v2"
	"time"
)

// delay is the n-th (0-based) backoff: Initial·2^n capped at Max, with up
// to 20% of jitter taken off so that shards do not retry in lockstep.
func (b Backoff) delay(n int) time.Duration {
	d := b.Initial
	for i := 0; i < n && d < b.Max; i++ {
		d *= 2
	}
	d = min(d, b.Max)
	return d - time.Duration(rand.Int64N(int64(d)/5+1)) //nolint:gosec // jitter needs no crypto
}

// sleep waits for d or the context.
func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
