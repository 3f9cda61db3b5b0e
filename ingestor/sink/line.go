package sink

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"time"
	"unicode/utf8"

	"github.com/eventingestor/eventingestor/ingestor/internal/jsonstr"
)

// Line is one decoded sink line, as [ParseLine] returns it.
type Line struct {
	// ID is the event id.
	ID string `json:"id"`
	// Key is the partition key.
	Key string `json:"key"`
	// Slot is the ring slot of the key.
	Slot uint16 `json:"slot"`
	// Partition is the partition that flushed the event.
	Partition int `json:"partition"`
	// Shard is the shard that flushed the event.
	Shard int `json:"shard"`
	// Epoch is the ring epoch the event was accepted under.
	Epoch uint64 `json:"epoch"`
	// ReceivedAt is when the event was received.
	ReceivedAt time.Time `json:"received_at"`
	// Event is the event's JSON.
	Event json.RawMessage `json:"event"`
}

// AppendLine appends the NDJSON line of r, flushed by the given partition
// and shard, to dst, newline included, and returns the extended buffer. It
// does not allocate when dst has room for the line. r.Data must be valid
// JSON; an empty r.Data is written as null.
func AppendLine(dst []byte, partition, shard int, r *Record) []byte {
	e := lineEncoder{partition: partition, shard: shard}
	return e.append(dst, r)
}

// lineEncoder appends the lines of the records of one batch, keeping what
// consecutive records share formatted: the partition, shard and epoch
// fields, and the receive time (the events of a request share it).
type lineEncoder struct {
	partition, shard int

	epoch    uint64
	midValid bool
	midN     int       // length of mid
	mid      [128]byte // `,"partition":P,"shard":S,"epoch":E,"received_at":"` for epoch

	tc timeCache
}

// append appends the line of r to dst.
func (e *lineEncoder) append(dst []byte, r *Record) []byte {
	if jsonstr.Plain(r.ID) && jsonstr.Plain(r.Key) { // the common case, in fewer appends
		dst = append(dst, `{"id":"`...)
		dst = append(dst, r.ID...)
		dst = append(dst, `","key":"`...)
		dst = append(dst, r.Key...)
		dst = append(dst, `","slot":`...)
	} else {
		dst = append(dst, `{"id":`...)
		dst = appendQuoted(dst, r.ID)
		dst = append(dst, `,"key":`...)
		dst = appendQuoted(dst, r.Key)
		dst = append(dst, `,"slot":`...)
	}
	dst = appendUint16(dst, r.Slot)
	if !e.midValid || r.Epoch != e.epoch {
		mid := append(e.mid[:0], `,"partition":`...) // at most 110 bytes: no allocation
		mid = strconv.AppendInt(mid, int64(e.partition), 10)
		mid = append(mid, `,"shard":`...)
		mid = strconv.AppendInt(mid, int64(e.shard), 10)
		mid = append(mid, `,"epoch":`...)
		mid = strconv.AppendUint(mid, r.Epoch, 10)
		mid = append(mid, `,"received_at":"`...)
		e.midN = len(mid)
		e.epoch, e.midValid = r.Epoch, true
	}
	dst = append(dst, e.mid[:e.midN]...)
	dst = e.tc.append(dst, r.ReceivedAt)
	dst = append(dst, `","event":`...)
	dst = appendEvent(dst, r.Data, r.OneLine)
	return append(dst, "}\n"...)
}

// timeCache formats Unix nanosecond times as time.RFC3339Nano in UTC does,
// keeping the last time formatted whole, and the date and seconds of the
// last one apart: formatting them is most of the cost, and consecutive
// records mostly share them.
type timeCache struct {
	sec    int64
	valid  bool
	n      int      // length of prefix
	prefix [48]byte // sec formatted as "2006-01-02T15:04:05"

	last      int64 // the Unix nanosecond time in full
	lastValid bool
	fullN     int      // length of full
	full      [64]byte // last formatted
}

// append appends unixNano formatted as time.RFC3339Nano in UTC (see
// format), from the whole last time formatted when it is the same.
func (c *timeCache) append(dst []byte, unixNano int64) []byte {
	if !c.lastValid || unixNano != c.last {
		c.fullN = len(c.format(c.full[:0], unixNano))
		c.last, c.lastValid = unixNano, true
	}
	return append(dst, c.full[:c.fullN]...)
}

// format appends unixNano formatted as time.RFC3339Nano in UTC: the
// fraction of a second without trailing zeros (none if zero), then "Z".
func (c *timeCache) format(dst []byte, unixNano int64) []byte {
	sec, nsec := unixNano/1e9, unixNano%1e9
	if nsec < 0 {
		sec, nsec = sec-1, nsec+1e9
	}
	if !c.valid || sec != c.sec {
		c.n = len(time.Unix(sec, 0).UTC().AppendFormat(c.prefix[:0], "2006-01-02T15:04:05"))
		c.sec, c.valid = sec, true
	}
	dst = append(dst, c.prefix[:c.n]...)
	if nsec != 0 {
		var frac [10]byte
		frac[0] = '.'
		u := uint32(nsec) // below 1e9
		frac[9] = byte('0' + u%10)
		u /= 10
		for i := 7; i >= 1; i -= 2 { // two digits per (32-bit) division
			d := u % 100
			u /= 100
			frac[i], frac[i+1] = digitPairs[2*d], digitPairs[2*d+1]
		}
		n := 10
		for frac[n-1] == '0' {
			n--
		}
		dst = append(dst, frac[:n]...)
	}
	return append(dst, 'Z')
}

