package server

import (
	"context"
	"sync"
	"sync/atomic"
	"time"
)

// deadlineSlices is how many shared contexts a request timeout is cut
// into: a request waits at least the timeout and at most 1/deadlineSlices
// longer (or 1 ms longer, for timeouts under 16 ms).
const deadlineSlices = 16

// sharedDeadline hands out the contexts that bound how long an ingest
// request waits for its acknowledgements. Requests that arrive within the
// same slice of time (timeout/deadlineSlices) share one context, which ends
// timeout after the slice's end: a request costs an atomic load. A context
// per request, a child of the request's own, costs a timer, two channels
// and an insert into and a delete from the parent's map of children: about
// 3% of the server's CPU with 100-event batches.
//
// The contexts do not end when a client goes away: its request goes on
// waiting for the log its records are already queued in, and its answer is
// dropped. On a healthy disk that is milliseconds; while the disk stalls it
// is up to the timeout, and the request keeps its admission reservation as
// long, which is right: its bytes stay in the log's group buffers until
// they are written (see admitBody). The contexts all end when the server is
// closed.
type sharedDeadline struct {
	base    context.Context
	timeout time.Duration
	slice   time.Duration

	cur atomic.Pointer[deadlineSlice]

	mu   sync.Mutex // serialises renewals
	stop context.CancelFunc
}

// deadlineSlice is the context shared by the requests arriving before end.
type deadlineSlice struct {
	ctx    context.Context
	cancel context.CancelFunc
	end    time.Time
}

func newSharedDeadline(timeout time.Duration) *sharedDeadline {
	base, stop := context.WithCancel(context.Background())
	return &sharedDeadline{base: base, timeout: timeout, slice: max(timeout/deadlineSlices, time.Millisecond), stop: stop}
}

// context returns the context of a request arriving at now, a time.Now()
// reading (compared by its monotonic clock): it ends between timeout and
// timeout plus one slice after now.
func (d *sharedDeadline) context(now time.Time) context.Context {
	if c := d.cur.Load(); c != nil && now.Before(c.end) {
		return c.ctx
	}
	return d.renew(now)
}

// renew starts the slice that now falls in.
func (d *sharedDeadline) renew(now time.Time) context.Context {
	d.mu.Lock()
	defer d.mu.Unlock()
	if c := d.cur.Load(); c != nil && now.Before(c.end) {
		return c.ctx
	}
	end := now.Add(d.slice)
	// The context's own timer releases it at its deadline, and closing the
	// base releases the ones still running; cancel is kept with it only so
	// that it is not dropped.
	ctx, cancel := context.WithDeadline(d.base, end.Add(d.timeout)) //nolint:gosec // G118: released by its deadline or by close, see above
	d.cur.Store(&deadlineSlice{ctx: ctx, cancel: cancel, end: end})
	return ctx
}

// close ends every context handed out, so that waiting requests return.
func (d *sharedDeadline) close() { d.stop() }

// closed returns a context that ends when close is called.
func (d *sharedDeadline) closed() context.Context { return d.base }
