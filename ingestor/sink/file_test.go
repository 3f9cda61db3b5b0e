package sink

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

// fakeClock is an adjustable clock for rotation by age.
type fakeClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

func newTestFile(t *testing.T, dir string, maxBytes int64, clock *fakeClock) *File {
	t.Helper()
	opts := Options{Logger: slog.New(slog.DiscardHandler)}
	if clock != nil {
		opts.Now = clock.Now
	}
	f, err := NewFile(FileConfig{Dir: dir, MaxBytes: maxBytes, MaxAge: time.Hour}, opts)
	if err != nil {
		t.Fatal(err)
	}
	return f
}

func mustWrite(t *testing.T, f *File, b Batch) {
	t.Helper()
	if err := f.Write(context.Background(), b); err != nil {
		t.Fatal(err)
	}
}

func mustClose(t *testing.T, f *File) {
	t.Helper()
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
}

// dirNames lists the names in dir, sorted.
func dirNames(t *testing.T, dir string) []string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	names := make([]string, len(entries))
	for i, e := range entries {
		names[i] = e.Name()
	}
	return names
}

// readLines returns the lines under dir by file base name, via ReadFiles.
func readLines(t *testing.T, dir string) map[string][]Line {
	t.Helper()
	files := make(map[string][]Line)
	err := ReadFiles(dir, func(name string, lineNo int, l Line) error {
		base := filepath.Base(name)
		if lineNo != len(files[base])+1 {
			return fmt.Errorf("%s: line %d after %d lines", name, lineNo, len(files[base]))
		}
		files[base] = append(files[base], l)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return files
}

// ids returns the ids of lines.
func ids(lines []Line) []string {
	out := make([]string, len(lines))
	for i, l := range lines {
		out[i] = l.ID
	}
	return out
}

// batchIDs returns the ids of the records of batches, in order.
func batchIDs(batches ...Batch) []string {
	var out []string
	for _, b := range batches {
		for _, r := range b.Records {
			out = append(out, r.ID)
		}
	}
	return out
}

func TestFileWritesCompleteLines(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "new", "sink")
	f := newTestFile(t, dir, 64<<20, nil)
	b1, b2 := testBatch(3, 1, 0, 10, 150), testBatch(3, 1, 10, 5, 150)
	mustWrite(t, f, b1)
	mustWrite(t, f, b2)
	mustWrite(t, f, Batch{Partition: 3, Shard: 1})

	if got, want := dirNames(t, dir), []string{"p0003-s01-000000000000.ndjson.open"}; !slices.Equal(got, want) {
		t.Fatalf("files before Close: %v, want %v", got, want)
	}
	data, err := os.ReadFile(filepath.Join(dir, "p0003-s01-000000000000.ndjson.open"))
	if err != nil {
		t.Fatal(err)
	}
	var want []byte
	want = appendBatch(want, b1)
	want = appendBatch(want, b2)
	if !bytes.Equal(data, want) {
		t.Fatalf("file content:\n%s\nwant:\n%s", data, want)
	}

	mustClose(t, f)
	if got, want := dirNames(t, dir), []string{"p0003-s01-000000000000.ndjson"}; !slices.Equal(got, want) {
		t.Fatalf("files after Close: %v, want %v", got, want)
	}
	lines := readLines(t, dir)["p0003-s01-000000000000.ndjson"]
	if got, want := ids(lines), batchIDs(b1, b2); !slices.Equal(got, want) {
		t.Errorf("ids %v, want %v", got, want)
	}
	for _, l := range lines {
		if l.Partition != 3 || l.Shard != 1 || l.Epoch != 1 {
			t.Errorf("bad line %+v", l)
		}
	}
}

func TestFileConcurrentShards(t *testing.T) {
	dir := t.TempDir()
	f := newTestFile(t, dir, 4096, nil)
	const shards, batches, records = 4, 30, 10
	var wg sync.WaitGroup
	for s := range shards {
		wg.Go(func() {
			for i := range batches {
				if err := f.Write(context.Background(), testBatch(5, s, i*records, records, 150)); err != nil {
					t.Error(err)
				}
			}
		})
	}
	wg.Wait()
	mustClose(t, f)

	files := readLines(t, dir)
	perShard := make(map[int][]string)
	for _, name := range dirNames(t, dir) { // sorted: per stream, in write order
		if !strings.HasSuffix(name, doneSuffix) {
			t.Fatalf("unfinished file %s after Close", name)
		}
		lines := files[name]
		if len(lines)%records != 0 {
			t.Errorf("%s holds %d lines, not whole batches", name, len(lines))
		}
		for _, l := range lines {
			if want := fmt.Sprintf("p0005-s%02d-", l.Shard); !strings.HasPrefix(name, want) {
				t.Fatalf("line of shard %d in %s", l.Shard, name)
			}
			perShard[l.Shard] = append(perShard[l.Shard], l.ID)
		}
	}
	if len(perShard) != shards {
		t.Fatalf("%d streams, want %d", len(perShard), shards)
	}
	for s := range shards {
		var want []string
		for i := range batches {
			want = append(want, batchIDs(testBatch(5, s, i*records, records, 150))...)
		}
		if !slices.Equal(perShard[s], want) {
			t.Errorf("shard %d: lines out of order or missing", s)
		}
	}
}

func TestFileRotatesBySize(t *testing.T) {
	dir := t.TempDir()
	f := newTestFile(t, dir, 4096, nil)
	var all []Batch
	for i := range 10 {
		b := testBatch(0, 0, i*8, 8, 150) // ~2.4 KB per batch
		all = append(all, b)
		mustWrite(t, f, b)
	}
	mustClose(t, f)

	names := dirNames(t, dir)
	files := readLines(t, dir)
	batchSize := len(appendBatch(nil, all[len(all)-1])) // the largest
	var got []string
	for i, name := range names {
		if want := fileName("p0000-s00-", uint64(i), doneSuffix); name != want {
			t.Errorf("file %d is %s, want %s", i, name, want)
		}
		fi, err := os.Stat(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		if i < len(names)-1 && (fi.Size() < 4096 || fi.Size()-int64(batchSize) >= 4096) {
			t.Errorf("%s has %d bytes: rotated late or early", name, fi.Size())
		}
		if len(files[name])%8 != 0 {
			t.Errorf("%s: a batch is split across files", name)
		}
		got = append(got, ids(files[name])...)
	}
	perFile := (4096 + batchSize - 1) / batchSize
	if want := (len(all) + perFile - 1) / perFile; len(names) != want || want < 3 {
		t.Errorf("%d files, want %d: %v", len(names), want, names)
	}
	if !slices.Equal(got, batchIDs(all...)) {
		t.Errorf("lines out of order or missing")
	}
}

func TestFileRotatesByAge(t *testing.T) {
	dir := t.TempDir()
	clock := &fakeClock{now: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
	f := newTestFile(t, dir, 64<<20, clock)
	mustWrite(t, f, testBatch(0, 2, 0, 1, 100))
	clock.Advance(59 * time.Minute)
	mustWrite(t, f, testBatch(0, 2, 1, 1, 100))
	if got := len(dirNames(t, dir)); got != 1 {
		t.Fatalf("%d files before MaxAge, want 1", got)
	}
	clock.Advance(time.Minute)
	mustWrite(t, f, testBatch(0, 2, 2, 1, 100))
	want := []string{"p0000-s02-000000000000.ndjson", "p0000-s02-000000000001.ndjson.open"}
	if got := dirNames(t, dir); !slices.Equal(got, want) {
		t.Fatalf("files %v, want %v", got, want)
	}
	clock.Advance(30 * time.Minute) // the new file's age counts from its creation
	mustWrite(t, f, testBatch(0, 2, 3, 1, 100))
	mustClose(t, f)
	files := readLines(t, dir)
	if got := len(files["p0000-s02-000000000000.ndjson"]); got != 2 {
		t.Errorf("first file has %d lines, want 2", got)
	}
	if got := len(files["p0000-s02-000000000001.ndjson"]); got != 2 {
		t.Errorf("second file has %d lines, want 2", got)
	}
}

func TestFileRestartContinuesSequence(t *testing.T) {
	dir := t.TempDir()
	for run := range 3 {
		f := newTestFile(t, dir, 4096, nil)
		mustWrite(t, f, testBatch(1, 0, run*20, 20, 150)) // > MaxBytes: rotates on the next write
		mustWrite(t, f, testBatch(1, 0, run*20+20, 1, 150))
		mustWrite(t, f, testBatch(1, 1, run, 1, 150))
		mustClose(t, f)
	}
	var want []string
	for seq := range 6 {
		want = append(want, fileName("p0001-s00-", uint64(seq), doneSuffix))
	}
	for seq := range 3 {
		want = append(want, fileName("p0001-s01-", uint64(seq), doneSuffix))
	}
	if got := dirNames(t, dir); !slices.Equal(got, want) {
		t.Errorf("files %v, want %v", got, want)
	}
}

func TestFileRecoversTornOpenFile(t *testing.T) {
	for name, tail := range map[string]string{
		"torn line":         `{"id":"torn","key":"k","sl`,
		"zeros then a line": "\x00\x00\x00\x00" + `"slot":1,"event":{}}` + "\n" + `{"id":"x"`,
		"invalid line":      `{"id":"bad",` + "\n",
	} {
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			crashed := newTestFile(t, dir, 64<<20, nil) // never closed: a crash
			b := testBatch(0, 0, 0, 5, 150)
			mustWrite(t, crashed, b)
			old := filepath.Join(dir, "p0000-s00-000000000000.ndjson.open")
			synced := appendFile(t, old, tail)
			other := filepath.Join(dir, "p0000-s01-000000000007.ndjson.open")
			writeFile(t, other, string(appendBatch(nil, testBatch(0, 1, 0, 1, 10)))+"{")

			f := newTestFile(t, dir, 64<<20, nil)
			b2 := testBatch(0, 0, 5, 1, 150)
			mustWrite(t, f, b2)
			want := []string{
				"p0000-s00-000000000000.ndjson", "p0000-s00-000000000001.ndjson.open",
				"p0000-s01-000000000007.ndjson.open", // another stream: left alone
			}
			if got := dirNames(t, dir); !slices.Equal(got, want) {
				t.Fatalf("files %v, want %v", got, want)
			}
			data, err := os.ReadFile(strings.TrimSuffix(old, ".open"))
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(data, synced) {
				t.Errorf("recovered file:\n%q\nwant:\n%q", data, synced)
			}
			mustClose(t, f)
			files := readLines(t, dir)
			if got := ids(files["p0000-s00-000000000000.ndjson"]); !slices.Equal(got, batchIDs(b)) {
				t.Errorf("recovered ids %v", got)
			}
		})
	}
}

// appendFile appends s to the file at path and returns its former content.
func appendFile(t *testing.T, path, s string) []byte {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	writeFile(t, path, string(data)+s)
	return data
}

func writeFile(t *testing.T, path, s string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(s), 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestFileRecoveryRemovesEmptyOpenFile(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "p0002-s03-000000000004.ndjson.open"), `{"id":"to`)
	f := newTestFile(t, dir, 64<<20, nil)
	mustWrite(t, f, testBatch(2, 3, 0, 1, 10))
	mustClose(t, f)
	if got, want := dirNames(t, dir), []string{"p0002-s03-000000000005.ndjson"}; !slices.Equal(got, want) {
		t.Errorf("files %v, want %v", got, want)
	}
}

