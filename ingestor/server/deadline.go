package server

import (
	"context"
	"sync"
	"sync/atomic"
	"time"
)

// deadlineSlices is how many shared contexts a request timeout is cut
// into: a request waits at least the timeout and at most 1/deadlineSlices
// longer.
const deadlineSlices = 16

// sharedDeadline hands out the contexts that bound how long an ingest
// request waits for its acknowledgements. Requests that arrive within the
// same slice of time (timeout/deadlineSlices) share one context, which ends
// timeout after the slice's end: a request costs an atomic load instead of
// a context with its own timer registered with the request's context (a
// map insert and delete, a timer, two channels: about 3% of the server's
// CPU with 100-event batches).
//
// The contexts do not end when a client goes away: its request goes on
// waiting for the log it is already in, for milliseconds, and its answer
// is dropped. They all end when the server is closed.
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

// context returns the context of a request arriving at now (on the wall
// clock): it ends between timeout and timeout plus one slice after now.
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
