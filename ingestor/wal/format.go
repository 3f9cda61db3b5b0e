package wal

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
)

// On-disk constants; see the package documentation for the layout.
const (
	segmentMagic    = "EIWALSEG"
	checkpointMagic = "EIWALCKP"
	// segmentFormat is the format version of the segments this package
	// writes; it reads segmentFormatV1 and V2 too, and keeps writing a
	// segment in the version it was created with.
	segmentFormat = segmentFormatV3
	// segmentFormatV1: a commit frame's CRC covers the group's bytes.
	segmentFormatV1 = 1
	// segmentFormatV2: a commit frame's CRC covers the group's record frame
	// CRCs, each of which covers its frame.
	segmentFormatV2 = 2
	// segmentFormatV3: as V2, and byte 30 of a record payload holds flags
	// (recordFlagOneLine). V1 and V2 writers left it zero and no reader
	// checks it, so a V1 or V2 segment that this build goes on appending to
	// (in its own version) may hold flags too, and stays readable by every
	// build that reads its version.
	segmentFormatV3   = 3
	checkpointVersion = 1
	segmentHeaderSize = 64
	frameHeaderSize   = 12
	recordHeaderSize  = 32
	commitPayloadSize = 24
	checkpointSize    = 40
	frameAlign        = 8

	// recordFlagOneLine, in a record's flags: its event JSON holds no CR or
	// LF byte (Enqueue checks), so a line-oriented sink can copy it as it is.
	recordFlagOneLine = 1

	frameTypeRecord = 1
	frameTypeCommit = 2

	// maxFrameLen bounds a payload length read from disk, so that a damaged
	// length cannot make recovery allocate or skip gigabytes.
	maxFrameLen = 1 << 30
	// maxFieldLen bounds the id and the partition key (their lengths are u16).
	maxFieldLen = 1<<16 - 1
	// numSlots is the number of ring slots; a record's slot is below it.
	numSlots = 4096
)

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// Record is one event in the log.
type Record struct {
	// Index is the record's position in the log, assigned by Append.
	Index uint64
	// Epoch is the ring epoch the event was accepted under.
	Epoch uint64
	// ReceivedAt is when the event was received, in unix nanoseconds.
	ReceivedAt int64
	// Slot is the ring slot of the event's key.
	Slot uint16
	// ID is the event id.
	ID string
	// Key is the event's partition key.
	Key []byte
	// Data is the event's JSON exactly as received.
	Data []byte
	// OneLine reports, for a record read from the log, that Data holds no
	// CR or LF byte; false means it does, or that the log does not know
	// (records written before segment format 3). Append and Enqueue ignore
	// the value given and set it themselves from Data.
	OneLine bool
}

// oneLine reports whether data holds no CR or LF byte.
func oneLine(data []byte) bool {
	return bytes.IndexByte(data, '\n') < 0 && bytes.IndexByte(data, '\r') < 0
}

// validate checks that r can be framed.
func (r *Record) validate() error {
	switch {
	case len(r.ID) > maxFieldLen:
		return fmt.Errorf("event id is %d bytes, the limit is %d", len(r.ID), maxFieldLen)
	case len(r.Key) > maxFieldLen:
		return fmt.Errorf("partition key is %d bytes, the limit is %d", len(r.Key), maxFieldLen)
	case r.Slot >= numSlots:
		return fmt.Errorf("slot %d is out of range 0..%d", r.Slot, numSlots-1)
	}
	return nil
}

// payloadLen is the record payload's length.
func (r *Record) payloadLen() int { return recordHeaderSize + len(r.ID) + len(r.Key) + len(r.Data) }

// frameLen is the length of a frame holding a payload of n bytes, padding included.
func frameLen(n int) int { return align(frameHeaderSize + n) }

func align(n int) int { return (n + frameAlign - 1) &^ (frameAlign - 1) }

