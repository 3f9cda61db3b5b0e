package fastpath

import (
	"net/http"
	"slices"
	"strconv"
	"sync/atomic"
	"time"
)

// responseWriter buffers a fast-path response until its handler returns.
type responseWriter struct {
	header http.Header
	status int // 0 until WriteHeader
	body   []byte
	keys   []string // scratch for sorting header keys
}

func (w *responseWriter) reset() {
	clear(w.header)
	w.status = 0
	w.body = w.body[:0]
}

func (w *responseWriter) Header() http.Header { return w.header }

// WriteHeader records the status; later calls are ignored, as net/http
// ignores them (it logs them).
func (w *responseWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
}

func (w *responseWriter) Write(p []byte) (int, error) {
	w.WriteHeader(http.StatusOK)
	w.body = append(w.body, p...)
	return len(p), nil
}

// appendResponse appends the HTTP/1.1 response to dst: the status line,
// the handler's headers in sorted order, Content-Length, Date (unless the
// handler set them) and Connection: close if closing, then the body.
func (w *responseWriter) appendResponse(dst, date []byte, closing bool) []byte {
	w.WriteHeader(http.StatusOK)
	dst = append(dst, "HTTP/1.1 "...)
	dst = strconv.AppendInt(dst, int64(w.status), 10)
	dst = append(dst, ' ')
	if text := http.StatusText(w.status); text != "" {
		dst = append(dst, text...)
	} else {
		dst = append(dst, "status code "...)
		dst = strconv.AppendInt(dst, int64(w.status), 10)
	}
	dst = append(dst, "\r\n"...)
	w.keys = w.keys[:0]
	for k := range w.header {
		switch k {
		case "Content-Length", "Connection", "Transfer-Encoding":
			continue // set here
		}
		w.keys = append(w.keys, k)
	}
	slices.Sort(w.keys)
	for _, k := range w.keys {
		for _, v := range w.header[k] {
			dst = append(dst, k...)
			dst = append(dst, ": "...)
			dst = appendValue(dst, v)
			dst = append(dst, "\r\n"...)
		}
	}
	if closing {
		dst = append(dst, "Connection: close\r\n"...)
	}
	dst = append(dst, "Content-Length: "...)
	dst = strconv.AppendInt(dst, int64(len(w.body)), 10)
	if _, ok := w.header["Date"]; !ok {
		dst = append(dst, "\r\nDate: "...)
		dst = append(dst, date...)
	}
	dst = append(dst, "\r\n\r\n"...)
	return append(dst, w.body...)
}

// appendValue appends a header value with CR and LF replaced by spaces, as
// net/http writes them.
func appendValue(dst []byte, v string) []byte {
	for i := range len(v) {
		c := v[i]
		if c == '\r' || c == '\n' {
			c = ' '
		}
		dst = append(dst, c)
	}
	return dst
}

// dateCache formats the Date header once a second.
type dateCache struct {
	v atomic.Pointer[dateValue]
}

type dateValue struct {
	sec  int64
	text []byte
}

// get returns the Date header's value for now; the slice is read-only.
func (d *dateCache) get(now time.Time) []byte {
	sec := now.Unix()
	if v := d.v.Load(); v != nil && v.sec == sec {
		return v.text
	}
	v := &dateValue{sec: sec, text: now.UTC().AppendFormat(nil, http.TimeFormat)}
	d.v.Store(v)
	return v.text
}
