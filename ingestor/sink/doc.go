// Package sink delivers flushed batches of events to where users keep them.
//
// A Sink takes a Batch and returns nil only once the batch is stored as
// durably as the destination allows. Delivery is at-least-once: after a
// crash the last unconfirmed batch is sent again, so sinks de-duplicate by
// event id where the store allows it (a database's primary key, JetStream's
// Nats-Msg-Id), which makes them effectively-once.
//
// # Line format
//
// The log and file sinks write one NDJSON line per record (see [AppendLine]),
// fields always in this order:
//
//	{"id":"<id>","key":"<key>","slot":<slot>,"partition":<p>,"shard":<s>,"epoch":<epoch>,"received_at":"<RFC3339Nano, UTC>","event":<event>}
//
// id and key are JSON strings: quote, backslash and control characters are
// escaped, invalid UTF-8 bytes become U+FFFD (as with encoding/json), and
// '<', '>' and '&' are kept as they are. event is the event's JSON as
// received, except that raw CR and LF bytes, which in valid JSON can only be
// insignificant whitespace, are replaced by spaces so that a pretty-printed
// event still fits on one line. [ParseLine] decodes a line.
//
// # File layout
//
// The file sink writes, under its directory, one stream of files per
// (partition, shard) of the batches it receives, so that shards never
// contend. A stream's files are named
//
//	p<partition %04d>-s<shard %02d>-<sequence %012d>.ndjson.open   the active file
//	p<partition %04d>-s<shard %02d>-<sequence %012d>.ndjson        a finished file
//
// Sequence numbers of a stream only grow, across restarts too, so the names
// of a stream sort in write order. A stream has at most one active file. It
// is finished (renamed without ".open", or removed if empty) when it has
// reached MaxBytes or MaxAge, checked before each batch so that a batch is
// never split across files; on Close; and after a write error, once
// truncated to its last synced batch. An active file left by a previous
// process is truncated after its last complete, valid line and finished at
// the stream's first Write; an old file is never appended to. Each Write
// returns after fdatasync of the file and, if a file was created or renamed,
// fsync of the directory. [ReadFiles] reads the files back.
package sink
