package partition

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/eventingestor/eventingestor/ingestor/sink"
	"github.com/eventingestor/eventingestor/ingestor/wal"
	"github.com/eventingestor/eventingestor/ingestor/wal/walfs"
)

// memSink records what it is given; hook, if set, runs first and may fail,
// block or panic.
type memSink struct {
	mu      sync.Mutex
	batches []sink.Batch
	ids     []string
	hook    func(b sink.Batch) error
	closed  bool
}

func (m *memSink) setHook(h func(b sink.Batch) error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.hook = h
}

func (m *memSink) Write(_ context.Context, b sink.Batch) error {
	m.mu.Lock()
	hook := m.hook
	m.mu.Unlock()
	if hook != nil {
		if err := hook(b); err != nil {
			return err
		}
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	cp := sink.Batch{Partition: b.Partition, Shard: b.Shard}
	for _, r := range b.Records {
		r.Key = append([]byte(nil), r.Key...)
		r.Data = append([]byte(nil), r.Data...)
		cp.Records = append(cp.Records, r)
		m.ids = append(m.ids, r.ID)
	}
	m.batches = append(m.batches, cp)
	return nil
}

func (m *memSink) Close() error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.closed = true
	return nil
}

func (m *memSink) count() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return len(m.ids)
}

func (m *memSink) batchSizes() []int {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []int
	for _, b := range m.batches {
		out = append(out, len(b.Records))
	}
	return out
}

// records returns every delivered record in delivery order.
func (m *memSink) records() []sink.Record {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []sink.Record
	for _, b := range m.batches {
		out = append(out, b.Records...)
	}
	return out
}

func testConfig() Config {
	c := Config{
		Dir: "/data/p0", Partition: 0, Shards: 2,
		MaxBacklogBytes: 1 << 20,
		Flush:           FlushConfig{Interval: 20 * time.Millisecond, MaxEvents: 100, MaxBytes: 1 << 20},
		SinkRetry:       Backoff{Initial: time.Millisecond, Max: 5 * time.Millisecond},
		Restart:         RestartConfig{Backoff: Backoff{Initial: time.Millisecond, Max: 5 * time.Millisecond}, MaxRestarts: 3, Window: time.Minute},
		WAL:             wal.Config{SegmentBytes: 1 << 16, MaxGroupBytes: 1 << 16, MaxRecordBytes: 4096},
	}
	return c
}

func start(t *testing.T, cfg Config, fsys walfs.FS, s sink.Sink) *Partition {
	t.Helper()
	p, err := New(cfg, Options{Sink: s, FS: fsys, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	if err := p.Start(); err != nil {
		t.Fatal(err)
	}
	eventually(t, "partition ready", p.Ready)
	return p
}

func stop(t *testing.T, p *Partition) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := p.Stop(ctx); err != nil {
		t.Fatalf("Stop: %v", err)
	}
}

func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(time.Millisecond)
	}
}

// ev builds record n with key k.
func ev(n, k int) wal.Record {
	key := fmt.Sprintf("user-%d", k)
	return wal.Record{
		Epoch: 1, ReceivedAt: int64(n), Slot: uint16(k % 4096), ID: fmt.Sprintf("e%d", n), Key: []byte(key),
		Data: []byte(fmt.Sprintf(`{"id":"e%d","user_id":"%s"}`, n, key)),
	}
}

func mustAppend(t *testing.T, p *Partition, recs ...wal.Record) {
	t.Helper()
	if err := p.Append(context.Background(), recs); err != nil {
		t.Fatalf("Append: %v", err)
	}
}

var errSinkDown = errors.New("sink is down")

// onSyncOfWritten installs a fault hook on fsys that runs f, under a lock,
// before each sync of a file written since: its error fails the sync.
// Syncs of files not written meanwhile (a spare segment being prepared)
// proceed.
func onSyncOfWritten(fsys *walfs.Mem, f func(name string) error) {
	var mu sync.Mutex
	dirty := map[string]bool{}
	fsys.SetFault(func(op walfs.Op, name string) error {
		mu.Lock()
		defer mu.Unlock()
		switch {
		case op == walfs.OpWrite:
			dirty[name] = true
		case op == walfs.OpSync && dirty[name]:
			return f(name)
		}
		return nil
	})
}
