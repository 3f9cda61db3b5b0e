package sink

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/spf13/pflag"
)

// Record is one event handed to a sink.
type Record struct {
	// ID is the event id, the de-duplication key.
	ID string
	// Key is the partition key.
	Key []byte
	// Slot is the ring slot of the key.
	Slot uint16
	// Epoch is the ring epoch the event was accepted under.
	Epoch uint64
	// ReceivedAt is when the event was received, in unix nanoseconds.
	ReceivedAt int64
	// Data is the event's JSON exactly as received.
	Data []byte
}

// Batch is what a shard's flusher hands to a sink in one Write. The records
// and their byte slices are only valid during the call.
type Batch struct {
	// Partition and Shard name the flusher that sends the batch. Records of
	// one (Partition, Shard) arrive in log order, batch after batch.
	Partition int
	Shard     int
	Records   []Record
}

// Sink is a destination for events.
type Sink interface {
	// Write stores the batch and returns nil only once it is stored. It may
	// be called concurrently for different shards, never concurrently for
	// the same shard. A returned error makes the flusher retry the same
	// batch with backoff.
	Write(ctx context.Context, b Batch) error
	// Close releases resources; no Write follows it.
	Close() error
}

// Type names a sink implementation.
type Type string

// The sink types.
const (
	TypeLog  Type = "log"
	TypeFile Type = "file"
)

// Config selects and configures the sink of a partition.
type Config struct {
	Type Type
	File FileConfig
}

// FileConfig configures the file sink.
type FileConfig struct {
	// Dir is where the NDJSON files are written.
	Dir string
	// MaxBytes rotates a file once it reaches this size.
	MaxBytes int64
	// MaxAge rotates a file once it has been open this long.
	MaxAge time.Duration
}

// RegisterFlags registers the sink flags.
func (c *Config) RegisterFlags(fs *pflag.FlagSet) {
	c.Type = TypeFile
	fs.Var((*typeValue)(&c.Type), "sink.type", `sink type: "log" (NDJSON on stdout) or "file" (rotated NDJSON files)`)
	fs.StringVar(&c.File.Dir, "sink.file.dir", "", "directory of the file sink (default: DATA_DIR/sink)")
	fs.Int64Var(&c.File.MaxBytes, "sink.file.max-bytes", 64<<20, "rotate a file sink file at this size")
	fs.DurationVar(&c.File.MaxAge, "sink.file.max-age", time.Hour, "rotate a file sink file after this long")
}

// Validate reports invalid settings.
func (c *Config) Validate() error {
	switch c.Type {
	case TypeLog:
		return nil
	case TypeFile:
		var errs []error
		if c.File.Dir == "" {
			errs = append(errs, errors.New("sink.file.dir must be set for the file sink"))
		}
		if c.File.MaxBytes < 4096 {
			errs = append(errs, fmt.Errorf("sink.file.max-bytes must be at least 4096, not %d", c.File.MaxBytes))
		}
		if c.File.MaxAge < time.Second {
			errs = append(errs, fmt.Errorf("sink.file.max-age must be at least 1s, not %s", c.File.MaxAge))
		}
		return errors.Join(errs...)
	}
	return fmt.Errorf("unknown sink type %q (want %q or %q)", c.Type, TypeLog, TypeFile)
}

type typeValue Type

func (v *typeValue) String() string { return string(*v) }
func (v *typeValue) Set(s string) error {
	switch Type(s) {
	case TypeLog, TypeFile:
		*v = typeValue(s)
		return nil
	}
	return fmt.Errorf("unknown sink type %q (want %q or %q)", s, TypeLog, TypeFile)
}
func (v *typeValue) Type() string { return "sinkType" }

// Options are the collaborators of a sink.
type Options struct {
	// Partition is the partition the sink serves; file names carry it.
	Partition int
	Logger    *slog.Logger
	// Now is the clock (file rotation by age); default time.Now.
	Now func() time.Time
}

// New builds the sink that cfg selects. cfg must be valid.
func New(cfg Config, opts Options) (Sink, error) {
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	switch cfg.Type {
	case TypeLog:
		return NewLog(nil), nil
	case TypeFile:
		return NewFile(cfg.File, opts)
	}
	return nil, fmt.Errorf("unknown sink type %q", cfg.Type)
}
