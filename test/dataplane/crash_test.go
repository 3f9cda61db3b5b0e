package dataplane

import (
	"context"
	"os"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"github.com/eventingestor/eventingestor/ingestor/bench"
)

// TestKill9UnderLoad runs three serve processes, sends load, kills one
// partition with SIGKILL mid-load and restarts it: every acknowledged event
// must reach the sink, in per-key order. Duplicates may come only from the
// last unconfirmed flush of the killed process; they are counted.
func TestKill9UnderLoad(t *testing.T) {
	dir := testDir(t)
	data := filepath.Join(dir, "data")
	pods := newServePods(t, 3, data)
	for _, p := range pods {
		p.start()
	}
	defer stopAll(pods)
	record := filepath.Join(dir, "record.ndjson")
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	var killed atomic.Bool
	go func() {
		time.Sleep(1500 * time.Millisecond) // well into the load
		victim := pods[1]
		victim.kill9()
		killed.Store(true)
		t.Logf("killed partition 1 (kill -9) at %s", time.Now().Format(time.RFC3339Nano))
		time.Sleep(time.Second)
		victim.start()
		t.Logf("partition 1 is back")
	}()
	res, err := bench.Run(ctx, bench.Config{
		Targets: urls(pods), Events: 60_000, Concurrency: 200, Batch: 5, Keys: 500,
		Record: record, Retry: true, MaxAttempts: 50, Timeout: 30 * time.Second,
	}, os.Stderr)
	if !killed.Load() {
		t.Fatal("the load finished before the kill: make it longer")
	}
	if err != nil {
		t.Logf("bench: %v (events given up are not acknowledged and not checked)", err)
	}
	if res.Acked < 50_000 {
		t.Fatalf("only %d events acknowledged", res.Acked)
	}
	if res.Retries == 0 {
		t.Fatal("no request was retried: the kill did not hit the load")
	}
	stopAll(pods)
	rep := verifySink(t, data, record, false)
	t.Logf("after kill -9: %d acknowledged, %d found, %d duplicates (last unconfirmed flush), %d retries",
		rep.Acknowledged, rep.Found, rep.Duplicates, res.Retries)
}
