package sink

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/spf13/pflag"
)

// received is one request as a test receiver saw it.
type received struct {
	method, path, query string
	header              http.Header
	body                []byte
	remote              string
}

// receiver is a webhook endpoint that records the requests and answers
// them with respond (204 No Content if nil).
type receiver struct {
	srv     *httptest.Server
	respond func(w http.ResponseWriter, r *http.Request)
	conns   atomic.Int64 // connections accepted

	mu   sync.Mutex
	reqs []received
}

func newReceiver(t *testing.T, respond func(w http.ResponseWriter, r *http.Request)) *receiver {
	t.Helper()
	rc := &receiver{respond: respond}
	rc.srv = httptest.NewUnstartedServer(http.HandlerFunc(rc.serve))
	rc.srv.Config.ConnState = func(_ net.Conn, s http.ConnState) {
		if s == http.StateNew {
			rc.conns.Add(1)
		}
	}
	rc.srv.Start()
	t.Cleanup(rc.srv.Close)
	return rc
}

func (rc *receiver) serve(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(r.Body)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	rc.mu.Lock()
	rc.reqs = append(rc.reqs, received{
		method: r.Method, path: r.URL.Path, query: r.URL.RawQuery,
		header: r.Header.Clone(), body: body, remote: r.RemoteAddr,
	})
	rc.mu.Unlock()
	if rc.respond == nil {
		w.WriteHeader(http.StatusNoContent)
		return
	}
	rc.respond(w, r)
}

func (rc *receiver) requests() []received {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return append([]received(nil), rc.reqs...)
}

// newTestWebhook returns a webhook sink posting to url, closed at cleanup.
func newTestWebhook(t *testing.T, url string, mutate func(*WebhookConfig)) *Webhook {
	t.Helper()
	cfg := WebhookConfig{URL: url, Timeout: time.Minute}
	if mutate != nil {
		mutate(&cfg)
	}
	w, err := NewWebhook(cfg, Options{Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := w.Close(); err != nil {
			t.Error(err)
		}
	})
	return w
}

var hexKey = regexp.MustCompile(`^[0-9a-f]{32}$`)

func TestWebhookPostsBatch(t *testing.T) {
	rc := newReceiver(t, nil)
	w := newTestWebhook(t, rc.srv.URL+"/ingest?tenant=a", nil)
	b := testBatch(3, 1, 10, 50, 100)
	if err := w.Write(context.Background(), b); err != nil {
		t.Fatal(err)
	}
	reqs := rc.requests()
	if len(reqs) != 1 {
		t.Fatalf("%d requests, want 1", len(reqs))
	}
	r := reqs[0]
	if r.method != http.MethodPost || r.path != "/ingest" || r.query != "tenant=a" {
		t.Errorf("got %s %s?%s, want POST /ingest?tenant=a", r.method, r.path, r.query)
	}
	if want := appendBatch(nil, b); !bytes.Equal(r.body, want) {
		t.Errorf("body is not the batch's lines:\n%s\nwant:\n%s", r.body, want)
	}
	lines := bytes.SplitAfter(r.body, []byte("\n"))
	if len(lines) != len(b.Records)+1 || len(lines[len(b.Records)]) != 0 {
		t.Fatalf("body has %d lines, want %d", len(lines)-1, len(b.Records))
	}
	for i, line := range lines[:len(b.Records)] {
		l, err := ParseLine(line)
		if err != nil {
			t.Fatalf("line %d: %v", i, err)
		}
		rec := b.Records[i]
		if l.ID != rec.ID || l.Key != string(rec.Key) || l.Slot != rec.Slot || l.Epoch != rec.Epoch ||
			l.Partition != 3 || l.Shard != 1 || l.ReceivedAt.UnixNano() != rec.ReceivedAt || !bytes.Equal(l.Event, rec.Data) {
			t.Errorf("line %d = %+v, want record %+v", i, l, rec)
		}
	}
	for name, want := range map[string]string{
		"Content-Type":       "application/x-ndjson",
		"Content-Length":     strconv.Itoa(len(r.body)),
		"User-Agent":         webhookUserAgent,
		headerPartition:      "3",
		headerShard:          "1",
		headerBatchFirstID:   "p3-s1-10",
		headerBatchEvents:    "50",
		headerIdempotencyKey: idempotencyKey(b),
	} {
		if got := r.header.Get(name); got != want {
			t.Errorf("header %s = %q, want %q", name, got, want)
		}
	}
	if key := r.header.Get(headerIdempotencyKey); !hexKey.MatchString(key) {
		t.Errorf("Idempotency-Key %q is not 32 hex digits", key)
	}
	if v, ok := r.header["Authorization"]; ok {
		t.Errorf("Authorization %q sent without one configured", v)
	}
}