func TestFileWriteErrorStartsNewFile(t *testing.T) {
	dir := t.TempDir()
	f := newTestFile(t, dir, 64<<20, nil)
	b1, b2 := testBatch(0, 0, 0, 3, 100), testBatch(0, 0, 3, 3, 100)
	mustWrite(t, f, b1)
	st, _ := f.stream(streamKey{0, 0})
	if err := st.file.Close(); err != nil { // makes the next write fail
		t.Fatal(err)
	}
	err := f.Write(context.Background(), b2)
	wantMsg := "while writing 3 records to " + filepath.Join(dir, "p0000-s00-000000000000.ndjson.open") + ": "
	if err == nil || !strings.HasPrefix(err.Error(), wantMsg) || !errors.Is(err, os.ErrClosed) {
		t.Fatalf("got error %v, want %q...", err, wantMsg)
	}
	mustWrite(t, f, b2) // the flusher's retry
	want := []string{"p0000-s00-000000000000.ndjson", "p0000-s00-000000000001.ndjson.open"}
	if got := dirNames(t, dir); !slices.Equal(got, want) {
		t.Fatalf("files %v, want %v", got, want)
	}
	mustClose(t, f)
	files := readLines(t, dir)
	got := append(ids(files["p0000-s00-000000000000.ndjson"]), ids(files["p0000-s00-000000000001.ndjson"])...)
	if !slices.Equal(got, batchIDs(b1, b2)) {
		t.Errorf("ids %v", got)
	}
}

