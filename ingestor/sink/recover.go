package sink

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"

	"github.com/eventingestor/eventingestor/ingestor/internal/dsync"
)

// errStopScan stops scanLines early.
var errStopScan = errors.New("stop scanning")

// recoverFile finishes an active file left by a previous process (or by a
// failed write): it truncates it after its last complete, valid line, syncs
// it and renames it to its finished name (an empty file is removed).
func recoverFile(path string, log *slog.Logger) error {
	size, kept, err := truncateTorn(path)
	if err != nil {
		return fmt.Errorf("while recovering %s: %w", path, err)
	}
	if kept < size {
		log.Warn("dropped the torn tail of an unfinished sink file",
			"file", path, "bytes", size, "kept", kept)
	}
	if err := finishFile(path, kept); err != nil {
		return fmt.Errorf("while recovering %s: %w", path, err)
	}
	log.Info("finished a sink file left open by a previous run", "file", path, "bytes", kept)
	return nil
}

// truncateTorn cuts the file at path after its longest prefix of complete,
// valid lines, syncs it, and returns its former and its new size.
func truncateTorn(path string) (size, kept int64, err error) {
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		return 0, 0, err
	}
	defer func() {
		if cerr := f.Close(); err == nil {
			err = cerr
		}
	}()
	fi, err := f.Stat()
	if err != nil {
		return 0, 0, err
	}
	size = fi.Size()
	if kept, err = validPrefix(f); err != nil {
		return size, 0, err
	}
	if kept < size {
		if err := f.Truncate(kept); err != nil {
			return size, 0, err
		}
	}
	return size, kept, dsync.Datasync(f)
}

// validPrefix returns the length of the longest prefix of r made of
// complete sink lines. Checking that the lines are valid JSON, not only
// that they end with a newline, also cuts garbage a crash can leave in the
// unsynced tail (such as blocks of zeros followed by a later line).
func validPrefix(r io.Reader) (int64, error) {
	var kept int64
	err := scanLines(r, func(line []byte, complete bool) error {
		if !complete || !isSinkLine(line) {
			return errStopScan
		}
		kept += int64(len(line)) + 1
		return nil
	})
	if err != nil && !errors.Is(err, errStopScan) {
		return 0, err
	}
	return kept, nil
}

// isSinkLine reports whether line (without its newline) looks like a line
// of AppendLine: a valid JSON object starting with the id.
func isSinkLine(line []byte) bool {
	return bytes.HasPrefix(line, []byte(`{"id":`)) && json.Valid(line)
}
