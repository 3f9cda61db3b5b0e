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
	// Truncate changes the size of the file.
	Truncate(size int64) error
	// Allocate reserves size bytes for the file, so that later writes within
	// that range do not grow it. The new bytes read as zero. On disk they
	// are written, not just reserved: see OS.
	Allocate(size int64) error
}
