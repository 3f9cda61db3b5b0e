package fastpath

import (
	"bufio"
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

// testServer is a fast-path server on loopback whose handlers say which
// path served a request. The fast handler acts on the request's
// Content-Type: "echo" (the default) answers 202 with the body's length,
// "skip" answers 413 without reading the body, "block" waits for release,
// "panic" panics, "headers" answers 429 with extra headers.
type testServer struct {
	srv      *Server
	addr     string
	fast     atomic.Int64 // requests served on the fast path
	fallback atomic.Int64 // requests served by net/http
	entered  chan struct{}
	release  chan struct{}
	served   chan error
}

func startServer(t *testing.T, tune func(*http.Server)) *testServer {
	t.Helper()
	ts := &testServer{entered: make(chan struct{}, 16), release: make(chan struct{}), served: make(chan error, 1)}
	fast := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ts.fast.Add(1)
		switch r.Header.Get("Content-Type") {
		case "skip":
			w.WriteHeader(http.StatusRequestEntityTooLarge)
			return
		case "block":
			ts.entered <- struct{}{}
			<-ts.release
		case "panic":
			panic("handler panics")
		case "hash":
			h := sha256.New()
			n, _ := io.Copy(h, r.Body)
			fmt.Fprintf(w, "%d %x", n, h.Sum(nil))
			return
		case "headers":
			w.Header().Set("Retry-After", "1")
			w.Header().Set("X-Broken", "a\r\nb")
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusTooManyRequests)
			_, _ = io.WriteString(w, `{"reason":"backpressure"}`)
			return
		}
		n, err := io.Copy(io.Discard, r.Body)
		if err != nil {
			w.WriteHeader(http.StatusBadRequest)
			return
		}
		w.Header().Set("Content-Type", "text/plain")
		w.WriteHeader(http.StatusAccepted)
		fmt.Fprintf(w, "fast %d %s %s %s", n, r.Host, r.Header.Get("Content-Encoding"), r.URL.Path)
	})
	mux := http.NewServeMux()
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		ts.fallback.Add(1)
		if r.Header.Get("Content-Type") == "hash" {
			h := sha256.New()
			n, _ := io.Copy(h, r.Body)
			fmt.Fprintf(w, "fallback %d %x", n, h.Sum(nil))
			return
		}
		n, _ := io.Copy(io.Discard, r.Body)
		fmt.Fprintf(w, "fallback %s %s %d %s", r.Method, r.URL.RequestURI(), n, r.Proto)
	})
	protocols := new(http.Protocols)
	protocols.SetHTTP1(true)
	protocols.SetUnencryptedHTTP2(true)
	fallback := &http.Server{Handler: mux, Protocols: protocols, ReadHeaderTimeout: 10 * time.Second, IdleTimeout: time.Minute}
	if tune != nil {
		tune(fallback)
	}
	srv, err := New(Config{Method: http.MethodPost, Path: "/v1/events", Handler: fast, Fallback: fallback,
		Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ts.srv, ts.addr = srv, l.Addr().String()
	go func() { ts.served <- srv.Serve(l) }()
	t.Cleanup(func() {
		select {
		case <-ts.release:
		default:
			close(ts.release)
		}
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = srv.Shutdown(ctx)
	})
	return ts
}

// rawConn is a client connection that writes raw requests and reads
// responses.
type rawConn struct {
	t  *testing.T
	c  net.Conn
	br *bufio.Reader
}

func (ts *testServer) dial(t *testing.T) *rawConn {
	t.Helper()
	c, err := net.Dial("tcp", ts.addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Close() })
	_ = c.SetDeadline(time.Now().Add(10 * time.Second))
	return &rawConn{t: t, c: c, br: bufio.NewReader(c)}
}

func (rc *rawConn) send(s string) {
	rc.t.Helper()
	if _, err := io.WriteString(rc.c, s); err != nil {
		rc.t.Fatal(err)
	}
}

// reply is a response read whole.
type reply struct {
	StatusCode    int
	Status        string
	Header        http.Header
	ContentLength int64
	Close         bool
}

