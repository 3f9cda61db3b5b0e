package sink

import (
	"context"
	"fmt"
	"io"
	"os"
	"sync"
)

// maxPooledBuffer is the capacity above which an encoding buffer is not kept
// for reuse, so that one huge batch does not pin its memory forever.
const maxPooledBuffer = 16 << 20

// Log is the sink that writes each record as an NDJSON line (see
// [AppendLine]) to a writer, by default standard output. A batch is encoded
// into one buffer and written with one Write call; concurrent batches never
// interleave.
type Log struct {
	w    io.Writer
	name string

	mu   sync.Mutex // serialises writes to w
	bufs sync.Pool  // of *[]byte
}

var _ Sink = (*Log)(nil)

// NewLog returns a log sink writing to w, or to os.Stdout if w is nil.
func NewLog(w io.Writer) *Log {
	name := "writer"
	if w == nil {
		w, name = os.Stdout, "stdout"
	}
	return &Log{w: w, name: name}
}

// Write writes the batch's lines with one Write call on the writer.
func (l *Log) Write(ctx context.Context, b Batch) error {
	if len(b.Records) == 0 {
		return nil
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("while writing %d records to %s: %w", len(b.Records), l.name, err)
	}
	bp := l.getBuffer()
	defer l.putBuffer(bp)
	*bp = appendBatch((*bp)[:0], b)

	l.mu.Lock()
	_, err := l.w.Write(*bp)
	l.mu.Unlock()
	if err != nil {
		return fmt.Errorf("while writing %d records to %s: %w", len(b.Records), l.name, err)
	}
	return nil
}

// Close does nothing; it is safe to call any number of times.
func (l *Log) Close() error { return nil }

func (l *Log) getBuffer() *[]byte {
	if bp, ok := l.bufs.Get().(*[]byte); ok {
		return bp
	}
	return new([]byte)
}

func (l *Log) putBuffer(bp *[]byte) {
	if cap(*bp) > maxPooledBuffer {
		return
	}
	l.bufs.Put(bp)
}

// appendBatch appends the lines of every record of b to dst.
func appendBatch(dst []byte, b Batch) []byte {
	e := lineEncoder{partition: b.Partition, shard: b.Shard}
	for i := range b.Records {
		dst = e.append(dst, &b.Records[i])
	}
	return dst
}
