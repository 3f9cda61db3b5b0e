package wal

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/eventingestor/eventingestor/ingestor/wal/walfs"
)

// Options are the collaborators of a log that are not configuration.
type Options struct {
	// Name labels the log in metrics and logs (the shard). Default: Dir.
	Name string
	// FS is the file system; default walfs.OS{}.
	FS walfs.FS
	// Logger; default slog.Default().
	Logger *slog.Logger
	// Metrics; default: unregistered collectors.
	Metrics *Metrics
	// Now is the clock; default time.Now.
	Now func() time.Time
}

// WAL is a segmented write-ahead log. Append is safe for concurrent use;
// one Reader per consumer reads what is durable.
type WAL struct {
	cfg  Config
	name string
	fs   walfs.FS
	log  *slog.Logger
	m    *Metrics
	now  func() time.Time

	// mu guards the groups being filled and index assignment.
	mu        sync.Mutex
	nextIndex uint64
	queue     []*group // oldest first; the last one may still be open
	open      *group   // the group appends join, or nil
	closing   bool
	// concurrent is set when the last group taken held several appends:
	// then the next one may wait MaxWait for more.
	concurrent bool
	failed     error // sticky: set after a failed write or sync
	wake       chan struct{}

	// segMu guards segments and the record offsets of the active one.
	segMu    sync.RWMutex
	segments []*segment // oldest first; the last one is active

	lastAssigned atomic.Uint64 // last index given to an append
	pendingBytes atomic.Int64  // bytes of frames queued, not yet written
	unflushed    atomic.Int64  // bytes of frames written after the checkpoint
	failedC      chan struct{} // closed when the log fails

	written    atomic.Uint64 // last index handed to the operating system
	durable    atomic.Uint64 // last index on stable storage
	checkpoint atomic.Uint64

	changedMu sync.Mutex
	changed   chan struct{} // closed when durable advances

	bufs sync.Pool // *groupBuffers of MaxGroupBytes

	// The per-group counters, labelled once.
	appendedRecords, appendedBytes, groupCommits prometheus.Counter
	spare                                        chan spareResult // preallocated next segment
	spareNeed                                    chan uint64      // asks the preallocator for a segment with this sequence
	recycled                                     chan string      // flushed segment files waiting to be reused (see recycle)
	ckptMu                                       sync.Mutex
	ckpt                                         *checkpointWriter // under ckptMu
	ckptClosed                                   bool              // under ckptMu: Close has run
	done                                         chan struct{}     // closed when the writer has stopped
	prealloc                                     chan struct{}     // closed when the preallocator has stopped
	stop                                         chan struct{}
	closeOnce                                    sync.Once
	closeErr                                     error
}

// group is one group commit: frames encoded by the appenders, written and
// synced by the writer, which then closes done.
type group struct {
	groupBuffers
	first    uint64
	last     uint64
	started  time.Time
	done     chan struct{}
	err      error
	segStart int64 // set by the writer: where buf landed
	appends  int   // Enqueue calls that joined the group
}

// checksum is the group checksum of g's record frames for a segment of
// the given format version.
func (g *group) checksum(version uint16) uint32 {
	if version == segmentFormatV1 {
		return groupChecksum(g.buf, version)
	}
	return groupChecksumOfCRCs(g.crcs)
}

type spareResult struct {
	seq    uint64
	file   walfs.File
	reused bool // a recycled file: not zero after its header
	err    error
}

