package wal

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/eventingestor/eventingestor/ingestor/wal/walfs"
)

// benchRecord is a ~150-byte event like the seed's.
func benchRecord(i int) Record {
	return Record{
		Epoch: 1, ReceivedAt: time.Now().UnixNano(), Slot: uint16(i % numSlots),
		ID:   fmt.Sprintf("%016d", i),
		Key:  []byte("1"),
		Data: []byte(fmt.Sprintf(`{"id":"%016d","user_id":"1","action_data":{"type":"knob","left":"5"},"ts":"2026-11-27T04:32:01Z","pad":"xxxxxxxxxxxxxxxxxxxx"}`, i)),
	}
}

// BenchmarkAppend measures Append on the real disk (the test's temp dir)
// with 1, 64 and 2000 concurrent appenders, durable and buffered. It
// reports events/s, MB/s and syncs per op.
func BenchmarkAppend(b *testing.B) {
	for _, ack := range []AckMode{AckDurable, AckBuffered} {
		for _, writers := range []int{1, 64, 2000} {
			b.Run(fmt.Sprintf("ack=%s/writers=%d", ack, writers), func(b *testing.B) {
				benchmarkAppend(b, ack, writers)
			})
		}
	}
}

func benchmarkAppend(b *testing.B, ack AckMode, writers int) {
	cfg := Config{Dir: b.TempDir(), Ack: ack}
	w, err := Open(cfg, Options{Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		b.Fatal(err)
	}
	defer func() { _ = w.Close() }()
	recs := make([]Record, writers)
	for i := range recs {
		recs[i] = benchRecord(i)
	}
	frame := frameLen(recs[0].payloadLen())
	var next atomic.Int64
	b.ResetTimer()
	start := time.Now()
	var wg sync.WaitGroup
	for g := range writers {
		wg.Go(func() {
			one := []Record{recs[g]}
			for next.Add(1) <= int64(b.N) {
				if _, err := w.Append(context.Background(), one); err != nil {
					b.Error(err)
					return
				}
			}
		})
	}
	wg.Wait()
	elapsed := time.Since(start)
	b.StopTimer()
	b.ReportMetric(float64(b.N)/elapsed.Seconds(), "events/s")
	b.ReportMetric(float64(b.N*frame)/elapsed.Seconds()/1e6, "MB/s")
	groups := testutil.ToFloat64(w.m.groupCommits.WithLabelValues(w.name))
	b.ReportMetric(float64(b.N)/groups, "events/group")
	b.SetBytes(int64(frame))
}

// BenchmarkRawFdatasync is the reference: one small write and one
// fdatasync per op on a preallocated file, the rate a log without group
// commit could reach.
func BenchmarkRawFdatasync(b *testing.B) {
	fsys := walfs.OS{}
	f, err := fsys.OpenFile(filepath.Join(b.TempDir(), "raw"), os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		b.Fatal(err)
	}
	defer func() { _ = f.Close() }()
	const size = 64 << 20
	if err := f.Allocate(size); err != nil {
		b.Fatal(err)
	}
	rec := make([]byte, 200)
	b.ResetTimer()
	start := time.Now()
	for i := 0; i < b.N; i++ {
		if _, err := f.WriteAt(rec, int64(i*len(rec))%size); err != nil {
			b.Fatal(err)
		}
		if err := f.Sync(); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "syncs/s")
}

func BenchmarkEncodeRecordFrame(b *testing.B) {
	r := benchRecord(1)
	buf := make([]byte, 0, 1<<20)
	b.ReportAllocs()
	b.SetBytes(int64(frameLen(r.payloadLen())))
	for i := 0; b.Loop(); i++ {
		if len(buf) > 1<<19 {
			buf = buf[:0]
		}
		buf = appendRecordFrame(buf, &r, uint64(i))
	}
}

func TestEncodeDoesNotAllocate(t *testing.T) {
	r := benchRecord(1)
	buf := make([]byte, 0, 1<<16)
	allocs := testing.AllocsPerRun(100, func() {
		buf = appendRecordFrame(buf[:0], &r, 1)
	})
	if allocs != 0 {
		t.Fatalf("appendRecordFrame allocates %.1f times per call", allocs)
	}
}

// BenchmarkCheckpoint measures one checkpoint on the real file system: what
// the flusher pays after every sink batch.
func BenchmarkCheckpoint(b *testing.B) {
	cfg := testConfig()
	cfg.Dir = b.TempDir()
	w := openLog(b, walfs.OS{}, cfg)
	defer func() { _ = w.Close() }()
	last := appendN(b, w, 0, 1)
	if err := w.Checkpoint(last); err != nil { // creates the file
		b.Fatal(err)
	}
	b.ResetTimer()
	for range b.N {
		// Checkpoint ignores an index it already has; write the same one
		// through the writer to measure the write itself.
		w.ckptMu.Lock()
		err := w.ckpt.write(Checkpoint{Index: last, WrittenAt: w.now().UnixNano()})
		w.ckptMu.Unlock()
		if err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkReaderNext measures what the flusher pays to read the log back:
// Next over batches of 20,000 records of about 150 bytes from a log on the
// real disk (the page cache, in practice: a read, then a CRC check of each
// frame). It reports ns/record.
func BenchmarkReaderNext(b *testing.B) {
	const batch = 20000
	w, err := Open(Config{Dir: b.TempDir()}, Options{Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		b.Fatal(err)
	}
	defer func() { _ = w.Close() }()
	recs := make([]Record, 1000)
	for n := 0; n < batch; n += len(recs) {
		for i := range recs {
			recs[i] = benchRecord(n + i)
		}
		if _, err := w.Append(context.Background(), recs); err != nil {
			b.Fatal(err)
		}
	}
	r := w.NewReader(1)
	b.ResetTimer()
	for b.Loop() {
		r.Seek(1)
		got, err := r.Next(batch, 4<<20)
		if err != nil || len(got) != batch {
			b.Fatalf("Next = %d records, %v; want %d", len(got), err, batch)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*batch), "ns/record")
}
