package wal

import (
	"context"
	"errors"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/eventingestor/eventingestor/ingestor/wal/walfs"
)

func TestAppendReadAcrossSegments(t *testing.T) {
	fsys := walfs.NewMem()
	w := openLog(t, fsys, testConfig())
	last := appendN(t, w, 0, 2000) // ~150 KiB of frames: several 64 KiB segments
	if last != 2000 {
		t.Fatalf("last index = %d, want 2000", last)
	}
	if st := w.Stats(); st.Segments < 3 {
		t.Fatalf("expected rotation into several segments, have %d", st.Segments)
	}
	checkRecords(t, readAll(t, w, 1), 1, 0, 2000)
	checkRecords(t, readAll(t, w, 1500), 1500, 1499, 501)
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}

	// Reopen: everything is still there, and appends continue the indexes.
	w = openLog(t, fsys, testConfig())
	defer func() { _ = w.Close() }()
	checkRecords(t, readAll(t, w, 1), 1, 0, 2000)
	if last := appendN(t, w, 2000, 10); last != 2010 {
		t.Fatalf("after reopen, last index = %d, want 2010", last)
	}
	checkRecords(t, readAll(t, w, 1995), 1995, 1994, 16)
}

// TestAppendChecksOneLine: Append works out whether each event holds a CR
// or LF byte itself, whatever the caller's OneLine says, and the reader
// gives the answer back, also after the log is reopened.
func TestAppendChecksOneLine(t *testing.T) {
	cases := []struct {
		data  string
		claim bool // the caller's OneLine, to be ignored
		want  bool
	}{
		{`{"a":1}`, false, true},
		{"{\"a\":\n1}", true, false},
		{"{\"a\":1}\r", true, false},
		{"\n", false, false},
		{"", false, true},
		{strings.Repeat(`{"pad":"`+strings.Repeat("x", 100)+`"}`, 3) + "\r", true, false},
	}
	fsys := walfs.NewMem()
	w := openLog(t, fsys, testConfig())
	for i, c := range cases {
		r := rec(i)
		r.Data, r.OneLine = []byte(c.data), c.claim
		if _, err := w.Append(context.Background(), []Record{r}); err != nil {
			t.Fatal(err)
		}
	}
	check := func(when string) {
		t.Helper()
		got := readAll(t, w, 1)
		if len(got) != len(cases) {
			t.Fatalf("%s: read %d records, want %d", when, len(got), len(cases))
		}
		for i, c := range cases {
			if got[i].OneLine != c.want || string(got[i].Data) != c.data {
				t.Errorf("%s: record %d (%q): OneLine %v, want %v; data %q", when, i, c.data, got[i].OneLine, c.want, got[i].Data)
			}
		}
	}
	check("before reopening")
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	w = openLog(t, fsys, testConfig())
	defer func() { _ = w.Close() }()
	check("after reopening")
}

func TestReaderLimits(t *testing.T) {
	w := openLog(t, walfs.NewMem(), testConfig())
	defer func() { _ = w.Close() }()
	appendN(t, w, 0, 50)
	r := w.NewReader(1)
	recs, err := r.Next(7, 1<<20)
	if err != nil || len(recs) != 7 {
		t.Fatalf("Next(7) = %d records, %v", len(recs), err)
	}
	recs, err = r.Next(100, 1) // byte limit below one record: still one record
	if err != nil || len(recs) != 1 || recs[0].Index != 8 {
		t.Fatalf("Next with tiny byte limit = %v, %v", recs, err)
	}
	recs, err = r.Next(100, 300) // a few ~100-byte frames
	if err != nil || len(recs) < 1 || len(recs) > 3 {
		t.Fatalf("Next(bytes=300) = %d records, %v", len(recs), err)
	}
	r.Seek(51)
	if recs, err := r.Next(10, 1<<20); err != nil || len(recs) != 0 {
		t.Fatalf("reading past the end = %d records, %v", len(recs), err)
	}
}

// TestReaderIDsOutliveTheNextCall checks that the ids of a batch (one
// string for the batch) stay intact after later calls reuse the reader's
// buffers, and that each record has its own id.
func TestReaderIDsOutliveTheNextCall(t *testing.T) {
	w := openLog(t, walfs.NewMem(), testConfig())
	defer func() { _ = w.Close() }()
	appendN(t, w, 0, 40)
	r := w.NewReader(1)
	var ids []string
	for len(ids) < 40 {
		recs, err := r.Next(7, 1<<20)
		if err != nil || len(recs) == 0 {
			t.Fatalf("Next = %d records, %v", len(recs), err)
		}
		for _, rc := range recs {
			ids = append(ids, rc.ID)
		}
	}
	for i, id := range ids {
		if want := rec(i).ID; id != want {
			t.Fatalf("record %d: id %q after later reads, want %q", i+1, id, want)
		}
	}
}

