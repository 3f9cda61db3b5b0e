package wal

import (
	"fmt"
	"time"

	"github.com/eventingestor/eventingestor/ingestor/wal/walfs"
)

// offsetsHint is the record frame size a new segment's offsets are
// preallocated for.
const offsetsHint = 256

// run is the writer: it takes groups in order, writes each with one
// WriteAt, syncs it (durable mode) and wakes its appenders. In buffered mode
// it also syncs every SyncInterval.
func (w *WAL) run() {
	defer close(w.done)
	var current *group
	defer func() {
		if r := recover(); r != nil {
			// A bug, not an I/O error; the log's state in memory can no
			// longer be trusted, so it stops like after a failed sync.
			w.fail(current, fmt.Errorf("panic in the WAL writer: %v", r))
			w.take()
		}
	}()
	var tick <-chan time.Time
	if w.cfg.Ack == AckBuffered {
		t := time.NewTicker(w.cfg.SyncInterval)
		defer t.Stop()
		tick = t.C
	}
	timer := time.NewTimer(time.Hour)
	timer.Stop()
	defer timer.Stop()
	for {
		g, wait, closing := w.take()
		if g != nil {
			current = g
			w.write(g)
			current = nil
			continue
		}
		if closing {
			w.syncBuffered()
			return
		}
		var waitC <-chan time.Time
		if wait > 0 {
			timer.Reset(wait)
			waitC = timer.C
		}
		select {
		case <-w.wake:
		case <-waitC:
		case <-tick:
			w.syncBuffered()
		}
		timer.Stop()
	}
}

// take returns the next group to write. With MaxWait, an open group that is
// neither full nor old enough is left to fill, and wait says for how long.
func (w *WAL) take() (g *group, wait time.Duration, closing bool) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.failed != nil {
		for _, q := range w.queue {
			q.err = w.failed
			close(q.done)
		}
		w.queue, w.open = nil, nil
		return nil, 0, w.closing
	}
	if len(w.queue) == 0 {
		return nil, 0, w.closing
	}
	g = w.queue[0]
	if g == w.open && w.cfg.MaxWait > 0 && w.concurrent && !w.closing && len(g.buf) < w.cfg.MaxGroupBytes {
		if left := w.cfg.MaxWait - time.Since(g.started); left > 0 {
			return nil, left, false
		}
	}
	w.concurrent = g.appends > 1
	w.queue[0] = nil
	w.queue = w.queue[1:]
	if g == w.open {
		w.open = nil
	}
	return g, 0, false
}

// writePage is the page size the writer pads its writes to.
const writePage = 4096

// pagePad is how many zeros extend a write that ends at end to the next
// multiple of writePage, within a segment of the given capacity. Those
// bytes are zeros already, or the frames of a recycled file's previous
// use, which may be overwritten (see the package documentation), and the
// next group is written from end, over them. A write that ends inside a
// page the page cache does not hold makes the kernel read that page from
// the disk first, within the write: since segments are zero-filled around
// the page cache, that was one synchronous read per group commit, and
// group commits of 32 records were 25% slower (BenchmarkAppend). A write
// of whole pages needs no read.
func pagePad(end, capacity int64) int {
	return int(max(min((end+writePage-1)/writePage*writePage, capacity)-end, 0))
}

