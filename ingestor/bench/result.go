package bench

import (
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Result is what a load run measured.
type Result struct {
	// RunID and Seed identify the events sent.
	RunID string
	Seed  int64
	// Targets are the base URLs the load went to.
	Targets []string
	// Events, Duration, Concurrency, Batch and Keys are the load's shape;
	// Events is 0 for a run bounded by Duration.
	Events      int
	Duration    time.Duration
	Concurrency int
	// Senders is the number of senders that ran: Concurrency, or fewer if
	// there were fewer requests to send.
	Senders int
	Batch   int
	Keys    int
	// Record is the record file written, if any.
	Record string

	// Sent counts the events sent at least once; Acked those acknowledged
	// by a final 202; Failed those given up (non-retryable error or
	// attempts exhausted). Sent - Acked - Failed were in flight when the
	// run was stopped.
	Sent, Acked, Failed int64
	// Requests counts the attempts that got a response or a transport
	// error; Retries the attempts that were repeated.
	Requests, Retries int64
	// Errors counts failed attempts by HTTP status ("429"), ErrorConn or
	// ErrorBadAck; ErrorSamples holds the first message of each.
	Errors       map[string]int64
	ErrorSamples map[string]string
	// Elapsed is the run's wall time; EventsPerSec counts acknowledged
	// events and RequestsPerSec all attempts.
	Elapsed        time.Duration
	EventsPerSec   float64
	RequestsPerSec float64
	// Latency is that of the successful attempts, send to 202.
	Latency Latency

	// Baseline is the same load against the bare server, with --baseline.
	Baseline *Result
}

// Latency summarises the latencies of successful requests. Percentiles are
// accurate to 0.4%; Max is exact.
type Latency struct {
	Count              int64
	P50, P90, P99, Max time.Duration
}

// Report writes a human-readable summary of the run and, with a
// baseline, of the baseline run and the ratios between them.
func (r *Result) Report(w io.Writer) error {
	var b strings.Builder
	r.writeSummary(&b, "bench run "+r.RunID)
	if r.Baseline != nil {
		b.WriteByte('\n')
		r.Baseline.writeSummary(&b, "baseline: the same load against a bare net/http server in this process")
		b.WriteByte('\n')
		r.writeComparison(&b)
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// writeSummary writes the summary of one run under title.
func (r *Result) writeSummary(b *strings.Builder, title string) {
	fmt.Fprintf(b, "%s → %s\n", title, strings.Join(r.Targets, ", "))
	fmt.Fprintf(b, "  load          %s\n", r.shape())
	fmt.Fprintf(b, "  acknowledged  %d of %d events sent", r.Acked, r.Sent)
	if r.Failed > 0 {
		fmt.Fprintf(b, ", %d given up", r.Failed)
	}
	if inFlight := r.Sent - r.Acked - r.Failed; inFlight > 0 {
		fmt.Fprintf(b, ", %d in flight when stopped", inFlight)
	}
	fmt.Fprintf(b, "\n  requests      %d (%d retries)\n", r.Requests, r.Retries)
	fmt.Fprintf(b, "  elapsed       %s\n", r.Elapsed.Round(time.Millisecond))
	fmt.Fprintf(b, "  throughput    %.0f events/s, %.0f requests/s\n", r.EventsPerSec, r.RequestsPerSec)
	l := r.Latency
	fmt.Fprintf(b, "  latency       p50 %s  p90 %s  p99 %s  max %s  (%d successful requests)\n",
		fmtDur(l.P50), fmtDur(l.P90), fmtDur(l.P99), fmtDur(l.Max), l.Count)
	r.writeErrors(b)
	if r.Record != "" {
		fmt.Fprintf(b, "  record        %s\n", r.Record)
	}
}

// shape describes the load.
func (r *Result) shape() string {
	amount := fmt.Sprintf("%d events", r.Events)
	if r.Duration > 0 {
		amount = "for " + r.Duration.String()
	}
	concurrency := strconv.Itoa(r.Concurrency)
	if r.Senders < r.Concurrency {
		concurrency += fmt.Sprintf(" (%d senders, one per request)", r.Senders)
	}
	return fmt.Sprintf("%s, batch %d, concurrency %s, keys %d, seed %d", amount, r.Batch, concurrency, r.Keys, r.Seed)
}

// writeErrors writes the errors by key, most frequent first.
func (r *Result) writeErrors(b *strings.Builder) {
	if len(r.Errors) == 0 {
		b.WriteString("  errors        none\n")
		return
	}
	keys := slices.SortedFunc(maps.Keys(r.Errors), func(x, y string) int {
		if c := r.Errors[y] - r.Errors[x]; c != 0 {
			return int(min(max(c, -1), 1))
		}
		return strings.Compare(x, y)
	})
	for i, k := range keys {
		label := "errors"
		if i > 0 {
			label = ""
		}
		fmt.Fprintf(b, "  %-12s  %s × %d", label, k, r.Errors[k])
		if s := r.ErrorSamples[k]; s != "" {
			fmt.Fprintf(b, "  (first: %s)", s)
		}
		b.WriteByte('\n')
	}
}

// writeComparison writes ours against the baseline's numbers side by side.
func (r *Result) writeComparison(b *strings.Builder) {
	base := r.Baseline
	fmt.Fprintf(b, "%-12s %14s %14s %8s\n", "compared", "target", "bare net/http", "ratio")
	fmt.Fprintf(b, "  %-10s %14.0f %14.0f %8s\n", "events/s", r.EventsPerSec, base.EventsPerSec, fmtRatio(r.EventsPerSec, base.EventsPerSec))
	rows := []struct {
		name      string
		ours, bas time.Duration
	}{
		{"p50", r.Latency.P50, base.Latency.P50},
		{"p90", r.Latency.P90, base.Latency.P90},
		{"p99", r.Latency.P99, base.Latency.P99},
		{"max", r.Latency.Max, base.Latency.Max},
	}
	for _, row := range rows {
		fmt.Fprintf(b, "  %-10s %14s %14s %8s\n", row.name, fmtDur(row.ours), fmtDur(row.bas),
			fmtRatio(float64(row.ours), float64(row.bas)))
	}
}

// fmtDur formats a latency with three significant digits or so.
func fmtDur(d time.Duration) string {
	switch {
	case d >= time.Second:
		return d.Round(time.Millisecond).String()
	case d >= time.Millisecond:
		return d.Round(10 * time.Microsecond).String()
	}
	return d.Round(time.Microsecond).String()
}

// fmtRatio formats ours/base, or "-" if base is 0.
func fmtRatio(ours, base float64) string {
	if base == 0 {
		return "-"
	}
	return fmt.Sprintf("%.2f", ours/base)
}

// ratio returns ours/base, or 0 if base is 0.
func ratio(ours, base float64) float64 {
	if base == 0 {
		return 0
	}
	return ours / base
}

// JSON returns the result as indented JSON: durations in seconds
// (elapsed) and milliseconds (latencies) and, with a baseline, the
// baseline's result and the ratios ours/baseline.
func (r *Result) JSON() ([]byte, error) {
	b, err := json.MarshalIndent(r.view(), "", "  ")
	if err != nil {
		return nil, fmt.Errorf("while encoding the bench result: %w", err)
	}
	return b, nil
}

// resultJSON is the JSON form of a Result.
type resultJSON struct {
	RunID             string            `json:"run_id"`
	Seed              int64             `json:"seed"`
	Targets           []string          `json:"targets"`
	Events            int               `json:"events"`
	DurationSeconds   float64           `json:"duration_seconds,omitempty"`
	Concurrency       int               `json:"concurrency"`
	Senders           int               `json:"senders"`
	Batch             int               `json:"batch"`
	Keys              int               `json:"keys"`
	Record            string            `json:"record,omitempty"`
	Sent              int64             `json:"sent"`
	Acked             int64             `json:"acked"`
	Failed            int64             `json:"failed"`
	Requests          int64             `json:"requests"`
	Retries           int64             `json:"retries"`
	Errors            map[string]int64  `json:"errors"`
	ErrorSamples      map[string]string `json:"error_samples,omitempty"`
	ElapsedSeconds    float64           `json:"elapsed_seconds"`
	EventsPerSecond   float64           `json:"events_per_second"`
	RequestsPerSecond float64           `json:"requests_per_second"`
	LatencyMS         latencyJSON       `json:"latency_ms"`
	Baseline          *resultJSON       `json:"baseline,omitempty"`
	Ratio             *ratioJSON        `json:"ratio_to_baseline,omitempty"`
}

type latencyJSON struct {
	Count int64   `json:"count"`
	P50   float64 `json:"p50"`
	P90   float64 `json:"p90"`
	P99   float64 `json:"p99"`
	Max   float64 `json:"max"`
}

type ratioJSON struct {
	EventsPerSecond float64 `json:"events_per_second"`
	P50             float64 `json:"p50"`
	P90             float64 `json:"p90"`
	P99             float64 `json:"p99"`
	Max             float64 `json:"max"`
}

// view returns the JSON form of r.
func (r *Result) view() *resultJSON {
	v := &resultJSON{
		RunID: r.RunID, Seed: r.Seed, Targets: r.Targets, Events: r.Events,
		DurationSeconds: r.Duration.Seconds(), Concurrency: r.Concurrency, Senders: r.Senders, Batch: r.Batch, Keys: r.Keys,
		Record: r.Record, Sent: r.Sent, Acked: r.Acked, Failed: r.Failed,
		Requests: r.Requests, Retries: r.Retries, Errors: r.Errors, ErrorSamples: r.ErrorSamples,
		ElapsedSeconds: r.Elapsed.Seconds(), EventsPerSecond: r.EventsPerSec, RequestsPerSecond: r.RequestsPerSec,
		LatencyMS: latencyJSON{
			Count: r.Latency.Count, P50: ms(r.Latency.P50), P90: ms(r.Latency.P90),
			P99: ms(r.Latency.P99), Max: ms(r.Latency.Max),
		},
	}
	if v.Errors == nil {
		v.Errors = map[string]int64{}
	}
	if b := r.Baseline; b != nil {
		v.Baseline = b.view()
		v.Ratio = &ratioJSON{
			EventsPerSecond: ratio(r.EventsPerSec, b.EventsPerSec),
			P50:             ratio(float64(r.Latency.P50), float64(b.Latency.P50)),
			P90:             ratio(float64(r.Latency.P90), float64(b.Latency.P90)),
			P99:             ratio(float64(r.Latency.P99), float64(b.Latency.P99)),
			Max:             ratio(float64(r.Latency.Max), float64(b.Latency.Max)),
		}
	}
	return v
}

// ms converts d to milliseconds.
func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