func TestWebhookAuthorization(t *testing.T) {
	rc := newReceiver(t, nil)
	w := newTestWebhook(t, rc.srv.URL, func(c *WebhookConfig) { c.Authorization = "Bearer s3cr\tet" })
	if err := w.Write(context.Background(), testBatch(0, 0, 0, 1, 10)); err != nil {
		t.Fatal(err)
	}
	if got := rc.requests()[0].header.Values("Authorization"); len(got) != 1 || got[0] != "Bearer s3cr\tet" {
		t.Errorf("Authorization = %q, want [\"Bearer s3cr\\tet\"]", got)
	}
}

func TestWebhookIdempotencyKey(t *testing.T) {
	withIDs := func(partition, shard int, ids ...string) Batch {
		b := Batch{Partition: partition, Shard: shard}
		for _, id := range ids {
			b.Records = append(b.Records, Record{ID: id, Data: []byte(`{}`)})
		}
		return b
	}
	base := testBatch(1, 2, 0, 3, 10)
	if got, want := idempotencyKey(testBatch(1, 2, 0, 3, 500)), idempotencyKey(base); got != want {
		t.Errorf("same ids, other events: key %s, want %s", got, want)
	}
	if !hexKey.MatchString(idempotencyKey(base)) {
		t.Errorf("key %q is not 32 hex digits", idempotencyKey(base))
	}
	keys := map[string]string{} // key -> batch name
	for name, b := range map[string]Batch{
		"base":            base,
		"other partition": testBatch(0, 2, 0, 3, 10),
		"other shard":     testBatch(1, 3, 0, 3, 10),
		"other ids":       testBatch(1, 2, 1, 3, 10),
		"fewer ids":       testBatch(1, 2, 0, 2, 10),
		"ab,c":            withIDs(0, 0, "ab", "c"),
		"a,bc":            withIDs(0, 0, "a", "bc"),
		"c,ab":            withIDs(0, 0, "c", "ab"),
		"abc":             withIDs(0, 0, "abc"),
		"p1 s0 x":         withIDs(1, 0, "x"),
		"p0 s1 x":         withIDs(0, 1, "x"),
	} {
		k := idempotencyKey(b)
		if other, dup := keys[k]; dup {
			t.Errorf("batches %q and %q share the key %s", name, other, k)
		}
		keys[k] = name
	}
}

func TestWebhookStatuses(t *testing.T) {
	var elsewhere atomic.Int64
	mux := http.NewServeMux()
	rc := newReceiver(t, func(w http.ResponseWriter, r *http.Request) { mux.ServeHTTP(w, r) })
	mux.HandleFunc("/elsewhere", func(w http.ResponseWriter, _ *http.Request) {
		elsewhere.Add(1)
		w.WriteHeader(http.StatusOK)
	})
	mux.HandleFunc("/status/{code}", func(w http.ResponseWriter, r *http.Request) {
		code, _ := strconv.Atoi(r.PathValue("code"))
		if code >= 300 && code < 400 {
			w.Header().Set("Location", "/elsewhere")
		}
		w.WriteHeader(code)
		fmt.Fprintf(w, "answer %d", code)
	})
	for _, code := range []int{200, 201, 202, 204, 299, 301, 302, 303, 307, 308, 400, 404, 409, 429, 500, 503} {
		t.Run(strconv.Itoa(code), func(t *testing.T) {
			w := newTestWebhook(t, fmt.Sprintf("%s/status/%d", rc.srv.URL, code), nil)
			err := w.Write(context.Background(), testBatch(0, 0, 0, 2, 10))
			if code/100 == 2 {
				if err != nil {
					t.Fatalf("status %d: %v", code, err)
				}
				return
			}
			var we *WebhookError
			if !errors.As(err, &we) {
				t.Fatalf("status %d: got %v, want a *WebhookError", code, err)
			}
			if we.StatusCode != code || !strings.HasPrefix(we.Status, strconv.Itoa(code)) {
				t.Errorf("error has status %d (%q), want %d", we.StatusCode, we.Status, code)
			}
		})
	}
	if n := elsewhere.Load(); n != 0 {
		t.Errorf("redirects followed %d times", n)
	}
}

