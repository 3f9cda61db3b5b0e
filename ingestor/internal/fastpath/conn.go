package fastpath

import (
	"errors"
	"io"
	"net"
	"net/http"
	"net/url"
	"runtime"
	"strings"
	"sync/atomic"
	"time"
)

// Buffer sizes of a connection: it starts small, as most requests are,
// and grows to hold the largest whole request it has seen (head and body)
// up to maxBuffer, so that one read takes a request in.
const (
	minBuffer = 4 << 10
	maxBuffer = 32 << 10
)

// maxDiscard is how much of a body its handler left unread is read and
// dropped to keep the connection; with more, the connection is closed
// after the response (net/http's rule too).
const maxDiscard = 256 << 10

// Connection states.
const (
	stateIdle   int32 = iota // waiting for a request's first byte
	stateActive              // reading or serving a request
	stateClosed              // closed by Shutdown (or being closed)
)

// conn is one connection served on the fast path.
type conn struct {
	srv   *Server
	c     net.Conn
	state atomic.Int32

	buf        []byte // buf[start:end] is read and not yet consumed
	start, end int
	grow       int  // size buf should have before the next request (0: keep)
	served     bool // a request was served: the next may wait the idle timeout
	skipCRLF   int  // CR and LF bytes still to drop before the next head
	reqStart   time.Time

	remoteAddr string
	// The last request's Host, Content-Type and Content-Encoding values,
	// reused while they repeat.
	host            string
	contentType     []string
	contentEncoding []string

	url  url.URL
	req  http.Request
	body requestBody
	w    responseWriter
	out  []byte
}

func newConn(s *Server, c net.Conn) *conn {
	fc := &conn{srv: s, c: c, buf: make([]byte, minBuffer), remoteAddr: c.RemoteAddr().String()}
	fc.w.header = make(http.Header)
	return fc
}

// serve serves requests until the connection closes, fails or is handed
// over.
func (fc *conn) serve() {
	handedOver, linger := false, false
	defer func() {
		if !handedOver {
			if linger {
				fc.lingerClose()
			}
			_ = fc.c.Close()
		}
		fc.srv.forget(fc)
	}()
	for {
		h, status, ok := fc.readHead()
		if !ok {
			return
		}
		if status != headFast { // net/http serves the connection from here
			handedOver = true
			fc.srv.handoff.handOver(&replayConn{Conn: fc.c, pending: append([]byte(nil), fc.buf[fc.start:fc.end]...)})
			return
		}
		keep, unread := fc.serveRequest(&h)
		if !keep {
			linger = unread
			return
		}
		fc.served = true
		if fc.srv.cfg.Method == http.MethodPost {
			fc.skipCRLF = 4
		}
		if !fc.setIdle() {
			return
		}
	}
}

// rstAvoidanceDelay is how long a connection closed with part of a request
// unread waits after its response, as net/http's: closing a socket with
// unread data makes the kernel reset the connection, which can destroy the
// response before the client has read it.
const rstAvoidanceDelay = 500 * time.Millisecond

// lingerClose half-closes the connection and waits rstAvoidanceDelay.
func (fc *conn) lingerClose() {
	_ = closeWrite(fc.c)
	time.Sleep(rstAvoidanceDelay)
}

// readHead reads until buf holds a whole request head. It returns the head
// and headFast if the fast path serves it, headOther if net/http must
// serve the connection from here, and false if the connection is done
// (closed by the client, timed out, or closed by Shutdown while idle).
//
// Deadlines are net/http's: a connection's first request must send its
// head within the header timeout from the accept; a later one may wait
// the idle timeout for its first byte, and then has the header timeout.
// After a POST, up to four CR or LF bytes before the next request are
// dropped, as net/http drops them for old clients that send them after a
// body.
func (fc *conn) readHead() (head, headStatus, bool) {
	srv := fc.srv
	if fc.start == fc.end {
		fc.start, fc.end = 0, 0
		if fc.grow > len(fc.buf) {
			fc.buf = make([]byte, fc.grow)
		}
		fc.grow = 0
	}
	started := false // the head's deadline is set
	idle := false    // the idle deadline is set
	if !fc.served {
		fc.startRequest()
		started = true
	}
	for {
		for fc.skipCRLF > 0 && fc.start < fc.end && (fc.buf[fc.start] == '\r' || fc.buf[fc.start] == '\n') {
			fc.start++
			fc.skipCRLF--
		}
		if fc.end > fc.start {
			fc.skipCRLF = 0
			if !fc.setActive() {
				return head{}, headOther, false
			}
			if !started {
				fc.startRequest()
				started = true
			}
			h, status := parseHead(fc.buf[fc.start:fc.end], srv.requestLine)
			if status != headIncomplete {
				return h, status, true
			}
			if fc.end == len(fc.buf) {
				if fc.start == 0 && len(fc.buf) == maxBuffer {
					return head{}, headOther, true // a head this large is net/http's to judge
				}
				fc.compact()
			}
		} else {
			fc.start, fc.end = 0, 0 // nothing, or only dropped CR/LF, was buffered
			if !started && !idle {
				idle = true
				setReadDeadline(fc.c, time.Now(), srv.idleTimeout())
			}
		}
		n, err := fc.c.Read(fc.buf[fc.end:])
		fc.end += n
		if err != nil && n == 0 {
			return head{}, headOther, false
		}
	}
}

