package bench

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"time"
)

// RecordHeader is the first line of a record file.
type RecordHeader struct {
	// RunID prefixes the ids of the run's events ("<RunID>-<n>").
	RunID string `json:"run_id"`
	// Events is the number of events the run was to send; 0 for a run
	// bounded by a duration.
	Events int `json:"events"`
	// Batch is the number of events per request.
	Batch int `json:"batch"`
	// Keys is the number of distinct user_id values.
	Keys int `json:"keys"`
	// Seed is the seed of the event picks.
	Seed int64 `json:"seed"`
	// Started is when the run started.
	Started time.Time `json:"started"`
}

// RecordEntry is the line of one acknowledged event in a record file.
type RecordEntry struct {
	// ID is the event's id.
	ID string `json:"id"`
	// Key is the event's user_id.
	Key string `json:"key"`
	// Sent is when the request carrying the event was first sent (its first
	// attempt; a failed attempt may already have stored it), in unix
	// nanoseconds.
	Sent int64 `json:"sent"`
	// Acked is when that attempt's 202 arrived, in unix nanoseconds.
	Acked int64 `json:"acked"`
}

// maxRecordLine bounds a line of a record file.
const maxRecordLine = 64 << 10

// ReadRecord reads a record file from r: it returns the header and calls fn
// for every entry, in file order. An error of fn stops the read and is
// returned as is; a malformed line is an error naming its line number.
func ReadRecord(r io.Reader, fn func(RecordEntry) error) (RecordHeader, error) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 64<<10), maxRecordLine)
	var hdr RecordHeader
	if !sc.Scan() {
		if err := sc.Err(); err != nil {
			return hdr, fmt.Errorf("while reading the record header: %w", err)
		}
		return hdr, errors.New("the record is empty: it has no header line")
	}
	if err := parseHeader(sc.Bytes(), &hdr); err != nil {
		return hdr, err
	}
	for lineNo := 2; sc.Scan(); lineNo++ {
		line := sc.Bytes()
		if len(bytes.TrimSpace(line)) == 0 {
			continue
		}
		e, err := parseEntry(line)
		if err != nil {
			return hdr, fmt.Errorf("record line %d: %w", lineNo, err)
		}
		if err := fn(e); err != nil {
			return hdr, err
		}
	}
	if err := sc.Err(); err != nil {
		return hdr, fmt.Errorf("while reading the record: %w", err)
	}
	return hdr, nil
}

// parseHeader decodes and checks the header line.
func parseHeader(line []byte, hdr *RecordHeader) error {
	if err := json.Unmarshal(line, hdr); err != nil {
		return fmt.Errorf("record line 1 is not a record header: %w", err)
	}
	if err := validateRunID(hdr.RunID); err != nil || hdr.RunID == "" {
		return fmt.Errorf("record line 1 is not a record header: bad run_id %q", hdr.RunID)
	}
	return nil
}

// parseEntry decodes and checks an entry line.
func parseEntry(line []byte) (RecordEntry, error) {
	var e RecordEntry
	if err := json.Unmarshal(line, &e); err != nil {
		return e, fmt.Errorf("not a record entry: %w", err)
	}
	if e.ID == "" {
		return e, errors.New("record entry has no id")
	}
	if e.Acked < e.Sent {
		return e, fmt.Errorf("record entry %s was acknowledged (%d) before it was sent (%d)", e.ID, e.Acked, e.Sent)
	}
	return e, nil
}

// ackedBatch is a request's acknowledged events [start, end), on their way
// to the record file.
type ackedBatch struct {
	start, end  int64
	sent, acked int64
}

// recordQueue is the capacity of the recorder's channel, in requests.
const recordQueue = 4096

// recorder writes the record file from a single goroutine: senders hand it
// acknowledged batches over a channel and never wait for the disk unless it
// falls recordQueue requests behind.
type recorder struct {
	path string
	f    *os.File
	w    *bufio.Writer
	gen  *generator
	ch   chan ackedBatch
	done chan struct{}
	err  error // the first write error; read after done is closed
}

// createRecord creates (or truncates) the record file at path.
func createRecord(path string) (*os.File, error) {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		return nil, fmt.Errorf("while creating the record file: %w", err)
	}
	return f, nil
}

// startRecorder writes the header to the record file f (at path) and
// starts the writing goroutine.
func startRecorder(f *os.File, path string, hdr RecordHeader, gen *generator) *recorder {
	r := &recorder{
		path: path,
		f:    f,
		w:    bufio.NewWriterSize(f, 1<<20),
		gen:  gen,
		ch:   make(chan ackedBatch, recordQueue),
		done: make(chan struct{}),
	}
	line, err := json.Marshal(hdr)
	if err != nil {
		r.err = fmt.Errorf("while encoding the record header: %w", err) // reported by close
	}
	_, _ = r.w.Write(append(line, '\n')) // a write error sticks in w and shows at Flush
	go r.loop()
	return r
}

// add queues an acknowledged batch; a nil recorder records nothing.
func (r *recorder) add(b ackedBatch) {
	if r != nil {
		r.ch <- b
	}
}

// loop writes the queued batches until the channel is closed; after an
// error it keeps draining so that senders never block.
func (r *recorder) loop() {
	defer close(r.done)
	var line []byte
	for b := range r.ch {
		if r.err != nil {
			continue
		}
		for n := b.start; n < b.end; n++ {
			line = r.appendEntry(line[:0], n, b.sent, b.acked)
			if _, err := r.w.Write(line); err != nil {
				r.err = err
				break
			}
		}
	}
}

// appendEntry appends the record line of event n.
func (r *recorder) appendEntry(dst []byte, n, sent, acked int64) []byte {
	_, user := r.gen.pick(n)
	dst = append(dst, `{"id":"`...)
	dst = r.gen.appendID(dst, n)
	dst = append(dst, `","key":"`...)
	dst = strconv.AppendUint(dst, user, 10)
	dst = append(dst, `","sent":`...)
	dst = strconv.AppendInt(dst, sent, 10)
	dst = append(dst, `,"acked":`...)
	dst = strconv.AppendInt(dst, acked, 10)
	return append(dst, "}\n"...)
}

// close waits for the queued batches, flushes, syncs and closes the file;
// a nil recorder does nothing. No add may follow.
func (r *recorder) close() error {
	if r == nil {
		return nil
	}
	close(r.ch)
	<-r.done
	err := r.err
	if err == nil {
		err = r.w.Flush()
	}
	if err == nil {
		err = r.f.Sync()
	}
	if cerr := r.f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("while writing the record file %s: %w", r.path, err)
	}
	return nil
}
