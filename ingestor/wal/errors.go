package wal

import (
	"errors"
	"fmt"
)

var (
	// ErrCorrupt is wrapped by every error that reports damaged data that had
	// been acknowledged. The log refuses to open; nothing is skipped.
	ErrCorrupt = errors.New("wal: corrupt")
	// ErrClosed is returned by operations on a closed log.
	ErrClosed = errors.New("wal: closed")
	// ErrFailed wraps the write or sync error that stopped the log. After a
	// failed write or fdatasync the state of the page cache is unknown, so
	// the log stops taking appends; reopening it recovers from the disk.
	ErrFailed = errors.New("wal: failed")
	// ErrTooLarge is returned by Append for a record larger than MaxRecordBytes.
	ErrTooLarge = errors.New("wal: record too large")
	// ErrOutOfRange is returned by a read of an index that is not in the log.
	ErrOutOfRange = errors.New("wal: index out of range")
)

// CorruptionError describes damaged data: which file, where, and why.
type CorruptionError struct {
	File   string
	Offset int64 // -1 when not about a position
	Reason string
}

func (e *CorruptionError) Error() string {
	if e.Offset < 0 {
		return fmt.Sprintf("wal: corrupt %s: %s", e.File, e.Reason)
	}
	return fmt.Sprintf("wal: corrupt %s at offset %d: %s", e.File, e.Offset, e.Reason)
}

// Unwrap makes errors.Is(err, ErrCorrupt) true.
func (e *CorruptionError) Unwrap() error { return ErrCorrupt }
