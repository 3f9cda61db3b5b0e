package event

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
)

// ReadBody reads a request body into dst, decompressing it according to
// contentEncoding: empty or "identity" for none, "gzip" (or "x-gzip") for
// gzip; anything else is rejected with unsupported_encoding. It reads at
// most MaxBodyBytes from body and appends at most MaxBodyBytes to dst, and
// fails with body_too_large beyond that; an *http.MaxBytesError from body
// is reported the same way.
//
// ReadBody lets a server read bodies into pooled buffers and parse them
// with [Parser.ParseBytes]. A rejected body yields an *[Error]; any other
// error comes from reading body.
func (p *Parser) ReadBody(dst *bytes.Buffer, body io.Reader, contentEncoding string) error {
	switch enc := strings.TrimSpace(contentEncoding); {
	case enc == "" || strings.EqualFold(enc, "identity"):
		return p.readPlain(dst, body)
	case strings.EqualFold(enc, "gzip") || strings.EqualFold(enc, "x-gzip"):
		return p.readGzip(dst, body)
	default:
		return Errorf(ReasonUnsupportedEncoding, NoIndex,
			"Content-Encoding %q is not supported, use gzip or identity", contentEncoding)
	}
}

// readPlain reads an uncompressed body.
func (p *Parser) readPlain(dst *bytes.Buffer, body io.Reader) error {
	start := dst.Len()
	_, err := dst.ReadFrom(io.LimitReader(body, p.cfg.MaxBodyBytes+1))
	if err != nil {
		return p.readError(err)
	}
	if int64(dst.Len()-start) > p.cfg.MaxBodyBytes {
		return p.bodyTooLarge()
	}
	return nil
}

// gunzipper decompresses one body; gunzippers are pooled by a Parser.
type gunzipper struct {
	src limitedReader
	br  *bufio.Reader // gives zr a ByteReader, so that Reset does not allocate
	zr  gzip.Reader
}

// readGzip reads and decompresses a gzip body.
func (p *Parser) readGzip(dst *bytes.Buffer, body io.Reader) error {
	g := p.gunzip.Get().(*gunzipper)
	defer func() {
		g.src = limitedReader{}
		g.br.Reset(nil)
		p.gunzip.Put(g)
	}()
	g.src = limitedReader{r: body, n: p.cfg.MaxBodyBytes}
	if g.br == nil {
		g.br = bufio.NewReader(&g.src)
	} else {
		g.br.Reset(&g.src)
	}
	if err := g.zr.Reset(g.br); err != nil {
		return p.gzipError(err, g.src.err)
	}
	start := dst.Len()
	if _, err := dst.ReadFrom(io.LimitReader(&g.zr, p.cfg.MaxBodyBytes+1)); err != nil {
		return p.gzipError(err, g.src.err)
	}
	if int64(dst.Len()-start) > p.cfg.MaxBodyBytes {
		return Errorf(ReasonBodyTooLarge, NoIndex,
			"the decompressed body is larger than the limit of %d bytes", p.cfg.MaxBodyBytes)
	}
	return nil
}

// gzipError classifies an error of the gzip reader; srcErr is the error,
// if any, of the underlying body.
func (p *Parser) gzipError(err, srcErr error) error {
	if srcErr != nil {
		return p.readError(srcErr)
	}
	msg := "invalid gzip stream: " + err.Error()
	switch {
	case errors.Is(err, io.EOF):
		msg = "the gzip stream is empty"
	case errors.Is(err, io.ErrUnexpectedEOF):
		msg = "the gzip stream is truncated"
	}
	return Errorf(ReasonBadGzip, NoIndex, "%s", msg).withCause(err)
}

// readError classifies an error reading the body.
func (p *Parser) readError(err error) error {
	var mbe *http.MaxBytesError
	if errors.Is(err, errTooLarge) || errors.As(err, &mbe) {
		return p.bodyTooLarge().withCause(err)
	}
	return fmt.Errorf("read body: %w", err)
}

// errTooLarge is returned by a limitedReader past its limit.
var errTooLarge = errors.New("body too large")

// limitedReader reads at most n bytes from r and fails with errTooLarge if
// r has more. It records the first error of r other than io.EOF.
type limitedReader struct {
	r   io.Reader
	n   int64
	err error
}

func (l *limitedReader) Read(p []byte) (int, error) {
	if l.err != nil {
		return 0, l.err
	}
	if int64(len(p)) > l.n+1 {
		p = p[:l.n+1]
	}
	n, err := l.r.Read(p)
	if int64(n) > l.n {
		n, l.err = int(l.n), errTooLarge
		l.n = 0
		return n, l.err
	}
	l.n -= int64(n)
	if err != nil && err != io.EOF {
		l.err = err
	}
	return n, err
}
