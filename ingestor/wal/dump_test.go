package wal

import (
	"context"
	"strings"
	"testing"

	"github.com/eventingestor/eventingestor/ingestor/wal/walfs"
)

func TestDump(t *testing.T) {
	fsys, segs := buildLog(t, 60)
	addSpare(t, fsys, segs) // whether Close left one depends on timing
	var out strings.Builder
	if err := Dump(&out, fsys, testDir, DumpOptions{Records: true, Data: true}); err != nil {
		t.Fatal(err)
	}
	s := out.String()
	for _, want := range []string{"checkpoint: index 0", "records 1..", "clean", `#60 epoch=`, `"id-59"`, `{"id":"id-59"`, "unused"} {
		if !strings.Contains(s, want) {
			t.Fatalf("dump lacks %q:\n%s", want, s)
		}
	}
	flipByte(t, fsys, segs[0], segmentHeaderSize+frameHeaderSize+40)
	out.Reset()
	if err := Dump(&out, fsys, testDir, DumpOptions{}); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "CORRUPT at offset 64") {
		t.Fatalf("dump does not report the damage:\n%s", out.String())
	}
}

// TestDumpRecycledSegments dumps a log whose segments are recycled files:
// the sealed ones and the active one are described as clean with the old
// frames after them, not as damaged.
func TestDumpRecycledSegments(t *testing.T) {
	fsys := walfs.NewMem()
	w := openLog(t, fsys, crashConfig())
	appendCheckpointed(t, w, 0, 300)
	// Groups of three records do not fill a 4 KiB segment exactly: sealed
	// segments keep old bytes after their end of frames.
	for i := 300; i < 345; i += 3 {
		if _, err := w.Append(context.Background(), []Record{rec(i), rec(i + 1), rec(i + 2)}); err != nil {
			t.Fatal(err)
		}
	}
	_ = w.Close()
	var out strings.Builder
	if err := Dump(&out, fsys, testDir, DumpOptions{}); err != nil {
		t.Fatal(err)
	}
	s := out.String()
	if strings.Contains(s, "CORRUPT") || strings.Contains(s, "torn") {
		t.Fatalf("dump reports damage in a sound recycled log:\n%s", s)
	}
	// Which segments got recycled files depends on timing (the
	// preallocator runs ahead): their headers say so.
	reused := 0
	for _, line := range strings.Split(strings.TrimSpace(s), "\n") {
		name, _, ok := strings.Cut(strings.TrimPrefix(line, "segment "), ":")
		if !ok || !strings.HasSuffix(name, segmentSuffix) {
			continue
		}
		data, err := fsys.ReadFile(testDir + "/" + name)
		if err != nil {
			t.Fatal(err)
		}
		if hdr, err := decodeSegmentHeader(data); err == nil && hdr.reused {
			reused++
			if !strings.Contains(line, "recycled file's previous use") {
				t.Errorf("a segment in a recycled file is not described as such: %s", line)
			}
		}
	}
	if reused == 0 {
		t.Fatalf("no segment left in the dump is in a recycled file:\n%s", s)
	}
}
