package server

import (
	"bytes"
	"context"
	"errors"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/eventingestor/eventingestor/ingestor/ring"
	"github.com/eventingestor/eventingestor/ingestor/wal"
)

// maxRouteAttempts bounds how often a request routes again after learning
// a newer ring from an owner.
const maxRouteAttempts = 3

var bufPool = sync.Pool{New: func() any { return new(bytes.Buffer) }}

// maxPooledSlice is the capacity of the largest slice kept for reuse.
const maxPooledSlice = 16 << 10

// slicePool pools slices of T of up to maxPooledSlice elements.
type slicePool[T any] struct{ pool sync.Pool }

// get returns a pooled slice of length n (new if none is large enough).
func (p *slicePool[T]) get(n int) *[]T {
	if s, ok := p.pool.Get().(*[]T); ok && cap(*s) >= n {
		*s = (*s)[:n]
		return s
	}
	s := make([]T, n)
	return &s
}

// put pools s. Its elements are not cleared: they point into request
// bodies, which are pooled themselves, and into ids strings of a few
// kilobytes, which stay reachable only until the slice is reused or the
// pool is emptied by a garbage collection. Clearing them cost about 1% of
// the server's CPU at 100-event batches.
func (p *slicePool[T]) put(s *[]T) {
	if cap(*s) > maxPooledSlice {
		return
	}
	*s = (*s)[:0]
	p.pool.Put(s)
}

// handleEvents is POST /v1/events.
func (s *Server) handleEvents(w http.ResponseWriter, r *http.Request) {
	if err := s.checkReady(); err != nil {
		writeError(w, err)
		return
	}
	buf, unreserve, aerr := s.admitBody(r)
	if aerr != nil {
		writeError(w, aerr)
		return
	}
	defer unreserve()
	ep := s.eventsPool.get(0)
	var rp *[]wal.Record
	// free gives the body buffer and the slices pointing into it back to
	// their pools, once: as soon as the records are in the log (see
	// appendLocal), so that the next request reads and parses in memory
	// still in the CPU's cache rather than in one of the thousands of
	// buffers of requests waiting for a sync, or when the request ends.
	freed := false
	free := func() {
		if freed {
			return
		}
		freed = true
		putBuffer(buf)
		s.eventsPool.put(ep)
		if rp != nil {
			s.recordsPool.put(rp)
		}
	}
	defer free()
	if err := s.parser.ReadBody(buf, r.Body, r.Header.Get("Content-Encoding")); err != nil {
		writeError(w, toAPIError(err))
		return
	}
	events, err := s.parser.ParseBytesInto(*ep, buf.Bytes(), r.Header.Get("Content-Type"))
	if err != nil {
		writeError(w, toAPIError(err))
		return
	}
	*ep = events // the parser's storage, if it needed more: pooled for the next request
	s.m.eventsReceived.Add(float64(len(events)))
	s.m.requestEvents.Observe(float64(len(events)))
	rg := s.ring.Current()
	now := s.now().UnixNano()
	rp = s.recordsPool.get(len(events))
	recs := *rp
	for i, e := range events {
		recs[i] = wal.Record{Epoch: rg.Epoch, ReceivedAt: now, Slot: ring.Slot(e.Key), ID: e.ID, Key: e.Key, Data: e.Raw}
	}
	n := len(recs)
	if err := s.route(s.deadlines.context(time.Now()), rg, recs, free); err != nil {
		if !errors.Is(err, context.Canceled) { // canceled: the server is shutting down
			s.log.Debug("ingest request failed", "events", n, "err", err)
		}
		writeError(w, toAPIError(err))
		return
	}
	s.m.eventsAccepted.Add(float64(n))
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusAccepted)
	var out [32]byte
	body := append(strconv.AppendInt(append(out[:0], `{"accepted":`...), int64(n), 10), "}\n"...)
	_, _ = w.Write(body) //nolint:gosec // G705 (taint through sync.Pool): the body is a number we format
}

// route appends every record to its owner under rg: this partition's share
// locally, the rest through the forwarder, all at once. If an owner knows a
// newer ring, the failed shares are routed again under it.
//
// free, if not nil, gives back the memory recs point into. It is called,
// and recs must not be used again, once a request whose records all belong
// to this partition has them in its log: such a request is never routed
// again, as only owners elsewhere answer with a newer ring.
func (s *Server) route(ctx context.Context, rg ring.Ring, recs []wal.Record, free func()) error {
	for attempt := 1; ; attempt++ {
		failed, err := s.routeOnce(ctx, rg, recs, free)
		if err == nil {
			return nil
		}
		newer, ok := staleRing(err)
		if !ok || attempt >= maxRouteAttempts || len(failed) == 0 {
			return err
		}
		s.ring.Learn(newer)
		if cur := s.ring.Current(); cur.Epoch > rg.Epoch {
			rg = cur
		}
		s.m.ringRetries.Inc()
		recs = failed
		for i := range recs {
			recs[i].Epoch = rg.Epoch
		}
	}
}

