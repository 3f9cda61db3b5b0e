package partition

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/eventingestor/eventingestor/ingestor/sink"
	"github.com/eventingestor/eventingestor/ingestor/wal"
	"github.com/eventingestor/eventingestor/ingestor/wal/walfs"
)

func TestEveryEventReachesTheSinkInPerKeyOrder(t *testing.T) {
	s := &memSink{}
	p := start(t, testConfig(), walfs.NewMem(), s)
	const senders, perSender, keys = 20, 100, 7
	var wg sync.WaitGroup
	for g := range senders {
		wg.Go(func() {
			for i := range perSender {
				n := g*perSender + i
				// Each sender owns keys g, g+senders, …: its order per key is i's order.
				if err := p.Append(context.Background(), []wal.Record{ev(n, g+senders*(i%keys))}); err != nil {
					t.Errorf("Append: %v", err)
				}
			}
		})
	}
	wg.Wait()
	eventually(t, "all events flushed", func() bool { return s.count() == senders*perSender })
	stop(t, p)
	last := map[string]int64{}
	seen := map[string]bool{}
	for _, r := range s.records() {
		if seen[r.ID] {
			t.Fatalf("duplicate %s", r.ID)
		}
		seen[r.ID] = true
		if prev, ok := last[string(r.Key)]; ok && r.ReceivedAt < prev {
			t.Fatalf("key %s out of order: %d after %d", r.Key, r.ReceivedAt, prev)
		}
		last[string(r.Key)] = r.ReceivedAt
		if !r.OneLine {
			t.Fatalf("event %s reached the sink without its one-line flag: the encoder would scan it again", r.ID)
		}
	}
}

func TestBatchSpanningShards(t *testing.T) {
	s := &memSink{}
	p := start(t, testConfig(), walfs.NewMem(), s)
	mustAppend(t, p, ev(1, 0), ev(2, 1), ev(3, 2), ev(4, 3)) // slots 0..3 over 2 shards
	eventually(t, "flushed", func() bool { return s.count() == 4 })
	stop(t, p)
	for _, b := range s.batches {
		for _, r := range b.Records {
			if p.ShardOf(r.Slot) != b.Shard {
				t.Fatalf("record with slot %d flushed by shard %d", r.Slot, b.Shard)
			}
		}
	}
}

// TestAppendThenCallsQueuedBeforeTheSync checks that AppendThen hands back
// the records' memory once they are copied into the logs and before they
// are synced: the sync waits for queued, which scribbles over every record,
// and the sink must still get the records as they were.
func TestAppendThenCallsQueuedBeforeTheSync(t *testing.T) {
	for _, c := range []struct {
		name string
		keys []int // ev keys; their slots spread the batch over 2 shards
	}{
		{"one shard", []int{0, 2, 4}},
		{"two shards", []int{0, 1, 2, 3}},
	} {
		t.Run(c.name, func(t *testing.T) {
			fsys := walfs.NewMem()
			s := &memSink{}
			p := start(t, testConfig(), fsys, s)
			queuedC := make(chan struct{})
			// The hook runs under fsys's lock: while a sync waits for
			// queued, every other operation on fsys waits too. Only a
			// broken AppendThen makes that wait last.
			onSyncOfWritten(fsys, func(name string) error {
				select {
				case <-queuedC:
					return nil
				case <-time.After(2 * time.Second):
					return fmt.Errorf("sync of %s before queued was called: %w", name, walfs.ErrInjected)
				}
			})
			var recs, want []wal.Record
			for i, k := range c.keys {
				recs, want = append(recs, ev(i, k)), append(want, ev(i, k))
			}
			calls := 0
			queued := func() {
				calls++
				for _, r := range recs {
					for i := range r.Data {
						r.Data[i] = 'X'
					}
					for i := range r.Key {
						r.Key[i] = 'X'
					}
				}
				close(queuedC)
			}
			if err := p.AppendThen(context.Background(), recs, queued); err != nil {
				t.Fatalf("AppendThen: %v", err)
			}
			if calls != 1 {
				t.Fatalf("queued called %d times, want 1", calls)
			}
			eventually(t, "flushed", func() bool { return s.count() == len(want) })
			stop(t, p)
			got := map[string]sink.Record{}
			for _, r := range s.records() {
				got[r.ID] = r
			}
			for _, w := range want {
				if g := got[w.ID]; string(g.Data) != string(w.Data) || string(g.Key) != string(w.Key) {
					t.Errorf("record %s reached the sink as key %q data %s, want key %q data %s", w.ID, g.Key, g.Data, w.Key, w.Data)
				}
			}
		})
	}
}

