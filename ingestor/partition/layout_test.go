package partition

import (
	"context"
	"testing"
	"time"

	"github.com/eventingestor/eventingestor/ingestor/sink"
	"github.com/eventingestor/eventingestor/ingestor/wal/walfs"
)

// leaveUnflushed runs a partition with shards shards whose sink is down,
// appends events of many keys, and stops it with the events still in the
// logs.
func leaveUnflushed(t *testing.T, fsys walfs.FS, shards, from, n int) {
	t.Helper()
	cfg := testConfig()
	cfg.Shards = shards
	s := &memSink{}
	s.setHook(func(sink.Batch) error { return errSinkDown })
	p := start(t, cfg, fsys, s)
	for i := from; i < from+n; i++ {
		mustAppend(t, p, ev(i, i%13))
	}
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	_ = p.Stop(ctx)
}

// TestShardCountChangeFlushesTheOldLayoutFirst restarts a partition with
// fewer, then more shards while its logs hold unflushed events: every event
// reaches the sink, and each key's events in order, the old ones before any
// accepted under the new layout.
func TestShardCountChangeFlushesTheOldLayoutFirst(t *testing.T) {
	for _, tc := range []struct{ before, after int }{{4, 1}, {1, 3}, {2, 2}} {
		fsys := walfs.NewMem()
		leaveUnflushed(t, fsys, tc.before, 0, 200)
		cfg := testConfig()
		cfg.Shards = tc.after
		s := &memSink{}
		p := start(t, cfg, fsys, s)
		for i := 200; i < 260; i++ {
			mustAppend(t, p, ev(i, i%13))
		}
		deadline := time.Now().Add(5 * time.Second)
		for s.count() < 260 && time.Now().Before(deadline) {
			time.Sleep(time.Millisecond)
		}

		stop(t, p)
		last := map[string]int64{}
		seen := map[string]bool{}
		for _, r := range s.records() {
			if seen[r.ID] {
				continue // at-least-once: a replay is not an order violation
			}
			seen[r.ID] = true
			if prev, ok := last[string(r.Key)]; ok && r.ReceivedAt < prev {
				t.Fatalf("%d→%d shards: key %s out of order: %d after %d", tc.before, tc.after, r.Key, r.ReceivedAt, prev)
			}
			last[string(r.Key)] = r.ReceivedAt
		}
		if len(seen) != 260 {
			t.Fatalf("%d→%d shards: %d distinct events delivered, want 260", tc.before, tc.after, len(seen))
		}
	}
}
