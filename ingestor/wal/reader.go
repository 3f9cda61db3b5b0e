package wal

import (
	"errors"
	"fmt"
	"io"
	"sort"
	"strings"
)

// Reader reads durable records in order from a position. It is not safe
// for concurrent use; each consumer has its own.
type Reader struct {
	w    *WAL
	next uint64
	buf  []byte
	recs []Record
	ids  [][]byte // ids of recs, in buf, until setIDs
	// chunk is how many bytes of frames Next reads before it decodes them:
	// readChunk, or what a test sets.
	chunk int
}

// readChunk is how many bytes of frames Reader.Next reads before it decodes
// them: a few hundred kilobytes stay in a core's cache between the read and
// the decoding.
const readChunk = 256 << 10

// NewReader returns a Reader positioned at index from.
func (w *WAL) NewReader(from uint64) *Reader { return &Reader{w: w, next: from, chunk: readChunk} }

// Position is the index the next call to Next starts at.
func (r *Reader) Position() uint64 { return r.next }

// Seek moves the reader to index.
func (r *Reader) Seek(index uint64) { r.next = index }

// Next returns up to maxRecords durable records, and at least one if any is
// durable, stopping before maxBytes of frames are exceeded. It returns no
// records when the reader has caught up. The records, their keys and data
// are valid until the next call. A damaged frame is an error wrapping
// ErrCorrupt; a position before the first record still in the log is
// ErrOutOfRange.
func (r *Reader) Next(maxRecords, maxBytes int) ([]Record, error) {
	r.recs, r.ids = r.recs[:0], r.ids[:0]
	durable := r.w.durable.Load()
	if r.next > durable || maxRecords <= 0 {
		return r.recs, nil
	}
	w := r.w
	w.segMu.RLock()
	defer w.segMu.RUnlock()
	seg, err := w.segmentOf(r.next)
	if err != nil {
		return r.recs, err
	}
	i := r.next - seg.base
	j := min(seg.count()-1, durable-seg.base, i+uint64(maxRecords)-1) // maxRecords > 0
	start := int64(seg.offsets[i])
	for j > i && seg.frameEnd(j)-start > int64(maxBytes) {
		j--
	}
	end := seg.frameEnd(j)
	r.buf = extend(r.buf[:0], int(end-start))
	// The frames are read a chunk at a time and decoded right after each
	// read, while the chunk is still in the CPU's cache: a whole batch of
	// megabytes is not.
	want, last := r.next, seg.base+j
	filled := 0 // bytes of r.buf read
	for off := 0; want <= last; {
		if fe := int(seg.frameEnd(want-seg.base) - start); fe > filled {
			k := want // the chunk ends with record k's frames
			for k < last && int(seg.frameEnd(k+1-seg.base)-start)-filled <= r.chunk {
				k++
			}
			upto := int(seg.frameEnd(k-seg.base) - start)
			n, err := seg.file.ReadAt(r.buf[filled:upto], start+int64(filled))
			if err != nil && !errors.Is(err, io.EOF) {
				return r.recs[:0], fmt.Errorf("while reading segment %d at offset %d: %w", seg.seq, start+int64(filled), err)
			}
			clear(r.buf[filled+n : upto]) // a short read must not leave bytes of an earlier one
			filled = upto
		}
		f, err := parseFrame(r.buf[off:filled])
		if err != nil {
			return r.recs[:0], &CorruptionError{File: seg.name, Offset: start + int64(off), Reason: err.Error()}
		}
		off += f.size
		if f.typ != frameTypeRecord {
			continue
		}
		r.recs = append(r.recs, Record{})
		rec := &r.recs[len(r.recs)-1]
		id, err := decodeRecordInto(rec, f.payload)
		if err == nil && rec.Index != want {
			err = fmt.Errorf("record index %d, want %d", rec.Index, want)
		}
		if err != nil {
			return r.recs[:0], &CorruptionError{File: seg.name, Offset: start + int64(off-f.size), Reason: err.Error()}
		}
		r.ids = append(r.ids, id)
		want++
	}
	r.next = want
	r.setIDs()
	return r.recs, nil
}

