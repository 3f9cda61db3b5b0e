package partition

import (
	"context"
	"fmt"
	"time"

	"github.com/eventingestor/eventingestor/ingestor/sink"
	"github.com/eventingestor/eventingestor/ingestor/wal"
)

// flusher drains one shard's log into the sink: the seed's EventFlusher.
type flusher struct {
	s        *shard
	w        *wal.WAL
	r        *wal.Reader
	cfg      FlushConfig
	batch    []sink.Record
	timer    *time.Timer
	draining bool
}

func newFlusher(s *shard, w *wal.WAL) *flusher {
	t := time.NewTimer(time.Hour)
	t.Stop()
	return &flusher{
		s: s, w: w, cfg: s.p.cfg.Flush, timer: t,
		r:     w.NewReader(w.CheckpointIndex() + 1),
		batch: make([]sink.Record, 0, s.p.cfg.Flush.MaxEvents),
	}
}

// run flushes until the partition drains (nil once the log is empty) or ctx ends.
func (f *flusher) run(ctx context.Context) error {
	defer f.timer.Stop()
	var since time.Time // when the oldest unflushed event was first seen
	for {
		changed := f.w.Changed()
		if !f.draining {
			select {
			case <-f.s.p.drain:
				f.draining = true
			default:
			}
		}
		avail := f.w.Durable() + 1 - f.r.Position()
		if avail == 0 {
			if backlog, _ := f.w.Backlog(); f.draining && backlog == 0 {
				return nil
			}
			since = time.Time{}
			f.s.pendingSince.Store(0)
			if err := f.wait(ctx, changed, 0); err != nil {
				return err
			}
			continue
		}
		if since.IsZero() {
			since = time.Now()
			f.s.pendingSince.Store(since.UnixNano())
		}
		if due := time.Until(since.Add(f.cfg.Interval)); !f.draining && due > 0 && !f.full(avail) {
			if err := f.wait(ctx, changed, due); err != nil {
				return err
			}
			continue
		}
		n, err := f.flushOnce(ctx)
		if err != nil {
			return err
		}
		if uint64(n) >= avail { // caught up: the next event starts a new interval
			since = time.Time{}
			f.s.pendingSince.Store(0)
		}
	}
}

// full reports whether a batch is ready by size.
func (f *flusher) full(avail uint64) bool {
	if avail >= uint64(f.cfg.MaxEvents) {
		return true
	}
	_, bytes := f.w.Backlog()
	return bytes >= int64(f.cfg.MaxBytes)
}

// wait blocks until the log changes, d passes (if positive), the
// partition starts draining, or ctx ends.
func (f *flusher) wait(ctx context.Context, changed <-chan struct{}, d time.Duration) error {
	var timeout <-chan time.Time
	if d > 0 {
		f.timer.Reset(d)
		defer f.timer.Stop()
		timeout = f.timer.C
	}
	drain := f.s.p.drain
	if f.draining {
		drain = nil
	}
	select {
	case <-changed:
	case <-timeout:
	case <-drain:
	case <-ctx.Done():
		return ctx.Err()
	}
	return nil
}

// flushOnce sends the next batch, retrying until the sink takes it, and
// moves the checkpoint. It returns how many events it flushed.
func (f *flusher) flushOnce(ctx context.Context) (int, error) {
	start := f.r.Position()
	recs, err := f.r.Next(f.cfg.MaxEvents, f.cfg.MaxBytes)
	if err != nil {
		return 0, fmt.Errorf("while reading shard %d's log at index %d: %w", f.s.id, start, err)
	}
	if len(recs) == 0 {
		return 0, nil
	}
	f.batch = f.batch[:0]
	for i := range recs {
		r := &recs[i]
		f.batch = append(f.batch, sink.Record{
			ID: r.ID, Key: r.Key, Slot: r.Slot, Epoch: r.Epoch, ReceivedAt: r.ReceivedAt, Data: r.Data, OneLine: r.OneLine,
		})
	}
	b := sink.Batch{Partition: f.s.p.cfg.Partition, Shard: f.s.id, Records: f.batch}
	if err := f.write(ctx, b); err != nil {
		f.r.Seek(start)
		return 0, err
	}
	last := recs[len(recs)-1].Index
	if err := f.w.Checkpoint(last); err != nil {
		return 0, fmt.Errorf("while checkpointing shard %d at index %d: %w", f.s.id, last, err)
	}
	m := f.s.p.m
	m.flushedEvents.Add(float64(len(recs)))
	m.flushedBatches.Inc()
	m.batchEvents.Observe(float64(len(recs)))
	return len(recs), nil
}

// write hands b to the sink, retrying with backoff until it succeeds or ctx ends.
func (f *flusher) write(ctx context.Context, b sink.Batch) error {
	m := f.s.p.m
	for attempt := 0; ; attempt++ {
		start := time.Now()
		err := f.s.p.sink.Write(ctx, b)
		if err == nil {
			m.sinkSeconds.Observe(time.Since(start).Seconds())
			if attempt > 0 {
				f.s.lg.Info("sink recovered", "attempts", attempt+1)
			}
			return nil
		}
		m.sinkErrors.Inc()
		if ctx.Err() != nil {
			return fmt.Errorf("while writing %d events to the sink: %w", len(b.Records), ctx.Err())
		}
		d := f.s.p.cfg.SinkRetry.delay(attempt)
		f.s.lg.Warn("sink write failed; retrying", "events", len(b.Records), "attempt", attempt+1, "retryIn", d, "err", err)
		if err := sleep(ctx, d); err != nil {
			return fmt.Errorf("while waiting to retry the sink: %w", err)
		}
	}
}
