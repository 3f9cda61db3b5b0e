package wal

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/eventingestor/eventingestor/ingestor/wal/walfs"
)

// DumpOptions choose what Dump prints.
type DumpOptions struct {
	// Records prints one line per record; otherwise only segments are listed.
	Records bool
	// Data adds each event's JSON to its record line.
	Data bool
}

// Dump prints, without changing anything, the checkpoint and segments of
// the log in dir and, on request, its records. Damage is described where it
// is found, as Open would judge it.
func Dump(out io.Writer, fsys walfs.FS, dir string, opts DumpOptions) error {
	ckpt, err := ReadCheckpoint(fsys, dir)
	if err != nil {
		_, _ = fmt.Fprintf(out, "checkpoint: %v\n", err)
	} else {
		_, _ = fmt.Fprintf(out, "checkpoint: index %d, written %s\n", ckpt.Index, formatNanos(ckpt.WrittenAt))
	}
	names, err := fsys.ReadDir(dir)
	if err != nil {
		return fmt.Errorf("while listing %s: %w", dir, err)
	}
	var seqs []uint64
	for _, n := range names {
		if seq, ok := parseSegmentName(n); ok {
			seqs = append(seqs, seq)
		}
	}
	lastUsed, err := lastUsedSegment(fsys, dir, seqs)
	if err != nil {
		return err
	}
	next := ckpt.Index + 1 // the first index a segment may start at
	for i, seq := range seqs {
		if next, err = dumpSegment(out, fsys, dir, seq, i, lastUsed, next, opts); err != nil {
			return err
		}
	}
	return nil
}

// dumpSegment prints one segment; next is the index after the previous
// segment's records, and it returns the index after this segment's.
func dumpSegment(out io.Writer, fsys walfs.FS, dir string, seq uint64, pos, lastUsed int, next uint64, opts DumpOptions) (uint64, error) {
	name := segmentName(dir, seq)
	f, err := fsys.OpenFile(name, os.O_RDONLY, 0)
	if err != nil {
		return next, fmt.Errorf("while opening %s: %w", name, err)
	}
	defer func() { _ = f.Close() }()
	size, err := f.Size()
	if err != nil {
		return next, fmt.Errorf("while sizing %s: %w", name, err)
	}
	data := make([]byte, size)
	if _, err := f.ReadAt(data, 0); err != nil && !errors.Is(err, io.EOF) {
		return next, fmt.Errorf("while reading %s: %w", name, err)
	}
	base := filepath.Base(name)
	v := judgeSegment(data, seq, pos, lastUsed, next)
	hdr, res := v.hdr, v.res
	n := uint64(len(res.offsets))
	var status string
	switch {
	case v.state == segmentNewer:
		_, _ = fmt.Fprintf(out, "segment %s: %v; not read (open refuses the log)\n", base, v.hdrErr)
		return next, nil
	case v.state == segmentUnused:
		_, _ = fmt.Fprintf(out, "segment %s: %v; unused (would be removed at open)\n", base, v.hdrErr)
		return next, nil // the next segment starts where this one would have
	case v.state == segmentCorrupt && v.hdrErr != nil:
		_, _ = fmt.Fprintf(out, "segment %s: CORRUPT: %s\n", base, v.reason)
		return next, nil
	case v.state == segmentCorrupt:
		status = fmt.Sprintf("CORRUPT at offset %d: %s", v.at, v.reason)
	case v.state == segmentTornTail && v.old:
		status = fmt.Sprintf("clean, then frames of the recycled file's previous use from offset %d (%d bytes would be zeroed at open)", res.end, lastNonZero(data[res.end:]))
	case v.state == segmentTornTail:
		status = fmt.Sprintf("torn tail at offset %d: %s (%d bytes would be zeroed at open)", res.at, res.why, lastNonZero(data[res.end:]))
	case v.old:
		status = "clean (then bytes of the recycled file's previous use)"
	default:
		status = "clean"
	}
	_, _ = fmt.Fprintf(out, "segment %s: format %d, seq %d, records %d..%d (%d), used %d of %d bytes, created %s, %s\n",
		base, hdr.version, hdr.seq, hdr.baseIndex, hdr.baseIndex+n-1, n, res.end, size, formatNanos(hdr.createdAt), status)
	next = hdr.baseIndex + n
	if !opts.Records {
		return next, nil
	}
	for _, off := range res.offsets {
		fr, err := parseFrame(data[off:])
		if err != nil {
			return next, fmt.Errorf("while re-reading frame at %d of %s: %w", off, name, err)
		}
		r, err := decodeRecord(fr.payload)
		if err != nil {
			return next, fmt.Errorf("while decoding record at %d of %s: %w", off, name, err)
		}
		_, _ = fmt.Fprintf(out, "  #%d epoch=%d slot=%d key=%s id=%s received=%s bytes=%d",
			r.Index, r.Epoch, r.Slot, strconv.Quote(string(r.Key)), strconv.Quote(r.ID), formatNanos(r.ReceivedAt), len(r.Data))
		if opts.Data {
			_, _ = fmt.Fprintf(out, " %s", r.Data)
		}
		_, _ = fmt.Fprintln(out)
	}
	return next, nil
}

func formatNanos(ns int64) string {
	return time.Unix(0, ns).UTC().Format(time.RFC3339Nano)
}

// DumpTree dumps dir if it holds a log, or else every shard-NN log under it
// (a partition's data directory).
func DumpTree(out io.Writer, fsys walfs.FS, dir string, opts DumpOptions) error {
	names, err := fsys.ReadDir(dir)
	if err != nil {
		return fmt.Errorf("while listing %s: %w", dir, err)
	}
	var shards []string
	for _, n := range names {
		if strings.HasPrefix(n, "shard-") {
			shards = append(shards, filepath.Join(dir, n))
		}
	}
	if len(shards) == 0 {
		return Dump(out, fsys, dir, opts)
	}
	for _, s := range shards {
		_, _ = fmt.Fprintf(out, "== %s\n", s)
		if err := Dump(out, fsys, s, opts); err != nil {
			return err
		}
	}
	return nil
}
