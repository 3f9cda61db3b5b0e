package wal

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/eventingestor/eventingestor/ingestor/wal/walfs"
)

// appendCheckpointed appends records rec(from)..rec(from+n-1) one group at
// a time, checkpointing everything after each append, as a flusher that
// keeps up would; flushed segments are then recycled.
func appendCheckpointed(t *testing.T, w *WAL, from, n int) {
	t.Helper()
	for i := from; i < from+n; i++ {
		last, err := w.Append(context.Background(), []Record{rec(i)})
		if err != nil {
			t.Fatalf("Append %d: %v", i, err)
		}
		if err := w.Checkpoint(last); err != nil {
			t.Fatalf("Checkpoint %d: %v", last, err)
		}
	}
}

// TestRecyclesFlushedSegments checks that flushed segment files are reused
// instead of new ones being zero-filled, that the log reads back, and that
// reopening it is clean: the old frames behind the last group of a recycled
// segment are zeroed without being counted as a torn write.
func TestRecyclesFlushedSegments(t *testing.T) {
	fsys := walfs.NewMem()
	cfg := crashConfig()
	cfg.SegmentBytes = 2 * writePage // old frames stay after the page the last write is padded to
	w := openLog(t, fsys, cfg)
	appendCheckpointed(t, w, 0, 400) // about 80 records per 8 KiB segment
	next := checkpointUntilOldFramesAfterActive(t, fsys, w, 400)
	if _, err := w.Append(context.Background(), []Record{rec(next), rec(next + 1)}); err != nil {
		t.Fatal(err)
	}
	seq := w.active().seq
	if seq < 4 {
		t.Fatalf("only %d segments used; the test needs rotations", seq)
	}
	if !oldFramesAfterActive(t, fsys, w) {
		t.Fatal("no frames of the file's previous use after the active segment's last group")
	}
	// Each new file is allocated once; recycled ones are not. The writer
	// may find no recycled file at the first rotations.
	if n := fsys.Count(walfs.OpAllocate); n > 4 {
		t.Fatalf("%d segment files allocated for %d segments: flushed ones were not reused", n, seq)
	}
	checkRecords(t, readAll(t, w, uint64(next+1)), uint64(next+1), next, 2)
	_ = w.Close()

	m := NewMetrics(nil)
	opts := testOptions(fsys)
	opts.Metrics = m
	w, err := Open(cfg, opts)
	if err != nil {
		t.Fatalf("reopen: %v", err)
	}
	defer func() { _ = w.Close() }()
	checkRecords(t, readAll(t, w, uint64(next+1)), uint64(next+1), next, 2)
	if torn := testutil.ToFloat64(m.truncatedBytes.WithLabelValues(w.name)); torn != 0 {
		t.Fatalf("a recycled segment's old frames were counted as %v bytes of torn write", torn)
	}
	names, _ := fsys.ReadDir(testDir)
	for _, n := range names {
		if isRecycledName(n) {
			t.Fatalf("%s left behind after reopening", n)
		}
	}
	appendN(t, w, next+2, 1)
	checkRecords(t, readAll(t, w, uint64(next+1)), uint64(next+1), next, 3)
}

// recycledLayout writes a log by hand: a checkpoint at 9, an active segment
// 5 with records 10 and 11 followed by a whole group of records tailIndex
// and tailIndex+1 and, after it, segment 6 with a zero header followed by a
// whole group of records nextIndex and nextIndex+1. With indexes below 10
// those groups are what a recycled file keeps of its previous use.
func recycledLayout(fsys *walfs.Mem, tailIndex, nextIndex uint64) {
	size := crashConfig().SegmentBytes
	fsys.WriteFile(filepath.Join(testDir, checkpointName), Checkpoint{Index: 9}.encode())
	group := func(buf []byte, first uint64) []byte {
		start := len(buf)
		for i := first; i < first+2; i++ {
			r := rec(int(i))
			buf = appendRecordFrame(buf, &r, i)
		}
		return appendCommitFrame(buf, start, int64(start), first+1, segmentFormat)
	}
	seg := segmentHeader{version: segmentFormat, seq: 5, baseIndex: 10}.encode()
	seg = group(seg, 10)
	seg = group(seg, tailIndex)
	fsys.WriteFile(segmentName(testDir, 5), append(seg, make([]byte, size-int64(len(seg)))...))
	unused := group(make([]byte, segmentHeaderSize), nextIndex)
	fsys.WriteFile(segmentName(testDir, 6), append(unused, make([]byte, size-int64(len(unused)))...))
}

