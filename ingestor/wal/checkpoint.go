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

// ReadCheckpoint reads the checkpoint of the log in dir. A missing checkpoint
// is the zero Checkpoint; a damaged one is an error wrapping ErrCorrupt.
func ReadCheckpoint(fsys walfs.FS, dir string) (Checkpoint, error) {
	name := filepath.Join(dir, checkpointName)
	f, err := fsys.OpenFile(name, os.O_RDONLY, 0)
	if errors.Is(err, fs.ErrNotExist) {
		return Checkpoint{}, nil
	}
	if err != nil {
		return Checkpoint{}, fmt.Errorf("while opening checkpoint %s: %w", name, err)
	}
	defer func() { _ = f.Close() }()
	b := make([]byte, checkpointSize+1)
	n, err := f.ReadAt(b, 0)
	if err != nil && !errors.Is(err, io.EOF) {
		return Checkpoint{}, fmt.Errorf("while reading checkpoint %s: %w", name, err)
	}
	c, err := decodeCheckpoint(b[:n])
	if err != nil {
		return Checkpoint{}, &CorruptionError{File: name, Offset: -1, Reason: err.Error()}
	}
	return c, nil
}

// writeCheckpoint replaces the checkpoint atomically: temp file, sync,
// rename, sync of the directory.
func writeCheckpoint(fsys walfs.FS, dir string, c Checkpoint) error {
	tmp := filepath.Join(dir, checkpointTmpName)
	f, err := fsys.OpenFile(tmp, os.O_CREATE|os.O_RDWR|os.O_TRUNC, 0o640)
	if err != nil {
		return fmt.Errorf("while creating %s: %w", tmp, err)
	}
	if _, err := f.WriteAt(c.encode(), 0); err != nil {
		_ = f.Close()
		return fmt.Errorf("while writing %s: %w", tmp, err)
	}
	if err := f.Sync(); err != nil {
		_ = f.Close()
		return fmt.Errorf("while syncing %s: %w", tmp, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("while closing %s: %w", tmp, err)
	}
	if err := fsys.Rename(tmp, filepath.Join(dir, checkpointName)); err != nil {
		return fmt.Errorf("while renaming %s: %w", tmp, err)
	}
	if err := fsys.SyncDir(dir); err != nil {
		return fmt.Errorf("while syncing directory %s after the checkpoint rename: %w", dir, err)
	}
	return nil
}