// appendUint16 appends v in decimal, as strconv.AppendUint does, from
// digitPairs: slots are below 4096, and strconv's general loop was 2% of
// the server's CPU at a million events a second.
func appendUint16(dst []byte, v uint16) []byte {
	switch {
	case v < 10:
		return append(dst, byte('0'+v))
	case v < 100:
		return append(dst, digitPairs[2*v], digitPairs[2*v+1])
	case v < 1000:
		d := v / 10
		return append(dst, digitPairs[2*d], digitPairs[2*d+1], byte('0'+v%10))
	case v < 10000:
		hi, lo := v/100, v%100
		return append(dst, digitPairs[2*hi], digitPairs[2*hi+1], digitPairs[2*lo], digitPairs[2*lo+1])
	}
	return strconv.AppendUint(dst, uint64(v), 10)
}

// digitPairs holds "00" to "99".
const digitPairs = "00010203040506070809" +
	"10111213141516171819" +
	"20212223242526272829" +
	"30313233343536373839" +
	"40414243444546474849" +
	"50515253545556575859" +
	"60616263646566676869" +
	"70717273747576777879" +
	"80818283848586878889" +
	"90919293949596979899"

// ParseLine decodes one line written by [AppendLine], with or without its
// trailing newline.
func ParseLine(b []byte) (Line, error) {
	var l Line
	b = bytes.TrimSuffix(b, []byte("\n"))
	if len(b) == 0 {
		return l, errors.New("empty sink line")
	}
	if err := json.Unmarshal(b, &l); err != nil {
		return l, fmt.Errorf("while parsing a sink line: %w", err)
	}
	if l.Event == nil {
		return l, errors.New("sink line has no event")
	}
	return l, nil
}

// appendEvent appends the event JSON, replacing raw CR and LF (whitespace
// in valid JSON) by spaces so that the event stays on one line, unless
// oneLine says it holds neither. Looking for them in the copy just made
// cost more than the rest of the line together (a third of the flusher's
// CPU): its stores are still waiting for their cache lines, and the
// loads must wait with them.
func appendEvent(dst, data []byte, oneLine bool) []byte {
	if len(data) == 0 {
		return append(dst, "null"...)
	}
	if oneLine {
		return append(dst, data...)
	}
	start := len(dst)
	dst = append(dst, data...)
	replaceByte(dst[start:], '\n', ' ')
	replaceByte(dst[start:], '\r', ' ')
	return dst
}

// replaceByte replaces every from in b by to, in place.
func replaceByte(b []byte, from, to byte) {
	for {
		i := bytes.IndexByte(b, from)
		if i < 0 {
			return
		}
		b[i] = to
		b = b[i+1:]
	}
}

const hexDigits = "0123456789abcdef"

// appendQuoted appends s as a JSON string. Quote, backslash and control
// characters are escaped, invalid UTF-8 bytes become \ufffd and U+2028 and
// U+2029 are escaped as encoding/json does; '<', '>' and '&' are kept.
func appendQuoted[T string | []byte](dst []byte, s T) []byte {
	dst = append(dst, '"')
	start := 0
	for i := 0; i < len(s); {
		if c := s[i]; c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' {
				i++
				continue
			}
			dst = append(dst, s[start:i]...)
			dst = appendEscapedASCII(dst, c)
			i++
			start = i
			continue
		}
		// Convert at most utf8.UTFMax bytes so that the conversion of a
		// []byte stays on the stack (see encoding/json).
		n := min(len(s)-i, utf8.UTFMax)
		r, size := utf8.DecodeRuneInString(string(s[i : i+n]))
		switch {
		case r == utf8.RuneError && size == 1:
			dst = append(dst, s[start:i]...)
			dst = append(dst, `\ufffd`...)
		case r == '\u2028' || r == '\u2029':
			dst = append(dst, s[start:i]...)
			dst = append(dst, `\u202`...)
			dst = append(dst, hexDigits[r&0xf])
		default:
			i += size
			continue
		}
		i += size
		start = i
	}
	dst = append(dst, s[start:]...)
	return append(dst, '"')
}

// appendEscapedASCII appends the escape sequence of an ASCII byte that
// cannot appear raw in a JSON string.
func appendEscapedASCII(dst []byte, c byte) []byte {
	switch c {
	case '"', '\\':
		return append(dst, '\\', c)
	case '\n':
		return append(dst, '\\', 'n')
	case '\r':
		return append(dst, '\\', 'r')
	case '\t':
		return append(dst, '\\', 't')
	}
	return append(dst, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
}
