package bench

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"os"
	"sync"
	"sync/atomic"
	"time"
)

// ErrNotAcknowledged is wrapped by the error of a run in which some events
// that were sent were not acknowledged.
var ErrNotAcknowledged = errors.New("not every event sent was acknowledged")

// Run sends the load cfg describes, preceded by the baseline run if
// cfg.Baseline, writes the report (see [Result.Report]) to out unless it is
// nil, and returns the result. The result is valid even with an error: the
// error says that cfg is invalid, that the record file could not be
// written, that ctx ended before the end of the run, or (wrapping
// [ErrNotAcknowledged]) that some events were given up.
func Run(ctx context.Context, cfg Config, out io.Writer) (Result, error) {
	if err := cfg.Validate(); err != nil {
		return Result{}, fmt.Errorf("invalid bench configuration: %w", err)
	}
	cfg = resolveDefaults(cfg)
	var recFile *os.File // created first, so that a bad path fails before any load
	if cfg.Record != "" {
		f, err := createRecord(cfg.Record)
		if err != nil {
			return Result{}, err
		}
		recFile = f
	}
	var baseline *Result
	if cfg.Baseline {
		b, err := runBaseline(ctx, cfg)
		if err != nil {
			if recFile != nil {
				recFile.Close()
			}
			return b, err
		}
		baseline = &b
	}
	res, err := runLoad(ctx, &cfg, "load", recFile)
	res.Baseline = baseline
	if out != nil {
		if werr := res.Report(out); werr != nil && err == nil {
			err = fmt.Errorf("while writing the bench report: %w", werr)
		}
	}
	if err != nil {
		return res, err
	}
	return res, runError(ctx, &res)
}

// runError returns the error of a finished run, if any.
func runError(ctx context.Context, res *Result) error {
	if ctx.Err() != nil {
		return fmt.Errorf("bench stopped after %d of %d events were acknowledged: %w",
			res.Acked, res.Sent, context.Cause(ctx))
	}
	if res.Acked < res.Sent {
		return fmt.Errorf("%w: %d of %d events were given up", ErrNotAcknowledged, res.Sent-res.Acked, res.Sent)
	}
	return nil
}

// resolveDefaults picks the seed and run id if they are not set.
func resolveDefaults(cfg Config) Config {
	if cfg.Seed == 0 {
		cfg.Seed = time.Now().UnixNano()
	}
	if cfg.RunID == "" {
		cfg.RunID = fmt.Sprintf("%08x", rand.Uint32()) //nolint:gosec // a run id needs no crypto
	}
	return cfg
}

// runBaseline runs cfg's load against a bare server of its own, recording
// nothing.
func runBaseline(ctx context.Context, cfg Config) (Result, error) {
	url, stop, err := startBareServer()
	if err != nil {
		return Result{}, err
	}
	defer stop()
	cfg.Targets = []string{url}
	cfg.Record = ""
	res, err := runLoad(ctx, &cfg, "baseline", nil)
	if err != nil {
		return res, fmt.Errorf("baseline run: %w", err)
	}
	if err := runError(ctx, &res); err != nil {
		return res, fmt.Errorf("baseline run: %w", err)
	}
	return res, nil
}

// counters are the live totals of a run, for the progress bar.
type counters struct {
	sent, acked, failed, requests atomic.Int64
}

// runner is the state of one load run that its senders share.
type runner struct {
	cfg     *Config
	gen     *generator
	client  *http.Client
	headers requestHeaders
	urls    []string
	pool    *sync.Pool
	rec     *recorder // nil without a record file
	hist    histogram
	live    counters
	batches atomic.Int64 // batches handed out
	rr      atomic.Uint64
	expired atomic.Bool // the duration has passed
}

// nextBatch hands out the events [start, end) of the next request; ok is
// false once the run has sent all it should.
func (r *runner) nextBatch() (start, end int64, ok bool) {
	if r.expired.Load() {
		return 0, 0, false
	}
	batch := int64(r.cfg.Batch)
	start = (r.batches.Add(1) - 1) * batch
	if r.cfg.Duration > 0 {
		return start, start + batch, true
	}
	events := int64(r.cfg.Events)
	if start >= events {
		return 0, 0, false
	}
	return start, min(start+batch, events), true
}

