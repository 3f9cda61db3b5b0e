package walfs

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
)

// TestOSWriteAtSync writes through WriteAtSync into a preallocated file
// and reads the bytes back: the write lands at its offset, nothing else
// changes, and the file keeps its size.
func TestOSWriteAtSync(t *testing.T) {
	name := filepath.Join(t.TempDir(), "seg")
	f, err := OS{}.OpenFile(name, os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = f.Close() }()
	if err := f.Allocate(1 << 16); err != nil {
		t.Fatal(err)
	}
	p := bytes.Repeat([]byte("0123456789abcdef"), 700) // spans pages
	if n, err := f.WriteAtSync(p, 4000); err != nil || n != len(p) {
		t.Fatalf("WriteAtSync = %d, %v; want %d, nil", n, err, len(p))
	}
	got := make([]byte, len(p)+8)
	if _, err := f.ReadAt(got, 3996); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got[4:4+len(p)], p) || !allZero(got[:4]) || !allZero(got[4+len(p):]) {
		t.Fatal("the file does not hold exactly the bytes written at offset 4000")
	}
	if size, err := f.Size(); err != nil || size != 1<<16 {
		t.Fatalf("size %d, %v; want the preallocated %d", size, err, 1<<16)
	}
}

func allZero(b []byte) bool { return bytes.Count(b, []byte{0}) == len(b) }
