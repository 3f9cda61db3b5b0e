package event

import (
	"bytes"
	"testing"
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
