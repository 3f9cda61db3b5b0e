package wal

import (
	"errors"
	"path/filepath"
	"strings"
	"testing"

	"github.com/eventingestor/eventingestor/ingestor/wal/walfs"
)

// buildLog writes n single-record appends with crash-test segments and
// returns the file system and the names of the segments that hold data,
// oldest first. The last one is the active segment.
//
// Whether the preallocated spare exists after Close depends on whether the
// preallocator made it before it was stopped, so the spare is left out here;
// addSpare makes one for the tests that need it.
func buildLog(t *testing.T, n int) (*walfs.Mem, []string) {
	t.Helper()
	fsys := walfs.NewMem()
	w := openLog(t, fsys, crashConfig())
	appendN(t, w, 0, n)
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	names, _ := fsys.ReadDir(testDir)
	var segs []string
	for _, name := range names {
		if _, ok := parseSegmentName(name); !ok {
			continue
		}
		path := filepath.Join(testDir, name)
		b, err := fsys.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		if len(b) >= segmentHeaderSize && allZero(b[:segmentHeaderSize]) {
			continue // the spare
		}
		segs = append(segs, path)
	}
	return fsys, segs
}

// addSpare makes sure the segment after the last one exists as a
// preallocated, zero-filled spare, as the preallocator leaves it, and
// returns its name.
func addSpare(t *testing.T, fsys *walfs.Mem, segs []string) string {
	t.Helper()
	last, ok := parseSegmentName(filepath.Base(segs[len(segs)-1]))
	if !ok {
		t.Fatalf("%s is not a segment name", segs[len(segs)-1])
	}
	spare := segmentName(testDir, last+1)
	if _, err := fsys.ReadFile(spare); err != nil {
		fsys.WriteFile(spare, make([]byte, crashConfig().SegmentBytes))
	}
	return spare
}

func flipByte(t *testing.T, fsys *walfs.Mem, name string, off int) {
	t.Helper()
	b, err := fsys.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	b[off] ^= 0x40
	fsys.WriteFile(name, b)
}

func expectCorrupt(t *testing.T, fsys walfs.FS, contains string) {
	t.Helper()
	w, err := Open(crashConfig(), testOptions(fsys))
	if err == nil {
		_ = w.Close()
		t.Fatal("Open succeeded on a corrupt log")
	}
	var ce *CorruptionError
	if !errors.Is(err, ErrCorrupt) || !errors.As(err, &ce) {
		t.Fatalf("Open = %v, want a CorruptionError", err)
	}
	if !strings.Contains(err.Error(), contains) {
		t.Fatalf("Open = %q, want it to mention %q", err, contains)
	}
}

func TestCorruptionInSealedSegmentIsReported(t *testing.T) {
	fsys, segs := buildLog(t, 100)
	if len(segs) < 3 {
		t.Fatalf("want at least 3 segments, have %d", len(segs))
	}
	flipByte(t, fsys, segs[0], segmentHeaderSize+frameHeaderSize+40) // inside the first record's payload
	expectCorrupt(t, fsys, "not the last")
}

func TestCorruptionBeforeACommittedGroupIsReported(t *testing.T) {
	fsys, segs := buildLog(t, 100)
	last := segs[len(segs)-1] // the active segment
	addSpare(t, fsys, segs)
	flipByte(t, fsys, last, segmentHeaderSize+frameHeaderSize+40)
	expectCorrupt(t, fsys, "followed by a committed group")
}

func TestCorruptSegmentHeaderIsReported(t *testing.T) {
	fsys, segs := buildLog(t, 100)
	flipByte(t, fsys, segs[0], 20)
	expectCorrupt(t, fsys, "header")
	fsys, segs = buildLog(t, 100)
	addSpare(t, fsys, segs)
	flipByte(t, fsys, segs[len(segs)-1], 20) // the active segment, holding committed groups
	expectCorrupt(t, fsys, "committed data")
}

func TestMissingSegmentIsReported(t *testing.T) {
	fsys, segs := buildLog(t, 100)
	if err := fsys.Remove(segs[1]); err != nil {
		t.Fatal(err)
	}
	expectCorrupt(t, fsys, "previous segment ends")
}

func TestCorruptCheckpointIsReported(t *testing.T) {
	fsys, _ := buildLog(t, 10)
	fsys.WriteFile(filepath.Join(testDir, checkpointName), []byte("garbage"))
	expectCorrupt(t, fsys, "checkpoint")
}

func TestCheckpointBeyondTheLogIsReported(t *testing.T) {
	fsys, _ := buildLog(t, 10)
	fsys.WriteFile(filepath.Join(testDir, checkpointName), Checkpoint{Index: 50}.encode())
	expectCorrupt(t, fsys, "beyond the last record")
}

func TestUnusedSegmentsAreRemoved(t *testing.T) {
	fsys, segs := buildLog(t, 10)
	spare := addSpare(t, fsys, segs)
	// Mark the spare's body: a file made again by the preallocator is all
	// zeros, the one left behind is not.
	b, _ := fsys.ReadFile(spare)
	b[len(b)-1] = 0x5a
	fsys.WriteFile(spare, b)
	w := openLog(t, fsys, crashConfig())
	defer func() { _ = w.Close() }()
	checkRecords(t, readAll(t, w, 1), 1, 0, 10)
	if data, err := fsys.ReadFile(spare); err == nil && !allZero(data) {
		t.Fatal("the unused segment was kept")
	}
}