// oldFramesAfterActive reports whether w's active segment is in a recycled
// file with frames of its previous use after its last group: what the
// recycling tests are about.
func oldFramesAfterActive(t *testing.T, fsys walfs.FS, w *WAL) bool {
	t.Helper()
	a := w.active()
	if !a.reused {
		return false
	}
	f, err := fsys.OpenFile(a.name, os.O_RDONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = f.Close() }()
	data := make([]byte, a.capacity)
	if _, err := f.ReadAt(data, 0); err != nil && !errors.Is(err, io.EOF) {
		t.Fatal(err)
	}
	return lastNonZero(data[a.end:]) > 0
}

// checkpointUntilOldFramesAfterActive goes on as appendCheckpointed from
// rec(from), one record at a time, until oldFramesAfterActive (which files
// the preallocator reuses depends on timing), and returns the next record's
// number.
func checkpointUntilOldFramesAfterActive(t *testing.T, fsys walfs.FS, w *WAL, from int) int {
	t.Helper()
	for i := from; ; i++ {
		if oldFramesAfterActive(t, fsys, w) {
			return i
		}
		if i == from+5000 {
			t.Fatal("the active segment never got a recycled file with old frames after its last group: the test would not test")
		}
		appendCheckpointed(t, w, i, 1)
	}
}

// paddedRec is rec(n) with its data padded so that its frame is frameBytes long.
func paddedRec(t *testing.T, n, frameBytes int) Record {
	t.Helper()
	r := rec(n)
	pad := frameBytes - frameLen(r.payloadLen()) - len(`,"pad":""`)
	r.Data = append(bytes.TrimSuffix(r.Data, []byte("}")), `,"pad":"`+strings.Repeat("x", max(pad, 0))+`"}`...)
	if got := frameLen(r.payloadLen()); got != frameBytes {
		t.Fatalf("paddedRec(%d, %d): frame of %d bytes", n, frameBytes, got)
	}
	return r
}

// TestSealedRecycledSegmentsKeepOldFrames: a segment in a recycled file
// that is sealed more than a page before its end keeps frames of the file's
// previous use after the zeros of its last write (pagePad), and one whose
// last group ends on a page boundary has no such zeros at all, only seal's.
// Reopening takes them as sound and reads every record; the dump reports no
// damage.
func TestSealedRecycledSegmentsKeepOldFrames(t *testing.T) {
	for _, c := range []struct {
		name    string
		aFrame  int // the frame of the group before the one that does not fit
		aligned bool
	}{
		{"last group ends inside a page", 4960, false},
		{"last group ends on a page boundary", 8128 - frameLen(commitPayloadSize), true},
	} {
		t.Run(c.name, func(t *testing.T) {
			fsys := walfs.NewMem()
			cfg := Config{Dir: testDir, SegmentBytes: 8 * writePage, MaxGroupBytes: 8 * writePage, MaxRecordBytes: 8192}
			w := openLog(t, fsys, cfg)
			appendCheckpointed(t, w, 0, 3000) // fills files with small frames and recycles them
			n := 3000
			// Each round appends a group of one record of aFrame bytes, then
			// one of four records of 7,000 bytes, which does not fit after it:
			// the segment is sealed. Rounds go on until one seals a segment of
			// the kind wanted: in a recycled file, with old frames after the
			// page its last group ends in (and that end on a page boundary,
			// in the aligned case). Until then the checkpoint follows a round
			// behind, as a flusher would, so that flushed files keep being
			// recycled (which files the preallocator reuses depends on
			// timing); it stops there, so that segment stays in the log.
			prev := w.Durable()
			for round, found := 0, false; !found; round++ {
				if round == 200 {
					t.Fatal("no round sealed a recycled segment with old frames after its last page: the test would not test")
				}
				start := w.Durable()
				if _, err := w.Append(context.Background(), []Record{paddedRec(t, n, c.aFrame)}); err != nil {
					t.Fatal(err)
				}
				seg := w.active()
				end := seg.end
				big := []Record{paddedRec(t, n+1, 7000), paddedRec(t, n+2, 7000), paddedRec(t, n+3, 7000), paddedRec(t, n+4, 7000)}
				if _, err := w.Append(context.Background(), big); err != nil {
					t.Fatal(err)
				}
				n += 1 + len(big)
				if w.active() != seg && seg.reused {
					data, err := fsys.ReadFile(seg.name)
					if err != nil {
						t.Fatal(err)
					}
					pe := (end + writePage - 1) / writePage * writePage
					found = lastNonZero(data[pe:]) > 0 && (!c.aligned || end%writePage == 0)
				}
				if !found && prev > w.CheckpointIndex() {
					if err := w.Checkpoint(prev); err != nil {
						t.Fatal(err)
					}
				}
				prev = start
			}
			last, ckpt := w.Durable(), w.CheckpointIndex()
			_ = w.Close()
			w, err := Open(cfg, testOptions(fsys))
			if err != nil {
				t.Fatalf("reopening: %v", err)
			}
			got := readAll(t, w, ckpt+1)
			_ = w.Close()
			if uint64(len(got)) != last-ckpt {
				t.Fatalf("read %d records after the checkpoint, want %d", len(got), last-ckpt)
			}
			var out strings.Builder
			if err := Dump(&out, fsys, testDir, DumpOptions{}); err != nil {
				t.Fatal(err)
			}
			if s := out.String(); strings.Contains(s, "CORRUPT") || strings.Contains(s, "torn") {
				t.Fatalf("dump reports damage in a sound log:\n%s", s)
			}
		})
	}
}

