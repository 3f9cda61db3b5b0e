// Package pod wires one partition's process: its sink, its partition
// (shards, logs, flushers), its ring source and its HTTP server, and runs
// them until told to stop, then shuts down gracefully. `eventingestor serve`
// runs one Pod; a local cluster runs several in one process.
package pod

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"path/filepath"
	"regexp"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"

	"github.com/eventingestor/eventingestor/ingestor/event"
	"github.com/eventingestor/eventingestor/ingestor/partition"
	"github.com/eventingestor/eventingestor/ingestor/ring"
	"github.com/eventingestor/eventingestor/ingestor/server"
	"github.com/eventingestor/eventingestor/ingestor/sink"
)

// Config configures one partition's process.
type Config struct {
	// DataDir holds the partition's logs (DataDir/wal) and, for the file
	// sink without a directory of its own, its sink files (DataDir/sink).
	DataDir string
	// Partition is the partition's ordinal.
	Partition int
	// ShutdownTimeout bounds a graceful shutdown: draining requests and
	// flushing the backlog. What it does not flush stays in the logs.
	ShutdownTimeout time.Duration

	Partitions partition.Config
	Server     server.Config
	Event      event.Config
	Sink       sink.Config
}

// Validate reports invalid settings of the pod itself; the nested configs
// are validated by New.
func (c *Config) Validate() error {
	var errs []error
	if c.DataDir == "" {
		errs = append(errs, errors.New("data-dir must be set"))
	}
	if c.Partition < 0 {
		errs = append(errs, fmt.Errorf("partition must not be negative, not %d", c.Partition))
	}
	if c.ShutdownTimeout <= 0 {
		errs = append(errs, fmt.Errorf("shutdown-timeout must be positive, not %s", c.ShutdownTimeout))
	}
	return errors.Join(errs...)
}

// Options are a pod's collaborators.
type Options struct {
	// Ring is the source of the cluster's ring.
	Ring ring.Source
	// PeerURL overrides Server.PeerURLTemplate (local clusters on free ports).
	PeerURL func(partition int) string
	Logger  *slog.Logger
}

// Pod is one partition's process.
type Pod struct {
	cfg      Config
	Server   *server.Server
	Part     *partition.Partition
	Registry *prometheus.Registry
	log      *slog.Logger
}

// New builds the sink, the partition and the server; Start starts them.
func New(cfg Config, opts Options) (*Pod, error) {
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("invalid pod configuration: %w", err)
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	if opts.Ring == nil {
		return nil, errors.New("a pod needs a ring source")
	}
	log := opts.Logger.With("partition", cfg.Partition)
	sc := cfg.Sink
	if sc.Type == sink.TypeFile && sc.File.Dir == "" {
		sc.File.Dir = filepath.Join(cfg.DataDir, "sink")
	}
	if err := sc.Validate(); err != nil {
		return nil, fmt.Errorf("invalid sink configuration: %w", err)
	}
	parser, err := event.NewParser(cfg.Event)
	if err != nil {
		return nil, fmt.Errorf("invalid event configuration: %w", err)
	}
	snk, err := sink.New(sc, sink.Options{Partition: cfg.Partition, Logger: log})
	if err != nil {
		return nil, fmt.Errorf("while creating the %s sink: %w", sc.Type, err)
	}
	if err := checkRecordFits(cfg); err != nil {
		return nil, err
	}
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	pc := cfg.Partitions
	pc.Dir = filepath.Join(cfg.DataDir, "wal")
	pc.Partition = cfg.Partition
	part, err := partition.New(pc, partition.Options{Sink: snk, Logger: opts.Logger, Registerer: reg})
	if err != nil {
		_ = snk.Close()
		return nil, fmt.Errorf("while creating partition %d: %w", cfg.Partition, err)
	}
	srvCfg := cfg.Server
	srvCfg.Partition = cfg.Partition
	srv, err := server.New(srvCfg, server.Options{
		Partition: part, Ring: opts.Ring, Parser: parser, Registry: reg, Logger: opts.Logger, PeerURL: opts.PeerURL,
	})
	if err != nil {
		_ = snk.Close()
		return nil, fmt.Errorf("while creating the server of partition %d: %w", cfg.Partition, err)
	}
	return &Pod{cfg: cfg, Server: srv, Part: part, Registry: reg, log: log}, nil
}

// Start starts the partition: its logs recover in the background and the
// server is ready once they have.
func (p *Pod) Start() error { return p.Part.Start() }

// Serve serves HTTP on l until Shutdown.
func (p *Pod) Serve(l net.Listener) error { return p.Server.Serve(l) }

// Shutdown stops the pod gracefully within ctx (see server.Shutdown).
func (p *Pod) Shutdown(ctx context.Context) error { return p.Server.Shutdown(ctx) }

// Run starts the pod, listens on Server.Listen and serves until ctx ends,
// then shuts down within ShutdownTimeout.
func (p *Pod) Run(ctx context.Context) error {
	l, err := (&net.ListenConfig{}).Listen(ctx, "tcp", p.cfg.Server.Listen)
	if err != nil {
		return fmt.Errorf("while listening on %s: %w", p.cfg.Server.Listen, err)
	}
	if err := p.Start(); err != nil {
		_ = l.Close()
		return err
	}
	served := make(chan error, 1)
	go func() { served <- p.Serve(l) }()
	select {
	case err := <-served:
		sctx, cancel := context.WithTimeout(context.Background(), p.cfg.ShutdownTimeout)
		defer cancel()
		return errors.Join(err, p.Shutdown(sctx))
	case <-ctx.Done():
	}
	p.log.Info("stop requested; shutting down", "timeout", p.cfg.ShutdownTimeout)
	sctx, cancel := context.WithTimeout(context.Background(), p.cfg.ShutdownTimeout)
	defer cancel()
	err = p.Shutdown(sctx)
	return errors.Join(err, <-served)
}

var ordinalSuffix = regexp.MustCompile(`-(\d+)$`)

// OrdinalFromName is the partition ordinal of a StatefulSet pod name NAME-N.
func OrdinalFromName(name string) (int, error) {
	m := ordinalSuffix.FindStringSubmatch(name)
	if m == nil {
		return 0, fmt.Errorf("pod name %q does not end in -N, the StatefulSet ordinal", name)
	}
	n, err := strconv.Atoi(m[1])
	if err != nil || n > 1<<20 {
		return 0, fmt.Errorf("pod name %q has an invalid ordinal", name)
	}
	return n, nil
}

// checkRecordFits checks that the largest event the parser accepts, with
// the largest id and key, fits in one WAL record.
func checkRecordFits(cfg Config) error {
	ev, pc := cfg.Event, cfg.Partitions
	ev.ApplyDefaults()
	pc.ApplyDefaults()
	const idAndKey = 2*(1<<16-1) + 64
	if need := ev.MaxEventBytes + idAndKey; need > pc.WAL.MaxRecordBytes {
		return fmt.Errorf("event.max-event-bytes (%d) plus the largest id and key needs wal.max-record-bytes of at least %d, not %d",
			ev.MaxEventBytes, need, pc.WAL.MaxRecordBytes)
	}
	return nil
}