// appendRecordFrame appends r, with the given index, as a frame to buf.
func appendRecordFrame(buf []byte, r *Record, index uint64) []byte {
	start := len(buf)
	n := r.payloadLen()
	buf = extend(buf, frameLen(n))
	f := buf[start:]
	clearReserved(f, n)
	binary.LittleEndian.PutUint32(f[0:], uint32(n)) // bounded by validate and MaxRecordBytes
	f[4] = frameTypeRecord
	p := f[frameHeaderSize:]
	p[30], p[31] = 0, 0 // flags, reserved
	if r.OneLine {
		p[30] = recordFlagOneLine
	}
	binary.LittleEndian.PutUint64(p[0:], index)
	binary.LittleEndian.PutUint64(p[8:], r.Epoch)
	binary.LittleEndian.PutUint64(p[16:], uint64(r.ReceivedAt)) // two's complement round-trips
	binary.LittleEndian.PutUint16(p[24:], r.Slot)
	binary.LittleEndian.PutUint16(p[26:], uint16(len(r.ID)))  // checked by validate
	binary.LittleEndian.PutUint16(p[28:], uint16(len(r.Key))) // checked by validate
	o := recordHeaderSize
	o += copy(p[o:], r.ID)
	o += copy(p[o:], r.Key)
	copy(p[o:], r.Data)
	sealFrame(f, n)
	return buf
}

// appendCommitFrame appends a commit frame for the group of record frames
// buf[groupStart:], which starts at segment offset segOffset, in a segment
// of the given format version.
func appendCommitFrame(buf []byte, groupStart int, segOffset int64, lastIndex uint64, version uint16) []byte {
	return appendCommitFrameSum(buf, groupStart, segOffset, lastIndex, groupChecksum(buf[groupStart:], version))
}

// appendCommitFrameSum is appendCommitFrame with the group checksum given:
// the writer has it from the frame CRCs it gathered while the frames were
// encoded (groupChecksumOfCRCs), rather than by walking a group that may
// no longer be in the CPU's cache.
func appendCommitFrameSum(buf []byte, groupStart int, segOffset int64, lastIndex uint64, sum uint32) []byte {
	groupLen := len(buf) - groupStart
	start := len(buf)
	buf = extend(buf, frameLen(commitPayloadSize))
	f := buf[start:]
	clearReserved(f, commitPayloadSize)
	binary.LittleEndian.PutUint32(f[0:], commitPayloadSize)
	f[4] = frameTypeCommit
	p := f[frameHeaderSize:]
	binary.LittleEndian.PutUint64(p[0:], lastIndex)
	binary.LittleEndian.PutUint64(p[8:], uint64(segOffset)) // offsets are non-negative
	binary.LittleEndian.PutUint32(p[16:], uint32(groupLen)) // a group is far below 4 GiB
	binary.LittleEndian.PutUint32(p[20:], sum)
	sealFrame(f, commitPayloadSize)
	return buf
}

// groupChecksum is the checksum a commit frame holds for group, a run of
// whole record frames, in a segment of the given format version: in
// version 2 the CRC32C of the frames' CRC fields in order, in version 1 the
// CRC32C of all of group's bytes. Version 2 protects the group as well
// (each frame's CRC covers its header and payload), but reads 4 bytes per
// frame instead of every byte a second time.
//
// The frame lengths in group must have been checked (or written by this
// package): they are followed without bounds checks beyond the slice's.
func groupChecksum(group []byte, version uint16) uint32 {
	if version == segmentFormatV1 {
		return crc32.Checksum(group, castagnoli)
	}
	var sums [512]byte // frame CRCs, gathered to be checksummed in few calls
	var sum uint32
	n := 0
	for off := 0; off < len(group); {
		if n == len(sums) {
			sum = crc32.Update(sum, castagnoli, sums[:n])
			n = 0
		}
		n += copy(sums[n:n+4], frameCRC(group[off:]))
		off += frameLen(int(binary.LittleEndian.Uint32(group[off:])))
	}
	return crc32.Update(sum, castagnoli, sums[:n])
}

// groupChecksumOfCRCs is the version 2 group checksum of the record frames
// whose CRC fields, in order, are crcs: the same value groupChecksum
// computes from the frames themselves.
func groupChecksumOfCRCs(crcs []byte) uint32 { return crc32.Checksum(crcs, castagnoli) }

// frameCRC returns the CRC field of the frame at the start of f.
func frameCRC(f []byte) []byte { return f[8:12] }