// TestCheckpointIsAtomic fails each step of a checkpoint write in turn,
// crashes, and checks that the old or the new checkpoint is found, never a
// damaged one.
func TestCheckpointIsAtomic(t *testing.T) {
	for step := 0; step < 6; step++ {
		for _, keep := range []int64{0, 8, 20, 39, -1} { // none, torn slot, all
			fsys := walfs.NewMem()
			w := openLog(t, fsys, testConfig())
			appendN(t, w, 0, 20)
			if err := w.Checkpoint(5); err != nil {
				t.Fatal(err)
			}
			calls := 0
			fsys.SetFault(func(op walfs.Op, name string) error {
				if !strings.Contains(name, "checkpoint") && op != walfs.OpSyncDir {
					return nil
				}
				calls++
				if calls > step {
					return walfs.ErrInjected
				}
				return nil
			})
			cerr := w.Checkpoint(15)
			fsys.SetFault(nil)
			crashed := fsys.Crash(walfs.CrashOptions{KeepBytes: keep})
			_ = w.Close()
			got, err := ReadCheckpoint(crashed, testDir)
			if err != nil {
				t.Fatalf("step %d keep %d: checkpoint unreadable after crash: %v", step, keep, err)
			}
			if got.Index != 5 && got.Index != 15 {
				t.Fatalf("step %d keep %d: checkpoint %d, want 5 or 15", step, keep, got.Index)
			}
			if cerr == nil && got.Index != 15 {
				t.Fatalf("step %d: Checkpoint returned nil but the crash kept %d", step, got.Index)
			}
			w2, err := Open(testConfig(), testOptions(crashed))
			if err != nil {
				t.Fatalf("step %d: reopen: %v", step, err)
			}
			checkRecords(t, readAll(t, w2, got.Index+1), got.Index+1, int(got.Index), 20-int(got.Index))
			_ = w2.Close()
		}
	}
}

// TestCheckpointSlots checks the two-slot checkpoint file: the first write
// creates it (the only rename), later ones alternate slots in place; a log
// with the single-slot file of earlier versions is read and converted; a
// damaged slot falls back to the other, and a file with no valid slot is
// corruption.
func TestCheckpointSlots(t *testing.T) {
	fsys := walfs.NewMem()
	w := openLog(t, fsys, testConfig())
	appendN(t, w, 0, 20)
	for i, index := range []uint64{5, 10, 15} {
		if err := w.Checkpoint(index); err != nil {
			t.Fatal(err)
		}
		c, slot, err := readCheckpointFile(fsys, testDir)
		if err != nil || c.Index != index || slot != i%2 {
			t.Fatalf("after Checkpoint(%d): %d in slot %d (%v), want slot %d", index, c.Index, slot, err, i%2)
		}
	}
	if n := fsys.Count(walfs.OpRename); n != 1 {
		t.Fatalf("%d renames for 3 checkpoints, want 1 (the file's creation)", n)
	}
	_ = w.Close()

	name := filepath.Join(testDir, checkpointName)
	fsys.WriteFile(name, Checkpoint{Index: 3}.encode()) // single-slot layout
	w = openLog(t, fsys, testConfig())
	if got := w.CheckpointIndex(); got != 3 {
		t.Fatalf("single-slot checkpoint read as %d, want 3", got)
	}
	if err := w.Checkpoint(7); err != nil {
		t.Fatal(err)
	}
	_ = w.Close()
	if b, _ := fsys.ReadFile(name); len(b) != checkpointFileSize {
		t.Fatalf("checkpoint file is %d bytes after a write, want the two-slot %d", len(b), checkpointFileSize)
	}
	w = openLog(t, fsys, testConfig())
	if got := w.CheckpointIndex(); got != 7 {
		t.Fatalf("after conversion: checkpoint %d, want 7", got)
	}
	_ = w.Close()

	two := func(slot0, slot1 []byte) {
		b := make([]byte, checkpointFileSize)
		copy(b, slot0)
		copy(b[checkpointSlot:], slot1)
		fsys.WriteFile(name, b)
	}
	garbage := []byte("EIWALCKP garbage garbage garbage garbage")
	two(Checkpoint{Index: 9}.encode(), garbage)
	if c, slot, err := readCheckpointFile(fsys, testDir); err != nil || c.Index != 9 || slot != 0 {
		t.Fatalf("with slot 1 damaged: %d in slot %d (%v), want 9 in slot 0", c.Index, slot, err)
	}
	two(Checkpoint{Index: 9}.encode(), Checkpoint{Index: 12}.encode())
	if c, slot, err := readCheckpointFile(fsys, testDir); err != nil || c.Index != 12 || slot != 1 {
		t.Fatalf("with both slots valid: %d in slot %d (%v), want the newer 12 in slot 1", c.Index, slot, err)
	}
	two(garbage, garbage)
	if _, err := ReadCheckpoint(fsys, testDir); !errors.Is(err, ErrCorrupt) {
		t.Fatalf("with both slots damaged: %v, want corruption", err)
	}
	two(nil, nil)
	if _, err := ReadCheckpoint(fsys, testDir); !errors.Is(err, ErrCorrupt) {
		t.Fatalf("with both slots empty: %v, want corruption", err)
	}
}
