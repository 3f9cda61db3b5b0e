package wal

import (
	"errors"
	"fmt"
	"time"

	"github.com/spf13/pflag"
)

// AckMode says when Append returns.
type AckMode string

const (
	// AckDurable returns once the records are on stable storage (fdatasync).
	// It is the default.
	AckDurable AckMode = "durable"
	// AckBuffered returns once the records are written to the operating
	// system; a background sync makes them durable every SyncInterval. A
	// machine crash can lose the last interval of acknowledged events.
	AckBuffered AckMode = "buffered"
)

// String implements pflag.Value.
func (m *AckMode) String() string { return string(*m) }

// Set implements pflag.Value.
func (m *AckMode) Set(s string) error {
	switch AckMode(s) {
	case AckDurable, AckBuffered:
		*m = AckMode(s)
		return nil
	}
	return fmt.Errorf("ack mode must be %q or %q, not %q", AckDurable, AckBuffered, s)
}

// Type implements pflag.Value.
func (m *AckMode) Type() string { return "ackMode" }

// Config tunes a log. Dir is set by the owner of the log, not by a flag.
type Config struct {
	// Dir is the directory of the log.
	Dir string
	// Ack chooses durable (default) or buffered acknowledgements.
	Ack AckMode
	// SegmentBytes is the preallocated size of a segment file.
	SegmentBytes int64
	// MaxGroupBytes bounds one group commit: one durable write.
	MaxGroupBytes int
	// MaxWait is how long the writer may hold a group that is not full, to
	// let more appends join it. It applies only while appends are
	// concurrent (the previous group held more than one append's records),
	// so a lone appender never waits for it; like PostgreSQL's commit_delay
	// with commit_siblings. Zero writes as soon as the previous sync
	// returns, which already groups every append that arrived meanwhile.
	// Fewer, larger groups cost fewer fdatasyncs, which are expensive in
	// CPU on virtual disks: see the README's measurements.
	MaxWait time.Duration
	// SyncInterval is how often buffered mode syncs.
	SyncInterval time.Duration
	// MaxRecordBytes bounds one record (id, key and event).
	MaxRecordBytes int
}

// Default values of Config.
const (
	DefaultSegmentBytes   = 64 << 20
	DefaultMaxGroupBytes  = 1 << 20
	DefaultSyncInterval   = 100 * time.Millisecond
	DefaultMaxWait        = 2 * time.Millisecond
	DefaultMaxRecordBytes = 2 << 20
)

// RegisterFlags registers the log's flags on fs with their defaults.
func (c *Config) RegisterFlags(fs *pflag.FlagSet) {
	c.Ack = AckDurable
	fs.Var(&c.Ack, "durability.ack", `when an event is acknowledged: "durable" (after fdatasync) or "buffered" (after write; synced every --wal.sync-interval)`)
	fs.Int64Var(&c.SegmentBytes, "wal.segment-bytes", DefaultSegmentBytes, "size of a preallocated WAL segment file")
	fs.IntVar(&c.MaxGroupBytes, "wal.max-group-bytes", DefaultMaxGroupBytes, "largest group commit (one durable write)")
	fs.DurationVar(&c.MaxWait, "wal.max-wait", DefaultMaxWait, "while appends are concurrent, how long a group commit may wait for more before writing (0: never)")
	fs.DurationVar(&c.SyncInterval, "wal.sync-interval", DefaultSyncInterval, "sync interval in buffered ack mode")
	fs.IntVar(&c.MaxRecordBytes, "wal.max-record-bytes", DefaultMaxRecordBytes, "largest record (event with its id and key)")
}

// ApplyDefaults fills zero fields with their defaults.
func (c *Config) ApplyDefaults() {
	if c.Ack == "" {
		c.Ack = AckDurable
	}
	if c.SegmentBytes == 0 {
		c.SegmentBytes = DefaultSegmentBytes
	}
	if c.MaxGroupBytes == 0 {
		c.MaxGroupBytes = DefaultMaxGroupBytes
	}
	if c.SyncInterval == 0 {
		c.SyncInterval = DefaultSyncInterval
	}
	if c.MaxRecordBytes == 0 {
		c.MaxRecordBytes = DefaultMaxRecordBytes
	}
}

// Validate reports the first invalid setting.
func (c *Config) Validate() error {
	var errs []error
	if c.Ack != AckDurable && c.Ack != AckBuffered {
		errs = append(errs, fmt.Errorf("durability.ack must be %q or %q, not %q", AckDurable, AckBuffered, c.Ack))
	}
	if c.SegmentBytes < 4<<10 || c.SegmentBytes > 1<<30 {
		errs = append(errs, fmt.Errorf("wal.segment-bytes must be between 4 KiB and 1 GiB, not %d", c.SegmentBytes))
	}
	if c.MaxGroupBytes < 4096 {
		errs = append(errs, fmt.Errorf("wal.max-group-bytes must be at least 4096, not %d", c.MaxGroupBytes))
	}
	if c.MaxRecordBytes < 1024 || c.MaxRecordBytes > maxFrameLen/2 {
		errs = append(errs, fmt.Errorf("wal.max-record-bytes must be between 1 KiB and 512 MiB, not %d", c.MaxRecordBytes))
	}
	if int64(c.MaxRecordBytes)+segmentHeaderSize+2*frameHeaderSize+commitPayloadSize+recordHeaderSize > c.SegmentBytes {
		errs = append(errs, fmt.Errorf("wal.segment-bytes (%d) must hold at least one record of wal.max-record-bytes (%d)", c.SegmentBytes, c.MaxRecordBytes))
	}
	if c.MaxWait < 0 {
		errs = append(errs, fmt.Errorf("wal.max-wait must not be negative, not %s", c.MaxWait))
	}
	if c.Ack == AckBuffered && c.SyncInterval <= 0 {
		errs = append(errs, fmt.Errorf("wal.sync-interval must be positive in buffered mode, not %s", c.SyncInterval))
	}
	return errors.Join(errs...)
}
