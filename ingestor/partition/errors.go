package partition

import (
	"errors"
	"fmt"
	"time"
)

var (
	// ErrBackpressure is wrapped by *BackpressureError.
	ErrBackpressure = errors.New("partition: backlog is full")
	// ErrNotReady is returned while a shard is (re)starting.
	ErrNotReady = errors.New("partition: not ready")
	// ErrStopping is returned once Stop has begun.
	ErrStopping = errors.New("partition: stopping")
)

// BackpressureError says that a shard's unflushed backlog is over its
// limit; the caller should retry after RetryAfter (HTTP 429).
type BackpressureError struct {
	Shard      int
	Backlog    int64
	Limit      int64
	RetryAfter time.Duration
}

func (e *BackpressureError) Error() string {
	return fmt.Sprintf("shard %d has %d unflushed bytes, over its limit of %d; retry after %s",
		e.Shard, e.Backlog, e.Limit, e.RetryAfter)
}

// Unwrap makes errors.Is(err, ErrBackpressure) true.
func (e *BackpressureError) Unwrap() error { return ErrBackpressure }