// response reads one response and returns it with its body.
func (rc *rawConn) response() (reply, string) {
	rc.t.Helper()
	resp, err := http.ReadResponse(rc.br, nil)
	if err != nil {
		rc.t.Fatalf("reading a response: %v", err)
	}
	defer func() { _ = resp.Body.Close() }()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		rc.t.Fatalf("reading a response body: %v", err)
	}
	return reply{resp.StatusCode, resp.Status, resp.Header, resp.ContentLength, resp.Close}, string(body)
}

// closed reports whether the server closed the connection (within 5 s).
func (rc *rawConn) closed() bool {
	_ = rc.c.SetReadDeadline(time.Now().Add(5 * time.Second))
	_, err := rc.br.ReadByte()
	return errors.Is(err, io.EOF) || errors.Is(err, net.ErrClosed) || isReset(err)
}

func isReset(err error) bool {
	return err != nil && strings.Contains(err.Error(), "connection reset")
}

func post(body string, headers ...string) string {
	var b strings.Builder
	b.WriteString("POST /v1/events HTTP/1.1\r\nHost: ingest\r\nContent-Length: " + strconv.Itoa(len(body)) + "\r\n")
	for _, h := range headers {
		b.WriteString(h + "\r\n")
	}
	b.WriteString("\r\n" + body)
	return b.String()
}

func TestServesKeepAliveRequestsOnTheFastPath(t *testing.T) {
	ts := startServer(t, nil)
	rc := ts.dial(t)
	for i, body := range []string{"a", "", strings.Repeat("x", 9000), strings.Repeat("y", 100<<10), "z"} {
		rc.send(post(body, "Content-Type: echo", "Content-Encoding: gzip", "User-Agent: test"))
		resp, got := rc.response()
		if want := fmt.Sprintf("fast %d ingest gzip /v1/events", len(body)); resp.StatusCode != http.StatusAccepted || got != want {
			t.Fatalf("request %d: %d %q, want 202 %q", i, resp.StatusCode, got, want)
		}
		if resp.ContentLength != int64(len(got)) || resp.Header.Get("Content-Type") != "text/plain" || resp.Close {
			t.Fatalf("request %d: length %d, type %q, close %v", i, resp.ContentLength, resp.Header.Get("Content-Type"), resp.Close)
		}
		if _, err := http.ParseTime(resp.Header.Get("Date")); err != nil {
			t.Fatalf("request %d: Date %q: %v", i, resp.Header.Get("Date"), err)
		}
	}
	if ts.fast.Load() != 5 || ts.fallback.Load() != 0 {
		t.Fatalf("fast %d, fallback %d; want 5 and 0", ts.fast.Load(), ts.fallback.Load())
	}
}

func TestServesAStandardClient(t *testing.T) {
	ts := startServer(t, nil)
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 4}}
	defer client.CloseIdleConnections()
	for i := range 20 {
		body := strings.Repeat("e", i*1000)
		resp, err := client.Post("http://"+ts.addr+"/v1/events", "application/x-ndjson", strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		got, _ := io.ReadAll(resp.Body)
		_ = resp.Body.Close()
		if want := fmt.Sprintf("fast %d %s  /v1/events", len(body), ts.addr); resp.StatusCode != http.StatusAccepted || string(got) != want {
			t.Fatalf("request %d: %d %q, want 202 %q", i, resp.StatusCode, got, want)
		}
	}
	if ts.fast.Load() != 20 {
		t.Fatalf("fast path served %d of 20 requests", ts.fast.Load())
	}
}

