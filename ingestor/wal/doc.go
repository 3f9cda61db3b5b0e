// Package wal is the segmented write-ahead log of one shard of a partition.
//
// Every acknowledged event lives here until the sink has taken it. Appends
// from many goroutines are grouped: each group is one durable write
// (pwritev2 with RWF_DSYNC), and Append returns only once its records are
// durable (or, in the opt-in buffered mode, written to the operating
// system). A flusher reads the log from its checkpoint, hands batches to
// the sink and moves the checkpoint; segments that are wholly before the
// checkpoint are recycled (their files reused for later segments) or
// deleted.
//
// # Directory
//
//	DIR/
//	  0000000000000001.seg   segments, named by sequence number (20 digits)
//	  0000000000000002.seg   the last one is the active segment
//	  checkpoint             what the sink has taken (see below)
//	  checkpoint.tmp         transient; removed at open
//	  0000000000000007.recycled  a flushed segment's file waiting to be
//	                         reused (at most 2); removed at open
//
// # Segment file
//
// A segment is preallocated (allocated and written with zeros, so that a
// sync only flushes data) off the hot path; the zeros go around the page
// cache (O_DIRECT) where the file system allows it. Its header is written
// and synced when it becomes active; frames follow, each 8-byte aligned.
// Unused space reads as zeros, except in a recycled file (below). All
// integers are little-endian.
//
// Recycling: once the checkpoint passes a segment, its file is renamed to
// NNN.recycled instead of being deleted, and the preallocator prepares the
// next segment from it rather than zero-filling a new file: it zeroes and
// syncs the header, renames the file and syncs the directory. Its blocks
// are already written, so syncs into them are as fast as into zeroed ones,
// and the zero-filling (as many bytes again as the log itself) is saved.
// The bytes after the header are the frames of the file's previous use, and
// they stay there: every record in them has an index below the new
// segment's base, so they can never pass for this segment's records or
// commits. When the writer moves on from a segment in a recycled file, it
// first writes and syncs zeros where the next frame header would go (an end
// of frames), so that a sealed segment ends cleanly.
//
//	offset  size  segment header (64 bytes)
//	     0     8  magic "EIWALSEG"
//	     8     2  format version, 3 (1 and 2 are still read, see below)
//	    10     1  flags: bit 0 set if the file was recycled (format 2 on)
//	    11     5  reserved, zero
//	    16     8  sequence number (equals the number in the file name)
//	    24     8  base index: index of the first record in the segment
//	    32     8  creation time, unix nanoseconds
//	    40    20  reserved, zero
//	    60     4  CRC32C of bytes 0..60
//
//	offset  size  frame header (12 bytes), then the payload, then zero
//	              padding up to the next multiple of 8
//	     0     4  payload length L
//	     4     1  type: 1 record, 2 commit (0 never appears: it marks the end)
//	     5     3  reserved, zero
//	     8     4  CRC32C (Castagnoli) of header bytes 0..8 followed by the payload
//	    12     L  payload
//
//	offset  size  record payload (type 1): one event
//	     0     8  index: 1, 2, 3, … without gaps across segments
//	     8     8  ring epoch the event was accepted under
//	    16     8  receive time, unix nanoseconds
//	    24     2  slot, 0..4095
//	    26     2  id length I
//	    28     2  partition-key length K
//	    30     1  flags (format 3): bit 0 set if the event JSON holds no
//	              CR or LF byte (checked when appended), so that a
//	              line-oriented sink can copy it without looking; zero
//	              means it does, or that the writer did not check
//	    31     1  reserved, zero
//	    32     I  event id
//	  32+I     K  partition key
//	32+I+K     …  the event's JSON exactly as received (the rest of the payload)
//
//	offset  size  commit payload (type 2): closes one group commit
//	     0     8  index of the last record of the group
//	     8     8  segment offset of the group's first frame
//	    16     4  length in bytes from that offset up to this commit frame
//	    20     4  group checksum: CRC32C of the CRC fields (frame bytes 8..12)
//	              of the group's record frames, in order
//
// Each record frame's CRC covers its header and payload, so the group
// checksum covers every byte of the group that means anything, while the
// writer reads only 4 bytes per record to compute it. Format version 1
// differs only there: its group checksum is the CRC32C of all the group's
// bytes (everything from the group's offset up to the commit frame), which
// read every byte a second time. Format version 2 differs from 3 only in
// the record flags: versions 1 and 2 leave that byte zero. Segments of
// versions 1 and 2 are still read, and appended to in their version (the
// group checksum of the version; records may then carry flags, which every
// reader of those versions ignores, as none checks the reserved byte); new
// segments are written in version 3.
//
// Each group commit is written as one contiguous run of record frames ended
// by one commit frame, then synced (on Linux in the same call: pwritev2
// with RWF_DSYNC). The next group is written only after the
// previous sync returned. The write goes on with zeros to the end of the
// 4 KiB page the commit frame ends in (or the segment's end, if sooner),
// so that the kernel never reads a page from the disk to complete it; the
// next group starts right after the commit frame, over those zeros. In a
// recycled file, the old bytes in that page are zeroed with it.
//
// # Recovery
//
// Open scans every segment. A record counts only if a valid commit frame,
// whose group checksum matches, follows it. Frames of a recycled file's
// previous use are recognised by their indexes, below those the segment
// may hold: behind the last segment's last group they are zeroed like a
// torn tail (but logged as such, not counted as torn bytes; where the old
// bytes do not start at a frame boundary, the header's recycled flag
// tells them from a torn write whose first frame is whole); in a segment
// with a zero header (prepared, never used) they do not make it count as
// used; and in a sealed segment, bytes after the end of frames are
// ignored. In the last segment, the
// first invalid frame, or records with no commit after them, mark the torn
// tail of a write that was never acknowledged; the tail is zeroed and the
// log continues after the last whole group. Because groups are synced one
// after the other, a torn write can only be the last one: if any valid
// commit (every record frame of its group valid, and the group checksum
// matching) exists after an invalid frame, the damage is in data that was
// acknowledged, and Open fails with ErrCorrupt. The same holds
// for any damage in a segment that is not the last, a gap between segments'
// indexes, or a bad checkpoint. Corruption is never skipped silently: the
// shard refuses to start and the error names the file and offset. A segment
// whose header is whole but has a format version this build does not read
// (a newer build wrote it) also stops Open, with an error that says so; it
// is never taken for an unused segment and removed.
//
// A flushed segment's file is handed to the preallocator for reuse only
// once its rename to NNN.recycled is durable (after the directory sync):
// otherwise a crash could find the reused file, header zeroed, under its
// old name before the active segment.
//
// # Checkpoint
//
//	offset  size  checkpoint record (40 bytes)
//	     0     8  magic "EIWALCKP"
//	     8     2  format version, 1
//	    10     6  reserved, zero
//	    16     8  index of the last record the sink has acknowledged
//	    24     8  write time, unix nanoseconds
//	    32     4  CRC32C of bytes 0..32
//	    36     4  reserved, zero
//
//	offset  size  checkpoint file (8192 bytes)
//	     0    40  slot 0: a checkpoint record, or zeros
//	  4096    40  slot 1: a checkpoint record, or zeros
//	              (zeros elsewhere)
//
// The checkpoint is the valid slot with the higher index. A new checkpoint
// is written into the other slot in place and synced (one pwritev2 with
// RWF_DSYNC): a crash during the write can damage only that slot, and the
// one before it stands (segments are deleted only after the write has
// returned). The flusher checkpoints after every sink batch, so this is one
// call where a temporary file took two syncs, a rename and a directory
// sync. The file itself is created once, as checkpoint.tmp, synced and
// renamed, with the directory synced. A file of 40 bytes is the single-slot
// layout of earlier versions (one record, replaced by rename); it is read,
// and the next checkpoint replaces it with a two-slot file.
package wal
