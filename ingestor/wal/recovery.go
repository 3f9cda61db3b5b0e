package wal

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/eventingestor/eventingestor/ingestor/wal/walfs"
)

// scanResult is what a scan of one segment's bytes found.
type scanResult struct {
	offsets []uint32 // record frames of whole groups
	end     int64    // offset after the last whole group
	// dirty is set when anything follows end: a bad frame, records without
	// a commit, or stray bytes. why and at say what and where.
	dirty bool
	why   string
	at    int64
	// trailing is set when dirty only because of non-zero bytes after an
	// end of frames (a zero frame header) that follows the last group: in a
	// sealed segment, what a recycled file keeps of its previous use.
	trailing bool
}

// scanSegment walks the frames of a segment of the given format version
// whose bytes (header included) are data, expecting the first record to
// have index base.
func scanSegment(data []byte, version uint16, base uint64) scanResult {
	res := scanResult{end: segmentHeaderSize}
	off := int64(segmentHeaderSize)
	groupStart := off
	expected := base
	var pending []uint32
	for {
		f, err := parseFrame(data[off:])
		if errors.Is(err, errFrameEnd) {
			break
		}
		if err != nil {
			res.dirty, res.why, res.at = true, err.Error(), off
			return res
		}
		switch f.typ {
		case frameTypeRecord:
			want := expected + uint64(len(pending))
			if got := recordIndex(f.payload); got != want {
				res.dirty, res.why, res.at = true, fmt.Sprintf("record index %d, want %d", got, want), off
				return res
			}
			if _, err := decodeRecord(f.payload); err != nil {
				res.dirty, res.why, res.at = true, err.Error(), off
				return res
			}
			pending = append(pending, uint32(off)) // segments are at most 1 GiB
		case frameTypeCommit:
			if why := checkCommit(data, version, decodeCommit(f.payload), groupStart, off, expected, len(pending)); why != "" {
				res.dirty, res.why, res.at = true, why, off
				return res
			}
			res.offsets = append(res.offsets, pending...)
			expected += uint64(len(pending))
			pending = pending[:0]
			groupStart = off + int64(f.size)
			res.end = groupStart
		}
		off += int64(f.size)
	}
	switch {
	case len(pending) > 0:
		res.dirty, res.why, res.at = true, fmt.Sprintf("%d records without a commit", len(pending)), res.end
	case !allZero(data[res.end:]):
		res.dirty, res.why, res.at, res.trailing = true, "non-zero bytes after the last commit", res.end, true
	}
	return res
}

// checkCommit validates a commit frame at offset off against the group it
// closes, whose n record frames were parsed (and their CRCs checked); it
// returns why it is invalid, or "".
func checkCommit(data []byte, version uint16, c commit, groupStart, off int64, expected uint64, n int) string {
	switch {
	case n == 0:
		return "commit frame without records"
	case c.groupOff != groupStart || int64(c.groupLen) != off-groupStart:
		return fmt.Sprintf("commit covers [%d,+%d), want [%d,+%d)", c.groupOff, c.groupLen, groupStart, off-groupStart)
	case c.lastIndex != expected+uint64(n)-1:
		return fmt.Sprintf("commit last index %d, want %d", c.lastIndex, expected+uint64(n)-1)
	case groupChecksum(data[groupStart:off], version) != c.groupCRC:
		return "group checksum mismatch"
	}
	return ""
}

// findValidCommit reports the offset of a commit frame at or after from
// whose group checksum holds in one of versions and whose last index is at
// least minIndex, or -1. Only a group that was written whole can have one,
// so its presence after damaged bytes shows that the damage is in data that
// was synced, not in a torn last write. Groups with lower indexes are left
// in a recycled segment file by its previous use: they are not this log's
// data any more (see the package documentation).
func findValidCommit(data []byte, from int64, minIndex uint64, versions ...uint16) int64 {
	for off := from; off+int64(frameLen(commitPayloadSize)) <= int64(len(data)); off += frameAlign {
		if data[off+4] != frameTypeCommit || data[off] != commitPayloadSize {
			continue
		}
		f, err := parseFrame(data[off:])
		if err != nil || f.typ != frameTypeCommit {
			continue
		}
		c := decodeCommit(f.payload)
		if c.lastIndex < minIndex || c.groupLen <= 0 || c.groupOff < segmentHeaderSize || c.groupOff+int64(c.groupLen) != off {
			continue
		}
		group := data[c.groupOff:off]
		for _, v := range versions {
			if (v == segmentFormatV1 || recordFrames(group)) && groupChecksum(group, v) == c.groupCRC {
				return off
			}
		}
	}
	return -1
}

