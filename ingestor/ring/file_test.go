package ring

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/spf13/pflag"
)

const testPoll = 100 * time.Millisecond

// configMapDir lays out a directory like a Kubernetes ConfigMap volume:
//
//	ring.json -> ..data/ring.json
//	..data    -> ..2024_01_01_00_00_00.N
//	..2024_01_01_00_00_00.N/ring.json
//
// and updates it the way the kubelet does: write a new timestamped
// directory, point a temporary symlink at it and rename that over ..data.
type configMapDir struct {
	t   *testing.T
	dir string
	n   int
}

func newConfigMapDir(t *testing.T) *configMapDir {
	t.Helper()
	c := &configMapDir{t: t, dir: t.TempDir()}
	if err := os.Symlink(filepath.Join("..data", "ring.json"), c.path()); err != nil {
		t.Fatal(err)
	}
	return c
}

func (c *configMapDir) path() string { return filepath.Join(c.dir, "ring.json") }

func (c *configMapDir) write(content string) {
	c.t.Helper()
	c.n++
	ts := fmt.Sprintf("..2024_01_01_00_00_00.%d", c.n)
	if err := os.Mkdir(filepath.Join(c.dir, ts), 0o755); err != nil {
		c.t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(c.dir, ts, "ring.json"), []byte(content), 0o644); err != nil {
		c.t.Fatal(err)
	}
	tmp := filepath.Join(c.dir, "..data_tmp")
	if err := os.Symlink(ts, tmp); err != nil {
		c.t.Fatal(err)
	}
	if err := os.Rename(tmp, filepath.Join(c.dir, "..data")); err != nil {
		c.t.Fatal(err)
	}
	if c.n > 1 {
		old := fmt.Sprintf("..2024_01_01_00_00_00.%d", c.n-1)
		if err := os.RemoveAll(filepath.Join(c.dir, old)); err != nil {
			c.t.Fatal(err)
		}
	}
}

// logBuffer collects log output of concurrent goroutines.
type logBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *logBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *logBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

func (b *logBuffer) count(s string) int { return strings.Count(b.String(), s) }

func newTestLogger() (*slog.Logger, *logBuffer) {
	var b logBuffer
	return slog.New(slog.NewTextHandler(&b, nil)), &b
}

func ringJSON(r Ring) string {
	return fmt.Sprintf(`{"epoch":%d,"partitions":%d,"phase":%q,"previousPartitions":%d}`,
		r.Epoch, r.Partitions, r.Phase, r.PreviousPartitions)
}

// runFile starts f.Run in the current synctest bubble and stops it at the
// end of the test.
func runFile(t *testing.T, f *File) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() { done <- f.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Run returned %v, want nil", err)
		}
	})
}

// poll lets the File source poll once.
func poll() {
	time.Sleep(testPoll)
	synctest.Wait()
}

func TestFileReadsInitialRing(t *testing.T) {
	cm := newConfigMapDir(t)
	r := Ring{Epoch: 4, Partitions: 3, Phase: PhaseStable}
	cm.write(ringJSON(r))
	f, err := NewFile(FileConfig{Path: cm.path()}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if !f.Ready() || f.Current() != r {
		t.Fatalf("Ready %v, Current %v; want true, %v", f.Ready(), f.Current(), r)
	}
	assertNoUpdate(t, f)
}

func TestFileUpdates(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		cm := newConfigMapDir(t)
		logger, logs := newTestLogger()
		f, err := NewFile(FileConfig{Path: cm.path(), PollInterval: testPoll}, logger)
		if err != nil {
			t.Fatal(err)
		}
		if f.Ready() || f.Current() != (Ring{}) {
			t.Fatalf("before the file exists: Ready %v, Current %v", f.Ready(), f.Current())
		}
		runFile(t, f)
		poll()
		if n := logs.count("cannot read ring file"); n != 1 {
			t.Errorf("missing file logged %d times, want once:\n%s", n, logs)
		}

		r1 := Ring{Epoch: 1, Partitions: 2, Phase: PhaseStable}
		cm.write(ringJSON(r1))
		poll()
		assertCurrent(t, f, r1)
		assertUpdate(t, f)

		r2 := Ring{Epoch: 2, Partitions: 3, Phase: PhaseHandoff, PreviousPartitions: 2}
		cm.write(ringJSON(r2))
		poll()
		assertCurrent(t, f, r2)
		assertUpdate(t, f)

		bad := []struct{ content, log string }{
			{`{"epoch":3,"partitions":`, "ignoring bad ring file"},
			{`{"epoch":3,"partitions":0,"phase":"Stable"}`, "ignoring bad ring file"},
			{ringJSON(r1), "ring epoch is older"},
			{`{"epoch":2,"partitions":7,"phase":"Stable"}`, "conflicts with the current ring"},
		}
		for _, b := range bad {
			before := logs.count(b.log)
			cm.write(b.content)
			poll()
			poll() // unchanged content is not re-evaluated
			assertCurrent(t, f, r2)
			assertNoUpdate(t, f)
			if n := logs.count(b.log) - before; n != 1 {
				t.Errorf("%s: logged %q %d times, want once:\n%s", b.content, b.log, n, logs)
			}
		}

		r2done := Ring{Epoch: 2, Partitions: 3, Phase: PhaseStable}
		cm.write(ringJSON(r2done))
		poll()
		assertCurrent(t, f, r2done)
		assertUpdate(t, f)
	})
}