// routeOnce routes recs under rg; on failure it returns the records of the
// shares that failed (to be routed again) and the first error, preferring a
// stale-ring error, which can be cured by routing again.
func (s *Server) routeOnce(ctx context.Context, rg ring.Ring, recs []wal.Record, free func()) ([]wal.Record, error) {
	owner0 := rg.Owner(recs[0].Slot)
	single := true
	for i := 1; i < len(recs) && single; i++ {
		single = rg.Owner(recs[i].Slot) == owner0
	}
	if single && owner0 == s.cfg.Partition {
		// Never routed again (see route), whether or not free was called.
		return nil, s.appendLocal(ctx, recs, free)
	}
	if single {
		if err := s.forwardTo(ctx, owner0, rg, recs); err != nil {
			return recs, err
		}
		return nil, nil
	}
	split := s.recordsPool.get(len(recs))
	defer s.recordsPool.put(split)
	shares := splitByOwner(rg, recs, *split)
	type result struct {
		share share
		err   error
	}
	type pending struct {
		share share
		batch *fwdBatch
	}
	var results []result
	var waits []pending
	var local *share
	for i := range shares {
		sh := shares[i]
		if sh.owner == s.cfg.Partition {
			local = &shares[i]
			continue
		}
		b, err := s.fwd.forward(sh.owner, rg, sh.recs)
		if err != nil {
			results = append(results, result{sh, err})
			continue
		}
		waits = append(waits, pending{sh, b})
	}
	if local != nil {
		results = append(results, result{*local, s.appendLocal(ctx, local.recs, nil)})
	}
	for _, w := range waits {
		results = append(results, result{w.share, w.batch.wait(ctx)})
	}
	var failed []wal.Record // a copy: split's storage is pooled again on return
	var first error
	for _, res := range results {
		if res.err == nil {
			continue
		}
		failed = append(failed, res.share.recs...)
		if _, stale := staleRing(res.err); first == nil || stale {
			first = res.err
		}
	}
	return failed, first
}

// share is the records of one owner.
type share struct {
	owner int
	recs  []wal.Record
}

// splitByOwner groups recs by their owner under rg, keeping their order
// within each owner, into dst (of recs' length), and returns the shares in
// order of owner. Every owner must be in 0..rg.Partitions-1.
func splitByOwner(rg ring.Ring, recs, dst []wal.Record) []share {
	owners := make([]int32, len(recs))
	next := make([]int, rg.Partitions+1) // per owner: where its next record goes
	for i := range recs {
		o := rg.Owner(recs[i].Slot)
		owners[i] = int32(o) // below MaxPartitions
		next[o+1]++
	}
	var shares []share
	for o := range rg.Partitions {
		if n := next[o+1]; n > 0 {
			shares = append(shares, share{owner: o, recs: dst[next[o] : next[o]+n]})
		}
		next[o+1] += next[o]
	}
	for i := range recs {
		o := owners[i]
		dst[next[o]] = recs[i]
		next[o]++
	}
	return shares
}

// forwardTo forwards recs, all owned by owner, another partition, and
// waits for its acknowledgement.
func (s *Server) forwardTo(ctx context.Context, owner int, rg ring.Ring, recs []wal.Record) error {
	b, err := s.fwd.forward(owner, rg, recs)
	if err != nil {
		return err
	}
	return b.wait(ctx)
}

// appendLocal appends recs to this partition; free, if not nil, is called
// once they are in its log, before they are durable.
func (s *Server) appendLocal(ctx context.Context, recs []wal.Record, free func()) error {
	if err := s.part.AppendThen(ctx, recs, free); err != nil {
		return err
	}
	s.m.eventsAppended.Add(float64(len(recs)))
	return nil
}

// maxPooledBuffer is the largest body buffer kept for reuse.
const maxPooledBuffer = 16 << 20

// admitBody reserves memory for r's body (its Content-Length, or the
// largest body allowed when unknown) and fails with 429 when too many bytes
// are in flight already. It returns an empty pooled buffer for the body,
// which putBuffer gives back, and unreserve, which gives back the
// reservation. The reservation covers the request's bytes wherever they
// are held in memory: in the buffer, then in the log's group buffers until
// they are written, so it is kept until the request ends.
func (s *Server) admitBody(r *http.Request) (buf *bytes.Buffer, unreserve func(), err *apiError) {
	n := r.ContentLength
	if n < 0 || n > s.parser.Config().MaxBodyBytes {
		n = s.parser.Config().MaxBodyBytes
	}
	if s.inflight.Add(n) > s.cfg.MaxInflightBytes {
		s.inflight.Add(-n)
		return nil, nil, &apiError{Status: http.StatusTooManyRequests, Reason: ReasonBackpressure, RetryAfter: time.Second,
			Message: "too many request bytes in flight on this partition"}
	}
	buf = bufPool.Get().(*bytes.Buffer)
	buf.Reset()
	if r.ContentLength > 0 && r.ContentLength <= n {
		// Room for the whole body, and for the read that finds its end
		// (bytes.Buffer.ReadFrom wants MinRead free bytes), so that reading
		// it copies it once.
		buf.Grow(int(r.ContentLength) + bytes.MinRead)
	}
	return buf, func() { s.inflight.Add(-n) }, nil
}

// putBuffer gives a body buffer from admitBody back to the pool.
func putBuffer(buf *bytes.Buffer) {
	if buf.Cap() <= maxPooledBuffer {
		bufPool.Put(buf)
	}
}