// recordFrames reports whether group is a run of whole, valid record frames
// (what groupChecksum needs in version 2).
func recordFrames(group []byte) bool {
	for off := 0; off < len(group); {
		f, err := parseFrame(group[off:])
		if err != nil || f.typ != frameTypeRecord {
			return false
		}
		off += f.size
	}
	return true
}

// recovered is the state of a log found on disk.
type recovered struct {
	segments   []*segment
	checkpoint Checkpoint
	// checkpointSlot is the slot of the checkpoint file holding it, or -1
	// (no file, or the single-slot layout).
	checkpointSlot int
	truncated      int64 // bytes of torn tail zeroed
	// recycledTail counts bytes zeroed after the last group of a segment
	// whose file was recycled, when they start with a whole frame of its
	// previous use (anything else counts as a torn write).
	recycledTail int64
	removed      int // unused or fully flushed segment files removed
}

// recover opens the log in dir and repairs a torn tail. It returns an error
// wrapping ErrCorrupt for any damage in acknowledged data.
func recoverLog(fsys walfs.FS, dir string) (*recovered, error) {
	if err := fsys.MkdirAll(dir); err != nil {
		return nil, fmt.Errorf("while creating WAL directory %s: %w", dir, err)
	}
	names, err := fsys.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("while listing WAL directory %s: %w", dir, err)
	}
	rec := &recovered{}
	if rec.checkpoint, rec.checkpointSlot, err = readCheckpointFile(fsys, dir); err != nil {
		return nil, err
	}
	var seqs []uint64
	for _, n := range names {
		if n == checkpointTmpName || isRecycledName(n) {
			if err := fsys.Remove(filepath.Join(dir, n)); err != nil {
				return nil, fmt.Errorf("while removing a stale %s: %w", n, err)
			}
			continue
		}
		if seq, ok := parseSegmentName(n); ok {
			seqs = append(seqs, seq)
		}
	}
	ok := false
	defer func() {
		if !ok {
			closeSegments(rec.segments)
		}
	}()
	if err := rec.openSegments(fsys, dir, seqs); err != nil {
		return nil, err
	}
	if err := rec.checkContinuity(); err != nil {
		return nil, err
	}
	if err := rec.removeFlushed(fsys, dir); err != nil {
		return nil, err
	}
	ok = true
	return rec, nil
}

// openSegments scans segments in sequence order. The last segment whose
// header is valid is the one that was active; only it may have a torn tail.
// Segments after it are unused (preallocated, or torn while being rotated to).
func (rec *recovered) openSegments(fsys walfs.FS, dir string, seqs []uint64) error {
	lastUsed, err := lastUsedSegment(fsys, dir, seqs)
	if err != nil {
		return err
	}
	var buf []byte
	for i, seq := range seqs {
		name := segmentName(dir, seq)
		f, err := fsys.OpenFile(name, os.O_RDWR, 0)
		if err != nil {
			return fmt.Errorf("while opening segment %s: %w", name, err)
		}
		size, err := f.Size()
		if err != nil {
			_ = f.Close()
			return fmt.Errorf("while sizing segment %s: %w", name, err)
		}
		var data []byte
		var release func() error
		data, release, buf, err = segmentBytes(f, size, buf)
		if err != nil {
			_ = f.Close()
			return fmt.Errorf("while reading segment %s: %w", name, err)
		}
		seg, err := rec.openSegment(fsys, f, name, seq, data, i, lastUsed)
		_ = release()
		if err != nil {
			_ = f.Close()
			return err
		}
		if seg == nil { // unused: removed
			_ = f.Close()
			continue
		}
		rec.segments = append(rec.segments, seg)
	}
	return nil
}

// lastUsedSegment is the position in seqs of the last segment with a valid
// header, or -1.
func lastUsedSegment(fsys walfs.FS, dir string, seqs []uint64) (int, error) {
	hdr := make([]byte, segmentHeaderSize)
	for i := len(seqs) - 1; i >= 0; i-- {
		name := segmentName(dir, seqs[i])
		f, err := fsys.OpenFile(name, os.O_RDONLY, 0)
		if err != nil {
			return 0, fmt.Errorf("while opening segment %s: %w", name, err)
		}
		n, err := f.ReadAt(hdr, 0)
		_ = f.Close()
		if err != nil && !errors.Is(err, io.EOF) {
			return 0, fmt.Errorf("while reading the header of segment %s: %w", name, err)
		}
		if _, err := decodeSegmentHeader(hdr[:n]); err == nil || errors.Is(err, errSegmentVersion) {
			return i, nil
		}
	}
	return -1, nil
}

