package server

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/http/pprof"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/eventingestor/eventingestor/ingestor/event"
	"github.com/eventingestor/eventingestor/ingestor/internal/fastpath"
	"github.com/eventingestor/eventingestor/ingestor/partition"
	"github.com/eventingestor/eventingestor/ingestor/ring"
	"github.com/eventingestor/eventingestor/ingestor/wal"
)

// EventsPath is the ingest endpoint.
const EventsPath = "/v1/events"

// Options are the server's collaborators.
type Options struct {
	// Partition is this pod's partition; the server stops it on Shutdown.
	Partition *partition.Partition
	// Ring is where the ring comes from.
	Ring ring.Source
	// Parser parses ingest bodies.
	Parser *event.Parser
	// PeerURL, if set, gives the base URL of a partition instead of
	// Config.PeerURLTemplate (a local cluster on random ports uses it).
	PeerURL func(partition int) string
	// Registry receives the server's metrics and is served on /metrics.
	Registry *prometheus.Registry
	Logger   *slog.Logger
	// Now is the clock of receive times; default time.Now.
	Now func() time.Time
}

// Server is one partition's HTTP API.
type Server struct {
	cfg    Config
	part   *partition.Partition
	ring   *ringView
	parser *event.Parser
	fwd    *forwarder
	m      *metrics
	log    *slog.Logger
	now    func() time.Time
	http   *http.Server
	fast   *fastpath.Server // nil with DisableFastPath
	mux    *http.ServeMux
	peers  func(int) string
	// deadlines bounds the waits of ingest requests (RequestTimeout).
	deadlines *sharedDeadline

	shuttingDown atomic.Bool
	inflight     atomic.Int64 // bytes of request bodies admitted

	// Slices of a request that are dead once it is answered: the logs and
	// the forwarder copy records before Append or forward returns.
	eventsPool  slicePool[event.Event]
	recordsPool slicePool[wal.Record]
}

// New builds a server; Serve runs it.
func New(cfg Config, opts Options) (*Server, error) {
	cfg.ApplyDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("invalid server configuration: %w", err)
	}
	if opts.Partition == nil || opts.Ring == nil || opts.Parser == nil {
		return nil, errors.New("a server needs a partition, a ring source and a parser")
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Registry == nil {
		opts.Registry = prometheus.NewRegistry()
	}
	s := &Server{
		cfg: cfg, part: opts.Partition, ring: newRingView(opts.Ring), parser: opts.Parser,
		log: opts.Logger.With("partition", cfg.Partition), now: opts.Now, peers: opts.PeerURL,
		deadlines: newSharedDeadline(cfg.RequestTimeout),
	}
	s.m = newMetrics(opts.Registry, func() float64 { return float64(s.ring.Current().Epoch) })
	s.fwd = newForwarder(cfg.Forward, cfg.Partition, s.peerURL, s.log, s.m)
	s.mux = http.NewServeMux()
	events := s.handle("POST "+EventsPath, "events", s.handleEvents)
	s.handle("POST "+internalRecordsPath, "records", s.handleRecords)
	s.handle("GET /v1/ring", "ring", s.handleRing)
	s.handle("GET /v1/status", "status", s.handleStatus)
	s.handle("GET /healthz", "healthz", s.handleHealthz)
	s.handle("GET /readyz", "readyz", s.handleReadyz)
	s.mux.Handle("GET /metrics", promhttp.HandlerFor(opts.Registry, promhttp.HandlerOpts{Registry: opts.Registry}))
	if cfg.Pprof {
		s.mux.HandleFunc("/debug/pprof/", pprof.Index)
		s.mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
		s.mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	}
	protocols := new(http.Protocols)
	protocols.SetHTTP1(true)
	protocols.SetUnencryptedHTTP2(true)
	s.http = &http.Server{
		Handler:           s.mux,
		Protocols:         protocols,
		ReadHeaderTimeout: 10 * time.Second,
		IdleTimeout:       120 * time.Second,
		ErrorLog:          slog.NewLogLogger(s.log.Handler(), slog.LevelWarn),
	}
	if !cfg.DisableFastPath {
		fast, err := fastpath.New(fastpath.Config{Method: http.MethodPost, Path: EventsPath, Handler: events, Fallback: s.http, Logger: s.log})
		if err != nil {
			return nil, fmt.Errorf("while setting up the ingest fast path: %w", err)
		}
		s.fast = fast
		opts.Registry.MustRegister(prometheus.NewCounterFunc(prometheus.CounterOpts{
			Name: "eventingestor_http_fast_path_requests_total",
			Help: "Ingest requests served on the HTTP/1.1 fast path (the others go through net/http).",
		}, func() float64 { return float64(fast.Served()) }))
	}
	return s, nil
}