// extend extends buf by n bytes of unspecified content.
func extend(buf []byte, n int) []byte {
	if cap(buf)-len(buf) < n {
		nb := make([]byte, len(buf), 2*cap(buf)+n)
		copy(nb, buf)
		buf = nb
	}
	return buf[:len(buf)+n]
}

// clearReserved zeroes the reserved bytes of the frame header at f and the
// padding after its payload of n bytes: the bytes that encoding does not
// write.
func clearReserved(f []byte, n int) {
	f[5], f[6], f[7] = 0, 0, 0
	clear(f[frameHeaderSize+n : frameLen(n)])
}

// sealFrame writes the CRC of a frame whose header and payload are in place.
func sealFrame(f []byte, payloadLen int) {
	sum := crc32.Update(crc32.Checksum(f[0:8], castagnoli), castagnoli, f[frameHeaderSize:frameHeaderSize+payloadLen])
	binary.LittleEndian.PutUint32(f[8:], sum)
}

// frame is a decoded frame header.
type frame struct {
	typ     byte
	payload []byte
	size    int // bytes the frame occupies, padding included
}

// errors of parseFrame; they describe why bytes are not a frame.
var (
	errFrameEnd       = errors.New("end of frames (zero header)")
	errFrameShort     = errors.New("frame extends past the end of the data")
	errFrameType      = errors.New("unknown frame type")
	errFrameReserved  = errors.New("reserved bytes are not zero")
	errFrameChecksum  = errors.New("frame checksum mismatch")
	errFrameTooLarge  = errors.New("frame length is implausibly large")
	errRecordTooShort = errors.New("record payload is shorter than its header")
	errCommitSize     = errors.New("commit payload has the wrong size")
)

// parseFrame decodes the frame at the start of b.
func parseFrame(b []byte) (frame, error) {
	if len(b) < frameHeaderSize {
		if allZero(b) {
			return frame{}, errFrameEnd
		}
		return frame{}, errFrameShort
	}
	n := binary.LittleEndian.Uint32(b[0:])
	typ := b[4]
	if n == 0 && typ == 0 && allZero(b[:frameHeaderSize]) {
		return frame{}, errFrameEnd
	}
	if typ != frameTypeRecord && typ != frameTypeCommit {
		return frame{}, errFrameType
	}
	if b[5] != 0 || b[6] != 0 || b[7] != 0 {
		return frame{}, errFrameReserved
	}
	if n > maxFrameLen {
		return frame{}, errFrameTooLarge
	}
	size := frameLen(int(n))
	if size > len(b) {
		return frame{}, errFrameShort
	}
	payload := b[frameHeaderSize : frameHeaderSize+int(n)]
	want := binary.LittleEndian.Uint32(b[8:])
	if crc32.Update(crc32.Checksum(b[0:8], castagnoli), castagnoli, payload) != want {
		return frame{}, errFrameChecksum
	}
	switch {
	case typ == frameTypeRecord && n < recordHeaderSize:
		return frame{}, errRecordTooShort
	case typ == frameTypeCommit && n != commitPayloadSize:
		return frame{}, errCommitSize
	}
	return frame{typ: typ, payload: payload, size: size}, nil
}

// recordIndex is the index of a record payload.
func recordIndex(p []byte) uint64 { return binary.LittleEndian.Uint64(p[0:]) }

// decodeRecord decodes a record payload; ID is copied, Key and Data alias p.
func decodeRecord(p []byte) (Record, error) {
	var r Record
	id, err := decodeRecordInto(&r, p)
	r.ID = string(id)
	return r, err
}

// decodeRecordInto is decodeRecord into *r, every field of which it sets,
// leaving ID empty and returning the id's bytes, within p, instead: a
// caller decoding many records can make one string of all their ids. It
// writes the fields in place: returning a Record by value costs a copy of
// it, which was a fifth of Reader.Next's time.
func decodeRecordInto(r *Record, p []byte) (id []byte, err error) {
	if len(p) < recordHeaderSize {
		return nil, errRecordTooShort
	}
	idLen := int(binary.LittleEndian.Uint16(p[26:]))
	keyLen := int(binary.LittleEndian.Uint16(p[28:]))
	if recordHeaderSize+idLen+keyLen > len(p) {
		return nil, fmt.Errorf("record fields (id %d, key %d bytes) exceed its payload of %d bytes", idLen, keyLen, len(p))
	}
	o := recordHeaderSize
	r.Index = binary.LittleEndian.Uint64(p[0:])
	r.Epoch = binary.LittleEndian.Uint64(p[8:])
	r.ReceivedAt = int64(binary.LittleEndian.Uint64(p[16:])) // two's complement round-trips
	r.Slot = binary.LittleEndian.Uint16(p[24:])
	r.OneLine = p[30]&recordFlagOneLine != 0
	r.ID = ""
	r.Key = p[o+idLen : o+idLen+keyLen]
	r.Data = p[o+idLen+keyLen:]
	return p[o : o+idLen], nil
}

