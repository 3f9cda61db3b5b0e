package server

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/eventingestor/eventingestor/ingestor/ring"
	"github.com/eventingestor/eventingestor/ingestor/wal"
)

const (
	internalRecordsPath = "/internal/v1/records"
	ringHeader          = "Eventingestor-Ring"
	senderHeader        = "Eventingestor-Sender"
)

// forwarder sends records to their owner partitions, coalescing the shares
// of concurrent requests per owner.
type forwarder struct {
	cfg    ForwardConfig
	self   int
	peerOf func(int) string
	client *http.Client
	log    *slog.Logger
	m      *metrics

	mu    sync.Mutex
	peers map[int]*peer
	bufs  sync.Pool // *[]byte: batch buffers, at most maxPooledBuffer
}

// getBuf returns an empty batch buffer, pooled if one is free.
func (f *forwarder) getBuf() []byte {
	if b, ok := f.bufs.Get().(*[]byte); ok {
		return (*b)[:0]
	}
	return nil
}

// putBuf pools a batch buffer that no request body reads any more.
func (f *forwarder) putBuf(b []byte) {
	if cap(b) <= maxPooledBuffer {
		f.bufs.Put(&b)
	}
}

// sharedBuf is the body of one forward request: a buffer read by the
// request's body and by any copy the transport makes to retry it
// (GetBody). The transport may close a body after Do returns, so the
// buffer goes back to the pool only once the sender and every reader
// are done with it (a reader never closed just leaves it to the GC).
type sharedBuf struct {
	buf     []byte
	refs    atomic.Int32
	release func([]byte)
}

// newSharedBuf returns a sharedBuf holding one reference, the sender's.
func newSharedBuf(buf []byte, release func([]byte)) *sharedBuf {
	s := &sharedBuf{buf: buf, release: release}
	s.refs.Store(1)
	return s
}

// reader returns a new body reading the buffer; closing it drops its reference.
func (s *sharedBuf) reader() io.ReadCloser {
	s.refs.Add(1)
	return &sharedBufReader{Reader: bytes.NewReader(s.buf), s: s}
}

// unref drops a reference and releases the buffer with the last one.
func (s *sharedBuf) unref() {
	if s.refs.Add(-1) == 0 {
		s.release(s.buf)
	}
}

type sharedBufReader struct {
	*bytes.Reader
	s    *sharedBuf
	once sync.Once
}

func (r *sharedBufReader) Close() error {
	r.once.Do(r.s.unref)
	return nil
}

