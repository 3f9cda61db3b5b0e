package verify

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// sequential acknowledges n events alternating between keys "1" and "2",
// each sent after the previous one of its key was acknowledged.
func sequential(f *fixture, n int) {
	for i := range n {
		t := int64(i * 10)
		f.ack(id(i), fmt.Sprint(i%2+1), t, t+5)
	}
}

func TestClean(t *testing.T) {
	f := newFixture(t, 1<<20)
	sequential(f, 6)
	f.write(0, 0, 1, id(0), id(2))
	f.write(0, 1, 1, id(1), id(3), id(5))
	f.write(0, 0, 1, id(4))
	r := f.verify(0, true)
	if !r.OK() || r.Found != 6 || r.Acknowledged != 6 || r.Lost != 0 || r.Duplicates != 0 || r.Reordered != 0 ||
		r.Unrecorded != 0 || r.RunLines != 6 || r.SinkFiles != 2 || r.Reads != 1 {
		t.Errorf("report = %+v, want a clean one", r)
	}
	if out := printed(t, &r); !strings.HasSuffix(out, "OK\n") || !strings.Contains(out, "found       6 of 6 acknowledged events") {
		t.Errorf("printed:\n%s", out)
	}
}

func TestOneLost(t *testing.T) {
	f := newFixture(t, 1<<20)
	sequential(f, 6)
	f.write(0, 0, 1, id(0), id(2), id(4))
	f.write(0, 1, 1, id(1), id(5))
	r := f.verify(0, false)
	if r.OK() || r.Lost != 1 || len(r.LostIDs) != 1 || r.LostIDs[0] != id(3) || r.Found != 5 {
		t.Errorf("report = %+v, want %s lost", r, id(3))
	}
	if out := printed(t, &r); !strings.Contains(out, "lost        1: run1-3") || !strings.Contains(out, "FAILED: 1 lost") {
		t.Errorf("printed:\n%s", out)
	}
}

func TestReplayedBatchIsDuplicatedNotReordered(t *testing.T) {
	f := newFixture(t, 1<<20)
	for i := range 5 {
		f.ack(id(i), "1", int64(i*10), int64(i*10+5))
	}
	f.write(0, 0, 1, id(0), id(1), id(2))
	f.write(0, 0, 1, id(1), id(2)) // the flusher retried a batch the sink had taken
	f.write(0, 0, 1, id(3), id(4))
	r := f.verify(0, false)
	if !r.OK() || r.Duplicates != 2 || r.Reordered != 0 || r.Lost != 0 || r.RunLines != 7 {
		t.Errorf("report = %+v, want 2 duplicates, nothing reordered, OK", r)
	}
	if strict := f.verify(0, true); strict.OK() || !strings.Contains(printed(t, &strict), "FAILED: 2 duplicates") {
		t.Errorf("with --fail-on-duplicates: %+v", strict)
	}
}

func TestReorderDetected(t *testing.T) {
	f := newFixture(t, 1<<20)
	f.ack(id(0), "1", 0, 10)  // A: acknowledged at 10
	f.ack(id(1), "1", 20, 30) // B: sent at 20, after A's ack
	f.ack(id(2), "2", 0, 10)
	f.write(0, 0, 1, id(1), id(2))
	f.write(0, 0, 1, id(0)) // A after B: a violation
	r := f.verify(0, false)
	if r.OK() || r.Reordered != 1 || len(r.Reorders) != 1 {
		t.Fatalf("report = %+v, want one reorder", r)
	}
	ro := r.Reorders[0]
	if ro.Key != "1" || ro.First.ID != id(1) || ro.Then.ID != id(0) || ro.First.Line != 1 || ro.Then.Line != 3 {
		t.Errorf("reorder = %+v, want %s (line 1) before %s (line 3)", ro, id(1), id(0))
	}
	out := printed(t, &r)
	for _, want := range []string{`key "1": run1-1 comes before run1-0 in the sink, but run1-0 was acknowledged 10ms before run1-1 was sent`,
		"p0000-s00-000000000000.ndjson.open:1", "FAILED: 1 reordered"} {
		if !strings.Contains(out, want) {
			t.Errorf("printed lacks %q:\n%s", want, out)
		}
	}
}

func TestEveryViolatingEventIsCounted(t *testing.T) {
	f := newFixture(t, 1<<20)
	for i := range 5 {
		f.ack(id(i), "1", int64(i*10), int64(i*10+5))
	}
	f.write(0, 0, 1, id(4), id(3), id(2), id(1), id(0)) // fully reversed
	r := f.verify(0, false)
	if r.Reordered != 4 {
		t.Errorf("reordered = %d, want 4 (every event but the first sent)", r.Reordered)
	}
}

