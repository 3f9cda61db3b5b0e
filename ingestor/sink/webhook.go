package sink

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"sync/atomic"
	"time"
)

// The request headers of the webhook sink (see the package documentation).
const (
	headerPartition      = "Eventingestor-Partition"
	headerShard          = "Eventingestor-Shard"
	headerBatchFirstID   = "Eventingestor-Batch-First-Id"
	headerBatchEvents    = "Eventingestor-Batch-Events"
	headerIdempotencyKey = "Idempotency-Key"

	ndjsonContentType = "application/x-ndjson"
	webhookUserAgent  = "eventingestor-webhook-sink"
)

const (
	// maxErrorBody is how much of a failed response's body an error quotes.
	maxErrorBody = 512
	// maxDrainBody is how much of a response body is read and discarded so
	// that the connection can be reused; a longer body closes it.
	maxDrainBody = 64 << 10
	// webhookIdleConns bounds the idle keep-alive connections to the
	// receiver: enough for one per shard of a large pod.
	webhookIdleConns = 64
	// lineOverhead is about the most AppendLine adds to a record's id, key
	// and data (field names, numbers, timestamp), so that a batch's body is
	// allocated once.
	lineOverhead = 192
	// idempotencyKeyVersion starts the input of the Idempotency-Key hash, so
	// that a future change of the derivation cannot collide with it.
	idempotencyKeyVersion = "eventingestor/webhook/idempotency-key/v1\x00"
)

// Webhook is the sink that POSTs each batch to an HTTP endpoint as NDJSON
// lines (see [AppendLine] and the package documentation). A batch is stored
// once the receiver answers with a 2xx status; any other status, a
// redirect included, or a transport error fails the Write, and the flusher
// retries the same batch. Connections are kept alive and pooled.
type Webhook struct {
	url     string        // as configured
	target  string        // url without its query, for messages
	auth    string        // Authorization header value, or ""
	timeout time.Duration // of one request
	client  *http.Client
	log     *slog.Logger
	closed  atomic.Bool
}

var _ Sink = (*Webhook)(nil)

// WebhookError is the error of a Write that the receiver answered with a
// status other than 2xx. Write returns it wrapped; use errors.As.
type WebhookError struct {
	// StatusCode is the response's status code, e.g. 503.
	StatusCode int
	// Status is the response's status line, e.g. "503 Service Unavailable".
	Status string
	// Body is the start of the response body, at most 512 bytes.
	Body []byte
}

// Error returns the status and, quoted, the start of the body.
func (e *WebhookError) Error() string {
	status := e.Status
	if status == "" {
		status = strconv.Itoa(e.StatusCode)
	}
	if len(e.Body) == 0 {
		return "receiver answered " + status
	}
	return fmt.Sprintf("receiver answered %s: %q", status, e.Body)
}

// NewWebhook returns a webhook sink posting to cfg.URL. cfg must be valid
// (see [Config.Validate]); a nil opts.Logger defaults to slog.Default().
func NewWebhook(cfg WebhookConfig, opts Options) (*Webhook, error) {
	if err := (&Config{Type: TypeWebhook, Webhook: cfg}).Validate(); err != nil {
		return nil, fmt.Errorf("while creating the webhook sink: %w", err)
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	u, err := url.Parse(cfg.URL)
	if err != nil { // Validate parsed it already
		return nil, fmt.Errorf("while creating the webhook sink: %w", err)
	}
	t := *u
	t.RawQuery, t.ForceQuery, t.Fragment, t.RawFragment = "", false, "", ""
	target := t.String()
	return &Webhook{
		url:     cfg.URL,
		target:  target,
		auth:    cfg.Authorization,
		timeout: cfg.Timeout,
		client: &http.Client{
			Transport: newWebhookTransport(),
			// A 301, 302 or 303 would turn the POST into a GET whose 2xx
			// would pass for a stored batch: answer with the redirect.
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		},
		log: opts.Logger.With("sink", TypeWebhook, "url", target),
	}, nil
}

// newWebhookTransport returns the transport of a webhook sink: that of
// http.DefaultTransport (proxy from the environment, HTTP/2 over TLS) with
// more idle connections per host, as every shard of the pod posts to the
// same receiver.
func newWebhookTransport() *http.Transport {
	return &http.Transport{
		Proxy: http.ProxyFromEnvironment,
		DialContext: (&net.Dialer{
			Timeout:   30 * time.Second,
			KeepAlive: 30 * time.Second,
		}).DialContext,
		ForceAttemptHTTP2:   true,
		MaxIdleConns:        webhookIdleConns,
		MaxIdleConnsPerHost: webhookIdleConns,
		IdleConnTimeout:     90 * time.Second,
		TLSHandshakeTimeout: 10 * time.Second,
	}
}

// Write POSTs the batch and returns nil once the receiver answered 2xx. The
// request, response body included, is bounded by the configured timeout
// and by ctx. An error names the status and quotes up to 512 bytes of the
// response body ([WebhookError]).
func (w *Webhook) Write(ctx context.Context, b Batch) error {
	if len(b.Records) == 0 {
		return nil
	}
	if err := w.post(ctx, b); err != nil {
		return fmt.Errorf("while posting %d records of partition %d shard %d to %s: %w",
			len(b.Records), b.Partition, b.Shard, w.target, err)
	}
	return nil
}

// post sends b in one request and checks the response.
func (w *Webhook) post(ctx context.Context, b Batch) error {
	if w.closed.Load() {
		return ErrClosed
	}
	if b.Partition < 0 || b.Shard < 0 {
		return fmt.Errorf("invalid partition %d or shard %d", b.Partition, b.Shard)
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	// The body is not pooled: the transport may still read it after Do
	// returns (RoundTripper contract), and the records' bytes are only
	// valid during Write, so they are copied anyway.
	body := appendBatch(make([]byte, 0, batchSizeHint(b)), b)

	reqCtx, cancel := context.WithTimeout(ctx, w.timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(reqCtx, http.MethodPost, w.url, bytes.NewReader(body))
	if err != nil {
		return fmt.Errorf("while building the request: %w", err)
	}
	w.setHeaders(req.Header, b)

	start := time.Now()
	resp, err := w.client.Do(req)
	if err != nil {
		return w.requestError(ctx, reqCtx, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode >= 200 && resp.StatusCode <= 299 {
		// The batch is stored: an error reading the rest of the body only
		// costs the connection.
		_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, maxDrainBody))
		w.log.Debug("posted a batch", "partition", b.Partition, "shard", b.Shard,
			"records", len(b.Records), "bytes", len(body), "status", resp.StatusCode, "duration", time.Since(start))
		return nil
	}
	// Keep what could be read of the body, even if reading it failed.
	snippet, _ := io.ReadAll(io.LimitReader(resp.Body, maxErrorBody))
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, maxDrainBody))
	return &WebhookError{StatusCode: resp.StatusCode, Status: resp.Status, Body: snippet}
}

// requestError explains an error of Client.Do. It drops the *url.Error
// wrapper, whose message repeats the URL with its query (which may hold a
// token), and says when the sink's own timeout expired.
func (w *Webhook) requestError(ctx, reqCtx context.Context, err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		err = ue.Err
	}
	if ctx.Err() == nil && reqCtx.Err() != nil {
		return fmt.Errorf("no response within %s (sink.webhook.timeout): %w", w.timeout, err)
	}
	return err
}