func TestFileAbandonTruncatesPartialWrite(t *testing.T) {
	dir := t.TempDir()
	f := newTestFile(t, dir, 64<<20, nil)
	b1 := testBatch(0, 0, 0, 3, 100)
	mustWrite(t, f, b1)
	st, _ := f.stream(streamKey{0, 0})
	partial := appendBatch(nil, testBatch(0, 0, 3, 3, 100))
	if _, err := st.file.Write(partial[:len(partial)/2]); err != nil {
		t.Fatal(err)
	}
	st.mu.Lock()
	st.abandon(errors.New("simulated short write"))
	st.syncDirIfDirty(new(error))
	st.mu.Unlock()
	if got, want := dirNames(t, dir), []string{"p0000-s00-000000000000.ndjson"}; !slices.Equal(got, want) {
		t.Fatalf("files %v, want %v", got, want)
	}
	if got := ids(readLines(t, dir)["p0000-s00-000000000000.ndjson"]); !slices.Equal(got, batchIDs(b1)) {
		t.Errorf("ids %v, want %v", got, batchIDs(b1))
	}
	mustWrite(t, f, testBatch(0, 0, 3, 3, 100))
	mustClose(t, f)
	if got := len(dirNames(t, dir)); got != 2 {
		t.Errorf("%d files, want 2", got)
	}
}

