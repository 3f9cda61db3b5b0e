package wal

import (
	"bufio"
	"bytes"
	"context"
	"encoding/hex"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/eventingestor/eventingestor/ingestor/wal/walfs"
)

var update = flag.Bool("update", false, "rewrite the golden files")

// TestGoldenBytes pins the on-disk format: a change to it must be a
// deliberate new format version, not an accident.
func TestGoldenBytes(t *testing.T) {
	fsys := walfs.NewMem()
	w := openLog(t, fsys, testConfig())
	recs := []Record{
		{Epoch: 7, ReceivedAt: 1_700_000_000_123_456_789, Slot: 1234, ID: "1", Key: []byte("1"),
			Data: []byte(`{"id":"1","user_id":"1","action_data":{"type":"knob","left":"5"}}`)},
		// A line break between members: the record's one-line flag is clear.
		{Epoch: 7, ReceivedAt: 1_700_000_000_123_456_790, Slot: 1234, ID: "2", Key: []byte("1"),
			Data: []byte("{\"id\":\"2\",\"user_id\":\"1\",\r\n\"action_data\":{\"type\":\"knob\",\"right\":\"6\"}}")},
	}
	if _, err := w.Append(context.Background(), recs); err != nil {
		t.Fatal(err)
	}
	if err := w.Checkpoint(1); err != nil {
		t.Fatal(err)
	}
	end := w.active().end
	_ = w.Close()
	seg, err := fsys.ReadFile(segmentName(testDir, 1))
	if err != nil {
		t.Fatal(err)
	}
	ckpt, err := fsys.ReadFile(filepath.Join(testDir, checkpointName))
	if err != nil {
		t.Fatal(err)
	}
	compareGolden(t, "segment-v3.hex", seg[:end])
	// The checkpoint file has two slots; the first write fills slot 0 with
	// the record whose bytes the single-slot file of earlier versions held.
	if len(ckpt) != checkpointFileSize || !allZero(ckpt[checkpointSize:]) {
		t.Fatalf("checkpoint file is %d bytes, want %d with only slot 0 written", len(ckpt), checkpointFileSize)
	}
	compareGolden(t, "checkpoint-v1.hex", ckpt[:checkpointSize])
}

func compareGolden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	dump := hex.Dump(got)
	if *update {
		if err := os.WriteFile(path, []byte(dump), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path) // test data
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if string(want) != dump {
		t.Fatalf("%s changed; the on-disk format must not change without a new version.\ngot:\n%s\nwant:\n%s", name, dump, want)
	}
}

// TestReadsOlderFormats opens a log written in segment format version 1,
// and one in version 2 (the golden bytes of those versions), reads it,
// appends to its segment in that version and rolls over to a segment in
// the current version.
func TestReadsOlderFormats(t *testing.T) {
	for _, v := range []uint16{segmentFormatV1, segmentFormatV2} {
		t.Run(fmt.Sprintf("v%d", v), func(t *testing.T) { testReadsFormat(t, v) })
	}
}

func testReadsFormat(t *testing.T, version uint16) {
	fsys := walfs.NewMem()
	cfg := testConfig()
	seg := readGolden(t, fmt.Sprintf("segment-v%d.hex", version))
	if v := uint16(seg[8]); v != version {
		t.Fatalf("fixture is version %d, want %d", v, version)
	}
	// The file as the writer left it: preallocated, zeros after the data.
	fsys.WriteFile(segmentName(testDir, 1), append(seg, make([]byte, cfg.SegmentBytes-int64(len(seg)))...))
	fsys.WriteFile(filepath.Join(testDir, checkpointName), readGolden(t, "checkpoint-v1.hex"))

	w := openLog(t, fsys, cfg)
	got := readAll(t, w, 2)
	if len(got) != 1 || got[0].Index != 2 || got[0].ID != "2" || !bytes.Contains(got[0].Data, []byte(`"right":"6"`)) {
		t.Fatalf("records after the checkpoint = %+v, want record 2 of the fixture", got)
	}
	if got[0].OneLine {
		t.Fatal("a record of an older format reads as one line: its writer never checked")
	}
	appendN(t, w, 3, 1) // fits in segment 1: written in its version
	if w.active().seq != 1 {
		t.Fatalf("active segment %d, want 1", w.active().seq)
	}
	big := rec(4)
	big.Data = bytes.Repeat([]byte("x"), 3000)
	for i := 0; w.active().seq == 1; i++ { // fill segment 1 until a new one starts
		if i == 100 {
			t.Fatal("the log never rolled over to a new segment")
		}
		if _, err := w.Append(context.Background(), []Record{big}); err != nil {
			t.Fatal(err)
		}
	}
	last := w.Durable()
	_ = w.Close()

	for seq, want := range map[uint64]uint16{1: version, 2: segmentFormat} {
		data, err := fsys.ReadFile(segmentName(testDir, seq))
		if err != nil {
			t.Fatal(err)
		}
		hdr, err := decodeSegmentHeader(data)
		if err != nil || hdr.version != want {
			t.Fatalf("segment %d: version %d (%v), want %d", seq, hdr.version, err, want)
		}
		if res := scanSegment(data, want, hdr.baseIndex); res.dirty || len(res.offsets) == 0 {
			t.Fatalf("segment %d does not scan clean in version %d: %+v", seq, want, res)
		}
	}
	w = openLog(t, fsys, cfg)
	defer func() { _ = w.Close() }()
	got = readAll(t, w, 2)
	if uint64(len(got)) != last-1 || got[1].ID != rec(3).ID {
		t.Fatalf("after reopening: %d records from index 2, want %d starting with records 2 and 3", len(got), last-1)
	}
	if !got[1].OneLine {
		t.Fatal("record 3, appended by this build to the old segment, lost its one-line flag")
	}
}

// readGolden parses a golden file written by compareGolden (hex.Dump) back
// into bytes.
func readGolden(t *testing.T, name string) []byte {
	t.Helper()
	f, err := os.Open(filepath.Join("testdata", name)) // test data
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = f.Close() }()
	var out []byte
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line, _, _ := strings.Cut(sc.Text(), "|")
		fields := strings.Fields(line)
		if len(fields) == 0 {
			continue
		}
		b, err := hex.DecodeString(strings.Join(fields[1:], ""))
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		out = append(out, b...)
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}
