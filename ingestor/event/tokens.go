package event

import (
	"encoding/binary"
	"fmt"
	"math/bits"
	"unicode/utf8"

	"github.com/eventingestor/eventingestor/ingestor/internal/jsonstr"
)

// str scans the string at buf[i] (which must be '"'). It returns the offset
// just after the closing quote and whether the string has escapes.
//
// Plain ASCII strings are scanned eight bytes at a time (see closingQuote
// and jsonstr.SpecialBytes); str stops at the first other special byte and leaves
// the rest of the string to strTail.
func (s *scanner) str(i int) (end int, esc bool, err error) {
	buf := s.buf
	for i++; i+8 <= len(buf); i += 8 {
		x := binary.LittleEndian.Uint64(buf[i : i+8])
		if m := jsonstr.SpecialBytes(x); m != 0 {
			if n, ok := closingQuote(x); ok {
				return i + n + 1, false, nil
			}
			i += bits.TrailingZeros64(m) >> 3
			break
		}
	}
	return s.strTail(i)
}

// closingQuote looks at the eight bytes x (in little-endian order) after
// an opening quote. If the first of them that is not a jsonstr.PlainByte is
// the closing quote, it returns its index n in x (0 to 7) and true: the
// string is n+2 bytes long, quotes included. Otherwise it returns false.
//
// It is small enough to be inlined in the loops that scan objects and
// arrays, which call str only if it returns false. Scanning is a chain of
// dependent steps, each string starting where the previous token ended, so
// closingQuote is written for a short path from x to n.
func closingQuote(x uint64) (n int, ok bool) {
	// The lowest set bit of m, m&-m, marks the first special byte; it is a
	// quote if the same bit is set in z, the jsonstr.QuoteBytes of x.
	//
	// The offset is taken from q, one operation shorter than z (which is
	// q&^y, see jsonstr.ZeroBytes). For a byte b of y with no borrow from below,
	// the high bit of b-1 is set when b is 0, that is when the byte of x
	// is a quote, or when b is above 0x80, which happens only when the
	// byte of x is not ASCII. When the first special byte is a quote, the
	// bytes below it are plain ASCII: in y they are between 0x01 and 0x7f,
	// so they neither set a bit of q nor borrow, and the lowest set bit of
	// q is the quote's. Testing q != 0 lets the compiler drop the zero
	// case of TrailingZeros64.
	y := x ^ jsonstr.Ones*'"'
	q := (y - jsonstr.Ones) & jsonstr.Highs
	z := q &^ y
	if m := z | jsonstr.OtherSpecialBytes(x); q == 0 || m&-m&z == 0 {
		return 0, false
	}
	return bits.TrailingZeros64(q) >> 3, true
}

// strTail finishes scanning a string from buf[i], where everything after
// the opening quote up to i is plain (see jsonstr.PlainByte). Its results
// are those of str.
func (s *scanner) strTail(i int) (end int, esc bool, err error) {
	buf := s.buf
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
// is not a jsonstr.PlainByte, or len(buf). It tests eight bytes at a time.
func skipPlain(buf []byte, i int) int {
	for ; i+8 <= len(buf); i += 8 {
		if m := jsonstr.SpecialBytes(binary.LittleEndian.Uint64(buf[i : i+8])); m != 0 {
			return i + bits.TrailingZeros64(m)/8
		}
	}
	for i < len(buf) && jsonstr.PlainByte[buf[i]] {
		i++
	}
	return i
}

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
