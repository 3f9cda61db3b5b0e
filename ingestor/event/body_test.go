package event

import (
	"bytes"
	"compress/gzip"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"testing/iotest"
)

func gzipped(t testing.TB, parts ...string) []byte {
	t.Helper()
	var buf bytes.Buffer
	for _, p := range parts { // one gzip member per part
		zw := gzip.NewWriter(&buf)
		if _, err := zw.Write([]byte(p)); err != nil {
			t.Fatal(err)
		}
		if err := zw.Close(); err != nil {
			t.Fatal(err)
		}
	}
	return buf.Bytes()
}

// storedGzip returns an uncompressed gzip stream of n bytes of data, so
// that the stream is larger than its content.
func storedGzip(t testing.TB, n int) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw, err := gzip.NewWriterLevel(&buf, gzip.NoCompression)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := zw.Write(bytes.Repeat([]byte{'x'}, n)); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func TestParseGzip(t *testing.T) {
	p := newTestParser(t, nil)
	body := "{\"id\":\"a\",\"user_id\":\"u1\"}\n{\"id\":\"b\",\"user_id\":\"u2\"}\n"
	for _, enc := range []string{"gzip", "GZIP", " x-gzip "} {
		events, err := p.Parse(bytes.NewReader(gzipped(t, body)), ctNDJSON, enc)
		if err != nil {
			t.Fatalf("Content-Encoding %q: %v", enc, err)
		}
		checkEvents(t, events, []want{{"a", "u1", `{"id":"a","user_id":"u1"}`}, {"b", "u2", `{"id":"b","user_id":"u2"}`}})
	}
	// Concatenated gzip members form one body.
	events, err := p.Parse(bytes.NewReader(gzipped(t, `[{"id":"a","user_id":"u1"},`, `{"id":"b","user_id":"u2"}]`)), ctJSON, "gzip")
	if err != nil {
		t.Fatalf("multi-member gzip: %v", err)
	}
	checkEvents(t, events, []want{{"a", "u1", `{"id":"a","user_id":"u1"}`}, {"b", "u2", `{"id":"b","user_id":"u2"}`}})
}

func TestParseIdentity(t *testing.T) {
	p := newTestParser(t, nil)
	for _, enc := range []string{"", "identity", "Identity"} {
		events, err := p.Parse(iotest.OneByteReader(strings.NewReader(`{"id":"a","user_id":"u1"}`)), "", enc)
		if err != nil {
			t.Fatalf("Content-Encoding %q: %v", enc, err)
		}
		checkEvents(t, events, []want{{"a", "u1", `{"id":"a","user_id":"u1"}`}})
	}
}

func TestParseBadBodies(t *testing.T) {
	good := gzipped(t, `{"user_id":"u"}`)
	corrupt := bytes.Clone(good)
	corrupt[len(corrupt)-6] ^= 0xff                    // CRC32 of the trailer
	big := strings.Repeat(`{"user_id":"u"}`+"\n", 300) // 4800 bytes, compresses well
	tests := []struct {
		name   string
		ct     string
		enc    string
		body   []byte
		status int
		reason string
		msg    string
	}{
		{"unsupported encoding", ctJSON, "br", good, 415, ReasonUnsupportedEncoding, `Content-Encoding "br" is not supported, use gzip or identity`},
		{"encoding list", ctJSON, "gzip, identity", good, 415, ReasonUnsupportedEncoding, ""},
		{"deflate", ctJSON, "deflate", good, 415, ReasonUnsupportedEncoding, ""},
		{"media type before body", "text/csv", "gzip", []byte("not gzip"), 415, ReasonUnsupportedMediaType, ""},
		{"truncated gzip", ctJSON, "gzip", good[:len(good)-4], 400, ReasonBadGzip, "the gzip stream is truncated"},
		{"truncated gzip data", ctJSON, "gzip", good[:15], 400, ReasonBadGzip, "the gzip stream is truncated"},
		{"truncated gzip header", ctJSON, "gzip", good[:5], 400, ReasonBadGzip, "the gzip stream is truncated"},
		{"empty gzip", ctJSON, "gzip", nil, 400, ReasonBadGzip, "the gzip stream is empty"},
		{"not gzip", ctJSON, "gzip", []byte(`{"user_id":"u"}`), 400, ReasonBadGzip, "invalid gzip stream: gzip: invalid header"},
		{"bad checksum", ctJSON, "gzip", corrupt, 400, ReasonBadGzip, "invalid gzip stream: gzip: invalid checksum"},
		{"garbage after member", ctJSON, "gzip", append(bytes.Clone(good), "junk"...), 400, ReasonBadGzip, ""},
		{"plain too large", ctNDJSON, "", []byte(big), 413, ReasonBodyTooLarge, "the body is larger than the limit of 4096 bytes"},
		{"decompressed too large", ctNDJSON, "gzip", gzipped(t, big), 413, ReasonBodyTooLarge, "the decompressed body is larger than the limit of 4096 bytes"},
		{"compressed too large", ctNDJSON, "gzip", storedGzip(t, 5000), 413, ReasonBodyTooLarge, "the body is larger than the limit of 4096 bytes"},
		{"bad json in gzip", ctJSON, "gzip", gzipped(t, `[{"user_id":"u"} x]`), 400, ReasonMalformedJSON, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := newTestParser(t, nil)
			events, err := p.Parse(bytes.NewReader(tt.body), tt.ct, tt.enc)
			checkError(t, events, err, tt.status, tt.reason, NoIndex, tt.msg)
		})
	}
}

