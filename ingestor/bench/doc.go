// Package bench is the load generator behind "eventingestor bench": the
// seed's stress test (100,000 events from 2,000 concurrent senders) and more.
//
// # Load
//
// [Run] sends [Config.Events] events (or, with [Config.Duration], as many as
// it can for that long) from [Config.Concurrency] concurrent senders to
// POST {target}/v1/events, spreading requests round-robin over the targets.
// A request carries one event as application/json or, with Batch > 1, Batch
// events as application/x-ndjson (one object per line). Only a final
// "202 {"accepted":N}" with N equal to the events sent counts as
// acknowledged. On 429, 503 and connection errors a request is sent again,
// unchanged, after the server's Retry-After (or a jittered 100ms..1s
// backoff), at most MaxAttempts times in all.
//
// # Events
//
// Every event is one of the seed's six UserEvents with a unique id
// "<run id>-<n>", n counting from 0:
//
//	{"id":"<run id>-<n>","user_id":"1","action_data":{"type":"knob","left":"5"}}
//
// With Keys = 2 an event is a uniformly random pick of the six seed events,
// user_id included ("1" for the first three, "2" for the last three). With
// any other Keys the action_data is a random pick of the six and user_id a
// random "1".."Keys". The pick is a pure function of (Seed, n), so a run is
// reproducible with --seed and the --baseline run sends exactly the same
// events. Events are rendered from pre-built templates into pooled buffers:
// the generator shares the machine with the server and must stay cheap.
//
// # Record file
//
// With [Config.Record] the run writes what was acknowledged, for
// "eventingestor verify": a header line, then one line per acknowledged
// event, in acknowledgement order (see [RecordHeader] and [RecordEntry]):
//
//	{"run_id":"1a2b3c4d","events":100000,"batch":1,"keys":2,"seed":42,"started":"2026-01-02T03:04:05.123456789Z"}
//	{"id":"1a2b3c4d-17","key":"2","sent":1767323045123456789,"acked":1767323045130000000}
//
// sent is the unix time in nanoseconds at which the request carrying the
// event was first sent (a failed attempt may already have stored it) and
// acked when its 202 arrived; for two events A and B of one key with
// acked(A) < sent(B) the server must have stored A before B. [ReadRecord]
// reads the file back.
//
// # Baseline
//
// With [Config.Baseline] the same load first runs against a bare net/http
// server in the same process ([StartBareServer]), which drains each body
// and answers 202 at once. The report then puts both runs side by side with
// the ratio of throughput and latency percentiles: what the ingestor costs
// over the HTTP stack alone on this machine.
package bench
