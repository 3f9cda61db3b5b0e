// Package localcluster runs a whole EventIngestor cluster in one process on
// loopback, with no Kubernetes: one partition per HTTP listener, each with
// its own data directory, forwarding to the others over real HTTP. It is
// `eventingestor dev` and the data-plane tests' cluster.
package localcluster

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"path/filepath"
	"strconv"
	"sync"
	"time"

	"github.com/eventingestor/eventingestor/ingestor/pod"
	"github.com/eventingestor/eventingestor/ingestor/ring"
)

// Config describes a local cluster.
type Config struct {
	// Partitions is the number of partitions (and listeners).
	Partitions int
	// DataDir holds each partition's data under DataDir/pN: its logs in
	// wal/ and, for the file sink without a directory, its sink files in sink/.
	DataDir string
	// Host is the listen address; default 127.0.0.1.
	Host string
	// BasePort: partition p listens on BasePort+p; 0 picks free ports.
	BasePort int
	// Pod is the template of every member: its DataDir and Partition are
	// set per member, and a zero ShutdownTimeout becomes a minute.
	Pod pod.Config
}

// Validate reports invalid settings of the cluster itself; the Pod
// template is validated when the members are built.
func (c *Config) Validate() error {
	var errs []error
	if c.Partitions < 1 || c.Partitions > 64 {
		errs = append(errs, fmt.Errorf("partitions must be between 1 and 64 for a local cluster, not %d", c.Partitions))
	}
	if c.DataDir == "" {
		errs = append(errs, errors.New("the data directory must be set"))
	}
	if c.BasePort < 0 || c.BasePort+c.Partitions > 65535 {
		errs = append(errs, fmt.Errorf("base port %d does not leave room for %d partitions", c.BasePort, c.Partitions))
	}
	return errors.Join(errs...)
}

// Member is one partition of a local cluster.
type Member struct {
	Partition int
	URL       string
	// Pod is the member's process: its server, partition and metrics.
	Pod      *pod.Pod
	listener net.Listener
}

// Cluster is a running local cluster.
type Cluster struct {
	Members []*Member
	// Ring is the cluster's ring source, shared by the members.
	Ring *ring.Static
	wg   sync.WaitGroup
	errs chan error
}

// Start listens, recovers every partition's logs and serves.
func Start(cfg Config, logger *slog.Logger) (*Cluster, error) {
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("invalid local cluster: %w", err)
	}
	if cfg.Host == "" {
		cfg.Host = "127.0.0.1"
	}
	if logger == nil {
		logger = slog.Default()
	}
	c := &Cluster{
		Ring: ring.NewStatic(ring.Ring{Epoch: 1, Partitions: cfg.Partitions, Phase: ring.PhaseStable}),
		errs: make(chan error, cfg.Partitions),
	}
	urls := make([]string, cfg.Partitions)
	for p := range cfg.Partitions {
		port := 0
		if cfg.BasePort > 0 {
			port = cfg.BasePort + p
		}
		l, err := (&net.ListenConfig{}).Listen(context.Background(), "tcp", net.JoinHostPort(cfg.Host, strconv.Itoa(port)))
		if err != nil {
			c.closeListeners()
			return nil, fmt.Errorf("while listening for partition %d: %w", p, err)
		}
		urls[p] = "http://" + l.Addr().String()
		c.Members = append(c.Members, &Member{Partition: p, URL: urls[p], listener: l})
	}
	for _, m := range c.Members {
		if err := c.build(cfg, m, urls, logger); err != nil {
			c.closeListeners()
			return nil, err
		}
	}
	for _, m := range c.Members {
		c.wg.Go(func() {
			if err := m.Pod.Serve(m.listener); err != nil {
				c.errs <- err
			}
		})
	}
	return c, nil
}

// build wires member m as a pod whose data lives in DataDir/pN.
func (c *Cluster) build(cfg Config, m *Member, urls []string, logger *slog.Logger) error {
	pc := cfg.Pod
	pc.DataDir = filepath.Join(cfg.DataDir, fmt.Sprintf("p%d", m.Partition))
	pc.Partition = m.Partition
	if pc.ShutdownTimeout == 0 {
		pc.ShutdownTimeout = time.Minute
	}
	pd, err := pod.New(pc, pod.Options{Ring: c.Ring, Logger: logger, PeerURL: func(p int) string { return urls[p] }})
	if err != nil {
		return err
	}
	if err := pd.Start(); err != nil {
		return fmt.Errorf("while starting partition %d: %w", m.Partition, err)
	}
	m.Pod = pd
	return nil
}

func (c *Cluster) closeListeners() {
	for _, m := range c.Members {
		_ = m.listener.Close()
		if m.Pod != nil {
			_ = m.Pod.Part.Stop(context.Background())
		}
	}
}

// URLs are the members' base URLs, in partition order.
func (c *Cluster) URLs() []string {
	urls := make([]string, len(c.Members))
	for i, m := range c.Members {
		urls[i] = m.URL
	}
	return urls
}

// Ready reports whether every member is ready.
func (c *Cluster) Ready() bool {
	for _, m := range c.Members {
		if !m.Pod.Part.Ready() {
			return false
		}
	}
	return true
}

// Errors delivers serve errors (a listener that failed).
func (c *Cluster) Errors() <-chan error { return c.errs }

// Stop shuts every member down gracefully within ctx: each turns unready,
// finishes its requests and flushes what ctx allows.
func (c *Cluster) Stop(ctx context.Context) error {
	errs := make([]error, len(c.Members))
	var wg sync.WaitGroup
	for i, m := range c.Members {
		wg.Go(func() { errs[i] = m.Pod.Shutdown(ctx) })
	}
	wg.Wait()
	c.wg.Wait()
	return errors.Join(errs...)
}
