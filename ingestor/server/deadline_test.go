package server_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/eventingestor/eventingestor/ingestor/event"
	"github.com/eventingestor/eventingestor/ingestor/partition"
	"github.com/eventingestor/eventingestor/ingestor/ring"
	"github.com/eventingestor/eventingestor/ingestor/server"
	"github.com/eventingestor/eventingestor/ingestor/sink"
	"github.com/eventingestor/eventingestor/ingestor/wal"
	"github.com/eventingestor/eventingestor/ingestor/wal/walfs"
)

// stalled is a server of one partition whose logs live on an in-memory
// file system; while stall is set, every sync of a log blocks until release
// is called, as on a disk that stopped answering.
type stalled struct {
	url      string
	stall    atomic.Bool
	release  func()
	shutdown func(context.Context) error
}

func stalledServer(t *testing.T, cfg server.Config) *stalled {
	t.Helper()
	st := &stalled{}
	fs := walfs.NewMem()
	released := make(chan struct{})
	st.release = sync.OnceFunc(func() { close(released) })
	fs.SetFault(func(op walfs.Op, _ string) error {
		if op == walfs.OpSync && st.stall.Load() {
			<-released
		}
		return nil
	})
	lg := slog.New(slog.DiscardHandler)
	part, err := partition.New(partition.Config{Dir: "/wal", Shards: 1, WAL: wal.Config{SegmentBytes: 1 << 20, MaxRecordBytes: 64 << 10}}, partition.Options{Sink: sink.NewLog(io.Discard), FS: fs, Logger: lg})
	if err != nil {
		t.Fatal(err)
	}
	parser, err := event.NewParser(event.Config{KeyField: "user_id"})
	if err != nil {
		t.Fatal(err)
	}
	srv, err := server.New(cfg, server.Options{
		Partition: part, Parser: parser, Logger: lg,
		Ring: ring.NewStatic(ring.Ring{Epoch: 1, Partitions: 1, Phase: ring.PhaseStable}),
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := part.Start(); err != nil {
		t.Fatal(err)
	}
	for deadline := time.Now().Add(10 * time.Second); !part.Ready(); time.Sleep(5 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("the partition did not recover within 10s")
		}
	}
	hs := httptest.NewServer(srv.Handler())
	var once sync.Once // a test's own shutdown replaces the cleanup's
	st.url = hs.URL
	st.shutdown = func(ctx context.Context) (err error) {
		once.Do(func() { err = srv.Shutdown(ctx) })
		return err
	}
	t.Cleanup(func() {
		st.release()
		hs.Close()
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := st.shutdown(ctx); err != nil {
			t.Errorf("Shutdown: %v", err)
		}
	})
	return st
}

func postEvents(t *testing.T, url, body string) (int, map[string]any) {
	t.Helper()
	resp, err := http.Post(url+"/v1/events", "application/x-ndjson", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out map[string]any
	b, _ := io.ReadAll(resp.Body)
	if err := json.Unmarshal(b, &out); err != nil {
		t.Fatalf("status %d, body %q: %v", resp.StatusCode, b, err)
	}
	return resp.StatusCode, out
}

// TestRequestTimeoutAnswers503WhileTheDiskStalls: a request whose log
// cannot sync is answered 503 timeout after about RequestTimeout, not
// before it and not much after it, and requests succeed again once the disk
// answers.
func TestRequestTimeoutAnswers503WhileTheDiskStalls(t *testing.T) {
	const timeout = 400 * time.Millisecond
	st := stalledServer(t, server.Config{RequestTimeout: timeout, UnreadyDelay: time.Nanosecond})
	url := st.url
	if code, out := postEvents(t, url, `{"id":"a","user_id":"u"}`+"\n"); code != http.StatusAccepted {
		t.Fatalf("before the stall: status %d %v", code, out)
	}
	st.stall.Store(true)
	start := time.Now()
	code, out := postEvents(t, url, `{"id":"b","user_id":"u"}`+"\n")
	took := time.Since(start)
	if code != http.StatusServiceUnavailable || out["reason"] != server.ReasonTimeout {
		t.Fatalf("during the stall: status %d %v, want 503 %s", code, out, server.ReasonTimeout)
	}
	// At least the timeout; at most the timeout, one shared slice of it
	// and slack for a loaded machine.
	if took < timeout || took > timeout+timeout/16+2*time.Second {
		t.Fatalf("answered after %v, want about %v", took, timeout)
	}
	st.stall.Store(false)
	st.release()
	if code, out := postEvents(t, url, `{"id":"c","user_id":"u"}`+"\n"); code != http.StatusAccepted {
		t.Fatalf("after the stall: status %d %v", code, out)
	}
}

// TestShutdownEndsStalledRequests: a request still waiting for a stalled
// disk when the shutdown's grace period ends is answered 503, instead of
// holding its handler until its own timeout.
func TestShutdownEndsStalledRequests(t *testing.T) {
	st := stalledServer(t, server.Config{RequestTimeout: time.Hour, UnreadyDelay: time.Nanosecond})
	st.stall.Store(true)
	type result struct {
		code int
		out  map[string]any
	}
	done := make(chan result, 1)
	go func() {
		resp, err := http.Post(st.url+"/v1/events", "application/x-ndjson", bytes.NewReader([]byte(`{"id":"b","user_id":"u"}`+"\n")))
		if err != nil {
			done <- result{code: -1}
			return
		}
		defer resp.Body.Close()
		var out map[string]any
		_ = json.NewDecoder(resp.Body).Decode(&out)
		done <- result{resp.StatusCode, out}
	}()
	time.Sleep(100 * time.Millisecond) // the request is waiting for its sync
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	// The shutdown cannot drain the stalled log within ctx and says so, once
	// the disk answers again.
	go func() { _ = st.shutdown(ctx) }()
	select {
	case r := <-done:
		if r.code != http.StatusServiceUnavailable {
			t.Fatalf("status %d %v, want 503", r.code, r.out)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the stalled request was not answered within 10s of the shutdown")
	}
	st.release()
}
