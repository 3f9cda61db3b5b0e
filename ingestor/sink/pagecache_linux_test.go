//go:build linux

package sink

import (
	"bytes"
	"fmt"
	"path/filepath"
	"slices"
	"testing"

	"github.com/eventingestor/eventingestor/ingestor/internal/directio/directiotest"
)

// residentPages reports, for each page of the file at path, whether it is
// in the page cache.
func residentPages(t *testing.T, path string) []bool {
	t.Helper()
	r, err := directiotest.Resident(path)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// TestFilledPages covers the range that dropCached hands to the kernel: it
// counts the page that holds the start and not the partial page that holds
// the end.
func TestFilledPages(t *testing.T) {
	const page = 4096
	for _, tc := range []struct {
		name          string
		from, to      int64
		wantOff, want int64
	}{
		{"empty", 100, 100, 0, 0},
		{"within one page", 100, 200, 0, 0},
		{"ends inside the page it starts in", page + 1, 2*page - 1, 0, 0},
		{"fills the page it starts in", page + 1, 2 * page, page, page},
		{"from the page of from to the last full page", page + 5, 4*page + 7, page, 3 * page},
		{"page-aligned", 2 * page, 5 * page, 2 * page, 3 * page},
		{"from the start of the file", 0, 10*page + 100, 0, 10 * page},
	} {
		t.Run(tc.name, func(t *testing.T) {
			off, n := filledPages(tc.from, tc.to, page)
			if off != tc.wantOff || n != tc.want {
				t.Fatalf("filledPages(%d, %d) = %d, %d; want %d, %d", tc.from, tc.to, off, n, tc.wantOff, tc.want)
			}
		})
	}
}

// TestFileDropsSyncedPages checks that the file sink leaves no full page of
// what it synced in the page cache, only the partial last page that the next
// batch completes, and that the file still reads back whole. (The kernel
// drops only whole folios. Those an append creates are no larger than what
// is left of the write, so none of them straddles the end of a synced range
// but the one holding the partial last page.)
func TestFileDropsSyncedPages(t *testing.T) {
	dir := t.TempDir()
	directiotest.RequireDisk(t, dir)
	f := newTestFile(t, dir, 1<<30, nil)
	defer mustClose(t, f)
	data := []byte(`{"pad":"` + string(bytes.Repeat([]byte{'p'}, 300)) + `"}`)
	var batches []Batch
	for b := range 3 {
		batch := Batch{Partition: 1, Shard: 0}
		for i := range 50 {
			batch.Records = append(batch.Records, Record{ID: fmt.Sprintf("b%d-%d", b, i), Key: []byte("k"), Data: data})
		}
		mustWrite(t, f, batch)
		batches = append(batches, batch)

		names := dirNames(t, dir)
		if len(names) != 1 {
			t.Fatalf("files %v, want one active file", names)
		}
		resident := residentPages(t, filepath.Join(dir, names[0]))
		if len(resident) < 4 {
			t.Fatalf("%d pages after batch %d, want more than 3", len(resident), b)
		}
		for i, r := range resident[:len(resident)-1] {
			if r {
				t.Fatalf("after batch %d: page %d of %d is still cached: %v", b, i, len(resident), resident)
			}
		}
	}
	var got []string
	for _, lines := range readLines(t, dir) {
		got = append(got, ids(lines)...)
	}
	if want := batchIDs(batches...); !slices.Equal(got, want) {
		t.Fatalf("read back %d ids, want %d: %v", len(got), len(want), got)
	}
}
