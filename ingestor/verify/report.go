package verify

import (
	"encoding/json"
	"fmt"
	"io"
	"path/filepath"
	"strings"
	"time"
)

// Report is the outcome of a verification.
type Report struct {
	// RunID is the bench run checked.
	RunID string `json:"run_id"`
	// Record and SinkDir are what was read.
	Record  string `json:"record"`
	SinkDir string `json:"sink_dir"`
	// Acknowledged counts the events in the record; Found those of them
	// that are in the sink.
	Acknowledged int `json:"acknowledged"`
	Found        int `json:"found"`
	// RunLines counts the sink lines of the run, copies included;
	// OtherLines those of other runs, which are ignored; SinkFiles the
	// files that hold the run's lines.
	RunLines   int64 `json:"run_lines"`
	OtherLines int64 `json:"other_lines"`
	SinkFiles  int   `json:"sink_files"`

	// Lost counts acknowledged events missing from the sink.
	Lost    int      `json:"lost"`
	LostIDs []string `json:"lost_examples,omitempty"`
	// Duplicates counts extra copies of the run's events in the sink.
	Duplicates int64 `json:"duplicates"`
	// Reordered counts events that come, in the sink, before an event of
	// their key that was acknowledged before they were sent.
	Reordered int       `json:"reordered"`
	Reorders  []Reorder `json:"reordered_examples,omitempty"`
	// Unrecorded counts the run's events in the sink that are not in the
	// record: sent but not acknowledged.
	Unrecorded    int64    `json:"unrecorded"`
	UnrecordedIDs []string `json:"unrecorded_examples,omitempty"`
	// KeyMismatches counts acknowledged events whose key in the sink
	// differs from the user_id the bench sent: the server's partition key
	// is another field, and the order check (by the bench's key) may then
	// flag events the server never had to order.
	KeyMismatches int64         `json:"key_mismatches"`
	KeyMismatchEx []KeyMismatch `json:"key_mismatch_examples,omitempty"`

	// Reads counts the reads of the sink; Waited is how long they took.
	Reads  int           `json:"reads"`
	Waited time.Duration `json:"-"`
	// FailOnDuplicates makes duplicates a failure.
	FailOnDuplicates bool `json:"fail_on_duplicates"`
}

// Reorder is an example of a per-key order violation: First comes before
// Then in the sink, but Then was acknowledged before First was sent.
type Reorder struct {
	Key   string     `json:"key"`
	First Occurrence `json:"first"`
	Then  Occurrence `json:"then"`
}

// Occurrence is an acknowledged event and its first line in the sink.
type Occurrence struct {
	ID        string `json:"id"`
	Sent      int64  `json:"sent"`
	Acked     int64  `json:"acked"`
	File      string `json:"file"`
	Line      int    `json:"line"`
	Epoch     uint64 `json:"epoch"`
	Partition int    `json:"partition"`
	Shard     int    `json:"shard"`
}

// KeyMismatch is an event whose key in the sink differs from the record's.
type KeyMismatch struct {
	ID        string `json:"id"`
	RecordKey string `json:"record_key"`
	SinkKey   string `json:"sink_key"`
}

// OK reports whether the verification passed: nothing lost, nothing
// reordered and, with FailOnDuplicates, nothing duplicated.
func (r *Report) OK() bool {
	return r.Lost == 0 && r.Reordered == 0 && (!r.FailOnDuplicates || r.Duplicates == 0)
}

// failures lists what failed.
func (r *Report) failures() []string {
	var f []string
	if r.Lost > 0 {
		f = append(f, fmt.Sprintf("%d lost", r.Lost))
	}
	if r.Reordered > 0 {
		f = append(f, fmt.Sprintf("%d reordered", r.Reordered))
	}
	if r.FailOnDuplicates && r.Duplicates > 0 {
		f = append(f, fmt.Sprintf("%d duplicates", r.Duplicates))
	}
	return f
}

// Print writes the report for humans.
func (r *Report) Print(w io.Writer) error {
	var b strings.Builder
	fmt.Fprintf(&b, "verify run %s: record %s, sink %s\n", r.RunID, r.Record, r.SinkDir)
	fmt.Fprintf(&b, "  found       %d of %d acknowledged events (%d lines of this run in %d files; %d lines of other runs ignored)\n",
		r.Found, r.Acknowledged, r.RunLines, r.SinkFiles, r.OtherLines)
	fmt.Fprintf(&b, "  lost        %d%s\n", r.Lost, examples(r.LostIDs, r.Lost))
	fmt.Fprintf(&b, "  duplicates  %d extra copies%s\n", r.Duplicates, failing(r.FailOnDuplicates && r.Duplicates > 0))
	fmt.Fprintf(&b, "  reordered   %d\n", r.Reordered)
	for _, ro := range r.Reorders {
		ro.print(&b)
	}
	fmt.Fprintf(&b, "  unrecorded  %d (in the sink, never acknowledged to the bench: informational)%s\n",
		r.Unrecorded, examples(r.UnrecordedIDs, int(r.Unrecorded)))
	if r.KeyMismatches > 0 {
		fmt.Fprintf(&b, "  key differs %d (the sink's key is not the bench's user_id, e.g. %s: %q in the record, %q in the sink)\n",
			r.KeyMismatches, r.KeyMismatchEx[0].ID, r.KeyMismatchEx[0].RecordKey, r.KeyMismatchEx[0].SinkKey)
	}
	fmt.Fprintf(&b, "  sink reads  %d in %s\n", r.Reads, r.Waited.Round(time.Millisecond))
	if f := r.failures(); len(f) > 0 {
		fmt.Fprintf(&b, "FAILED: %s\n", strings.Join(f, ", "))
	} else {
		b.WriteString("OK\n")
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// print writes one reorder example.
func (ro *Reorder) print(b *strings.Builder) {
	gap := time.Duration(ro.First.Sent - ro.Then.Acked)
	fmt.Fprintf(b, "    key %q: %s comes before %s in the sink, but %s was acknowledged %s before %s was sent\n",
		ro.Key, ro.First.ID, ro.Then.ID, ro.Then.ID, gap, ro.First.ID)
	for _, o := range []Occurrence{ro.First, ro.Then} {
		fmt.Fprintf(b, "      %-14s sent %s  acked %s  at %s:%d (epoch %d, partition %d, shard %d)\n",
			o.ID, fmtNanos(o.Sent), fmtNanos(o.Acked), filepath.Base(o.File), o.Line, o.Epoch, o.Partition, o.Shard)
	}
}

// examples formats up to maxExamples ids of n.
func examples(ids []string, n int) string {
	if len(ids) == 0 {
		return ""
	}
	s := ": " + strings.Join(ids, ", ")
	if n > len(ids) {
		s += ", …"
	}
	return s
}

// failing marks a failing line.
func failing(fails bool) string {
	if fails {
		return " (failing: --fail-on-duplicates)"
	}
	return ""
}

// fmtNanos formats unix nanoseconds as a UTC time of day.
func fmtNanos(ns int64) string {
	return time.Unix(0, ns).UTC().Format("15:04:05.000000")
}

// JSON returns the report as indented JSON, with "ok" and
// "waited_seconds".
func (r *Report) JSON() ([]byte, error) {
	b, err := json.MarshalIndent(struct {
		OK bool `json:"ok"`
		*Report
		WaitedSeconds float64 `json:"waited_seconds"`
	}{r.OK(), r, r.Waited.Seconds()}, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("while encoding the verify report: %w", err)
	}
	return b, nil
}
