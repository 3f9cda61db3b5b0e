package walfs

import (
	"os"
	"path/filepath"
	"testing"
)

const osCreateRW = os.O_CREATE | os.O_RDWR

// forceWriteThenSync makes writeAtSync use its fallback while on is set;
// the returned function restores the previous state.
func forceWriteThenSync(on bool) func() {
	prev := noDsyncWrites.Load()
	noDsyncWrites.Store(on)
	return func() { noDsyncWrites.Store(prev) }
}

// TestDsyncWritesSupported checks that this kernel and file system take
// pwritev2 with RWF_DSYNC, so that group commits use one call: if they did
// not, writeAtSync would fall back for good.
func TestDsyncWritesSupported(t *testing.T) {
	defer forceWriteThenSync(false)()
	f, err := os.Create(filepath.Join(t.TempDir(), "f"))
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = f.Close() }()
	if n, err := writeAtSync(f, []byte("data"), 0); err != nil || n != 4 {
		t.Fatalf("writeAtSync = %d, %v", n, err)
	}
	if noDsyncWrites.Load() {
		t.Fatal("pwritev2 with RWF_DSYNC was refused here; group commits fall back to write + fdatasync")
	}
}