// TestRecoveryIgnoresFramesOfRecycledFiles checks recovery against frames a
// recycled segment file keeps from its previous use (indexes below the
// log's): behind the active segment's last group they are zeroed, and a
// segment with a zero header that holds them is removed as unused. The same
// groups with indexes the log could hold are still reported as corruption.
func TestRecoveryIgnoresFramesOfRecycledFiles(t *testing.T) {
	fsys := walfs.NewMem()
	recycledLayout(fsys, 3, 5)
	m := NewMetrics(nil)
	opts := testOptions(fsys)
	opts.Metrics = m
	w, err := Open(crashConfig(), opts)
	if err != nil {
		t.Fatalf("Open with the frames of a recycled file: %v", err)
	}
	checkRecords(t, readAll(t, w, 10), 10, 10, 2)
	if torn := testutil.ToFloat64(m.truncatedBytes.WithLabelValues(w.name)); torn != 0 {
		t.Fatalf("old frames counted as %v bytes of torn write", torn)
	}
	_ = w.Close()
	// Segment 6 was removed; the preallocator made a new, zeroed one.
	if data, err := fsys.ReadFile(segmentName(testDir, 6)); err == nil && !allZero(data) {
		t.Fatal("the unused segment with old frames was kept")
	}
	data, _ := fsys.ReadFile(segmentName(testDir, 5))
	if res := scanSegment(data, segmentFormat, 10); res.dirty || len(res.offsets) != 2 {
		t.Fatalf("segment 5 after recovery: %+v, want 2 records and zeros after them", res)
	}

	for _, tc := range []struct {
		name            string
		tail, next      uint64
		wantInMessage   string
		wantTornCounted bool
	}{
		{"a group after the active segment's last that the log could hold", 14, 5, "followed by a committed group", false},
		{"a group the log could hold in a segment with a zero header", 3, 12, "holds committed data", false},
	} {
		fsys := walfs.NewMem()
		recycledLayout(fsys, tc.tail, tc.next)
		_, err := Open(crashConfig(), testOptions(fsys))
		if !errors.Is(err, ErrCorrupt) || !strings.Contains(err.Error(), tc.wantInMessage) {
			t.Errorf("%s: Open = %v, want corruption (%q)", tc.name, err, tc.wantInMessage)
		}
	}
}

// failNthSegmentSync is failNthDataSync counting only segment files, so
// that checkpoints never fail.
func failNthSegmentSync(n int) walfs.FaultFunc {
	inner := failNthDataSync(n)
	return func(op walfs.Op, name string) error {
		if !strings.HasSuffix(name, segmentSuffix) {
			return nil
		}
		return inner(op, name)
	}
}