// Open recovers the log in cfg.Dir (creating it if needed) and starts its
// writer. It fails with an error wrapping ErrCorrupt if acknowledged data is
// damaged; a torn tail of an unacknowledged write is repaired silently but
// counted and logged.
func Open(cfg Config, opts Options) (*WAL, error) {
	cfg.ApplyDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("invalid WAL configuration: %w", err)
	}
	if opts.FS == nil {
		opts.FS = walfs.OS{}
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	if opts.Metrics == nil {
		opts.Metrics = NewMetrics(nil)
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Name == "" {
		opts.Name = cfg.Dir
	}
	w := &WAL{
		cfg: cfg, name: opts.Name, fs: opts.FS, m: opts.Metrics, now: opts.Now,
		log:       opts.Logger.With("wal", opts.Name),
		wake:      make(chan struct{}, 1),
		changed:   make(chan struct{}),
		spare:     make(chan spareResult, 1),
		spareNeed: make(chan uint64, 1),
		recycled:  make(chan string, maxRecycled),
		done:      make(chan struct{}),
		failedC:   make(chan struct{}),
		prealloc:  make(chan struct{}),
		stop:      make(chan struct{}),
	}
	w.appendedRecords = w.m.appendedRecords.WithLabelValues(w.name)
	w.appendedBytes = w.m.appendedBytes.WithLabelValues(w.name)
	w.groupCommits = w.m.groupCommits.WithLabelValues(w.name)
	start := w.now()
	rec, err := recoverLog(w.fs, cfg.Dir)
	if err != nil {
		if errors.Is(err, ErrCorrupt) {
			w.m.corruptions.WithLabelValues(w.name).Inc()
			w.log.Error("write-ahead log is corrupt; refusing to open it", "dir", cfg.Dir, "err", err)
		}
		return nil, fmt.Errorf("while recovering the WAL in %s: %w", cfg.Dir, err)
	}
	if w.ckpt, err = openCheckpointWriter(w.fs, cfg.Dir, rec.checkpointSlot); err != nil {
		closeSegments(rec.segments)
		return nil, err
	}
	w.segments = rec.segments
	w.checkpoint.Store(rec.checkpoint.Index)
	last := rec.checkpoint.Index
	nextSeq := uint64(1)
	if n := len(w.segments); n > 0 {
		last = w.segments[n-1].last()
		nextSeq = w.segments[n-1].seq + 1
	}
	w.nextIndex = last + 1
	w.lastAssigned.Store(last)
	w.unflushed.Store(unflushedBytes(w.segments, rec.checkpoint.Index))
	w.written.Store(last)
	w.durable.Store(last)
	if rec.truncated > 0 {
		w.m.truncatedBytes.WithLabelValues(w.name).Add(float64(rec.truncated))
		w.log.Warn("repaired the torn tail of an unacknowledged write", "bytes", rec.truncated)
	}
	if rec.recycledTail > 0 {
		w.log.Info("zeroed the previous contents of a recycled segment file after the last group commit", "bytes", rec.recycledTail)
	}
	w.m.segments.WithLabelValues(w.name).Set(float64(len(w.segments)))
	w.log.Info("write-ahead log recovered", "segments", len(w.segments), "first", w.First(), "last", last,
		"checkpoint", rec.checkpoint.Index, "removedSegments", rec.removed, "took", w.now().Sub(start))
	go w.preallocate(nextSeq)
	go w.run()
	return w, nil
}

// First is the index of the first record still in the log (after the
// checkpoint's deleted segments), or the next index if the log is empty.
func (w *WAL) First() uint64 {
	w.segMu.RLock()
	defer w.segMu.RUnlock()
	if len(w.segments) == 0 {
		return w.checkpoint.Load() + 1
	}
	return w.segments[0].base
}

// Durable is the index of the last record on stable storage; records up to
// it can be read.
func (w *WAL) Durable() uint64 { return w.durable.Load() }

// CheckpointIndex is the index of the last record the sink acknowledged.
func (w *WAL) CheckpointIndex() uint64 { return w.checkpoint.Load() }

// Changed returns a channel that is closed the next time Durable advances.
func (w *WAL) Changed() <-chan struct{} {
	w.changedMu.Lock()
	defer w.changedMu.Unlock()
	return w.changed
}

func (w *WAL) notifyChanged() {
	w.changedMu.Lock()
	close(w.changed)
	w.changed = make(chan struct{})
	w.changedMu.Unlock()
}

// Append adds records to the log in order and returns the index of the
// last one once they are durable (or, in buffered mode, written). The
// records' Index fields are ignored. On error, none of the records is
// acknowledged; some may still be in the log (at-least-once).
func (w *WAL) Append(ctx context.Context, recs []Record) (uint64, error) {
	t, err := w.Enqueue(recs)
	if err != nil {
		return 0, err
	}
	return t.Wait(ctx)
}

// Ticket is the pending acknowledgement of an Enqueue.
type Ticket struct {
	g    *group
	last uint64
}

// Wait returns the index of the ticket's last record once its group commit
// is done (Append's acknowledgement), or the context's error. If the
// context ends first, the records are still written; they are only not
// acknowledged to this caller.
func (t Ticket) Wait(ctx context.Context) (uint64, error) {
	if t.g == nil {
		return 0, nil
	}
	select {
	case <-t.g.done:
	case <-ctx.Done():
		return 0, fmt.Errorf("while waiting for the WAL group commit: %w", ctx.Err())
	}
	if t.g.err != nil {
		return 0, t.g.err
	}
	return t.last, nil
}

// Enqueue validates recs and queues them for the next group commit without
// waiting; Ticket.Wait waits. It lets one caller append to several logs and
// wait for all of their syncs at once.
func (w *WAL) Enqueue(recs []Record) (Ticket, error) {
	if len(recs) == 0 {
		return Ticket{}, nil
	}
	size := 0
	for i := range recs {
		r := &recs[i]
		if err := r.validate(); err != nil {
			return Ticket{}, fmt.Errorf("record %d: %w", i, err)
		}
		if n := r.payloadLen(); n > w.cfg.MaxRecordBytes {
			return Ticket{}, fmt.Errorf("record %d is %d bytes, the limit is %d: %w", i, n, w.cfg.MaxRecordBytes, ErrTooLarge)
		}
		r.OneLine = oneLine(r.Data) // here, outside the lock, while Data is in the CPU's cache
		size += frameLen(recs[i].payloadLen())
	}
	g, last, err := w.enqueue(recs, size)
	if err != nil {
		return Ticket{}, err
	}
	return Ticket{g: g, last: last}, nil
}

// enqueue encodes recs into the open group, assigning their indexes.
func (w *WAL) enqueue(recs []Record, size int) (*group, uint64, error) {
	w.mu.Lock()
	if w.failed != nil {
		w.mu.Unlock()
		return nil, 0, w.failed
	}
	if w.closing {
		w.mu.Unlock()
		return nil, 0, ErrClosed
	}
	g := w.open
	if g == nil || (len(g.buf) > 0 && len(g.buf)+size > w.cfg.MaxGroupBytes) {
		g = &group{
			groupBuffers: w.groupBuffers(size),
			first:        w.nextIndex,
			started:      time.Now(), // real time: MaxWait is measured with real timers
			done:         make(chan struct{}),
		}
		w.queue = append(w.queue, g)
		w.open = g
	}
	for i := range recs {
		off := len(g.buf)
		g.recOff = append(g.recOff, uint32(off)) // groups are far below 4 GiB
		g.buf = appendRecordFrame(g.buf, &recs[i], w.nextIndex)
		// Gathered while the frame is in the cache, for the commit frame.
		g.crcs = append(g.crcs, frameCRC(g.buf[off:])...)
		w.nextIndex++
	}
	last := w.nextIndex - 1
	g.last = last
	g.appends++
	w.lastAssigned.Store(last)
	w.pendingBytes.Add(int64(size))
	w.mu.Unlock()
	select {
	case w.wake <- struct{}{}:
	default:
	}
	return g, last, nil
}

// groupBuffers are the buffers of a group, pooled once it is written.
type groupBuffers struct {
	buf    []byte
	recOff []uint32 // offset of each record frame within buf
	crcs   []byte   // the CRC fields of its record frames, in order
}

// groupBuffers returns empty buffers for a group whose first append is
// size bytes: pooled ones, whose buf has room for MaxGroupBytes and
// groupTail, so that appends copy each record once instead of again at
// every growth.
func (w *WAL) groupBuffers(size int) groupBuffers {
	if size <= w.cfg.MaxGroupBytes {
		if b, ok := w.bufs.Get().(*groupBuffers); ok {
			return groupBuffers{buf: b.buf[:0], recOff: b.recOff[:0], crcs: b.crcs[:0]}
		}
		return groupBuffers{buf: make([]byte, 0, w.cfg.MaxGroupBytes+groupTail)}
	}
	return groupBuffers{buf: make([]byte, 0, size+groupTail)}
}

// groupTail is the room a group buffer keeps after the records: for the
// commit frame and for the zeros that pad the write to a page (pagePad).
var groupTail = frameLen(commitPayloadSize) + writePage

// releaseGroupBuffers returns a written group's buffers to the pool.
func (w *WAL) releaseGroupBuffers(b groupBuffers) {
	if cap(b.buf) == w.cfg.MaxGroupBytes+groupTail {
		w.bufs.Put(&b)
	}
}

// Backlog is what the log holds beyond the checkpoint: records appended
// (queued ones included) and the bytes of their frames. It is what bounds
// memory and disk under a slow sink.
func (w *WAL) Backlog() (records uint64, bytes int64) {
	return w.lastAssigned.Load() - w.checkpoint.Load(), w.unflushed.Load() + w.pendingBytes.Load()
}

// Failed returns a channel that is closed when the log has stopped after an
// I/O error; Err then says why. The owner should close and reopen it.
func (w *WAL) Failed() <-chan struct{} { return w.failedC }

// Err is the error that stopped the log, or nil.
func (w *WAL) Err() error { return w.failure() }

// unflushedBytes sums the frame bytes of records after index ckpt.
func unflushedBytes(segs []*segment, ckpt uint64) int64 {
	var n int64
	for _, s := range segs {
		if s.count() == 0 || s.last() <= ckpt {
			continue
		}
		start := int64(segmentHeaderSize)
		if ckpt >= s.base {
			start = int64(s.offsets[ckpt+1-s.base])
		}
		n += s.end - start
	}
	return n
}

// Close stops taking appends, writes and syncs what was queued, and closes
// the files. It is safe to call more than once.
func (w *WAL) Close() error {
	w.closeOnce.Do(func() {
		w.mu.Lock()
		w.closing = true
		w.mu.Unlock()
		select {
		case w.wake <- struct{}{}:
		default:
		}
		<-w.done
		close(w.stop)
		<-w.prealloc
		select {
		case s := <-w.spare:
			if s.file != nil {
				_ = s.file.Close()
			}
		default:
		}
		w.segMu.Lock()
		closeSegments(w.segments)
		w.segMu.Unlock()
		w.ckptMu.Lock()
		w.ckpt.close()
		w.ckptClosed = true
		w.ckptMu.Unlock()
		w.mu.Lock()
		w.closeErr = w.failed
		w.mu.Unlock()
	})
	return w.closeErr
}
