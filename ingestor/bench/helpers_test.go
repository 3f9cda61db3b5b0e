package bench

import (
	"bufio"
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"
)

// testEvent is an event as the test server decodes it.
type testEvent struct {
	ID         string          `json:"id"`
	UserID     string          `json:"user_id"`
	ActionData json.RawMessage `json:"action_data"`
}

// ingestServer is a fake ingest API that records what it receives. reject,
// if set, may answer a request instead of the default 202 and returns true
// if it did.
type ingestServer struct {
	*httptest.Server
	t      *testing.T
	reject func(w http.ResponseWriter, r *http.Request, events []testEvent) bool

	mu           sync.Mutex
	requests     int
	acked        map[string]int // acknowledged ids and how often
	attempts     map[string]int // attempts per id (first event of a request)
	batchSizes   map[int]int
	contentTypes map[string]int
	events       []testEvent
}

func newIngestServer(t *testing.T, reject func(http.ResponseWriter, *http.Request, []testEvent) bool) *ingestServer {
	t.Helper()
	s := &ingestServer{
		t:            t,
		reject:       reject,
		acked:        map[string]int{},
		attempts:     map[string]int{},
		batchSizes:   map[int]int{},
		contentTypes: map[string]int{},
	}
	s.Server = httptest.NewServer(http.HandlerFunc(s.serve))
	t.Cleanup(s.Close)
	return s
}

func (s *ingestServer) serve(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost || r.URL.Path != EventsPath {
		s.t.Errorf("unexpected request %s %s", r.Method, r.URL.Path)
		w.WriteHeader(http.StatusNotFound)
		return
	}
	events, err := decodeEvents(r)
	if err != nil {
		s.t.Errorf("bad request body: %v", err)
		w.WriteHeader(http.StatusBadRequest)
		return
	}
	s.mu.Lock()
	s.requests++
	s.attempts[events[0].ID]++
	s.mu.Unlock()
	if s.reject != nil && s.reject(w, r, events) {
		return
	}
	s.mu.Lock()
	s.batchSizes[len(events)]++
	s.contentTypes[r.Header.Get("Content-Type")]++
	for _, e := range events {
		s.acked[e.ID]++
	}
	s.events = append(s.events, events...)
	s.mu.Unlock()
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusAccepted)
	_ = json.NewEncoder(w).Encode(map[string]int{"accepted": len(events)})
}

// attemptsOf returns how many requests started with event id so far, the
// current one included.
func (s *ingestServer) attemptsOf(id string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.attempts[id]
}

// decodeEvents decodes a JSON object or NDJSON body, checking the
// Content-Type against the shape.
func decodeEvents(r *http.Request) ([]testEvent, error) {
	body, err := io.ReadAll(r.Body)
	if err != nil {
		return nil, err
	}
	var events []testEvent
	sc := bufio.NewScanner(bytes.NewReader(body))
	for sc.Scan() {
		var e testEvent
		dec := json.NewDecoder(bytes.NewReader(sc.Bytes()))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&e); err != nil {
			return nil, err
		}
		events = append(events, e)
	}
	if len(events) == 0 {
		return nil, io.ErrUnexpectedEOF
	}
	return events, nil
}

// testConfig returns a small valid configuration against target.
func testConfig(targets ...string) Config {
	return Config{
		Targets:     targets,
		Events:      200,
		Concurrency: 16,
		Batch:       1,
		Keys:        2,
		Retry:       true,
		MaxAttempts: DefaultMaxAttempts,
		Timeout:     10 * time.Second,
		Seed:        42,
		RunID:       "test",
	}
}

// readRecordFile reads a record file.
func readRecordFile(t *testing.T, path string) (RecordHeader, []RecordEntry) {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var entries []RecordEntry
	hdr, err := ReadRecord(f, func(e RecordEntry) error {
		entries = append(entries, e)
		return nil
	})
	if err != nil {
		t.Fatalf("ReadRecord: %v", err)
	}
	return hdr, entries
}

func recordPath(t *testing.T) string {
	return filepath.Join(t.TempDir(), "record.ndjson")
}
