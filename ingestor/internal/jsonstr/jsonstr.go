// Package jsonstr classifies the bytes of JSON strings: which bytes stand
// for themselves (plain) and which need escaping or decoding, tested eight
// at a time in a uint64 (SWAR: SIMD within a register). The event parser
// scans strings with it; the sink uses it to copy ids and keys that need no
// escaping.
package jsonstr

// Constants of the SWAR tests: Ones has 0x01 in every byte, Highs has the
// high bit of every byte.
const (
	Ones  = 0x0101010101010101
	Highs = 0x8080808080808080
)

// PlainByte reports the bytes that stand for themselves in a JSON string
// and are ASCII: everything but control characters, '"', '\\' and bytes of
// multi-byte UTF-8 sequences. It is a constant table.
var PlainByte = func() (t [256]bool) {
	for c := 0x20; c < 0x80; c++ {
		t[c] = c != '"' && c != '\\'
	}
	return t
}()

// SpecialBytes returns a mask with the high bit set in every byte of x (in
// little-endian order) that is not a PlainByte: below 0x20, '"', '\\' or
// 0x80 and above. Bytes above the lowest set one may be false positives
// (borrows propagate upwards), so only the lowest set bit is meaningful;
// SpecialBytes(x) is 0 exactly when all eight bytes are plain.
//
// Each term sets the high bit of a byte b as follows:
//   - ZeroBytes(x ^ Ones*c): b == c (see ZeroBytes);
//   - x - Ones*0x20: b < 0x20, since b-0x20 wraps around to 0xe0 and above
//     (and b >= 0xa0, which the next term covers anyway);
//   - x: b >= 0x80.
//
// A borrow only starts at a byte that is special, so no term sets a bit
// below the lowest special byte.
func SpecialBytes(x uint64) uint64 {
	return QuoteBytes(x) | OtherSpecialBytes(x)
}

// OtherSpecialBytes is SpecialBytes without the test for '"'.
func OtherSpecialBytes(x uint64) uint64 {
	return ZeroBytes(x^Ones*'\\') | (x-Ones*0x20|x)&Highs
}

// QuoteBytes returns a mask with the high bit set in every '"' byte of x.
// Like SpecialBytes, only the bits up to the lowest special byte are exact.
func QuoteBytes(x uint64) uint64 {
	return ZeroBytes(x ^ Ones*'"')
}

// ZeroBytes returns a mask with the high bit set in every zero byte of x,
// and possibly in bytes above the lowest zero byte (when a byte is zero,
// subtracting 1 from it borrows from the byte above). For a byte b and no
// borrow from below, (b-1)&^b has its high bit set exactly when b is 0:
// b-1 is at least 0x80 only if b is 0 or at least 0x81, and then b has
// its high bit set.
func ZeroBytes(x uint64) uint64 {
	return (x - Ones) &^ x & Highs
}

// Plain reports whether every byte of s is a PlainByte, eight bytes at a
// time: whether s can be written between quotes as it is.
func Plain[T string | []byte](s T) bool {
	i := 0
	for ; i+8 <= len(s); i += 8 {
		x := uint64(s[i]) | uint64(s[i+1])<<8 | uint64(s[i+2])<<16 | uint64(s[i+3])<<24 |
			uint64(s[i+4])<<32 | uint64(s[i+5])<<40 | uint64(s[i+6])<<48 | uint64(s[i+7])<<56
		if SpecialBytes(x) != 0 {
			return false
		}
	}
	for ; i < len(s); i++ {
		if !PlainByte[s[i]] {
			return false
		}
	}
	return true
}