// TestHandsOverWhatItDoesNotServe sends requests the fast path leaves to
// net/http as the first request of a connection, and as the second after
// one served on the fast path: net/http answers each, and the rest of the
// connection.
func TestHandsOverWhatItDoesNotServe(t *testing.T) {
	cases := map[string]struct{ req, want string }{
		"another path":        {"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n", "fallback GET /healthz 0 HTTP/1.1"},
		"a query":             {"POST /v1/events?ack=buffered HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\nab", "fallback POST /v1/events?ack=buffered 2 HTTP/1.1"},
		"HTTP/1.0 keep-alive": {"POST /v1/events HTTP/1.0\r\nHost: x\r\nConnection: keep-alive\r\nContent-Length: 2\r\n\r\nab", "fallback POST /v1/events 2 HTTP/1.0"},
		"chunked":             {"POST /v1/events HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n", "fallback POST /v1/events 3 HTTP/1.1"},
		"expect":              {"POST /v1/events HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nContent-Length: 2\r\n\r\nab", "fallback POST /v1/events 2 HTTP/1.1"},
		"huge header":         {"POST /v1/events HTTP/1.1\r\nHost: x\r\nX-Big: " + strings.Repeat("b", 40<<10) + "\r\nContent-Length: 2\r\n\r\nab", "fallback POST /v1/events 2 HTTP/1.1"},
	}
	for name, tc := range cases {
		for _, after := range []bool{false, true} {
			t.Run(fmt.Sprintf("%s/after a fast request %v", name, after), func(t *testing.T) {
				ts := startServer(t, nil)
				rc := ts.dial(t)
				if after {
					rc.send(post("abc"))
					if _, got := rc.response(); got != "fast 3 ingest  /v1/events" {
						t.Fatalf("first request: %q", got)
					}
				}
				rc.send(tc.req)
				resp, got := rc.response()
				if strings.HasPrefix(tc.req, "POST /v1/events HTTP/1.1\r\nHost: x\r\nExpect") && resp.StatusCode == http.StatusContinue {
					resp, got = rc.response()
				}
				if resp.StatusCode != http.StatusOK || got != tc.want {
					t.Fatalf("%d %q, want 200 %q", resp.StatusCode, got, tc.want)
				}
				if resp.Close {
					return // HTTP/1.0 without keep-alive support in the reply
				}
				// net/http serves the connection from here, fast-path shapes included.
				rc.send(post("abcd"))
				if _, got := rc.response(); got != "fallback POST /v1/events 4 HTTP/1.1" {
					t.Fatalf("next request: %q", got)
				}
				if f := ts.fast.Load(); f != int64(boolInt(after)) {
					t.Fatalf("fast path served %d requests", f)
				}
			})
		}
	}
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

func TestBadRequestsGetNetHTTPsAnswers(t *testing.T) {
	for name, req := range map[string]string{
		"no Host":            "POST /v1/events HTTP/1.1\r\nContent-Length: 2\r\n\r\nab",
		"two lengths":        "POST /v1/events HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\nContent-Length: 3\r\n\r\nab",
		"invalid header":     "POST /v1/events HTTP/1.1\r\nHost: x\r\nX-A: a\x01\r\nContent-Length: 2\r\n\r\nab",
		"malformed host":     "POST /v1/events HTTP/1.1\r\nHost: a b\r\nContent-Length: 2\r\n\r\nab",
		"not a request line": "HELLO, THIS IS NOT HTTP AT ALL\r\n\r\n", // longer than the h2c preface net/http peeks for
	} {
		t.Run(name, func(t *testing.T) {
			ts := startServer(t, nil)
			rc := ts.dial(t)
			rc.send(req)
			if resp, _ := rc.response(); resp.StatusCode != http.StatusBadRequest {
				t.Fatalf("status %d, want 400 from net/http", resp.StatusCode)
			}
			if ts.fast.Load() != 0 {
				t.Fatal("the fast path served a bad request")
			}
		})
	}
}

func TestHandsH2CToNetHTTP(t *testing.T) {
	ts := startServer(t, nil)
	protocols := new(http.Protocols)
	protocols.SetUnencryptedHTTP2(true)
	client := &http.Client{Transport: &http.Transport{Protocols: protocols}}
	defer client.CloseIdleConnections()
	for range 3 {
		resp, err := client.Post("http://"+ts.addr+"/v1/events", "application/json", strings.NewReader(`{"a":1}`))
		if err != nil {
			t.Fatal(err)
		}
		got, _ := io.ReadAll(resp.Body)
		_ = resp.Body.Close()
		if resp.ProtoMajor != 2 || string(got) != "fallback POST /v1/events 7 HTTP/2.0" {
			t.Fatalf("%s %q, want an HTTP/2 answer from net/http", resp.Proto, got)
		}
	}
}

func TestPipelinedRequests(t *testing.T) {
	ts := startServer(t, nil)
	rc := ts.dial(t)
	rc.send(post("one") + post("three") + "GET /x HTTP/1.1\r\nHost: x\r\n\r\n")
	for _, want := range []string{"fast 3 ingest  /v1/events", "fast 5 ingest  /v1/events", "fallback GET /x 0 HTTP/1.1"} {
		if _, got := rc.response(); got != want {
			t.Fatalf("%q, want %q", got, want)
		}
	}
}

func TestUnreadBodies(t *testing.T) {
	ts := startServer(t, nil)
	// Up to maxDiscard unread bytes are dropped and the connection stays.
	rc := ts.dial(t)
	rc.send(post(strings.Repeat("s", 100<<10), "Content-Type: skip"))
	if resp, _ := rc.response(); resp.StatusCode != http.StatusRequestEntityTooLarge || resp.Close {
		t.Fatalf("status %d close %v, want 413 and keep-alive", resp.StatusCode, resp.Close)
	}
	rc.send(post("ok"))
	if _, got := rc.response(); got != "fast 2 ingest  /v1/events" {
		t.Fatalf("next request: %q", got)
	}
	// Beyond it, the response says Connection: close and the server closes.
	rc2 := ts.dial(t)
	rc2.send("POST /v1/events HTTP/1.1\r\nHost: x\r\nContent-Type: skip\r\nContent-Length: 10000000\r\n\r\nsome")
	if resp, _ := rc2.response(); resp.StatusCode != http.StatusRequestEntityTooLarge || !resp.Close {
		t.Fatalf("status %d close %v, want 413 and close", resp.StatusCode, resp.Close)
	}
	if !rc2.closed() {
		t.Fatal("the connection stayed open")
	}
}

func TestTruncatedBody(t *testing.T) {
	ts := startServer(t, nil)
	rc := ts.dial(t)
	rc.send("POST /v1/events HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\nonly this")
	_ = rc.c.(*net.TCPConn).CloseWrite()
	if resp, _ := rc.response(); resp.StatusCode != http.StatusBadRequest || !resp.Close {
		t.Fatalf("status %d close %v: the handler should see the body end early", resp.StatusCode, resp.Close)
	}
}

func TestResponseHeaders(t *testing.T) {
	ts := startServer(t, nil)
	rc := ts.dial(t)
	rc.send(post("", "Content-Type: headers"))
	resp, got := rc.response()
	if resp.StatusCode != http.StatusTooManyRequests || resp.Status != "429 Too Many Requests" || got != `{"reason":"backpressure"}` {
		t.Fatalf("%s %q", resp.Status, got)
	}
	if resp.Header.Get("Retry-After") != "1" || resp.Header.Get("Content-Type") != "application/json" || resp.Header.Get("X-Broken") != "a  b" {
		t.Fatalf("headers %v", resp.Header)
	}
}

func TestHandlerPanicClosesTheConnection(t *testing.T) {
	ts := startServer(t, nil)
	rc := ts.dial(t)
	rc.send(post("x", "Content-Type: panic"))
	if !rc.closed() {
		t.Fatal("the connection stayed open after a panic")
	}
	rc2 := ts.dial(t)
	rc2.send(post("x"))
	if _, got := rc2.response(); got != "fast 1 ingest  /v1/events" {
		t.Fatalf("after a panic: %q", got)
	}
}

// TestTimeouts: as with net/http, a new connection must send its first
// head within ReadHeaderTimeout, a kept-alive one may wait IdleTimeout for
// its next request, and a head once begun has ReadHeaderTimeout.
func TestTimeouts(t *testing.T) {
	ts := startServer(t, func(s *http.Server) {
		s.ReadHeaderTimeout = 200 * time.Millisecond
		s.IdleTimeout = 1500 * time.Millisecond
	})
	start := time.Now()
	silent := ts.dial(t)
	if !silent.closed() || time.Since(start) > time.Second {
		t.Fatalf("a silent new connection was closed after %v, want the header timeout", time.Since(start))
	}
	idle := ts.dial(t)
	idle.send(post("x"))
	idle.response()
	_ = idle.c.SetReadDeadline(time.Now().Add(600 * time.Millisecond))
	if _, err := idle.br.ReadByte(); !errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatalf("an idle connection within its idle timeout: %v, want it still open", err)
	}
	_ = idle.c.SetReadDeadline(time.Now().Add(10 * time.Second))
	idle.send(post("yy"))
	if _, got := idle.response(); got != "fast 2 ingest  /v1/events" {
		t.Fatalf("after 600 ms idle: %q", got)
	}
	start = time.Now()
	if !idle.closed() || time.Since(start) < time.Second {
		t.Fatalf("an idle connection was closed after %v, want the idle timeout", time.Since(start))
	}
	partial := ts.dial(t)
	partial.send(post("x"))
	partial.response()
	partial.send("POST /v1/events HTTP/1.1\r\nHost: x\r\n")
	start = time.Now()
	if !partial.closed() || time.Since(start) > time.Second {
		t.Fatalf("a partial head was closed after %v, want the header timeout", time.Since(start))
	}
}