func TestGroupCommitSharesSyncs(t *testing.T) {
	fsys := walfs.NewMem()
	cfg := testConfig()
	cfg.MaxGroupBytes = 1 << 20
	cfg.SegmentBytes = 8 << 20
	cfg.MaxWait = 20 * time.Millisecond // make grouping deterministic enough to assert on
	// Count the syncs that make written data durable (preallocation syncs
	// of empty spare segments are not part of a commit).
	var mu sync.Mutex
	dirty := map[string]bool{}
	dataSyncs := 0
	// The writer's first write waits until every append is queued: left to
	// the scheduler, the writer could take each append alone as it comes
	// (MaxWait applies only once a group held several appends).
	var armed atomic.Bool
	release := make(chan struct{})
	var gate, open sync.Once
	releaseWrites := func() { open.Do(func() { close(release) }) }
	defer releaseWrites()
	fsys.SetFault(func(op walfs.Op, name string) error {
		if op == walfs.OpWrite && armed.Load() {
			gate.Do(func() { <-release })
		}
		mu.Lock()
		defer mu.Unlock()
		switch op {
		case walfs.OpWrite:
			dirty[name] = true
		case walfs.OpSync:
			if dirty[name] {
				dataSyncs++
			}
			dirty[name] = false
		}
		return nil
	})
	w := openLog(t, fsys, cfg)
	defer func() { _ = w.Close() }()
	armed.Store(true)
	const writers = 64
	var wg sync.WaitGroup
	idx := make([]uint64, writers)
	for i := range writers {
		wg.Go(func() {
			last, err := w.Append(context.Background(), []Record{rec(i)})
			if err != nil {
				t.Errorf("Append: %v", err)
			}
			idx[i] = last
		})
	}
	for w.lastAssigned.Load() < writers {
		time.Sleep(time.Millisecond)
	}
	releaseWrites()
	wg.Wait()
	seen := map[uint64]bool{}
	for _, x := range idx {
		if x < 1 || x > writers || seen[x] {
			t.Fatalf("indexes are not a permutation of 1..%d: %v", writers, idx)
		}
		seen[x] = true
	}
	// Exactly one sync per group commit (plus the first segment's header),
	// and far fewer groups than appends.
	groups := int(testutil.ToFloat64(w.m.groupCommits.WithLabelValues(w.name)))
	mu.Lock()
	syncs := dataSyncs
	mu.Unlock()
	if syncs != groups+1 {
		t.Fatalf("%d syncs for %d group commits: want one per group plus the segment header", syncs, groups)
	}
	if groups > writers/4 {
		t.Fatalf("%d group commits for %d concurrent appends: group commit is not grouping", groups, writers)
	}
	if d := w.Durable(); d != writers {
		t.Fatalf("Durable = %d, want %d", d, writers)
	}
}

func TestAppendIsDurableWhenItReturns(t *testing.T) {
	fsys := walfs.NewMem()
	w := openLog(t, fsys, testConfig())
	appendN(t, w, 0, 30)
	// Power cut right after the last Append returned, losing every unsynced byte.
	crashed := fsys.Crash(walfs.CrashOptions{KeepBytes: 0})
	_ = w.Close()
	w2 := openLog(t, crashed, testConfig())
	defer func() { _ = w2.Close() }()
	checkRecords(t, readAll(t, w2, 1), 1, 0, 30)
}

func TestBufferedModeSyncsOnInterval(t *testing.T) {
	fsys := walfs.NewMem()
	cfg := testConfig()
	cfg.Ack = AckBuffered
	cfg.SyncInterval = 10 * time.Millisecond
	w := openLog(t, fsys, cfg)
	defer func() { _ = w.Close() }()
	changed := w.Changed()
	appendN(t, w, 0, 5)
	select {
	case <-changed:
	case <-time.After(5 * time.Second):
		t.Fatal("buffered records never became durable")
	}
	deadline := time.Now().Add(5 * time.Second)
	for w.Durable() != 5 && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond)
	}
	if w.Durable() != 5 {
		t.Fatalf("Durable = %d, want 5", w.Durable())
	}
	checkRecords(t, readAll(t, w, 1), 1, 0, 5)
}

