// Package verify checks a file sink against the record of a bench run: the
// check behind "eventingestor verify --sink-dir DIR --record FILE".
//
// The record (see [bench.RecordHeader]) lists every event the server
// acknowledged to the bench, with when the request carrying it was sent and
// when its 202 arrived. [Run] reads it and the sink's files (with
// [sink.ReadFiles]) and reports:
//
//   - lost: acknowledged events that are not in the sink. Any is a failure.
//   - duplicates: extra copies of the run's events in the sink. Delivery is
//     at-least-once, so they are reported but fail only with
//     FailOnDuplicates.
//   - reordered: per-key order violations. For acknowledged events A and B
//     of one key with acked(A) < sent(B) — A was acknowledged before B was
//     sent, so the server knew A came first — the first copy of A must come
//     before the first copy of B in the sink. Events sent concurrently carry
//     no order and are never flagged. Any violation is a failure.
//   - unrecorded: events of the run (ids "<run id>-<n>") in the sink that
//     are not in the record: sent but not acknowledged, say after a client
//     timeout. They are informational. Lines of other runs are ignored.
//
// # Sink order
//
// The sink's position of a line is (epoch, partition, shard, place in the
// stream): lines of one (partition, shard) stream are in write order, files
// sorted by name (their sequence numbers) and lines in file order; a key
// changes stream only when the ring epoch changes, so across streams the
// epoch decides. A key's events are checked in that order, keeping for each
// the smallest acked time of the events after it: an event sent after that
// is a violation.
//
// # Waiting
//
// Flushers write the sink asynchronously, after the acknowledgement, so Run
// re-reads the sink until no acknowledged event is missing or
// [Config.Wait] has passed, and then reports on the last read.
package verify
