package walfs

import (
	"io"
	"os"
)

// FS is the subset of a file system the WAL needs.
type FS interface {
	// MkdirAll creates dir and its parents.
	MkdirAll(dir string) error
	// ReadDir returns the names of the entries of dir, sorted.
	ReadDir(dir string) ([]string, error)
	// OpenFile opens name with os.OpenFile semantics (os.O_CREATE, os.O_RDWR, …).
	OpenFile(name string, flag int, perm os.FileMode) (File, error)
	// Remove removes a file. The removal is durable only after SyncDir.
	Remove(name string) error
	// Rename renames a file. The rename is durable only after SyncDir.
	Rename(oldName, newName string) error
	// SyncDir makes the entries of dir (creations, renames, removals) durable.
	SyncDir(dir string) error
}

// Mapper is implemented by files that can be mapped into memory read-only.
// Recovery scans segments through a mapping when it can, so that a large
// segment is read through the page cache instead of a heap buffer.
type Mapper interface {
	// MapReadOnly maps the first size bytes; unmap releases the mapping,
	// after which data must not be used. Writes to the file through WriteAt
	// may or may not be visible in data.
	MapReadOnly(size int64) (data []byte, unmap func() error, err error)
}

// File is an open file.
type File interface {
	io.ReaderAt
	io.WriterAt
	io.Closer
	// Name is the path the file was opened with.
	Name() string
	// Size is the current size of the file in bytes.
	Size() (int64, error)
	// Sync makes the file's data durable (fdatasync where available).
	Sync() error
	// WriteAtSync writes p at off and returns once p is durable, like
	// WriteAt followed by Sync but promising only p's range (other unsynced
	// writes to the file may or may not be durable). On Linux it is one
	// system call, pwritev2(2) with RWF_DSYNC.
	WriteAtSync(p []byte, off int64) (int, error)
	// Truncate changes the size of the file.
	Truncate(size int64) error
	// Allocate reserves size bytes for the file, so that later writes within
	// that range do not grow it. The new bytes read as zero. On disk they
	// are written, not just reserved: see OS.
	Allocate(size int64) error
}