func TestParseBadGzipUnwraps(t *testing.T) {
	p := newTestParser(t, nil)
	_, err := p.Parse(strings.NewReader("not gzip at all"), ctJSON, "gzip")
	if !errors.Is(err, gzip.ErrHeader) {
		t.Errorf("error %v does not wrap gzip.ErrHeader", err)
	}
}

func TestParseMaxBytesReader(t *testing.T) {
	p := newTestParser(t, func(c *Config) { c.MaxBodyBytes = 1 << 20 })
	for _, enc := range []string{"", "gzip"} {
		body := []byte(strings.Repeat(`{"user_id":"u"}`, 100))
		if enc == "gzip" {
			body = gzipped(t, string(body))
		}
		r := http.MaxBytesReader(httptest.NewRecorder(), io.NopCloser(bytes.NewReader(body)), 10)
		events, err := p.Parse(r, ctNDJSON, enc)
		checkError(t, events, err, 413, ReasonBodyTooLarge, NoIndex, "")
	}
}

func TestParseReadError(t *testing.T) {
	p := newTestParser(t, nil)
	boom := errors.New("connection reset")
	for _, enc := range []string{"", "gzip"} {
		r := io.MultiReader(bytes.NewReader(gzipped(t, `{"user_id":"u"}`)[:12]), iotest.ErrReader(boom))
		_, err := p.Parse(r, ctJSON, enc)
		var e *Error
		if errors.As(err, &e) || !errors.Is(err, boom) {
			t.Errorf("Content-Encoding %q: error = %v, want a plain error wrapping %v", enc, err, boom)
		}
	}
}

// ReadBody appends to a caller's buffer, so that a server can pool buffers.
func TestReadBodyAppends(t *testing.T) {
	p := newTestParser(t, nil)
	var buf bytes.Buffer
	buf.WriteString("prefix:")
	if err := p.ReadBody(&buf, bytes.NewReader(gzipped(t, "data")), "gzip"); err != nil {
		t.Fatal(err)
	}
	if buf.String() != "prefix:data" {
		t.Errorf("buffer = %q", buf.String())
	}
}

func TestLimitedReader(t *testing.T) {
	l := &limitedReader{r: strings.NewReader("abcdef"), n: 4}
	got, err := io.ReadAll(l)
	if string(got) != "abcd" || !errors.Is(err, errTooLarge) {
		t.Errorf("ReadAll = %q, %v; want abcd, errTooLarge", got, err)
	}
	l = &limitedReader{r: strings.NewReader("abcd"), n: 4}
	if got, err := io.ReadAll(l); string(got) != "abcd" || err != nil {
		t.Errorf("ReadAll at the limit = %q, %v", got, err)
	}
}
