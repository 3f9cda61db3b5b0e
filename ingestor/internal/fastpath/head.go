package fastpath

import (
	"bytes"

	"golang.org/x/net/http/httpguts"
)

// headStatus is what parseHead made of the start of a connection's input.
type headStatus int

const (
	// headIncomplete: no whole head yet; it may still be one the fast path
	// serves once more bytes arrive.
	headIncomplete headStatus = iota
	// headFast: a whole head the fast path serves.
	headFast
	// headOther: a request the fast path leaves to net/http (or input that
	// is no request at all, which net/http answers).
	headOther
)

// head is a request head served on the fast path. Its byte slices alias
// the input of parseHead.
type head struct {
	size            int   // bytes of the head, its blank line included
	contentLength   int64 // from the Content-Length header
	host            []byte
	contentType     []byte // nil if absent
	contentEncoding []byte // nil if absent
}

// maxContentLengthDigits keeps Content-Length below 2^63.
const maxContentLengthDigits = 18

// parseHead parses the request head at the start of b, which must begin
// with requestLine (e.g. "POST /v1/events HTTP/1.1\r\n") for the fast path
// to serve it. Lines must end with CRLF; header names must be tokens and
// values free of control characters other than tab, as net/http requires.
// Host and Content-Length must each appear once, Content-Type and
// Content-Encoding at most once; Transfer-Encoding, Expect, Upgrade and
// Connection (other than "keep-alive") send the request to net/http.
// Other headers are skipped.
func parseHead(b []byte, requestLine string) (head, headStatus) {
	var h head
	if len(b) < len(requestLine) {
		if string(b) == requestLine[:len(b)] {
			return h, headIncomplete
		}
		return h, headOther
	}
	if string(b[:len(requestLine)]) != requestLine {
		return h, headOther
	}
	h.contentLength = -1
	seenCT, seenCE := false, false
	for i := len(requestLine); ; {
		nl := bytes.IndexByte(b[i:], '\n')
		if nl < 0 {
			return h, headIncomplete
		}
		end := i + nl // b[end] is '\n'
		if end == i || b[end-1] != '\r' {
			return h, headOther // a bare LF
		}
		line := b[i : end-1]
		i = end + 1
		if len(line) == 0 {
			h.size = i
			break
		}
		colon := bytes.IndexByte(line, ':')
		if colon <= 0 || !validName(line[:colon]) || !validValue(line[colon+1:]) {
			return h, headOther // also a folded line, which starts with a space
		}
		name, value := line[:colon], trimOWS(line[colon+1:])
		switch {
		case equalFold(name, "content-length"):
			if h.contentLength >= 0 || len(value) == 0 || len(value) > maxContentLengthDigits || !allDigits(value) {
				return h, headOther
			}
			h.contentLength = 0
			for _, c := range value {
				h.contentLength = h.contentLength*10 + int64(c-'0')
			}
		case equalFold(name, "host"):
			if h.host != nil || !httpguts.ValidHostHeader(string(value)) {
				return h, headOther
			}
			h.host = value
		case equalFold(name, "content-type"):
			if seenCT {
				return h, headOther
			}
			seenCT, h.contentType = true, value
		case equalFold(name, "content-encoding"):
			if seenCE {
				return h, headOther
			}
			seenCE, h.contentEncoding = true, value
		case equalFold(name, "connection"):
			if !equalFold(value, "keep-alive") {
				return h, headOther
			}
		case equalFold(name, "transfer-encoding"), equalFold(name, "expect"), equalFold(name, "upgrade"):
			return h, headOther
		}
	}
	if h.host == nil || h.contentLength < 0 {
		return h, headOther
	}
	return h, headFast
}

// validName reports whether name is a header field name (a token).
func validName(name []byte) bool {
	for _, c := range name {
		if !httpguts.IsTokenRune(rune(c)) {
			return false
		}
	}
	return true
}

// validValue reports whether v holds no control characters but tabs, as
// httpguts.ValidHeaderFieldValue.
func validValue(v []byte) bool {
	for _, c := range v {
		if (c < ' ' && c != '\t') || c == 0x7f {
			return false
		}
	}
	return true
}

// trimOWS trims spaces and tabs around a header value.
func trimOWS(v []byte) []byte {
	for len(v) > 0 && (v[0] == ' ' || v[0] == '\t') {
		v = v[1:]
	}
	for len(v) > 0 && (v[len(v)-1] == ' ' || v[len(v)-1] == '\t') {
		v = v[:len(v)-1]
	}
	return v
}

// equalFold reports whether b equals the lower-case ASCII string lower,
// ignoring case.
func equalFold(b []byte, lower string) bool {
	if len(b) != len(lower) {
		return false
	}
	for i := range len(b) {
		c := b[i]
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		if c != lower[i] {
			return false
		}
	}
	return true
}

func allDigits(b []byte) bool {
	for _, c := range b {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}
