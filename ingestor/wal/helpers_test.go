package wal

import (
	"context"
	"fmt"
	"log/slog"
	"testing"
	"time"

	"github.com/eventingestor/eventingestor/ingestor/wal/walfs"
)

const testDir = "/wal"

func testOptions(fsys walfs.FS) Options {
	return Options{FS: fsys, Now: fixedNow, Logger: slog.New(slog.DiscardHandler)}
}

// fixedNow is a deterministic clock.
func fixedNow() time.Time { return time.Unix(1_700_000_000, 0) }

func testConfig() Config {
	return Config{Dir: testDir, SegmentBytes: 1 << 16, MaxGroupBytes: 4096, MaxRecordBytes: 4096}
}

// openLog opens the log cfg describes on fsys (an in-memory or the real
// file system), failing the test if it cannot.
func openLog(t testing.TB, fsys walfs.FS, cfg Config) *WAL {
	t.Helper()
	w, err := Open(cfg, testOptions(fsys))
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	return w
}

// rec builds a record whose fields are derived from n.
func rec(n int) Record {
	return Record{
		Epoch:      uint64(n%3 + 1),
		ReceivedAt: int64(n) * 1000,
		Slot:       uint16(n % 4096),
		ID:         fmt.Sprintf("id-%d", n),
		Key:        []byte(fmt.Sprintf("user-%d", n%7)),
		Data:       []byte(fmt.Sprintf(`{"id":"id-%d","user_id":"user-%d","n":%d}`, n, n%7, n)),
	}
}

func appendN(t testing.TB, w *WAL, from, n int) uint64 {
	t.Helper()
	var last uint64
	for i := from; i < from+n; i++ {
		var err error
		last, err = w.Append(context.Background(), []Record{rec(i)})
		if err != nil {
			t.Fatalf("Append %d: %v", i, err)
		}
	}
	return last
}

// readAll reads every durable record from index from.
func readAll(t testing.TB, w *WAL, from uint64) []Record {
	t.Helper()
	r := w.NewReader(from)
	var out []Record
	for {
		recs, err := r.Next(100, 1<<20)
		if err != nil {
			t.Fatalf("Next at %d: %v", r.Position(), err)
		}
		if len(recs) == 0 {
			return out
		}
		for _, x := range recs {
			x.Key = append([]byte(nil), x.Key...)
			x.Data = append([]byte(nil), x.Data...)
			out = append(out, x)
		}
	}
}

// checkRecords asserts that got holds rec(i) for consecutive i from the
// given first record number, with indexes from firstIndex.
func checkRecords(t testing.TB, got []Record, firstIndex uint64, firstN, n int) {
	t.Helper()
	if len(got) != n {
		t.Fatalf("got %d records, want %d", len(got), n)
	}
	for i, g := range got {
		want := rec(firstN + i)
		if g.Index != firstIndex+uint64(i) || g.ID != want.ID || string(g.Key) != string(want.Key) ||
			string(g.Data) != string(want.Data) || g.Epoch != want.Epoch || g.Slot != want.Slot || g.ReceivedAt != want.ReceivedAt {
			t.Fatalf("record %d = %+v, want %+v at index %d", i, g, want, firstIndex+uint64(i))
		}
	}
}