// TestCrashWithRecycledSegments is TestCrashAtEveryByte for a log whose
// flusher keeps up: it checkpoints after every append, so segments rotate
// into recycled files. Each crash state must recover the acknowledged
// records after the checkpoint, take an append and reopen. In segments of
// one page, each write's zeros up to the page's end (pagePad) cover what
// is left of the file's previous use; in segments of two pages, frames of
// the previous use stay after the page the last group ends in.
func TestCrashWithRecycledSegments(t *testing.T) {
	for _, size := range []int64{writePage, 2 * writePage} {
		t.Run(fmt.Sprintf("segment=%d", size), func(t *testing.T) {
			cfg := crashConfig()
			cfg.SegmentBytes = size
			testCrashWithRecycledSegments(t, cfg)
		})
	}
}

func testCrashWithRecycledSegments(t *testing.T, cfg Config) {
	records := int(240 * cfg.SegmentBytes / writePage) // enough to recycle several files
	crashes, recycled := 0, 0
	for n := 1; ; n++ {
		fsys := walfs.NewMem()
		fsys.SetFault(failNthSegmentSync(n))
		w := openLog(t, fsys, cfg)
		acked, inflight := 0, 0
		for i := range records {
			last, err := w.Append(context.Background(), []Record{rec(i)})
			if err != nil {
				if !errors.Is(err, walfs.ErrInjected) {
					t.Fatalf("append failed with %v, want the injected fault", err)
				}
				inflight = 1
				break
			}
			acked++
			if err := w.Checkpoint(last); err != nil {
				t.Fatalf("Checkpoint %d: %v", last, err)
			}
		}
		if inflight == 0 {
			_ = w.Close()
			break // the workload finished without reaching sync n
		}
		if a := w.active(); a != nil {
			recycled = max(recycled, int(a.seq)-fsys.Count(walfs.OpAllocate))
		}
		_ = w.Close()
		fsys.SetFault(nil)
		unsynced := fsys.UnsyncedBytes()
		for _, k := range []int64{0, unsynced / 3, unsynced / 2, unsynced - 1, unsynced} {
			checkRecoveredAfterCheckpoint(t, cfg, fsys.Crash(walfs.CrashOptions{KeepBytes: k}), acked, inflight)
			crashes++
		}
		for seed := range uint64(4) {
			r := rand.New(rand.NewPCG(seed, uint64(n)))
			checkRecoveredAfterCheckpoint(t, cfg, fsys.Crash(walfs.CrashOptions{Rand: r}), acked, inflight)
			crashes++
		}
	}
	t.Logf("recovered from %d crash states; up to %d segments came from recycled files", crashes, recycled)
	if crashes < 1000 || recycled < 3 {
		t.Fatalf("only %d crash states, %d recycled segments exercised", crashes, recycled)
	}
}

// checkRecoveredAfterCheckpoint opens a crashed file system with cfg and checks that
// it holds the records after its checkpoint up to every acknowledged one
// (or the in-flight one too), takes an append and reopens with it.
func checkRecoveredAfterCheckpoint(t *testing.T, cfg Config, fsys *walfs.Mem, acked, inflight int) {
	t.Helper()
	w, err := Open(cfg, testOptions(fsys))
	if err != nil {
		t.Fatalf("recovery failed: %v", err)
	}
	ckpt := w.CheckpointIndex()
	got := readAll(t, w, ckpt+1)
	if n := int(ckpt) + len(got); n != acked && n != acked+inflight {
		_ = w.Close()
		t.Fatalf("recovered records %d..%d, want up to %d (or %d with the in-flight one)", ckpt+1, n, acked, acked+inflight)
	}
	checkRecords(t, got, ckpt+1, int(ckpt), len(got))
	next := int(ckpt) + len(got)
	if last, err := w.Append(context.Background(), []Record{rec(next)}); err != nil || last != uint64(next+1) {
		_ = w.Close()
		t.Fatalf("append after recovery = %d, %v; want index %d", last, err, next+1)
	}
	_ = w.Close()
	w, err = Open(cfg, testOptions(fsys))
	if err != nil {
		t.Fatalf("second reopen failed: %v", err)
	}
	checkRecords(t, readAll(t, w, ckpt+1), ckpt+1, int(ckpt), len(got)+1)
	_ = w.Close()
}

