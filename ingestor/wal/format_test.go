package wal

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
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
		want := appendCommitFrame(appendRecordFrame(nil, &r, 7), 0, 64, 7, segmentFormat)
		dirty := bytes.Repeat([]byte{0xa5}, 2*len(want))
		got := appendCommitFrame(appendRecordFrame(dirty[:0], &r, 7), 0, 64, 7, segmentFormat)
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
	h := segmentHeader{version: segmentFormat, seq: 3, baseIndex: 1000, createdAt: 12345}
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
	for _, v := range []uint16{segmentFormatV1, segmentFormatV2} {
		t.Run(fmt.Sprintf("v%d", v), func(t *testing.T) { testScanFindsTornGroup(t, v) })
	}
}

func testScanFindsTornGroup(t *testing.T, v uint16) {
	// Two groups; the second is cut short: the scan keeps the first group.
	var buf []byte
	buf = append(buf, segmentHeader{version: v, seq: 1, baseIndex: 1}.encode()...)
	r1, r2, r3 := rec(1), rec(2), rec(3)
	g1 := len(buf)
	buf = appendRecordFrame(buf, &r1, 1)
	buf = appendCommitFrame(buf, g1, int64(g1), 1, v)
	end1 := len(buf)
	g2 := len(buf)
	buf = appendRecordFrame(buf, &r2, 2)
	buf = appendRecordFrame(buf, &r3, 3)
	buf = appendCommitFrame(buf, g2, int64(g2), 3, v)
	full := scanSegment(append(buf, make([]byte, 64)...), v, 1)
	if full.dirty || len(full.offsets) != 3 {
		t.Fatalf("intact segment: %+v", full)
	}
	for cut := end1; cut < len(buf); cut++ {
		data := append(append([]byte(nil), buf[:cut]...), make([]byte, len(buf)-cut+64)...)
		if bytes.Equal(data[:len(buf)], buf) {
			continue // the cut fell in the trailing zero padding: nothing was lost
		}
		res := scanSegment(data, v, 1)
		if len(res.offsets) != 1 || res.end != int64(end1) {
			t.Fatalf("cut at %d: kept %d records, end %d; want 1 record, end %d", cut, len(res.offsets), res.end, end1)
		}
		if cut > end1 && !res.dirty {
			t.Fatalf("cut at %d: torn group not reported as dirty", cut)
		}
		if findValidCommit(data, res.end, uint64(len(res.offsets))+1, v) >= 0 {
			t.Fatalf("cut at %d: a torn group's commit was taken as valid", cut)
		}
	}
}

// TestScanFindsTornMiddleOfGroup tears a group inside: the commit frame
// and the frame headers reached the disk, part of a payload did not. The
// group must count as a torn write (not as committed data) in both format
// versions.
func TestScanFindsTornMiddleOfGroup(t *testing.T) {
	for _, v := range []uint16{segmentFormatV1, segmentFormatV2} {
		t.Run(fmt.Sprintf("v%d", v), func(t *testing.T) {
			buf := segmentHeader{version: v, seq: 1, baseIndex: 1}.encode()
			g := len(buf)
			r1, r2, r3 := rec(1), rec(2), rec(3)
			buf = appendRecordFrame(buf, &r1, 1)
			mid := len(buf)
			buf = appendRecordFrame(buf, &r2, 2)
			buf = appendRecordFrame(buf, &r3, 3)
			buf = appendCommitFrame(buf, g, int64(g), 3, v)
			data := append(append([]byte(nil), buf...), make([]byte, 64)...)
			clear(data[mid+frameHeaderSize+recordHeaderSize : mid+frameHeaderSize+recordHeaderSize+4])
			res := scanSegment(data, v, 1)
			if !res.dirty || len(res.offsets) != 0 || res.end != segmentHeaderSize {
				t.Fatalf("scan = %+v, want a dirty segment with no records", res)
			}
			if at := findValidCommit(data, res.end, uint64(len(res.offsets))+1, v); at >= 0 {
				t.Fatalf("the commit of a group torn inside was taken as valid (at %d)", at)
			}
			if at := findValidCommit(buf, segmentHeaderSize, 1, v); at < 0 {
				t.Fatal("the intact group's commit was not found")
			}
		})
	}
}

// TestGroupChecksumV2 checks that a version 2 group checksum is the CRC32C
// of the frames' CRC fields, so that it changes with any frame's content,
// including when a frame is replaced by another valid one.
func TestGroupChecksumV2(t *testing.T) {
	var group, crcs []byte
	for i := uint64(1); i <= 200; i++ { // more frames than one gathering buffer holds
		r := rec(int(i))
		start := len(group)
		group = appendRecordFrame(group, &r, i)
		crcs = append(crcs, group[start+8:start+12]...)
	}
	sum := groupChecksum(group, segmentFormatV2)
	if want := crc32.Checksum(crcs, castagnoli); sum != want {
		t.Fatalf("groupChecksum = %08x, want the CRC of the frame CRCs %08x", sum, want)
	}
	if v1 := groupChecksum(group, segmentFormatV1); v1 != crc32.Checksum(group, castagnoli) {
		t.Fatalf("version 1 checksum = %08x, want the CRC of the bytes", v1)
	}
	// Replace the first record by another valid frame of the same length.
	other := rec(1)
	other.Data = bytes.Clone(other.Data)
	other.Data[0] ^= 1
	replaced := appendRecordFrame(nil, &other, 1)
	changed := append(bytes.Clone(replaced), group[len(replaced):]...)
	if binary.LittleEndian.Uint32(changed) != binary.LittleEndian.Uint32(group) || !recordFrames(changed) {
		t.Fatal("test setup: the replacement is not a valid frame of the same length")
	}
	if groupChecksum(changed, segmentFormatV2) == sum {
		t.Fatal("replacing a frame by another valid one left the group checksum unchanged")
	}
}

func TestPagePad(t *testing.T) {
	for _, c := range []struct {
		end, capacity int64
		want          int
	}{
		{4096, 1 << 20, 0},
		{4000, 1 << 20, 96},
		{4097, 1 << 20, 4095},
		{64, 4096, 4032},
		{4000, 4050, 50}, // the segment ends inside the page
		{4050, 4050, 0},  // at the segment's end
		{5000, 4096, 0},  // past it (a segment grown for one large group)
		{1<<30 - 1, 1 << 30, 1},
	} {
		if got := pagePad(c.end, c.capacity); got != c.want {
			t.Errorf("pagePad(%d, %d) = %d, want %d", c.end, c.capacity, got, c.want)
		}
	}
}