func TestFileClose(t *testing.T) {
	dir := t.TempDir()
	f := newTestFile(t, dir, 64<<20, nil)
	mustWrite(t, f, testBatch(0, 0, 0, 1, 10))
	mustClose(t, f)
	mustClose(t, f)
	if err := f.Write(context.Background(), testBatch(0, 0, 1, 1, 10)); !errors.Is(err, ErrClosed) {
		t.Errorf("Write after Close: %v, want ErrClosed", err)
	}
	if err := f.Write(context.Background(), testBatch(0, 9, 1, 1, 10)); !errors.Is(err, ErrClosed) {
		t.Errorf("Write of a new stream after Close: %v, want ErrClosed", err)
	}
}

func TestFileWriteRejects(t *testing.T) {
	dir := t.TempDir()
	f := newTestFile(t, dir, 64<<20, nil)
	defer mustClose(t, f)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := f.Write(ctx, testBatch(0, 0, 0, 1, 10)); !errors.Is(err, context.Canceled) {
		t.Errorf("canceled context: %v", err)
	}
	if err := f.Write(context.Background(), testBatch(-1, 0, 0, 1, 10)); err == nil {
		t.Errorf("negative partition accepted")
	}
	if got := dirNames(t, dir); len(got) != 0 {
		t.Errorf("files %v after rejected writes", got)
	}
}

