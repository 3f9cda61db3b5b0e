package wal

import (
	"context"
	"os"
	"testing"

	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/eventingestor/eventingestor/ingestor/wal/walfs"
)

// TestRecoveryOnTheRealFileSystem repairs a torn tail in real files, where
// recovery scans segments through a read-only mapping.
func TestRecoveryOnTheRealFileSystem(t *testing.T) {
	cfg := testConfig()
	cfg.Dir = t.TempDir()
	opts := testOptions(walfs.OS{})
	w, err := Open(cfg, opts)
	if err != nil {
		t.Fatal(err)
	}
	appendN(t, w, 0, 300)
	end := w.active().end
	seq := w.active().seq
	_ = w.Close()

	// A torn group after the last commit: a record frame without its commit.
	r := rec(300)
	torn := appendRecordFrame(nil, &r, 301)
	f, err := os.OpenFile(segmentName(cfg.Dir, seq), os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.WriteAt(torn[:len(torn)-5], end); err != nil {
		t.Fatal(err)
	}
	_ = f.Close()

	opts.Metrics = NewMetrics(nil)
	w, err = Open(cfg, opts)
	if err != nil {
		t.Fatalf("recovery: %v", err)
	}
	if got := testutil.ToFloat64(opts.Metrics.truncatedBytes.WithLabelValues(cfg.Dir)); got <= 0 {
		t.Fatalf("truncated bytes = %v, want the torn group counted", got)
	}
	checkRecords(t, readAll(t, w, 1), 1, 0, 300)
	if last, err := w.Append(context.Background(), []Record{rec(300)}); err != nil || last != 301 {
		t.Fatalf("append after repair = %d, %v", last, err)
	}
	_ = w.Close()
	w, err = Open(cfg, testOptions(walfs.OS{}))
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = w.Close() }()
	checkRecords(t, readAll(t, w, 1), 1, 0, 301)
}
