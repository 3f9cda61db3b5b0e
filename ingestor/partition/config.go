package partition

import (
	"errors"
	"fmt"
	"runtime"
	"time"

	"github.com/spf13/pflag"

	"github.com/eventingestor/eventingestor/ingestor/wal"
)

// Config configures a partition. Dir and Partition are set by the caller.
type Config struct {
	// Dir holds the partition's shard logs (Dir/shard-NN).
	Dir string
	// Partition is the partition's ordinal in the ring.
	Partition int
	// Shards is the number of shards; 0 means one per CPU.
	Shards int
	// MaxBacklogBytes bounds the unflushed bytes of the whole partition;
	// each shard gets an equal share.
	MaxBacklogBytes int64
	// Flush triggers a sink write.
	Flush FlushConfig
	// SinkRetry is the backoff between failed sink writes.
	SinkRetry Backoff
	// Restart is the backoff between shard restarts, and when a shard
	// counts as failing.
	Restart RestartConfig
	// WAL configures each shard's log; its Dir is set per shard.
	WAL wal.Config
}

// FlushConfig says when a shard's flusher sends a batch: when Interval has
// passed since unflushed events appeared, or MaxEvents or MaxBytes are
// waiting, whichever comes first.
type FlushConfig struct {
	Interval  time.Duration
	MaxEvents int
	MaxBytes  int
}

// Backoff is a capped exponential backoff with jitter.
type Backoff struct {
	Initial time.Duration
	Max     time.Duration
}

// RestartConfig bounds shard restarts.
type RestartConfig struct {
	Backoff Backoff
	// MaxRestarts restarts of one shard within Window make the partition
	// unhealthy (until the window slides past them).
	MaxRestarts int
	Window      time.Duration
}

// Defaults. Under a full backlog a flusher's pace is set by how many times
// it waits (for a read, the sink's sync, the checkpoint's), not by its own
// CPU, so batches are large: with ~200-byte events DefaultFlushMaxBytes is
// the cap, ~20,000 events. Measured on 2 cores shared with 2,000 senders:
// 5,000-event batches flushed 250-290k events/s, 20,000-event ones 400-430k.
const (
	DefaultMaxBacklogBytes = 1 << 30
	DefaultFlushInterval   = time.Second
	DefaultFlushMaxEvents  = 20000
	DefaultFlushMaxBytes   = 4 << 20
)

// RegisterFlags registers the partition's flags, the WAL's among them.
func (c *Config) RegisterFlags(fs *pflag.FlagSet) {
	fs.IntVar(&c.Shards, "shards", 0, "shards per partition (0: one per CPU)")
	fs.Int64Var(&c.MaxBacklogBytes, "durability.max-backlog", DefaultMaxBacklogBytes, "unflushed bytes per partition before ingest answers 429")
	fs.DurationVar(&c.Flush.Interval, "flush.interval", DefaultFlushInterval, "flush a shard's events at least this often")
	fs.IntVar(&c.Flush.MaxEvents, "flush.max-events", DefaultFlushMaxEvents, "flush when this many events are waiting (and the largest batch)")
	fs.IntVar(&c.Flush.MaxBytes, "flush.max-bytes", DefaultFlushMaxBytes, "flush when this many bytes are waiting (and the largest batch)")
	fs.DurationVar(&c.SinkRetry.Initial, "sink.retry.initial", 100*time.Millisecond, "first backoff after a failed sink write")
	fs.DurationVar(&c.SinkRetry.Max, "sink.retry.max", 30*time.Second, "largest backoff between sink write attempts")
	fs.DurationVar(&c.Restart.Backoff.Initial, "shard.restart.initial", 100*time.Millisecond, "first backoff before restarting a failed shard")
	fs.DurationVar(&c.Restart.Backoff.Max, "shard.restart.max", 10*time.Second, "largest backoff before restarting a failed shard")
	fs.IntVar(&c.Restart.MaxRestarts, "shard.restart.max-restarts", 5, "restarts of a shard within --shard.restart.window that make the pod unhealthy")
	fs.DurationVar(&c.Restart.Window, "shard.restart.window", time.Minute, "window over which shard restarts are counted")
	c.WAL.RegisterFlags(fs)
}

// ApplyDefaults fills zero fields.
func (c *Config) ApplyDefaults() {
	if c.Shards == 0 {
		c.Shards = runtime.GOMAXPROCS(0)
	}
	if c.MaxBacklogBytes == 0 {
		c.MaxBacklogBytes = DefaultMaxBacklogBytes
	}
	if c.Flush.Interval == 0 {
		c.Flush.Interval = DefaultFlushInterval
	}
	if c.Flush.MaxEvents == 0 {
		c.Flush.MaxEvents = DefaultFlushMaxEvents
	}
	if c.Flush.MaxBytes == 0 {
		c.Flush.MaxBytes = DefaultFlushMaxBytes
	}
	if c.SinkRetry.Initial == 0 {
		c.SinkRetry = Backoff{Initial: 100 * time.Millisecond, Max: 30 * time.Second}
	}
	if c.Restart.Backoff.Initial == 0 {
		c.Restart.Backoff = Backoff{Initial: 100 * time.Millisecond, Max: 10 * time.Second}
	}
	if c.Restart.MaxRestarts == 0 {
		c.Restart.MaxRestarts = 5
	}
	if c.Restart.Window == 0 {
		c.Restart.Window = time.Minute
	}
	c.WAL.ApplyDefaults()
}

// Validate reports every invalid setting.
func (c *Config) Validate() error {
	var errs []error
	if c.Dir == "" {
		errs = append(errs, errors.New("the partition's data directory must be set"))
	}
	if c.Partition < 0 {
		errs = append(errs, fmt.Errorf("partition must not be negative, not %d", c.Partition))
	}
	if c.Shards < 1 || c.Shards > 64 {
		errs = append(errs, fmt.Errorf("shards must be between 1 and 64, not %d", c.Shards))
	}
	if c.MaxBacklogBytes < 1<<20 {
		errs = append(errs, fmt.Errorf("durability.max-backlog must be at least 1 MiB, not %d", c.MaxBacklogBytes))
	}
	if c.Flush.Interval <= 0 {
		errs = append(errs, fmt.Errorf("flush.interval must be positive, not %s", c.Flush.Interval))
	}
	if c.Flush.MaxEvents < 1 {
		errs = append(errs, fmt.Errorf("flush.max-events must be at least 1, not %d", c.Flush.MaxEvents))
	}
	if c.Flush.MaxBytes < 1024 {
		errs = append(errs, fmt.Errorf("flush.max-bytes must be at least 1024, not %d", c.Flush.MaxBytes))
	}
	for name, b := range map[string]Backoff{"sink.retry": c.SinkRetry, "shard.restart": c.Restart.Backoff} {
		if b.Initial <= 0 || b.Max < b.Initial {
			errs = append(errs, fmt.Errorf("%s backoff must have 0 < initial (%s) <= max (%s)", name, b.Initial, b.Max))
		}
	}
	if c.Restart.MaxRestarts < 1 || c.Restart.Window <= 0 {
		errs = append(errs, fmt.Errorf("shard.restart.max-restarts (%d) and window (%s) must be positive", c.Restart.MaxRestarts, c.Restart.Window))
	}
	if err := c.WAL.Validate(); err != nil {
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}