func TestNewFileRejectsInvalidConfig(t *testing.T) {
	_, err := NewFile(FileConfig{Dir: t.TempDir(), MaxBytes: 10, MaxAge: time.Hour}, Options{})
	if err == nil || !strings.Contains(err.Error(), "max-bytes") {
		t.Errorf("got %v", err)
	}
	file := filepath.Join(t.TempDir(), "file")
	writeFile(t, file, "")
	if _, err := NewFile(FileConfig{Dir: file, MaxBytes: 4096, MaxAge: time.Hour}, Options{}); err == nil {
		t.Errorf("a file as directory accepted")
	}
}

func TestNew(t *testing.T) {
	s, err := New(Config{Type: TypeLog}, Options{})
	if _, ok := s.(*Log); err != nil || !ok {
		t.Errorf("New(log) = %T, %v", s, err)
	}
	s, err = New(Config{Type: TypeFile, File: FileConfig{Dir: t.TempDir(), MaxBytes: 4096, MaxAge: time.Second}}, Options{})
	if _, ok := s.(*File); err != nil || !ok {
		t.Fatalf("New(file) = %T, %v", s, err)
	}
	if err := s.Close(); err != nil {
		t.Error(err)
	}
}

func TestParseName(t *testing.T) {
	const prefix = "p0001-s02-"
	for _, tc := range []struct {
		name     string
		seq      uint64
		open, ok bool
	}{
		{"p0001-s02-000000000042.ndjson", 42, false, true},
		{"p0001-s02-000000000042.ndjson.open", 42, true, true},
		{"p0001-s02-1234567890123.ndjson", 1234567890123, false, true},
		{"p0001-s02-00000000042.ndjson", 0, false, false},
		{"p0001-s02-+00000000042.ndjson", 0, false, false},
		{"p0001-s02-00000000004x.ndjson", 0, false, false},
		{"p0001-s02-000000000042.json", 0, false, false},
		{"p0001-s02-000000000042.ndjson.tmp", 0, false, false},
		{"p0001-s020-000000000042.ndjson", 0, false, false},
		{"p0001-s03-000000000042.ndjson", 0, false, false},
	} {
		seq, open, ok := parseName(tc.name, prefix)
		if seq != tc.seq || open != tc.open || ok != tc.ok {
			t.Errorf("parseName(%q) = %d, %v, %v; want %d, %v, %v", tc.name, seq, open, ok, tc.seq, tc.open, tc.ok)
		}
	}
}

func TestConfigValidate(t *testing.T) {
	valid := FileConfig{Dir: "/data/sink", MaxBytes: 4096, MaxAge: time.Second}
	for _, tc := range []struct {
		name string
		cfg  Config
		want []string // substrings of the error; nil for valid
	}{
		{"log", Config{Type: TypeLog}, nil},
		{"log ignores file settings", Config{Type: TypeLog, File: FileConfig{MaxBytes: -1}}, nil},
		{"file", Config{Type: TypeFile, File: valid}, nil},
		{"no dir", Config{Type: TypeFile, File: FileConfig{MaxBytes: 4096, MaxAge: time.Second}}, []string{"sink.file.dir"}},
		{"small max-bytes", Config{Type: TypeFile, File: FileConfig{Dir: "d", MaxBytes: 4095, MaxAge: time.Second}}, []string{"max-bytes must be at least 4096, not 4095"}},
		{"small max-age", Config{Type: TypeFile, File: FileConfig{Dir: "d", MaxBytes: 4096, MaxAge: time.Millisecond}}, []string{"max-age must be at least 1s, not 1ms"}},
		{"all wrong", Config{Type: TypeFile}, []string{"sink.file.dir", "max-bytes", "max-age"}},
		{"empty type", Config{}, []string{`unknown sink type ""`}},
		{"unknown type", Config{Type: "kafka", File: valid}, []string{`unknown sink type "kafka"`}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.cfg.Validate()
			if tc.want == nil {
				if err != nil {
					t.Errorf("unexpected error: %v", err)
				}
				return
			}
			if err == nil {
				t.Fatalf("no error, want %q", tc.want)
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q lacks %q", err, w)
				}
			}
		})
	}
}
