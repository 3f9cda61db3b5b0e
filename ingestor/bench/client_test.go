package bench

import (
	"bufio"
	"context"
	"io"
	"net/http"
	"net/http/httptrace"
	"testing"
	"time"
)

func TestParseAccepted(t *testing.T) {
	for body, want := range map[string]int64{
		`{"accepted":12}`:        12,
		`{ "accepted" : 3 }`:     3,
		`{"accepted":0}`:         0,
		`{"accepted":"x"}`:       -1,
		`{"other":1}`:            -1,
		``:                       -1,
		`{"accepted"}`:           -1,
		`{"accepted":99999999}`:  99999999,
		"{\"accepted\":\n7}\n":   7,
		`{"accepted":-1}`:        -1,
		`{"accepted":1,"x":"y"}`: 1,
	} {
		if got := parseAccepted([]byte(body)); got != want {
			t.Errorf("parseAccepted(%q) = %d, want %d", body, got, want)
		}
	}
}

func TestParseRetryAfter(t *testing.T) {
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	for v, want := range map[string]time.Duration{
		"":                              -1,
		"2":                             2 * time.Second,
		"0":                             0,
		"-1":                            -1,
		"soon":                          -1,
		"99999999":                      time.Hour,
		"Fri, 02 Jan 2026 03:04:08 GMT": 3 * time.Second,
		"Fri, 02 Jan 2026 03:04:00 GMT": 0,
	} {
		if got := parseRetryAfter(v, now); got != want {
			t.Errorf("parseRetryAfter(%q) = %s, want %s", v, got, want)
		}
	}
}

func TestErrorSample(t *testing.T) {
	for body, want := range map[string]string{
		`{"reason":"too_large","message":"body over 1MiB"}`:      "too_large: body over 1MiB",
		`{"reason":"malformed","message":"bad json","index":17}`: "malformed: bad json (event 17)",
		"  plain text\n": "plain text",
	} {
		if got := errorSample([]byte(body)); got != want {
			t.Errorf("errorSample(%q) = %q, want %q", body, got, want)
		}
	}
	if got := truncate("abcdef", 3); got != "abc…" {
		t.Errorf("truncate = %q", got)
	}
}

func TestPayloadReturnsToThePoolAfterEveryRelease(t *testing.T) {
	pool := newPayloadPool()
	p := getPayload(pool)
	p.buf = append(p.buf, "hello"...)
	ctx1, b1 := p.attempt(context.Background())
	_, b2 := p.attempt(context.Background())
	if got, _ := io.ReadAll(b1); string(got) != "hello" {
		t.Errorf("body = %q", got)
	}
	p.release() // the sender is done
	httptrace.ContextClientTrace(ctx1).WroteRequest(httptrace.WroteRequestInfo{})
	if p.refs.Load() != 1 {
		t.Fatalf("refs = %d after the sender and one attempt released, want 1", p.refs.Load())
	}
	if got, _ := io.ReadAll(b2); string(got) != "hello" {
		t.Errorf("second body = %q", got)
	}
	p.trace.WroteRequest(httptrace.WroteRequestInfo{})
	if p.refs.Load() != 0 {
		t.Errorf("refs = %d, want 0", p.refs.Load())
	}
}

func TestRequestsWriteHeadersAndBodyTogether(t *testing.T) {
	req, err := http.NewRequest(http.MethodPost, "http://x/", nil)
	if err != nil {
		t.Fatal(err)
	}
	p := getPayload(newPayloadPool())
	p.buf = append(p.buf, "hello"...)
	_, body := p.attempt(context.Background())
	req.Body, req.ContentLength = body, 5
	var w countingWriter
	bw := bufio.NewWriter(&w)
	if err := req.Write(bw); err != nil {
		t.Fatal(err)
	}
	bw.Flush()
	if w.writes != 1 {
		t.Errorf("request written in %d writes, want 1 (an in-memory body)", w.writes)
	}
}

type countingWriter struct{ writes int }

func (w *countingWriter) Write(b []byte) (int, error) {
	w.writes++
	return len(b), nil
}

func TestClientTransportIsTunedForManyConnections(t *testing.T) {
	cfg := testConfig("http://x")
	cfg.Concurrency = 3000
	c := newClient(&cfg, 100)
	tr := c.Transport.(*http.Transport)
	if tr.MaxIdleConnsPerHost < 3000 || tr.MaxConnsPerHost != 0 || !tr.DisableCompression || tr.ForceAttemptHTTP2 ||
		tr.Proxy != nil || c.Timeout != cfg.Timeout {
		t.Errorf("transport = %+v", tr)
	}
}

func TestPayloadsAreReusedAcrossRequests(t *testing.T) {
	srv := newIngestServer(t, nil)
	cfg := testConfig(srv.URL)
	client := newClient(&cfg, 100)
	defer client.CloseIdleConnections()
	pool := newPayloadPool()
	created := 0
	newPayload := pool.New
	pool.New = func() any { created++; return newPayload() }
	gen := newGenerator("r", 1, 2)
	headers := newRequestHeaders()
	var peek [maxResponsePeek]byte
	const requests = 200
	for n := range int64(requests) {
		p := getPayload(pool)
		p.buf = gen.appendBody(p.buf, n, n+1)
		o, err := post(context.Background(), client, srv.URL+EventsPath, headers.forEvents(1), p, 1, peek[:])
		if err != nil || o.status != http.StatusAccepted || o.accepted != 1 {
			t.Fatalf("post: %+v, %v", o, err)
		}
		p.release()
	}
	// sync.Pool drops items at GCs and, with the race detector, a quarter
	// of all Puts at random, hence the slack.
	if created > requests/2 {
		t.Errorf("%d payloads were created for %d sequential requests, want them reused", created, requests)
	}
	t.Logf("%d payloads for %d requests", created, requests)
}
