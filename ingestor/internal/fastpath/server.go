package fastpath

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Config configures a Server.
type Config struct {
	// Method and Path are the request line served on the fast path, e.g.
	// "POST" and "/v1/events" (HTTP/1.1 only, no query string).
	Method, Path string
	// Handler serves the fast path's requests.
	Handler http.Handler
	// Fallback serves every other connection; its timeouts apply to the
	// fast path's connections too. Serve and Shutdown run it: do not call
	// its own Serve or Shutdown.
	Fallback *http.Server
	// Logger receives handler panics; default slog.Default().
	Logger *slog.Logger
}

// Validate reports what is missing from c.
func (c *Config) Validate() error {
	var errs []error
	if c.Method == "" || strings.ContainsAny(c.Method, " \r\n") {
		errs = append(errs, fmt.Errorf("fastpath: invalid method %q", c.Method))
	}
	if !strings.HasPrefix(c.Path, "/") || strings.ContainsAny(c.Path, " ?#\r\n") {
		errs = append(errs, fmt.Errorf("fastpath: invalid path %q", c.Path))
	}
	if c.Handler == nil || c.Fallback == nil {
		errs = append(errs, errors.New("fastpath: a handler and a fallback server are needed"))
	}
	return errors.Join(errs...)
}

// Server serves HTTP/1.1 connections, the one request shape of Config on
// the fast path and everything else through Config.Fallback.
type Server struct {
	cfg         Config
	requestLine string
	log         *slog.Logger
	dates       dateCache

	mu       sync.Mutex
	conns    map[*conn]struct{}
	handoff  *handoffListener // set by Serve
	closing  atomic.Bool
	served   atomic.Uint64 // requests served on the fast path
	done     chan struct{} // closed when closing is set and no conn is left
	doneOnce sync.Once
}

// New returns a server for cfg.
func New(cfg Config) (*Server, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	return &Server{
		cfg: cfg, requestLine: cfg.Method + " " + cfg.Path + " HTTP/1.1\r\n", log: cfg.Logger,
		conns: make(map[*conn]struct{}), done: make(chan struct{}),
	}, nil
}

// Serve accepts connections on l until Shutdown, and returns
// http.ErrServerClosed then, like http.Server.Serve; it closes l.
func (s *Server) Serve(l net.Listener) error {
	s.mu.Lock()
	if s.handoff != nil {
		s.mu.Unlock()
		return errors.New("fastpath: Serve called twice")
	}
	s.handoff = newHandoffListener(l.Addr(), func() { _ = l.Close() })
	s.mu.Unlock()
	if s.closing.Load() {
		_ = l.Close()
		return http.ErrServerClosed
	}
	fallback := make(chan error, 1)
	go func() { fallback <- s.cfg.Fallback.Serve(s.handoff) }()
	var tempDelay time.Duration
	for {
		c, err := l.Accept()
		if err != nil {
			if s.closing.Load() {
				s.waitFallback(fallback) // closed by Shutdown too
				return http.ErrServerClosed
			}
			if isTemporary(err) { // as net/http: back off on EMFILE and the like
				tempDelay = min(max(2*tempDelay, 5*time.Millisecond), time.Second)
				s.log.Warn("accept failed, retrying", "err", err, "in", tempDelay)
				time.Sleep(tempDelay)
				continue
			}
			_ = s.handoff.Close()
			s.waitFallback(fallback) // ends with the listener it serves
			return err
		}
		tempDelay = 0
		fc := s.track(c)
		if fc == nil {
			_ = c.Close()
			continue
		}
		go fc.serve()
	}
}

// temporary is the error method net/http's accept loop retries on
// (syscall.Errno has it: EMFILE, ENFILE, ECONNABORTED, EAGAIN, …).
type temporary interface{ Temporary() bool }

// isTemporary reports whether an accept error may go away by itself.
func isTemporary(err error) bool {
	var t temporary
	return errors.As(err, &t) && t.Temporary()
}

// waitFallback waits for the fallback server's Serve to return, once its
// listener is closed, and logs an unexpected error.
func (s *Server) waitFallback(served <-chan error) {
	if err := <-served; err != nil && !errors.Is(err, http.ErrServerClosed) && !errors.Is(err, net.ErrClosed) {
		s.log.Warn("the fallback HTTP server stopped", "err", err)
	}
}

// Served is the number of requests served on the fast path so far.
func (s *Server) Served() uint64 { return s.served.Load() }

// Shutdown stops accepting, closes idle connections, and waits until the
// requests being served are answered (on both paths) or ctx ends.
func (s *Server) Shutdown(ctx context.Context) error {
	s.closing.Store(true)
	s.mu.Lock()
	if s.handoff != nil {
		_ = s.handoff.Close() // also closes the listener
	}
	for c := range s.conns {
		c.closeIfIdle()
	}
	s.checkDone()
	s.mu.Unlock()
	errs := []error{s.cfg.Fallback.Shutdown(ctx)}
	select {
	case <-s.done:
	case <-ctx.Done():
		errs = append(errs, ctx.Err())
	}
	return errors.Join(errs...)
}

// track registers a new connection, or returns nil while shutting down.
func (s *Server) track(c net.Conn) *conn {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closing.Load() {
		return nil
	}
	fc := newConn(s, c)
	s.conns[fc] = struct{}{}
	return fc
}

// forget unregisters a connection that is closed or handed over.
func (s *Server) forget(c *conn) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.conns, c)
	s.checkDone()
}

// checkDone closes done once shutting down with no connection left; s.mu
// is held.
func (s *Server) checkDone() {
	if s.closing.Load() && len(s.conns) == 0 {
		s.doneOnce.Do(func() { close(s.done) })
	}
}

// idleTimeout is how long a connection may wait for its next request, as
// net/http's.
func (s *Server) idleTimeout() time.Duration {
	if s.cfg.Fallback.IdleTimeout != 0 {
		return s.cfg.Fallback.IdleTimeout
	}
	return s.cfg.Fallback.ReadTimeout
}

// headerTimeout is how long a request's head may take to arrive once it
// has started, as net/http's.
func (s *Server) headerTimeout() time.Duration {
	if s.cfg.Fallback.ReadHeaderTimeout != 0 { // negative: none, as net/http's
		return s.cfg.Fallback.ReadHeaderTimeout
	}
	return s.cfg.Fallback.ReadTimeout
}
