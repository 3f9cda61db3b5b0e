package wal

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/eventingestor/eventingestor/ingestor/wal/walfs"
)

const segmentSuffix = ".seg"

// recycledSuffix names a flushed segment file waiting to be reused.
const recycledSuffix = ".recycled"

// segment is one segment file and the in-memory index of its records.
type segment struct {
	seq      uint64
	version  uint16 // format version, from the header
	base     uint64 // index of the first record
	name     string
	file     walfs.File
	capacity int64 // preallocated size of the file
	// reused is set when the file was recycled: the bytes after end are
	// those of its previous use, not zeros, until the segment is sealed.
	reused bool

	// The writer appends to offsets and moves end under WAL.segMu; readers
	// read them under segMu's read lock.
	offsets []uint32 // offset of each record frame: record base+i is at offsets[i]
	end     int64    // offset just after the last commit frame
}

// count is the number of records in the segment.
func (s *segment) count() uint64 { return uint64(len(s.offsets)) }

// last is the index of the last record, or base-1 for an empty segment.
func (s *segment) last() uint64 { return s.base + s.count() - 1 }

// frameEnd is the end offset of the frames of records i..j (inclusive) of
// the segment, commit frames included.
func (s *segment) frameEnd(j uint64) int64 {
	if j+1 < s.count() {
		return int64(s.offsets[j+1])
	}
	return s.end
}

func segmentName(dir string, seq uint64) string {
	return filepath.Join(dir, fmt.Sprintf("%020d%s", seq, segmentSuffix))
}

// parseSegmentName returns the sequence number of a segment file name.
func parseSegmentName(name string) (uint64, bool) {
	base, ok := strings.CutSuffix(name, segmentSuffix)
	if !ok || len(base) != 20 {
		return 0, false
	}
	seq, err := strconv.ParseUint(base, 10, 64)
	return seq, err == nil
}

// createSegmentFile creates and preallocates a segment file with a zero
// header, and makes its directory entry durable. It is the work done off the
// hot path, ahead of a rotation.
func createSegmentFile(fsys walfs.FS, dir string, seq uint64, size int64) (walfs.File, error) {
	name := segmentName(dir, seq)
	f, err := fsys.OpenFile(name, os.O_CREATE|os.O_EXCL|os.O_RDWR, 0o640)
	if err != nil {
		return nil, fmt.Errorf("while creating segment %d: %w", seq, err)
	}
	fail := func(what string, err error) (walfs.File, error) {
		_ = f.Close()
		_ = fsys.Remove(name)
		return nil, fmt.Errorf("while %s segment %d: %w", what, seq, err)
	}
	if err := f.Allocate(size); err != nil {
		return fail("preallocating", err)
	}
	if err := f.Sync(); err != nil {
		return fail("syncing", err)
	}
	if err := fsys.SyncDir(dir); err != nil {
		return fail("syncing the directory of", err)
	}
	return f, nil
}

// recycledName is the name a flushed segment file takes while it waits to
// be reused as a later segment; recovery removes such files.
func recycledName(dir string, seq uint64) string {
	return filepath.Join(dir, fmt.Sprintf("%020d%s", seq, recycledSuffix))
}

func isRecycledName(name string) bool { return strings.HasSuffix(name, recycledSuffix) }

// reuseSegmentFile makes the recycled file at path segment seq, so that
// its blocks, already written, need no zero-filling: it zeroes and syncs
// the header, so that the file reads as unused until the writer writes a
// new one, then renames it and syncs the directory. The frames of its
// previous use stay behind the header; they hold indexes below any this
// segment will hold, which is how recovery tells them apart (see the
// package documentation). The file must be size bytes long.
func reuseSegmentFile(fsys walfs.FS, dir, path string, seq uint64, size int64) (walfs.File, error) {
	f, err := fsys.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		_ = fsys.Remove(path)
		return nil, fmt.Errorf("while opening %s: %w", path, err)
	}
	got, err := f.Size()
	if err == nil && got != size {
		err = fmt.Errorf("it is %d bytes, segments are now %d", got, size)
	}
	if err == nil {
		_, err = f.WriteAtSync(make([]byte, segmentHeaderSize), 0)
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	name := segmentName(dir, seq)
	renamed := false
	if err == nil {
		err = fsys.Rename(path, name)
		renamed = err == nil
	}
	if err == nil {
		err = fsys.SyncDir(dir)
	}
	if err == nil {
		f, err = fsys.OpenFile(name, os.O_RDWR, 0)
	}
	if err != nil {
		// Removed under whichever name it has, so that a new file can be
		// created as segment seq; a crash may leave either, both of which
		// recovery removes (a .recycled file, or an unused segment).
		if renamed {
			_ = fsys.Remove(name)
		} else {
			_ = fsys.Remove(path)
		}
		return nil, fmt.Errorf("while reusing %s as segment %d: %w", path, seq, err)
	}
	return f, nil
}