// write writes and (in durable mode) syncs one group, then publishes it.
func (w *WAL) write(g *group) {
	seg, err := w.segmentFor(g)
	if err != nil {
		w.fail(g, err)
		return
	}
	off := seg.end
	g.segStart = off
	g.buf = appendCommitFrameSum(g.buf, 0, off, g.last, g.checksum(seg.version))
	out := g.buf
	if pad := pagePad(off+int64(len(g.buf)), seg.capacity); len(g.buf)+pad <= cap(g.buf) {
		out = g.buf[:len(g.buf)+pad]
		clear(out[len(g.buf):])
	}
	if w.cfg.Ack == AckDurable {
		start := time.Now()
		_, err := seg.file.WriteAtSync(out, off)
		w.m.syncSeconds.Observe(time.Since(start).Seconds())
		if err != nil {
			w.fail(g, fmt.Errorf("while writing and syncing records %d..%d to segment %d at offset %d: %w", g.first, g.last, seg.seq, off, err))
			return
		}
	} else if _, err := seg.file.WriteAt(out, off); err != nil {
		w.fail(g, fmt.Errorf("while writing records %d..%d to segment %d at offset %d: %w", g.first, g.last, seg.seq, off, err))
		return
	}
	w.pendingBytes.Add(-int64(len(g.buf) - frameLen(commitPayloadSize)))
	w.unflushed.Add(int64(len(g.buf)))
	w.segMu.Lock()
	for _, o := range g.recOff {
		seg.offsets = append(seg.offsets, uint32(off)+o) // segments are at most 1 GiB
	}
	seg.end += int64(len(g.buf))
	w.segMu.Unlock()
	w.written.Store(g.last)
	if w.cfg.Ack == AckDurable {
		w.durable.Store(g.last)
		w.notifyChanged()
	}
	n := g.last - g.first + 1
	w.appendedRecords.Add(float64(n))
	w.appendedBytes.Add(float64(len(g.buf)))
	w.groupCommits.Inc()
	w.m.groupRecords.Observe(float64(n))
	bufs := g.groupBuffers
	g.groupBuffers = groupBuffers{}
	close(g.done)
	w.releaseGroupBuffers(bufs)
}

func (w *WAL) sync(seg *segment) error {
	start := time.Now()
	err := seg.file.Sync()
	w.m.syncSeconds.Observe(time.Since(start).Seconds())
	return err
}

// syncBuffered makes written records durable in buffered mode.
func (w *WAL) syncBuffered() {
	if w.cfg.Ack != AckBuffered {
		return
	}
	written := w.written.Load()
	if written == w.durable.Load() {
		return
	}
	seg := w.active()
	if err := w.sync(seg); err != nil {
		w.fail(nil, fmt.Errorf("while syncing segment %d: %w", seg.seq, err))
		return
	}
	w.durable.Store(written)
	w.notifyChanged()
}

// fail stops the log after a failed write or sync: g and every queued
// group fail, and so does every later Append.
func (w *WAL) fail(g *group, err error) {
	w.m.writeErrors.WithLabelValues(w.name).Inc()
	w.log.Error("write-ahead log stopped after an I/O error; it must be reopened", "err", err)
	w.mu.Lock()
	if w.failed == nil {
		w.failed = fmt.Errorf("%w: %w", ErrFailed, err)
		close(w.failedC)
	}
	failed := w.failed
	w.mu.Unlock()
	if g != nil {
		g.err = failed
		close(g.done)
	}
}

func (w *WAL) active() *segment {
	w.segMu.RLock()
	defer w.segMu.RUnlock()
	if len(w.segments) == 0 {
		return nil
	}
	return w.segments[len(w.segments)-1]
}

// segmentFor returns the segment g goes to, rotating to a new one if the
// active segment cannot hold it.
func (w *WAL) segmentFor(g *group) (*segment, error) {
	need := int64(len(g.buf) + frameLen(commitPayloadSize))
	cur := w.active()
	if cur != nil && cur.end+need <= cur.capacity {
		return cur, nil
	}
	if cur != nil {
		if err := w.seal(cur); err != nil {
			return nil, err
		}
	}
	if cur != nil && w.cfg.Ack == AckBuffered {
		// Sealed segments are always wholly durable.
		w.syncBuffered()
		if err := w.failure(); err != nil {
			return nil, err
		}
	}
	s, err := w.takeSpare()
	if err != nil {
		return nil, err
	}
	seg := &segment{seq: s.seq, version: segmentFormat, base: g.first, name: segmentName(w.cfg.Dir, s.seq), file: s.file,
		capacity: w.cfg.SegmentBytes, end: segmentHeaderSize, reused: s.reused,
		// Room for the offsets of records of about 256 bytes (1.6% of the
		// segment), so that appends rarely copy the slice as it grows.
		offsets: make([]uint32, 0, w.cfg.SegmentBytes/offsetsHint)}
	if segmentHeaderSize+need > seg.capacity {
		seg.capacity = segmentHeaderSize + need
		if err := s.file.Allocate(seg.capacity); err != nil {
			return nil, fmt.Errorf("while growing segment %d to %d bytes: %w", s.seq, seg.capacity, err)
		}
	}
	hdr := segmentHeader{version: seg.version, reused: seg.reused, seq: s.seq, baseIndex: g.first, createdAt: w.now().UnixNano()}
	if _, err := s.file.WriteAt(hdr.encode(), 0); err != nil {
		return nil, fmt.Errorf("while writing the header of segment %d: %w", s.seq, err)
	}
	if err := w.sync(seg); err != nil {
		return nil, fmt.Errorf("while syncing the header of segment %d: %w", s.seq, err)
	}
	w.segMu.Lock()
	w.segments = append(w.segments, seg)
	n := len(w.segments)
	w.segMu.Unlock()
	w.m.segments.WithLabelValues(w.name).Set(float64(n))
	w.spareNeed <- s.seq + 1
	return seg, nil
}

