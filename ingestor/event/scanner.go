package event

import (
	"encoding/binary"
	"fmt"

	"github.com/eventingestor/eventingestor/ingestor/internal/jsonstr"
)

// Indexes of the fields a scanner looks for, as bits of a field mask.
const (
	fieldID = iota
	fieldKey
	numFields

	allFields = 1<<numFields - 1
)

// field is a field a scanner looks for, and where it found it in the
// current event.
type field struct {
	path [][]byte // names from the event object down
	// short holds the names of path as shortName words, for matchShort.
	short []uint64

	found   bool // the value is buf[start:end]
	start   int
	end     int
	escaped bool // the value is a string with escape sequences
	// shadowed is the number of leading path names that resolved to a value
	// that is not an object, so that the field cannot exist (0 if none).
	shadowed int
}

// newField returns the field with the given path.
func newField(path [][]byte) field {
	f := field{path: path, short: make([]uint64, len(path))}
	for lvl, name := range path {
		f.short[lvl] = noShortName
		if len(name) < 8 {
			var w [8]byte
			copy(w[:], name)
			f.short[lvl] = shortName(binary.LittleEndian.Uint64(w[:]), len(name))
		}
	}
	return f
}

// noShortName is a word that is never a shortName: its length byte is 0xff.
const noShortName = 0xff << 56

// shortName packs a name of n < 8 bytes, the low n bytes of x (in
// little-endian order), and its length into one word: the name in the low
// bytes, zero bytes after it, and n in the high byte. Two such names are
// equal exactly when their words are.
func shortName(x uint64, n int) uint64 {
	return x&(1<<(8*n)-1) | uint64(n)<<56
}

// scanner validates JSON text in buf and records the values of the id and
// key fields of the event object it scans. It only materialises those two
// fields; everything else is validated and skipped.
//
// The first occurrence of a field name in an object wins, for the id and key
// fields and for the objects on their paths.
type scanner struct {
	buf      []byte
	maxDepth int
	fields   [numFields]field
}

// scanError is a syntax or encoding error at buf[off].
type scanError struct {
	reason string
	off    int
	msg    string
}

func (e *scanError) Error() string { return e.msg }

// event scans the event object at buf[i] (which must be '{') and returns the
// offset just after it.
func (s *scanner) event(i int) (int, error) {
	for f := range s.fields {
		s.fields[f].found = false
		s.fields[f].shadowed = 0
	}
	return s.object(i, 1, allFields)
}

// value scans any JSON value at buf[i]; depth is the nesting depth of the
// enclosing object or array (0 at top level).
func (s *scanner) value(i, depth int) (int, error) {
	if i >= len(s.buf) {
		return i, s.unexpected(i, "looking for beginning of value")
	}
	switch c := s.buf[i]; c {
	case '"':
		i, _, err := s.str(i)
		return i, err
	case '{':
		return s.object(i, depth+1, 0)
	case '[':
		return s.array(i, depth+1)
	case 't':
		return s.literal(i, "true")
	case 'f':
		return s.literal(i, "false")
	case 'n':
		return s.literal(i, "null")
	default:
		if c == '-' || isDigit(c) {
			return s.number(i)
		}
		return i, s.unexpected(i, "looking for beginning of value")
	}
}

