// Package partition runs one partition of the ring inside a pod: the seed's
// two PartitionSupervisors, as goroutines.
//
// A partition is split into S shards by the event's ring slot (slot mod S),
// so one key always lands in one shard and keeps its order. Each shard owns
// a write-ahead log, whose writer goroutine is the shard's ingestor, and a
// flusher goroutine that reads the log from its checkpoint, hands batches to
// the sink, and moves the checkpoint once the sink has acknowledged them.
//
// A supervisor restarts a shard (reopening its log, which recovers it, and
// its flusher) after a panic or an I/O error, with capped exponential
// backoff; a shard that keeps failing makes the partition unhealthy, so that
// Kubernetes, the outer supervisor, restarts the pod.
//
// Backpressure: when a shard's unflushed backlog passes its share of
// MaxBacklogBytes, Append fails fast with a *BackpressureError carrying a
// retry-after hint, so memory and disk stay bounded whatever the load.
//
// Stop is graceful: no new appends, in-flight ones finish, flushers drain
// what the deadline allows, and the rest stays in the logs for the next start.
package partition
