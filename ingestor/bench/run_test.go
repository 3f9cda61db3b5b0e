package bench

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

func TestRunAcknowledgesAndRecordsEveryEventOnce(t *testing.T) {
	for _, batch := range []int{1, 7} {
		t.Run(fmt.Sprintf("batch=%d", batch), func(t *testing.T) {
			srv := newIngestServer(t, nil)
			cfg := testConfig(srv.URL)
			cfg.Events, cfg.Batch, cfg.Record = 500, batch, recordPath(t)
			res, err := Run(context.Background(), cfg, io.Discard)
			if err != nil {
				t.Fatalf("Run: %v", err)
			}
			if res.Sent != 500 || res.Acked != 500 || res.Failed != 0 || res.Retries != 0 || len(res.Errors) != 0 {
				t.Errorf("result = %+v, want 500 sent and acknowledged, no errors", res)
			}
			wantRequests := int64((500 + batch - 1) / batch)
			if res.Requests != wantRequests || res.Latency.Count != wantRequests {
				t.Errorf("requests = %d, latency count = %d, want %d", res.Requests, res.Latency.Count, wantRequests)
			}
			if len(srv.acked) != 500 {
				t.Errorf("server got %d distinct ids, want 500", len(srv.acked))
			}
			for id, n := range srv.acked {
				if n != 1 {
					t.Errorf("server got id %s %d times", id, n)
				}
			}
			checkRecord(t, cfg, srv.acked)
		})
	}
}

// checkRecord checks that cfg's record file holds exactly the ids acked.
func checkRecord(t *testing.T, cfg Config, acked map[string]int) {
	t.Helper()
	hdr, entries := readRecordFile(t, cfg.Record)
	if hdr.RunID != cfg.RunID || hdr.Events != cfg.Events || hdr.Batch != cfg.Batch || hdr.Keys != cfg.Keys ||
		hdr.Seed != cfg.Seed || hdr.Started.IsZero() {
		t.Errorf("record header = %+v, does not match the configuration %+v", hdr, cfg)
	}
	if len(entries) != len(acked) {
		t.Errorf("record has %d entries, want %d", len(entries), len(acked))
	}
	seen := map[string]bool{}
	for _, e := range entries {
		if seen[e.ID] {
			t.Errorf("record has id %s twice", e.ID)
		}
		seen[e.ID] = true
		if acked[e.ID] == 0 {
			t.Errorf("record has id %s, which the server never acknowledged", e.ID)
		}
		if !strings.HasPrefix(e.ID, cfg.RunID+"-") || (e.Key != "1" && e.Key != "2") {
			t.Errorf("record entry %+v: want id prefix %s- and key 1 or 2", e, cfg.RunID)
		}
		if e.Sent <= 0 || e.Acked < e.Sent {
			t.Errorf("record entry %+v: want 0 < sent <= acked", e)
		}
	}
}

func TestRunRecordsTheServersKeys(t *testing.T) {
	srv := newIngestServer(t, nil)
	cfg := testConfig(srv.URL)
	cfg.Keys, cfg.Record = 5, recordPath(t)
	if _, err := Run(context.Background(), cfg, io.Discard); err != nil {
		t.Fatal(err)
	}
	users := map[string]string{}
	for _, e := range srv.events {
		users[e.ID] = e.UserID
	}
	_, entries := readRecordFile(t, cfg.Record)
	for _, e := range entries {
		if users[e.ID] != e.Key {
			t.Errorf("record says %s has key %q, the server got user_id %q", e.ID, e.Key, users[e.ID])
		}
	}
}

func TestRunSendsNDJSONBatches(t *testing.T) {
	srv := newIngestServer(t, nil)
	cfg := testConfig(srv.URL)
	cfg.Events, cfg.Batch = 95, 10
	var out bytes.Buffer
	res, err := Run(context.Background(), cfg, &out)
	if err != nil {
		t.Fatal(err)
	}
	if res.Senders != 10 || !strings.Contains(out.String(), "concurrency 16 (10 senders, one per request)") {
		t.Errorf("senders = %d, report:\n%s", res.Senders, out.String())
	}
	if srv.batchSizes[10] != 9 || srv.batchSizes[5] != 1 || len(srv.batchSizes) != 2 {
		t.Errorf("batch sizes = %v, want 9 of 10 and 1 of 5", srv.batchSizes)
	}
	if srv.contentTypes[contentTypeNDJSON] != 10 {
		t.Errorf("content types = %v, want 10 × %s", srv.contentTypes, contentTypeNDJSON)
	}
}

func TestRunSendsSingleEventsAsJSON(t *testing.T) {
	srv := newIngestServer(t, nil)
	cfg := testConfig(srv.URL)
	if _, err := Run(context.Background(), cfg, io.Discard); err != nil {
		t.Fatal(err)
	}
	if srv.contentTypes[contentTypeJSON] != cfg.Events || srv.batchSizes[1] != cfg.Events {
		t.Errorf("content types = %v, batch sizes %v, want %d single JSON events", srv.contentTypes, srv.batchSizes, cfg.Events)
	}
}

