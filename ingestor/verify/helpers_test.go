package verify

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/eventingestor/eventingestor/ingestor/bench"
	"github.com/eventingestor/eventingestor/ingestor/sink"
)

// testRun is the run id of the fixtures.
const testRun = "run1"

// fixture builds a sink directory with sink.File and a record file by hand.
type fixture struct {
	t      *testing.T
	dir    string
	sink   *sink.File
	mu     sync.Mutex
	events map[string]bench.RecordEntry // by id: the acknowledged events
	keys   map[string]string            // by id: the key of every event written
	order  []string                     // ids in record order
}

func newFixture(t *testing.T, maxBytes int64) *fixture {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "sink")
	s, err := sink.NewFile(sink.FileConfig{Dir: dir, MaxBytes: maxBytes, MaxAge: time.Hour},
		sink.Options{Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return &fixture{t: t, dir: dir, sink: s, events: map[string]bench.RecordEntry{}, keys: map[string]string{}}
}

// ack records event id of key as sent and acknowledged at the given times
// (in milliseconds from an arbitrary origin).
func (f *fixture) ack(id, key string, sentMS, ackedMS int64) {
	const origin = int64(1_767_000_000_000_000_000)
	f.mu.Lock()
	defer f.mu.Unlock()
	f.events[id] = bench.RecordEntry{ID: id, Key: key, Sent: origin + sentMS*1e6, Acked: origin + ackedMS*1e6}
	f.keys[id] = key
	f.order = append(f.order, id)
}

// write appends one batch of the given ids to the sink stream of
// (partition, shard), under epoch. An id not acknowledged gets key "9".
func (f *fixture) write(partition, shard int, epoch uint64, ids ...string) {
	f.t.Helper()
	recs := make([]sink.Record, len(ids))
	f.mu.Lock()
	for i, id := range ids {
		key, ok := f.keys[id]
		if !ok {
			key = "9"
		}
		recs[i] = sink.Record{
			ID: id, Key: []byte(key), Epoch: epoch, ReceivedAt: time.Now().UnixNano(),
			Data: fmt.Appendf(nil, `{"id":%q,"user_id":%q,"action_data":{"type":"knob","left":"5"}}`, id, key),
		}
	}
	f.mu.Unlock()
	if err := f.sink.Write(context.Background(), sink.Batch{Partition: partition, Shard: shard, Records: recs}); err != nil {
		f.t.Error(err)
	}
}

// recordFile writes the record file and returns its path.
func (f *fixture) recordFile() string {
	f.t.Helper()
	f.mu.Lock()
	defer f.mu.Unlock()
	hdr, err := json.Marshal(bench.RecordHeader{RunID: testRun, Events: len(f.order), Batch: 1, Keys: 2, Started: time.Now()})
	if err != nil {
		f.t.Fatal(err)
	}
	var b strings.Builder
	b.Write(hdr)
	b.WriteByte('\n')
	for _, id := range f.order {
		line, err := json.Marshal(f.events[id])
		if err != nil {
			f.t.Fatal(err)
		}
		b.Write(line)
		b.WriteByte('\n')
	}
	path := filepath.Join(f.t.TempDir(), "record.ndjson")
	if err := os.WriteFile(path, []byte(b.String()), 0o600); err != nil {
		f.t.Fatal(err)
	}
	return path
}

// verify runs the verification with the given wait.
func (f *fixture) verify(wait time.Duration, failOnDuplicates bool) Report {
	f.t.Helper()
	r, err := Run(context.Background(), Config{
		SinkDir: f.dir, Record: f.recordFile(), Wait: wait, FailOnDuplicates: failOnDuplicates,
	})
	if err != nil {
		f.t.Fatalf("Run: %v", err)
	}
	return r
}

// id returns the id of event n of the test run.
func id(n int) string { return fmt.Sprintf("%s-%d", testRun, n) }

// printed returns the human report.
func printed(t *testing.T, r *Report) string {
	t.Helper()
	var b strings.Builder
	if err := r.Print(&b); err != nil {
		t.Fatal(err)
	}
	return b.String()
}
