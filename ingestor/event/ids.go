package event

import (
	"encoding/hex"
	"fmt"
	"strings"

	"github.com/google/uuid"
)

// uuidLen is the length of a UUID's text form.
const uuidLen = 36

// idTable collects the ids of a batch while it is parsed, and then gives
// every event its ID with a single string allocation for the whole batch:
// the IDs are substrings of one string.
//
// idTables are pooled by a Parser.
type idTable struct {
	refs    []idRef
	scratch []byte // decoded ids of strings with escapes
	size    int    // total length of the ids
}

// idRef is the id of one event.
type idRef struct {
	b         []byte // the id, in the body or scratch; nil if generated
	generated bool
}

// add records an id that appears verbatim in the body.
func (t *idTable) add(b []byte) {
	t.refs = append(t.refs, idRef{b: b})
	t.size += len(b)
}

// addEscaped records an id given as the raw content of a JSON string with
// escapes.
func (t *idTable) addEscaped(raw []byte) {
	start := len(t.scratch)
	t.scratch = appendUnescaped(t.scratch, raw)
	// Earlier refs into scratch stay valid if append reallocates: they keep
	// the old array, whose bytes are never overwritten in this batch.
	t.add(t.scratch[start:len(t.scratch):len(t.scratch)])
}

// addGenerated records that an event needs a generated id.
func (t *idTable) addGenerated() {
	t.refs = append(t.refs, idRef{generated: true})
	t.size += uuidLen
}

// assign sets ID and IDGenerated of events, which must correspond one to
// one to the recorded ids, generating UUIDv7s where needed.
func (t *idTable) assign(events []Event) error {
	var sb strings.Builder
	sb.Grow(t.size)
	var text [uuidLen]byte
	for _, r := range t.refs {
		if !r.generated {
			sb.Write(r.b)
			continue
		}
		u, err := uuid.NewV7()
		if err != nil {
			return fmt.Errorf("generate event id: %w", err)
		}
		encodeUUID(&text, u)
		sb.Write(text[:])
	}
	all := sb.String()
	off := 0
	for i, r := range t.refs {
		n := len(r.b)
		if r.generated {
			n = uuidLen
		}
		events[i].ID = all[off : off+n]
		events[i].IDGenerated = r.generated
		off += n
	}
	return nil
}

// reset empties t for reuse, dropping its references to the body.
func (t *idTable) reset() {
	clear(t.refs)
	t.refs = t.refs[:0]
	t.scratch = t.scratch[:0]
	t.size = 0
}

// encodeUUID writes the canonical text form of u, as u.String does, without
// allocating.
func encodeUUID(dst *[uuidLen]byte, u uuid.UUID) {
	hex.Encode(dst[0:8], u[0:4])
	dst[8] = '-'
	hex.Encode(dst[9:13], u[4:6])
	dst[13] = '-'
	hex.Encode(dst[14:18], u[6:8])
	dst[18] = '-'
	hex.Encode(dst[19:23], u[8:10])
	dst[23] = '-'
	hex.Encode(dst[24:], u[10:])
}
