package walfs

import (
	"fmt"
	"os"
	"sort"
	"sync"

	"github.com/eventingestor/eventingestor/ingestor/internal/directio"
	"github.com/eventingestor/eventingestor/ingestor/internal/dsync"
)

// OS is the real file system.
type OS struct{}

var _ FS = OS{}

// MkdirAll implements FS.
func (OS) MkdirAll(dir string) error { return os.MkdirAll(dir, 0o750) }

// ReadDir implements FS.
func (OS) ReadDir(dir string) ([]string, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	names := make([]string, 0, len(entries))
	for _, e := range entries {
		names = append(names, e.Name())
	}
	sort.Strings(names)
	return names, nil
}

// OpenFile implements FS.
func (OS) OpenFile(name string, flag int, perm os.FileMode) (File, error) {
	f, err := os.OpenFile(name, flag, perm) // paths come from the WAL's own directory
	if err != nil {
		return nil, err
	}
	return &osFile{File: f}, nil
}

// Remove implements FS.
func (OS) Remove(name string) error { return os.Remove(name) }

// Rename implements FS.
func (OS) Rename(oldName, newName string) error { return os.Rename(oldName, newName) }

// SyncDir implements FS.
func (OS) SyncDir(dir string) error {
	d, err := os.Open(dir) // the WAL's own directory
	if err != nil {
		return err
	}
	if err := d.Sync(); err != nil {
		_ = d.Close()
		return fmt.Errorf("while syncing directory %s: %w", dir, err)
	}
	return d.Close()
}

type osFile struct{ *os.File }

func (f *osFile) Size() (int64, error) {
	st, err := f.Stat()
	if err != nil {
		return 0, err
	}
	return st.Size(), nil
}

func (f *osFile) Sync() error { return dsync.Datasync(f.File) }

func (f *osFile) WriteAtSync(p []byte, off int64) (int, error) { return dsync.WriteAt(f.File, p, off) }

// Allocate reserves the blocks and then writes zeros over the new range. An
// fdatasync after a write into blocks that are allocated but unwritten must
// also commit their conversion to the file system's journal; measured here,
// that made each group commit 1.5-6x slower than a write into zeroed blocks.
// The zeros are written once, off the hot path, when a segment is prepared.
func (f *osFile) Allocate(size int64) error {
	st, err := f.Stat()
	if err != nil {
		return err
	}
	from := st.Size()
	if from >= size {
		return nil
	}
	if err := allocate(f.File, size); err != nil {
		return err
	}
	if err := zeroFill(f.File, from, size); err != nil {
		return fmt.Errorf("while zero-filling %s: %w", f.Name(), err)
	}
	return nil
}

// zeroFill writes zeros over [from, size) of f. The whole blocks of the
// range go through a direct descriptor where the file system takes direct
// writes, from one zeroed buffer: through the page cache, each 4 KiB of
// zeros took a page the cache allocated fresh, which was most of the cost
// of preparing a segment and, in a burst that grew the log, 10-16% of the
// server's CPU (README.md, Performance). The WAL's writes then fill pages
// of their own, as they would have filled the cached zeros. The rest, and
// the whole range where direct writes are refused, go through f.
func zeroFill(f *os.File, from, size int64) error {
	lo := (from + directio.Block - 1) / directio.Block * directio.Block
	hi := size / directio.Block * directio.Block
	if lo < hi {
		done, err := zeroFillDirect(f.Name(), lo, hi)
		if err != nil {
			return err
		}
		if done {
			if err := zeroFillBuffered(f, from, lo); err != nil {
				return err
			}
			return zeroFillBuffered(f, hi, size)
		}
	}
	return zeroFillBuffered(f, from, size)
}

// zeroChunk is how many bytes of zeros one write takes.
const zeroChunk = 1 << 20

// directZeros is the aligned buffer of zeros that zero-filling writes
// from, direct or not; it is only ever read.
var directZeros = sync.OnceValue(func() []byte { return directio.Buffer(nil, zeroChunk, zeroChunk) })

// zeroFillDirect writes zeros over [from, to) of the file at path, both
// multiples of directio.Block, through a direct descriptor. It returns false
// and writes nothing if the system or the file system does not take direct
// writes.
func zeroFillDirect(path string, from, to int64) (done bool, err error) {
	d := directio.OpenWriter(path)
	if d == nil {
		return false, nil
	}
	defer func() {
		if cerr := d.Close(); err == nil && cerr != nil {
			err = cerr
		}
	}()
	zeros := directZeros()
	for off := from; off < to; off += zeroChunk {
		n := min(zeroChunk, to-off)
		if w, err := d.WriteAt(zeros[:n], off); err != nil {
			if off == from && w == 0 {
				return false, nil // opened, yet refused (EINVAL): nothing written
			}
			return true, fmt.Errorf("at offset %d (direct): %w", off, err)
		}
	}
	return true, nil
}

// zeroFillBuffered writes zeros over [from, to) of f through the page cache.
func zeroFillBuffered(f *os.File, from, to int64) error {
	if from >= to {
		return nil
	}
	zeros := directZeros()
	for off := from; off < to; off += zeroChunk {
		n := min(zeroChunk, to-off)
		if _, err := f.WriteAt(zeros[:n], off); err != nil {
			return fmt.Errorf("at offset %d: %w", off, err)
		}
	}
	return nil
}
