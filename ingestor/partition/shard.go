package partition

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"runtime/debug"
	"sync"
	"sync/atomic"
	"time"

	"github.com/eventingestor/eventingestor/ingestor/wal"
)

// shard is one shard: its log (the ingestor) and its flusher, restarted
// together by supervise.
type shard struct {
	p   *Partition
	id  int
	log atomic.Pointer[wal.WAL] // nil while the shard is down
	lg  *slog.Logger

	limit        int64        // backlog bytes before appends are refused
	pendingSince atomic.Int64 // unix nanos when the oldest unflushed event was first seen; 0 if none

	mu       sync.Mutex
	restarts []time.Time // recent restarts, for health
	total    int
}

func newShard(p *Partition, id int) *shard {
	return &shard{
		p: p, id: id,
		lg:    p.log.With("shard", id),
		limit: p.cfg.MaxBacklogBytes / int64(p.cfg.Shards),
	}
}

// admit returns the shard's log if it can take an append now.
func (s *shard) admit() (*wal.WAL, error) {
	w := s.log.Load()
	if w == nil {
		return nil, fmt.Errorf("shard %d is starting: %w", s.id, ErrNotReady)
	}
	if _, bytes := w.Backlog(); bytes >= s.limit {
		return nil, &BackpressureError{Shard: s.id, Backlog: bytes, Limit: s.limit, RetryAfter: s.retryAfter()}
	}
	return w, nil
}

// retryAfter hints when the backlog may have room: the next flush.
func (s *shard) retryAfter() time.Duration {
	return max(time.Second, s.p.cfg.Flush.Interval)
}

// supervise runs the shard until the partition stops, restarting it with
// backoff after a failure.
func (s *shard) supervise(ctx context.Context) {
	for attempt := 0; ; attempt++ {
		started := time.Now()
		err := s.runOnce(ctx)
		if err == nil || ctx.Err() != nil {
			return
		}
		if time.Since(started) > s.p.cfg.Restart.Window {
			attempt = 0 // it ran well for a while: start the backoff over
		}
		s.recordRestart()
		s.p.m.restarts.WithLabelValues(shardLabel(s.id)).Inc()
		d := s.p.cfg.Restart.Backoff.delay(attempt)
		s.lg.Error("shard failed; restarting", "err", err, "restartIn", d, "healthy", s.healthy())
		if sleep(ctx, d) != nil {
			return
		}
	}
}

// runOnce opens the shard's log and runs its flusher until the partition
// drains or stops (nil) or something fails (the error).
func (s *shard) runOnce(ctx context.Context) (err error) {
	cfg := s.p.cfg.WAL
	cfg.Dir = s.p.shardDir(s.id)
	w, err := wal.Open(cfg, wal.Options{
		Name: shardLabel(s.id), FS: s.p.fs, Logger: s.lg, Metrics: s.p.m.wal, Now: s.p.now,
	})
	if err != nil {
		return fmt.Errorf("while opening the log of shard %d: %w", s.id, err)
	}
	s.log.Store(w)
	defer func() {
		s.log.Store(nil)
		if cerr := w.Close(); cerr != nil && err == nil && !errors.Is(cerr, wal.ErrFailed) {
			err = fmt.Errorf("while closing the log of shard %d: %w", s.id, cerr)
		}
	}()
	flushCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- s.flushSafely(flushCtx, w) }()
	select {
	case err = <-done:
		return err
	case <-w.Failed():
		cancel()
		ferr := <-done // the flusher's own error, if any, is a consequence of the log's
		return errors.Join(fmt.Errorf("the log of shard %d failed: %w", s.id, w.Err()), ferr)
	}
}

// flushSafely runs the flusher, turning a panic (in it or in the sink)
// into an error for the supervisor.
func (s *shard) flushSafely(ctx context.Context, w *wal.WAL) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("panic in the flusher of shard %d: %v\n%s", s.id, r, debug.Stack())
		}
	}()
	return newFlusher(s, w).run(ctx)
}

func (s *shard) recordRestart() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.restarts = append(s.restarts, time.Now())
	s.total++
}

// healthy is false when the shard restarted more than MaxRestarts times
// within the window.
func (s *shard) healthy() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	cutoff := time.Now().Add(-s.p.cfg.Restart.Window)
	kept := s.restarts[:0]
	for _, t := range s.restarts {
		if t.After(cutoff) {
			kept = append(kept, t)
		}
	}
	s.restarts = kept
	return len(kept) <= s.p.cfg.Restart.MaxRestarts
}

func (s *shard) status() ShardStatus {
	st := ShardStatus{Shard: s.id}
	s.mu.Lock()
	st.Restarts = s.total
	s.mu.Unlock()
	w := s.log.Load()
	if w == nil {
		return st
	}
	st.Ready = true
	ws := w.Stats()
	st.Appended, st.Flushed, st.Segments = ws.Durable, ws.Checkpoint, ws.Segments
	st.BacklogEvents, st.BacklogBytes = w.Backlog()
	if since := s.pendingSince.Load(); since != 0 && st.BacklogEvents > 0 {
		st.OldestUnflushed = time.Since(time.Unix(0, since))
	}
	return st
}
