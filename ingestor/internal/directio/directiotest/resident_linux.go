//go:build linux

package directiotest

import (
	"fmt"
	"os"
	"testing"
	"unsafe"

	"golang.org/x/sys/unix"
)

// RequireDisk skips t when dir is on tmpfs, which keeps a file's pages for
// as long as the file exists, has no direct I/O and no unwritten blocks.
// It returns the file system's type, for messages.
func RequireDisk(t testing.TB, dir string) int64 {
	t.Helper()
	var st unix.Statfs_t
	if err := unix.Statfs(dir, &st); err != nil {
		t.Fatal(err)
	}
	if st.Type == unix.TMPFS_MAGIC {
		t.Skipf("%s is on tmpfs, which has no direct I/O, no unwritten blocks and no page cache to drop", dir)
	}
	return st.Type
}

// Resident reports, for each page (os.Getpagesize) of the file at path, whether it is
// in the page cache (mincore(2) of a mapping of the file): what tests of
// direct writes, and of dropping written pages, look at.
func Resident(path string) ([]bool, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer func() { _ = f.Close() }()
	fi, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if fi.Size() == 0 {
		return nil, nil
	}
	m, err := unix.Mmap(int(f.Fd()), 0, int(fi.Size()), unix.PROT_READ, unix.MAP_SHARED)
	if err != nil {
		return nil, fmt.Errorf("while mapping %s: %w", path, err)
	}
	defer func() { _ = unix.Munmap(m) }()
	page := int64(os.Getpagesize())
	vec := make([]byte, (fi.Size()+page-1)/page)
	if _, _, errno := unix.Syscall(unix.SYS_MINCORE, uintptr(unsafe.Pointer(&m[0])), uintptr(len(m)), uintptr(unsafe.Pointer(&vec[0]))); errno != 0 { //nolint:gosec // G103: mincore takes the mapping's address and the vector's
		return nil, fmt.Errorf("mincore of %s: %w", path, errno)
	}
	out := make([]bool, len(vec))
	for i, v := range vec {
		out[i] = v&1 != 0
	}
	return out, nil
}
