package server_test

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/eventingestor/eventingestor/ingestor/localcluster"
	"github.com/eventingestor/eventingestor/ingestor/partition"
	"github.com/eventingestor/eventingestor/ingestor/pod"
	"github.com/eventingestor/eventingestor/ingestor/ring"
	"github.com/eventingestor/eventingestor/ingestor/sink"
	"github.com/eventingestor/eventingestor/ingestor/wal"
)

// startCluster runs a local cluster of n partitions on free ports.
func startCluster(t testing.TB, n int) *localcluster.Cluster {
	t.Helper()
	return startClusterIn(t, n, t.TempDir())
}

// startClusterIn is startCluster with its data (and sink files) under dir.
func startClusterIn(t testing.TB, n int, dir string) *localcluster.Cluster {
	t.Helper()
	return startClusterWith(t, n, dir, nil)
}

// startClusterWith is startClusterIn with tune applied to the cluster's
// configuration.
func startClusterWith(t testing.TB, n int, dir string, tune func(*localcluster.Config)) *localcluster.Cluster {
	t.Helper()
	cfg := localcluster.Config{
		Partitions: n,
		DataDir:    dir,
		Pod: pod.Config{
			Partitions: partition.Config{
				Shards: 2, Flush: partition.FlushConfig{Interval: 20 * time.Millisecond},
				WAL: wal.Config{SegmentBytes: 4 << 20},
			},
			Sink: sink.Config{Type: sink.TypeFile, File: sink.FileConfig{MaxBytes: 1 << 20, MaxAge: time.Hour}},
		},
	}
	ev := &cfg.Pod.Event
	ev.KeyField = "user_id"
	ev.MaxBodyBytes = 64 << 10
	ev.MaxEventBytes = 4 << 10
	ev.MaxDepth = 8
	ev.MaxBatch = 100
	if tune != nil {
		tune(&cfg)
	}
	c, err := localcluster.Start(cfg, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if err := c.Stop(ctx); err != nil {
			t.Errorf("Stop: %v", err)
		}
	})
	deadline := time.Now().Add(10 * time.Second)
	for !c.Ready() {
		if time.Now().After(deadline) {
			t.Fatal("cluster not ready")
		}
		time.Sleep(5 * time.Millisecond)
	}
	return c
}

type response struct {
	status     int
	retryAfter string
	body       map[string]any
}