// TestAppendThenDoesNotCallQueuedIfNotAllAreQueued appends a batch over
// two shards whose second share is refused (a record above the WAL's
// MaxRecordBytes): queued must not run, as the caller's memory may still be
// needed.
func TestAppendThenDoesNotCallQueuedIfNotAllAreQueued(t *testing.T) {
	p := start(t, testConfig(), walfs.NewMem(), &memSink{})
	defer stop(t, p)
	big := ev(2, 1)
	big.Data = make([]byte, testConfig().WAL.MaxRecordBytes)
	called := false
	err := p.AppendThen(context.Background(), []wal.Record{ev(1, 0), big}, func() { called = true })
	if !errors.Is(err, wal.ErrTooLarge) {
		t.Fatalf("AppendThen = %v, want %v", err, wal.ErrTooLarge)
	}
	if called {
		t.Fatal("queued was called although a share was refused")
	}
}

func TestFlushWaitsForTheInterval(t *testing.T) {
	cfg := testConfig()
	cfg.Shards = 1
	cfg.Flush.Interval = 300 * time.Millisecond
	s := &memSink{}
	p := start(t, cfg, walfs.NewMem(), s)
	defer stop(t, p)
	begin := time.Now()
	mustAppend(t, p, ev(1, 1))
	mustAppend(t, p, ev(2, 1))
	time.Sleep(100 * time.Millisecond)
	if s.count() != 0 {
		t.Fatal("flushed before the interval with the batch below its limits")
	}
	eventually(t, "interval flush", func() bool { return s.count() == 2 })
	if took := time.Since(begin); took < 250*time.Millisecond {
		t.Fatalf("flushed after %s, before the 300ms interval", took)
	}
	if sizes := s.batchSizes(); len(sizes) != 1 {
		t.Fatalf("batches %v, want one batch of 2", sizes)
	}
}

func TestFlushOnMaxEvents(t *testing.T) {
	cfg := testConfig()
	cfg.Shards = 1
	cfg.Flush.Interval = time.Hour
	cfg.Flush.MaxEvents = 10
	s := &memSink{}
	p := start(t, cfg, walfs.NewMem(), s)
	defer stop(t, p)
	for i := range 25 {
		mustAppend(t, p, ev(i, 1))
	}
	eventually(t, "two full batches", func() bool { return s.count() == 20 })
	time.Sleep(50 * time.Millisecond)
	if s.count() != 20 {
		t.Fatalf("flushed %d; the 5 left should wait for the hour-long interval", s.count())
	}
	for _, n := range s.batchSizes() {
		if n != 10 {
			t.Fatalf("batch sizes %v, want batches of 10", s.batchSizes())
		}
	}
}

func TestFlushOnMaxBytes(t *testing.T) {
	cfg := testConfig()
	cfg.Shards = 1
	cfg.Flush.Interval = time.Hour
	cfg.Flush.MaxEvents = 100000
	cfg.Flush.MaxBytes = 2048 // ~20 frames of ~100 bytes
	s := &memSink{}
	p := start(t, cfg, walfs.NewMem(), s)
	defer stop(t, p)
	for i := range 60 {
		mustAppend(t, p, ev(i, 1))
	}
	eventually(t, "a flush by size", func() bool { return s.count() > 0 })
	for _, n := range s.batchSizes() {
		if n > 25 {
			t.Fatalf("batch of %d events exceeds the 2 KiB byte limit", n)
		}
	}
}

func TestSinkFailuresAreRetriedWithBackoff(t *testing.T) {
	cfg := testConfig()
	cfg.Shards = 1
	s := &memSink{}
	var fails atomic.Int32
	s.setHook(func(sink.Batch) error {
		if fails.Add(1) <= 5 {
			return errSinkDown
		}
		return nil
	})
	p := start(t, cfg, walfs.NewMem(), s)
	for i := range 10 {
		mustAppend(t, p, ev(i, 1))
	}
	eventually(t, "delivery after the sink recovers", func() bool { return s.count() == 10 })
	eventually(t, "checkpoint at 10", func() bool { return p.Status().Shards[0].Flushed == 10 })
	stop(t, p)
	if f := fails.Load(); f < 6 {
		t.Fatalf("sink called %d times; want 5 failures and then success", f)
	}
}

