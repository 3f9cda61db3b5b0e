package directio

import "testing"

func TestBuffer(t *testing.T) {
	old := []byte("0123456789")
	for _, c := range []int{10, 100, Block, 3*Block + 17, 1 << 20} {
		b := Buffer(old, 4, c)
		if !Aligned(b) || len(b) != 4 || cap(b) < c || string(b) != "0123" {
			t.Errorf("Buffer(old, 4, %d): aligned %v, len %d, cap %d, %q", c, Aligned(b), len(b), cap(b), b)
		}
	}
	if b := Buffer(nil, 3, 8); !Aligned(b) || string(b) != "\x00\x00\x00" {
		t.Errorf("Buffer(nil, 3, 8) = %q, aligned %v; want three zeros, aligned", b, Aligned(b))
	}
	if b := make([]byte, 2*Block); Aligned(b[1:]) {
		t.Error("a slice one byte past an allocation's start is aligned")
	}
}
