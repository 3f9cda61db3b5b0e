package sink

import (
	"github.com/eventingestor/eventingestor/ingestor/internal/directio"
	"github.com/eventingestor/eventingestor/ingestor/internal/dsync"
)

// Direct appends. Writing into the page cache costs the kernel a page
// allocation and a copy for every page the sink fills, and on a VM that
// hands free memory back to its host a freshly allocated page is also a
// fault on the host: the largest part of the file sink's CPU (README.md,
// Performance). Where the file system supports it, an active file is also
// opened with O_DIRECT, and a batch's whole blocks go straight from the
// encoding buffer to the disk:
//
//	file:    |  block  |  block  | tail |                 (synced size)
//	buffer:            | tail | new lines ...................... |
//	                   '--- direct write, whole blocks ---'-rest-'
//
// The buffer starts with a copy of the file's last partial block (its
// tail), so that the direct write starts at a block boundary; the bytes
// after its last whole block are appended through the page cache, and one
// fdatasync makes both durable. A batch too small to fill a block is
// appended through the page cache only, as on systems without O_DIRECT.

// directPart returns how many leading bytes of an append buffer to write
// directly: the buffer holds t bytes already in the file (its tail, t <
// directio.Block) and then n new bytes, and starts at a block boundary of the
// file. It is the buffer's whole blocks, or 0 if they hold no new byte.
func directPart(t, n int) int {
	d := (t + n) / directio.Block * directio.Block
	if d <= t {
		return 0
	}
	return d
}

// closeDirect closes the stream's direct descriptor, if any.
func (s *stream) closeDirect() {
	if s.direct != nil {
		_ = s.direct.Close() // it has no data of its own to lose: writes are synced through s.file
		s.direct = nil
	}
}

// startBuffer returns the encoding buffer for the next batch: empty, or,
// with direct appends, holding the file's tail, in aligned memory.
func (s *stream) startBuffer() []byte {
	if s.direct == nil {
		return s.buf[:0]
	}
	t := int(s.size % directio.Block)
	if !directio.Aligned(s.buf) || cap(s.buf) < t {
		s.buf = directio.Buffer(nil, 0, max(cap(s.buf), 2*directio.Block))
	}
	return append(s.buf[:0], s.tail[:t]...)
}

// appendDirect appends buf[t:] to the active file (see the comment above):
// buf[:d] directly at the block boundary before the synced size, the rest
// through the page cache, then one fdatasync. buf is aligned in memory and
// d a multiple of directio.Block. If the direct write fails having written
// nothing (a file system that opens files for direct I/O but refuses the
// writes, say), direct appends stop for the stream and ok is false: nothing
// has changed and the caller appends through the page cache instead, which
// reports an error of the disk itself again.
func (s *stream) appendDirect(buf []byte, t, d int) (ok bool, err error) {
	start := s.size - int64(t)
	if n, err := s.direct.WriteAt(buf[:d], start); err != nil {
		if n == 0 {
			s.log.Warn("direct write to a sink file failed; this stream appends through the page cache from now on", "file", s.path, "err", err)
			s.closeDirect()
			s.noDirect = true
			return false, nil
		}
		return true, err
	}
	// s.file appends at its end, which the direct write moved to start+d.
	if _, err := s.file.Write(buf[d:]); err != nil {
		return true, err
	}
	if err := dsync.Datasync(s.file); err != nil {
		return true, err
	}
	s.directWrites++
	return true, nil
}

// keepTail keeps the file's last partial block, the end of the buffer just
// appended, for the next direct append.
func (s *stream) keepTail(buf []byte) {
	if s.direct != nil {
		t := int(s.size % directio.Block)
		copy(s.tail[:t], buf[len(buf)-t:])
	}
}