// nextURL returns the ingest URL of the next target, round-robin.
func (r *runner) nextURL() string {
	if len(r.urls) == 1 {
		return r.urls[0]
	}
	return r.urls[(r.rr.Add(1)-1)%uint64(len(r.urls))]
}

// runLoad runs cfg's load (cfg is complete and valid), writing the record
// to recFile (cfg.Record) unless it is nil, and closing it; label names the
// run on the progress bar.
func runLoad(ctx context.Context, cfg *Config, label string, recFile *os.File) (Result, error) {
	gen := newGenerator(cfg.RunID, cfg.Seed, cfg.Keys)
	r := &runner{
		cfg:     cfg,
		gen:     gen,
		client:  newClient(cfg, cfg.Batch*gen.maxEventSize()),
		headers: newRequestHeaders(),
		urls:    eventsURLs(cfg.Targets),
		pool:    newPayloadPool(),
	}
	defer r.client.CloseIdleConnections()
	started := time.Now()
	if recFile != nil {
		r.rec = startRecorder(recFile, cfg.Record, recordHeader(cfg, started), gen)
	}
	prog := startProgress(cfg, label, &r.live, started)
	stats := r.runWorkers(ctx)
	elapsed := time.Since(started)
	prog.finish()
	return r.result(stats, elapsed), r.rec.close()
}

// recordHeader returns the record file's header of a run.
func recordHeader(cfg *Config, started time.Time) RecordHeader {
	hdr := RecordHeader{RunID: cfg.RunID, Batch: cfg.Batch, Keys: cfg.Keys, Seed: cfg.Seed, Started: started.UTC()}
	if cfg.Duration == 0 {
		hdr.Events = cfg.Events
	}
	return hdr
}

// runWorkers runs the senders until they are done and returns their
// stats.
func (r *runner) runWorkers(ctx context.Context) []workerStats {
	if r.cfg.Duration > 0 {
		t := time.AfterFunc(r.cfg.Duration, func() { r.expired.Store(true) })
		defer t.Stop()
	}
	n := r.cfg.Concurrency
	if r.cfg.Duration == 0 {
		n = min(n, (r.cfg.Events+r.cfg.Batch-1)/r.cfg.Batch)
	}
	workers := make([]*worker, n)
	var wg sync.WaitGroup
	for i := range workers {
		workers[i] = newWorker(r, i)
		wg.Go(func() { workers[i].run(ctx) })
	}
	wg.Wait()
	stats := make([]workerStats, n)
	for i, w := range workers {
		stats[i] = w.stats
	}
	return stats
}

// result assembles the Result of the run.
func (r *runner) result(stats []workerStats, elapsed time.Duration) Result {
	res := Result{
		RunID:       r.cfg.RunID,
		Seed:        r.cfg.Seed,
		Targets:     r.cfg.Targets,
		Events:      r.cfg.Events,
		Duration:    r.cfg.Duration,
		Concurrency: r.cfg.Concurrency,
		Senders:     len(stats),
		Batch:       r.cfg.Batch,
		Keys:        r.cfg.Keys,
		Record:      r.cfg.Record,
		Sent:        r.live.sent.Load(),
		Acked:       r.live.acked.Load(),
		Elapsed:     elapsed,
		Latency:     r.hist.latency(),
		Errors:      map[string]int64{},
	}
	if r.cfg.Duration > 0 {
		res.Events = 0
	}
	for _, s := range stats {
		res.merge(&s)
	}
	if secs := elapsed.Seconds(); secs > 0 {
		res.EventsPerSec = float64(res.Acked) / secs
		res.RequestsPerSec = float64(res.Requests) / secs
	}
	return res
}

// merge adds a sender's totals.
func (res *Result) merge(s *workerStats) {
	res.Requests += s.requests
	res.Retries += s.retries
	res.Failed += s.failed
	for k, v := range s.errors {
		res.Errors[k] += v
	}
	for k, v := range s.samples {
		if res.ErrorSamples == nil {
			res.ErrorSamples = map[string]string{}
		}
		if _, ok := res.ErrorSamples[k]; !ok {
			res.ErrorSamples[k] = v
		}
	}
}
