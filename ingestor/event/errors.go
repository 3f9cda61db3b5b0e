package event

import (
	"fmt"
	"net/http"
)

// Reasons of an [Error]: stable, machine-readable snake_case strings.
const (
	// ReasonMalformedJSON: the body or an event is not valid JSON.
	ReasonMalformedJSON = "malformed_json"
	// ReasonNotAnObject: the body, an array element or an NDJSON line is
	// valid JSON but not an object.
	ReasonNotAnObject = "not_an_object"
	// ReasonInvalidUTF8: a string holds invalid UTF-8, or a \u escape
	// encodes a lone UTF-16 surrogate.
	ReasonInvalidUTF8 = "invalid_utf8"
	// ReasonTooDeep: an event nests objects and arrays deeper than
	// Config.MaxDepth.
	ReasonTooDeep = "too_deep"
	// ReasonEventTooLarge: an event is larger than Config.MaxEventBytes.
	ReasonEventTooLarge = "event_too_large"
	// ReasonBodyTooLarge: the body, before or after decompression, is
	// larger than Config.MaxBodyBytes.
	ReasonBodyTooLarge = "body_too_large"
	// ReasonBatchTooLarge: the body holds more than Config.MaxBatch events.
	ReasonBatchTooLarge = "batch_too_large"
	// ReasonEmptyBatch: the body holds no event.
	ReasonEmptyBatch = "empty_batch"
	// ReasonMissingKey: an event has no partition key, or it is null.
	ReasonMissingKey = "missing_key"
	// ReasonInvalidKey: an event's partition key is an object, an array or
	// an empty string.
	ReasonInvalidKey = "invalid_key"
	// ReasonInvalidID: an event's id is not a non-empty string or a number.
	ReasonInvalidID = "invalid_id"
	// ReasonUnsupportedMediaType: the Content-Type is not supported.
	ReasonUnsupportedMediaType = "unsupported_media_type"
	// ReasonUnsupportedEncoding: the Content-Encoding is not supported.
	ReasonUnsupportedEncoding = "unsupported_encoding"
	// ReasonBadGzip: the gzip stream is invalid or truncated.
	ReasonBadGzip = "bad_gzip"
)

// NoIndex is the Index of an [Error] that is not about one event.
const NoIndex = -1

// Error is a rejected ingest request: the whole batch is refused. Status is
// the HTTP status to answer with: 400 for malformed or semantically invalid
// content, 413 for a body, event or batch that is too large, 415 for an
// unsupported media type or content encoding.
type Error struct {
	// Status is the HTTP status code for the response.
	Status int
	// Reason is one of the Reason* constants.
	Reason string
	// Index is the 0-based index of the offending event in the batch
	// (blank NDJSON lines are not counted), or NoIndex.
	Index int
	// Message is a human-readable description, e.g.
	// `event 3: field "user_id" is missing`.
	Message string

	cause error
}

// Errorf returns an *Error with the status of reason (see [StatusOf]) and a
// message formatted from format and args, prefixed with "event N: " unless
// index is NoIndex.
func Errorf(reason string, index int, format string, args ...any) *Error {
	msg := fmt.Sprintf(format, args...)
	if index != NoIndex {
		msg = fmt.Sprintf("event %d: %s", index, msg)
	}
	return &Error{Status: StatusOf(reason), Reason: reason, Index: index, Message: msg}
}

// StatusOf returns the HTTP status of an error reason: 413 for
// body_too_large, event_too_large and batch_too_large, 415 for
// unsupported_media_type and unsupported_encoding, and 400 for everything
// else.
func StatusOf(reason string) int {
	switch reason {
	case ReasonBodyTooLarge, ReasonEventTooLarge, ReasonBatchTooLarge:
		return http.StatusRequestEntityTooLarge
	case ReasonUnsupportedMediaType, ReasonUnsupportedEncoding:
		return http.StatusUnsupportedMediaType
	default:
		return http.StatusBadRequest
	}
}

// Error returns the message followed by the reason in parentheses.
func (e *Error) Error() string {
	return e.Message + " (" + e.Reason + ")"
}

// Unwrap returns the underlying error, if any (for example the gzip error
// behind ReasonBadGzip).
func (e *Error) Unwrap() error { return e.cause }

// withCause sets the underlying error of e and returns e.
func (e *Error) withCause(err error) *Error {
	e.cause = err
	return e
}