func TestWebhookErrorQuotesBody(t *testing.T) {
	var body atomic.Value
	rc := newReceiver(t, func(w http.ResponseWriter, _ *http.Request) {
		http.Error(w, body.Load().(string), http.StatusInternalServerError)
	})
	w := newTestWebhook(t, rc.srv.URL+"/hook?token=secret", nil)

	body.Store("database down")
	err := w.Write(context.Background(), testBatch(0, 2, 0, 3, 10))
	if err == nil {
		t.Fatal("no error for a 500")
	}
	for _, want := range []string{
		"while posting 3 records of partition 0 shard 2 to " + rc.srv.URL + "/hook: ",
		"500 Internal Server Error", `"database down\n"`,
	} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q lacks %q", err, want)
		}
	}
	if strings.Contains(err.Error(), "secret") {
		t.Errorf("error %q shows the URL's query", err)
	}

	body.Store(strings.Repeat("x", 2000) + "TAIL")
	err = w.Write(context.Background(), testBatch(0, 2, 0, 3, 10))
	var we *WebhookError
	if !errors.As(err, &we) {
		t.Fatalf("got %v, want a *WebhookError", err)
	}
	if len(we.Body) != maxErrorBody || strings.Contains(err.Error(), "TAIL") {
		t.Errorf("error quotes %d bytes of the body, want %d: %v", len(we.Body), maxErrorBody, err)
	}
}

func TestWebhookReusesConnections(t *testing.T) {
	var n atomic.Int64
	rc := newReceiver(t, func(w http.ResponseWriter, _ *http.Request) {
		if n.Add(1)%2 == 0 {
			http.Error(w, strings.Repeat("e", 4000), http.StatusServiceUnavailable)
			return
		}
		_, _ = io.WriteString(w, strings.Repeat("k", 4000))
	})
	w := newTestWebhook(t, rc.srv.URL, nil)
	for i := range 6 {
		err := w.Write(context.Background(), testBatch(0, 0, i, 10, 100))
		if (i%2 == 1) != (err != nil) {
			t.Fatalf("write %d: %v", i, err)
		}
	}
	if c := rc.conns.Load(); c != 1 {
		t.Errorf("%d connections for sequential writes, want 1", c)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
}

// blockingReceiver returns a receiver whose handler signals arrived and
// blocks until the request is canceled (or the test ends).
func blockingReceiver(t *testing.T) (rc *receiver, arrived <-chan struct{}) {
	t.Helper()
	ch := make(chan struct{}, 16)
	release := make(chan struct{})
	rc = newReceiver(t, func(_ http.ResponseWriter, r *http.Request) {
		ch <- struct{}{}
		select {
		case <-r.Context().Done():
		case <-release:
		}
	})
	t.Cleanup(func() { close(release) }) // runs before rc.srv.Close
	return rc, ch
}

func TestWebhookContextCancel(t *testing.T) {
	rc, arrived := blockingReceiver(t)
	w := newTestWebhook(t, rc.srv.URL, nil)
	ctx, cancel := context.WithCancel(context.Background())
	go func() {
		<-arrived
		cancel()
	}()
	start := time.Now()
	err := w.Write(ctx, testBatch(0, 0, 0, 1, 10))
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("got %v, want context.Canceled", err)
	}
	if d := time.Since(start); d > 10*time.Second {
		t.Errorf("Write returned %s after the cancellation", d)
	}

	// An already canceled context sends nothing.
	if err := w.Write(ctx, testBatch(0, 0, 0, 1, 10)); !errors.Is(err, context.Canceled) {
		t.Fatalf("got %v, want context.Canceled", err)
	}
	if n := len(rc.requests()); n != 1 {
		t.Errorf("%d requests, want 1", n)
	}
}

