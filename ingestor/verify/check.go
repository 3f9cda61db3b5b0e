package verify

import (
	"cmp"
	"math"
	"slices"
)

// analyse turns a read of the sink into a report.
func analyse(rec *record, sc *sinkScan) Report {
	r := Report{
		RunID:         rec.header.RunID,
		Acknowledged:  len(rec.entries),
		Found:         sc.found,
		RunLines:      sc.runLines,
		OtherLines:    sc.otherLines,
		SinkFiles:     len(sc.files),
		Duplicates:    sc.duplicates,
		Unrecorded:    int64(len(sc.unrecorded)),
		UnrecordedIDs: sc.unrecEx,
		KeyMismatches: sc.mismatches,
		KeyMismatchEx: sc.mismatchEx,
	}
	r.Lost, r.LostIDs = lost(rec, sc)
	r.Reordered, r.Reorders = reordered(rec, sc)
	return r
}

// lost counts the recorded events without a line, with examples in record
// order.
func lost(rec *record, sc *sinkScan) (int, []string) {
	var ids []string
	for i, p := range sc.first {
		if p.file < 0 && len(ids) < maxExamples {
			ids = append(ids, rec.entries[i].ID)
		}
	}
	return len(rec.entries) - sc.found, ids
}

// reordered counts the per-key order violations, with examples.
func reordered(rec *record, sc *sinkScan) (int, []Reorder) {
	count := 0
	var examples []Reorder
	for _, idx := range keyOrders(rec, sc) {
		count += checkKey(rec, sc, idx, &examples)
	}
	return count, examples
}

// keyOrders returns, for every key, the indices of its found entries in
// sink order; keys come in record order of their first entry, so that
// examples are stable.
func keyOrders(rec *record, sc *sinkScan) [][]int32 {
	byKey := map[string]int{}
	var orders [][]int32
	for i, e := range rec.entries {
		if sc.first[i].file < 0 {
			continue
		}
		k, ok := byKey[e.Key]
		if !ok {
			k = len(orders)
			byKey[e.Key] = k
			orders = append(orders, nil)
		}
		orders[k] = append(orders[k], int32(i))
	}
	for _, idx := range orders {
		slices.SortFunc(idx, func(a, b int32) int {
			pa, pb := sc.first[a], sc.first[b]
			switch {
			case pa.before(pb):
				return -1
			case pb.before(pa):
				return 1
			}
			return cmp.Compare(a, b)
		})
	}
	return orders
}

// checkKey walks one key's entries (idx, in sink order) from the end,
// keeping the smallest acked time of the entries after the current one:
// if the current one was sent after that, an event acknowledged before it
// was sent comes after it in the sink. It returns the number of violating
// entries and appends examples.
func checkKey(rec *record, sc *sinkScan, idx []int32, examples *[]Reorder) int {
	count := 0
	minAcked, minAt := int64(math.MaxInt64), int32(-1)
	for j := len(idx) - 1; j >= 0; j-- {
		i := idx[j]
		e := &rec.entries[i]
		if e.Sent > minAcked {
			count++
			if len(*examples) < maxExamples {
				*examples = append(*examples, Reorder{
					Key:   e.Key,
					First: sc.occurrence(rec, i),
					Then:  sc.occurrence(rec, minAt),
				})
			}
		}
		if e.Acked < minAcked {
			minAcked, minAt = e.Acked, i
		}
	}
	return count
}

// occurrence describes the first line of entry i.
func (sc *sinkScan) occurrence(rec *record, i int32) Occurrence {
	e, p := &rec.entries[i], sc.first[i]
	return Occurrence{
		ID: e.ID, Sent: e.Sent, Acked: e.Acked,
		File: sc.files[p.file], Line: int(p.line),
		Epoch: p.epoch, Partition: p.partition, Shard: p.shard,
	}
}