func TestCheckpointDeletesFlushedSegments(t *testing.T) {
	fsys := walfs.NewMem()
	w := openLog(t, fsys, testConfig())
	appendN(t, w, 0, 2000)
	before := w.Stats().Segments
	if err := w.Checkpoint(1500); err != nil {
		t.Fatal(err)
	}
	st := w.Stats()
	if st.Segments >= before || st.First > 1501 || st.Checkpoint != 1500 {
		t.Fatalf("after checkpoint 1500: %+v (had %d segments)", st, before)
	}
	if _, err := w.NewReader(1).Next(1, 1<<20); !errors.Is(err, ErrOutOfRange) {
		t.Fatalf("reading a deleted index: %v, want ErrOutOfRange", err)
	}
	if err := w.Checkpoint(5000); err == nil {
		t.Fatal("checkpoint beyond the durable index was accepted")
	}
	_ = w.Close()
	w = openLog(t, fsys, testConfig())
	defer func() { _ = w.Close() }()
	if w.CheckpointIndex() != 1500 {
		t.Fatalf("checkpoint after reopen = %d", w.CheckpointIndex())
	}
	checkRecords(t, readAll(t, w, 1501), 1501, 1500, 500)
}

func TestCheckpointEverythingThenReopen(t *testing.T) {
	fsys := walfs.NewMem()
	w := openLog(t, fsys, testConfig())
	appendN(t, w, 0, 10)
	if err := w.Checkpoint(10); err != nil {
		t.Fatal(err)
	}
	_ = w.Close()
	w = openLog(t, fsys, testConfig())
	defer func() { _ = w.Close() }()
	if last := appendN(t, w, 10, 1); last != 11 {
		t.Fatalf("next index after a full checkpoint = %d, want 11", last)
	}
}

func TestFailedSyncStopsTheLog(t *testing.T) {
	fsys := walfs.NewMem()
	w := openLog(t, fsys, testConfig())
	appendN(t, w, 0, 3)
	fsys.SetFault(func(op walfs.Op, _ string) error {
		if op == walfs.OpSync {
			return walfs.ErrInjected
		}
		return nil
	})
	if _, err := w.Append(context.Background(), []Record{rec(3)}); !errors.Is(err, ErrFailed) || !errors.Is(err, walfs.ErrInjected) {
		t.Fatalf("Append with a failing fsync = %v, want ErrFailed wrapping the fault", err)
	}
	fsys.SetFault(nil)
	// Sticky: the page cache can no longer be trusted, so later appends fail too.
	if _, err := w.Append(context.Background(), []Record{rec(4)}); !errors.Is(err, ErrFailed) {
		t.Fatalf("Append after a failed fsync = %v, want ErrFailed", err)
	}
	if err := w.Close(); !errors.Is(err, ErrFailed) {
		t.Fatalf("Close = %v, want the failure", err)
	}
	// Reopening recovers: the acknowledged records are there.
	w = openLog(t, fsys, testConfig())
	defer func() { _ = w.Close() }()
	got := readAll(t, w, 1)
	if len(got) < 3 {
		t.Fatalf("lost acknowledged records: %d", len(got))
	}
	checkRecords(t, got[:3], 1, 0, 3)
}

func TestFailedWriteStopsTheLog(t *testing.T) {
	fsys := walfs.NewMem()
	w := openLog(t, fsys, testConfig())
	fsys.SetFault(func(op walfs.Op, _ string) error {
		if op == walfs.OpWrite {
			return walfs.ErrInjected
		}
		return nil
	})
	if _, err := w.Append(context.Background(), []Record{rec(0)}); !errors.Is(err, ErrFailed) {
		t.Fatalf("Append with a failing write = %v", err)
	}
	_ = w.Close()
}

func TestAppendValidation(t *testing.T) {
	w := openLog(t, walfs.NewMem(), testConfig())
	defer func() { _ = w.Close() }()
	big := rec(0)
	big.Data = make([]byte, 5000)
	if _, err := w.Append(context.Background(), []Record{big}); !errors.Is(err, ErrTooLarge) {
		t.Fatalf("oversized record: %v", err)
	}
	bad := rec(0)
	bad.Slot = 4096
	if _, err := w.Append(context.Background(), []Record{bad}); err == nil {
		t.Fatal("slot 4096 accepted")
	}
	if _, err := w.Append(context.Background(), nil); err != nil {
		t.Fatalf("empty append: %v", err)
	}
	if w.Durable() != 0 {
		t.Fatalf("rejected appends reached the log: durable %d", w.Durable())
	}
}