// TestRecyclesOnTheRealFileSystem runs the recycling path in real files:
// renames of closed segment files, header clearing through pwritev2, and a
// reopen that reads through a mapping of a recycled active segment.
func TestRecyclesOnTheRealFileSystem(t *testing.T) {
	cfg := crashConfig()
	cfg.SegmentBytes = 2 * writePage // as in TestRecyclesFlushedSegments
	cfg.Dir = t.TempDir()
	w := openLog(t, walfs.OS{}, cfg)
	appendCheckpointed(t, w, 0, 400)
	next := checkpointUntilOldFramesAfterActive(t, walfs.OS{}, w, 400)
	if _, err := w.Append(context.Background(), []Record{rec(next), rec(next + 1)}); err != nil {
		t.Fatal(err)
	}
	if !oldFramesAfterActive(t, walfs.OS{}, w) {
		t.Fatal("no frames of the file's previous use after the active segment's last group")
	}
	_ = w.Close()
	w = openLog(t, walfs.OS{}, cfg) // reopens, reading the recycled active segment
	defer func() { _ = w.Close() }()
	checkRecords(t, readAll(t, w, uint64(next+1)), uint64(next+1), next, 2)
}

// TestReuseFailureLeavesNoFile fails each step of reuseSegmentFile in turn:
// afterwards neither the recycled file nor the new segment's name may be
// left behind, so that the preallocator can create segment seq afresh
// (with O_EXCL) instead of failing on it forever.
func TestReuseFailureLeavesNoFile(t *testing.T) {
	size := crashConfig().SegmentBytes
	for _, failing := range []walfs.Op{walfs.OpOpen, walfs.OpWrite, walfs.OpSync, walfs.OpRename, walfs.OpSyncDir} {
		fsys := walfs.NewMem()
		path := recycledName(testDir, 3)
		fsys.WriteFile(path, make([]byte, size))
		fsys.SetFault(func(op walfs.Op, _ string) error {
			if op == failing {
				return walfs.ErrInjected
			}
			return nil
		})
		if _, err := reuseSegmentFile(fsys, testDir, path, 7, size); !errors.Is(err, walfs.ErrInjected) {
			t.Fatalf("%s failing: reuse = %v, want the injected fault", failing, err)
		}
		fsys.SetFault(nil)
		for _, name := range []string{path, segmentName(testDir, 7)} {
			if _, err := fsys.ReadFile(name); err == nil {
				t.Errorf("%s failing: %s left behind", failing, filepath.Base(name))
			}
		}
		f, err := createSegmentFile(fsys, testDir, 7, size)
		if err != nil {
			t.Fatalf("%s failing: segment 7 cannot be created afterwards: %v", failing, err)
		}
		_ = f.Close()
	}
}

// TestRecycledFileIsHandedOnOnlyAfterItsRename is durable: Checkpoint renames
// a flushed segment's file for reuse, but the directory sync fails, so the
// rename may not survive a crash. The file must not be reused (its header
// zeroed while the disk may still list it under its old segment name, before
// the active one): the log must reopen with every record after the
// checkpoint.
func TestRecycledFileIsHandedOnOnlyAfterItsRename(t *testing.T) {
	fsys := walfs.NewMem()
	var noDirSync atomic.Bool
	fsys.SetFault(func(op walfs.Op, _ string) error {
		if op == walfs.OpSyncDir && noDirSync.Load() {
			return walfs.ErrInjected
		}
		return nil
	})
	cfg := crashConfig()
	w := openLog(t, fsys, cfg)
	appendCheckpointed(t, w, 0, 1)
	i := 1
	for ; w.active().seq < 2; i++ {
		appendN(t, w, i, 1)
	}
	w.segMu.RLock()
	first := w.segments[0].last()
	w.segMu.RUnlock()
	noDirSync.Store(true)
	if err := w.Checkpoint(first); !errors.Is(err, walfs.ErrInjected) {
		t.Fatalf("Checkpoint with a failing directory sync = %v, want the fault", err)
	}
	if n := len(w.recycled); n != 0 {
		t.Fatalf("%d recycled files handed on before their rename was durable", n)
	}
	noDirSync.Store(false)
	for ; w.active().seq < 4; i++ { // rotations, with new files
		appendN(t, w, i, 1)
	}
	crashed := fsys.Crash(walfs.CrashOptions{KeepBytes: 0})
	_ = w.Close()
	w2, err := Open(cfg, testOptions(crashed))
	if err != nil {
		t.Fatalf("reopen after the crash: %v", err)
	}
	defer func() { _ = w2.Close() }()
	ckpt := w2.CheckpointIndex()
	checkRecords(t, readAll(t, w2, ckpt+1), ckpt+1, int(ckpt), i-int(ckpt))
}