// segmentState is how a segment is judged, by Open and by Dump.
type segmentState int

const (
	segmentSound    segmentState = iota // nothing to repair
	segmentTornTail                     // the last segment: zero it from res.end
	segmentUnused                       // no header: never used; removed at open
	segmentNewer                        // a newer format: Open refuses the log
	segmentCorrupt                      // damage in acknowledged data
)

// segmentVerdict is the judgement of one segment's bytes.
type segmentVerdict struct {
	state  segmentState
	hdr    segmentHeader
	hdrErr error      // the header's error (unused, newer, or corrupt header)
	res    scanResult // when the header is whole
	// old is set when the bytes after res.end are what a recycled file
	// kept of its previous use rather than a torn write (sound sealed
	// segments and torn tails).
	old bool
	// at and reason describe corruption.
	at     int64
	reason string
}

// judgeSegment judges the bytes of segment seq, at position pos among the
// log's segments of which lastUsed is the last with a header; next is the
// index its records must start at (after the previous segments').
func judgeSegment(data []byte, seq uint64, pos, lastUsed int, next uint64) segmentVerdict {
	corrupt := func(v segmentVerdict, at int64, format string, args ...any) segmentVerdict {
		v.state, v.at, v.reason = segmentCorrupt, at, fmt.Sprintf(format, args...)
		return v
	}
	hdr, err := decodeSegmentHeader(data)
	v := segmentVerdict{hdr: hdr, hdrErr: err}
	switch {
	case errors.Is(err, errSegmentVersion):
		v.state = segmentNewer
		return v
	case err != nil:
		// A header is synced before any group is written after it, so a
		// header that never made it to disk can only hide unacknowledged
		// data: the segment was unused (preallocated, or torn at rotation).
		if pos < lastUsed {
			return corrupt(v, 0, "%v, in a segment before the active one", err)
		}
		// (V3's group checksum is V2's.)
		if at := findValidCommit(data, segmentHeaderSize, next, segmentFormatV1, segmentFormatV2); at >= 0 {
			return corrupt(v, 0, "%v, yet the segment holds committed data (commit at offset %d)", err, at)
		}
		v.state = segmentUnused
		return v
	case hdr.seq != seq:
		return corrupt(v, 16, "header sequence %d does not match the file name", hdr.seq)
	}
	res := scanSegment(data, hdr.version, hdr.baseIndex)
	v.res = res
	switch {
	case !res.dirty:
	case pos != lastUsed && res.trailing:
		// A sealed segment of a recycled file: its frames end with a zero
		// header, the bytes after it are of the file's previous use.
		v.old = true
	case pos != lastUsed:
		return corrupt(v, res.at, "%s in a segment that is not the last one", res.why)
	default:
		if at := findValidCommit(data, res.end, hdr.baseIndex+uint64(len(res.offsets)), hdr.version); at >= 0 {
			return corrupt(v, res.at, "%s, followed by a committed group at offset %d", res.why, at)
		}
		v.state = segmentTornTail
		v.old = oldContents(data, res.end, hdr, uint64(len(res.offsets)))
	}
	return v
}

// openSegment checks one segment; it returns nil for an unused one, which it removes.
func (rec *recovered) openSegment(fsys walfs.FS, f walfs.File, name string, seq uint64, data []byte, pos, lastUsed int) (*segment, error) {
	v := judgeSegment(data, seq, pos, lastUsed, rec.nextIndex())
	switch v.state {
	case segmentNewer:
		return nil, fmt.Errorf("while opening segment %s: %w; refusing to open the log (downgrades are not supported)", name, v.hdrErr)
	case segmentCorrupt:
		return nil, &CorruptionError{File: name, Offset: v.at, Reason: v.reason}
	case segmentUnused:
		if err := fsys.Remove(name); err != nil {
			return nil, fmt.Errorf("while removing unused segment %s: %w", name, err)
		}
		rec.removed++
		return nil, nil
	case segmentTornTail:
		// Counted before the repair: data may be a mapping of the file.
		if n := lastNonZero(data[v.res.end:]); v.old {
			rec.recycledTail += n
		} else {
			rec.truncated += n
		}
		if err := zeroTail(f, v.res.end, int64(len(data))); err != nil {
			return nil, fmt.Errorf("while truncating the torn tail of %s at offset %d: %w", name, v.res.end, err)
		}
	}
	return &segment{
		seq: seq, version: v.hdr.version, base: v.hdr.baseIndex, name: name, file: f,
		capacity: int64(len(data)), offsets: v.res.offsets, end: v.res.end,
	}, nil
}

