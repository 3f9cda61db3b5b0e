package verify

import (
	"errors"
	"fmt"
	"io/fs"
	"strings"

	"github.com/eventingestor/eventingestor/ingestor/sink"
)

// maxExamples bounds every list of examples in a Report.
const maxExamples = 10

// position is where a line is in the sink: its order key (epoch,
// partition, shard, ordinal) and, for messages, its file and line number.
type position struct {
	epoch     uint64
	partition int
	shard     int
	ordinal   int64 // of the line in the read: file name order, then line order
	file      int32 // index in sinkScan.files; -1 for "not found"
	line      int32
}

// before reports whether p comes before q in the sink.
func (p position) before(q position) bool {
	if p.epoch != q.epoch {
		return p.epoch < q.epoch
	}
	if p.partition != q.partition {
		return p.partition < q.partition
	}
	if p.shard != q.shard {
		return p.shard < q.shard
	}
	return p.ordinal < q.ordinal
}

// sinkScan is what one read of the sink found about a run.
type sinkScan struct {
	files      []string   // files that had lines, in read order
	first      []position // by record entry: its first line, or file -1
	found      int        // entries with a line
	runLines   int64      // lines of the run
	otherLines int64      // lines of other runs
	duplicates int64      // extra copies of the run's ids
	unrecorded map[string]bool
	unrecEx    []string
	mismatches int64 // recorded events whose sink key differs from the record's
	mismatchEx []KeyMismatch
}

// scanSink reads the sink under dir once. The file sink renames files as it
// rotates them, so a file that vanishes between listing and opening
// restarts the read, a few times.
func scanSink(dir string, rec *record) (*sinkScan, error) {
	const attempts = 5
	var err error
	for range attempts {
		var sc *sinkScan
		sc, err = scanSinkOnce(dir, rec)
		if !errors.Is(err, fs.ErrNotExist) {
			return sc, err
		}
	}
	return nil, fmt.Errorf("sink files kept vanishing while being read (%d attempts): %w", attempts, err)
}

// scanSinkOnce reads the sink under dir.
func scanSinkOnce(dir string, rec *record) (*sinkScan, error) {
	sc := &sinkScan{first: make([]position, len(rec.entries)), unrecorded: map[string]bool{}}
	for i := range sc.first {
		sc.first[i].file = -1
	}
	prefix := rec.runPrefix()
	var ordinal int64
	err := sink.ReadFiles(dir, func(name string, lineNo int, l sink.Line) error {
		ordinal++
		if !strings.HasPrefix(l.ID, prefix) {
			sc.otherLines++
			return nil
		}
		if len(sc.files) == 0 || sc.files[len(sc.files)-1] != name {
			sc.files = append(sc.files, name)
		}
		sc.add(rec, &l, position{
			epoch: l.Epoch, partition: l.Partition, shard: l.Shard, ordinal: ordinal,
			file: int32(len(sc.files) - 1), line: int32(lineNo),
		})
		return nil
	})
	if err != nil {
		return nil, err
	}
	return sc, nil
}

// add accounts for a line of the run at pos.
func (sc *sinkScan) add(rec *record, l *sink.Line, pos position) {
	sc.runLines++
	i, ok := rec.index[l.ID]
	if !ok {
		sc.addUnrecorded(l.ID)
		return
	}
	if sc.first[i].file >= 0 {
		sc.duplicates++
		return
	}
	sc.first[i] = pos
	sc.found++
	if e := &rec.entries[i]; e.Key != l.Key {
		sc.mismatches++
		if len(sc.mismatchEx) < maxExamples {
			sc.mismatchEx = append(sc.mismatchEx, KeyMismatch{ID: l.ID, RecordKey: e.Key, SinkKey: l.Key})
		}
	}
}

// addUnrecorded accounts for a line of the run that is not in the record.
func (sc *sinkScan) addUnrecorded(id string) {
	if sc.unrecorded[id] {
		sc.duplicates++
		return
	}
	sc.unrecorded[id] = true
	if len(sc.unrecEx) < maxExamples {
		sc.unrecEx = append(sc.unrecEx, id)
	}
}
