package bench

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptrace"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
)

// Content types of request bodies.
const (
	contentTypeJSON   = "application/json"
	contentTypeNDJSON = "application/x-ndjson"
)

// newClient returns the HTTP client of a run: one Transport tuned to keep
// one keep-alive connection per sender to each target. Proxies from the
// environment are not used: they would measure the proxy.
func newClient(cfg *Config, bodySize int) *http.Client {
	dialer := &net.Dialer{Timeout: 10 * time.Second, KeepAlive: 30 * time.Second}
	return &http.Client{
		Timeout: cfg.Timeout,
		Transport: &http.Transport{
			DialContext:         dialer.DialContext,
			MaxIdleConns:        0, // no limit
			MaxIdleConnsPerHost: cfg.Concurrency,
			MaxConnsPerHost:     0, // no limit
			IdleConnTimeout:     90 * time.Second,
			TLSHandshakeTimeout: 10 * time.Second,
			DisableCompression:  true,
			ForceAttemptHTTP2:   false,
			// Large enough to write a typical body in one call, small
			// enough for thousands of connections.
			WriteBufferSize: min(max(bodySize+512, 4<<10), 64<<10),
		},
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
}

// payload is a pooled request body shared by the attempts of one request.
//
// The transport writes a body in its own goroutine and may still be doing
// so after Do has returned (a server may answer before reading the whole
// body, a timeout may strike mid-write), so a buffer must not be reused as
// soon as Do returns. Nor can the body be a type of ours that reports its
// Close: the transport writes headers and body in one system call only
// for the standard library's in-memory readers, and a second write per
// request would cost the shared CPUs more than pooling saves. So each
// attempt sends a bytes.Reader and holds a reference that the attempt's
// httptrace WroteRequest hook, which runs once the transport is done
// writing, releases; the sender holds another. The buffer goes back to the
// pool when both are gone. An attempt whose write never started (the
// connection could not be made) never releases its reference: its buffer
// is left to the garbage collector instead of being reused, which is
// rare and safe. The transport never replays a POST whose body it cannot
// rewind (no GetBody), so an attempt writes its body at most once.
type payload struct {
	buf   []byte
	refs  atomic.Int32
	pool  *sync.Pool
	trace *httptrace.ClientTrace // releases an attempt's reference
}

// newPayloadPool returns a pool of payloads.
func newPayloadPool() *sync.Pool {
	pool := &sync.Pool{}
	pool.New = func() any {
		p := &payload{pool: pool}
		p.trace = &httptrace.ClientTrace{WroteRequest: func(httptrace.WroteRequestInfo) { p.release() }}
		return p
	}
	return pool
}

// getPayload takes a payload from pool, holding the sender's reference.
func getPayload(pool *sync.Pool) *payload {
	p := pool.Get().(*payload)
	p.buf = p.buf[:0]
	p.refs.Store(1)
	return p
}

// release drops a reference; the last one returns the payload to its pool.
func (p *payload) release() {
	if p.refs.Add(-1) == 0 {
		p.pool.Put(p)
	}
}

// attempt returns the context and body of one attempt to send the
// payload; the body's reference is released when the transport has
// written it.
func (p *payload) attempt(ctx context.Context) (context.Context, io.ReadCloser) {
	p.refs.Add(1)
	return httptrace.WithClientTrace(ctx, p.trace), io.NopCloser(bytes.NewReader(p.buf))
}

// requestHeaders are the headers of the requests of a run, built once and
// shared: the client only reads them.
type requestHeaders struct {
	json, ndjson http.Header
}

func newRequestHeaders() requestHeaders {
	return requestHeaders{
		json:   http.Header{"Content-Type": {contentTypeJSON}},
		ndjson: http.Header{"Content-Type": {contentTypeNDJSON}},
	}
}

// forEvents returns the headers of a request carrying n events.
func (h requestHeaders) forEvents(n int) http.Header {
	if n > 1 {
		return h.ndjson
	}
	return h.json
}

// outcome is the result of one attempt.
type outcome struct {
	status     int           // 0 for a transport error
	accepted   int64         // of a 202; -1 if the body did not say
	retryAfter time.Duration // -1 if the response had no usable Retry-After
	sample     string        // for an error: what the server or transport said
}

// maxResponsePeek is how much of a response body is kept for parsing.
const maxResponsePeek = 512

// post sends one attempt of the request with headers h and body p (of
// events events) to url and reads the whole response, so that the
// connection is reused. peek is scratch space of at least maxResponsePeek
// bytes.
func post(ctx context.Context, c *http.Client, url string, h http.Header, p *payload, events int, peek []byte) (outcome, error) {
	actx, body := p.attempt(ctx)
	// The body is not a type NewRequest knows, so GetBody stays nil and
	// the transport never writes it twice (see payload).
	req, err := http.NewRequestWithContext(actx, http.MethodPost, url, body)
	if err != nil {
		return outcome{}, fmt.Errorf("while building a request to %s: %w", url, err)
	}
	req.Header = h
	req.ContentLength = int64(len(p.buf))
	resp, err := c.Do(req)
	if err != nil {
		return outcome{sample: err.Error()}, fmt.Errorf("while posting %d events to %s: %w", events, url, err)
	}
	defer resp.Body.Close()
	n, _ := io.ReadFull(resp.Body, peek[:maxResponsePeek])
	_, err = io.Copy(io.Discard, resp.Body)
	if err != nil {
		return outcome{sample: err.Error()}, fmt.Errorf("while reading the response of %s: %w", url, err)
	}
	return parseResponse(resp, peek[:n]), nil
}

// parseResponse interprets a response given the start of its body.
func parseResponse(resp *http.Response, body []byte) outcome {
	o := outcome{status: resp.StatusCode, accepted: -1, retryAfter: -1}
	switch resp.StatusCode {
	case http.StatusAccepted:
		o.accepted = parseAccepted(body)
		return o
	case http.StatusTooManyRequests, http.StatusServiceUnavailable:
		o.retryAfter = parseRetryAfter(resp.Header.Get("Retry-After"), time.Now())
	}
	o.sample = errorSample(body)
	return o
}

// parseAccepted returns N of `{"accepted":N}`, or -1.
func parseAccepted(body []byte) int64 {
	const field = `"accepted"`
	i := bytes.Index(body, []byte(field))
	if i < 0 {
		return -1
	}
	rest := bytes.TrimLeft(body[i+len(field):], " \t\r\n")
	rest, ok := bytes.CutPrefix(rest, []byte(":"))
	if !ok {
		return -1
	}
	rest = bytes.TrimLeft(rest, " \t\r\n")
	end := 0
	for end < len(rest) && rest[end] >= '0' && rest[end] <= '9' {
		end++
	}
	n, err := strconv.ParseInt(string(rest[:end]), 10, 64)
	if err != nil {
		return -1
	}
	return n
}

// parseRetryAfter returns the delay of a Retry-After header (seconds or an
// HTTP date), or -1 if there is none or it does not parse.
func parseRetryAfter(v string, now time.Time) time.Duration {
	if v == "" {
		return -1
	}
	if secs, err := strconv.ParseInt(v, 10, 64); err == nil {
		if secs < 0 {
			return -1
		}
		return time.Duration(min(secs, int64(time.Hour/time.Second))) * time.Second
	}
	if t, err := http.ParseTime(v); err == nil {
		return max(t.Sub(now), 0)
	}
	return -1
}

// errorBody is the JSON error of the ingest API.
type errorBody struct {
	Reason  string `json:"reason"`
	Message string `json:"message"`
	Index   *int   `json:"index"`
}

// maxSample bounds an error sample.
const maxSample = 200

// errorSample summarises an error response body for the report.
func errorSample(body []byte) string {
	var e errorBody
	if err := json.Unmarshal(body, &e); err == nil && (e.Reason != "" || e.Message != "") {
		s := e.Reason + ": " + e.Message
		if e.Index != nil {
			s += " (event " + strconv.Itoa(*e.Index) + ")"
		}
		return truncate(s, maxSample)
	}
	return truncate(string(bytes.TrimSpace(body)), maxSample)
}

// truncate cuts s to at most n bytes, marking the cut.
func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}

// isCanceled reports whether err comes from the run's context ending
// rather than from the server or the network.
func isCanceled(ctx context.Context, err error) bool {
	return ctx.Err() != nil && (errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded))
}
