package walfs

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math/rand/v2"
	"os"
	"path"
	"sort"
	"strings"
	"sync"
)

// Op names a file-system operation, for fault injection and statistics.
type Op int

// The operations of Mem that a fault hook sees.
const (
	OpOpen Op = iota
	OpWrite
	OpSync
	OpSyncDir
	OpRename
	OpRemove
	OpTruncate
	OpAllocate
	OpRead
	numOps
)

var opNames = [...]string{"open", "write", "sync", "syncdir", "rename", "remove", "truncate", "allocate", "read"}

func (o Op) String() string {
	if o < 0 || int(o) >= len(opNames) {
		return fmt.Sprintf("op(%d)", int(o))
	}
	return opNames[o]
}

// ErrInjected is the error a fault hook usually returns.
var ErrInjected = errors.New("injected fault")

// FaultFunc decides whether an operation fails. It returns nil to let the
// operation proceed. name is the file or directory operated on.
type FaultFunc func(op Op, name string) error

// Mem is an in-memory FS that models durability like a disk with a volatile
// cache: file contents survive Crash only up to the file's last Sync, and
// directory entries (creations, renames, removals) only up to the last
// SyncDir of their directory. Unsynced writes can be partly kept at a crash,
// byte by byte in the order they were issued, or sector by sector at random.
//
// Mem is safe for concurrent use.
type Mem struct {
	mu      sync.Mutex
	files   map[string]*memNode // what a running process sees
	durable map[string]*memNode // what survives a crash
	seq     uint64              // global order of unsynced operations
	fault   FaultFunc
	counts  [numOps]int
}

type memNode struct {
	data    []byte // what reads see
	synced  []byte // content as of the last Sync
	pending []memOp
}

// memOp is an unsynced change to a file.
type memOp struct {
	seq  uint64
	off  int64
	data []byte // nil for a resize
	size int64  // new size, for a resize
}

var _ FS = (*Mem)(nil)

// NewMem returns an empty in-memory file system.
func NewMem() *Mem {
	return &Mem{files: map[string]*memNode{}, durable: map[string]*memNode{}}
}

// SetFault installs a fault hook (nil removes it).
func (m *Mem) SetFault(f FaultFunc) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.fault = f
}

// Count returns how many times op was called successfully.
func (m *Mem) Count(op Op) int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.counts[op]
}

// check runs the fault hook; m.mu must be held.
func (m *Mem) check(op Op, name string) error {
	if m.fault != nil {
		if err := m.fault(op, name); err != nil {
			return &fs.PathError{Op: op.String(), Path: name, Err: err}
		}
	}
	m.counts[op]++
	return nil
}

// MkdirAll implements FS. Directories are implicit in Mem.
func (m *Mem) MkdirAll(string) error { return nil }

// ReadDir implements FS. Directories are implicit: a directory holding
// files (at any depth) is listed by its parent.
func (m *Mem) ReadDir(dir string) ([]string, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	dir = path.Clean(dir)
	prefix := dir + "/"
	if dir == "/" {
		prefix = "/"
	}
	seen := map[string]bool{}
	var names []string
	for p := range m.files {
		rest, ok := strings.CutPrefix(p, prefix)
		if !ok {
			continue
		}
		name, _, _ := strings.Cut(rest, "/")
		if !seen[name] {
			seen[name] = true
			names = append(names, name)
		}
	}
	sort.Strings(names)
	return names, nil
}

// OpenFile implements FS.
func (m *Mem) OpenFile(name string, flag int, _ os.FileMode) (File, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	name = path.Clean(name)
	if err := m.check(OpOpen, name); err != nil {
		return nil, err
	}
	n, ok := m.files[name]
	switch {
	case ok && flag&os.O_CREATE != 0 && flag&os.O_EXCL != 0:
		return nil, &fs.PathError{Op: "open", Path: name, Err: fs.ErrExist}
	case !ok && flag&os.O_CREATE == 0:
		return nil, &fs.PathError{Op: "open", Path: name, Err: fs.ErrNotExist}
	case !ok:
		n = &memNode{}
		m.files[name] = n
	}
	if flag&os.O_TRUNC != 0 {
		m.resize(n, 0)
	}
	return &memFile{fs: m, node: n, name: name}, nil
}

