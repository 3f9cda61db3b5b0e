//go:build linux

package sink

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/eventingestor/eventingestor/ingestor/internal/directio"
	"github.com/eventingestor/eventingestor/ingestor/internal/directio/directiotest"
)

// batchOfSize returns a batch of n records whose lines are lineLen bytes
// long (ids prefixed with name).
func batchOfSize(t *testing.T, name string, n, lineLen int) Batch {
	t.Helper()
	b := Batch{Partition: 2, Shard: 1}
	for i := range n {
		r := Record{ID: fmt.Sprintf("%s-%d", name, i), Key: []byte("k"), Epoch: 1, ReceivedAt: 1}
		pad := lineLen - len(AppendLine(nil, 2, 1, &Record{ID: r.ID, Key: r.Key, Epoch: 1, ReceivedAt: 1, Data: []byte(`{"p":""}`)}))
		if pad < 0 {
			t.Fatalf("lines of %d bytes are too short", lineLen)
		}
		r.Data = []byte(`{"p":"` + string(bytes.Repeat([]byte{'x'}, pad)) + `"}`)
		b.Records = append(b.Records, r)
	}
	return b
}

// activeFile returns the stream of (2, 1) of f and the content of its
// active file.
func activeFile(t *testing.T, f *File) (*stream, []byte) {
	t.Helper()
	st := f.streams[streamKey{2, 1}]
	if st == nil || st.file == nil {
		t.Fatal("no active file")
	}
	data, err := os.ReadFile(st.path)
	if err != nil {
		t.Fatal(err)
	}
	return st, data
}

// TestFileDirectAppends writes batches that fill no block, end inside a
// block, end on a block boundary and span many blocks, and checks after
// each that the active file holds exactly the lines written so far, that
// the stream kept the file's last partial block, and that the batches that
// fill a block went to the disk directly.
func TestFileDirectAppends(t *testing.T) {
	dir := t.TempDir()
	directiotest.RequireDisk(t, dir) // tmpfs has no O_DIRECT
	f := newTestFile(t, dir, 1<<30, nil)
	defer mustClose(t, f)
	var want []byte
	for i, c := range []struct {
		records, lineLen int
		direct           bool // whether the batch fills a block
	}{
		{1, 200, false},   // 200 bytes in all
		{3, 1000, false},  // 3,200
		{1, 896, true},    // 4,096: the first block boundary
		{40, 250, true},   // 14,096: two blocks and into the third
		{1, 200, false},   // 14,296: still inside it
		{200, 300, true},  // 74,296: many blocks
		{512, 256, true},  // 205,368
		{2, 2048, true},   // 209,464: a block and a bit after a 568-byte tail
		{5000, 200, true}, // 1,209,464: more than the encoding buffer held so far
	} {
		b := batchOfSize(t, fmt.Sprintf("b%d", i), c.records, c.lineLen)
		var before int
		if st := f.streams[streamKey{2, 1}]; st != nil {
			before = st.directWrites
		}
		mustWrite(t, f, b)
		want = appendBatch(want, b)
		st, got := activeFile(t, f)
		if !bytes.Equal(got, want) {
			t.Fatalf("after batch %d the file has %d bytes, want %d; first difference at %d", i, len(got), len(want), firstDiff(got, want))
		}
		if st.direct == nil {
			t.Fatalf("%s does not support O_DIRECT; the test needs a file system that does", dir)
		}
		if tail := len(want) % directio.Block; !bytes.Equal(st.tail[:tail], want[len(want)-tail:]) {
			t.Fatalf("after batch %d the kept tail differs from the file's last %d bytes", i, tail)
		}
		if did := st.directWrites > before; did != c.direct {
			t.Errorf("batch %d (%d records of %d bytes): direct write %v, want %v", i, c.records, c.lineLen, did, c.direct)
		}
	}
}