func TestRunRetriesAfterRetryAfter(t *testing.T) {
	var srv *ingestServer
	srv = newIngestServer(t, func(w http.ResponseWriter, r *http.Request, events []testEvent) bool {
		if srv.attemptsOf(events[0].ID) > 1 {
			return false
		}
		w.Header().Set("Retry-After", "1")
		w.WriteHeader(http.StatusTooManyRequests)
		_, _ = io.WriteString(w, `{"reason":"backpressure","message":"backlog is full"}`)
		return true
	})
	cfg := testConfig(srv.URL)
	cfg.Events, cfg.Record = 20, recordPath(t)
	start := time.Now()
	res, err := Run(context.Background(), cfg, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if took := time.Since(start); took < time.Second {
		t.Errorf("run took %s, less than the Retry-After of 1s", took)
	}
	if res.Acked != 20 || res.Requests != 40 || res.Retries != 20 || res.Errors["429"] != 20 {
		t.Errorf("result = %+v, want 20 acknowledged in 40 requests with 20 retries after 429", res)
	}
	if s := res.ErrorSamples["429"]; s != "backpressure: backlog is full" {
		t.Errorf("429 sample = %q", s)
	}
	_, entries := readRecordFile(t, cfg.Record)
	for _, e := range entries {
		if time.Duration(e.Acked-e.Sent) < time.Second {
			t.Errorf("entry %+v: sent should be the first attempt's (a failed attempt may have stored the events), not the successful one's", e)
		}
	}
	checkRecord(t, cfg, srv.acked)
}

func TestRunRetriesConnectionErrors(t *testing.T) {
	var srv *ingestServer
	srv = newIngestServer(t, func(w http.ResponseWriter, r *http.Request, events []testEvent) bool {
		if srv.attemptsOf(events[0].ID) > 1 {
			return false
		}
		conn, _, err := http.NewResponseController(w).Hijack()
		if err != nil {
			t.Errorf("hijack: %v", err)
			return false
		}
		conn.Close()
		return true
	})
	cfg := testConfig(srv.URL)
	cfg.Events = 10
	res, err := Run(context.Background(), cfg, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if res.Acked != 10 || res.Errors[ErrorConn] != 10 || res.Retries != 10 {
		t.Errorf("result = %+v, want 10 acknowledged after 10 connection errors", res)
	}
}

func TestRunDoesNotRetry400(t *testing.T) {
	srv := newIngestServer(t, func(w http.ResponseWriter, r *http.Request, events []testEvent) bool {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusBadRequest)
		_, _ = io.WriteString(w, `{"reason":"malformed","message":"no key","index":0}`)
		return true
	})
	cfg := testConfig(srv.URL)
	cfg.Events, cfg.Record = 30, recordPath(t)
	res, err := Run(context.Background(), cfg, io.Discard)
	if !errors.Is(err, ErrNotAcknowledged) {
		t.Errorf("Run error = %v, want ErrNotAcknowledged", err)
	}
	if res.Requests != 30 || res.Retries != 0 || res.Errors["400"] != 30 || res.Failed != 30 || res.Acked != 0 {
		t.Errorf("result = %+v, want 30 requests, each a 400 given up", res)
	}
	if s := res.ErrorSamples["400"]; s != "malformed: no key (event 0)" {
		t.Errorf("400 sample = %q", s)
	}
	if _, entries := readRecordFile(t, cfg.Record); len(entries) != 0 {
		t.Errorf("record has %d entries, want none", len(entries))
	}
}

func TestRunGivesUpAfterMaxAttempts(t *testing.T) {
	srv := newIngestServer(t, func(w http.ResponseWriter, r *http.Request, events []testEvent) bool {
		w.WriteHeader(http.StatusServiceUnavailable) // no Retry-After: backoff
		return true
	})
	cfg := testConfig(srv.URL)
	cfg.Events, cfg.MaxAttempts = 4, 3
	res, err := Run(context.Background(), cfg, io.Discard)
	if !errors.Is(err, ErrNotAcknowledged) {
		t.Errorf("Run error = %v, want ErrNotAcknowledged", err)
	}
	if res.Requests != 12 || res.Retries != 8 || res.Errors["503"] != 12 || res.Failed != 4 {
		t.Errorf("result = %+v, want 3 attempts for each of 4 events", res)
	}
}

func TestRunWithoutRetry(t *testing.T) {
	srv := newIngestServer(t, func(w http.ResponseWriter, r *http.Request, events []testEvent) bool {
		w.Header().Set("Retry-After", "1")
		w.WriteHeader(http.StatusTooManyRequests)
		return true
	})
	cfg := testConfig(srv.URL)
	cfg.Events, cfg.Retry = 5, false
	res, _ := Run(context.Background(), cfg, io.Discard)
	if res.Requests != 5 || res.Retries != 0 || res.Failed != 5 {
		t.Errorf("result = %+v, want 5 requests and no retry", res)
	}
}

func TestRunCountsBadAcknowledgements(t *testing.T) {
	srv := newIngestServer(t, func(w http.ResponseWriter, r *http.Request, events []testEvent) bool {
		w.WriteHeader(http.StatusAccepted)
		_, _ = io.WriteString(w, `{"accepted":0}`)
		return true
	})
	cfg := testConfig(srv.URL)
	cfg.Events, cfg.Batch = 10, 5
	res, _ := Run(context.Background(), cfg, io.Discard)
	if res.Acked != 0 || res.Errors[ErrorBadAck] != 2 || res.Failed != 10 {
		t.Errorf("result = %+v, want 2 bad acknowledgements and nothing acknowledged", res)
	}
}

func TestRunSpreadsRequestsOverTargets(t *testing.T) {
	a, b := newIngestServer(t, nil), newIngestServer(t, nil)
	cfg := testConfig(a.URL, b.URL+"/")
	cfg.Events = 100
	if _, err := Run(context.Background(), cfg, io.Discard); err != nil {
		t.Fatal(err)
	}
	if a.requests != 50 || b.requests != 50 {
		t.Errorf("requests = %d and %d, want 50 each", a.requests, b.requests)
	}
}

func TestRunForADuration(t *testing.T) {
	url, stop := StartBareServer()
	defer stop()
	cfg := testConfig(url)
	cfg.Duration, cfg.Events, cfg.Concurrency, cfg.Record = 300*time.Millisecond, 0, 4, recordPath(t)
	start := time.Now()
	res, err := Run(context.Background(), cfg, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if took := time.Since(start); took < 300*time.Millisecond || took > 5*time.Second {
		t.Errorf("run took %s, want about 300ms", took)
	}
	if res.Acked == 0 || res.Acked != res.Sent || res.Events != 0 {
		t.Errorf("result = %+v, want some events, all acknowledged", res)
	}
	hdr, entries := readRecordFile(t, cfg.Record)
	if hdr.Events != 0 || int64(len(entries)) != res.Acked {
		t.Errorf("record header %+v with %d entries, want events 0 and %d entries", hdr, len(entries), res.Acked)
	}
}

func TestRunStopsWithTheContext(t *testing.T) {
	var calls atomic.Int64
	srv := newIngestServer(t, func(w http.ResponseWriter, r *http.Request, events []testEvent) bool {
		calls.Add(1)
		w.Header().Set("Retry-After", "60")
		w.WriteHeader(http.StatusServiceUnavailable)
		return true
	})
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	cfg := testConfig(srv.URL)
	start := time.Now()
	res, err := Run(ctx, cfg, io.Discard)
	if err == nil || !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Run error = %v, want the context's", err)
	}
	if took := time.Since(start); took > 5*time.Second {
		t.Errorf("run took %s after the context ended", took)
	}
	if res.Acked != 0 || res.Failed != 0 || calls.Load() == 0 {
		t.Errorf("result = %+v, want nothing acknowledged or given up", res)
	}
}

func TestRunRejectsAnInvalidConfig(t *testing.T) {
	cfg := testConfig("ftp://x")
	if _, err := Run(context.Background(), cfg, io.Discard); err == nil || !strings.Contains(err.Error(), "--target") {
		t.Errorf("Run error = %v, want one about --target", err)
	}
}

func TestRunFailsOnAnUnwritableRecord(t *testing.T) {
	srv := newIngestServer(t, nil)
	cfg := testConfig(srv.URL)
	cfg.Record = t.TempDir() + "/missing/record.ndjson"
	if _, err := Run(context.Background(), cfg, io.Discard); err == nil || !strings.Contains(err.Error(), "record file") {
		t.Errorf("Run error = %v, want one about the record file", err)
	}
	if srv.requests != 0 {
		t.Errorf("%d requests were sent before the record file failed", srv.requests)
	}
}

func TestRunWithBaseline(t *testing.T) {
	srv := newIngestServer(t, nil)
	cfg := testConfig(srv.URL)
	cfg.Baseline, cfg.Record = true, recordPath(t)
	var out bytes.Buffer
	res, err := Run(context.Background(), cfg, &out)
	if err != nil {
		t.Fatal(err)
	}
	if res.Baseline == nil || res.Baseline.Acked != int64(cfg.Events) || res.Acked != int64(cfg.Events) {
		t.Fatalf("result = %+v, want both runs to acknowledge every event", res)
	}
	if res.Baseline.Targets[0] == srv.URL || res.Baseline.Record != "" {
		t.Errorf("baseline ran against %v, recording %q", res.Baseline.Targets, res.Baseline.Record)
	}
	if _, entries := readRecordFile(t, cfg.Record); len(entries) != cfg.Events {
		t.Errorf("record has %d entries, want only the real run's %d", len(entries), cfg.Events)
	}
	for _, want := range []string{"bench run test", "baseline:", "bare net/http", "events/s", "p99", "ratio"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("report lacks %q:\n%s", want, out.String())
		}
	}
}
