package jsonstr

import (
	"bytes"
	"testing"
)

// TestPlain checks Plain against PlainByte for every byte value at every
// position of strings a little over two words long.
func TestPlain(t *testing.T) {
	for n := range 18 {
		for pos := range n {
			for c := range 256 {
				b := bytes.Repeat([]byte{'a'}, n)
				b[pos] = byte(c)
				if got, want := Plain(b), PlainByte[c]; got != want {
					t.Fatalf("Plain(%q) = %v, want %v", b, got, want)
				}
				if got := Plain(string(b)); got != PlainByte[c] {
					t.Fatalf("Plain(string %q) = %v", b, got)
				}
			}
		}
	}
}

// TestPlainByte pins the table to its definition.
func TestPlainByte(t *testing.T) {
	for c := range 256 {
		want := c >= 0x20 && c < 0x80 && c != '"' && c != '\\'
		if PlainByte[c] != want {
			t.Errorf("PlainByte[%#x] = %v, want %v", c, PlainByte[c], want)
		}
	}
}
