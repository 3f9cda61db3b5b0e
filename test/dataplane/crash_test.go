package dataplane

import (
	"context"
	"os"
	"path/filepath"
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
	// The load runs for a fixed time, so that the kill and the restart
	// fall inside it however fast this machine is; it runs in a goroutine,
	// and this one kills and restarts (start may fail the test).
	type outcome struct {
		res bench.Result
		err error
	}
	done := make(chan outcome, 1)
	go func() {
		res, err := bench.Run(ctx, bench.Config{
			Targets: urls(pods), Duration: 8 * time.Second, Concurrency: 200, Batch: 5, Keys: 500,
			Record: record, Retry: true, MaxAttempts: 50, Timeout: 30 * time.Second,
		}, os.Stderr)
		done <- outcome{res, err}
	}()
	time.Sleep(1500 * time.Millisecond) // well into the load
	victim := pods[1]
	victim.kill9()
	t.Logf("killed partition 1 (kill -9) at %s", time.Now().Format(time.RFC3339Nano))
	time.Sleep(time.Second)
	victim.start()
	t.Logf("partition 1 is back at %s", time.Now().Format(time.RFC3339Nano))
	out := <-done
	res, err := out.res, out.err
	if res.Elapsed < 3*time.Second {
		t.Fatalf("the load ended after %s, before partition 1 was back", res.Elapsed)
	}
	if err != nil {
		t.Logf("bench: %v (events given up are not acknowledged and not checked)", err)
	}
	if res.Acked < 20_000 {
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
