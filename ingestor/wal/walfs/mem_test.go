package walfs

import (
	"errors"
	"io/fs"
	"os"
	"testing"
)

func write(t *testing.T, f File, off int64, s string) {
	t.Helper()
	if _, err := f.WriteAt([]byte(s), off); err != nil {
		t.Fatal(err)
	}
}

func content(t *testing.T, m *Mem, name string) string {
	t.Helper()
	b, err := m.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestMemCrashKeepsOnlySyncedData(t *testing.T) {
	m := NewMem()
	f, err := m.OpenFile("/d/a", os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		t.Fatal(err)
	}
	if err := m.SyncDir("/d"); err != nil {
		t.Fatal(err)
	}
	write(t, f, 0, "hello")
	if err := f.Sync(); err != nil {
		t.Fatal(err)
	}
	write(t, f, 5, " world")
	if got := m.UnsyncedBytes(); got != 6 {
		t.Fatalf("UnsyncedBytes = %d, want 6", got)
	}
	tests := []struct {
		keep int64
		want string
	}{{0, "hello"}, {3, "hello wo"}, {6, "hello world"}, {-1, "hello world"}}
	for _, tt := range tests {
		if got := content(t, m.Crash(CrashOptions{KeepBytes: tt.keep}), "/d/a"); got != tt.want {
			t.Fatalf("crash keeping %d bytes: %q, want %q", tt.keep, got, tt.want)
		}
	}
	if got := content(t, m, "/d/a"); got != "hello world" {
		t.Fatalf("the running view changed: %q", got)
	}
}

func TestMemDirectoryEntriesNeedSyncDir(t *testing.T) {
	m := NewMem()
	f, _ := m.OpenFile("/d/new", os.O_CREATE|os.O_RDWR, 0o600)
	write(t, f, 0, "x")
	_ = f.Sync()
	if _, err := m.Crash(CrashOptions{}).ReadFile("/d/new"); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("a file whose directory was never synced survived the crash: %v", err)
	}
	_ = m.SyncDir("/d")
	if err := m.Rename("/d/new", "/d/final"); err != nil {
		t.Fatal(err)
	}
	c := m.Crash(CrashOptions{})
	if _, err := c.ReadFile("/d/final"); !errors.Is(err, fs.ErrNotExist) {
		t.Fatal("an unsynced rename survived the crash")
	}
	if got := content(t, c, "/d/new"); got != "x" {
		t.Fatalf("old name after crash: %q", got)
	}
	_ = m.SyncDir("/d")
	if got := content(t, m.Crash(CrashOptions{}), "/d/final"); got != "x" {
		t.Fatalf("synced rename after crash: %q", got)
	}
}

func TestMemFaultsAndCounts(t *testing.T) {
	m := NewMem()
	f, _ := m.OpenFile("/d/a", os.O_CREATE|os.O_RDWR, 0o600)
	m.SetFault(func(op Op, name string) error {
		if op == OpSync {
			return ErrInjected
		}
		return nil
	})
	if err := f.Sync(); !errors.Is(err, ErrInjected) {
		t.Fatalf("Sync = %v, want the injected fault", err)
	}
	m.SetFault(nil)
	if err := f.Sync(); err != nil || m.Count(OpSync) != 1 {
		t.Fatalf("Sync = %v, count %d", err, m.Count(OpSync))
	}
	_ = f.Close()
	if _, err := f.WriteAt([]byte("x"), 0); !errors.Is(err, fs.ErrClosed) {
		t.Fatalf("write after close = %v", err)
	}
}

func TestOSAllocateAndSync(t *testing.T) {
	dir := t.TempDir()
	var fsys FS = OS{}
	f, err := fsys.OpenFile(dir+"/seg", os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = f.Close() }()
	if err := f.Allocate(1 << 16); err != nil {
		t.Fatal(err)
	}
	if size, _ := f.Size(); size != 1<<16 {
		t.Fatalf("size after Allocate = %d", size)
	}
	write(t, f, 100, "data")
	if err := f.Sync(); err != nil {
		t.Fatal(err)
	}
	if err := fsys.SyncDir(dir); err != nil {
		t.Fatal(err)
	}
	names, err := fsys.ReadDir(dir)
	if err != nil || len(names) != 1 || names[0] != "seg" {
		t.Fatalf("ReadDir = %v, %v", names, err)
	}
}

// TestMemZeroLengthWriteSurvivesACrash: a write of no bytes changes
// nothing, before a crash or after it (a pending write without data used to
// read as a resize to zero).
func TestMemZeroLengthWriteSurvivesACrash(t *testing.T) {
	m := NewMem()
	f, err := m.OpenFile("/d/f", os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		t.Fatal(err)
	}
	if err := f.Allocate(4096); err != nil {
		t.Fatal(err)
	}
	if _, err := f.WriteAtSync([]byte("acked"), 0); err != nil {
		t.Fatal(err)
	}
	if err := m.SyncDir("/d"); err != nil {
		t.Fatal(err)
	}
	if n, err := f.WriteAt(nil, 4096); n != 0 || err != nil {
		t.Fatalf("WriteAt(nil) = %d, %v", n, err)
	}
	got, err := m.Crash(CrashOptions{KeepBytes: 0}).ReadFile("/d/f")
	if err != nil || len(got) != 4096 || string(got[:5]) != "acked" {
		t.Fatalf("after a zero-length write and a crash: %d bytes starting %q (%v), want 4096 starting \"acked\"", len(got), got[:min(5, len(got))], err)
	}
}
