package verify

import (
	"fmt"
	"os"
	"strings"

	"github.com/eventingestor/eventingestor/ingestor/bench"
)

// record is a bench run's record file in memory.
type record struct {
	header  bench.RecordHeader
	entries []bench.RecordEntry // in file order
	index   map[string]int32    // entry index by id
}

// runPrefix returns the prefix of the ids of the run's events.
func (r *record) runPrefix() string { return r.header.RunID + "-" }

// loadRecord reads the record file at path.
func loadRecord(path string) (*record, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("while opening the record: %w", err)
	}
	defer f.Close()
	rec := &record{index: make(map[string]int32)}
	hdr, err := bench.ReadRecord(f, rec.add)
	if err != nil {
		return nil, fmt.Errorf("while reading the record %s: %w", path, err)
	}
	rec.header = hdr
	prefix := rec.runPrefix()
	for _, e := range rec.entries {
		if !strings.HasPrefix(e.ID, prefix) {
			return nil, fmt.Errorf("record %s: event id %q lacks the run's prefix %q", path, e.ID, prefix)
		}
	}
	return rec, nil
}

// add appends an entry, refusing a second one with the same id.
func (r *record) add(e bench.RecordEntry) error {
	if _, dup := r.index[e.ID]; dup {
		return fmt.Errorf("event id %q is recorded twice", e.ID)
	}
	r.index[e.ID] = int32(len(r.entries))
	r.entries = append(r.entries, e)
	return nil
}