// setHeaders sets the request headers of batch b.
func (w *Webhook) setHeaders(h http.Header, b Batch) {
	h.Set("Content-Type", ndjsonContentType)
	h.Set("User-Agent", webhookUserAgent)
	h.Set(headerPartition, strconv.Itoa(b.Partition))
	h.Set(headerShard, strconv.Itoa(b.Shard))
	h.Set(headerBatchFirstID, escapeHeaderValue(b.Records[0].ID))
	h.Set(headerBatchEvents, strconv.Itoa(len(b.Records)))
	h.Set(headerIdempotencyKey, idempotencyKey(b))
	if w.auth != "" {
		h.Set("Authorization", w.auth)
	}
}

// Close closes the idle connections. No Write may follow; one that does
// fails with ErrClosed. Close is safe to call any number of times.
func (w *Webhook) Close() error {
	w.closed.Store(true)
	w.client.CloseIdleConnections()
	return nil
}

// batchSizeHint returns about the size of b's NDJSON lines.
func batchSizeHint(b Batch) int {
	n := 0
	for i := range b.Records {
		r := &b.Records[i]
		n += lineOverhead + len(r.ID) + len(r.Key) + len(r.Data)
	}
	return n
}

// idempotencyKey returns the Idempotency-Key of b: the hex of the first 128
// bits of the SHA-256 of the partition, the shard and the length-prefixed
// ids of the records, in order. The same records flushed again by the same
// shard get the same key. SHA-256 rather than a fast 64-bit hash because
// ids are chosen by clients and a collision would make a receiver drop a
// batch it never stored.
func idempotencyKey(b Batch) string {
	h := sha256.New()
	var scratch [3 * binary.MaxVarintLen64]byte
	h.Write([]byte(idempotencyKeyVersion))
	p := binary.AppendUvarint(scratch[:0], uint64(b.Partition))
	p = binary.AppendUvarint(p, uint64(b.Shard))
	p = binary.AppendUvarint(p, uint64(len(b.Records)))
	h.Write(p)
	for i := range b.Records {
		id := b.Records[i].ID
		h.Write(binary.AppendUvarint(scratch[:0], uint64(len(id))))
		h.Write([]byte(id))
	}
	var sum [sha256.Size]byte
	return hex.EncodeToString(h.Sum(sum[:0])[:16])
}

// escapeHeaderValue returns s with every byte outside '!'..'~', and every
// '%', percent-encoded as %XX (uppercase hex), so that any id fits in a
// header value and url.PathUnescape restores it. Ids of printable ASCII
// without '%' or spaces, such as UUIDs, are returned unchanged.
func escapeHeaderValue(s string) string {
	n := 0
	for i := 0; i < len(s); i++ {
		if headerByteNeedsEscape(s[i]) {
			n++
		}
	}
	if n == 0 {
		return s
	}
	const upperHex = "0123456789ABCDEF"
	buf := make([]byte, 0, len(s)+2*n)
	for i := 0; i < len(s); i++ {
		c := s[i]
		if headerByteNeedsEscape(c) {
			buf = append(buf, '%', upperHex[c>>4], upperHex[c&0xf])
			continue
		}
		buf = append(buf, c)
	}
	return string(buf)
}

func headerByteNeedsEscape(c byte) bool { return c <= ' ' || c > '~' || c == '%' }