func (w *WAL) failure() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.failed
}

// takeSpare waits for the preallocated segment, asking again with backoff
// while preallocation fails (a full disk, say): appends wait meanwhile.
func (w *WAL) takeSpare() (spareResult, error) {
	backoff := 50 * time.Millisecond
	for {
		s := <-w.spare
		if s.err == nil {
			return s, nil
		}
		w.log.Error("cannot preallocate the next WAL segment; retrying", "seq", s.seq, "err", s.err, "retryIn", backoff)
		w.mu.Lock()
		closing := w.closing
		w.mu.Unlock()
		if closing {
			return s, s.err
		}
		time.Sleep(backoff)
		backoff = min(2*backoff, 5*time.Second)
		w.spareNeed <- s.seq
	}
}

// preallocate keeps one spare segment ready, off the hot path.
func (w *WAL) preallocate(seq uint64) {
	defer close(w.prealloc)
	for {
		f, reused, err := w.newSegmentFile(seq)
		select {
		case w.spare <- spareResult{seq: seq, file: f, reused: reused, err: err}:
		case <-w.stop:
			if f != nil {
				_ = f.Close()
			}
			return
		}
		select {
		case seq = <-w.spareNeed:
		case <-w.stop:
			return
		}
	}
}

// maxRecycled is how many flushed segment files may wait to be reused.
const maxRecycled = 2

// newSegmentFile prepares the file of segment seq: a recycled one (reused)
// if one is waiting, or a new, zero-filled one.
func (w *WAL) newSegmentFile(seq uint64) (f walfs.File, reused bool, err error) {
	select {
	case path := <-w.recycled:
		f, err := reuseSegmentFile(w.fs, w.cfg.Dir, path, seq, w.cfg.SegmentBytes)
		if err == nil {
			return f, true, nil
		}
		w.log.Warn("could not reuse a flushed segment file; creating a new one", "err", err)
	default:
	}
	f, err = createSegmentFile(w.fs, w.cfg.Dir, seq, w.cfg.SegmentBytes)
	return f, false, err
}

// seal ends the frames of seg, the active segment, before the writer moves
// to the next one, if its file was recycled: it writes zeros over where the
// next frame header would go (or up to the end, if less room is left), so
// that a scan of the sealed segment stops there, before the frames of the
// file's previous use. The zeros are synced (in both ack modes) before the
// next segment's header is written: a sealed segment must end cleanly.
func (w *WAL) seal(seg *segment) error {
	if !seg.reused || seg.end >= seg.capacity {
		return nil
	}
	zeros := make([]byte, min(frameHeaderSize, seg.capacity-seg.end))
	if _, err := seg.file.WriteAtSync(zeros, seg.end); err != nil {
		return fmt.Errorf("while ending the frames of segment %d at offset %d: %w", seg.seq, seg.end, err)
	}
	return nil
}

// recycle renames the file of s, a flushed segment that has been closed,
// to wait for newSegmentFile, if it has the current segment size; it
// returns the new path and whether it did. The caller hands the path to
// newSegmentFile only once the rename is durable (after it syncs the
// directory): a reused file must never be found under its old name.
func (w *WAL) recycle(s *segment) (string, bool) {
	if s.capacity != w.cfg.SegmentBytes {
		return "", false
	}
	path := recycledName(w.cfg.Dir, s.seq)
	if err := w.fs.Rename(s.name, path); err != nil {
		w.log.Warn("could not keep a flushed segment file for reuse; removing it", "segment", s.name, "err", err)
		return "", false
	}
	return path, true
}
