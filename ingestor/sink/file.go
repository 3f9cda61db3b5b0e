package sink

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/eventingestor/eventingestor/ingestor/internal/directio"
	"github.com/eventingestor/eventingestor/ingestor/internal/dsync"
)

const (
	// openSuffix ends the name of a stream's active file.
	openSuffix = ".ndjson.open"
	// doneSuffix ends the name of a finished file.
	doneSuffix = ".ndjson"
	// seqDigits is the width of the sequence number in a file name.
	seqDigits = 12

	dirPerm  = 0o750
	filePerm = 0o640
)

// ErrClosed is returned by a Write after Close.
var ErrClosed = errors.New("sink is closed")

// File is the sink that appends NDJSON lines (see [AppendLine]) to rotated
// files under a directory, laid out as the package documentation describes.
// Write returns once the batch is on stable storage (fdatasync, and an fsync
// of the directory after a file was created or renamed).
type File struct {
	dir      string
	maxBytes int64
	maxAge   time.Duration
	now      func() time.Time
	log      *slog.Logger

	mu      sync.Mutex // guards closed and streams
	closed  bool
	streams map[streamKey]*stream
}

var _ Sink = (*File)(nil)

// streamKey names the stream of a (partition, shard).
type streamKey struct{ partition, shard int }

// NewFile returns a file sink writing under cfg.Dir, which it creates if
// missing. cfg must be valid (see [Config.Validate]); a nil opts.Logger or
// opts.Now defaults to slog.Default() or time.Now.
func NewFile(cfg FileConfig, opts Options) (*File, error) {
	if err := (&Config{Type: TypeFile, File: cfg}).Validate(); err != nil {
		return nil, fmt.Errorf("while creating the file sink: %w", err)
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if err := makeDir(cfg.Dir); err != nil {
		return nil, fmt.Errorf("while creating the file sink: %w", err)
	}
	return &File{
		dir:      cfg.Dir,
		maxBytes: cfg.MaxBytes,
		maxAge:   cfg.MaxAge,
		now:      opts.Now,
		log:      opts.Logger.With("sink", TypeFile, "dir", cfg.Dir),
		streams:  make(map[streamKey]*stream),
	}, nil
}

// Write appends the batch to the active file of its (partition, shard),
// with one write call or a direct write of its whole blocks and a write of
// the rest (see direct.go), and returns once it is synced. On an error the
// file is finished and the next Write starts a new one.
func (f *File) Write(ctx context.Context, b Batch) error {
	if len(b.Records) == 0 {
		return nil
	}
	if b.Partition < 0 || b.Shard < 0 {
		return fmt.Errorf("while writing %d records: invalid partition %d or shard %d",
			len(b.Records), b.Partition, b.Shard)
	}
	st, err := f.stream(streamKey{b.Partition, b.Shard})
	if err != nil {
		return fmt.Errorf("while writing %d records to %s: %w", len(b.Records), f.dir, err)
	}
	return st.write(ctx, b)
}

// Close finishes the active file of every stream. No Write may follow; a
// second Close does nothing.
func (f *File) Close() error {
	f.mu.Lock()
	if f.closed {
		f.mu.Unlock()
		return nil
	}
	f.closed = true
	streams := make([]*stream, 0, len(f.streams))
	for _, st := range f.streams {
		streams = append(streams, st)
	}
	f.mu.Unlock()

	var errs []error
	for _, st := range streams {
		if err := st.close(); err != nil {
			errs = append(errs, err)
		}
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("while closing the file sink in %s: %w", f.dir, err)
	}
	return nil
}

// stream returns the stream of k, creating it on first use.
func (f *File) stream(k streamKey) (*stream, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.closed {
		return nil, ErrClosed
	}
	st := f.streams[k]
	if st == nil {
		st = &stream{
			sink:   f,
			prefix: fmt.Sprintf("p%04d-s%02d-", k.partition, k.shard),
			log:    f.log.With("partition", k.partition, "shard", k.shard),
		}
		f.streams[k] = st
	}
	return st, nil
}

// stream is the sequence of files of one (partition, shard). Its Writes are
// serialised by mu (the flusher never writes one shard concurrently; mu
// orders them with Close).
type stream struct {
	sink   *File
	prefix string
	log    *slog.Logger

	mu     sync.Mutex
	closed bool
	ready  bool     // the directory was scanned and leftovers finished
	next   uint64   // sequence of the next file
	file   *os.File // active file, nil between files
	direct *os.File // the active file opened for direct writes (direct.go), or nil
	// noDirect is set once a direct write failed: the stream's later files
	// are not opened for direct writes either.
	noDirect bool
	// directWrites counts the batches appended with a direct write.
	directWrites int
	path         string // of the active (or last) file
	size         int64  // synced size of the active file
	opened       time.Time
	dirDirty     bool   // a file was created or renamed since the last directory sync
	buf          []byte // encoding buffer, reused batch after batch
	// tail is the active file's last partial block, size%directio.Block bytes,
	// while direct is set (after a fallback it is stale, and unused).
	tail [directio.Block]byte
}

// write encodes b, rotates if due and appends b to the active file.
func (s *stream) write(ctx context.Context, b Batch) (err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	defer func() {
		if err != nil {
			err = fmt.Errorf("while writing %d records to %s: %w", len(b.Records), s.target(), err)
		}
	}()
	if s.closed {
		return ErrClosed
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	defer s.syncDirIfDirty(&err)
	if err := s.prepare(); err != nil {
		return err
	}
	if err := s.rotateIfDue(); err != nil {
		return err
	}
	if s.file == nil {
		if err := s.create(); err != nil {
			return err
		}
	}
	buf := s.startBuffer()
	t := len(buf) // the file's tail, with direct appends
	s.buf = appendBatch(buf, b)
	defer s.trimBuffer()
	return s.append(s.buf, t)
}

// close finishes the active file, or a leftover one that a failed Write
// could not finish, and marks the stream closed.
func (s *stream) close() (err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.closed = true
	defer s.syncDirIfDirty(&err)
	if s.file != nil {
		return s.finish()
	}
	return s.prepare()
}

// target names what a failed write was writing to.
func (s *stream) target() string {
	if s.path != "" {
		return s.path
	}
	return filepath.Join(s.sink.dir, s.prefix+"*")
}

// prepare, once per stream (and again after an error), finishes the
// stream's leftover active files and sets the next sequence number after the
// highest existing one.
func (s *stream) prepare() error {
	if s.ready {
		return nil
	}
	next, leftovers, err := scanStream(s.sink.dir, s.prefix)
	if err != nil {
		return err
	}
	for _, name := range leftovers {
		s.dirDirty = true
		if err := recoverFile(filepath.Join(s.sink.dir, name), s.log); err != nil {
			return err
		}
	}
	s.next = max(s.next, next)
	s.ready = true
	return nil
}

// rotateIfDue finishes the active file if it reached MaxBytes or MaxAge.
func (s *stream) rotateIfDue() error {
	if s.file == nil {
		return nil
	}
	age := s.sink.now().Sub(s.opened)
	if s.size < s.sink.maxBytes && age < s.sink.maxAge {
		return nil
	}
	s.log.Debug("rotating sink file", "file", s.path, "bytes", s.size, "age", age)
	return s.finish()
}

// create opens the next file of the stream.
func (s *stream) create() error {
	path := filepath.Join(s.sink.dir, fileName(s.prefix, s.next, openSuffix))
	s.next++
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL|os.O_APPEND, filePerm)
	if err != nil {
		return err
	}
	s.file, s.path, s.size, s.opened = f, path, 0, s.sink.now()
	if !s.noDirect {
		s.direct = directio.OpenWriter(path)
	}
	s.dirDirty = true
	s.log.Debug("created sink file", "file", path)
	return nil
}

// append appends buf[t:] to the active file and syncs it; buf[:t] is the
// file's tail, with direct appends (see direct.go). Without them, or for a
// batch that fills no block, it writes and syncs in one call where the
// system has one (see dsync), then drops the synced pages from the page
// cache (see dropCached). On an error it abandons the file.
func (s *stream) append(buf []byte, t int) error {
	p := buf[t:]
	if d := directPart(t, len(p)); s.direct != nil && d > 0 {
		if !directio.Aligned(buf) { // appendBatch grew it
			s.buf = directio.Buffer(buf, len(buf), cap(buf))
			buf = s.buf
		}
		ok, err := s.appendDirect(buf, t, d)
		if err != nil {
			s.abandon(err)
			return err
		}
		if ok {
			s.size += int64(len(p))
			s.keepTail(buf)
			return nil
		}
	}
	if _, err := dsync.WriteAt(s.file, p, -1); err != nil {
		s.abandon(err)
		return err
	}
	dropCached(s.file, s.size, s.size+int64(len(p)))
	s.size += int64(len(p))
	s.keepTail(buf)
	return nil
}

// abandon closes the active file after a failed write. It truncates the
// file to its last synced batch and finishes it; if that fails the file is
// left to prepare, which the next Write runs again.
func (s *stream) abandon(cause error) {
	f := s.file
	s.file = nil
	s.closeDirect()
	s.ready = false
	s.log.Warn("abandoning sink file after a write error", "file", s.path, "bytes", s.size, "err", cause)
	err := f.Truncate(s.size)
	if err == nil {
		err = dsync.Datasync(f)
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = finishFile(s.path, s.size)
		s.dirDirty = true
	}
	if err != nil {
		s.log.Warn("could not finish the abandoned sink file; the next write will", "file", s.path, "err", err)
		return
	}
	s.ready = true
}

// finish closes the active file and gives it its finished name.
func (s *stream) finish() error {
	f := s.file
	s.file = nil
	s.closeDirect()
	if err := f.Close(); err != nil {
		// The data was synced before; a close error loses nothing.
		s.log.Warn("closing a sink file failed", "file", s.path, "err", err)
	}
	s.dirDirty = true
	if err := finishFile(s.path, s.size); err != nil {
		s.ready = false // prepare finishes it at the next Write
		return err
	}
	s.log.Debug("finished sink file", "file", s.path, "bytes", s.size)
	return nil
}

// syncDirIfDirty fsyncs the directory if a file was created or renamed,
// and reports a failure in *errp unless it already holds an error.
func (s *stream) syncDirIfDirty(errp *error) {
	if !s.dirDirty {
		return
	}
	if err := syncDir(s.sink.dir); err != nil {
		if *errp == nil {
			*errp = err
		}
		return
	}
	s.dirDirty = false
}

// trimBuffer drops an encoding buffer grown unusually large.
func (s *stream) trimBuffer() {
	if cap(s.buf) > maxPooledBuffer {
		s.buf = nil
	}
}

// fileName returns the name of file seq of the stream prefix.
func fileName(prefix string, seq uint64, suffix string) string {
	return fmt.Sprintf("%s%0*d%s", prefix, seqDigits, seq, suffix)
}

// parseName returns the sequence number of a file of the stream prefix and
// whether it is an active file; ok is false for any other name.
func parseName(name, prefix string) (seq uint64, open, ok bool) {
	rest, ok := strings.CutPrefix(name, prefix)
	if !ok {
		return 0, false, false
	}
	digits, open := strings.CutSuffix(rest, openSuffix)
	if !open {
		if digits, ok = strings.CutSuffix(rest, doneSuffix); !ok {
			return 0, false, false
		}
	}
	if len(digits) < seqDigits {
		return 0, false, false
	}
	seq, err := strconv.ParseUint(digits, 10, 64)
	if err != nil {
		return 0, false, false
	}
	return seq, open, true
}

// scanStream lists dir and returns the sequence following the highest one
// of the stream prefix (0 if it has no file) and its active files, in name
// order.
func scanStream(dir, prefix string) (next uint64, open []string, err error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return 0, nil, err
	}
	for _, e := range entries {
		seq, isOpen, ok := parseName(e.Name(), prefix)
		if !ok || !e.Type().IsRegular() {
			continue
		}
		next = max(next, seq+1)
		if isOpen {
			open = append(open, e.Name())
		}
	}
	return next, open, nil
}

// finishFile renames the active file path to its finished name, or removes
// it if it is empty.
func finishFile(path string, size int64) error {
	if size == 0 {
		return os.Remove(path)
	}
	return os.Rename(path, strings.TrimSuffix(path, openSuffix)+doneSuffix)
}

// makeDir creates dir if missing and makes its entry durable.
func makeDir(dir string) error {
	if fi, err := os.Stat(dir); err == nil && fi.IsDir() {
		return nil
	}
	if err := os.MkdirAll(dir, dirPerm); err != nil {
		return err
	}
	return syncDir(filepath.Dir(filepath.Clean(dir)))
}

// syncDir fsyncs a directory so that the entries created or renamed in it
// are durable.
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	err = d.Sync()
	if cerr := d.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("while syncing directory %s: %w", dir, err)
	}
	return nil
}