// startRequest starts a request's clock: its head must arrive within the
// header timeout, and with a ReadTimeout, its body within that from now.
func (fc *conn) startRequest() {
	fc.reqStart = time.Now()
	setReadDeadline(fc.c, fc.reqStart, fc.srv.headerTimeout())
}

// setReadDeadline sets c's read deadline to d after from, or none if d is
// not positive (net/http's rule for its timeouts).
func setReadDeadline(c net.Conn, from time.Time, d time.Duration) {
	if d > 0 {
		_ = c.SetReadDeadline(from.Add(d))
	} else {
		_ = c.SetReadDeadline(time.Time{})
	}
}

// compact moves the unconsumed bytes to the start of buf, growing it to
// maxBuffer if it is full.
func (fc *conn) compact() {
	if fc.start == 0 && fc.end == len(fc.buf) && len(fc.buf) < maxBuffer {
		nb := make([]byte, maxBuffer)
		copy(nb, fc.buf[:fc.end])
		fc.buf = nb
		return
	}
	fc.end = copy(fc.buf, fc.buf[fc.start:fc.end])
	fc.start = 0
}

// setActive marks the connection busy, unless Shutdown closed it.
func (fc *conn) setActive() bool {
	return fc.state.Load() == stateActive || fc.state.CompareAndSwap(stateIdle, stateActive)
}

// setIdle marks the connection idle after a request, or closes it if the
// server is shutting down; it reports whether to go on.
func (fc *conn) setIdle() bool {
	fc.state.Store(stateIdle)
	if fc.srv.closing.Load() {
		return !fc.closeIfIdle()
	}
	return true
}

// closeIfIdle closes the connection if it is idle (Shutdown); it reports
// whether it did.
func (fc *conn) closeIfIdle() bool {
	if fc.state.CompareAndSwap(stateIdle, stateClosed) {
		_ = fc.c.Close()
		return true
	}
	return false
}

// serveRequest serves the request of head h, at buf[start:], and writes
// its response. It reports whether the connection may serve another
// request, and if not, whether part of the request is left unread.
func (fc *conn) serveRequest(h *head) (keep, unread bool) {
	srv := fc.srv
	fc.start += h.size
	inBuf := int(min(h.contentLength, int64(fc.end-fc.start)))
	body := &fc.body
	*body = requestBody{pre: fc.buf[fc.start : fc.start+inBuf], c: fc.c, remain: h.contentLength - int64(inBuf)}
	fc.start += inBuf
	if total := int64(h.size) + h.contentLength; total > int64(len(fc.buf)) && len(fc.buf) < maxBuffer {
		fc.grow = nextPow2(int(min(total, maxBuffer)))
	}
	setReadDeadline(fc.c, fc.reqStart, srv.cfg.Fallback.ReadTimeout)
	if d := srv.cfg.Fallback.WriteTimeout; d > 0 {
		_ = fc.c.SetWriteDeadline(time.Now().Add(d))
	}
	fc.prepareRequest(h)
	fc.w.reset()
	srv.served.Add(1)
	if !fc.runHandler() {
		return false, false
	}
	keep = true
	if body.remain > 0 || body.err != nil {
		// The whole buffer was body: it is free to read the rest into.
		fc.start, fc.end = 0, 0
		keep = body.drain(fc.buf, maxDiscard)
		unread = !keep && body.err == nil
	}
	// As net/http: no keep-alive while shutting down or if the handler
	// asked for a close.
	keep = keep && !srv.closing.Load() && !strings.EqualFold(fc.w.header.Get("Connection"), "close")
	fc.out = fc.w.appendResponse(fc.out[:0], srv.dates.get(time.Now()), !keep)
	if _, err := fc.c.Write(fc.out); err != nil {
		return false, false
	}
	return keep, unread
}

