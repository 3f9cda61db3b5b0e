package server

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/eventingestor/eventingestor/ingestor/event"
	"github.com/eventingestor/eventingestor/ingestor/partition"
	"github.com/eventingestor/eventingestor/ingestor/ring"
	"github.com/eventingestor/eventingestor/ingestor/wal"
)

// Reasons of errors that are not about the request body (those come from
// the event package).
const (
	ReasonBackpressure = "backpressure"
	ReasonUnavailable  = "unavailable"
	ReasonTimeout      = "timeout"
	ReasonRingChanging = "ring_changing"
	ReasonStaleRing    = "stale_ring"
	ReasonMisrouted    = "misrouted"
	ReasonBadRequest   = "bad_request"
	ReasonInternal     = "internal"
)

// apiError is an error with its HTTP rendering.
type apiError struct {
	Status     int           `json:"-"`
	Reason     string        `json:"reason"`
	Message    string        `json:"message"`
	Index      *int          `json:"index,omitempty"`
	RetryAfter time.Duration `json:"-"`
	Ring       *ring.Ring    `json:"ring,omitempty"`
}

func (e *apiError) Error() string { return fmt.Sprintf("%d %s: %s", e.Status, e.Reason, e.Message) }

// peerError is what a forward to an owner partition failed with.
type peerError struct {
	Partition int
	Err       *apiError
}

func (e *peerError) Error() string {
	return fmt.Sprintf("owner partition %d: %v", e.Partition, e.Err)
}

func (e *peerError) Unwrap() error { return e.Err }

// toAPIError maps an error of ingest to its HTTP status and reason.
func toAPIError(err error) *apiError {
	var (
		ae *apiError
		ee *event.Error
		bp *partition.BackpressureError
	)
	switch {
	case errors.As(err, &ee):
		e := &apiError{Status: ee.Status, Reason: ee.Reason, Message: ee.Message}
		if ee.Index >= 0 {
			idx := ee.Index
			e.Index = &idx
		}
		return e
	case errors.As(err, &bp):
		return &apiError{Status: http.StatusTooManyRequests, Reason: ReasonBackpressure, Message: err.Error(), RetryAfter: bp.RetryAfter}
	case errors.As(err, &ae):
		if ae.Status == http.StatusMisdirectedRequest { // still stale after retries
			return &apiError{Status: http.StatusServiceUnavailable, Reason: ReasonRingChanging, Message: err.Error(), RetryAfter: time.Second}
		}
		return &apiError{Status: ae.Status, Reason: ae.Reason, Message: err.Error(), RetryAfter: ae.RetryAfter}
	case errors.Is(err, context.DeadlineExceeded):
		return &apiError{Status: http.StatusServiceUnavailable, Reason: ReasonTimeout, Message: err.Error(), RetryAfter: time.Second}
	case errors.Is(err, partition.ErrNotReady), errors.Is(err, partition.ErrStopping),
		errors.Is(err, wal.ErrFailed), errors.Is(err, wal.ErrClosed), errors.Is(err, context.Canceled):
		return &apiError{Status: http.StatusServiceUnavailable, Reason: ReasonUnavailable, Message: err.Error(), RetryAfter: time.Second}
	}
	return &apiError{Status: http.StatusInternalServerError, Reason: ReasonInternal, Message: err.Error()}
}

// writeError renders e as JSON, with Retry-After when it has one.
func writeError(w http.ResponseWriter, e *apiError) {
	if e.RetryAfter > 0 {
		secs := int((e.RetryAfter + time.Second - 1) / time.Second)
		w.Header().Set("Retry-After", strconv.Itoa(secs))
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(e.Status)
	_ = json.NewEncoder(w).Encode(e)
}
