package walfs

import (
	"fmt"
	"os"
	"sort"

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
	zeros := make([]byte, min(size-from, 1<<20))
	for off := from; off < size; off += int64(len(zeros)) {
		n := min(int64(len(zeros)), size-off)
		if _, err := f.WriteAt(zeros[:n], off); err != nil {
			return fmt.Errorf("while zero-filling %s at offset %d: %w", f.Name(), off, err)
		}
	}
	return nil
}