// object scans the object at buf[i] (which must be '{') at nesting depth
// depth. active is the mask of fields whose path continues in this object:
// their name at index depth-1 is looked for among its keys. Once no field
// is looked for any more, the remaining members are scanned by members.
func (s *scanner) object(i, depth int, active uint8) (int, error) {
	if depth > s.maxDepth {
		return i, s.tooDeep(i)
	}
	buf := s.buf
	i = skipWS(buf, i+1)
	if i < len(buf) && buf[i] == '}' {
		return i + 1, nil
	}
	for active != 0 {
		if i >= len(buf) || buf[i] != '"' {
			return i, s.unexpected(i, "looking for beginning of object key string")
		}
		nameStart := i
		var x uint64
		var n int
		var short, esc bool
		var err error
		if i+8 < len(buf) {
			x = binary.LittleEndian.Uint64(buf[i+1 : i+9])
			if n, short = closingQuote(x); short {
				i += n + 2
			}
		}
		if !short {
			if i, esc, err = s.str(i); err != nil {
				return i, err
			}
		}
		nameEnd := i
		i = skipWS(buf, i)
		if i >= len(buf) || buf[i] != ':' {
			return i, s.unexpected(i, "after object key")
		}
		i = skipWS(buf, i+1)
		var m uint8
		if short {
			m = s.matchShort(active, depth-1, x, n)
		} else {
			m = s.match(active, depth-1, buf[nameStart+1:nameEnd-1], esc)
		}
		active &^= m // first occurrence wins
		switch {
		case m != 0:
			i, err = s.claim(i, depth, m)
		case i < len(buf) && buf[i] == '"':
			i, _, err = s.str(i)
		default:
			i, err = s.value(i, depth)
		}
		if err != nil {
			return i, err
		}
		var more bool
		if i, more, err = s.nextMember(i); err != nil || !more {
			return i, err
		}
	}
	return s.members(i, depth)
}

// members scans the members of the object at nesting depth depth from
// buf[i], where a key is expected, to the closing '}', and returns the
// offset just after it. None of the keys is looked for.
//
// This is where most of an event is scanned, so it is tuned for the common
// case of plain strings: keys are first tried with closingQuote and string
// values are scanned eight bytes at a time as in str, both inline; str is
// called only for strings with other special bytes or near the end of buf
// (and value for a value after whitespace). The result, errors included,
// is the same as that of the general loop of object.
func (s *scanner) members(i, depth int) (int, error) {
	buf := s.buf
	for {
		if i >= len(buf) || buf[i] != '"' {
			return i, s.unexpected(i, "looking for beginning of object key string")
		}
		var err error
		// shortString, inline: closingQuote alone nearly fills the inlining
		// budget, so a call to shortString would not be inlined.
		done := false // the string was scanned inline
		if i+8 < len(buf) {
			var n int
			if n, done = closingQuote(binary.LittleEndian.Uint64(buf[i+1 : i+9])); done {
				i += n + 2
			}
		}
		if !done {
			if i, _, err = s.str(i); err != nil {
				return i, err
			}
		}
		if i = skipWS(buf, i); i >= len(buf) || buf[i] != ':' {
			return i, s.unexpected(i, "after object key")
		}
		if i++; i < len(buf) && buf[i] == '"' {
			// As str, eight bytes at a time, but inline: values are
			// often longer than keys (timestamps, UUIDs).
			done = false
			for j := i + 1; j+8 <= len(buf); j += 8 {
				x := binary.LittleEndian.Uint64(buf[j : j+8])
				var n int
				if n, done = closingQuote(x); done {
					i = j + n + 1
					break
				}
				if jsonstr.SpecialBytes(x) != 0 {
					break
				}
			}
			if !done {
				if i, _, err = s.str(i); err != nil {
					return i, err
				}
			}
		} else if i, err = s.value(skipWS(buf, i), depth); err != nil {
			return i, err
		}
		var more bool
		if i, more, err = s.nextMember(i); err != nil || !more {
			return i, err
		}
	}
}

// nextMember scans what follows a member's value at buf[i]: after a ',' it
// returns the offset of the next key and true, after the closing '}' the
// offset just after it and false.
func (s *scanner) nextMember(i int) (int, bool, error) {
	buf := s.buf
	i = skipWS(buf, i)
	if i < len(buf) && buf[i] == ',' {
		return skipWS(buf, i+1), true, nil
	}
	if i < len(buf) && buf[i] == '}' {
		return i + 1, false, nil
	}
	return i, false, s.unexpected(i, "after object key:value pair")
}

