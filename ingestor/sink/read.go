package sink

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
)

// readBufferSize is the read buffer of ReadFiles and of recovery; longer
// lines are assembled in a separate buffer.
const readBufferSize = 64 << 10

// ReadFiles calls fn for every line of every sink file (a regular file
// named like the file sink's, pPPPP-sSS-NNNNNNNNNNNN.ndjson or .ndjson.open)
// under dir, recursively (so dir may be the parent of several
// sinks' directories), files in lexical path order, lines in file order.
// name is the file's path (dir joined with its relative path) and lineNo
// counts from 1. A last line without a newline in an ".ndjson.open" file is
// a torn write and is skipped; any other line that does not parse, or a last
// line without a newline in a finished file, is an error naming the file
// and line. An error returned by fn stops the walk and is returned as is.
func ReadFiles(dir string, fn func(name string, lineNo int, l Line) error) error {
	return filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return fmt.Errorf("while reading sink files under %s: %w", dir, err)
		}
		if !d.Type().IsRegular() {
			return nil
		}
		// Other NDJSON files (a bench record kept beside the sink, say)
		// are not the sink's.
		m := sinkFileName.FindStringSubmatch(d.Name())
		if m == nil {
			return nil
		}
		return readFile(path, m[1] != "", fn)
	})
}

// sinkFileName matches the names fileName gives; the group is the .open
// suffix of an active file.
var sinkFileName = regexp.MustCompile(`^p\d{4,}-s\d{2,}-\d{12,}\.ndjson(\.open)?$`)

// readFile calls fn for every line of the sink file path.
func readFile(path string, open bool, fn func(name string, lineNo int, l Line) error) error {
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("while reading sink file: %w", err)
	}
	defer f.Close()
	lineNo := 0
	var stop error // the error that stopped the scan: a bad line or fn's
	err = scanLines(f, func(line []byte, complete bool) error {
		lineNo++
		stop = readLine(path, lineNo, line, complete, open, fn)
		return stop
	})
	if stop != nil {
		return stop
	}
	if err != nil {
		return fmt.Errorf("while reading %s after line %d: %w", path, lineNo, err)
	}
	return nil
}

// readLine parses one line of a sink file and hands it to fn.
func readLine(path string, lineNo int, line []byte, complete, open bool, fn func(string, int, Line) error) error {
	if !complete {
		if open {
			return nil // torn, unacknowledged write
		}
		return fmt.Errorf("while reading %s: line %d has no newline (truncated file)", path, lineNo)
	}
	l, err := ParseLine(line)
	if err != nil {
		return fmt.Errorf("while reading %s: line %d: %w", path, lineNo, err)
	}
	return fn(path, lineNo, l)
}

// scanLines calls fn for every line of r, without its newline; complete is
// false for a last line that has no newline. line is only valid during the
// call. An error of fn stops the scan and is returned.
func scanLines(r io.Reader, fn func(line []byte, complete bool) error) error {
	br := bufio.NewReaderSize(r, readBufferSize)
	var long []byte // a line longer than the read buffer
	for {
		chunk, err := br.ReadSlice('\n')
		switch {
		case errors.Is(err, bufio.ErrBufferFull):
			long = append(long, chunk...)
			continue
		case err == nil:
			line := chunk
			if len(long) > 0 {
				long = append(long, chunk...)
				line = long
			}
			if err := fn(line[:len(line)-1], true); err != nil {
				return err
			}
			long = long[:0]
		case errors.Is(err, io.EOF):
			long = append(long, chunk...)
			if len(long) == 0 {
				return nil
			}
			return fn(long, false)
		default:
			return err
		}
	}
}