// Remove implements FS.
func (m *Mem) Remove(name string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	name = path.Clean(name)
	if err := m.check(OpRemove, name); err != nil {
		return err
	}
	if _, ok := m.files[name]; !ok {
		return &fs.PathError{Op: "remove", Path: name, Err: fs.ErrNotExist}
	}
	delete(m.files, name)
	return nil
}

// Rename implements FS.
func (m *Mem) Rename(oldName, newName string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	oldName, newName = path.Clean(oldName), path.Clean(newName)
	if err := m.check(OpRename, oldName); err != nil {
		return err
	}
	n, ok := m.files[oldName]
	if !ok {
		return &fs.PathError{Op: "rename", Path: oldName, Err: fs.ErrNotExist}
	}
	delete(m.files, oldName)
	m.files[newName] = n
	return nil
}

// SyncDir implements FS: the durable entries of dir become the current ones.
func (m *Mem) SyncDir(dir string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	dir = path.Clean(dir)
	if err := m.check(OpSyncDir, dir); err != nil {
		return err
	}
	for p := range m.durable {
		if path.Dir(p) == dir {
			delete(m.durable, p)
		}
	}
	for p, n := range m.files {
		if path.Dir(p) == dir {
			m.durable[p] = n
		}
	}
	return nil
}

// resize records a size change; m.mu must be held.
func (m *Mem) resize(n *memNode, size int64) {
	m.seq++
	n.pending = append(n.pending, memOp{seq: m.seq, size: size})
	n.data = resized(n.data, size)
}

func resized(b []byte, size int64) []byte {
	if int64(len(b)) >= size {
		return b[:size:size]
	}
	return append(b, make([]byte, size-int64(len(b)))...)
}

// CrashOptions choose what part of the unsynced writes survives a Crash.
type CrashOptions struct {
	// KeepBytes keeps the first KeepBytes bytes of the unsynced writes, in
	// the order they were issued across all files; the write that crosses
	// the limit is kept in part (a torn write). Negative keeps everything.
	KeepBytes int64
	// Rand, if set, ignores KeepBytes and keeps each 512-byte sector of each
	// unsynced write with probability one half, as a disk that reorders
	// writes might.
	Rand *rand.Rand
}

// Crash returns the file system as it would be found after a power cut now.
// m itself is left unchanged; open files of m must not be used with the result.
func (m *Mem) Crash(opts CrashOptions) *Mem {
	m.mu.Lock()
	defer m.mu.Unlock()
	type pendingWrite struct {
		node *memNode
		op   memOp
	}
	var all []pendingWrite
	out := NewMem()
	rebuilt := map[*memNode]*memNode{}
	for p, n := range m.durable {
		nn, ok := rebuilt[n]
		if !ok {
			nn = &memNode{synced: append([]byte(nil), n.synced...)}
			rebuilt[n] = nn
			for _, op := range n.pending {
				all = append(all, pendingWrite{node: nn, op: op})
			}
		}
		out.files[p] = nn
		out.durable[p] = nn
	}
	sort.Slice(all, func(i, j int) bool { return all[i].op.seq < all[j].op.seq })
	budget := opts.KeepBytes
	for _, w := range all {
		n := w.node
		if w.op.data == nil {
			n.synced = resized(n.synced, w.op.size)
			continue
		}
		data := w.op.data
		if opts.Rand != nil {
			applySectors(n, w.op.off, data, opts.Rand)
			continue
		}
		if budget >= 0 && int64(len(data)) > budget {
			data = data[:budget]
		}
		if budget >= 0 {
			budget -= int64(len(data))
		}
		writeInto(&n.synced, w.op.off, data)
	}
	for _, n := range rebuilt {
		n.data = append([]byte(nil), n.synced...)
	}
	return out
}

func applySectors(n *memNode, off int64, data []byte, r *rand.Rand) {
	const sector = 512
	for i := 0; i < len(data); i += sector {
		end := min(i+sector, len(data))
		if r.IntN(2) == 0 {
			writeInto(&n.synced, off+int64(i), data[i:end])
		}
	}
}

func writeInto(b *[]byte, off int64, data []byte) {
	if end := off + int64(len(data)); end > int64(len(*b)) {
		*b = resized(*b, end)
	}
	copy((*b)[off:], data)
}

