package sink

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"sync"
	"testing"
	"time"
)

// testBatch returns a batch of n records of (partition, shard) whose ids
// are "p<partition>-s<shard>-<first+i>", with events of about size bytes.
func testBatch(partition, shard, first, n, size int) Batch {
	b := Batch{Partition: partition, Shard: shard, Records: make([]Record, n)}
	at := time.Date(2026, 11, 27, 4, 32, 1, 0, time.UTC)
	for i := range b.Records {
		id := fmt.Sprintf("p%d-s%d-%d", partition, shard, first+i)
		data := fmt.Sprintf(`{"id":%q,"user_id":"u%d","pad":""}`, id, i)
		if pad := size - len(data); pad > 0 {
			data = fmt.Sprintf(`{"id":%q,"user_id":"u%d","pad":"%s"}`, id, i, bytes.Repeat([]byte("x"), pad))
		}
		b.Records[i] = Record{
			ID: id, Key: fmt.Appendf(nil, "u%d", i), Slot: uint16(i), Epoch: 1,
			ReceivedAt: at.Add(time.Duration(first+i) * time.Millisecond).UnixNano(),
			Data:       []byte(data),
		}
	}
	return b
}

func TestLogWritesExpectedLines(t *testing.T) {
	var buf bytes.Buffer
	l := NewLog(&buf)
	b := Batch{Partition: 2, Shard: 1, Records: []Record{
		{ID: "a", Key: []byte("k1"), Slot: 9, Epoch: 4, ReceivedAt: 1_700_000_000_123_000_000, Data: []byte(`{"x":1}`)},
		{ID: "b\"", Key: []byte("k2"), Slot: 10, Epoch: 4, ReceivedAt: 1_700_000_001_000_000_000, Data: []byte(`[]`)},
	}}
	if err := l.Write(context.Background(), b); err != nil {
		t.Fatal(err)
	}
	if err := l.Write(context.Background(), Batch{}); err != nil {
		t.Fatal(err)
	}
	want := `{"id":"a","key":"k1","slot":9,"partition":2,"shard":1,"epoch":4,"received_at":"2023-11-14T22:13:20.123Z","event":{"x":1}}` + "\n" +
		`{"id":"b\"","key":"k2","slot":10,"partition":2,"shard":1,"epoch":4,"received_at":"2023-11-14T22:13:21Z","event":[]}` + "\n"
	if got := buf.String(); got != want {
		t.Errorf("got:\n%s\nwant:\n%s", got, want)
	}
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
}

// callRecorder records the bytes of each Write call. It is not safe for
// concurrent use: the Log's mutex must serialise the calls.
type callRecorder struct{ calls [][]byte }

func (w *callRecorder) Write(p []byte) (int, error) {
	w.calls = append(w.calls, bytes.Clone(p))
	return len(p), nil
}

func TestLogOneWritePerBatchConcurrently(t *testing.T) {
	var w callRecorder
	l := NewLog(&w)
	const shards, batches, records = 4, 50, 20
	var wg sync.WaitGroup
	for s := range shards {
		wg.Go(func() {
			for i := range batches {
				if err := l.Write(context.Background(), testBatch(0, s, i*records, records, 100)); err != nil {
					t.Error(err)
				}
			}
		})
	}
	wg.Wait()
	if len(w.calls) != shards*batches {
		t.Fatalf("%d Write calls, want %d", len(w.calls), shards*batches)
	}
	for _, call := range w.calls {
		checkWholeBatch(t, call, records)
	}
}

// checkWholeBatch checks that p holds the n lines of one batch.
func checkWholeBatch(t *testing.T, p []byte, n int) {
	t.Helper()
	lines := bytes.SplitAfter(p, []byte("\n"))
	if len(lines) != n+1 || len(lines[n]) != 0 {
		t.Fatalf("write of %d lines, want %d", len(lines)-1, n)
	}
	first, err := ParseLine(lines[0])
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range lines[:n] {
		l, err := ParseLine(line)
		if err != nil {
			t.Fatal(err)
		}
		if l.Shard != first.Shard {
			t.Fatalf("batches interleaved: shard %d within a batch of shard %d", l.Shard, first.Shard)
		}
	}
}

type failingWriter struct{ err error }

func (w failingWriter) Write([]byte) (int, error) { return 0, w.err }

func TestLogWriteError(t *testing.T) {
	boom := errors.New("boom")
	l := NewLog(failingWriter{boom})
	err := l.Write(context.Background(), testBatch(0, 0, 0, 3, 10))
	if !errors.Is(err, boom) {
		t.Fatalf("got %v, want %v wrapped", err, boom)
	}
	if want := "while writing 3 records to writer: boom"; err.Error() != want {
		t.Errorf("got %q, want %q", err, want)
	}
}

func TestLogCanceledContext(t *testing.T) {
	var buf bytes.Buffer
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := NewLog(&buf).Write(ctx, testBatch(0, 0, 0, 1, 10)); !errors.Is(err, context.Canceled) {
		t.Fatalf("got %v, want context.Canceled", err)
	}
	if buf.Len() != 0 {
		t.Errorf("wrote %q after cancellation", buf.String())
	}
}

func TestNewLogDefaultsToStdout(t *testing.T) {
	if l := NewLog(nil); l.w != os.Stdout {
		t.Errorf("NewLog(nil) writes to %v, want os.Stdout", l.w)
	}
}
