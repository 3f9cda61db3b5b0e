package event

import (
	"bytes"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
)

// batch is the state of parsing one body.
type batch struct {
	cfg    *Config
	sc     scanner
	ids    *idTable
	events []Event // parsed so far; its storage may be the caller's
	line   int     // current NDJSON line (1-based), 0 for JSON bodies
}

// parseJSON parses a JSON body: one object or an array of objects.
func (b *batch) parseJSON(body []byte) error {
	b.sc.buf = body
	i := skipWS(body, 0)
	if i == len(body) {
		return Errorf(ReasonEmptyBatch, NoIndex, "the body is empty")
	}
	var err error
	switch body[i] {
	case '{':
		b.events = slices.Grow(b.events[:0], 1)
		i, err = b.event(i)
	case '[':
		b.events = slices.Grow(b.events[:0], b.hint(body, '{'))
		i, err = b.array(i)
	default:
		return b.notObject(i, NoIndex)
	}
	if err != nil {
		return err
	}
	if i = skipWS(body, i); i < len(body) {
		return b.scanErr(NoIndex, b.sc.unexpected(i, "after top-level value"))
	}
	return nil
}

// array parses the array of events at buf[i].
func (b *batch) array(i int) (int, error) {
	buf := b.sc.buf
	i = skipWS(buf, i+1)
	if i < len(buf) && buf[i] == ']' {
		return i + 1, nil
	}
	for {
		var err error
		if i < len(buf) && buf[i] == '{' {
			i, err = b.event(i)
		} else {
			err = b.notObject(i, len(b.events))
		}
		if err != nil {
			return i, err
		}
		i = skipWS(buf, i)
		if i < len(buf) {
			switch buf[i] {
			case ',':
				i = skipWS(buf, i+1)
				continue
			case ']':
				return i + 1, nil
			}
		}
		return i, b.scanErr(NoIndex, b.sc.unexpected(i, "after array element"))
	}
}

// parseNDJSON parses an NDJSON body: one object per line; blank lines are
// skipped and the last newline is optional.
func (b *batch) parseNDJSON(body []byte) error {
	if cap(b.events) == 0 {
		// A caller's storage (ParseBytesInto) grows by appending instead:
		// counting the lines costs more than the occasional copy.
		b.events = slices.Grow(b.events, b.hint(body, '\n')+1)
	}
	for off := 0; off < len(body); {
		b.line++
		end := len(body)
		if nl := bytes.IndexByte(body[off:], '\n'); nl >= 0 {
			end = off + nl
		}
		if err := b.ndjsonLine(body[off:end]); err != nil {
			return err
		}
		off = end + 1
	}
	return nil
}

// ndjsonLine parses one NDJSON line, without its newline.
func (b *batch) ndjsonLine(line []byte) error {
	b.sc.buf = line
	i := skipWS(line, 0)
	if i == len(line) {
		return nil
	}
	idx := len(b.events)
	if line[i] != '{' {
		return b.notObject(i, idx)
	}
	i, err := b.event(i)
	if err != nil {
		return err
	}
	if i = skipWS(line, i); i < len(line) {
		return b.scanErr(idx, b.sc.unexpected(i, "after object"))
	}
	return nil
}

// hint estimates the number of events of body by counting c, capped at
// MaxBatch.
func (b *batch) hint(body []byte, c byte) int {
	return max(1, min(bytes.Count(body, []byte{c}), b.cfg.MaxBatch))
}

// event parses the event object at sc.buf[i] and appends it.
func (b *batch) event(i int) (int, error) {
	idx := len(b.events)
	if idx == b.cfg.MaxBatch {
		return i, Errorf(ReasonBatchTooLarge, NoIndex, "the batch has more than %d events", b.cfg.MaxBatch)
	}
	end, err := b.sc.event(i)
	if err != nil {
		return end, b.scanErr(idx, err)
	}
	ev := Event{Raw: b.sc.buf[i:end:end]}
	if len(ev.Raw) > b.cfg.MaxEventBytes {
		return end, Errorf(ReasonEventTooLarge, idx, "%d bytes is larger than the limit of %d bytes", len(ev.Raw), b.cfg.MaxEventBytes)
	}
	if err := b.key(&ev, idx); err != nil {
		return end, err
	}
	if err := b.id(idx); err != nil {
		return end, err
	}
	b.events = append(b.events, ev)
	return end, nil
}

