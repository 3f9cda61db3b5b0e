package ring

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"os"
	"sync"
	"time"
)

// maxFileBytes bounds the size of a ring file; a ring is under 100 bytes.
const maxFileBytes = 64 << 10

// Parse decodes a ring from its JSON form and validates it. Unknown fields
// are ignored so that an older reader accepts rings written by a newer
// operator.
func Parse(data []byte) (Ring, error) {
	var r Ring
	if err := json.Unmarshal(data, &r); err != nil {
		return Ring{}, fmt.Errorf("decode ring: %w", err)
	}
	if err := r.Validate(); err != nil {
		return Ring{}, err
	}
	return r, nil
}

// File is a [Source] that polls a JSON file holding a [Ring], typically the
// ring.json key of the cluster's ring ConfigMap mounted as a volume.
//
// Kubernetes updates such a volume by atomically swapping a symbolic link,
// which file-system notifications report unreliably, so File re-reads the
// file every poll interval and compares its content with the last read.
// Content that cannot be read, parsed or validated, or whose ring is not a
// valid successor of the current ring (an older epoch, or a conflicting ring
// of the same epoch), is logged at Warn level once and ignored: the last good
// ring is kept.
type File struct {
	path     string
	interval time.Duration
	logger   *slog.Logger
	h        *holder

	pollMu  sync.Mutex // serialises poll and guards the fields below
	last    []byte     // content of the last successful read, good or bad
	lastErr string     // last read error, so that each is logged once
}

var _ Source = (*File)(nil)

// NewFile returns a File source for cfg. It reads the file once before
// returning; if that fails, the failure is logged and Ready reports false
// until a later read succeeds. A nil logger discards logs.
func NewFile(cfg FileConfig, logger *slog.Logger) (*File, error) {
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("ring file source: %w", err)
	}
	if cfg.PollInterval == 0 {
		cfg.PollInterval = DefaultPollInterval
	}
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	f := &File{
		path:     cfg.Path,
		interval: cfg.PollInterval,
		logger:   logger.With("ring_file", cfg.Path),
		h:        newHolder(),
	}
	f.poll()
	// The first read is not news to anyone: Updates reports later changes.
	select {
	case <-f.h.updates:
	default:
	}
	return f, nil
}

// Current returns the last good ring, or the zero Ring before the first.
func (f *File) Current() Ring { return f.h.current() }

// Updates returns the coalescing notification channel; see [Source].
func (f *File) Updates() <-chan struct{} { return f.h.updates }

// Ready reports whether a good ring has been read.
func (f *File) Ready() bool { return f.h.ready() }

// Run re-reads the file every poll interval until ctx is done, then returns
// nil.
func (f *File) Run(ctx context.Context) error {
	t := time.NewTicker(f.interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
			f.poll()
		}
	}
}

// poll reads the file and applies its ring if the content changed.
func (f *File) poll() {
	f.pollMu.Lock()
	defer f.pollMu.Unlock()
	data, err := readFile(f.path)
	if err != nil {
		if msg := err.Error(); msg != f.lastErr {
			f.lastErr = msg
			f.logger.Warn("cannot read ring file; keeping the current ring", "err", err, "current", f.Current())
		}
		f.last = nil
		return
	}
	f.lastErr = ""
	if f.last != nil && bytes.Equal(data, f.last) {
		return
	}
	f.last = data
	f.apply(data)
}

// apply parses data and makes its ring current if it is a valid successor.
func (f *File) apply(data []byte) {
	r, err := Parse(data)
	if err != nil {
		f.logger.Warn("ignoring bad ring file; keeping the current ring", "err", err, "current", f.Current())
		return
	}
	prev := f.Current()
	changed, err := f.h.update(r)
	switch {
	case err != nil:
		f.logger.Warn("ignoring ring file; keeping the current ring", "err", err, "ring", r, "current", prev)
	case changed:
		f.logger.Info("ring updated", "ring", r, "previous", prev)
	}
}

// readFile reads at most maxFileBytes of path.
func readFile(path string) ([]byte, error) {
	fh, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer fh.Close()
	data, err := io.ReadAll(io.LimitReader(fh, maxFileBytes+1))
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", path, err)
	}
	if len(data) > maxFileBytes {
		return nil, fmt.Errorf("read %s: file is larger than %d bytes", path, maxFileBytes)
	}
	return data, nil
}