// Handler is the server's HTTP handler (for tests and embedding).
func (s *Server) Handler() http.Handler { return s.mux }

func (s *Server) peerURL(p int) string {
	if s.peers != nil {
		return s.peers(p)
	}
	if s.cfg.PeerURLTemplate == "" {
		return "http://partition-" + strconv.Itoa(p) + ".invalid"
	}
	return s.cfg.PeerURL(p)
}

// handle registers a handler with request metrics, and returns it with
// them.
func (s *Server) handle(pattern, name string, h http.HandlerFunc) http.HandlerFunc {
	seconds := s.m.requestSeconds.WithLabelValues(name)
	withMetrics := func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		rec := &statusRecorder{ResponseWriter: w, status: http.StatusOK}
		h(rec, r)
		seconds.Observe(time.Since(start).Seconds())
		s.m.requests.WithLabelValues(name, strconv.Itoa(rec.status)).Inc()
	}
	s.mux.HandleFunc(pattern, withMetrics)
	return withMetrics
}

type statusRecorder struct {
	http.ResponseWriter
	status int
}

func (r *statusRecorder) WriteHeader(code int) {
	r.status = code
	r.ResponseWriter.WriteHeader(code)
}

// checkReady returns why the server cannot take events now, or nil.
func (s *Server) checkReady() *apiError {
	switch {
	case s.shuttingDown.Load():
		return &apiError{Status: http.StatusServiceUnavailable, Reason: ReasonUnavailable, Message: "shutting down", RetryAfter: time.Second}
	case !s.ring.Ready():
		return &apiError{Status: http.StatusServiceUnavailable, Reason: ReasonUnavailable, Message: "no ring yet", RetryAfter: time.Second}
	case !s.part.Ready():
		return &apiError{Status: http.StatusServiceUnavailable, Reason: ReasonUnavailable, Message: "write-ahead logs are recovering", RetryAfter: time.Second}
	}
	return nil
}

// Serve accepts connections on l until Shutdown; it returns nil after a
// graceful shutdown.
func (s *Server) Serve(l net.Listener) error {
	s.log.Info("serving", "addr", l.Addr().String(), "fastPath", s.fast != nil)
	serve := s.http.Serve
	if s.fast != nil {
		serve = s.fast.Serve
	}
	if err := serve(l); !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("while serving on %s: %w", l.Addr(), err)
	}
	return nil
}

// Shutdown stops the server gracefully within ctx: it turns unready, keeps
// serving for UnreadyDelay, stops accepting requests and waits for the ones
// in flight, then stops the partition, which flushes what ctx allows. What
// is not flushed stays in the logs.
func (s *Server) Shutdown(ctx context.Context) error {
	s.shuttingDown.Store(true)
	s.log.Info("shutting down: unready", "unreadyDelay", s.cfg.UnreadyDelay)
	if s.cfg.UnreadyDelay > 0 {
		t := time.NewTimer(s.cfg.UnreadyDelay)
		select {
		case <-t.C:
		case <-ctx.Done():
			t.Stop()
		}
	}
	var errs []error
	shutdown := s.http.Shutdown
	if s.fast != nil {
		shutdown = s.fast.Shutdown // and s.http's
	}
	if err := shutdown(ctx); err != nil {
		errs = append(errs, fmt.Errorf("while stopping the HTTP server: %w", err))
	}
	s.deadlines.close() // requests still waiting (ctx ended first) give up
	s.fwd.close()
	if err := s.part.Stop(ctx); err != nil {
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}

// LearnRing makes the server route by r if it is newer than its ring, as if
// a peer had taught it; it fails if r is not a valid newer ring.
func (s *Server) LearnRing(r ring.Ring) error {
	if !s.ring.Learn(r) {
		return fmt.Errorf("ring %v is not a valid successor of %v", r, s.ring.Current())
	}
	return nil
}
