package dsync

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
)

// TestWriteAt writes at an offset and appends, with the single-call path
// and with the fallback of a write and a sync, and reads the bytes back.
func TestWriteAt(t *testing.T) {
	for _, fallback := range []bool{false, true} {
		restore := forceWriteThenSync(fallback)
		dir := t.TempDir()

		f, err := os.OpenFile(filepath.Join(dir, "at"), os.O_CREATE|os.O_RDWR, 0o600)
		if err != nil {
			t.Fatal(err)
		}
		if err := f.Truncate(1 << 16); err != nil {
			t.Fatal(err)
		}
		p := bytes.Repeat([]byte("0123456789abcdef"), 700) // spans pages
		if n, err := WriteAt(f, p, 4000); err != nil || n != len(p) {
			t.Fatalf("fallback %v: WriteAt = %d, %v; want %d, nil", fallback, n, err, len(p))
		}
		got := make([]byte, len(p)+8)
		if _, err := f.ReadAt(got, 3996); err != nil {
			t.Fatal(err)
		}
		zeros := make([]byte, 4)
		if !bytes.Equal(got[4:4+len(p)], p) || !bytes.Equal(got[:4], zeros) || !bytes.Equal(got[4+len(p):], zeros) {
			t.Fatalf("fallback %v: the file does not hold exactly the bytes written at offset 4000", fallback)
		}
		_ = f.Close()

		name := filepath.Join(dir, "append")
		a, err := os.OpenFile(name, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
		if err != nil {
			t.Fatal(err)
		}
		for _, part := range []string{"first line\n", "second line\n"} {
			if n, err := WriteAt(a, []byte(part), -1); err != nil || n != len(part) {
				t.Fatalf("fallback %v: appending: %d, %v", fallback, n, err)
			}
		}
		if err := Datasync(a); err != nil {
			t.Fatal(err)
		}
		_ = a.Close()
		if b, _ := os.ReadFile(name); string(b) != "first line\nsecond line\n" {
			t.Fatalf("fallback %v: appended file holds %q", fallback, b)
		}
		restore()
	}
}