// commit is a decoded commit payload.
type commit struct {
	lastIndex uint64
	groupOff  int64
	groupLen  int
	groupCRC  uint32
}

func decodeCommit(p []byte) commit {
	return commit{
		lastIndex: binary.LittleEndian.Uint64(p[0:]),
		groupOff:  int64(binary.LittleEndian.Uint64(p[8:])), // validated by the caller
		groupLen:  int(binary.LittleEndian.Uint32(p[16:])),
		groupCRC:  binary.LittleEndian.Uint32(p[20:]),
	}
}

// segmentHeader is the decoded header of a segment file.
type segmentHeader struct {
	version   uint16 // segmentFormatV1, V2 or V3
	reused    bool   // the file was recycled: not zero after its frames (format 2)
	seq       uint64
	baseIndex uint64
	createdAt int64
}

func (h segmentHeader) encode() []byte {
	b := make([]byte, segmentHeaderSize)
	copy(b, segmentMagic)
	binary.LittleEndian.PutUint16(b[8:], h.version)
	if h.reused {
		b[10] = headerFlagReused
	}
	binary.LittleEndian.PutUint64(b[16:], h.seq)
	binary.LittleEndian.PutUint64(b[24:], h.baseIndex)
	binary.LittleEndian.PutUint64(b[32:], uint64(h.createdAt)) // two's complement round-trips
	binary.LittleEndian.PutUint32(b[60:], crc32.Checksum(b[:60], castagnoli))
	return b
}

// headerFlagReused, in the flags byte of a segment header (format 2 and later), marks
// a segment in a recycled file.
const headerFlagReused = 1

var errHeaderZero = errors.New("segment header is all zeros (preallocated, never used)")

// errSegmentVersion is a whole segment header (magic and checksum hold)
// with a format version this build does not read: a newer build wrote it.
// The segment is in use, not damaged, and must be neither scanned nor
// removed.
var errSegmentVersion = errors.New("unsupported segment format version")

func decodeSegmentHeader(b []byte) (segmentHeader, error) {
	if len(b) < segmentHeaderSize {
		return segmentHeader{}, fmt.Errorf("segment header is %d bytes, want %d", len(b), segmentHeaderSize)
	}
	b = b[:segmentHeaderSize]
	if allZero(b) {
		return segmentHeader{}, errHeaderZero
	}
	if string(b[:8]) != segmentMagic {
		return segmentHeader{}, fmt.Errorf("bad segment magic %q", b[:8])
	}
	if crc32.Checksum(b[:60], castagnoli) != binary.LittleEndian.Uint32(b[60:]) {
		return segmentHeader{}, errors.New("segment header checksum mismatch")
	}
	v := binary.LittleEndian.Uint16(b[8:])
	if v < segmentFormatV1 || v > segmentFormatV3 {
		return segmentHeader{}, fmt.Errorf("%w %d (this build reads versions %d to %d; a newer eventingestor wrote it)", errSegmentVersion, v, segmentFormatV1, segmentFormatV3)
	}
	return segmentHeader{
		version:   v,
		reused:    v >= segmentFormatV2 && b[10]&headerFlagReused != 0,
		seq:       binary.LittleEndian.Uint64(b[16:]),
		baseIndex: binary.LittleEndian.Uint64(b[24:]),
		createdAt: int64(binary.LittleEndian.Uint64(b[32:])), // two's complement round-trips
	}, nil
}

func allZero(b []byte) bool {
	for _, c := range b {
		if c != 0 {
			return false
		}
	}
	return true
}