func TestConcurrentSendsAreNotFlagged(t *testing.T) {
	f := newFixture(t, 1<<20)
	f.ack(id(0), "1", 0, 30)  // A
	f.ack(id(1), "1", 10, 40) // B, sent before A was acknowledged
	f.ack(id(2), "1", 29, 35) // C, likewise
	f.write(0, 0, 1, id(2), id(1), id(0))
	r := f.verify(0, false)
	if !r.OK() || r.Reordered != 0 {
		t.Errorf("report = %+v, want concurrent sends in any order to pass", r)
	}
}

func TestOrderAcrossStreamsFollowsEpochs(t *testing.T) {
	f := newFixture(t, 1<<20)
	f.ack(id(0), "1", 0, 10)  // under epoch 1, owned by partition 1
	f.ack(id(1), "1", 20, 30) // under epoch 2, the key moved to partition 0
	f.write(0, 0, 2, id(1))
	f.write(1, 0, 1, id(0))
	if r := f.verify(0, false); !r.OK() || r.Reordered != 0 {
		t.Errorf("report = %+v: epoch 1 comes before epoch 2 whatever the partitions", r)
	}
	g := newFixture(t, 1<<20)
	g.ack(id(0), "1", 0, 10)
	g.ack(id(1), "1", 20, 30)
	g.write(1, 0, 1, id(1)) // B under an older epoch than A: a violation
	g.write(0, 0, 2, id(0))
	if r := g.verify(0, false); r.Reordered != 1 {
		t.Errorf("report = %+v, want the epoch inversion flagged", r)
	}
}

func TestOrderAcrossRotatedFiles(t *testing.T) {
	f := newFixture(t, 4096) // rotates every few batches
	const n = 300
	for i := range n {
		f.ack(id(i), "1", int64(i*10), int64(i*10+5))
	}
	for i := 0; i < n; i += 10 {
		ids := make([]string, 10)
		for j := range ids {
			ids[j] = id(i + j)
		}
		f.write(0, 0, 1, ids...)
	}
	r := f.verify(0, false)
	if !r.OK() || r.SinkFiles < 5 || r.Found != n {
		t.Errorf("report = %+v, want %d events in order over several files", r, n)
	}
}

func TestOtherRunsAreIgnoredAndUnrecordedCounted(t *testing.T) {
	f := newFixture(t, 1<<20)
	sequential(f, 4)
	f.write(0, 0, 1, "other-0", id(0), "run10-1", id(1), "run1_x-2", id(2), "no-prefix")
	f.write(0, 0, 1, id(3), id(99), "other-1", id(99)) // run1-99 was never acknowledged
	r := f.verify(0, false)
	if !r.OK() || r.Found != 4 || r.OtherLines != 5 || r.Unrecorded != 1 || r.Duplicates != 1 ||
		len(r.UnrecordedIDs) != 1 || r.UnrecordedIDs[0] != id(99) || r.RunLines != 6 {
		t.Errorf("report = %+v, want 5 other lines ignored, run1-99 unrecorded (and duplicated)", r)
	}
}

func TestKeyMismatchesAreReported(t *testing.T) {
	f := newFixture(t, 1<<20)
	f.ack(id(0), "1", 0, 5)
	f.keys[id(0)] = "device-7" // the server keyed by another field
	f.write(0, 0, 1, id(0))
	r := f.verify(0, false)
	if r.KeyMismatches != 1 || r.KeyMismatchEx[0].SinkKey != "device-7" || !r.OK() {
		t.Errorf("report = %+v, want one key mismatch", r)
	}
	if out := printed(t, &r); !strings.Contains(out, `"1" in the record, "device-7" in the sink`) {
		t.Errorf("printed:\n%s", out)
	}
}