func TestFilePlainFileRewrite(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "ring.json")
		r1 := Ring{Epoch: 1, Partitions: 1, Phase: PhaseStable}
		writeFile(t, path, ringJSON(r1))
		f, err := NewFile(FileConfig{Path: path, PollInterval: testPoll}, nil)
		if err != nil {
			t.Fatal(err)
		}
		runFile(t, f)
		assertCurrent(t, f, r1)

		if err := os.Remove(path); err != nil {
			t.Fatal(err)
		}
		poll()
		assertCurrent(t, f, r1) // a vanished file keeps the last ring

		r5 := Ring{Epoch: 5, Partitions: 2, Phase: PhaseHandoff, PreviousPartitions: 1}
		writeFile(t, path, ringJSON(r5))
		poll()
		assertCurrent(t, f, r5)
		assertUpdate(t, f)
	})
}

func TestFileTooLarge(t *testing.T) {
	path := filepath.Join(t.TempDir(), "ring.json")
	writeFile(t, path, `{"epoch":1,"partitions":1,"phase":"Stable"}`+strings.Repeat(" ", maxFileBytes))
	f, err := NewFile(FileConfig{Path: path}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if f.Ready() {
		t.Fatal("Ready after reading an oversized file")
	}
}

func TestNewFileInvalidConfig(t *testing.T) {
	if _, err := NewFile(FileConfig{}, nil); err == nil || !strings.Contains(err.Error(), "ring.file must be set") {
		t.Errorf("NewFile(empty config) error = %v", err)
	}
}

func TestFileConfig(t *testing.T) {
	var c FileConfig
	fs := pflag.NewFlagSet("test", pflag.ContinueOnError)
	c.RegisterFlags(fs)
	if c.PollInterval != DefaultPollInterval {
		t.Errorf("default poll interval = %s, want %s", c.PollInterval, DefaultPollInterval)
	}
	if err := c.Validate(); err == nil {
		t.Error("Validate accepted an empty path")
	}
	if err := fs.Parse([]string{"--ring.file=/etc/ring/ring.json", "--ring.poll-interval=250ms"}); err != nil {
		t.Fatal(err)
	}
	want := FileConfig{Path: "/etc/ring/ring.json", PollInterval: 250 * time.Millisecond}
	if c != want {
		t.Errorf("parsed config = %+v, want %+v", c, want)
	}
	if err := c.Validate(); err != nil {
		t.Errorf("Validate: %v", err)
	}
	c.PollInterval = -time.Second
	if err := c.Validate(); err == nil || !strings.Contains(err.Error(), "must not be negative") {
		t.Errorf("Validate(negative interval) = %v", err)
	}
}

func writeFile(t *testing.T, path, content string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

func assertCurrent(t *testing.T, s Source, want Ring) {
	t.Helper()
	if got := s.Current(); got != want || !s.Ready() {
		t.Fatalf("Current = %v (ready %v), want %v", got, s.Ready(), want)
	}
}
