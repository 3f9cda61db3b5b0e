package dataplane

import (
	"fmt"
	"log/slog"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"
)

func quietLogger() *slog.Logger {
	return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// binary is the eventingestor binary built once for the tests.
var binary string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "eventingestor-dataplane")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	binary = filepath.Join(dir, "eventingestor")
	build := exec.Command("go", "build", "-o", binary, "github.com/eventingestor/eventingestor")
	build.Stdout, build.Stderr = os.Stderr, os.Stderr
	if err := build.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "building eventingestor:", err)
		os.Exit(1)
	}
	code := m.Run()
	_ = os.RemoveAll(dir)
	os.Exit(code)
}

// freePort returns a TCP port that is free on the loopback addresses
// 127.0.N.1 used for partition N.
func freePort(t *testing.T, partitions int) int {
	t.Helper()
	for attempt := 0; attempt < 20; attempt++ {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		port := l.Addr().(*net.TCPAddr).Port
		_ = l.Close()
		ok := true
		for p := 1; p < partitions && ok; p++ {
			l2, err := net.Listen("tcp", fmt.Sprintf("%s:%d", partitionHost(p), port))
			if err != nil {
				ok = false
				continue
			}
			_ = l2.Close()
		}
		if ok {
			return port
		}
	}
	t.Fatal("no free port")
	return 0
}

// partitionHost is partition p's loopback address: 127.0.p.1, so that all
// partitions share one port and --peer-url-template can name them.
func partitionHost(p int) string { return fmt.Sprintf("127.0.%d.1", p) }

// testDir is a fresh directory for a test's data: under $DATAPLANE_KEEP
// (kept for inspection) if set, else a temporary one.
func testDir(t *testing.T) string {
	t.Helper()
	keep := os.Getenv("DATAPLANE_KEEP")
	if keep == "" {
		return t.TempDir()
	}
	dir := filepath.Join(keep, t.Name())
	_ = os.RemoveAll(dir)
	if err := os.MkdirAll(dir, 0o750); err != nil {
		t.Fatal(err)
	}
	t.Logf("test data kept in %s", dir)
	return dir
}
