package partition

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/eventingestor/eventingestor/ingestor/sink"
	"github.com/eventingestor/eventingestor/ingestor/wal"
	"github.com/eventingestor/eventingestor/ingestor/wal/walfs"
)

// Options are a partition's collaborators.
type Options struct {
	// Sink receives flushed batches. The partition closes it on Stop.
	Sink sink.Sink
	// FS is the file system of the logs; default walfs.OS{}.
	FS walfs.FS
	// Logger; default slog.Default().
	Logger *slog.Logger
	// Registerer for metrics; nil leaves them unregistered.
	Registerer prometheus.Registerer
	// Now is the clock of record timestamps; default time.Now.
	Now func() time.Time
}

// Partition is one partition's shards.
type Partition struct {
	cfg    Config
	fs     walfs.FS
	sink   sink.Sink
	log    *slog.Logger
	now    func() time.Time
	m      *metrics
	shards []*shard

	// gate: Append holds it shared; Stop takes it to wait for in-flight appends.
	gate     sync.RWMutex
	stopping bool

	started  atomic.Bool
	drain    chan struct{} // closed by Stop: flushers empty their logs and return
	cancel   context.CancelFunc
	wg       sync.WaitGroup
	stopOnce sync.Once
	stopErr  error
}

// New validates cfg and prepares a partition; Start runs it.
func New(cfg Config, opts Options) (*Partition, error) {
	cfg.ApplyDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("invalid partition configuration: %w", err)
	}
	if opts.Sink == nil {
		return nil, errors.New("a partition needs a sink")
	}
	if opts.FS == nil {
		opts.FS = walfs.OS{}
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	p := &Partition{
		cfg: cfg, fs: opts.FS, sink: opts.Sink, now: opts.Now,
		log:   opts.Logger.With("partition", cfg.Partition),
		drain: make(chan struct{}),
	}
	p.m = newMetrics(opts.Registerer, p)
	for i := range cfg.Shards {
		p.shards = append(p.shards, newShard(p, i))
	}
	return p, nil
}

// Config returns the validated configuration, defaults applied.
func (p *Partition) Config() Config { return p.cfg }

