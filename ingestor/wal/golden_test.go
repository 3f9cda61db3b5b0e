package wal

import (
	"context"
	"encoding/hex"
	"flag"
	"os"
	"path/filepath"
	"testing"

	"github.com/eventingestor/eventingestor/ingestor/wal/walfs"
)

var update = flag.Bool("update", false, "rewrite the golden files")

// TestGoldenBytes pins the on-disk format: a change to it must be a
// deliberate new format version, not an accident.
func TestGoldenBytes(t *testing.T) {
	fsys := walfs.NewMem()
	w := openMem(t, fsys, testConfig())
	recs := []Record{
		{Epoch: 7, ReceivedAt: 1_700_000_000_123_456_789, Slot: 1234, ID: "1", Key: []byte("1"),
			Data: []byte(`{"id":"1","user_id":"1","action_data":{"type":"knob","left":"5"}}`)},
		{Epoch: 7, ReceivedAt: 1_700_000_000_123_456_790, Slot: 1234, ID: "2", Key: []byte("1"),
			Data: []byte(`{"id":"2","user_id":"1","action_data":{"type":"knob","right":"6"}}`)},
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
	compareGolden(t, "segment-v1.hex", seg[:end])
	compareGolden(t, "checkpoint-v1.hex", ckpt)
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