// shortString scans the string at buf[i] if it is one that closingQuote
// can scan, short and plain: it returns the offset just after it and true,
// or i and false. (It is too large to be inlined; members, the hot loop,
// has its own copy.)
func shortString(buf []byte, i int) (int, bool) {
	if i+8 < len(buf) && buf[i] == '"' {
		if n, ok := closingQuote(binary.LittleEndian.Uint64(buf[i+1 : i+9])); ok {
			return i + n + 2, true
		}
	}
	return i, false
}

// match returns the mask of the active fields whose name at index lvl of
// their path is name (raw string content; esc if it has escapes).
func (s *scanner) match(active uint8, lvl int, name []byte, esc bool) uint8 {
	var m uint8
	for f := range s.fields {
		if active&(1<<f) == 0 {
			continue
		}
		want := s.fields[f].path[lvl]
		if esc && unescapedEqual(name, want) || !esc && string(name) == string(want) {
			m |= 1 << f
		}
	}
	return m
}

// matchShort is match for a name without escapes of n < 8 bytes, given as
// the low n bytes of x (in little-endian order): it compares shortName
// words rather than byte slices.
func (s *scanner) matchShort(active uint8, lvl int, x uint64, n int) uint8 {
	name := shortName(x, n)
	var m uint8
	for f := range s.fields {
		if active&(1<<f) != 0 && s.fields[f].short[lvl] == name {
			m |= 1 << f
		}
	}
	return m
}

// claim scans the value at buf[i] of a key that matched the fields of mask
// m in an object at depth depth: it records the value of fields whose path
// ends here and descends into it for the others.
func (s *scanner) claim(i, depth int, m uint8) (int, error) {
	var leaf uint8
	for f := range s.fields {
		if len(s.fields[f].path) == depth {
			leaf |= 1 << f
		}
	}
	leaf &= m
	buf := s.buf
	start := i
	var esc bool
	var err error
	if i < len(buf) && buf[i] == '{' {
		i, err = s.object(i, depth+1, m&^leaf)
	} else {
		var short bool
		if i, short = shortString(buf, i); !short { // most ids and keys are short
			if i < len(buf) && buf[i] == '"' {
				i, esc, err = s.str(i)
			} else {
				i, err = s.value(i, depth)
			}
		}
		if cont := m &^ leaf; cont != 0 {
			s.shadow(cont, depth)
		}
	}
	if err != nil {
		return i, err
	}
	for f := range s.fields {
		if leaf&(1<<f) != 0 {
			fd := &s.fields[f]
			fd.found, fd.start, fd.end, fd.escaped = true, start, i, esc
		}
	}
	return i, nil
}

// shadow records that the first depth names of the fields in mask resolved
// to a value that is not an object.
func (s *scanner) shadow(mask uint8, depth int) {
	for f := range s.fields {
		if mask&(1<<f) != 0 {
			s.fields[f].shadowed = depth
		}
	}
}

// array scans the array at buf[i] at nesting depth depth.
func (s *scanner) array(i, depth int) (int, error) {
	if depth > s.maxDepth {
		return i, s.tooDeep(i)
	}
	buf := s.buf
	i = skipWS(buf, i+1)
	if i < len(buf) && buf[i] == ']' {
		return i + 1, nil
	}
	for {
		var short bool
		if i, short = shortString(buf, i); !short { // as in members
			var err error
			if i, err = s.value(i, depth); err != nil {
				return i, err
			}
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
		return i, s.unexpected(i, "after array element")
	}
}

func (s *scanner) tooDeep(i int) error {
	return s.errorf(ReasonTooDeep, i, "nesting deeper than %d levels", s.maxDepth)
}

// unexpected reports an unexpected byte, or the end of input, at buf[i].
func (s *scanner) unexpected(i int, context string) error {
	if i >= len(s.buf) {
		return s.errorf(ReasonMalformedJSON, i, "unexpected end of JSON input")
	}
	return s.errorf(ReasonMalformedJSON, i, "invalid character %s %s", quoteByte(s.buf[i]), context)
}

func (s *scanner) errorf(reason string, off int, format string, args ...any) error {
	return &scanError{reason: reason, off: off, msg: fmt.Sprintf(format, args...)}
}
