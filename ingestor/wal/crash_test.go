package wal

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"testing"

	"github.com/eventingestor/eventingestor/ingestor/wal/walfs"
)

// crashConfig uses tiny segments so that a short log rotates several times.
func crashConfig() Config {
	return Config{Dir: testDir, SegmentBytes: 4096, MaxGroupBytes: 4096, MaxRecordBytes: 1024}
}

// workload is a fixed sequence of appends: append i adds sizes[i] records.
var workload = []int{1, 2, 1, 3, 1, 1, 2, 1, 1, 3, 1, 2, 1, 1, 1, 2, 3, 1, 1, 1, 2, 1, 1, 1, 3, 1, 1, 2, 1, 1, 1, 2, 1, 3, 1, 1, 2, 1, 1, 1}

// failNthDataSync returns a fault hook that fails the nth sync that follows
// a write (preallocation syncs, which follow no write, are not counted).
func failNthDataSync(n int) walfs.FaultFunc {
	dirty := map[string]bool{}
	count := 0
	return func(op walfs.Op, name string) error {
		switch op {
		case walfs.OpWrite:
			dirty[name] = true
		case walfs.OpSync:
			if dirty[name] {
				count++
				dirty[name] = false
				if count == n {
					return walfs.ErrInjected
				}
			}
		}
		return nil
	}
}

// runWorkload appends the workload until an append fails; it returns how
// many records were acknowledged and how many were in the failed append.
func runWorkload(t *testing.T, fsys *walfs.Mem) (acked, inflight int) {
	t.Helper()
	w := openLog(t, fsys, crashConfig())
	defer func() { _ = w.Close() }()
	n := 0
	for _, size := range workload {
		recs := make([]Record, size)
		for i := range recs {
			recs[i] = rec(n + i)
		}
		last, err := w.Append(context.Background(), recs)
		if err != nil {
			if !errors.Is(err, walfs.ErrInjected) {
				t.Fatalf("append failed with %v, want the injected fault", err)
			}
			return n, size
		}
		n += size
		if last != uint64(n) {
			t.Fatalf("append returned index %d, want %d", last, n)
		}
	}
	return n, 0
}

// checkRecovered opens a crashed file system and checks that it holds every
// acknowledged record, maybe the in-flight ones (all or none), and that the
// log then takes appends and reopens cleanly.
func checkRecovered(t *testing.T, fsys *walfs.Mem, acked, inflight int, what string) {
	t.Helper()
	w, err := Open(crashConfig(), testOptions(fsys))
	if err != nil {
		t.Fatalf("%s: recovery failed: %v", what, err)
	}
	got := readAll(t, w, 1)
	if len(got) != acked && len(got) != acked+inflight {
		_ = w.Close()
		t.Fatalf("%s: recovered %d records, want %d (or %d with the in-flight append)", what, len(got), acked, acked+inflight)
	}
	checkRecords(t, got, 1, 0, len(got))
	next := len(got)
	if last, err := w.Append(context.Background(), []Record{rec(next)}); err != nil || last != uint64(next+1) {
		_ = w.Close()
		t.Fatalf("%s: append after recovery = %d, %v; want index %d", what, last, err, next+1)
	}
	_ = w.Close()
	w, err = Open(crashConfig(), testOptions(fsys))
	if err != nil {
		t.Fatalf("%s: second reopen failed: %v", what, err)
	}
	checkRecords(t, readAll(t, w, 1), 1, 0, next+1)
	_ = w.Close()
}

// stateKey identifies the contents of every file of fsys's log directory.
func stateKey(t *testing.T, fsys *walfs.Mem) [sha256.Size]byte {
	t.Helper()
	names, err := fsys.ReadDir(testDir)
	if err != nil {
		t.Fatal(err)
	}
	h := sha256.New()
	for _, name := range names {
		data, err := fsys.ReadFile(filepath.Join(testDir, name))
		if err != nil {
			t.Fatal(err)
		}
		_, _ = fmt.Fprintf(h, "%s %d\n", name, len(data))
		_, _ = h.Write(data)
	}
	return [sha256.Size]byte(h.Sum(nil))
}

// TestCrashAtEveryByte fails the nth data sync of the workload, for every n,
// then cuts power after every possible number of the unsynced bytes — and,
// separately, with unsynced sectors kept at random.
func TestCrashAtEveryByte(t *testing.T) {
	crashes := 0
	for n := 1; ; n++ {
		fsys := walfs.NewMem()
		fsys.SetFault(failNthDataSync(n))
		acked, inflight := runWorkload(t, fsys)
		fsys.SetFault(nil)
		if inflight == 0 && acked > 0 && n > len(workload)+10 {
			break // the workload finished without reaching sync n
		}
		unsynced := fsys.UnsyncedBytes()
		seen := map[[sha256.Size]byte]bool{}
		for k := int64(0); k <= unsynced; k++ {
			// Keeping one more byte of a write's zeros (pagePad) over
			// zeros gives the state the last one gave: recover each once.
			crashed := fsys.Crash(walfs.CrashOptions{KeepBytes: k})
			if key := stateKey(t, crashed); !seen[key] {
				seen[key] = true
				checkRecovered(t, crashed, acked, inflight, "")
				crashes++
			}
		}
		for seed := range uint64(8) {
			r := rand.New(rand.NewPCG(seed, uint64(n)))
			checkRecovered(t, fsys.Crash(walfs.CrashOptions{Rand: r}), acked, inflight, "random sectors")
			crashes++
		}
	}
	t.Logf("recovered from %d crash states", crashes)
	if crashes < 1000 {
		t.Fatalf("only %d crash states exercised", crashes)
	}
}
