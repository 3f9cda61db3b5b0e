package bench

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"sync"
	"time"
)

// StartBareServer starts the baseline server on 127.0.0.1 and returns its
// base URL and a function that stops it. The server answers every POST to
// /v1/events with 202 {"accepted":N} as soon as it has drained the body,
// N being the number of NDJSON lines (1 for a JSON object): it measures
// what the HTTP stack alone costs on this machine. Like httptest.NewServer,
// it panics if it cannot listen.
func StartBareServer() (url string, stop func()) {
	url, stop, err := startBareServer()
	if err != nil {
		panic(err)
	}
	return url, stop
}

// startBareServer starts the baseline server.
func startBareServer() (url string, stop func(), err error) {
	ln, err := (&net.ListenConfig{}).Listen(context.Background(), "tcp", "127.0.0.1:0")
	if err != nil {
		return "", nil, fmt.Errorf("while starting the bare baseline server: %w", err)
	}
	mux := http.NewServeMux()
	mux.Handle("POST "+EventsPath, newBareHandler())
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second, IdleTimeout: 2 * time.Minute}
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = srv.Serve(ln) // http.ErrServerClosed once stopped
	}()
	stop = func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := srv.Shutdown(ctx); err != nil {
			srv.Close()
		}
		<-done
	}
	return "http://" + ln.Addr().String(), stop, nil
}

// bareHandler drains request bodies and acknowledges their events.
type bareHandler struct {
	bufs sync.Pool // of *[]byte
}

func newBareHandler() *bareHandler {
	h := &bareHandler{}
	h.bufs.New = func() any {
		b := make([]byte, 32<<10)
		return &b
	}
	return h
}

func (h *bareHandler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	buf := h.bufs.Get().(*[]byte)
	n, err := countLines(r.Body, *buf)
	h.bufs.Put(buf)
	w.Header().Set("Content-Type", contentTypeJSON)
	if err != nil {
		w.WriteHeader(http.StatusBadRequest)
		_, _ = w.Write([]byte(`{"reason":"read_failed","message":"could not read the body"}`))
		return
	}
	var out [32]byte
	body := strconv.AppendInt(append(out[:0], `{"accepted":`...), n, 10)
	w.WriteHeader(http.StatusAccepted)
	_, _ = w.Write(append(body, '}'))
}

// countLines reads r to its end and returns the number of lines: the
// newlines, plus one if the data does not end with a newline.
func countLines(r io.Reader, buf []byte) (int64, error) {
	var lines int64
	last := byte('\n')
	for {
		n, err := r.Read(buf)
		if chunk := buf[:n]; len(chunk) > 0 {
			lines += int64(bytes.Count(chunk, []byte{'\n'}))
			last = chunk[len(chunk)-1]
		}
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return 0, err
		}
	}
	if last != '\n' {
		lines++
	}
	return lines, nil
}