// prepareRequest fills the connection's Request for head h.
func (fc *conn) prepareRequest(h *head) {
	if string(h.host) != fc.host {
		fc.host = string(h.host)
	}
	hdr := fc.req.Header
	if hdr == nil {
		hdr = make(http.Header, 2)
	}
	clear(hdr)
	if h.contentType != nil {
		hdr["Content-Type"] = reuse(&fc.contentType, h.contentType)
	}
	if h.contentEncoding != nil {
		hdr["Content-Encoding"] = reuse(&fc.contentEncoding, h.contentEncoding)
	}
	fc.url = url.URL{Path: fc.srv.cfg.Path}
	fc.req = http.Request{
		Method: fc.srv.cfg.Method, URL: &fc.url, Proto: "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1,
		Header: hdr, Body: &fc.body, ContentLength: h.contentLength, Host: fc.host,
		RemoteAddr: fc.remoteAddr, RequestURI: fc.srv.cfg.Path,
	}
}

// reuse returns a header value for v: *prev if it holds the same value
// (clients send the same Content-Type on every request), else a new one,
// kept in *prev. Handlers must not modify it.
func reuse(prev *[]string, v []byte) []string {
	if len(*prev) != 1 || (*prev)[0] != string(v) {
		*prev = []string{string(v)}
	}
	return *prev
}

// runHandler runs the handler; after a panic it logs it (unless it is
// http.ErrAbortHandler) and reports false: the connection is closed, as
// net/http closes it.
func (fc *conn) runHandler() (ok bool) {
	defer func() {
		if p := recover(); p != nil {
			ok = false
			if p != http.ErrAbortHandler { //nolint:errorlint // net/http compares the same way
				buf := make([]byte, 64<<10)
				buf = buf[:runtime.Stack(buf, false)]
				fc.srv.log.Error("panic serving a request", "remote", fc.remoteAddr, "panic", p, "stack", string(buf))
			}
		}
	}()
	fc.srv.cfg.Handler.ServeHTTP(&fc.w, &fc.req)
	return true
}

// requestBody is the body of a fast-path request: the bytes read with its
// head, then the rest from the connection.
type requestBody struct {
	pre    []byte
	c      net.Conn
	remain int64 // bytes still on the connection
	err    error // a read error, returned again
}

func (b *requestBody) Read(p []byte) (int, error) {
	if len(b.pre) > 0 {
		n := copy(p, b.pre)
		b.pre = b.pre[n:]
		if len(b.pre) == 0 && b.remain == 0 {
			return n, io.EOF
		}
		return n, nil
	}
	if b.err != nil {
		return 0, b.err
	}
	if b.remain <= 0 {
		return 0, io.EOF
	}
	if int64(len(p)) > b.remain {
		p = p[:b.remain]
	}
	n, err := b.c.Read(p)
	b.remain -= int64(n)
	switch {
	case err == nil && b.remain == 0:
		err = io.EOF
	case errors.Is(err, io.EOF):
		err = io.ErrUnexpectedEOF // the client closed before the whole body
		b.err = err
	case err != nil:
		b.err = err
	}
	return n, err
}

// Close is a no-op: the connection decides what becomes of an unread rest.
func (b *requestBody) Close() error { return nil }

// drain reads and drops what the handler left of the body on the
// connection, up to limit bytes, into scratch; it reports whether the
// connection can serve another request.
func (b *requestBody) drain(scratch []byte, limit int64) bool {
	b.pre = nil
	if b.err != nil || b.remain > limit {
		return false
	}
	for b.remain > 0 {
		if _, err := b.Read(scratch); err != nil && !errors.Is(err, io.EOF) {
			return false
		}
	}
	return true
}

func nextPow2(n int) int {
	p := minBuffer
	for p < n {
		p <<= 1
	}
	return p
}
