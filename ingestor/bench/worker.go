package bench

import (
	"context"
	"math/rand/v2"
	"net/http"
	"strconv"
	"time"
)

// Backoff between attempts when the server gave no Retry-After.
const (
	minBackoff = 100 * time.Millisecond
	maxBackoff = time.Second
)

// Error keys of Result.Errors that are not HTTP status codes.
const (
	// ErrorConn counts transport errors: refused or reset connections,
	// timeouts.
	ErrorConn = "conn"
	// ErrorBadAck counts 202 responses whose "accepted" count is missing or
	// differs from the number of events sent.
	ErrorBadAck = "bad-ack"
)

// workerStats are one sender's totals, merged into the Result at the end.
type workerStats struct {
	requests int64
	retries  int64
	failed   int64
	errors   map[string]int64
	samples  map[string]string
}

// countError counts an error under key, keeping its first sample.
func (s *workerStats) countError(key, sample string) {
	if s.errors == nil {
		s.errors = make(map[string]int64)
		s.samples = make(map[string]string)
	}
	s.errors[key]++
	if _, ok := s.samples[key]; !ok && sample != "" {
		s.samples[key] = sample
	}
}

// worker is one sender: it takes the next batch of events, sends it until
// it is acknowledged or given up, and so on until the run is over.
type worker struct {
	r     *runner
	rnd   *rand.Rand // jitter of retry delays
	stats workerStats
	peek  [maxResponsePeek]byte
}

func newWorker(r *runner, id int) *worker {
	return &worker{r: r, rnd: rand.New(rand.NewPCG(uint64(r.cfg.Seed), uint64(id)))} //nolint:gosec // jitter needs no crypto
}

// run sends batches until there are none left or ctx ends.
func (w *worker) run(ctx context.Context) {
	for ctx.Err() == nil {
		start, end, ok := w.r.nextBatch()
		if !ok {
			return
		}
		p := getPayload(w.r.pool)
		p.buf = w.r.gen.appendBody(p.buf, start, end)
		w.send(ctx, p, start, end)
		p.release()
	}
}

// send delivers events [start, end) in body p, retrying as configured.
func (w *worker) send(ctx context.Context, p *payload, start, end int64) {
	n := int(end - start)
	w.r.live.sent.Add(int64(n))
	headers := w.r.headers.forEvents(n)
	// firstSent is recorded, not the successful attempt's send time: a
	// failed attempt may still have stored the events (the server
	// acknowledges nothing, but an owner may have appended its share), so
	// the events may be in the sink from that first attempt on.
	firstSent := time.Now()
	for attempt := 1; ; attempt++ {
		sentAt := time.Now()
		o, err := post(ctx, w.r.client, w.r.nextURL(), headers, p, n, w.peek[:])
		ackedAt := time.Now()
		if err != nil && isCanceled(ctx, err) {
			return // the run was stopped: neither acknowledged nor failed
		}
		w.stats.requests++
		w.r.live.requests.Add(1)
		if err == nil && o.status == http.StatusAccepted && o.accepted == int64(n) {
			w.acknowledged(start, end, firstSent, sentAt, ackedAt)
			return
		}
		w.stats.countError(errorKey(o, err), o.sample)
		if !w.retryable(o, err) || attempt >= w.r.cfg.MaxAttempts {
			w.stats.failed += int64(n)
			w.r.live.failed.Add(int64(n))
			return
		}
		w.stats.retries++
		if !sleep(ctx, w.delay(attempt, o.retryAfter)) {
			return
		}
	}
}

// acknowledged counts and records a successful request.
func (w *worker) acknowledged(start, end int64, firstSent, sentAt, ackedAt time.Time) {
	w.r.hist.record(ackedAt.Sub(sentAt))
	w.r.live.acked.Add(end - start)
	w.r.rec.add(ackedBatch{start: start, end: end, sent: firstSent.UnixNano(), acked: ackedAt.UnixNano()})
}

// errorKey names the error of a failed attempt in Result.Errors.
func errorKey(o outcome, err error) string {
	switch {
	case err != nil:
		return ErrorConn
	case o.status == http.StatusAccepted:
		return ErrorBadAck
	}
	return strconv.Itoa(o.status)
}

// retryable reports whether a failed attempt may be repeated: with Retry,
// after a 429, a 503 or a transport error.
func (w *worker) retryable(o outcome, err error) bool {
	if !w.r.cfg.Retry {
		return false
	}
	return err != nil || o.status == http.StatusTooManyRequests || o.status == http.StatusServiceUnavailable
}

// delay returns how long to wait before attempt+1: the server's
// Retry-After plus up to 10% jitter, so that thousands of senders told the
// same do not come back in the same instant, or else a jittered
// exponential backoff between minBackoff and maxBackoff.
func (w *worker) delay(attempt int, retryAfter time.Duration) time.Duration {
	if retryAfter > 0 {
		return retryAfter + time.Duration(w.rnd.Int64N(int64(retryAfter)/10+1))
	}
	d := min(minBackoff<<min(attempt-1, 10), maxBackoff)
	return max(minBackoff, d/2+time.Duration(w.rnd.Int64N(int64(d/2)+1)))
}

// sleep waits for d; it returns false if ctx ended first.
func sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}
