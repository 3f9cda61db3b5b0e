package server

import (
	"encoding/binary"
	"errors"
	"fmt"
	"slices"

	"github.com/eventingestor/eventingestor/ingestor/wal"
)

// The body of an internal forward request is a sequence of records, each:
//
//	offset  size  field
//	     0     4  length L of the rest of the record (little-endian)
//	     4     8  ring epoch
//	    12     8  receive time, unix nanoseconds
//	    20     2  slot
//	    22     2  id length I
//	    24     2  key length K
//	    26     I  id
//	  26+I     K  key
//	26+I+K     …  event JSON (the rest of the record)
const (
	recordsContentType = "application/vnd.eventingestor.records.v1"
	recordHeaderLen    = 26
)

// appendRecords encodes recs onto dst.
func appendRecords(dst []byte, recs []wal.Record) []byte {
	n := 0
	for i := range recs {
		n += recordHeaderLen + len(recs[i].ID) + len(recs[i].Key) + len(recs[i].Data)
	}
	dst = slices.Grow(dst, n) // at most one copy of dst per call
	for i := range recs {
		r := &recs[i]
		n := recordHeaderLen - 4 + len(r.ID) + len(r.Key) + len(r.Data)
		var h [recordHeaderLen]byte
		binary.LittleEndian.PutUint32(h[0:], uint32(n))
		binary.LittleEndian.PutUint64(h[4:], r.Epoch)
		binary.LittleEndian.PutUint64(h[12:], uint64(r.ReceivedAt))
		binary.LittleEndian.PutUint16(h[20:], r.Slot)
		binary.LittleEndian.PutUint16(h[22:], uint16(len(r.ID)))
		binary.LittleEndian.PutUint16(h[24:], uint16(len(r.Key)))
		dst = append(dst, h[:]...)
		dst = append(dst, r.ID...)
		dst = append(dst, r.Key...)
		dst = append(dst, r.Data...)
	}
	return dst
}

var errRecordsTruncated = errors.New("record extends past the end of the body")

// decodeRecords decodes a forward body onto dst. Keys and data alias b.
func decodeRecords(dst []wal.Record, b []byte) ([]wal.Record, error) {
	dst = slices.Grow(dst, countRecords(b)) // one allocation at most, not one per doubling
	for off := 0; off < len(b); {
		h := b[off:]
		size, idLen, keyLen, ok := recordSize(h)
		if !ok {
			return dst, fmt.Errorf("record at offset %d: %w", off, errRecordsTruncated)
		}
		p := recordHeaderLen
		dst = append(dst, wal.Record{
			Epoch:      binary.LittleEndian.Uint64(h[4:]),
			ReceivedAt: int64(binary.LittleEndian.Uint64(h[12:])),
			Slot:       binary.LittleEndian.Uint16(h[20:]),
			ID:         string(h[p : p+idLen]),
			Key:        h[p+idLen : p+idLen+keyLen : p+idLen+keyLen],
			Data:       h[p+idLen+keyLen : size : size],
		})
		off += size
	}
	return dst, nil
}

// recordSize checks the header of the record at the start of h: it returns
// the record's size, length field included, and its id and key lengths, or
// false if the record does not fit in h or its fields do not fit in it.
func recordSize(h []byte) (size, idLen, keyLen int, ok bool) {
	if len(h) < recordHeaderLen {
		return 0, 0, 0, false
	}
	n := int(binary.LittleEndian.Uint32(h[0:]))
	idLen, keyLen = int(binary.LittleEndian.Uint16(h[22:])), int(binary.LittleEndian.Uint16(h[24:]))
	if n < recordHeaderLen-4+idLen+keyLen || n > len(h)-4 {
		return 0, 0, 0, false
	}
	return 4 + n, idLen, keyLen, true
}

// countRecords counts the records of a forward body that decodeRecords
// will decode, stopping at the first bad one, so that a body costs no more
// than its valid records.
func countRecords(b []byte) int {
	n := 0
	for off := 0; ; n++ {
		size, _, _, ok := recordSize(b[off:])
		if !ok {
			return n
		}
		off += size
	}
}