func TestWaitPicksUpLateLines(t *testing.T) {
	f := newFixture(t, 1<<20)
	sequential(f, 4)
	f.write(0, 0, 1, id(0), id(1))
	record := f.recordFile()
	go func() {
		time.Sleep(300 * time.Millisecond)
		f.write(0, 0, 1, id(2))
		time.Sleep(200 * time.Millisecond)
		f.write(0, 1, 1, id(3))
	}()
	start := time.Now()
	r, err := Run(context.Background(), Config{SinkDir: f.dir, Record: record, Wait: 10 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	if !r.OK() || r.Found != 4 || r.Reads < 2 {
		t.Errorf("report = %+v, want all 4 found after several reads", r)
	}
	if took := time.Since(start); took > 5*time.Second {
		t.Errorf("verify took %s, it should stop as soon as nothing is missing", took)
	}
}

func TestWaitGivesUp(t *testing.T) {
	f := newFixture(t, 1<<20)
	sequential(f, 2)
	f.write(0, 0, 1, id(0))
	start := time.Now()
	r := f.verify(400*time.Millisecond, false)
	if took := time.Since(start); took < 400*time.Millisecond || took > 10*time.Second {
		t.Errorf("verify took %s, want about the 400ms wait", took)
	}
	if r.Lost != 1 || r.Reads < 2 || r.Waited < 400*time.Millisecond {
		t.Errorf("report = %+v, want 1 lost after several reads", r)
	}
}

func TestWaitStopsWithTheContext(t *testing.T) {
	f := newFixture(t, 1<<20)
	sequential(f, 2)
	f.write(0, 0, 1, id(0))
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	r, err := Run(ctx, Config{SinkDir: f.dir, Record: f.recordFile(), Wait: time.Minute})
	if !errors.Is(err, context.DeadlineExceeded) || !strings.Contains(err.Error(), "1 missing events") {
		t.Errorf("error = %v, want the context's", err)
	}
	if r.Lost != 1 {
		t.Errorf("report = %+v, want the last read's", r)
	}
}

func TestEmptyRecordPassesAtOnce(t *testing.T) {
	f := newFixture(t, 1<<20)
	f.write(0, 0, 1, id(1)) // sent, never acknowledged
	r := f.verify(time.Minute, false)
	if !r.OK() || r.Acknowledged != 0 || r.Unrecorded != 1 || r.Reads != 1 {
		t.Errorf("report = %+v", r)
	}
}

func TestJSON(t *testing.T) {
	f := newFixture(t, 1<<20)
	sequential(f, 2)
	f.write(0, 0, 1, id(1), id(0))
	f.ack(id(2), "1", 100, 110)
	r := f.verify(0, false)
	js, err := r.JSON()
	if err != nil {
		t.Fatal(err)
	}
	var v map[string]any
	if err := json.Unmarshal(js, &v); err != nil {
		t.Fatalf("%v\n%s", err, js)
	}
	if v["ok"] != false || v["lost"] != 1.0 || v["run_id"] != testRun || v["waited_seconds"] == nil || v["acknowledged"] != 3.0 {
		t.Errorf("JSON = %s", js)
	}
}

func TestRunErrors(t *testing.T) {
	dir := t.TempDir()
	write := func(name, content string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	const hdr = `{"run_id":"r","events":2,"batch":1,"keys":2,"started":"2026-01-02T03:04:05Z"}` + "\n"
	good := write("good", hdr)
	for name, tc := range map[string]struct {
		cfg  Config
		want string
	}{
		"no flags":     {Config{}, "--sink-dir must be set"},
		"no record":    {Config{SinkDir: dir, Record: filepath.Join(dir, "nope")}, "while opening the record"},
		"no sink":      {Config{SinkDir: filepath.Join(dir, "nope"), Record: good}, "while opening the sink directory"},
		"sink is file": {Config{SinkDir: good, Record: good}, "is not a directory"},
		"bad line": {Config{SinkDir: dir, Record: write("bad", hdr+"{\n")},
			"record line 2: not a record entry"},
		"twice": {Config{SinkDir: dir, Record: write("twice", hdr+`{"id":"r-1","key":"1","sent":1,"acked":2}`+"\n"+
			`{"id":"r-1","key":"1","sent":1,"acked":2}`+"\n")}, `event id "r-1" is recorded twice`},
		"foreign id": {Config{SinkDir: dir, Record: write("foreign", hdr+`{"id":"x-1","key":"1","sent":1,"acked":2}`+"\n")},
			`event id "x-1" lacks the run's prefix "r-"`},
		"bad sink": {Config{SinkDir: mkSinkFile(t, "p0000-s00-000000000001.ndjson", "not json\n"), Record: good},
			"line 1"},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := Run(context.Background(), tc.cfg)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error = %v, want one containing %q", err, tc.want)
			}
		})
	}
}

// mkSinkFile returns a directory holding one sink file.
func mkSinkFile(t *testing.T, name, content string) string {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return dir
}