// key sets ev.Key from the key field found by the scanner.
func (b *batch) key(ev *Event, idx int) error {
	f := &b.sc.fields[fieldKey]
	name := b.cfg.KeyField
	if !f.found {
		return Errorf(ReasonMissingKey, idx, "%s", missing(name, f.shadowed))
	}
	v := b.sc.buf[f.start:f.end:f.end]
	switch v[0] {
	case '"':
		s := v[1 : len(v)-1 : len(v)-1]
		if len(s) == 0 {
			return Errorf(ReasonInvalidKey, idx, "field %q is an empty string", name)
		}
		if f.escaped {
			s = appendUnescaped(make([]byte, 0, len(s)), s)
		}
		ev.Key = s
	case 'n':
		return Errorf(ReasonMissingKey, idx, "field %q is null", name)
	case '{', '[':
		return Errorf(ReasonInvalidKey, idx, "field %q is %s, want a string, a number or a boolean", name, kind(v[0]))
	default:
		ev.Key = v
	}
	return nil
}

// id records the id of the event found by the scanner.
func (b *batch) id(idx int) error {
	f := &b.sc.fields[fieldID]
	if !f.found {
		b.ids.addGenerated()
		return nil
	}
	v := b.sc.buf[f.start:f.end:f.end]
	switch c := v[0]; {
	case c == 'n':
		b.ids.addGenerated()
	case c == '"' && len(v) == 2:
		return Errorf(ReasonInvalidID, idx, "field %q is an empty string", b.cfg.IDField)
	case c == '"' && f.escaped:
		b.ids.addEscaped(v[1 : len(v)-1])
	case c == '"':
		b.ids.add(v[1 : len(v)-1])
	case c == '-' || isDigit(c):
		b.ids.add(v)
	default:
		return Errorf(ReasonInvalidID, idx, "field %q is %s, want a non-empty string or a number", b.cfg.IDField, kind(c))
	}
	return nil
}

// notObject returns the error for the value at sc.buf[i], which is not an
// object: not_an_object if it is valid JSON, or the syntax error.
func (b *batch) notObject(i, idx int) error {
	if _, err := b.sc.value(i, 0); err != nil {
		return b.scanErr(idx, err)
	}
	what := kind(b.sc.buf[i])
	if idx == NoIndex {
		return Errorf(ReasonNotAnObject, idx, "the body is %s, want an object, an array of objects or NDJSON", what)
	}
	return Errorf(ReasonNotAnObject, idx, "got %s, want an object", what)
}

// scanErr turns a scanner error into an *Error, with the position.
func (b *batch) scanErr(idx int, err error) error {
	var se *scanError
	if !errors.As(err, &se) {
		return err
	}
	where := "offset " + strconv.Itoa(se.off)
	if b.line > 0 {
		where = fmt.Sprintf("line %d, column %d", b.line, se.off+1)
	}
	return Errorf(se.reason, idx, "%s (%s)", se.msg, where)
}

// missing describes a missing field; shadowed is the number of leading
// names of its path that resolved to a non-object.
func missing(name string, shadowed int) string {
	if shadowed == 0 {
		return fmt.Sprintf("field %q is missing", name)
	}
	parent := strings.Join(strings.Split(name, ".")[:shadowed], ".")
	return fmt.Sprintf("field %q is missing: %q is not an object", name, parent)
}

// kind names the type of the JSON value starting with c.
func kind(c byte) string {
	switch c {
	case '{':
		return "an object"
	case '[':
		return "an array"
	case '"':
		return "a string"
	case 't', 'f':
		return "a boolean"
	case 'n':
		return "null"
	default:
		return "a number"
	}
}
