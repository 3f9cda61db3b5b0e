package sink

import (
	"context"
	"log/slog"
	"testing"
	"time"
)

// BenchmarkFileWrite measures File.Write of 1000-record batches of ~150-byte
// events on the real disk (the benchmark's temp dir), each synced.
func BenchmarkFileWrite(b *testing.B) {
	f, err := NewFile(FileConfig{Dir: b.TempDir(), MaxBytes: 64 << 20, MaxAge: time.Hour},
		Options{Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		b.Fatal(err)
	}
	batch := testBatch(0, 0, 0, 1000, 150)
	b.SetBytes(int64(len(appendBatch(nil, batch))))
	b.ReportAllocs()
	for b.Loop() {
		if err := f.Write(context.Background(), batch); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N*len(batch.Records))/b.Elapsed().Seconds(), "records/s")
	if err := f.Close(); err != nil {
		b.Fatal(err)
	}
}

// BenchmarkAppendLine measures the encoding of one ~150-byte event on its
// own, and within a 1000-record batch: with receive times a millisecond
// apart (single-event requests), where the formatted date and second are
// mostly reused, and with every 100 records sharing one (100-event
// requests), where the whole formatted time is; and the last again with
// every event known to be on one line (wal.Record.OneLine), so that it is
// copied without looking for line breaks.
func BenchmarkAppendLine(b *testing.B) {
	b.Run("single", func(b *testing.B) {
		r := testBatch(0, 0, 0, 1, 150).Records[0]
		buf := AppendLine(nil, 0, 0, &r)
		b.SetBytes(int64(len(buf)))
		b.ReportAllocs()
		for b.Loop() {
			buf = AppendLine(buf[:0], 0, 0, &r)
		}
	})
	b.Run("batch-1000", func(b *testing.B) {
		benchmarkAppendBatch(b, testBatch(0, 0, 0, 1000, 150))
	})
	b.Run("batch-1000-requests-of-100", func(b *testing.B) {
		batch := testBatch(0, 0, 0, 1000, 150)
		for i := range batch.Records {
			batch.Records[i].ReceivedAt = batch.Records[i/100*100].ReceivedAt
		}
		benchmarkAppendBatch(b, batch)
	})
	b.Run("batch-1000-requests-of-100-one-line", func(b *testing.B) {
		batch := testBatch(0, 0, 0, 1000, 150)
		for i := range batch.Records {
			batch.Records[i].ReceivedAt = batch.Records[i/100*100].ReceivedAt
			batch.Records[i].OneLine = true // as the WAL reports them for events with no line break
		}
		benchmarkAppendBatch(b, batch)
	})
}

func benchmarkAppendBatch(b *testing.B, batch Batch) {
	buf := appendBatch(nil, batch)
	b.SetBytes(int64(len(buf)))
	b.ReportAllocs()
	for b.Loop() {
		buf = appendBatch(buf[:0], batch)
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(batch.Records)), "ns/record")
}
