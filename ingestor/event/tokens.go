package event

import (
	"encoding/binary"
	"fmt"
	"math/bits"
	"unicode/utf8"
)

// str scans the string at buf[i] (which must be '"'). It returns the offset
// just after the closing quote and whether the string has escapes.
func (s *scanner) str(i int) (end int, esc bool, err error) {
	buf := s.buf
	i++
	for {
		i = skipPlain(buf, i)
		if i >= len(buf) {
			return i, esc, s.unexpected(i, "in string literal")
		}
		switch c := buf[i]; {
		case c == '"':
			return i + 1, esc, nil
		case c == '\\':
			esc = true
			if i, err = s.escape(i); err != nil {
				return i, esc, err
			}
		case c < 0x20:
			return i, esc, s.unexpected(i, "in string literal")
		default:
			r, size := utf8.DecodeRune(buf[i:])
			if r == utf8.RuneError && size == 1 {
				return i, esc, s.errorf(ReasonInvalidUTF8, i, "invalid UTF-8 byte 0x%02x in string", c)
			}
			i += size
		}
	}
}

// escape scans the escape sequence at buf[i] (which must be '\\'). A \u
// escape of a UTF-16 surrogate must be half of a surrogate pair.
func (s *scanner) escape(i int) (int, error) {
	buf := s.buf
	if i+1 >= len(buf) {
		return i + 1, s.unexpected(i+1, "in string escape code")
	}
	switch buf[i+1] {
	case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
		return i + 2, nil
	case 'u':
	default:
		return i + 1, s.unexpected(i+1, "in string escape code")
	}
	r, err := s.hex4(i + 2)
	if err != nil {
		return i, err
	}
	switch {
	case isHighSurrogate(r):
		if i+7 < len(buf) && buf[i+6] == '\\' && buf[i+7] == 'u' {
			r2, err := s.hex4(i + 8)
			if err != nil {
				return i, err
			}
			if isLowSurrogate(r2) {
				return i + 12, nil
			}
		}
		return i, s.errorf(ReasonInvalidUTF8, i, "\\u%04x is a lone UTF-16 surrogate", r)
	case isLowSurrogate(r):
		return i, s.errorf(ReasonInvalidUTF8, i, "\\u%04x is a lone UTF-16 surrogate", r)
	}
	return i + 6, nil
}

// hex4 decodes the four hex digits at buf[i:].
func (s *scanner) hex4(i int) (rune, error) {
	var r rune
	for j := i; j < i+4; j++ {
		if j >= len(s.buf) {
			return 0, s.unexpected(j, "in \\u hexadecimal character escape")
		}
		d, ok := hexDigit(s.buf[j])
		if !ok {
			return 0, s.unexpected(j, "in \\u hexadecimal character escape")
		}
		r = r<<4 | d
	}
	return r, nil
}

// number scans a number per RFC 8259 at buf[i].
func (s *scanner) number(i int) (int, error) {
	buf := s.buf
	if buf[i] == '-' {
		i++
	}
	switch {
	case i < len(buf) && buf[i] == '0':
		i++
	case i < len(buf) && buf[i] >= '1' && buf[i] <= '9':
		i = skipDigits(buf, i+1)
	default:
		return i, s.unexpected(i, "in numeric literal")
	}
	if i < len(buf) && buf[i] == '.' {
		i++
		if i >= len(buf) || !isDigit(buf[i]) {
			return i, s.unexpected(i, "after decimal point in numeric literal")
		}
		i = skipDigits(buf, i+1)
	}
	if i < len(buf) && (buf[i] == 'e' || buf[i] == 'E') {
		i++
		if i < len(buf) && (buf[i] == '+' || buf[i] == '-') {
			i++
		}
		if i >= len(buf) || !isDigit(buf[i]) {
			return i, s.unexpected(i, "in exponent of numeric literal")
		}
		i = skipDigits(buf, i+1)
	}
	return i, nil
}

// literal scans the literal lit (true, false or null) at buf[i].
func (s *scanner) literal(i int, lit string) (int, error) {
	for j := range len(lit) {
		if i+j >= len(s.buf) || s.buf[i+j] != lit[j] {
			return i + j, s.unexpected(i+j, "in literal "+lit)
		}
	}
	return i + len(lit), nil
}

// skipPlain returns the offset of the first byte at or after buf[i] that
// is not a plainStringByte, or len(buf). It tests eight bytes at a time.
func skipPlain(buf []byte, i int) int {
	for ; i+8 <= len(buf); i += 8 {
		if m := specialBytes(binary.LittleEndian.Uint64(buf[i:])); m != 0 {
			return i + bits.TrailingZeros64(m)/8
		}
	}
	for i < len(buf) && plainStringByte[buf[i]] {
		i++
	}
	return i
}

// specialBytes returns a mask with the high bit set in every byte of x (in
// little-endian order) that is not a plainStringByte: below 0x20, '"', '\\'
// or 0x80 and above. Bytes above the lowest set one may be false positives
// (borrows propagate upwards), so only the lowest set bit is meaningful.
func specialBytes(x uint64) uint64 {
	const ones, highs = 0x0101010101010101, 0x8080808080808080
	quote := x ^ (ones * '"')
	backslash := x ^ (ones * '\\')
	return ((quote-ones)&^quote | (backslash-ones)&^backslash | (x - ones*0x20) | x) & highs
}

// plainStringByte reports the bytes that stand for themselves in a JSON
// string and are ASCII: everything but control characters, '"', '\\' and
// bytes of multi-byte UTF-8 sequences. It is a constant table.
var plainStringByte = func() (t [256]bool) {
	for c := 0x20; c < 0x80; c++ {
		t[c] = c != '"' && c != '\\'
	}
	return t
}()

// skipWS returns the offset of the first byte at or after buf[i] that is not
// JSON whitespace, or len(buf).
func skipWS(buf []byte, i int) int {
	for i < len(buf) && buf[i] <= ' ' && (buf[i] == ' ' || buf[i] == '\n' || buf[i] == '\t' || buf[i] == '\r') {
		i++
	}
	return i
}

func skipDigits(buf []byte, i int) int {
	for i < len(buf) && isDigit(buf[i]) {
		i++
	}
	return i
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

func isHighSurrogate(r rune) bool { return r >= 0xD800 && r < 0xDC00 }

func isLowSurrogate(r rune) bool { return r >= 0xDC00 && r < 0xE000 }

func hexDigit(c byte) (rune, bool) {
	switch {
	case c >= '0' && c <= '9':
		return rune(c - '0'), true
	case c >= 'a' && c <= 'f':
		return rune(c - 'a' + 10), true
	case c >= 'A' && c <= 'F':
		return rune(c - 'A' + 10), true
	}
	return 0, false
}

// quoteByte formats c for an error message.
func quoteByte(c byte) string {
	switch {
	case c == '\'':
		return `'\''`
	case c < 0x20 || c >= 0x7f:
		return fmt.Sprintf("0x%02x", c)
	default:
		return "'" + string(c) + "'"
	}
}
