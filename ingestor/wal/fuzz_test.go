package wal

import (
	"bytes"
	"context"
	"errors"
	"testing"

	"github.com/eventingestor/eventingestor/ingestor/wal/walfs"
)

func FuzzRecordFrame(f *testing.F) {
	f.Add(uint64(1), uint64(1), int64(0), uint16(0), "id", []byte("key"), []byte(`{"a":1}`))
	f.Add(uint64(1<<63), uint64(0), int64(-1), uint16(4095), "", []byte{}, []byte{})
	f.Fuzz(func(t *testing.T, index, epoch uint64, ts int64, slot uint16, id string, key, data []byte) {
		r := Record{Epoch: epoch, ReceivedAt: ts, Slot: slot % numSlots, ID: id, Key: key, Data: data}
		if r.validate() != nil {
			return
		}
		buf := appendRecordFrame(nil, &r, index)
		fr, err := parseFrame(buf)
		if err != nil {
			t.Fatalf("parseFrame of an encoded frame: %v", err)
		}
		got, err := decodeRecord(fr.payload)
		if err != nil {
			t.Fatal(err)
		}
		if got.Index != index || got.Epoch != epoch || got.ReceivedAt != ts || got.Slot != r.Slot ||
			got.ID != id || !bytes.Equal(got.Key, key) || !bytes.Equal(got.Data, data) {
			t.Fatalf("round trip changed the record: %+v", got)
		}
	})
}

func FuzzParseFrame(f *testing.F) {
	r := rec(1)
	f.Add(appendRecordFrame(nil, &r, 1))
	f.Add(appendCommitFrame(appendRecordFrame(nil, &r, 1), 0, 64, 1, segmentFormat))
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, b []byte) {
		fr, err := parseFrame(b)
		if err != nil {
			return
		}
		if fr.size > len(b) || fr.size%frameAlign != 0 {
			t.Fatalf("frame size %d for %d bytes", fr.size, len(b))
		}
		if fr.typ == frameTypeRecord {
			_, _ = decodeRecord(fr.payload)
		}
	})
}

// validSegment returns the bytes of a short log's first segment.
func validSegment(tb testing.TB, n int) []byte {
	tb.Helper()
	fsys := walfs.NewMem()
	w := openLog(tb, fsys, crashConfig())
	appendN(tb, w, 0, n)
	_ = w.Close()
	b, err := fsys.ReadFile(segmentName(testDir, 1))
	if err != nil {
		tb.Fatal(err)
	}
	return b
}

// FuzzRecovery opens a log whose only segment holds arbitrary bytes. It
// must either refuse with ErrCorrupt or recover a log that reads cleanly,
// takes an append, and reopens with the same records.
func FuzzRecovery(f *testing.F) {
	seg := validSegment(f, 12)
	f.Add(seg, uint16(0), byte(0))
	f.Add(seg, uint16(200), byte(0xff))
	f.Add(seg, uint16(segmentHeaderSize+3), byte(1))
	f.Add(seg[:300], uint16(0), byte(0))
	f.Fuzz(func(t *testing.T, data []byte, at uint16, xor byte) {
		if len(data) > 1<<16 {
			return
		}
		data = append([]byte(nil), data...)
		if int(at) < len(data) {
			data[at] ^= xor
		}
		fsys := walfs.NewMem()
		fsys.WriteFile(segmentName(testDir, 1), data)
		w, err := Open(crashConfig(), testOptions(fsys))
		if err != nil {
			if !errors.Is(err, ErrCorrupt) {
				t.Fatalf("Open failed with %v, want ErrCorrupt or success", err)
			}
			return
		}
		first := w.First()
		got := readAll(t, w, first)
		next := first + uint64(len(got))
		if last, err := w.Append(context.Background(), []Record{rec(0)}); err != nil || last != next {
			t.Fatalf("append after recovery = %d, %v; want %d", last, err, next)
		}
		_ = w.Close()
		w, err = Open(crashConfig(), testOptions(fsys))
		if err != nil {
			t.Fatalf("reopen after a successful recovery: %v", err)
		}
		again := readAll(t, w, first)
		_ = w.Close()
		if len(again) != len(got)+1 {
			t.Fatalf("reopen read %d records, want %d", len(again), len(got)+1)
		}
		for i := range got {
			if again[i].ID != got[i].ID || !bytes.Equal(again[i].Data, got[i].Data) {
				t.Fatalf("record %d changed across reopen", i)
			}
		}
	})
}