// UnsyncedBytes is the number of bytes written but not yet synced, over all
// files: the range of byte positions a Crash with KeepBytes can cut at.
func (m *Mem) UnsyncedBytes() int64 {
	m.mu.Lock()
	defer m.mu.Unlock()
	var total int64
	seen := map[*memNode]bool{}
	for _, n := range m.files {
		if seen[n] {
			continue
		}
		seen[n] = true
		for _, op := range n.pending {
			total += int64(len(op.data))
		}
	}
	return total
}

// ReadFile returns a copy of a file's current content.
func (m *Mem) ReadFile(name string) ([]byte, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	n, ok := m.files[path.Clean(name)]
	if !ok {
		return nil, &fs.PathError{Op: "read", Path: name, Err: fs.ErrNotExist}
	}
	return append([]byte(nil), n.data...), nil
}

// WriteFile replaces a file's content and makes it durable, as if it had
// been written, synced, and its directory synced. Tests use it to plant
// corrupt or hand-made files.
func (m *Mem) WriteFile(name string, data []byte) {
	m.mu.Lock()
	defer m.mu.Unlock()
	name = path.Clean(name)
	n := &memNode{data: append([]byte(nil), data...), synced: append([]byte(nil), data...)}
	m.files[name] = n
	m.durable[name] = n
}

type memFile struct {
	fs     *Mem
	node   *memNode
	name   string
	closed bool
}

func (f *memFile) Name() string { return f.name }

func (f *memFile) errClosed(op string) error {
	return &fs.PathError{Op: op, Path: f.name, Err: fs.ErrClosed}
}

func (f *memFile) ReadAt(p []byte, off int64) (int, error) {
	f.fs.mu.Lock()
	defer f.fs.mu.Unlock()
	if f.closed {
		return 0, f.errClosed("read")
	}
	if err := f.fs.check(OpRead, f.name); err != nil {
		return 0, err
	}
	if off >= int64(len(f.node.data)) {
		return 0, io.EOF
	}
	n := copy(p, f.node.data[off:])
	if n < len(p) {
		return n, io.EOF
	}
	return n, nil
}

func (f *memFile) WriteAt(p []byte, off int64) (int, error) {
	f.fs.mu.Lock()
	defer f.fs.mu.Unlock()
	if f.closed {
		return 0, f.errClosed("write")
	}
	if err := f.fs.check(OpWrite, f.name); err != nil {
		return 0, err
	}
	if len(p) == 0 {
		return 0, nil // changes nothing; a pending op with no data would read as a resize at a crash
	}
	f.fs.seq++
	f.node.pending = append(f.node.pending, memOp{seq: f.fs.seq, off: off, data: append([]byte(nil), p...)})
	writeInto(&f.node.data, off, p)
	return len(p), nil
}

func (f *memFile) Size() (int64, error) {
	f.fs.mu.Lock()
	defer f.fs.mu.Unlock()
	return int64(len(f.node.data)), nil
}

func (f *memFile) Sync() error {
	f.fs.mu.Lock()
	defer f.fs.mu.Unlock()
	if f.closed {
		return f.errClosed("sync")
	}
	if err := f.fs.check(OpSync, f.name); err != nil {
		return err
	}
	f.node.synced = append(f.node.synced[:0], f.node.data...)
	f.node.pending = nil
	return nil
}

// WriteAtSync is WriteAt then Sync, two steps between which a Crash can
// tear the write as it can tear any unsynced one. The Sync makes the whole
// file durable, more than the range the OS promises: the WAL never has
// other unsynced writes in a file it calls WriteAtSync on.
func (f *memFile) WriteAtSync(p []byte, off int64) (int, error) {
	n, err := f.WriteAt(p, off)
	if err != nil {
		return n, err
	}
	return n, f.Sync()
}

func (f *memFile) Truncate(size int64) error {
	f.fs.mu.Lock()
	defer f.fs.mu.Unlock()
	if err := f.fs.check(OpTruncate, f.name); err != nil {
		return err
	}
	f.fs.resize(f.node, size)
	return nil
}

func (f *memFile) Allocate(size int64) error {
	f.fs.mu.Lock()
	defer f.fs.mu.Unlock()
	if err := f.fs.check(OpAllocate, f.name); err != nil {
		return err
	}
	if int64(len(f.node.data)) < size {
		f.fs.resize(f.node, size)
	}
	return nil
}

func (f *memFile) Close() error {
	f.fs.mu.Lock()
	defer f.fs.mu.Unlock()
	if f.closed {
		return f.errClosed("close")
	}
	f.closed = true
	return nil
}
