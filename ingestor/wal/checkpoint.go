package wal

import (
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/eventingestor/eventingestor/ingestor/wal/walfs"
)

const (
	checkpointName    = "checkpoint"
	checkpointTmpName = "checkpoint.tmp"
)

// Checkpoint records how far the sink has taken the log.
type Checkpoint struct {
	// Index is the last record the sink acknowledged; 0 means none.
	Index uint64
	// WrittenAt is when the checkpoint was written, in unix nanoseconds.
	WrittenAt int64
}

func (c Checkpoint) encode() []byte {
	b := make([]byte, checkpointSize)
	copy(b, checkpointMagic)
	binary.LittleEndian.PutUint16(b[8:], checkpointVersion)
	binary.LittleEndian.PutUint64(b[16:], c.Index)
	binary.LittleEndian.PutUint64(b[24:], uint64(c.WrittenAt)) // two's complement round-trips
	binary.LittleEndian.PutUint32(b[32:], crc32.Checksum(b[:32], castagnoli))
	return b
}

func decodeCheckpoint(b []byte) (Checkpoint, error) {
	if len(b) != checkpointSize {
		return Checkpoint{}, fmt.Errorf("checkpoint is %d bytes, want %d", len(b), checkpointSize)
	}
	if string(b[:8]) != checkpointMagic {
		return Checkpoint{}, fmt.Errorf("bad checkpoint magic %q", b[:8])
	}
	if crc32.Checksum(b[:32], castagnoli) != binary.LittleEndian.Uint32(b[32:]) {
		return Checkpoint{}, errors.New("checkpoint checksum mismatch")
	}
	if v := binary.LittleEndian.Uint16(b[8:]); v != checkpointVersion {
		return Checkpoint{}, fmt.Errorf("unsupported checkpoint format version %d", v)
	}
	return Checkpoint{
		Index:     binary.LittleEndian.Uint64(b[16:]),
		WrittenAt: int64(binary.LittleEndian.Uint64(b[24:])), // two's complement round-trips
	}, nil
}

// The checkpoint file has two slots, checkpointSlot bytes apart, each
// holding an encoded Checkpoint or zeros. A write goes to the slot that does
// not hold the current checkpoint and is synced in place, so that a torn
// write leaves the current one whole. A file of checkpointSize bytes is the
// single-slot layout of earlier versions (replaced by rename).
const (
	checkpointSlot     = 4096 // apart enough to share no disk sector
	checkpointFileSize = 2 * checkpointSlot
)

// ReadCheckpoint reads the checkpoint of the log in dir. A missing checkpoint
// is the zero Checkpoint; a damaged one is an error wrapping ErrCorrupt.
func ReadCheckpoint(fsys walfs.FS, dir string) (Checkpoint, error) {
	c, _, err := readCheckpointFile(fsys, dir)
	return c, err
}

// readCheckpointFile reads the checkpoint and says which slot holds it: 0
// or 1, or -1 if the file is missing or has the single-slot layout.
func readCheckpointFile(fsys walfs.FS, dir string) (Checkpoint, int, error) {
	name := filepath.Join(dir, checkpointName)
	f, err := fsys.OpenFile(name, os.O_RDONLY, 0)
	if errors.Is(err, fs.ErrNotExist) {
		return Checkpoint{}, -1, nil
	}
	if err != nil {
		return Checkpoint{}, -1, fmt.Errorf("while opening checkpoint %s: %w", name, err)
	}
	defer func() { _ = f.Close() }()
	b := make([]byte, checkpointFileSize+1)
	n, err := f.ReadAt(b, 0)
	if err != nil && !errors.Is(err, io.EOF) {
		return Checkpoint{}, -1, fmt.Errorf("while reading checkpoint %s: %w", name, err)
	}
	corrupt := func(reason string) (Checkpoint, int, error) {
		return Checkpoint{}, -1, &CorruptionError{File: name, Offset: -1, Reason: reason}
	}
	if n != checkpointFileSize {
		c, err := decodeCheckpoint(b[:n])
		if err != nil {
			return corrupt(err.Error())
		}
		return c, -1, nil
	}
	var best Checkpoint
	slot, empty := -1, 0
	var errs []string
	for k := range 2 {
		rec := b[k*checkpointSlot : k*checkpointSlot+checkpointSize]
		if allZero(rec) {
			empty++
			continue
		}
		c, err := decodeCheckpoint(rec)
		if err != nil {
			// A torn write of the newer checkpoint; the other slot holds
			// the one before it, whose segments were kept.
			errs = append(errs, fmt.Sprintf("slot %d: %v", k, err))
			continue
		}
		if slot < 0 || c.Index > best.Index {
			best, slot = c, k
		}
	}
	switch {
	case slot >= 0:
		return best, slot, nil
	case empty == 2:
		return corrupt("both slots of the checkpoint file are empty")
	default:
		return corrupt(fmt.Sprintf("no valid slot (%s)", strings.Join(errs, "; ")))
	}
}