func newForwarder(cfg ForwardConfig, self int, peerOf func(int) string, log *slog.Logger, m *metrics) *forwarder {
	// HTTP/1.1 only (no ForceAttemptHTTP2, plain http): batch buffers are
	// pooled once the transport has closed the request bodies reading them
	// (see sharedBuf), and the HTTP/2 client may read a body after closing
	// it (golang/go#71782). Stop pooling before enabling HTTP/2 here.
	tr := &http.Transport{
		Proxy:               nil, // never through a proxy: peers are in-cluster
		DialContext:         (&net.Dialer{Timeout: 5 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
		MaxIdleConns:        0,
		MaxIdleConnsPerHost: 2 * cfg.Concurrency,
		IdleConnTimeout:     90 * time.Second,
		DisableCompression:  true,
	}
	return &forwarder{
		cfg: cfg, self: self, peerOf: peerOf, log: log, m: m,
		client: &http.Client{Transport: tr, Timeout: cfg.Timeout},
		peers:  map[int]*peer{},
	}
}

// peer is one owner partition: the batch being filled and the requests in flight.
type peer struct {
	f        *forwarder
	id       int
	url      string
	slots    chan struct{} // one token per request in flight
	mu       sync.Mutex
	open     *fwdBatch
	queued   []*fwdBatch
	draining bool
	bytes    int // queued and in flight
}

// fwdBatch is one internal request: records of one ring epoch.
type fwdBatch struct {
	ring ring.Ring
	buf  []byte
	n    int
	done chan struct{}
	err  error
}

func (f *forwarder) peer(id int) *peer {
	f.mu.Lock()
	defer f.mu.Unlock()
	p, ok := f.peers[id]
	if !ok {
		p = &peer{f: f, id: id, url: f.peerOf(id) + internalRecordsPath, slots: make(chan struct{}, f.cfg.Concurrency)}
		f.peers[id] = p
	}
	return p
}

// forward queues recs for owner under ring rg; wait on the returned batch.
// It fails fast if too much is already waiting for that owner.
func (f *forwarder) forward(owner int, rg ring.Ring, recs []wal.Record) (*fwdBatch, error) {
	b, err := f.peer(owner).add(rg, recs)
	if err != nil {
		return nil, err
	}
	f.m.eventsForwarded.Add(float64(len(recs)))
	return b, nil
}

func (p *peer) add(rg ring.Ring, recs []wal.Record) (*fwdBatch, error) {
	p.mu.Lock()
	if p.bytes >= p.f.cfg.MaxQueuedBytes {
		queued := p.bytes
		p.mu.Unlock()
		p.f.m.forwardErrors.WithLabelValues(strconv.Itoa(p.id), "queue_full").Inc()
		return nil, &peerError{Partition: p.id, Err: &apiError{
			Status: http.StatusTooManyRequests, Reason: ReasonBackpressure, RetryAfter: time.Second,
			Message: fmt.Sprintf("%d bytes are already waiting for partition %d", queued, p.id),
		}}
	}
	b := p.open
	if b == nil || b.ring != rg || len(b.buf) >= p.f.cfg.MaxBatchBytes {
		b = &fwdBatch{ring: rg, done: make(chan struct{}), buf: p.f.getBuf()}
		p.open = b
		p.queued = append(p.queued, b)
	}
	before := len(b.buf)
	b.buf = appendRecords(b.buf, recs)
	b.n += len(recs)
	p.bytes += len(b.buf) - before
	start := !p.draining
	p.draining = true
	p.mu.Unlock()
	if start {
		go p.drain()
	}
	return b, nil
}

// drain sends queued batches, up to Concurrency at a time, until none is
// left. A batch keeps filling until a request slot frees up for it.
func (p *peer) drain() {
	for {
		p.slots <- struct{}{}
		p.mu.Lock()
		if len(p.queued) == 0 {
			p.draining = false
			p.mu.Unlock()
			<-p.slots
			return
		}
		b := p.queued[0]
		p.queued[0] = nil
		p.queued = p.queued[1:]
		if b == p.open {
			p.open = nil
		}
		p.mu.Unlock()
		go func() {
			defer func() { <-p.slots }()
			n := len(b.buf)
			b.err = p.send(b)
			b.buf = nil // pooled again once the transport is done with it
			p.mu.Lock()
			p.bytes -= n
			p.mu.Unlock()
			close(b.done)
		}()
	}
}

// wait returns the batch's outcome.
func (b *fwdBatch) wait(ctx context.Context) error {
	select {
	case <-b.done:
		return b.err
	case <-ctx.Done():
		return fmt.Errorf("while waiting for an owner partition: %w", ctx.Err())
	}
}

// send posts one batch to the owner and maps its answer to an error.
func (p *peer) send(b *fwdBatch) error {
	start := time.Now()
	rj, _ := json.Marshal(b.ring)
	shared := newSharedBuf(b.buf, p.f.putBuf)
	defer shared.unref()
	// gosec's taint analysis (G704) follows request data through the
	// server's sync.Pools to here; the URL is the peer's address from the
	// configured template, never request data.
	req, err := http.NewRequestWithContext(context.Background(), http.MethodPost, p.url, shared.reader()) //nolint:gosec // see above
	if err != nil {
		return &peerError{Partition: p.id, Err: &apiError{Status: http.StatusInternalServerError, Reason: ReasonInternal, Message: err.Error()}}
	}
	req.ContentLength = int64(len(b.buf))
	req.GetBody = func() (io.ReadCloser, error) { return shared.reader(), nil } // lets the transport retry on a stale connection
	req.Header.Set("Content-Type", recordsContentType)
	req.Header.Set(ringHeader, string(rj))
	req.Header.Set(senderHeader, strconv.Itoa(p.f.self))
	resp, err := p.f.client.Do(req) //nolint:gosec // G704: see NewRequestWithContext above
	p.f.m.forwardSeconds.Observe(time.Since(start).Seconds())
	p.f.m.forwardBatchEvents.Observe(float64(b.n))
	if err != nil {
		p.f.m.forwardErrors.WithLabelValues(strconv.Itoa(p.id), "conn").Inc()
		return &peerError{Partition: p.id, Err: &apiError{
			Status: http.StatusServiceUnavailable, Reason: ReasonUnavailable, RetryAfter: time.Second,
			Message: fmt.Sprintf("cannot reach partition %d: %v", p.id, err),
		}}
	}
	defer func() { _ = resp.Body.Close() }()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	if resp.StatusCode == http.StatusNoContent || resp.StatusCode == http.StatusOK {
		return nil
	}
	p.f.m.forwardErrors.WithLabelValues(strconv.Itoa(p.id), strconv.Itoa(resp.StatusCode)).Inc()
	ae := &apiError{Status: resp.StatusCode}
	if err := json.Unmarshal(body, ae); err != nil || ae.Reason == "" {
		ae.Reason, ae.Message = ReasonInternal, fmt.Sprintf("partition %d answered %d: %.200s", p.id, resp.StatusCode, body)
	}
	if s := resp.Header.Get("Retry-After"); s != "" {
		if secs, err := strconv.Atoi(s); err == nil {
			ae.RetryAfter = time.Duration(secs) * time.Second
		}
	}
	if ae.Status >= 500 && ae.Status != http.StatusServiceUnavailable {
		ae.Status, ae.RetryAfter = http.StatusServiceUnavailable, time.Second
	}
	return &peerError{Partition: p.id, Err: ae}
}

// staleRing returns the newer ring an owner answered 421 with, if any.
func staleRing(err error) (ring.Ring, bool) {
	var pe *peerError
	if errors.As(err, &pe) && pe.Err.Status == http.StatusMisdirectedRequest && pe.Err.Ring != nil {
		return *pe.Err.Ring, true
	}
	return ring.Ring{}, false
}

// close releases idle connections.
func (f *forwarder) close() { f.client.CloseIdleConnections() }
