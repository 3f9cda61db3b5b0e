package bench

import (
	"fmt"
	"io"
	"os"
	"strconv"
	"time"
)

// progressInterval is how often the progress bar is redrawn.
const progressInterval = 250 * time.Millisecond

// progressWidth is the width of the bar itself, in cells.
const progressWidth = 30

// progress draws a one-line progress bar until finish is called.
type progress struct {
	w        io.Writer
	label    string
	total    int64         // events to send; 0 for a timed run
	duration time.Duration // of a timed run
	live     *counters
	started  time.Time
	stop     chan struct{}
	done     chan struct{}
}

// startProgress starts the progress bar of a run on stderr if cfg asks for
// it and stderr is a terminal; otherwise it returns nil, whose finish does
// nothing.
func startProgress(cfg *Config, label string, live *counters, started time.Time) *progress {
	if !cfg.Progress || !isTerminal(os.Stderr) {
		return nil
	}
	p := &progress{
		w:        os.Stderr,
		label:    label,
		duration: cfg.Duration,
		live:     live,
		started:  started,
		stop:     make(chan struct{}),
		done:     make(chan struct{}),
	}
	if cfg.Duration == 0 {
		p.total = int64(cfg.Events)
	}
	go p.loop()
	return p
}

// loop redraws the bar every progressInterval.
func (p *progress) loop() {
	defer close(p.done)
	t := time.NewTicker(progressInterval)
	defer t.Stop()
	var line []byte
	for {
		select {
		case <-p.stop:
			line = append(p.render(line[:0], time.Since(p.started)), '\n')
			_, _ = p.w.Write(line)
			return
		case <-t.C:
			_, _ = p.w.Write(p.render(line[:0], time.Since(p.started)))
		}
	}
}

// finish draws the bar a last time and ends its line.
func (p *progress) finish() {
	if p == nil {
		return
	}
	close(p.stop)
	<-p.done
}

// render appends the bar after elapsed, preceded by a carriage return and
// followed by an erase to the end of the line.
func (p *progress) render(dst []byte, elapsed time.Duration) []byte {
	acked, failed := p.live.acked.Load(), p.live.failed.Load()
	frac := 0.0
	switch {
	case p.total > 0:
		frac = float64(acked+failed) / float64(p.total)
	case p.duration > 0:
		frac = elapsed.Seconds() / p.duration.Seconds()
	}
	dst = append(dst, '\r')
	dst = append(dst, p.label...)
	dst = append(dst, " ["...)
	dst = appendBar(dst, frac, progressWidth)
	dst = append(dst, "] "...)
	dst = strconv.AppendInt(dst, acked, 10)
	if p.total > 0 {
		dst = append(dst, '/')
		dst = strconv.AppendInt(dst, p.total, 10)
	}
	dst = append(dst, " acked"...)
	if failed > 0 {
		dst = fmt.Appendf(dst, ", %d failed", failed)
	}
	if secs := elapsed.Seconds(); secs > 0 {
		dst = fmt.Appendf(dst, ", %.0f events/s", float64(acked)/secs)
	}
	dst = fmt.Appendf(dst, ", %s", elapsed.Round(100*time.Millisecond))
	return append(dst, "\x1b[K"...)
}

// appendBar appends a bar of width cells filled to frac (clamped to 0..1).
func appendBar(dst []byte, frac float64, width int) []byte {
	filled := int(min(max(frac, 0), 1) * float64(width))
	for i := range width {
		if i < filled {
			dst = append(dst, '#')
		} else {
			dst = append(dst, '.')
		}
	}
	return dst
}
