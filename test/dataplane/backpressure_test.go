package dataplane

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/eventingestor/eventingestor/ingestor/bench"
)

// webhookReceiver is a sink endpoint that can stall. Accepted batches are
// appended to one file per (partition, shard) stream, in the file sink's
// naming, so that verify can read them.
type webhookReceiver struct {
	dir     string
	stalled atomic.Bool
	calls   atomic.Int64
	mu      sync.Mutex
}

func (rcv *webhookReceiver) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	rcv.calls.Add(1)
	body, err := io.ReadAll(r.Body)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	if rcv.stalled.Load() {
		time.Sleep(50 * time.Millisecond)
		http.Error(w, "sink database is down", http.StatusServiceUnavailable)
		return
	}
	p, _ := strconv.Atoi(r.Header.Get("Eventingestor-Partition"))
	s, _ := strconv.Atoi(r.Header.Get("Eventingestor-Shard"))
	rcv.mu.Lock()
	defer rcv.mu.Unlock()
	name := filepath.Join(rcv.dir, fmt.Sprintf("p%04d-s%02d-000000000000.ndjson", p, s))
	f, err := os.OpenFile(name, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	defer func() { _ = f.Close() }()
	if _, err := f.Write(body); err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// TestBackpressureWithAStalledSink stalls the sink of a serve process:
// ingest must answer 429 with Retry-After once the backlog is full, the
// process's memory must stay bounded while load keeps coming, and once the
// sink recovers every acknowledged event must arrive, in per-key order.
func TestBackpressureWithAStalledSink(t *testing.T) {
	dir := testDir(t)
	rcv := &webhookReceiver{dir: filepath.Join(dir, "received")}
	if err := os.MkdirAll(rcv.dir, 0o750); err != nil {
		t.Fatal(err)
	}
	rcv.stalled.Store(true)
	hook := httptest.NewServer(rcv)
	defer hook.Close()
	pods := newServePods(t, 1, filepath.Join(dir, "data"),
		"--sink.type", "webhook", "--sink.webhook.url", hook.URL,
		"--durability.max-backlog", strconv.Itoa(16<<20),
		"--sink.retry.max", "200ms")
	pod := pods[0]
	pod.start()
	defer stopAll(pods)

	// A first, small run fills part of the backlog and checks Retry-After.
	if status, _ := postOnce(t, pod.url, []byte(`{"id":"probe","user_id":"1"}`)); status != http.StatusAccepted {
		t.Fatalf("first post: %d", status)
	}
	baseRSS := pod.rssBytes()
	// Many senders, no retries: the backlog fills and the rest
	// is refused. Memory must not follow the offered load.
	record := filepath.Join(dir, "record.ndjson")
	var peakRSS atomic.Int64
	stopWatch := make(chan struct{})
	go func() {
		for {
			select {
			case <-stopWatch:
				return
			case <-time.After(20 * time.Millisecond):
				if rss := pod.rssBytes(); rss > peakRSS.Load() {
					peakRSS.Store(rss)
				}
			}
		}
	}()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	res, _ := bench.Run(ctx, bench.Config{
		Targets: []string{pod.url}, Events: 400_000, Concurrency: 100, Batch: 200, Keys: 1000,
		Record: record, Retry: false, MaxAttempts: 1, Timeout: 30 * time.Second,
	}, os.Stderr)
	close(stopWatch)
	if res.Errors["429"] == 0 {
		t.Fatalf("no 429 under a stalled sink: %+v", res.Errors)
	}
	if res.Acked == 0 || res.Acked >= 400_000 {
		t.Fatalf("acknowledged %d of 400000: the backlog limit did not act", res.Acked)
	}
	// Events for twenty keys, so that whichever shard is full refuses the
	// batch (the bench stops at the first shard to fill; the other may be
	// just below its limit).
	var late bytes.Buffer
	for k := range 20 {
		fmt.Fprintf(&late, "{\"id\":\"late-%d\",\"user_id\":\"%d\"}\n", k, k)
	}
	status, retryAfter := postOnce(t, pod.url, late.Bytes())
	if status != http.StatusTooManyRequests || retryAfter == "" {
		t.Fatalf("post with a full backlog: %d, Retry-After %q; want 429 with Retry-After", status, retryAfter)
	}
	offered := int64(400_000) * 150
	t.Logf("offered %d MB, acknowledged %d events, RSS %d MB at start, peak %d MB", offered>>20, res.Acked, baseRSS>>20, peakRSS.Load()>>20)
	if peak := peakRSS.Load(); peak > 200<<20 {
		t.Fatalf("RSS peaked at %d MB under backpressure: memory is not bounded", peak>>20)
	}
	// The sink recovers: everything acknowledged arrives.
	rcv.stalled.Store(false)
	rep := verifySink(t, rcv.dir, record, false)
	if rep.Found < int(res.Acked) {
		t.Fatalf("found %d of %d acknowledged events", rep.Found, res.Acked)
	}
}

func postOnce(t *testing.T, url string, body []byte) (int, string) {
	t.Helper()
	req, _ := http.NewRequestWithContext(context.Background(), http.MethodPost, url+"/v1/events", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/x-ndjson")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = resp.Body.Close() }()
	_, _ = io.Copy(io.Discard, resp.Body)
	return resp.StatusCode, resp.Header.Get("Retry-After")
}
