//go:build linux

package sink

import (
	"os"

	"golang.org/x/sys/unix"
)

// pageSize is the unit in which the kernel caches file data.
var pageSize = int64(os.Getpagesize())

// dropCached asks the kernel to drop the pages of f that [from, to) fills
// from the page cache: from the page that holds from (which the write that
// ended at to completed) up to the last page that ends at or before to. The
// partial page that holds to stays cached, so that the next append, which
// completes it, need not read it back from disk. It is called only for a
// synced range, whose pages are clean, so nothing is lost: the kernel just
// forgets them.
//
// The sink reads its files back only to recover an active file at startup,
// and without this every byte it writes stays cached until memory runs
// short: the page cache fills with sink data and pushes out the WAL segments
// that the flusher reads. (A consumer tailing the files reads them from
// disk.) Reusing the freed pages for the next write also costs the kernel
// less than taking fresh ones (about a quarter of the CPU on the VMs
// measured in README.md's Performance).
// A failure (a file system without page cache, such as some FUSE ones) is
// harmless and ignored.
func dropCached(f *os.File, from, to int64) {
	off, n := filledPages(from, to, pageSize)
	if n == 0 {
		return
	}
	rc, err := f.SyscallConn()
	if err != nil {
		return
	}
	_ = rc.Control(func(fd uintptr) {
		_ = unix.Fadvise(int(fd), off, n, unix.FADV_DONTNEED)
	})
}

// filledPages returns the byte range [off, off+n) of the pages of size page
// that a write of [from, to) to the end of a file leaves full: from the start
// of the page that holds from to the end of the last page that ends at or
// before to. n is 0 if there is none.
func filledPages(from, to, page int64) (off, n int64) {
	from -= from % page
	to -= to % page
	if to <= from {
		return 0, 0
	}
	return from, to - from
}
