package server

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/pflag"
)

// Config configures a partition's HTTP server.
type Config struct {
	// Listen is the address of the one HTTP port (HTTP/1.1 and h2c).
	Listen string
	// Partition is this pod's partition ordinal; set by the caller.
	Partition int
	// PeerURLTemplate is the base URL of partition {partition}, e.g.
	// http://NAME-{partition}.NAME-headless.NS.svc:8080.
	PeerURLTemplate string
	// RequestTimeout bounds how long an ingest request waits for every
	// owner's acknowledgement before it answers 503, to within 1/16 of it
	// (requests arriving close together share a deadline).
	RequestTimeout time.Duration
	// Forward tunes forwarding to owner partitions.
	Forward ForwardConfig
	// UnreadyDelay is how long Shutdown keeps serving after turning
	// unready, so that load balancers stop sending first.
	UnreadyDelay time.Duration
	// MaxInflightBytes bounds the request bodies held in memory at once
	// (ingest and forwarded); beyond it requests get 429.
	MaxInflightBytes int64
	// Pprof serves net/http/pprof under /debug/pprof/.
	Pprof bool
	// DisableFastPath serves POST /v1/events with net/http too, instead of
	// on the HTTP/1.1 fast path (package fastpath).
	DisableFastPath bool
}

// ForwardConfig tunes the coalescing forwarder.
type ForwardConfig struct {
	// MaxBatchBytes bounds one internal request's body.
	MaxBatchBytes int
	// Concurrency is the number of internal requests in flight per owner.
	Concurrency int
	// Timeout bounds one internal request.
	Timeout time.Duration
	// MaxQueuedBytes bounds the records waiting for one owner; beyond it
	// requests that need that owner get 429.
	MaxQueuedBytes int
}

// PartitionPlaceholder is replaced by a partition ordinal in PeerURLTemplate.
const PartitionPlaceholder = "{partition}"

// RegisterFlags registers the server flags.
func (c *Config) RegisterFlags(fs *pflag.FlagSet) {
	fs.StringVar(&c.Listen, "listen", ":8080", "address of the HTTP API (ingest, ring, status, health, metrics)")
	fs.StringVar(&c.PeerURLTemplate, "peer-url-template", "",
		"base URL of partition {partition}, for forwarding, e.g. http://NAME-{partition}.NAME-headless.NS.svc:8080 (needed with more than one partition)")
	fs.DurationVar(&c.RequestTimeout, "request-timeout", 30*time.Second, "how long an ingest request waits for its acknowledgements before it is answered 503 (up to 1/16 longer: requests share deadlines)")
	fs.IntVar(&c.Forward.MaxBatchBytes, "forward.max-batch-bytes", 4<<20, "largest body of one forward request")
	fs.IntVar(&c.Forward.Concurrency, "forward.concurrency", 8, "forward requests in flight per owner partition")
	fs.DurationVar(&c.Forward.Timeout, "forward.timeout", 30*time.Second, "timeout of one forward request")
	fs.DurationVar(&c.UnreadyDelay, "shutdown.unready-delay", 0, "on shutdown, keep serving this long after turning unready")
	fs.BoolVar(&c.Pprof, "debug.pprof", false, "serve Go profiles under /debug/pprof/ on the API port")
	fs.BoolVar(&c.DisableFastPath, "http.disable-fast-path", false, "serve POST /v1/events over HTTP/1.1 with net/http like every other request, instead of on the ingest fast path")
	fs.Int64Var(&c.MaxInflightBytes, "max-inflight-bytes", 256<<20, "request bodies held in memory at once before requests get 429")
	fs.IntVar(&c.Forward.MaxQueuedBytes, "forward.max-queued-bytes", 64<<20, "records waiting for one owner partition before requests get 429")
}

// ApplyDefaults fills zero fields.
func (c *Config) ApplyDefaults() {
	if c.Listen == "" {
		c.Listen = ":8080"
	}
	if c.RequestTimeout == 0 {
		c.RequestTimeout = 30 * time.Second
	}
	if c.Forward.MaxBatchBytes == 0 {
		c.Forward.MaxBatchBytes = 4 << 20
	}
	if c.Forward.Concurrency == 0 {
		c.Forward.Concurrency = 8
	}
	if c.Forward.Timeout == 0 {
		c.Forward.Timeout = 30 * time.Second
	}
	if c.Forward.MaxQueuedBytes == 0 {
		c.Forward.MaxQueuedBytes = 64 << 20
	}
	if c.MaxInflightBytes == 0 {
		c.MaxInflightBytes = 256 << 20
	}
}

// Validate reports invalid settings.
func (c *Config) Validate() error {
	var errs []error
	if c.Partition < 0 {
		errs = append(errs, fmt.Errorf("partition must not be negative, not %d", c.Partition))
	}
	if t := c.PeerURLTemplate; t != "" {
		if !strings.Contains(t, PartitionPlaceholder) {
			errs = append(errs, fmt.Errorf("peer-url-template %q must contain %s", t, PartitionPlaceholder))
		}
		if !strings.HasPrefix(t, "http://") && !strings.HasPrefix(t, "https://") {
			errs = append(errs, fmt.Errorf("peer-url-template %q must start with http:// or https://", t))
		}
	}
	if c.RequestTimeout <= 0 || c.Forward.Timeout <= 0 {
		errs = append(errs, errors.New("request-timeout and forward.timeout must be positive"))
	}
	if c.Forward.MaxBatchBytes < 64<<10 {
		errs = append(errs, fmt.Errorf("forward.max-batch-bytes must be at least 64 KiB, not %d", c.Forward.MaxBatchBytes))
	}
	if c.Forward.Concurrency < 1 {
		errs = append(errs, fmt.Errorf("forward.concurrency must be at least 1, not %d", c.Forward.Concurrency))
	}
	if c.MaxInflightBytes < 1<<20 || c.Forward.MaxQueuedBytes < c.Forward.MaxBatchBytes {
		errs = append(errs, fmt.Errorf("max-inflight-bytes (%d) must be at least 1 MiB and forward.max-queued-bytes (%d) at least forward.max-batch-bytes (%d)",
			c.MaxInflightBytes, c.Forward.MaxQueuedBytes, c.Forward.MaxBatchBytes))
	}
	if c.UnreadyDelay < 0 {
		errs = append(errs, fmt.Errorf("shutdown.unready-delay must not be negative, not %s", c.UnreadyDelay))
	}
	return errors.Join(errs...)
}

// PeerURL is the base URL of partition p.
func (c *Config) PeerURL(p int) string {
	return strings.TrimRight(strings.ReplaceAll(c.PeerURLTemplate, PartitionPlaceholder, strconv.Itoa(p)), "/")
}
