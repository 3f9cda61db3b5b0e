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
// the sealed ones and the active one are described as clean, with the old
// frames after them where some are left, not as damaged. Segments are
// three pages: a write's zeros reach only the end of the page it ends in
// (pagePad), and the frames of the file's previous use stay after it.
func TestDumpRecycledSegments(t *testing.T) {
	fsys := walfs.NewMem()
	cfg := crashConfig()
	cfg.SegmentBytes = 3 * writePage
	w := openLog(t, fsys, cfg)
	appendCheckpointed(t, w, 0, 300)
	for i := 300; i < 345; i += 3 {
		if _, err := w.Append(context.Background(), []Record{rec(i), rec(i + 1), rec(i + 2)}); err != nil {
			t.Fatal(err)
		}
	}
	// Then records one at a time, checkpointed, until the active segment
	// is in a recycled file with old frames after its last group.
	checkpointUntilOldFramesAfterActive(t, fsys, w, 345)
	_ = w.Close()
	var out strings.Builder
	if err := Dump(&out, fsys, testDir, DumpOptions{}); err != nil {
		t.Fatal(err)
	}
	s := out.String()
	if strings.Contains(s, "CORRUPT") || strings.Contains(s, "torn") {
		t.Fatalf("dump reports damage in a sound recycled log:\n%s", s)
	}
	withOld := 0
	for _, line := range strings.Split(strings.TrimSpace(s), "\n") {
		name, _, ok := strings.Cut(strings.TrimPrefix(line, "segment "), ":")
		if !ok || !strings.HasSuffix(name, segmentSuffix) {
			continue
		}
		data, err := fsys.ReadFile(testDir + "/" + name)
		if err != nil {
			t.Fatal(err)
		}
		hdr, err := decodeSegmentHeader(data)
		if err != nil {
			continue
		}
		res := scanSegment(data, hdr.version, hdr.baseIndex)
		old := hdr.reused && lastNonZero(data[res.end:]) > 0
		if pe := min((res.end+4095)/4096*4096, int64(len(data))); !allZero(data[res.end:pe]) {
			t.Errorf("%s: bytes %d..%d, after the last group up to its page's end, are not zeros", name, res.end, pe)
		}
		if said := strings.Contains(line, "recycled file's previous use"); said != old {
			t.Errorf("segment with old bytes after its end: %v; the dump says so: %v: %s", old, said, line)
		}
		if old {
			withOld++
		}
	}
	if withOld == 0 {
		t.Fatalf("no segment in the dump keeps bytes of a recycled file's previous use:\n%s", s)
	}
}