// TestCRLFAfterABody: as net/http, up to four CR or LF bytes after a POST's
// body are dropped (old clients send them).
func TestCRLFAfterABody(t *testing.T) {
	ts := startServer(t, nil)
	rc := ts.dial(t)
	rc.send(post("abc") + "\r\n" + post("abcd"))
	rc.send("\r\n\r")
	rc.send("\n" + post("ab"))
	for _, want := range []string{"fast 3 ingest  /v1/events", "fast 4 ingest  /v1/events", "fast 2 ingest  /v1/events"} {
		if resp, got := rc.response(); resp.StatusCode != http.StatusAccepted || got != want {
			t.Fatalf("%d %q, want 202 %q", resp.StatusCode, got, want)
		}
	}
	if ts.fast.Load() != 3 {
		t.Fatalf("fast path served %d of 3", ts.fast.Load())
	}
}

// TestCRLFAfterABodyKeepsTheIdleTimeout: CR/LF sent with a body does not
// make the connection wait for its next request without a deadline.
func TestCRLFAfterABodyKeepsTheIdleTimeout(t *testing.T) {
	ts := startServer(t, func(s *http.Server) { s.IdleTimeout = 300 * time.Millisecond })
	rc := ts.dial(t)
	rc.send(post("abc") + "\r\n")
	if _, got := rc.response(); got != "fast 3 ingest  /v1/events" {
		t.Fatalf("%q", got)
	}
	start := time.Now()
	if !rc.closed() || time.Since(start) > 3*time.Second {
		t.Fatalf("closed after %v, want the idle timeout", time.Since(start))
	}
}