func TestAppendAfterClose(t *testing.T) {
	w := openLog(t, walfs.NewMem(), testConfig())
	_ = w.Close()
	if _, err := w.Append(context.Background(), []Record{rec(0)}); !errors.Is(err, ErrClosed) {
		t.Fatalf("Append after Close = %v", err)
	}
}

func TestConfigValidate(t *testing.T) {
	tests := []struct {
		name   string
		mutate func(*Config)
		ok     bool
	}{
		{"defaults", func(*Config) {}, true},
		{"bad ack", func(c *Config) { c.Ack = "eventually" }, false},
		{"tiny segment", func(c *Config) { c.SegmentBytes = 1024 }, false},
		{"tiny group", func(c *Config) { c.MaxGroupBytes = 10 }, false},
		{"negative wait", func(c *Config) { c.MaxWait = -1 }, false},
		{"record larger than segment", func(c *Config) { c.SegmentBytes = 1 << 16; c.MaxRecordBytes = 1 << 17 }, false},
		{"buffered", func(c *Config) { c.Ack = AckBuffered }, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := Config{}
			c.ApplyDefaults()
			tt.mutate(&c)
			if err := c.Validate(); (err == nil) != tt.ok {
				t.Fatalf("Validate() = %v, want ok=%v", err, tt.ok)
			}
		})
	}
}

// TestReaderReadsInChunks reads one batch of many groups (a commit frame
// after each) with chunks from smaller than a frame to larger than the
// batch, and finds a damaged record in a later chunk at its offset.
func TestReaderReadsInChunks(t *testing.T) {
	fsys := walfs.NewMem()
	cfg := testConfig()
	cfg.SegmentBytes, cfg.MaxGroupBytes = 1<<20, 1<<16
	w := openLog(t, fsys, cfg)
	defer func() { _ = w.Close() }()
	n := 0
	for g := 1; n < 600; g = g%9 + 1 {
		recs := make([]Record, g)
		for i := range recs {
			recs[i] = rec(n + i)
		}
		if _, err := w.Append(context.Background(), recs); err != nil {
			t.Fatal(err)
		}
		n += g
	}
	// One reader, chunks from larger than the batch down to one record
	// each: a read may not leave bytes of an earlier, larger one behind.
	r := w.NewReader(1)
	readBatch := func(chunk int) ([]Record, int, error) {
		r.Seek(1)
		r.chunk = chunk
		before := fsys.Count(walfs.OpRead)
		recs, err := r.Next(n, 1<<20)
		reads := fsys.Count(walfs.OpRead) - before
		var out []Record
		for _, x := range recs {
			x.Key = append([]byte(nil), x.Key...)
			x.Data = append([]byte(nil), x.Data...)
			out = append(out, x)
		}
		return out, reads, err
	}
	for _, c := range []struct{ chunk, reads int }{{1 << 20, 1}, {4096, -1}, {1000, -1}, {150, -1}, {1, n}} {
		got, reads, err := readBatch(c.chunk)
		if err != nil {
			t.Fatalf("chunk %d: %v", c.chunk, err)
		}
		checkRecords(t, got, 1, 0, n)
		if c.reads > 0 && reads != c.reads {
			t.Errorf("chunk %d: %d reads, want %d", c.chunk, reads, c.reads)
		}
	}

	w.segMu.RLock()
	seg := w.segments[0]
	damaged := int64(seg.offsets[500]) // record 501's frame
	w.segMu.RUnlock()
	f, err := fsys.OpenFile(seg.name, os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	b := make([]byte, 1)
	if _, err := f.ReadAt(b, damaged+frameHeaderSize+recordHeaderSize); err != nil {
		t.Fatal(err)
	}
	b[0] ^= 0x40
	if _, err := f.WriteAt(b, damaged+frameHeaderSize+recordHeaderSize); err != nil {
		t.Fatal(err)
	}
	_ = f.Close()
	for _, chunk := range []int{1, 1000, 1 << 20} {
		_, _, err := readBatch(chunk)
		var ce *CorruptionError
		if !errors.As(err, &ce) || ce.Offset != damaged {
			t.Fatalf("chunk %d: Next = %v, want a CorruptionError at offset %d", chunk, err, damaged)
		}
	}
}