// TestFileDirectWriteFailureFallsBack makes the direct write fail (its
// descriptor is read-only): the batch is appended through the page cache
// instead, direct appends stop for the file, and nothing is lost.
func TestFileDirectWriteFailureFallsBack(t *testing.T) {
	dir := t.TempDir()
	directiotest.RequireDisk(t, dir)
	f := newTestFile(t, dir, 1<<30, nil)
	defer mustClose(t, f)
	first := batchOfSize(t, "first", 3, 200)
	mustWrite(t, f, first)
	st, _ := activeFile(t, f)
	if st.direct == nil {
		t.Fatalf("%s does not support O_DIRECT; the test needs a file system that does", dir)
	}
	ro, err := os.Open(st.path)
	if err != nil {
		t.Fatal(err)
	}
	_ = st.direct.Close()
	st.direct = ro
	second := batchOfSize(t, "second", 100, 300)
	mustWrite(t, f, second)
	st, got := activeFile(t, f)
	if want := appendBatch(appendBatch(nil, first), second); !bytes.Equal(got, want) {
		t.Fatalf("the file has %d bytes, want %d; first difference at %d", len(got), len(want), firstDiff(got, want))
	}
	if st.direct != nil || st.directWrites != 0 {
		t.Fatalf("direct appends go on after a failed direct write (%d direct writes)", st.directWrites)
	}
	third := batchOfSize(t, "third", 100, 300)
	mustWrite(t, f, third)
	if _, got := activeFile(t, f); !bytes.Equal(got, appendBatch(appendBatch(appendBatch(nil, first), second), third)) {
		t.Fatal("the batch after the fallback was not appended as it should be")
	}
	if names := dirNames(t, dir); len(names) != 1 || filepath.Ext(names[0]) != ".open" {
		t.Fatalf("files %v, want the one active file", names)
	}
	// The stream's next file is not opened for direct writes either.
	f.maxBytes = 1
	fourth := batchOfSize(t, "fourth", 100, 300)
	mustWrite(t, f, fourth)
	if st, got := activeFile(t, f); !bytes.Equal(got, appendBatch(nil, fourth)) || st.direct != nil {
		t.Fatalf("after rotating: %d bytes, direct descriptor %v; want the fourth batch alone, no direct descriptor", len(got), st.direct)
	}
}

// TestFileDirectAppendsAcrossRotation rotates the files of a stream that
// appends directly: each file must hold exactly its batches (a new file
// starts with no tail), and the later files are written directly too.
func TestFileDirectAppendsAcrossRotation(t *testing.T) {
	dir := t.TempDir()
	directiotest.RequireDisk(t, dir)
	const maxBytes = 30_000
	f := newTestFile(t, dir, maxBytes, nil)
	var want [][]byte // per file
	var cur []byte
	directFiles := map[string]bool{}
	for i := range 12 {
		b := batchOfSize(t, fmt.Sprintf("b%d", i), 7+i*3, 250+i*13)
		if len(cur) >= maxBytes {
			want, cur = append(want, cur), nil
		}
		mustWrite(t, f, b)
		cur = appendBatch(cur, b)
		st, got := activeFile(t, f)
		if !bytes.Equal(got, cur) {
			t.Fatalf("after batch %d the active file has %d bytes, want %d; first difference at %d", i, len(got), len(cur), firstDiff(got, cur))
		}
		if st.directWrites > 0 {
			directFiles[st.path] = true
		}
	}
	want = append(want, cur)
	mustClose(t, f)
	names := dirNames(t, dir)
	if len(names) != len(want) {
		t.Fatalf("%d files %v, want %d", len(names), names, len(want))
	}
	for i, name := range names {
		got, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, want[i]) {
			t.Fatalf("file %s has %d bytes, want %d; first difference at %d", name, len(got), len(want[i]), firstDiff(got, want[i]))
		}
	}
	if len(directFiles) < 2 {
		t.Fatalf("direct writes went to %d of %d files, want several", len(directFiles), len(want))
	}
}

func firstDiff(a, b []byte) int {
	for i := range min(len(a), len(b)) {
		if a[i] != b[i] {
			return i
		}
	}
	return min(len(a), len(b))
}