// checkpointWriter writes the checkpoint of one log. It is not safe for
// concurrent use (WAL.Checkpoint holds ckptMu).
type checkpointWriter struct {
	fs   walfs.FS
	dir  string
	file walfs.File // the two-slot file, open; nil until it exists
	slot int        // the slot holding the current checkpoint
}

// openCheckpointWriter opens the checkpoint file for in-place writes if it
// has the two-slot layout; slot is readCheckpointFile's.
func openCheckpointWriter(fsys walfs.FS, dir string, slot int) (*checkpointWriter, error) {
	cw := &checkpointWriter{fs: fsys, dir: dir, slot: slot}
	if slot < 0 {
		return cw, nil // created at the first write
	}
	name := filepath.Join(dir, checkpointName)
	f, err := fsys.OpenFile(name, os.O_RDWR, 0)
	if err != nil {
		return nil, fmt.Errorf("while opening checkpoint %s: %w", name, err)
	}
	cw.file = f
	return cw, nil
}

// write makes c the checkpoint, durably: in the other slot of the file,
// synced in place (one pwritev2 with RWF_DSYNC), or, the first time, in a
// new file that replaces any old one atomically.
func (cw *checkpointWriter) write(c Checkpoint) error {
	if cw.file == nil {
		return cw.create(c)
	}
	next := 1 - cw.slot
	off := int64(next * checkpointSlot)
	if _, err := cw.file.WriteAtSync(c.encode(), off); err != nil {
		return fmt.Errorf("while writing slot %d of %s: %w", next, cw.file.Name(), err)
	}
	cw.slot = next
	return nil
}

// create writes a two-slot file holding c in slot 0 as checkpoint.tmp,
// syncs it, renames it over the checkpoint, syncs the directory and keeps
// the file open.
func (cw *checkpointWriter) create(c Checkpoint) error {
	tmp := filepath.Join(cw.dir, checkpointTmpName)
	f, err := cw.fs.OpenFile(tmp, os.O_CREATE|os.O_RDWR|os.O_TRUNC, 0o640)
	if err != nil {
		return fmt.Errorf("while creating %s: %w", tmp, err)
	}
	b := make([]byte, checkpointFileSize)
	copy(b, c.encode())
	if _, err := f.WriteAtSync(b, 0); err != nil {
		_ = f.Close()
		return fmt.Errorf("while writing %s: %w", tmp, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("while closing %s: %w", tmp, err)
	}
	name := filepath.Join(cw.dir, checkpointName)
	if err := cw.fs.Rename(tmp, name); err != nil {
		return fmt.Errorf("while renaming %s: %w", tmp, err)
	}
	if err := cw.fs.SyncDir(cw.dir); err != nil {
		return fmt.Errorf("while syncing directory %s after the checkpoint rename: %w", cw.dir, err)
	}
	if f, err = cw.fs.OpenFile(name, os.O_RDWR, 0); err != nil {
		return fmt.Errorf("while opening checkpoint %s: %w", name, err)
	}
	cw.file, cw.slot = f, 0
	return nil
}

// close closes the file, if open.
func (cw *checkpointWriter) close() {
	if cw.file != nil {
		_ = cw.file.Close()
	}
}