// TestBodiesArriveIntact sends bodies of equal and different lengths,
// pipelined and split at random points, with a request for net/http among
// them, and checks each body's hash on both sides of the handover.
func TestBodiesArriveIntact(t *testing.T) {
	ts := startServer(t, nil)
	rnd := rand.New(rand.NewPCG(1, 2))
	var stream strings.Builder
	var want []string
	prefix := "" // "fallback " once net/http serves the connection
	for i := range 60 {
		n := []int{0, 1, 100, 4000, 9000, 40 << 10}[i%6]
		b := make([]byte, n)
		for j := range b {
			b[j] = byte('a' + rnd.IntN(26))
		}
		stream.WriteString(post(string(b), "Content-Type: hash"))
		want = append(want, fmt.Sprintf("%s%d %x", prefix, n, sha256.Sum256(b)))
		if i == 29 {
			stream.WriteString("GET /x HTTP/1.1\r\nHost: x\r\n\r\n")
			want = append(want, "fallback GET /x 0 HTTP/1.1")
			prefix = "fallback "
		}
	}
	rc := ts.dial(t)
	go func() {
		for s := stream.String(); len(s) > 0; {
			k := min(len(s), 1+rnd.IntN(20000))
			if _, err := io.WriteString(rc.c, s[:k]); err != nil {
				return
			}
			s = s[k:]
		}
	}()
	for i, w := range want {
		if _, got := rc.response(); got != w {
			t.Fatalf("response %d: %q, want %q", i, got, w)
		}
	}
	if f, n := ts.fast.Load(), ts.fallback.Load(); f != 30 || n != 31 {
		t.Fatalf("fast path served %d requests and net/http %d, want 30 and 31", f, n)
	}
}

// flakyListener fails its first Accepts with EMFILE, as a process out of
// file descriptors does.
type flakyListener struct {
	net.Listener
	fails atomic.Int32
}

func (l *flakyListener) Accept() (net.Conn, error) {
	if l.fails.Add(-1) >= 0 {
		return nil, &net.OpError{Op: "accept", Net: "tcp", Err: os.NewSyscallError("accept4", syscall.EMFILE)}
	}
	return l.Listener.Accept()
}