// setIDs sets the ID of each record read from the ids it collected, with
// one string for all of them rather than one per record.
func (r *Reader) setIDs() {
	n := 0
	for _, id := range r.ids {
		n += len(id)
	}
	var sb strings.Builder
	sb.Grow(n)
	for _, id := range r.ids {
		sb.Write(id)
	}
	all, off := sb.String(), 0
	for i, id := range r.ids {
		r.recs[i].ID = all[off : off+len(id)]
		off += len(id)
	}
	clear(r.ids) // they point into buf
	r.ids = r.ids[:0]
}

// segmentOf finds the segment holding index; segMu must be held.
func (w *WAL) segmentOf(index uint64) (*segment, error) {
	segs := w.segments
	k := sort.Search(len(segs), func(k int) bool { return segs[k].base > index }) - 1
	if k < 0 || index > segs[k].last() {
		first := uint64(0)
		if len(segs) > 0 {
			first = segs[0].base
		}
		return nil, fmt.Errorf("index %d is not in the log (first %d): %w", index, first, ErrOutOfRange)
	}
	return segs[k], nil
}

// Checkpoint records that the sink has taken every record up to index,
// durably, and deletes the segments that hold nothing after it. index must
// not be beyond Durable; a checkpoint at or before the current one is a no-op.
func (w *WAL) Checkpoint(index uint64) error {
	w.ckptMu.Lock()
	defer w.ckptMu.Unlock()
	if index <= w.checkpoint.Load() {
		return nil
	}
	if w.ckptClosed {
		return ErrClosed
	}
	if d := w.durable.Load(); index > d {
		return fmt.Errorf("checkpoint %d is beyond the last durable record %d", index, d)
	}
	if err := w.ckpt.write(Checkpoint{Index: index, WrittenAt: w.now().UnixNano()}); err != nil {
		return fmt.Errorf("while writing checkpoint %d: %w", index, err)
	}
	w.segMu.Lock()
	w.unflushed.Add(unflushedBytes(w.segments, index) - unflushedBytes(w.segments, w.checkpoint.Load()))
	w.checkpoint.Store(index)
	var drop []*segment
	for len(w.segments) > 1 && w.segments[0].last() <= index {
		drop = append(drop, w.segments[0])
		w.segments[0] = nil
		w.segments = w.segments[1:]
	}
	n := len(w.segments)
	w.segMu.Unlock()
	if len(drop) == 0 {
		return nil
	}
	w.m.segments.WithLabelValues(w.name).Set(float64(n))
	var recycled []string
	room := cap(w.recycled) - len(w.recycled) // only Checkpoint sends
	for _, s := range drop {
		_ = s.file.Close()
		if len(recycled) < room {
			if path, ok := w.recycle(s); ok {
				recycled = append(recycled, path)
				continue
			}
		}
		if err := w.fs.Remove(s.name); err != nil {
			return fmt.Errorf("while removing flushed segment %s: %w", s.name, err)
		}
	}
	if err := w.fs.SyncDir(w.cfg.Dir); err != nil {
		// The renamed files are not handed on: until the renames are
		// durable, a crash could find a reused file under its old segment
		// name. They are removed at the next open.
		return fmt.Errorf("while syncing %s after removing or recycling flushed segments: %w", w.cfg.Dir, err)
	}
	for _, path := range recycled {
		w.recycled <- path
	}
	return nil
}

// Stats describe the log's extent.
type Stats struct {
	First, Durable, Checkpoint uint64
	Segments                   int
	// DiskBytes is the space taken by segment files (preallocated size).
	DiskBytes int64
}

// Stats returns the log's current extent.
func (w *WAL) Stats() Stats {
	w.segMu.RLock()
	defer w.segMu.RUnlock()
	st := Stats{Durable: w.durable.Load(), Checkpoint: w.checkpoint.Load(), Segments: len(w.segments)}
	st.First = st.Checkpoint + 1
	if len(w.segments) > 0 {
		st.First = w.segments[0].base
	}
	for _, s := range w.segments {
		st.DiskBytes += s.capacity
	}
	return st
}