func post(t *testing.T, url, contentType, encoding string, body []byte) response {
	t.Helper()
	req, err := http.NewRequestWithContext(context.Background(), http.MethodPost, url+"/v1/events", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	if encoding != "" {
		req.Header.Set("Content-Encoding", encoding)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = resp.Body.Close() }()
	raw, _ := io.ReadAll(resp.Body)
	r := response{status: resp.StatusCode, retryAfter: resp.Header.Get("Retry-After")}
	if err := json.Unmarshal(raw, &r.body); err != nil {
		t.Fatalf("response %d is not JSON: %q", resp.StatusCode, raw)
	}
	return r
}

func gz(b []byte) []byte {
	var buf bytes.Buffer
	w := gzip.NewWriter(&buf)
	_, _ = w.Write(b)
	_ = w.Close()
	return buf.Bytes()
}

// appended is the number of events appended across the cluster.
func appended(c *localcluster.Cluster) uint64 {
	return sumShards(c, func(s partition.ShardStatus) uint64 { return s.Appended })
}

// flushedAll is the number of events flushed across the cluster.
func flushedAll(c *localcluster.Cluster) uint64 {
	return sumShards(c, func(s partition.ShardStatus) uint64 { return s.Flushed })
}

// sumShards sums f over every shard of every member of c.
func sumShards(c *localcluster.Cluster, f func(partition.ShardStatus) uint64) uint64 {
	var n uint64
	for _, m := range c.Members {
		for _, s := range m.Pod.Part.Status().Shards {
			n += f(s)
		}
	}
	return n
}

// TestBadInputIsRejectedAndNothingIsStored runs over HTTP/1.1 on the ingest
// fast path and, with it disabled, through net/http: both answer alike.
func TestBadInputIsRejectedAndNothingIsStored(t *testing.T) {
	for _, disable := range []bool{false, true} {
		t.Run(fmt.Sprintf("fast path disabled %v", disable), func(t *testing.T) {
			c := startClusterWith(t, 3, t.TempDir(), func(cfg *localcluster.Config) { cfg.Pod.Server.DisableFastPath = disable })
			testBadInput(t, c)
		})
	}
}

func testBadInput(t *testing.T, c *localcluster.Cluster) {
	url := c.URLs()[0]
	const ndjson = "application/x-ndjson"
	good := `{"id":"g","user_id":"1"}`
	deep := strings.Repeat(`{"a":`, 10) + "1" + strings.Repeat("}", 10)
	big := `{"id":"big","user_id":"1","pad":"` + strings.Repeat("x", 5000) + `"}`
	truncated := gz([]byte(good + "\n" + good))
	truncated = truncated[:len(truncated)-6]
	tests := []struct {
		name, contentType, encoding string
		body                        []byte
		status                      int
		reason                      string
		index                       float64 // -1: no index
	}{
		{"malformed JSON", "application/json", "", []byte(`{"id":"1","user_id":`), 400, "malformed_json", 0},
		{"malformed second NDJSON line", ndjson, "", []byte(good + "\n{\"id\":\n" + good), 400, "malformed_json", 1},
		{"wrong content type", "text/plain", "", []byte(good), 415, "unsupported_media_type", -1},
		{"unknown encoding", "application/json", "br", []byte(good), 415, "unsupported_encoding", -1},
		{"oversized body", ndjson, "", bytes.Repeat([]byte(good+"\n"), 4000), 413, "body_too_large", -1},
		{"oversized event", ndjson, "", []byte(good + "\n" + big), 413, "event_too_large", 1},
		{"too many events", ndjson, "", bytes.Repeat([]byte(good+"\n"), 101), 413, "batch_too_large", -1},
		{"deep nesting", "application/json", "", []byte(`{"id":"d","user_id":"1","x":` + deep + `}`), 400, "too_deep", 0},
		{"invalid UTF-8", ndjson, "", []byte(good + "\n{\"id\":\"u\",\"user_id\":\"\xff\"}"), 400, "invalid_utf8", 1},
		{"missing key field", ndjson, "", []byte(good + "\n" + `{"id":"m"}`), 400, "missing_key", 1},
		{"not an object", "application/json", "", []byte(`[{"id":"a","user_id":"1"}, 3]`), 400, "not_an_object", 1},
		{"empty batch", "application/json", "", []byte(`[]`), 400, "empty_batch", -1},
		{"empty body", ndjson, "", []byte(""), 400, "empty_batch", -1},
		{"truncated gzip", ndjson, "gzip", truncated, 400, "bad_gzip", -1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := post(t, url, tt.contentType, tt.encoding, tt.body)
			if r.status != tt.status || r.body["reason"] != tt.reason {
				t.Fatalf("got %d %v, want %d %s", r.status, r.body, tt.status, tt.reason)
			}
			if msg, _ := r.body["message"].(string); msg == "" {
				t.Fatalf("no message in %v", r.body)
			}
			idx, has := r.body["index"].(float64)
			if (tt.index >= 0) != has || (has && idx != tt.index) {
				t.Fatalf("index = %v (present %v), want %v", r.body["index"], has, tt.index)
			}
		})
	}
	time.Sleep(50 * time.Millisecond)
	if n := appended(c); n != 0 {
		t.Fatalf("%d events of rejected batches were stored", n)
	}
}

func TestAcceptedBatchesReachTheSinkThroughForwarding(t *testing.T) {
	c := startCluster(t, 3)
	var body bytes.Buffer
	const n = 60
	for i := range n {
		fmt.Fprintf(&body, `{"id":"e%d","user_id":"u%d","n":%d}`+"\n", i, i%20, i)
	}
	// Send to partition 1: about two thirds of the keys belong to others.
	r := post(t, c.URLs()[1], "application/x-ndjson", "gzip", gz(body.Bytes()))
	if r.status != http.StatusAccepted || r.body["accepted"] != float64(n) {
		t.Fatalf("got %d %v, want 202 accepted %d", r.status, r.body, n)
	}
	rg := ring.Ring{Epoch: 1, Partitions: 3, Phase: ring.PhaseStable}
	var owners [3]int
	for i := range 20 {
		owners[rg.OwnerOfKey([]byte(fmt.Sprintf("u%d", i)))]++
	}
	deadline := time.Now().Add(10 * time.Second)
	for flushedAll(c) != n && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	for p, m := range c.Members {
		var got uint64
		for _, s := range m.Pod.Part.Status().Shards {
			got += s.Flushed
		}
		if (got > 0) != (owners[p] > 0) {
			t.Fatalf("partition %d flushed %d events; it owns %d of the keys", p, got, owners[p])
		}
	}
	if appended(c) != n {
		t.Fatalf("appended %d events in all, want exactly %d", appended(c), n)
	}
}

