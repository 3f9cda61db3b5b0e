package event

import (
	"bytes"
	"encoding/binary"
	"math/bits"
	"math/rand/v2"
	"testing"

	"github.com/eventingestor/eventingestor/ingestor/internal/jsonstr"
)

// skipPlain (eight bytes at a time) agrees with a byte-by-byte scan.
func TestSkipPlain(t *testing.T) {
	specials := []byte{0, 0x1f, '"', '\\', 0x80, 0xff, 0xc3}
	for n := range 20 {
		for pos := range n {
			for _, c := range specials {
				buf := bytes.Repeat([]byte{'a'}, n)
				buf[pos] = c
				if pos+1 < n {
					buf[pos+1] = 0x00 // a later special byte must not matter
				}
				for start := 0; start <= pos; start++ {
					if got := skipPlain(buf, start); got != pos {
						t.Fatalf("skipPlain(%q, %d) = %d, want %d", buf, start, got, pos)
					}
				}
			}
		}
		if got := skipPlain(bytes.Repeat([]byte{' ', '~'}, n)[:n], 0); got != n {
			t.Fatalf("skipPlain(plain %d bytes) = %d", n, got)
		}
	}
}

func TestQuoteByte(t *testing.T) {
	tests := map[byte]string{'x': "'x'", '\'': `'\''`, 0: "0x00", 0xff: "0xff", '\n': "0x0a"}
	for c, want := range tests {
		if got := quoteByte(c); got != want {
			t.Errorf("quoteByte(%q) = %s, want %s", c, got, want)
		}
	}
}

// firstSpecial returns the index of the first byte of b that is not a
// jsonstr.PlainByte, or len(b): the definition that jsonstr.SpecialBytes and
// closingQuote implement eight bytes at a time.
func firstSpecial(b []byte) int {
	for n, c := range b {
		if !jsonstr.PlainByte[c] {
			return n
		}
	}
	return len(b)
}

// jsonstr.SpecialBytes and closingQuote agree with a byte-by-byte scan: for a
// special byte at every position of a plain word, followed by anything, and
// for random words.
func TestClosingQuote(t *testing.T) {
	check := func(b []byte) {
		t.Helper()
		x := binary.LittleEndian.Uint64(b)
		first := firstSpecial(b)
		if m := jsonstr.SpecialBytes(x); m == 0 && first != 8 || m != 0 && bits.TrailingZeros64(m)/8 != first {
			t.Fatalf("jsonstr.SpecialBytes(%q) = %#x, want the lowest bit in byte %d", b, m, first)
		}
		wantOK := first < 8 && b[first] == '"'
		if n, ok := closingQuote(x); ok != wantOK || ok && n != first {
			t.Fatalf("closingQuote(%q) = %d, %v; want %d, %v", b, n, ok, first, wantOK)
		}
	}
	specials := []byte{0, 0x01, 0x1f, '"', '\\', 0x80, 0xc3, 0xff}
	after := []byte{0, 0x01, '"', '\\', 0x1f, ' ', 0x21, 0x23, 0x5b, 0x5d, 0x7f, 0x80, 0xff, 'a'}
	plain := []byte("a ~!#0\x7fZ")
	check(plain)
	for pos := range 8 {
		for _, c := range specials {
			for _, d := range after {
				b := bytes.Clone(plain)
				b[pos] = c
				for k := pos + 1; k < 8; k++ {
					b[k] = d
				}
				check(b)
			}
		}
	}
	r := rand.New(rand.NewPCG(1, 2))
	var b [8]byte
	for range 200000 {
		for k := range b {
			// Mostly plain bytes, so that the first special byte may be
			// anywhere.
			b[k] = byte(0x20 + r.IntN(0x60))
			if r.IntN(5) == 0 {
				b[k] = byte(r.IntN(256))
			}
		}
		check(b[:])
	}
}
