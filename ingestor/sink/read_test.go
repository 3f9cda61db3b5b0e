package sink

import (
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// lineOf returns the sink line of a record with the given id.
func lineOf(id string) string {
	return string(AppendLine(nil, 0, 0, &Record{ID: id, Data: []byte(`{}`)}))
}

func TestReadFilesOrderAndTornLines(t *testing.T) {
	dir := t.TempDir()
	files := map[string]string{
		"b/p0001-s00-000000000000.ndjson":      lineOf("b0") + lineOf("b1"),
		"a/p0000-s01-000000000000.ndjson":      lineOf("a10"),
		"a/p0000-s00-000000000002.ndjson.open": lineOf("a2") + `{"id":"torn`,
		"a/p0000-s00-000000000001.ndjson":      lineOf("a1"),
		"a/p0000-s00-000000000000.ndjson":      lineOf("a0"),
		"a/notes.txt":                          "not a sink file",
		"a/p0000-s00-000000000000.json":        "not a sink file either",
		"a/bench.ndjson":                       `{"run_id":"x"}` + "\n" + `{"id":"x-1","key":"1"}` + "\n", // a bench record beside the sink
		"c/p0002-s00-000000000000.ndjson.open": "",
	}
	for name, content := range files {
		writeFile(t, filepath.Join(dir, name), content)
	}
	var got []string
	err := ReadFiles(dir, func(name string, lineNo int, l Line) error {
		rel, err := filepath.Rel(dir, name)
		if err != nil {
			return err
		}
		got = append(got, fmt.Sprintf("%s:%d:%s", rel, lineNo, l.ID))
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		"a/p0000-s00-000000000000.ndjson:1:a0",
		"a/p0000-s00-000000000001.ndjson:1:a1",
		"a/p0000-s00-000000000002.ndjson.open:1:a2",
		"a/p0000-s01-000000000000.ndjson:1:a10",
		"b/p0001-s00-000000000000.ndjson:1:b0",
		"b/p0001-s00-000000000000.ndjson:2:b1",
	}
	if !slices.Equal(got, want) {
		t.Errorf("got:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

func TestReadFilesErrors(t *testing.T) {
	for _, tc := range []struct {
		name, file, content, want string
	}{
		{"bad line in open file", "p0000-s00-000000000000.ndjson.open",
			lineOf("1") + "garbage\n" + lineOf("3"), "p0000-s00-000000000000.ndjson.open: line 2: "},
		{"torn line in finished file", "p0000-s00-000000000000.ndjson",
			lineOf("1") + `{"id":"2"`, "p0000-s00-000000000000.ndjson: line 2 has no newline"},
		{"complete line without newline in finished file", "p0000-s00-000000000000.ndjson",
			strings.TrimSuffix(lineOf("1"), "\n"), "p0000-s00-000000000000.ndjson: line 1 has no newline"},
		{"empty line", "p0000-s00-000000000000.ndjson", lineOf("1") + "\n", "p0000-s00-000000000000.ndjson: line 2: empty sink line"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			writeFile(t, filepath.Join(dir, tc.file), tc.content)
			err := ReadFiles(dir, func(string, int, Line) error { return nil })
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("got %v, want an error containing %q", err, tc.want)
			}
		})
	}
}

func TestReadFilesCallbackErrorStops(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "p0000-s00-000000000000.ndjson"), lineOf("1")+lineOf("2"))
	writeFile(t, filepath.Join(dir, "p0000-s00-000000000001.ndjson"), lineOf("3"))
	stop := errors.New("stop")
	calls := 0
	err := ReadFiles(dir, func(string, int, Line) error {
		calls++
		return stop
	})
	if !errors.Is(err, stop) || calls != 1 {
		t.Errorf("got %v after %d calls, want the callback's error after 1", err, calls)
	}
}

func TestReadFilesLongLines(t *testing.T) {
	dir := t.TempDir()
	big := fmt.Sprintf(`{"pad":"%s"}`, strings.Repeat("x", 3*readBufferSize))
	content := string(AppendLine(nil, 0, 0, &Record{ID: "big", Data: []byte(big)})) + lineOf("small")
	writeFile(t, filepath.Join(dir, "p0000-s00-000000000000.ndjson.open"), content+content[:readBufferSize+10])
	var got []string
	err := ReadFiles(dir, func(_ string, _ int, l Line) error {
		got = append(got, fmt.Sprintf("%s/%d", l.ID, len(l.Event)))
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{fmt.Sprintf("big/%d", len(big)), "small/2"}; !slices.Equal(got, want) {
		t.Errorf("got %v, want %v", got, want)
	}
}

func TestReadFilesMissingDir(t *testing.T) {
	err := ReadFiles(filepath.Join(t.TempDir(), "missing"), func(string, int, Line) error { return nil })
	if err == nil {
		t.Error("no error for a missing directory")
	}
}