// TestTornWriteInANewSegmentCountsAsTorn: in a zero-filled segment, a last,
// unacknowledged group whose first sector never reached the disk reads as a
// zero frame header followed by bytes. That is a torn write (counted in
// truncatedBytes), not what a recycled file keeps of its previous use.
func TestTornWriteInANewSegmentCountsAsTorn(t *testing.T) {
	fsys := walfs.NewMem()
	size := crashConfig().SegmentBytes
	seg := segmentHeader{version: segmentFormat, seq: 1, baseIndex: 1}.encode()
	for first := uint64(1); first <= 2; first++ {
		start := len(seg)
		r := rec(int(first))
		seg = appendRecordFrame(seg, &r, first)
		seg = appendCommitFrame(seg, start, int64(start), first, segmentFormat)
		if first == 2 {
			clear(seg[start : start+frameHeaderSize]) // its first sector never reached the disk
		}
	}
	fsys.WriteFile(segmentName(testDir, 1), append(seg, make([]byte, size-int64(len(seg)))...))
	m := NewMetrics(nil)
	opts := testOptions(fsys)
	opts.Metrics = m
	w, err := Open(crashConfig(), opts)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = w.Close() }()
	checkRecords(t, readAll(t, w, 1), 1, 1, 1)
	if torn := testutil.ToFloat64(m.truncatedBytes.WithLabelValues(w.name)); torn == 0 {
		t.Fatal("a torn unacknowledged write in a zero-filled segment was not counted as torn bytes")
	}
}

// TestNewerSegmentFormatIsNotTouched: a segment whose header is whole but
// has a format version this build does not know (a newer build wrote it)
// makes Open fail with a clear error, and the file is left as it is, not
// taken for an unused segment and removed.
func TestNewerSegmentFormatIsNotTouched(t *testing.T) {
	fsys := walfs.NewMem()
	w := openLog(t, fsys, crashConfig())
	appendN(t, w, 0, 3)
	_ = w.Close()
	name := segmentName(testDir, 1)
	data, _ := fsys.ReadFile(name)
	hdr := segmentHeader{version: segmentFormat + 1, seq: 1, baseIndex: 1}.encode()
	copy(data, hdr)
	fsys.WriteFile(name, data)
	_, err := Open(crashConfig(), testOptions(fsys))
	if err == nil || !strings.Contains(err.Error(), fmt.Sprintf("format version %d", segmentFormat+1)) || errors.Is(err, ErrCorrupt) {
		t.Fatalf("Open = %v, want an error naming format version %d (not corruption)", err, segmentFormat+1)
	}
	if after, err := fsys.ReadFile(name); err != nil || !bytes.Equal(after, data) {
		t.Fatalf("the segment of a newer format was changed or removed (%v)", err)
	}
}

// TestCheckpointAfterClose: a closed log takes no checkpoint (and creates
// no checkpoint file it would leave open).
func TestCheckpointAfterClose(t *testing.T) {
	fsys := walfs.NewMem()
	w := openLog(t, fsys, crashConfig())
	last := appendN(t, w, 0, 3)
	_ = w.Close()
	if err := w.Checkpoint(last); !errors.Is(err, ErrClosed) {
		t.Fatalf("Checkpoint after Close = %v, want ErrClosed", err)
	}
	if _, err := fsys.ReadFile(filepath.Join(testDir, checkpointName)); err == nil {
		t.Fatal("a checkpoint file was created after Close")
	}
}
