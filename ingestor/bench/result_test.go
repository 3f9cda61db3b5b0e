package bench

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
	"time"
)

func sampleResult() Result {
	return Result{
		RunID: "r1", Seed: 3, Targets: []string{"http://a"}, Events: 100, Concurrency: 10, Senders: 10, Batch: 1, Keys: 2,
		Sent: 100, Acked: 97, Failed: 3, Requests: 110, Retries: 10,
		Errors:       map[string]int64{"429": 10, "400": 3},
		ErrorSamples: map[string]string{"400": "malformed: no key (event 0)"},
		Elapsed:      2 * time.Second, EventsPerSec: 48.5, RequestsPerSec: 55,
		Latency: Latency{Count: 97, P50: 10 * time.Millisecond, P90: 20 * time.Millisecond, P99: 40 * time.Millisecond, Max: 80 * time.Millisecond},
	}
}

func TestReport(t *testing.T) {
	res := sampleResult()
	var b bytes.Buffer
	if err := res.Report(&b); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	for _, want := range []string{
		"bench run r1 → http://a", "100 events, batch 1, concurrency 10, keys 2, seed 3",
		"97 of 100 events sent, 3 given up", "110 (10 retries)", "48 events/s, 55 requests/s",
		"p50 10ms  p90 20ms  p99 40ms  max 80ms", "429 × 10", "400 × 3  (first: malformed: no key (event 0))",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("report lacks %q:\n%s", want, out)
		}
	}
	if strings.Index(out, "429 ×") > strings.Index(out, "400 ×") {
		t.Errorf("errors are not sorted by count:\n%s", out)
	}
}

func TestReportAndJSONWithBaseline(t *testing.T) {
	res, base := sampleResult(), sampleResult()
	base.EventsPerSec, base.Latency.P50 = 97, 5*time.Millisecond
	res.Baseline = &base
	var b bytes.Buffer
	if err := res.Report(&b); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(b.String(), "events/s") || !strings.Contains(b.String(), "0.50") || !strings.Contains(b.String(), "2.00") {
		t.Errorf("comparison lacks the ratios 0.50 and 2.00:\n%s", b.String())
	}
	js, err := res.JSON()
	if err != nil {
		t.Fatal(err)
	}
	var v struct {
		Acked     int64              `json:"acked"`
		LatencyMS map[string]float64 `json:"latency_ms"`
		Baseline  *struct {
			EventsPerSecond float64 `json:"events_per_second"`
		} `json:"baseline"`
		Ratio map[string]float64 `json:"ratio_to_baseline"`
	}
	if err := json.Unmarshal(js, &v); err != nil {
		t.Fatalf("JSON does not parse: %v\n%s", err, js)
	}
	if v.Acked != 97 || v.LatencyMS["p99"] != 40 || v.Baseline == nil || v.Baseline.EventsPerSecond != 97 ||
		v.Ratio["events_per_second"] != 0.5 || v.Ratio["p50"] != 2 {
		t.Errorf("JSON = %s", js)
	}
}

func TestProgressRender(t *testing.T) {
	var live counters
	live.acked.Store(500)
	live.failed.Store(5)
	p := &progress{label: "load", total: 1000, live: &live}
	got := string(p.render(nil, 2*time.Second))
	for _, want := range []string{"\rload [###############...............] 500/1000 acked", "5 failed", "250 events/s", "2s", "\x1b[K"} {
		if !strings.Contains(got, want) {
			t.Errorf("render = %q, lacks %q", got, want)
		}
	}
	timed := &progress{label: "load", duration: 4 * time.Second, live: &live}
	if got := string(timed.render(nil, time.Second)); !strings.Contains(got, "[#######.......................] 500 acked") {
		t.Errorf("timed render = %q", got)
	}
	if got := string(appendBar(nil, 2, 4)); got != "####" {
		t.Errorf("overfull bar = %q", got)
	}
	var nilProgress *progress
	nilProgress.finish() // must not panic
}
