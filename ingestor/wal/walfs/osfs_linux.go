//go:build linux

package walfs

import (
	"errors"
	"os"

	"golang.org/x/sys/unix"
)

// allocate reserves blocks with fallocate(2) and falls back to extending the
// file where the file system does not support it.
func allocate(f *os.File, size int64) error {
	err := unix.Fallocate(int(f.Fd()), 0, 0, size)
	if errors.Is(err, unix.EOPNOTSUPP) || errors.Is(err, unix.ENOSYS) {
		return f.Truncate(size)
	}
	return err
}
