package server

import (
	"io"
	"testing"

	"github.com/eventingestor/eventingestor/ingestor/ring"
	"github.com/eventingestor/eventingestor/ingestor/wal"
)

// TestSplitByOwnerGroupsInOrder checks that every record lands in its
// owner's share, once, in its original order, and that shares come in
// owner order and use dst's storage.
func TestSplitByOwnerGroupsInOrder(t *testing.T) {
	for _, partitions := range []int{1, 2, 3, 7, ring.MaxPartitions} {
		rg := ring.Ring{Epoch: 1, Partitions: partitions}
		recs := make([]wal.Record, 500)
		for i := range recs {
			recs[i] = wal.Record{Slot: uint16(i * 37 % 4096), ReceivedAt: int64(i)}
		}
		dst := make([]wal.Record, len(recs))
		shares := splitByOwner(rg, recs, dst)
		total, lastOwner := 0, -1
		for _, sh := range shares {
			if sh.owner <= lastOwner || len(sh.recs) == 0 {
				t.Fatalf("%d partitions: share of owner %d after owner %d, %d records", partitions, sh.owner, lastOwner, len(sh.recs))
			}
			lastOwner = sh.owner
			prev := int64(-1)
			for _, r := range sh.recs {
				if o := rg.Owner(r.Slot); o != sh.owner {
					t.Fatalf("%d partitions: record of slot %d (owner %d) in the share of %d", partitions, r.Slot, o, sh.owner)
				}
				if r.ReceivedAt <= prev {
					t.Fatalf("%d partitions: owner %d's records out of order: %d after %d", partitions, sh.owner, r.ReceivedAt, prev)
				}
				prev = r.ReceivedAt
			}
			if &sh.recs[0] != &dst[total] {
				t.Fatalf("%d partitions: share of owner %d is not dst[%d:]", partitions, sh.owner, total)
			}
			total += len(sh.recs)
		}
		if total != len(recs) {
			t.Fatalf("%d partitions: shares hold %d records, want %d", partitions, total, len(recs))
		}
	}
}

// TestRecordsCodecRoundTrip checks that decodeRecords gives back what
// appendRecords encoded, appended to dst.
func TestRecordsCodecRoundTrip(t *testing.T) {
	recs := []wal.Record{
		{Epoch: 3, ReceivedAt: -5, Slot: 4095, ID: "a", Key: []byte("k"), Data: []byte(`{"a":1}`)},
		{Epoch: 1 << 40, ReceivedAt: 1 << 60, Slot: 0, ID: "", Key: []byte{}, Data: []byte(`{}`)},
	}
	body := appendRecords(nil, recs)
	got, err := decodeRecords([]wal.Record{{ID: "kept"}}, body)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 3 || got[0].ID != "kept" {
		t.Fatalf("decodeRecords returned %d records, first %q; want dst's record then 2", len(got), got[0].ID)
	}
	for i, w := range recs {
		g := got[i+1]
		if g.Epoch != w.Epoch || g.ReceivedAt != w.ReceivedAt || g.Slot != w.Slot || g.ID != w.ID ||
			string(g.Key) != string(w.Key) || string(g.Data) != string(w.Data) {
			t.Errorf("record %d = %+v, want %+v", i, g, w)
		}
	}
	if _, err := decodeRecords(nil, body[:len(body)-1]); err == nil {
		t.Error("a truncated body decoded without error")
	}
	if n := countRecords(body); n != 2 {
		t.Errorf("countRecords = %d, want 2", n)
	}
	// A record whose id and key would not fit in it ends the count: a
	// bad body costs no more than its valid records.
	bad := append(appendRecords(nil, recs[:1]), appendRecords(nil, recs)...)
	first := len(appendRecords(nil, recs[:1]))
	bad[first+22], bad[first+23] = 0xff, 0xff // id length 65535
	if n := countRecords(bad); n != 1 {
		t.Errorf("countRecords with a bad second record = %d, want 1", n)
	}
	if _, err := decodeRecords(nil, bad); err == nil {
		t.Error("a record with an oversized id length decoded without error")
	}
}

// TestSharedBufReleasedAfterLastReader checks that a forward body's buffer
// is released once, only after the sender and every reader (the request's
// body and the transport's retry copies) are done with it.
func TestSharedBufReleasedAfterLastReader(t *testing.T) {
	released := 0
	s := newSharedBuf([]byte("records"), func([]byte) { released++ })
	r1, r2 := s.reader(), s.reader()
	s.unref() // the sender is done, the transport is not
	if err := r1.Close(); err != nil || released != 0 {
		t.Fatalf("released %d times with a reader still open (close: %v)", released, err)
	}
	b, err := io.ReadAll(r2)
	if err != nil || string(b) != "records" {
		t.Fatalf("reader read %q, %v", b, err)
	}
	_ = r2.Close()
	_ = r2.Close() // a second Close must not drop another reference
	_ = r1.Close()
	if released != 1 {
		t.Fatalf("released %d times, want once after the last reader", released)
	}
}
