package fastpath

import (
	"bufio"
	"bytes"
	"net/http"
	"net/textproto"
	"strings"
	"testing"

	"golang.org/x/net/http/httpguts"
)

const testLine = "POST /v1/events HTTP/1.1\r\n"

func TestParseHead(t *testing.T) {
	fast := []struct {
		name, in            string
		length              int64
		host, ctype, cencod string // "-" for absent
	}{
		{"minimal", "POST /v1/events HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhello", 5, "x", "-", "-"},
		{"typical", "POST /v1/events HTTP/1.1\r\nHost: 127.0.0.1:8080\r\nUser-Agent: Go-http-client/1.1\r\nContent-Length: 12\r\nContent-Type: application/x-ndjson\r\nAccept-Encoding: gzip\r\n\r\n", 12, "127.0.0.1:8080", "application/x-ndjson", "-"},
		{"case and spaces", "POST /v1/events HTTP/1.1\r\nhOsT:\tx \r\ncontent-LENGTH:   007 \r\nCONTENT-ENCODING: gzip\r\nconnection: Keep-Alive\r\n\r\n", 7, "x", "-", "gzip"},
		{"empty values", "POST /v1/events HTTP/1.1\r\nHost:\r\nContent-Length: 0\r\nContent-Type:\r\n\r\n", 0, "", "", "-"},
	}
	for _, tc := range fast {
		t.Run(tc.name, func(t *testing.T) {
			h, status := parseHead([]byte(tc.in), testLine)
			if status != headFast {
				t.Fatalf("status %d, want fast", status)
			}
			if want := strings.Index(tc.in, "\r\n\r\n") + 4; h.size != want {
				t.Errorf("size %d, want %d", h.size, want)
			}
			if h.contentLength != tc.length || string(h.host) != tc.host {
				t.Errorf("length %d host %q, want %d %q", h.contentLength, h.host, tc.length, tc.host)
			}
			if got := optional(h.contentType); got != tc.ctype {
				t.Errorf("Content-Type %q, want %q", got, tc.ctype)
			}
			if got := optional(h.contentEncoding); got != tc.cencod {
				t.Errorf("Content-Encoding %q, want %q", got, tc.cencod)
			}
		})
	}
	incomplete := []string{"", "PO", "POST /v1/events HTTP/1.1\r", testLine, testLine + "Host: x\r\nContent-Le", testLine + "Host: x\r\nContent-Length: 1\r\n"}
	for _, in := range incomplete {
		if _, status := parseHead([]byte(in), testLine); status != headIncomplete {
			t.Errorf("%q: status %d, want incomplete", in, status)
		}
	}
	other := map[string]string{
		"another path":          "POST /v1/eventsx HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\n\r\n",
		"a query":               "POST /v1/events?x=1 HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\n\r\n",
		"another method":        "GET /v1/events HTTP/1.1\r\nHost: x\r\n\r\n",
		"HTTP/1.0":              "POST /v1/events HTTP/1.0\r\nHost: x\r\nContent-Length: 1\r\n\r\n",
		"h2c preface":           "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n",
		"no Host":               testLine + "Content-Length: 1\r\n\r\n",
		"two Hosts":             testLine + "Host: x\r\nHost: y\r\nContent-Length: 1\r\n\r\n",
		"bad Host":              testLine + "Host: x y\r\nContent-Length: 1\r\n\r\n",
		"no Content-Length":     testLine + "Host: x\r\n\r\n",
		"two Content-Lengths":   testLine + "Host: x\r\nContent-Length: 1\r\nContent-Length: 1\r\n\r\n",
		"signed length":         testLine + "Host: x\r\nContent-Length: +1\r\n\r\n",
		"listed length":         testLine + "Host: x\r\nContent-Length: 1, 1\r\n\r\n",
		"huge length":           testLine + "Host: x\r\nContent-Length: 9999999999999999999\r\n\r\n",
		"empty length":          testLine + "Host: x\r\nContent-Length: \r\n\r\n",
		"chunked":               testLine + "Host: x\r\nTransfer-Encoding: chunked\r\n\r\n",
		"chunked and length":    testLine + "Host: x\r\nContent-Length: 1\r\nTransfer-Encoding: chunked\r\n\r\n",
		"expect":                testLine + "Host: x\r\nContent-Length: 1\r\nExpect: 100-continue\r\n\r\n",
		"connection close":      testLine + "Host: x\r\nContent-Length: 1\r\nConnection: close\r\n\r\n",
		"upgrade":               testLine + "Host: x\r\nContent-Length: 1\r\nConnection: Upgrade, HTTP2-Settings\r\nUpgrade: h2c\r\n\r\n",
		"two Content-Types":     testLine + "Host: x\r\nContent-Length: 1\r\nContent-Type: a\r\nContent-Type: b\r\n\r\n",
		"two Content-Encodings": testLine + "Host: x\r\nContent-Length: 1\r\nContent-Encoding: gzip\r\nContent-Encoding: gzip\r\n\r\n",
		"bare LF":               testLine + "Host: x\nContent-Length: 1\r\n\r\n",
		"bare LF end":           testLine + "Host: x\r\nContent-Length: 1\r\n\n",
		"folded line":           testLine + "Host: x\r\nContent-Length: 1\r\nX-A: a\r\n b\r\n\r\n",
		"space before colon":    testLine + "Host: x\r\nContent-Length : 1\r\n\r\n",
		"no colon":              testLine + "Host: x\r\nContent-Length: 1\r\nbogus\r\n\r\n",
		"empty name":            testLine + "Host: x\r\nContent-Length: 1\r\n: v\r\n\r\n",
		"control in value":      testLine + "Host: x\r\nContent-Length: 1\r\nX-A: a\x01b\r\n\r\n",
		"DEL in value":          testLine + "Host: x\r\nContent-Length: 1\r\nX-A: a\x7fb\r\n\r\n",
		"NUL in name":           testLine + "Host: x\r\nContent-Length: 1\r\nX\x00: a\r\n\r\n",
		"not HTTP":              "\x16\x03\x01\x02\x00\x01\x00",
	}
	for name, in := range other {
		if _, status := parseHead([]byte(in), testLine); status != headOther {
			t.Errorf("%s: status %d, want other", name, status)
		}
	}
}

