package dataplane

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/eventingestor/eventingestor/ingestor/bench"
	"github.com/eventingestor/eventingestor/ingestor/localcluster"
	"github.com/eventingestor/eventingestor/ingestor/partition"
	"github.com/eventingestor/eventingestor/ingestor/pod"
	"github.com/eventingestor/eventingestor/ingestor/sink"
	"github.com/eventingestor/eventingestor/ingestor/verify"
)

// TestSeedStressTest is the Elixir seed's stress test: 100,000 events, each
// a random pick of the six seed events, from 2,000 concurrent senders, one
// per request, against a 3-partition cluster — then every acknowledged
// event must be in the sink exactly once, in per-key order.
func TestSeedStressTest(t *testing.T) {
	dir := testDir(t)
	cfg := localcluster.Config{
		Partitions: 3,
		DataDir:    filepath.Join(dir, "data"),
		Pod: pod.Config{
			Partitions: partition.Config{Shards: 2, Flush: partition.FlushConfig{Interval: 100 * time.Millisecond}},
			Sink:       sink.Config{Type: sink.TypeFile, File: sink.FileConfig{MaxBytes: 8 << 20, MaxAge: time.Hour}},
		},
	}
	cfg.Pod.Event.KeyField = "user_id"
	c, err := localcluster.Start(cfg, quietLogger())
	if err != nil {
		t.Fatal(err)
	}
	waitFor(t, "cluster ready", c.Ready)
	record := filepath.Join(dir, "record.ndjson")
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	res, err := bench.Run(ctx, bench.Config{
		Targets: c.URLs(), Events: 100_000, Concurrency: 2000, Batch: 1, Keys: 2,
		Record: record, Retry: true, MaxAttempts: 20, Timeout: 60 * time.Second,
	}, os.Stderr)
	if err != nil {
		t.Fatalf("bench: %v", err)
	}
	if res.Acked != 100_000 {
		t.Fatalf("acknowledged %d of 100000 events", res.Acked)
	}
	sctx, scancel := context.WithTimeout(context.Background(), time.Minute)
	defer scancel()
	if err := c.Stop(sctx); err != nil {
		t.Fatalf("stopping the cluster: %v", err)
	}
	rep := verifySink(t, cfg.DataDir, record, true)
	if rep.Found != 100_000 || rep.Lost != 0 || rep.Duplicates != 0 || rep.Reordered != 0 {
		t.Fatalf("verify: found %d, lost %d, duplicates %d, reordered %d", rep.Found, rep.Lost, rep.Duplicates, rep.Reordered)
	}
}

func verifySink(t *testing.T, sinkDir, record string, failOnDuplicates bool) verify.Report {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	rep, err := verify.Run(ctx, verify.Config{SinkDir: sinkDir, Record: record, Wait: 30 * time.Second, FailOnDuplicates: failOnDuplicates})
	if err != nil {
		t.Fatalf("verify: %v", err)
	}
	_ = rep.Print(os.Stderr)
	if !rep.OK() {
		t.Fatalf("verify failed: lost %d, reordered %d, duplicates %d", rep.Lost, rep.Reordered, rep.Duplicates)
	}
	return rep
}
