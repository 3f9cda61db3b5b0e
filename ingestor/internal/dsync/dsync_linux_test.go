package dsync

import (
	"os"
	"path/filepath"
	"testing"
)

// forceWriteThenSync makes WriteAt use its fallback while on is set; the
// returned function restores the previous state.
func forceWriteThenSync(on bool) func() {
	prev := noDsyncWrites.Load()
	noDsyncWrites.Store(on)
	return func() { noDsyncWrites.Store(prev) }
}

// TestDsyncWritesSupported checks that this kernel and file system take
// pwritev2 with RWF_DSYNC, so that durable writes are one call: if they
// did not, WriteAt would fall back for good.
func TestDsyncWritesSupported(t *testing.T) {
	defer forceWriteThenSync(false)()
	f, err := os.Create(filepath.Join(t.TempDir(), "f"))
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = f.Close() }()
	if n, err := WriteAt(f, []byte("data"), 0); err != nil || n != 4 {
		t.Fatalf("WriteAt = %d, %v", n, err)
	}
	if noDsyncWrites.Load() {
		t.Fatal("pwritev2 with RWF_DSYNC was refused here; durable writes fall back to write + fdatasync")
	}
}
