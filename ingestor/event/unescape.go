package event

import (
	"bytes"
	"unicode/utf16"
	"unicode/utf8"
)

// appendUnescaped appends the decoded content of a JSON string to dst. raw is
// the content between the quotes and must have been validated by a scanner.
func appendUnescaped(dst, raw []byte) []byte {
	for i := 0; i < len(raw); {
		if raw[i] != '\\' {
			j := bytes.IndexByte(raw[i:], '\\')
			if j < 0 {
				j = len(raw) - i
			}
			dst = append(dst, raw[i:i+j]...)
			i += j
			continue
		}
		c := raw[i+1]
		if c == 'u' {
			var r rune
			r, i = decodeU(raw, i)
			dst = utf8.AppendRune(dst, r)
			continue
		}
		dst = append(dst, unescapeByte(c))
		i += 2
	}
	return dst
}

// decodeU decodes the validated \u escape at raw[i], and the low surrogate
// after it if it is a high surrogate, and returns the offset after them.
func decodeU(raw []byte, i int) (rune, int) {
	r := hex4Valid(raw[i+2:])
	if !isHighSurrogate(r) {
		return r, i + 6
	}
	return utf16.DecodeRune(r, hex4Valid(raw[i+8:])), i + 12
}

// hex4Valid decodes four hex digits known to be valid.
func hex4Valid(b []byte) rune {
	var r rune
	for _, c := range b[:4] {
		d, _ := hexDigit(c)
		r = r<<4 | d
	}
	return r
}

// unescapeByte returns the byte a one-character escape \c stands for.
func unescapeByte(c byte) byte {
	switch c {
	case 'b':
		return '\b'
	case 'f':
		return '\f'
	case 'n':
		return '\n'
	case 'r':
		return '\r'
	case 't':
		return '\t'
	default: // '"', '\\', '/'
		return c
	}
}

// unescapedEqual reports whether the validated raw content of a JSON string
// decodes to want. It does not allocate for names up to 64 bytes.
func unescapedEqual(raw, want []byte) bool {
	if len(want) > len(raw) { // decoding never makes a string longer
		return false
	}
	var buf [64]byte
	return bytes.Equal(appendUnescaped(buf[:0], raw), want)
}
