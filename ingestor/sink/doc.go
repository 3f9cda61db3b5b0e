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
// The log, file and webhook sinks write one NDJSON line per record (see [AppendLine]),
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
// fsync of the directory. The sink keeps its data out of the page cache:
// it reads it back only when it recovers an active file at startup, and
// cached it would push out the WAL segments that the flusher reads. On
// Linux a batch's whole blocks go to the disk with O_DIRECT where the file
// system allows it, from the block that holds the file's end (the stream
// keeps that partial block in memory to write it again), and the rest
// through the page cache (see direct.go); the full pages a Write put in the
// page cache are dropped once synced. A consumer that reads the files soon
// after they are written (tailing the active file, say) reads them from
// disk. [ReadFiles] reads the files back.
//
// # Webhook protocol
//
// The webhook sink sends each batch as one HTTP request:
//
//	POST <sink.webhook.url>
//	Content-Type: application/x-ndjson
//	Authorization: <value of EVENTINGESTOR_SINK_WEBHOOK_AUTHORIZATION>   (only if set)
//	Eventingestor-Partition: <partition>
//	Eventingestor-Shard: <shard>
//	Eventingestor-Batch-First-Id: <id of the first record, escaped>
//	Eventingestor-Batch-Events: <number of records>
//	Idempotency-Key: <32 hex digits>
//
//	<one line per record, in order, as above>
//
// The receiver stores the batch and answers with any 2xx status. Any other
// status (redirects are not followed) or a failed request makes the shard
// retry the same batch with backoff, so the receiver must de-duplicate:
// the Idempotency-Key (128 bits of a SHA-256 over the partition, the shard
// and the ids of the records) is the same when the same batch is sent
// again; but after a restart the backlog may be cut into different
// batches, so a receiver that needs exactly-once de-duplicates by the "id"
// of each line. The batches of one (partition, shard) are sent one at a
// time, in order, though a retry may reach the receiver while an attempt
// that timed out is still being processed; batches of different shards are
// sent concurrently.
//
// In Eventingestor-Batch-First-Id, the bytes of the id outside '!'..'~',
// and '%', are percent-encoded (%XX), which url.PathUnescape reverses; a
// UUID is sent as is.
package sink