func TestWebhookTimeout(t *testing.T) {
	rc, _ := blockingReceiver(t)
	w := newTestWebhook(t, rc.srv.URL, func(c *WebhookConfig) { c.Timeout = 100 * time.Millisecond })
	err := w.Write(context.Background(), testBatch(0, 0, 0, 1, 10))
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("got %v, want context.DeadlineExceeded", err)
	}
	if !strings.Contains(err.Error(), "no response within 100ms") {
		t.Errorf("error %q does not name the timeout", err)
	}
}

func TestWebhookTransportError(t *testing.T) {
	srv := httptest.NewServer(http.NotFoundHandler())
	u := srv.URL
	srv.Close()
	w := newTestWebhook(t, u+"/hook?token=secret", nil)
	err := w.Write(context.Background(), testBatch(1, 0, 0, 2, 10))
	if err == nil {
		t.Fatal("no error from a closed server")
	}
	if want := "while posting 2 records of partition 1 shard 0 to " + u + "/hook: "; !strings.HasPrefix(err.Error(), want) {
		t.Errorf("error %q does not start with %q", err, want)
	}
	if strings.Contains(err.Error(), "secret") {
		t.Errorf("error %q shows the URL's query", err)
	}
}

func TestWebhookEscapesFirstID(t *testing.T) {
	rc := newReceiver(t, nil)
	w := newTestWebhook(t, rc.srv.URL, nil)
	for _, tc := range []struct{ id, header string }{
		{"0190a5c4-7b1e-7cc2-9d5e-2f1b6a3c9e01", "0190a5c4-7b1e-7cc2-9d5e-2f1b6a3c9e01"},
		{"a+b/c:d", "a+b/c:d"},
		{"a\r\nb%c é\x00\x7f", "a%0D%0Ab%25c%20%C3%A9%00%7F"},
		{" ", "%20"},
	} {
		b := Batch{Records: []Record{{ID: tc.id, Data: []byte(`{}`)}}}
		if err := w.Write(context.Background(), b); err != nil {
			t.Fatalf("id %q: %v", tc.id, err)
		}
		reqs := rc.requests()
		got := reqs[len(reqs)-1].header.Get(headerBatchFirstID)
		if got != tc.header {
			t.Errorf("id %q sent as %q, want %q", tc.id, got, tc.header)
		}
		if back, err := url.PathUnescape(got); err != nil || back != tc.id {
			t.Errorf("PathUnescape(%q) = %q, %v; want %q", got, back, err, tc.id)
		}
	}
}

func TestWebhookConcurrentShards(t *testing.T) {
	rc := newReceiver(t, nil)
	w := newTestWebhook(t, rc.srv.URL, nil)
	const shards, batches, records = 4, 20, 25
	var wg sync.WaitGroup
	for s := range shards {
		wg.Go(func() {
			for i := range batches {
				if err := w.Write(context.Background(), testBatch(5, s, i*records, records, 50)); err != nil {
					t.Error(err)
				}
			}
		})
	}
	wg.Wait()
	next := make(map[string]int) // shard header -> next first id index
	for _, r := range rc.requests() {
		checkWholeBatch(t, r.body, records)
		shard := r.header.Get(headerShard)
		want := fmt.Sprintf("p5-s%s-%d", shard, next[shard])
		if got := r.header.Get(headerBatchFirstID); got != want {
			t.Errorf("shard %s: batch starting at %q, want %q", shard, got, want)
		}
		next[shard] += records
	}
	if len(next) != shards {
		t.Errorf("batches of %d shards, want %d", len(next), shards)
	}
	for shard, n := range next {
		if n != batches*records {
			t.Errorf("shard %s: %d records, want %d", shard, n, batches*records)
		}
	}
}

