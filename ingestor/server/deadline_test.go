package server_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
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

// stalled is a server of one partition, serving on loopback, whose logs
// live on an in-memory file system. While stall is set, every write to a
// log segment (a group commit's) blocks until release is called, as on a
// disk that stopped answering, and blocked receives a value each time one
// starts to block. Nothing else writes to a segment here: the preallocator
// makes spare segments without writing them, and the checkpoint is a file
// of its own.
type stalled struct {
	url      string
	stall    atomic.Bool
	blocked  chan struct{}
	release  func()
	shutdown func(context.Context) error
}

func stalledServer(t *testing.T, cfg server.Config) *stalled {
	t.Helper()
	st := &stalled{blocked: make(chan struct{}, 16)}
	fs := walfs.NewMem()
	released := make(chan struct{})
	st.release = sync.OnceFunc(func() { close(released) })
	fs.SetFault(func(op walfs.Op, name string) error {
		if op == walfs.OpWrite && strings.HasSuffix(name, ".seg") && st.stall.Load() {
			select {
			case st.blocked <- struct{}{}:
			default:
			}
			<-released
		}
		return nil
	})
	lg := slog.New(slog.DiscardHandler)
	part, err := partition.New(partition.Config{Dir: "/wal", Shards: 1, WAL: wal.Config{SegmentBytes: 1 << 20, MaxRecordBytes: 64 << 10}},
		partition.Options{Sink: sink.NewLog(io.Discard), FS: fs, Logger: lg})
	if err != nil {
		t.Fatal(err)
	}
	parser, err := event.NewParser(event.Config{KeyField: "user_id"})
	if err != nil {
		t.Fatal(err)
	}
	cfg.UnreadyDelay = time.Nanosecond
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
	l, err := (&net.ListenConfig{}).Listen(context.Background(), "tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(l) }()
	st.url = "http://" + l.Addr().String()
	var once sync.Once // a test's own shutdown replaces the cleanup's
	st.shutdown = func(ctx context.Context) (err error) {
		once.Do(func() { err = srv.Shutdown(ctx) })
		return err
	}
	t.Cleanup(func() {
		st.release()
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := st.shutdown(ctx); err != nil {
			t.Errorf("Shutdown: %v", err)
		}
		if err := <-served; err != nil {
			t.Errorf("Serve: %v", err)
		}
	})
	return st
}

// waitBlocked waits until a group commit blocks on the stalled disk.
func (st *stalled) waitBlocked(t *testing.T) {
	t.Helper()
	select {
	case <-st.blocked:
	case <-time.After(10 * time.Second):
		t.Fatal("no sync blocked within 10s")
	}
}

// TestRequestTimeoutAnswers503WhileTheDiskStalls: a request whose log
// cannot sync is answered 503 timeout after about RequestTimeout, not
// before it and not much after it, and requests succeed again once the disk
// answers.
func TestRequestTimeoutAnswers503WhileTheDiskStalls(t *testing.T) {
	const timeout = 400 * time.Millisecond
	st := stalledServer(t, server.Config{RequestTimeout: timeout})
	if r := post(t, st.url, "application/x-ndjson", "", []byte(`{"id":"a","user_id":"u"}`+"\n")); r.status != http.StatusAccepted {
		t.Fatalf("before the stall: status %d %v", r.status, r.body)
	}
	st.stall.Store(true)
	start := time.Now()
	r := post(t, st.url, "application/x-ndjson", "", []byte(`{"id":"b","user_id":"u"}`+"\n"))
	took := time.Since(start)
	if r.status != http.StatusServiceUnavailable || r.body["reason"] != server.ReasonTimeout || r.retryAfter == "" {
		t.Fatalf("during the stall: status %d %v (Retry-After %q), want 503 %s with Retry-After", r.status, r.body, r.retryAfter, server.ReasonTimeout)
	}
	// At least the timeout; at most the timeout, one shared slice of it
	// and slack for a loaded machine.
	if took < timeout || took > timeout+timeout/16+2*time.Second {
		t.Fatalf("answered after %v, want about %v", took, timeout)
	}
	st.stall.Store(false)
	st.release()
	if r := post(t, st.url, "application/x-ndjson", "", []byte(`{"id":"c","user_id":"u"}`+"\n")); r.status != http.StatusAccepted {
		t.Fatalf("after the stall: status %d %v", r.status, r.body)
	}
}

// TestShutdownEndsStalledRequests: a request still waiting for a stalled
// disk when the shutdown's grace period ends is answered 503 then, instead
// of holding its handler until its own timeout (an hour here, and a
// forwarding peer's timeout for forwarded records).
func TestShutdownEndsStalledRequests(t *testing.T) {
	forwarded := server.EncodeRecords([]wal.Record{{
		Epoch: 1, Slot: ring.Slot([]byte("u")), ID: "b", Key: []byte("u"), Data: []byte(`{"id":"b","user_id":"u"}`),
	}})
	for _, c := range []struct {
		name, path, contentType string
		header                  http.Header
		body                    []byte
	}{
		{"ingest request", "/v1/events", "application/x-ndjson", nil, []byte(`{"id":"b","user_id":"u"}` + "\n")},
		{"forwarded records", server.InternalRecordsPath, server.RecordsContentType,
			http.Header{server.RingHeader: {`{"epoch":1,"partitions":1,"phase":"Stable"}`}}, forwarded},
	} {
		t.Run(c.name, func(t *testing.T) {
			testShutdownEndsStalledRequest(t, c.path, c.contentType, c.header, c.body)
		})
	}
}

func testShutdownEndsStalledRequest(t *testing.T, path, contentType string, header http.Header, body []byte) {
	st := stalledServer(t, server.Config{RequestTimeout: time.Hour})
	st.stall.Store(true)
	type result struct {
		code int
		body map[string]any
		err  error
	}
	done := make(chan result, 1)
	go func() {
		req, err := http.NewRequestWithContext(context.Background(), http.MethodPost, st.url+path, bytes.NewReader(body))
		if err != nil {
			done <- result{err: err}
			return
		}
		req.Header = header.Clone()
		if req.Header == nil {
			req.Header = http.Header{}
		}
		req.Header.Set("Content-Type", contentType)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			done <- result{err: err}
			return
		}
		defer func() { _ = resp.Body.Close() }()
		var out map[string]any
		err = json.NewDecoder(resp.Body).Decode(&out)
		done <- result{resp.StatusCode, out, err}
	}()
	st.waitBlocked(t) // the request's group commit
	const grace = 300 * time.Millisecond
	ctx, cancel := context.WithTimeout(context.Background(), grace)
	defer cancel()
	start := time.Now()
	shut := make(chan error, 1)
	go func() { shut <- st.shutdown(ctx) }()
	select {
	case r := <-done:
		if r.err != nil {
			t.Fatal(r.err)
		}
		msg, _ := r.body["message"].(string)
		if r.code != http.StatusServiceUnavailable || !strings.Contains(msg, "group commit") {
			t.Fatalf("status %d %v, want 503 while waiting for the group commit", r.code, r.body)
		}
		if took := time.Since(start); took < grace {
			t.Fatalf("answered %v into a shutdown with a grace period of %v: the grace period was not given", took, grace)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the stalled request was not answered within 10s of the shutdown")
	}
	st.release()
	// The partition could not drain the stalled log within the grace
	// period, and says so.
	if err := <-shut; !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Shutdown = %v, want the grace period's deadline", err)
	}
}
