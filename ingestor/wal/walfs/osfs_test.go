package walfs

import (
	"bytes"
	"path/filepath"
	"testing"
)

// TestOSWriteAtSync writes through WriteAtSync into a preallocated file
// and reads the bytes back, with the single-call path and with the
// fallback of a write and a sync.
func TestOSWriteAtSync(t *testing.T) {
	for _, fallback := range []bool{false, true} {
		name := filepath.Join(t.TempDir(), "seg")
		f, err := OS{}.OpenFile(name, osCreateRW, 0o600)
		if err != nil {
			t.Fatal(err)
		}
		if err := f.Allocate(1 << 16); err != nil {
			t.Fatal(err)
		}
		restore := forceWriteThenSync(fallback)
		p := bytes.Repeat([]byte("0123456789abcdef"), 700) // spans pages
		n, err := f.WriteAtSync(p, 4000)
		restore()
		if err != nil || n != len(p) {
			t.Fatalf("fallback %v: WriteAtSync = %d, %v; want %d, nil", fallback, n, err, len(p))
		}
		got := make([]byte, len(p)+8)
		if _, err := f.ReadAt(got, 3996); err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got[4:4+len(p)], p) || !bytes.Equal(got[:4], make([]byte, 4)) || !bytes.Equal(got[4+len(p):], make([]byte, 4)) {
			t.Fatalf("fallback %v: the file does not hold exactly the bytes written at offset 4000", fallback)
		}
		if size, err := f.Size(); err != nil || size != 1<<16 {
			t.Fatalf("fallback %v: size %d, %v; want the preallocated %d", fallback, size, err, 1<<16)
		}
		if err := f.Close(); err != nil {
			t.Fatal(err)
		}
	}
}
