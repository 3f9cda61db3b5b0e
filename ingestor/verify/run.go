package verify

import (
	"context"
	"fmt"
	"os"
	"time"
)

// Polling of the sink while acknowledged events are missing.
const (
	firstPoll = 100 * time.Millisecond
	maxPoll   = time.Second
)

// Run verifies the sink against the record as cfg says, re-reading the
// sink for up to cfg.Wait while acknowledged events are missing from it.
// An error means the check could not be made (bad configuration, unreadable
// record or sink) or ctx ended while waiting, in which case the report of
// the last read is returned with it; a failed check is a report whose OK is
// false.
func Run(ctx context.Context, cfg Config) (Report, error) {
	if err := cfg.Validate(); err != nil {
		return Report{}, fmt.Errorf("invalid verify configuration: %w", err)
	}
	rec, err := loadRecord(cfg.Record)
	if err != nil {
		return Report{}, err
	}
	if err := checkDir(cfg.SinkDir); err != nil {
		return Report{}, err
	}
	start := time.Now()
	sc, reads, waitErr := readUntilComplete(ctx, cfg, rec, start.Add(cfg.Wait))
	if sc == nil {
		return Report{}, waitErr
	}
	r := analyse(rec, sc)
	r.Record, r.SinkDir, r.FailOnDuplicates = cfg.Record, cfg.SinkDir, cfg.FailOnDuplicates
	r.Reads, r.Waited = reads, time.Since(start)
	return r, waitErr
}

// checkDir checks that the sink directory exists, so that a typo is not
// reported as every event lost.
func checkDir(dir string) error {
	st, err := os.Stat(dir)
	if err != nil {
		return fmt.Errorf("while opening the sink directory: %w", err)
	}
	if !st.IsDir() {
		return fmt.Errorf("the sink directory %s is not a directory", dir)
	}
	return nil
}

// readUntilComplete reads the sink until it holds every recorded event or
// deadline has passed, and returns the last read and the number of reads.
// If ctx ends while waiting it returns the last read with ctx's error; if a
// read fails, only the error.
func readUntilComplete(ctx context.Context, cfg Config, rec *record, deadline time.Time) (*sinkScan, int, error) {
	interval := firstPoll
	for reads := 1; ; reads++ {
		sc, err := scanSink(cfg.SinkDir, rec)
		if err != nil {
			return nil, reads, fmt.Errorf("while reading the sink: %w", err)
		}
		left := time.Until(deadline)
		if sc.found == len(rec.entries) || left <= 0 {
			return sc, reads, nil
		}
		if err := sleep(ctx, min(interval, left)); err != nil {
			return sc, reads, fmt.Errorf("stopped waiting for %d missing events: %w", len(rec.entries)-sc.found, err)
		}
		interval = min(2*interval, maxPoll)
	}
}

// sleep waits for d or until ctx ends, returning ctx's error then.
func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return context.Cause(ctx)
	}
}
