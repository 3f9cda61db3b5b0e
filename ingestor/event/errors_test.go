package event

import (
	"errors"
	"io"
	"testing"
)

func TestStatusOf(t *testing.T) {
	tests := map[string]int{
		ReasonMalformedJSON:        400,
		ReasonNotAnObject:          400,
		ReasonInvalidUTF8:          400,
		ReasonTooDeep:              400,
		ReasonEventTooLarge:        413,
		ReasonBodyTooLarge:         413,
		ReasonBatchTooLarge:        413,
		ReasonEmptyBatch:           400,
		ReasonMissingKey:           400,
		ReasonInvalidKey:           400,
		ReasonInvalidID:            400,
		ReasonUnsupportedMediaType: 415,
		ReasonUnsupportedEncoding:  415,
		ReasonBadGzip:              400,
	}
	for reason, want := range tests {
		if got := StatusOf(reason); got != want {
			t.Errorf("StatusOf(%s) = %d, want %d", reason, got, want)
		}
	}
}

func TestErrorf(t *testing.T) {
	e := Errorf(ReasonMissingKey, 3, "field %q is missing", "user_id")
	if e.Status != 400 || e.Index != 3 || e.Message != `event 3: field "user_id" is missing` {
		t.Errorf("Errorf = %+v", e)
	}
	if got := e.Error(); got != `event 3: field "user_id" is missing (missing_key)` {
		t.Errorf("Error() = %q", got)
	}
	e = Errorf(ReasonBodyTooLarge, NoIndex, "too big").withCause(io.ErrUnexpectedEOF)
	if e.Status != 413 || e.Message != "too big" || !errors.Is(e, io.ErrUnexpectedEOF) {
		t.Errorf("Errorf = %+v", e)
	}
}