// Start launches the shards' supervisors. Shards open (recovering their
// logs) in the background; Ready reports when all of them are up.
func (p *Partition) Start() error {
	if !p.started.CompareAndSwap(false, true) {
		return errors.New("partition already started")
	}
	if err := p.fs.MkdirAll(p.cfg.Dir); err != nil {
		return fmt.Errorf("while creating the partition directory %s: %w", p.cfg.Dir, err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	p.cancel = cancel
	p.wg.Go(func() {
		// A changed shard count is settled first (see layout.go); the shards
		// start, and the partition becomes ready, only after it.
		for attempt := 0; ; attempt++ {
			err := p.reshard(ctx)
			if err == nil {
				break
			}
			d := p.cfg.Restart.Backoff.delay(attempt)
			p.log.Error("cannot settle the shard layout; retrying", "err", err, "retryIn", d)
			if sleep(ctx, d) != nil {
				return
			}
		}
		for _, s := range p.shards {
			p.wg.Go(func() { s.supervise(ctx) })
		}
		p.log.Info("partition started", "shards", len(p.shards), "dir", p.cfg.Dir)
	})
	return nil
}

// ShardOf is the shard of a ring slot.
func (p *Partition) ShardOf(slot uint16) int { return int(slot) % len(p.shards) }

// Append stores records durably (per the WAL's ack mode) and returns once
// every one is acknowledged by its shard's log. Records go to shards by
// slot, in order. It fails fast with a *BackpressureError if a target
// shard's backlog is full, ErrNotReady while a shard restarts, and
// ErrStopping once Stop has begun. An error means the batch is not
// acknowledged; some of it may be stored and will be delivered
// (at-least-once).
func (p *Partition) Append(ctx context.Context, recs []wal.Record) error {
	return p.AppendThen(ctx, recs, nil)
}

// AppendThen is Append that calls queued, if not nil, as soon as every
// record has been copied into its shard's log, before it waits for them to
// be durable: from then on the caller may reuse the memory recs and their
// fields point into (an ingest request gives back its body buffer, so that
// the next request reads into memory still in the CPU's cache rather than
// into one of the thousands of buffers waiting for a sync). queued is not
// called if the records could not all be queued.
func (p *Partition) AppendThen(ctx context.Context, recs []wal.Record, queued func()) error {
	p.gate.RLock()
	defer p.gate.RUnlock()
	if p.stopping {
		return ErrStopping
	}
	if len(recs) == 0 {
		return nil
	}
	first := p.ShardOf(recs[0].Slot)
	same := true
	for i := 1; i < len(recs) && same; i++ {
		same = p.ShardOf(recs[i].Slot) == first
	}
	if same {
		return p.appendOne(ctx, first, recs, queued)
	}
	return p.appendSplit(ctx, recs, queued)
}

func (p *Partition) appendOne(ctx context.Context, shard int, recs []wal.Record, queued func()) error {
	w, err := p.shards[shard].admit()
	if err != nil {
		return p.refused(err)
	}
	t, err := w.Enqueue(recs)
	if err != nil {
		return fmt.Errorf("while appending to shard %d: %w", shard, err)
	}
	if queued != nil {
		queued()
	}
	if _, err := t.Wait(ctx); err != nil {
		return fmt.Errorf("while appending to shard %d: %w", shard, err)
	}
	return nil
}

// appendSplit appends a batch that spans shards: every shard is checked,
// then every share is queued, then all syncs are awaited together.
func (p *Partition) appendSplit(ctx context.Context, recs []wal.Record, queued func()) error {
	shares := make([][]wal.Record, len(p.shards))
	for _, r := range recs {
		i := p.ShardOf(r.Slot)
		shares[i] = append(shares[i], r)
	}
	logs := make([]*wal.WAL, len(p.shards))
	for i, share := range shares {
		if len(share) == 0 {
			continue
		}
		w, err := p.shards[i].admit()
		if err != nil {
			return p.refused(err)
		}
		logs[i] = w
	}
	tickets := make([]wal.Ticket, len(p.shards))
	for i, share := range shares {
		if len(share) == 0 {
			continue
		}
		t, err := logs[i].Enqueue(share)
		if err != nil {
			return fmt.Errorf("while appending to shard %d: %w", i, err)
		}
		tickets[i] = t
	}
	if queued != nil {
		queued()
	}
	var errs []error
	for i, t := range tickets {
		if _, err := t.Wait(ctx); err != nil {
			errs = append(errs, fmt.Errorf("while appending to shard %d: %w", i, err))
		}
	}
	return errors.Join(errs...)
}

func (p *Partition) refused(err error) error {
	if errors.Is(err, ErrBackpressure) {
		p.m.backpressure.Inc()
	}
	return err
}

// Ready is true when every shard's log is open.
func (p *Partition) Ready() bool {
	for _, s := range p.shards {
		if s.log.Load() == nil {
			return false
		}
	}
	return true
}

// Healthy is false when a shard has restarted more than MaxRestarts times
// within the restart window: the pod should be restarted.
func (p *Partition) Healthy() bool {
	for _, s := range p.shards {
		if !s.healthy() {
			return false
		}
	}
	return true
}

// Stop stops the partition gracefully: it refuses new appends, lets
// in-flight ones finish, flushes what it can until ctx ends, and closes the
// logs and the sink. What is not flushed stays in the logs for the next
// start. Stop returns ctx's error if the backlog could not be drained.
func (p *Partition) Stop(ctx context.Context) error {
	p.stopOnce.Do(func() {
		start := p.now()
		p.gate.Lock()
		p.stopping = true
		p.gate.Unlock()
		close(p.drain)
		done := make(chan struct{})
		go func() { p.wg.Wait(); close(done) }()
		select {
		case <-done:
		case <-ctx.Done():
			p.log.Warn("stop deadline reached; unflushed events stay in the WAL for the next start", "backlogEvents", p.Status().BacklogEvents)
			p.stopErr = fmt.Errorf("while draining partition %d: %w", p.cfg.Partition, ctx.Err())
			if p.cancel != nil {
				p.cancel()
			}
			<-done
		}
		if p.cancel != nil {
			p.cancel()
		}
		if err := p.sink.Close(); err != nil {
			p.stopErr = errors.Join(p.stopErr, fmt.Errorf("while closing the sink: %w", err))
		}
		p.log.Info("partition stopped", "took", p.now().Sub(start), "err", p.stopErr)
	})
	return p.stopErr
}

// ShardStatus describes one shard.
type ShardStatus struct {
	Shard int `json:"shard"`
	// Ready is false while the shard's log is (re)opening.
	Ready bool `json:"ready"`
	// Appended is the index of the last durable record; Flushed the last
	// record the sink acknowledged (the checkpoint).
	Appended uint64 `json:"appended"`
	Flushed  uint64 `json:"flushed"`
	// BacklogEvents and BacklogBytes are appended but not yet flushed.
	BacklogEvents uint64 `json:"backlogEvents"`
	BacklogBytes  int64  `json:"backlogBytes"`
	// OldestUnflushed is how long the oldest unflushed event has waited.
	OldestUnflushed time.Duration `json:"oldestUnflushedNanos"`
	Segments        int           `json:"segments"`
	Restarts        int           `json:"restarts"`
}

// Status describes the partition.
type Status struct {
	Partition       int           `json:"partition"`
	Ready           bool          `json:"ready"`
	Healthy         bool          `json:"healthy"`
	BacklogEvents   uint64        `json:"backlogEvents"`
	BacklogBytes    int64         `json:"backlogBytes"`
	OldestUnflushed time.Duration `json:"oldestUnflushedNanos"`
	// Drained is true when nothing appended is left unflushed.
	Drained bool          `json:"drained"`
	Shards  []ShardStatus `json:"shards"`
}

// Status reports the partition's state.
func (p *Partition) Status() Status {
	st := Status{Partition: p.cfg.Partition, Ready: p.Ready(), Healthy: p.Healthy()}
	for _, s := range p.shards {
		ss := s.status()
		st.BacklogEvents += ss.BacklogEvents
		st.BacklogBytes += ss.BacklogBytes
		st.OldestUnflushed = max(st.OldestUnflushed, ss.OldestUnflushed)
		st.Shards = append(st.Shards, ss)
	}
	st.Drained = st.Ready && st.BacklogEvents == 0
	return st
}

func (p *Partition) shardDir(i int) string {
	return filepath.Join(p.cfg.Dir, fmt.Sprintf("shard-%02d", i))
}
