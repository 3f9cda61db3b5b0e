package directio

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/eventingestor/eventingestor/ingestor/internal/directio/directiotest"
)

func TestOpenWriter(t *testing.T) {
	dir := t.TempDir()
	if f := OpenWriter(filepath.Join(dir, "missing")); f != nil {
		_ = f.Close()
		t.Fatal("OpenWriter opened a file that does not exist")
	}
	fsType := directiotest.RequireDisk(t, dir)
	path := filepath.Join(dir, "f")
	if err := os.WriteFile(path, make([]byte, 2*Block), 0o600); err != nil {
		t.Fatal(err)
	}
	f := OpenWriter(path)
	if f == nil {
		t.Fatalf("%s (file system type %#x) does not open files for direct writes", dir, fsType)
	}
	defer func() { _ = f.Close() }()
	if _, err := f.WriteAt(Buffer([]byte("direct"), Block, Block), Block); err != nil {
		t.Fatal(err)
	}
	if _, err := f.WriteAt(make([]byte, Block+1)[1:], 0); err == nil {
		t.Error("a direct write from unaligned memory succeeded: the descriptor is not direct")
	}
	got, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2*Block || string(got[Block:Block+6]) != "direct" {
		t.Fatalf("after a direct write: %d bytes, block 1 starts %q", len(got), got[Block:Block+6])
	}
}