// oldContents reports whether the bytes from end, after the n records of
// the last group of a segment with header hdr, are what its recycled file
// kept of its previous use rather than a torn write: they start with a
// whole frame of that use (a record or commit whose index is below the one
// the segment's next record would have), or the segment is marked as being
// in a recycled file and they do not start with a whole frame at all (a
// whole frame of this log there is a torn group). (A torn write over a
// recycled file's old bytes whose first sector was lost counts as old
// contents; it is zeroed all the same.)
func oldContents(data []byte, end int64, hdr segmentHeader, n uint64) bool {
	f, err := parseFrame(data[end:])
	if err != nil {
		return hdr.reused
	}
	next := hdr.baseIndex + n
	switch f.typ {
	case frameTypeRecord:
		return recordIndex(f.payload) < next
	case frameTypeCommit:
		return decodeCommit(f.payload).lastIndex < next
	}
	return false
}

// nextIndex is the index the next segment's records must start at: after
// the segments opened so far, or after the checkpoint if there are none.
func (rec *recovered) nextIndex() uint64 {
	if n := len(rec.segments); n > 0 {
		return rec.segments[n-1].last() + 1
	}
	return rec.checkpoint.Index + 1
}

// zeroTail zeroes a file from off to size and syncs it.
func zeroTail(f walfs.File, off, size int64) error {
	if err := f.Truncate(off); err != nil {
		return err
	}
	if err := f.Allocate(size); err != nil {
		return err
	}
	return f.Sync()
}

// lastNonZero is the length of b up to its last non-zero byte.
func lastNonZero(b []byte) int64 {
	for i := len(b) - 1; i >= 0; i-- {
		if b[i] != 0 {
			return int64(i + 1)
		}
	}
	return 0
}

// checkContinuity verifies that indexes run without gaps from the
// checkpoint through the last segment.
func (rec *recovered) checkContinuity() error {
	segs := rec.segments
	if len(segs) == 0 {
		return nil
	}
	if first := segs[0]; first.base > rec.checkpoint.Index+1 {
		return &CorruptionError{File: first.name, Offset: -1, Reason: fmt.Sprintf(
			"the log starts at index %d but the checkpoint is %d: records %d..%d are missing",
			first.base, rec.checkpoint.Index, rec.checkpoint.Index+1, first.base-1)}
	}
	for i := 1; i < len(segs); i++ {
		prev, s := segs[i-1], segs[i]
		if s.base != prev.last()+1 {
			return &CorruptionError{File: s.name, Offset: -1, Reason: fmt.Sprintf(
				"segment starts at index %d, but the previous segment ends at %d", s.base, prev.last())}
		}
	}
	if last := segs[len(segs)-1]; rec.checkpoint.Index > last.last() {
		return &CorruptionError{File: last.name, Offset: -1, Reason: fmt.Sprintf(
			"the checkpoint is at index %d, beyond the last record %d", rec.checkpoint.Index, last.last())}
	}
	return nil
}

// removeFlushed deletes segments, except the last, whose records are all
// at or before the checkpoint (a crash can leave them behind).
func (rec *recovered) removeFlushed(fsys walfs.FS, dir string) error {
	for len(rec.segments) > 1 && rec.segments[0].last() <= rec.checkpoint.Index {
		s := rec.segments[0]
		_ = s.file.Close()
		if err := fsys.Remove(s.name); err != nil {
			return fmt.Errorf("while removing flushed segment %s: %w", s.name, err)
		}
		rec.segments = rec.segments[1:]
		rec.removed++
	}
	if rec.removed > 0 {
		if err := fsys.SyncDir(dir); err != nil {
			return fmt.Errorf("while syncing %s after removing segments: %w", dir, err)
		}
	}
	return nil
}

func closeSegments(segs []*segment) {
	for _, s := range segs {
		_ = s.file.Close()
	}
}

// segmentBytes returns a segment's bytes: a read-only mapping where the file
// system offers one (a 64 MiB segment then costs page cache, not heap), else
// a read into buf, which it returns for reuse. release ends the mapping; data
// must not be used after it, nor after the file is truncated.
func segmentBytes(f walfs.File, size int64, buf []byte) (data []byte, release func() error, _ []byte, err error) {
	if m, ok := f.(walfs.Mapper); ok {
		data, release, err := m.MapReadOnly(size)
		if err == nil {
			return data, release, buf, nil
		}
	}
	buf = extend(buf[:0], int(size))
	n, err := f.ReadAt(buf, 0)
	if err != nil && !errors.Is(err, io.EOF) {
		return nil, nil, buf, err
	}
	clear(buf[n:]) // a short read must not leave bytes of an earlier one
	return buf, func() error { return nil }, buf, nil
}
