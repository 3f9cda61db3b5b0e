package event

import "fmt"

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

	found   bool // the value is buf[start:end]
	start   int
	end     int
	escaped bool // the value is a string with escape sequences
	// shadowed is the number of leading path names that resolved to a value
	// that is not an object, so that the field cannot exist (0 if none).
	shadowed int
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

// object scans the object at buf[i] at nesting depth depth. active is the
// mask of fields whose path continues in this object: their name at index
// depth-1 is looked for among its keys.
func (s *scanner) object(i, depth int, active uint8) (int, error) {
	if depth > s.maxDepth {
		return i, s.tooDeep(i)
	}
	buf := s.buf
	i = skipWS(buf, i+1)
	if i < len(buf) && buf[i] == '}' {
		return i + 1, nil
	}
	for {
		if i >= len(buf) || buf[i] != '"' {
			return i, s.unexpected(i, "looking for beginning of object key string")
		}
		nameStart := i
		nameEnd, esc, err := s.str(i)
		if err != nil {
			return nameEnd, err
		}
		i = skipWS(buf, nameEnd)
		if i >= len(buf) || buf[i] != ':' {
			return i, s.unexpected(i, "after object key")
		}
		i = skipWS(buf, i+1)
		var m uint8
		if active != 0 {
			m = s.match(active, depth-1, buf[nameStart+1:nameEnd-1], esc)
			active &^= m // first occurrence wins
		}
		if m != 0 {
			i, err = s.claim(i, depth, m)
		} else {
			i, err = s.value(i, depth)
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
			case '}':
				return i + 1, nil
			}
		}
		return i, s.unexpected(i, "after object key:value pair")
	}
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

// claim scans the value at buf[i] of a key that matched the fields of mask
// m in an object at depth depth: it records the value of fields whose path
// ends here and descends into it for the others.
func (s *scanner) claim(i, depth int, m uint8) (int, error) {
	var leaf, cont uint8
	for f := range s.fields {
		if m&(1<<f) == 0 {
			continue
		}
		if len(s.fields[f].path) == depth {
			leaf |= 1 << f
		} else {
			cont |= 1 << f
		}
	}
	start := i
	var esc bool
	var err error
	switch {
	case i < len(s.buf) && s.buf[i] == '{':
		i, err = s.object(i, depth+1, cont)
	case i < len(s.buf) && s.buf[i] == '"':
		i, esc, err = s.str(i)
		s.shadow(cont, depth)
	default:
		i, err = s.value(i, depth)
		s.shadow(cont, depth)
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
		var err error
		if i, err = s.value(i, depth); err != nil {
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
