package wal

import (
	"bytes"
	"errors"
	"hash/crc32"
	"strings"
	"testing"
)

func TestCastagnoliTable(t *testing.T) {
	// The CRC-32C check value from RFC 3720, appendix B.4.
	if got := crc32.Checksum([]byte("123456789"), castagnoli); got != 0xE3069283 {
		t.Fatalf("CRC32C check value = %#x", got)
	}
}

func TestRecordFrameRoundTrip(t *testing.T) {
	r := rec(42)
	buf := appendRecordFrame(nil, &r, 99)
	if len(buf)%frameAlign != 0 || len(buf) != frameLen(r.payloadLen()) {
		t.Fatalf("frame length %d is not the aligned length %d", len(buf), frameLen(r.payloadLen()))
	}
	f, err := parseFrame(buf)
	if err != nil || f.typ != frameTypeRecord || f.size != len(buf) {
		t.Fatalf("parseFrame = %+v, %v", f, err)
	}
	got, err := decodeRecord(f.payload)
	if err != nil {
		t.Fatal(err)
	}
	r.Index = 99
	if got.Index != r.Index || got.Epoch != r.Epoch || got.ReceivedAt != r.ReceivedAt || got.Slot != r.Slot ||
		got.ID != r.ID || !bytes.Equal(got.Key, r.Key) || !bytes.Equal(got.Data, r.Data) {
		t.Fatalf("decoded %+v, want %+v", got, r)
	}
}

// TestFramesIgnoreReusedBufferContent checks that frames appended into a
// buffer whose spare capacity holds old bytes (as pooled group buffers do)
// are byte for byte those appended into a fresh buffer: encoding writes or
// zeroes every byte, padding and reserved fields included.
func TestFramesIgnoreReusedBufferContent(t *testing.T) {
	for id := range 8 { // ids of 8 lengths: every padding length
		r := rec(id * 1111)
		r.ID = strings.Repeat("i", id)
		want := appendCommitFrame(appendRecordFrame(nil, &r, 7), 0, 64, 7)
		dirty := bytes.Repeat([]byte{0xa5}, 2*len(want))
		got := appendCommitFrame(appendRecordFrame(dirty[:0], &r, 7), 0, 64, 7)
		if !bytes.Equal(got, want) {
			t.Fatalf("id %q: frames in a reused buffer differ:\n got %x\nwant %x", r.ID, got, want)
		}
	}
}

func TestParseFrameRejects(t *testing.T) {
	r := rec(1)
	good := appendRecordFrame(nil, &r, 1)
	mutate := func(f func(b []byte) []byte) []byte { return f(append([]byte(nil), good...)) }
	tests := []struct {
		name string
		b    []byte
		want error
	}{
		{"zero header is the end", make([]byte, 16), errFrameEnd},
		{"short zero tail is the end", make([]byte, 5), errFrameEnd},
		{"short garbage", []byte{1, 2, 3}, errFrameShort},
		{"truncated payload", good[:len(good)-9], errFrameShort},
		{"bad type", mutate(func(b []byte) []byte { b[4] = 9; return b }), errFrameType},
		{"reserved set", mutate(func(b []byte) []byte { b[6] = 1; return b }), errFrameReserved},
		{"payload bit flip", mutate(func(b []byte) []byte { b[frameHeaderSize+3] ^= 1; return b }), errFrameChecksum},
		{"crc bit flip", mutate(func(b []byte) []byte { b[9] ^= 1; return b }), errFrameChecksum},
		{"huge length", mutate(func(b []byte) []byte { b[3] = 0x7f; return b }), errFrameTooLarge},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := parseFrame(tt.b); !errors.Is(err, tt.want) {
				t.Fatalf("parseFrame = %v, want %v", err, tt.want)
			}
		})
	}
}

func TestSegmentHeaderRoundTrip(t *testing.T) {
	h := segmentHeader{seq: 3, baseIndex: 1000, createdAt: 12345}
	got, err := decodeSegmentHeader(h.encode())
	if err != nil || got != h {
		t.Fatalf("round trip = %+v, %v", got, err)
	}
	b := h.encode()
	b[30] ^= 1
	if _, err := decodeSegmentHeader(b); err == nil {
		t.Fatal("damaged header accepted")
	}
	if _, err := decodeSegmentHeader(make([]byte, segmentHeaderSize)); !errors.Is(err, errHeaderZero) {
		t.Fatalf("zero header: %v", err)
	}
}

func TestScanFindsTornGroup(t *testing.T) {
	// Two groups; the second is cut short: the scan keeps the first group.
	var buf []byte
	buf = append(buf, segmentHeader{seq: 1, baseIndex: 1}.encode()...)
	r1, r2, r3 := rec(1), rec(2), rec(3)
	g1 := len(buf)
	buf = appendRecordFrame(buf, &r1, 1)
	buf = appendCommitFrame(buf, g1, int64(g1), 1)
	end1 := len(buf)
	g2 := len(buf)
	buf = appendRecordFrame(buf, &r2, 2)
	buf = appendRecordFrame(buf, &r3, 3)
	buf = appendCommitFrame(buf, g2, int64(g2), 3)
	full := scanSegment(append(buf, make([]byte, 64)...), 1)
	if full.dirty || len(full.offsets) != 3 {
		t.Fatalf("intact segment: %+v", full)
	}
	for cut := end1; cut < len(buf); cut++ {
		data := append(append([]byte(nil), buf[:cut]...), make([]byte, len(buf)-cut+64)...)
		if bytes.Equal(data[:len(buf)], buf) {
			continue // the cut fell in the trailing zero padding: nothing was lost
		}
		res := scanSegment(data, 1)
		if len(res.offsets) != 1 || res.end != int64(end1) {
			t.Fatalf("cut at %d: kept %d records, end %d; want 1 record, end %d", cut, len(res.offsets), res.end, end1)
		}
		if cut > end1 && !res.dirty {
			t.Fatalf("cut at %d: torn group not reported as dirty", cut)
		}
		if findValidCommit(data, res.end) >= 0 {
			t.Fatalf("cut at %d: a torn group's commit was taken as valid", cut)
		}
	}
}