func optional(b []byte) string {
	if b == nil {
		return "-"
	}
	return string(b)
}

// FuzzParseHead checks parseHead against net/http: every head it serves
// must be one the net/http server accepts as the same request.
func FuzzParseHead(f *testing.F) {
	f.Add([]byte("POST /v1/events HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nContent-Type: application/x-ndjson\r\n\r\nhello"))
	f.Add([]byte("POST /v1/events HTTP/1.1\r\nhost: a.b:80\r\ncontent-length: 0\r\ncontent-encoding: gzip\r\nconnection: keep-alive\r\nX-Y: \t z \r\n\r\n"))
	f.Add([]byte("POST /v1/events HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n"))
	f.Add([]byte("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"))
	f.Fuzz(func(t *testing.T, in []byte) {
		h, status := parseHead(in, testLine)
		if status != headFast {
			return
		}
		req, err := http.ReadRequest(bufio.NewReader(bytes.NewReader(in[:h.size])))
		if err != nil {
			t.Fatalf("served a head net/http rejects: %v\n%q", err, in[:h.size])
		}
		if reason := serverRejects(in[len(testLine):h.size]); reason != "" {
			t.Fatalf("served a head the net/http server rejects (%s):\n%q", reason, in[:h.size])
		}
		if req.Method != http.MethodPost || req.URL.Path != "/v1/events" || req.URL.RawQuery != "" || req.ProtoMinor != 1 {
			t.Fatalf("net/http reads %s %s %s", req.Method, req.URL, req.Proto)
		}
		if req.ContentLength != h.contentLength || len(req.TransferEncoding) != 0 || req.Close {
			t.Fatalf("net/http reads length %d, transfer encoding %v, close %v; fast path: length %d",
				req.ContentLength, req.TransferEncoding, req.Close, h.contentLength)
		}
		if req.Host != string(h.host) {
			t.Fatalf("net/http reads Host %q, fast path %q", req.Host, h.host)
		}
		for _, kv := range []struct {
			name string
			fast []byte
		}{{"Content-Type", h.contentType}, {"Content-Encoding", h.contentEncoding}} {
			vals := req.Header.Values(kv.name)
			if (kv.fast == nil) != (len(vals) == 0) || len(vals) > 1 || (len(vals) == 1 && vals[0] != string(kv.fast)) {
				t.Fatalf("%s: net/http reads %q, fast path %q", kv.name, vals, kv.fast)
			}
		}
		if req.Header.Get("Expect") != "" || req.Header.Get("Upgrade") != "" {
			t.Fatalf("served a request with Expect or Upgrade")
		}
	})
}

// serverRejects applies the checks net/http's server makes to the header
// lines of a request beyond http.ReadRequest (which drops the Host
// header), and returns why it would answer 400, or "".
func serverRejects(lines []byte) string {
	mh, err := textproto.NewReader(bufio.NewReader(bytes.NewReader(lines))).ReadMIMEHeader()
	if err != nil {
		return err.Error()
	}
	hosts, ok := mh["Host"]
	switch {
	case !ok || len(hosts) == 0:
		return "missing required Host header"
	case len(hosts) > 1:
		return "too many Host headers"
	case !httpguts.ValidHostHeader(hosts[0]):
		return "malformed Host header"
	}
	for k, vv := range mh {
		if !httpguts.ValidHeaderFieldName(k) {
			return "invalid header name"
		}
		for _, v := range vv {
			if !httpguts.ValidHeaderFieldValue(v) {
				return "invalid header value"
			}
		}
	}
	return ""
}