func TestCheckpointWaitsForTheSink(t *testing.T) {
	cfg := testConfig()
	cfg.Shards = 1
	s := &memSink{}
	s.setHook(func(sink.Batch) error { return errSinkDown })
	p := start(t, cfg, walfs.NewMem(), s)
	mustAppend(t, p, ev(1, 1), ev(2, 1))
	time.Sleep(100 * time.Millisecond)
	st := p.Status()
	if st.Shards[0].Flushed != 0 || st.BacklogEvents != 2 || st.Drained {
		t.Fatalf("checkpoint moved without the sink: %+v", st.Shards[0])
	}
	s.setHook(nil)
	eventually(t, "drained", func() bool { return p.Status().Drained })
	stop(t, p)
}

func TestPanickingSinkRestartsTheShard(t *testing.T) {
	cfg := testConfig()
	cfg.Shards = 1
	s := &memSink{}
	var calls atomic.Int32
	s.setHook(func(sink.Batch) error {
		if calls.Add(1) <= 2 {
			panic("sink bug")
		}
		return nil
	})
	p := start(t, cfg, walfs.NewMem(), s)
	mustAppend(t, p, ev(1, 1), ev(2, 1), ev(3, 1))
	eventually(t, "delivery after restarts", func() bool { return s.count() == 3 })
	if r := p.Status().Shards[0].Restarts; r != 2 {
		t.Fatalf("restarts = %d, want 2", r)
	}
	if !p.Healthy() {
		t.Fatal("2 restarts within the budget of 3 made the partition unhealthy")
	}
	stop(t, p)
}

func TestShardThatKeepsFailingMakesThePartitionUnhealthy(t *testing.T) {
	cfg := testConfig()
	cfg.Shards = 1
	s := &memSink{}
	s.setHook(func(sink.Batch) error { panic("always") })
	p := start(t, cfg, walfs.NewMem(), s)
	mustAppend(t, p, ev(1, 1))
	eventually(t, "unhealthy", func() bool { return !p.Healthy() })
	s.setHook(nil)
	eventually(t, "delivered once the sink is fixed", func() bool { return s.count() == 1 })
	stop(t, p)
}

func TestFailedFsyncRestartsTheShardAndLosesNothing(t *testing.T) {
	cfg := testConfig()
	cfg.Shards = 1
	fsys := walfs.NewMem()
	s := &memSink{}
	p := start(t, cfg, fsys, s)
	mustAppend(t, p, ev(1, 1))
	// Fail the first sync of written data in a segment: the group commit of
	// ev(2). (The preallocator's syncs of a spare segment write nothing, and
	// the flusher's checkpoint after ev(1), which may run meanwhile, is not
	// in a segment.)
	var failed atomic.Bool
	onSyncOfWritten(fsys, func(name string) error {
		if strings.HasSuffix(name, ".seg") && failed.CompareAndSwap(false, true) {
			return walfs.ErrInjected
		}
		return nil
	})
	if err := p.Append(context.Background(), []wal.Record{ev(2, 1)}); err == nil {
		t.Fatal("append acknowledged despite a failed fsync")
	}
	eventually(t, "shard back", func() bool { return p.Ready() && p.Status().Shards[0].Restarts == 1 })
	mustAppend(t, p, ev(3, 1))
	eventually(t, "acknowledged events delivered", func() bool {
		ids := map[string]bool{}
		for _, r := range s.records() {
			ids[r.ID] = true
		}
		return ids["e1"] && ids["e3"]
	})
	stop(t, p)
}

