//go:build !linux

package dsync

import "os"

// Datasync flushes f to stable storage.
func Datasync(f *os.File) error { return f.Sync() }

// WriteAt writes p to f at off (at the end of an os.O_APPEND file when off
// is -1) and syncs f.
func WriteAt(f *os.File, p []byte, off int64) (int, error) { return writeThenSync(f, p, off) }