func TestWebhookWriteRejects(t *testing.T) {
	rc := newReceiver(t, nil)
	w := newTestWebhook(t, rc.srv.URL, nil)
	if err := w.Write(context.Background(), Batch{Partition: 1}); err != nil {
		t.Errorf("empty batch: %v", err)
	}
	if err := w.Write(context.Background(), testBatch(0, -1, 0, 1, 10)); err == nil {
		t.Errorf("negative shard accepted")
	}
	if err := w.Write(context.Background(), testBatch(-1, 0, 0, 1, 10)); err == nil {
		t.Errorf("negative partition accepted")
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if err := w.Write(context.Background(), testBatch(0, 0, 0, 1, 10)); !errors.Is(err, ErrClosed) {
		t.Errorf("write after Close: got %v, want ErrClosed", err)
	}
	if n := len(rc.requests()); n != 0 {
		t.Errorf("%d requests, want none", n)
	}
}

func TestNewWebhookRejectsInvalidConfig(t *testing.T) {
	_, err := NewWebhook(WebhookConfig{URL: "ftp://example.com/", Timeout: time.Second}, Options{})
	if err == nil || !strings.Contains(err.Error(), "while creating the webhook sink: sink.webhook.url must be an absolute http or https URL") {
		t.Errorf("got %v", err)
	}
}

func TestNewWebhook(t *testing.T) {
	s, err := New(Config{Type: TypeWebhook, Webhook: WebhookConfig{URL: "http://127.0.0.1:1/", Timeout: time.Second}}, Options{})
	if _, ok := s.(*Webhook); err != nil || !ok {
		t.Fatalf("New(webhook) = %T, %v", s, err)
	}
	if err := s.Close(); err != nil {
		t.Error(err)
	}
}

func TestRegisterFlagsWebhook(t *testing.T) {
	var c Config
	fs := pflag.NewFlagSet("test", pflag.ContinueOnError)
	c.RegisterFlags(fs)
	if c.Webhook.Timeout != 10*time.Second {
		t.Errorf("default timeout %s, want 10s", c.Webhook.Timeout)
	}
	if err := fs.Parse([]string{"--sink.type=webhook", "--sink.webhook.url=https://h.example/x", "--sink.webhook.timeout=2s"}); err != nil {
		t.Fatal(err)
	}
	want := WebhookConfig{URL: "https://h.example/x", Timeout: 2 * time.Second}
	if c.Type != TypeWebhook || c.Webhook != want {
		t.Errorf("parsed %q %+v, want %q %+v", c.Type, c.Webhook, TypeWebhook, want)
	}
	if err := c.Validate(); err != nil {
		t.Error(err)
	}
	fs.VisitAll(func(f *pflag.Flag) {
		if strings.Contains(strings.ToLower(f.Name), "auth") {
			t.Errorf("flag --%s: the Authorization value must not be a flag", f.Name)
		}
	})
	if usage := fs.Lookup("sink.webhook.url").Usage; !strings.Contains(usage, WebhookAuthorizationEnv) {
		t.Errorf("--sink.webhook.url help %q does not mention %s", usage, WebhookAuthorizationEnv)
	}
	if usage := fs.Lookup("sink.type").Usage; !strings.Contains(usage, `"webhook"`) {
		t.Errorf("--sink.type help %q does not mention webhook", usage)
	}
	if err := fs.Set("sink.type", "kafka"); err == nil || !strings.Contains(err.Error(), `"webhook"`) {
		t.Errorf("--sink.type=kafka: %v", err)
	}
}

func TestConfigValidateWebhook(t *testing.T) {
	valid := WebhookConfig{URL: "https://hooks.example.com:8443/v1/events?tenant=a", Timeout: 100 * time.Millisecond}
	with := func(mutate func(*WebhookConfig)) Config {
		c := Config{Type: TypeWebhook, Webhook: valid}
		mutate(&c.Webhook)
		return c
	}
	const env = WebhookAuthorizationEnv
	for _, tc := range []struct {
		name    string
		cfg     Config
		want    []string // substrings of the error; nil for valid
		notWant []string // secrets the error must not show
	}{
		{"valid", Config{Type: TypeWebhook, Webhook: valid}, nil, nil},
		{"http", with(func(c *WebhookConfig) { c.URL = "http://10.0.0.1/hook" }), nil, nil},
		{"uppercase scheme", with(func(c *WebhookConfig) { c.URL = "HTTPS://h.example" }), nil, nil},
		{"ipv6", with(func(c *WebhookConfig) { c.URL = "http://[::1]:8080/" }), nil, nil},
		{"authorization", with(func(c *WebhookConfig) { c.Authorization = "Bearer a\tb" }), nil, nil},
		{"file ignores webhook settings", Config{Type: TypeFile, File: FileConfig{Dir: "d", MaxBytes: 4096, MaxAge: time.Second}}, nil, nil},
		{"webhook ignores file settings", Config{Type: TypeWebhook, Webhook: valid, File: FileConfig{MaxBytes: -1}}, nil, nil},
		{"no url", with(func(c *WebhookConfig) { c.URL = "" }), []string{"sink.webhook.url must be set"}, nil},
		{"relative url", with(func(c *WebhookConfig) { c.URL = "/hook" }), []string{`absolute http or https URL, not "/hook"`}, nil},
		{"no scheme", with(func(c *WebhookConfig) { c.URL = "hooks.example.com/x" }), []string{"absolute http or https URL"}, nil},
		{"ftp", with(func(c *WebhookConfig) { c.URL = "ftp://h.example/" }), []string{"absolute http or https URL"}, nil},
		{"opaque", with(func(c *WebhookConfig) { c.URL = "http:h.example" }), []string{"has no host"}, nil},
		{"no host", with(func(c *WebhookConfig) { c.URL = "http://" }), []string{"has no host"}, nil},
		{"port only", with(func(c *WebhookConfig) { c.URL = "http://:8080/x" }), []string{"has no host"}, nil},
		{"unparsable", with(func(c *WebhookConfig) { c.URL = "http://h .example/" }), []string{"sink.webhook.url is invalid"}, nil},
		{"credentials", with(func(c *WebhookConfig) { c.URL = "https://bob:hunter2@h.example/" }),
			[]string{"must not contain credentials", env}, []string{"hunter2"}},
		{"zero timeout", with(func(c *WebhookConfig) { c.Timeout = 0 }), []string{"sink.webhook.timeout must be at least 100ms, not 0s"}, nil},
		{"small timeout", with(func(c *WebhookConfig) { c.Timeout = 99 * time.Millisecond }), []string{"at least 100ms, not 99ms"}, nil},
		{"authorization newline", with(func(c *WebhookConfig) { c.Authorization = "Bearer hunter2\n" }),
			[]string{env, "control character (0x0a) at byte 14"}, []string{"hunter2"}},
		{"authorization CR", with(func(c *WebhookConfig) { c.Authorization = "Bearer x\ry" }), []string{env, "0x0d"}, nil},
		{"authorization DEL", with(func(c *WebhookConfig) { c.Authorization = "x\x7f" }), []string{env, "0x7f"}, nil},
		{"authorization spaces", with(func(c *WebhookConfig) { c.Authorization = " Bearer hunter2" }),
			[]string{env, "whitespace"}, []string{"hunter2"}},
		{"authorization trailing tab", with(func(c *WebhookConfig) { c.Authorization = "Bearer x\t" }), []string{env, "whitespace"}, nil},
		{"all wrong", Config{Type: TypeWebhook, Webhook: WebhookConfig{Authorization: "\n"}},
			[]string{"sink.webhook.url must be set", "sink.webhook.timeout", env}, nil},
		{"unknown type", Config{Type: "kafka", Webhook: valid}, []string{`unknown sink type "kafka"`, `"webhook"`}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.cfg.Validate()
			if tc.want == nil {
				if err != nil {
					t.Errorf("unexpected error: %v", err)
				}
				return
			}
			if err == nil {
				t.Fatalf("no error, want %q", tc.want)
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q lacks %q", err, w)
				}
			}
			for _, s := range tc.notWant {
				if strings.Contains(err.Error(), s) {
					t.Errorf("error %q shows the secret %q", err, s)
				}
			}
		})
	}
}