func TestBackpressureBoundsTheBacklog(t *testing.T) {
	cfg := testConfig()
	cfg.Shards = 1
	cfg.MaxBacklogBytes = 1 << 20
	cfg.WAL.SegmentBytes = 1 << 18
	s := &memSink{}
	release := make(chan struct{})
	s.setHook(func(sink.Batch) error {
		select {
		case <-release:
			return nil
		default:
			return errSinkDown
		}
	})
	p := start(t, cfg, walfs.NewMem(), s)
	acked := 0
	var bp *BackpressureError
	for i := 0; ; i++ {
		err := p.Append(context.Background(), []wal.Record{ev(i, 1)})
		if err == nil {
			acked++
			continue
		}
		if !errors.As(err, &bp) || !errors.Is(err, ErrBackpressure) || bp.RetryAfter <= 0 {
			t.Fatalf("append %d: %v, want a BackpressureError with a retry hint", i, err)
		}
		break
	}
	if st := p.Status(); st.BacklogBytes > cfg.MaxBacklogBytes+4096 {
		t.Fatalf("backlog %d bytes grew past the %d limit", st.BacklogBytes, cfg.MaxBacklogBytes)
	}
	if acked < 1000 {
		t.Fatalf("only %d events accepted before backpressure", acked)
	}
	close(release)
	eventually(t, "all acknowledged events delivered", func() bool { return s.count() == acked })
	mustAppend(t, p, ev(acked, 1)) // room again
	stop(t, p)
}

func TestStopDrainsTheBacklog(t *testing.T) {
	cfg := testConfig()
	cfg.Flush.Interval = time.Hour
	s := &memSink{}
	p := start(t, cfg, walfs.NewMem(), s)
	for i := range 50 {
		mustAppend(t, p, ev(i, i))
	}
	stop(t, p)
	if s.count() != 50 {
		t.Fatalf("Stop left %d of 50 events unflushed", 50-s.count())
	}
	if !s.closed {
		t.Fatal("sink not closed")
	}
	if err := p.Append(context.Background(), []wal.Record{ev(99, 1)}); !errors.Is(err, ErrStopping) {
		t.Fatalf("Append after Stop = %v", err)
	}
}

func TestStopDeadlineLeavesTheRestForTheNextStart(t *testing.T) {
	cfg := testConfig()
	fsys := walfs.NewMem()
	s := &memSink{}
	s.setHook(func(sink.Batch) error { return errSinkDown })
	p := start(t, cfg, fsys, s)
	for i := range 30 {
		mustAppend(t, p, ev(i, i))
	}
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	if err := p.Stop(ctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Stop with a stuck sink = %v, want the deadline", err)
	}
	// Next start, sink healthy: the events come out of the logs.
	s2 := &memSink{}
	p2 := start(t, cfg, fsys, s2)
	eventually(t, "replay after restart", func() bool { return s2.count() == 30 })
	stop(t, p2)
}

func TestAppendBeforeShardsAreOpen(t *testing.T) {
	p, err := New(testConfig(), Options{Sink: &memSink{}, FS: walfs.NewMem()})
	if err != nil {
		t.Fatal(err)
	}
	if err := p.Append(context.Background(), []wal.Record{ev(1, 1)}); !errors.Is(err, ErrNotReady) {
		t.Fatalf("Append before Start = %v, want ErrNotReady", err)
	}
	if p.Ready() {
		t.Fatal("ready before Start")
	}
}

func TestConfigValidate(t *testing.T) {
	tests := []struct {
		name   string
		mutate func(*Config)
		ok     bool
	}{
		{"valid", func(*Config) {}, true},
		{"no dir", func(c *Config) { c.Dir = "" }, false},
		{"too many shards", func(c *Config) { c.Shards = 65 }, false},
		{"tiny backlog", func(c *Config) { c.MaxBacklogBytes = 10 }, false},
		{"zero flush events", func(c *Config) { c.Flush.MaxEvents = -1 }, false},
		{"backoff max below initial", func(c *Config) { c.SinkRetry = Backoff{Initial: time.Second, Max: time.Millisecond} }, false},
		{"bad wal", func(c *Config) { c.WAL.Ack = "maybe" }, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := testConfig()
			c.ApplyDefaults()
			tt.mutate(&c)
			if err := c.Validate(); (err == nil) != tt.ok {
				t.Fatalf("Validate() = %v, want ok=%v", err, tt.ok)
			}
		})
	}
}

func TestBackoffDelay(t *testing.T) {
	b := Backoff{Initial: 100 * time.Millisecond, Max: time.Second}
	for n, want := range []time.Duration{100, 200, 400, 800, 1000, 1000} {
		want *= time.Millisecond
		for range 20 {
			d := b.delay(n)
			if d > want || d < want*8/10 {
				t.Fatalf("delay(%d) = %s, want within 20%% below %s", n, d, want)
			}
		}
	}
}