func TestAcceptErrorsAreRetried(t *testing.T) {
	fallback := &http.Server{Handler: http.NotFoundHandler()}
	srv, err := New(Config{Method: http.MethodPost, Path: "/v1/events", Fallback: fallback, Logger: slog.New(slog.DiscardHandler),
		Handler: http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusAccepted) })})
	if err != nil {
		t.Fatal(err)
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	fl := &flakyListener{Listener: l}
	fl.fails.Store(3)
	served := make(chan error, 1)
	go func() { served <- srv.Serve(fl) }()
	resp, err := http.Post("http://"+l.Addr().String()+"/v1/events", "text/plain", strings.NewReader("x"))
	if err != nil {
		t.Fatal(err)
	}
	_ = resp.Body.Close()
	if resp.StatusCode != http.StatusAccepted {
		t.Fatalf("status %d after accept errors", resp.StatusCode)
	}
	if err := srv.Shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}
	if err := <-served; !errors.Is(err, http.ErrServerClosed) {
		t.Fatalf("Serve: %v", err)
	}
}

func TestShutdownBeforeServe(t *testing.T) {
	srv, err := New(Config{Method: http.MethodPost, Path: "/v1/events", Handler: http.NotFoundHandler(), Fallback: &http.Server{}})
	if err != nil {
		t.Fatal(err)
	}
	if err := srv.Shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	if err := srv.Serve(l); !errors.Is(err, http.ErrServerClosed) {
		t.Fatalf("Serve after Shutdown: %v", err)
	}
	if _, err := net.DialTimeout("tcp", l.Addr().String(), time.Second); err == nil {
		t.Fatal("the listener still accepts")
	}
}

func TestShutdown(t *testing.T) {
	ts := startServer(t, nil)
	idle := ts.dial(t)
	idle.send(post("x"))
	idle.response()
	busy := ts.dial(t)
	busy.send(post("x", "Content-Type: block"))
	<-ts.entered
	done := make(chan error, 1)
	go func() { done <- ts.srv.Shutdown(context.Background()) }()
	if !idle.closed() {
		t.Fatal("Shutdown left an idle connection open")
	}
	select {
	case err := <-done:
		t.Fatalf("Shutdown returned (%v) while a request was being served", err)
	case <-time.After(100 * time.Millisecond):
	}
	close(ts.release)
	if resp, got := busy.response(); resp.StatusCode != http.StatusAccepted || got != "fast 1 ingest  /v1/events" || !resp.Close {
		t.Fatalf("the request being served got %d %q (close %v), want 202 and Connection: close", resp.StatusCode, got, resp.Close)
	}
	if !busy.closed() {
		t.Fatal("the connection stayed open after its last request")
	}
	if err := <-done; err != nil {
		t.Fatalf("Shutdown: %v", err)
	}
	if err := <-ts.served; !errors.Is(err, http.ErrServerClosed) {
		t.Fatalf("Serve returned %v, want http.ErrServerClosed", err)
	}
	if _, err := net.DialTimeout("tcp", ts.addr, time.Second); err == nil {
		t.Fatal("the listener still accepts")
	}
}

func TestShutdownGivesUpWithItsContext(t *testing.T) {
	ts := startServer(t, nil)
	busy := ts.dial(t)
	busy.send(post("x", "Content-Type: block"))
	<-ts.entered
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	if err := ts.srv.Shutdown(ctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Shutdown: %v, want the context's error", err)
	}
}

func TestConfigValidate(t *testing.T) {
	h := http.NotFoundHandler()
	for name, cfg := range map[string]Config{
		"no method":  {Path: "/v1/events", Handler: h, Fallback: &http.Server{}},
		"bad path":   {Method: "POST", Path: "v1", Handler: h, Fallback: &http.Server{}},
		"a query":    {Method: "POST", Path: "/v1?x", Handler: h, Fallback: &http.Server{}},
		"no handler": {Method: "POST", Path: "/v1", Fallback: &http.Server{}},
		"no server":  {Method: "POST", Path: "/v1", Handler: h},
	} {
		if _, err := New(cfg); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
	if _, err := New(Config{Method: "POST", Path: "/v1/events", Handler: h, Fallback: &http.Server{}}); err != nil {
		t.Fatal(err)
	}
}