// TestConcurrentBatchesReachTheSinkIntact sends batches from many senders
// at once to a one-partition cluster, where every request gives its body
// buffer back to the pool as soon as its records are in the log, before the
// sync: every acknowledged event must reach the sink byte for byte, which
// fails if anything read a request's memory after another request took it.
func TestConcurrentBatchesReachTheSinkIntact(t *testing.T) {
	dir := t.TempDir()
	c := startClusterIn(t, 1, dir)
	const senders, requests, perRequest = 40, 15, 50
	id := func(s, r, i int) string { return fmt.Sprintf("s%d-r%d-e%d", s, r, i) }
	event := func(s, r, i int) string {
		return fmt.Sprintf(`{"id":"%s","user_id":"u%d","pad":"%s"}`, id(s, r, i), (s*7+i)%23,
			strings.Repeat(string(rune('a'+(s+r+i)%26)), 20+(s*r+i)%40))
	}
	errs := make(chan error, senders)
	for s := range senders {
		go func() {
			for r := range requests {
				var body bytes.Buffer
				for i := range perRequest {
					body.WriteString(event(s, r, i) + "\n")
				}
				resp, err := http.Post(c.URLs()[0]+"/v1/events", "application/x-ndjson", &body)
				if err != nil {
					errs <- err
					return
				}
				_ = resp.Body.Close()
				if resp.StatusCode != http.StatusAccepted {
					errs <- fmt.Errorf("sender %d request %d: status %d", s, r, resp.StatusCode)
					return
				}
			}
			errs <- nil
		}()
	}
	for range senders {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
	const total = senders * requests * perRequest
	deadline := time.Now().Add(20 * time.Second)
	for flushedAll(c) < total && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if f := flushedAll(c); f != total {
		t.Fatalf("flushed %d events, want %d", f, total)
	}
	got := map[string]string{}
	if err := sink.ReadFiles(dir, func(_ string, _ int, l sink.Line) error {
		got[l.ID] = string(l.Event)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	for s := range senders {
		for r := range requests {
			for i := range perRequest {
				if want, got := event(s, r, i), got[id(s, r, i)]; got != want {
					t.Fatalf("event %s reached the sink as %q, want %q", id(s, r, i), got, want)
				}
			}
		}
	}
}

func TestStaleRingIsRefreshedFromTheOwner(t *testing.T) {
	c := startCluster(t, 3)
	// Partition 2 learns epoch 2 first (its ConfigMap arrived early); the
	// others still route by epoch 1. A forward from partition 0 to 2 gets 421
	// with the newer ring, which partition 0 adopts before routing again.
	if err := c.Members[2].Pod.Server.LearnRing(ring.Ring{Epoch: 2, Partitions: 3, Phase: ring.PhaseStable}); err != nil {
		t.Fatal(err)
	}
	rg := ring.Ring{Epoch: 1, Partitions: 3, Phase: ring.PhaseStable}
	key := ""
	for i := 0; key == ""; i++ {
		if k := fmt.Sprintf("k%d", i); rg.OwnerOfKey([]byte(k)) == 2 {
			key = k
		}
	}
	r := post(t, c.URLs()[0], "application/json", "", []byte(`{"id":"s1","user_id":"`+key+`"}`))
	if r.status != http.StatusAccepted {
		t.Fatalf("got %d %v, want 202 after the ring refresh", r.status, r.body)
	}
	resp, err := http.Get(c.URLs()[0] + "/v1/ring")
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = resp.Body.Close() }()
	var got ring.Ring
	if err := json.NewDecoder(resp.Body).Decode(&got); err != nil || got.Epoch != 2 {
		t.Fatalf("partition 0's ring after the refresh: %+v, %v", got, err)
	}
}

func TestProbesAndMetrics(t *testing.T) {
	c := startCluster(t, 1)
	url := c.URLs()[0]
	for _, path := range []string{"/healthz", "/readyz", "/v1/status", "/v1/ring"} {
		resp, err := http.Get(url + path)
		if err != nil {
			t.Fatal(err)
		}
		_ = resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("%s = %d", path, resp.StatusCode)
		}
	}
	post(t, url, "application/json", "", []byte(`{"id":"m1","user_id":"1"}`))
	resp, err := http.Get(url + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = resp.Body.Close() }()
	text, _ := io.ReadAll(resp.Body)
	for _, want := range []string{
		"eventingestor_events_accepted_total 1", "eventingestor_wal_fsync_duration_seconds",
		"eventingestor_backlog_events", "eventingestor_ring_epoch 1", `eventingestor_http_requests_total{code="202",handler="events"} 1`,
	} {
		if !strings.Contains(string(text), want) {
			t.Fatalf("metrics lack %q", want)
		}
	}
}

// TestOnePortServesHTTP1AndH2C: the API port takes ingest requests over
// HTTP/1.1 (the fast path) and over h2c with prior knowledge (net/http),
// and the other endpoints over both.
func TestOnePortServesHTTP1AndH2C(t *testing.T) {
	c := startCluster(t, 1)
	url := c.URLs()[0]
	h2c := new(http.Protocols)
	h2c.SetUnencryptedHTTP2(true)
	clients := map[string]*http.Client{
		"HTTP/1.1": {Transport: &http.Transport{}},
		"HTTP/2.0": {Transport: &http.Transport{Protocols: h2c}},
	}
	for proto, client := range clients {
		t.Run(proto, func(t *testing.T) {
			defer client.CloseIdleConnections()
			for i := range 3 {
				body := fmt.Sprintf(`{"id":"%s-%d","user_id":"1"}`, proto, i)
				resp, err := client.Post(url+"/v1/events", "application/json", strings.NewReader(body))
				if err != nil {
					t.Fatal(err)
				}
				raw, _ := io.ReadAll(resp.Body)
				_ = resp.Body.Close()
				if resp.Proto != proto || resp.StatusCode != http.StatusAccepted || string(raw) != `{"accepted":1}`+"\n" {
					t.Fatalf("%s %d %q, want %s 202 accepted 1", resp.Proto, resp.StatusCode, raw, proto)
				}
			}
			resp, err := client.Get(url + "/v1/ring")
			if err != nil {
				t.Fatal(err)
			}
			_ = resp.Body.Close()
			if resp.Proto != proto || resp.StatusCode != http.StatusOK {
				t.Fatalf("GET /v1/ring: %s %d", resp.Proto, resp.StatusCode)
			}
		})
	}
	if n := appended(c); n != 6 {
		t.Fatalf("%d events appended, want 6", n)
	}
	resp, err := http.Get(url + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = resp.Body.Close() }()
	text, _ := io.ReadAll(resp.Body)
	// The HTTP/1.1 requests, not the h2c ones.
	if want := "eventingestor_http_fast_path_requests_total 3\n"; !strings.Contains(string(text), want) {
		t.Fatalf("metrics lack %q", want)
	}
}

func TestShutdownTurnsUnreadyAndRefuses(t *testing.T) {
	c := startCluster(t, 1)
	m := c.Members[0]
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := m.Pod.Server.Shutdown(ctx); err != nil {
		t.Fatal(err)
	}
	rec := httptestRecorder(m.Pod.Server.Handler(), http.MethodGet, "/readyz", nil)
	if rec != http.StatusServiceUnavailable {
		t.Fatalf("/readyz after shutdown = %d", rec)
	}
	if got := httptestRecorder(m.Pod.Server.Handler(), http.MethodPost, "/v1/events", []byte(`{"id":"x","user_id":"1"}`)); got != http.StatusServiceUnavailable {
		t.Fatalf("ingest after shutdown = %d", got)
	}
}
