//go:build linux

package walfs

import (
	"fmt"

	"golang.org/x/sys/unix"
)

var _ Mapper = (*osFile)(nil)

// MapReadOnly implements Mapper with mmap(2).
func (f *osFile) MapReadOnly(size int64) ([]byte, func() error, error) {
	if size == 0 {
		return nil, func() error { return nil }, nil
	}
	data, err := unix.Mmap(int(f.Fd()), 0, int(size), unix.PROT_READ, unix.MAP_SHARED)
	if err != nil {
		return nil, nil, fmt.Errorf("while mapping %s: %w", f.Name(), err)
	}
	return data, func() error { return unix.Munmap(data) }, nil
}
