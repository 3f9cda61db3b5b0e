package walfs

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/eventingestor/eventingestor/ingestor/internal/directio/directiotest"
)

// TestOSAllocateWritesZeros: Allocate leaves no unwritten blocks in the
// new range (a sync into them would also journal their conversion), keeps
// the bytes already in the file, and writes the range's whole blocks around
// the page cache, so that preparing a segment does not fill it with zeros.
func TestOSAllocateWritesZeros(t *testing.T) {
	dir := t.TempDir()
	directiotest.RequireDisk(t, dir)
	const page = 4096
	for _, c := range []struct {
		name       string
		have, size int64
	}{
		{"empty file, whole blocks", 0, 3<<20 + 8*page},
		{"partial first and last block", 100, 1<<20 + 3*page + 10},
		{"within one block", 10, 2000},
	} {
		t.Run(c.name, func(t *testing.T) {
			name := filepath.Join(dir, c.name)
			head := bytes.Repeat([]byte{0xa5}, int(c.have))
			if err := os.WriteFile(name, head, 0o600); err != nil {
				t.Fatal(err)
			}
			f, err := OS{}.OpenFile(name, os.O_RDWR, 0o600)
			if err != nil {
				t.Fatal(err)
			}
			defer func() { _ = f.Close() }()
			if err := f.Allocate(c.size); err != nil {
				t.Fatal(err)
			}
			fd := int(f.(*osFile).Fd())
			// ext4 and xfs report unwritten blocks as a hole.
			if hole, err := unix.Seek(fd, 0, unix.SEEK_HOLE); err != nil || hole != c.size {
				t.Fatalf("first hole at %d (%v), want none before the end at %d: blocks left unwritten", hole, err, c.size)
			}
			if lo, hi := (c.have+page-1)/page*page, c.size/page*page; lo < hi {
				if cached := residentPages(t, name, lo, hi); cached != 0 {
					t.Errorf("%d of the %d whole pages of zeros are in the page cache: not written directly", cached, (hi-lo)/page)
				}
			}
			got, err := os.ReadFile(name)
			if err != nil {
				t.Fatal(err)
			}
			if int64(len(got)) != c.size || !bytes.Equal(got[:c.have], head) || !allZero(got[c.have:]) {
				t.Fatalf("file of %d bytes: the first %d are not kept or the rest are not zeros", len(got), c.have)
			}
		})
	}
}

// residentPages counts the pages of [lo, hi) of the file at path that are
// in the page cache.
func residentPages(t *testing.T, path string, lo, hi int64) int {
	t.Helper()
	r, err := directiotest.Resident(path)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	page := int64(os.Getpagesize())
	for _, in := range r[lo/page : hi/page] {
		if in {
			n++
		}
	}
	return n
}
