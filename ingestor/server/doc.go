// Package server is a partition's HTTP API: ingest, forwarding to owner
// partitions, ring and status, health, readiness and metrics.
//
// Any pod accepts any event. POST /v1/events parses and validates the whole
// batch, splits it by owner partition under the current ring, appends its
// own share to the local partition and forwards the rest to the owners over
// pooled keep-alive connections, tagged with the ring. It answers
// 202 {"accepted":N} only when every owner has acknowledged its share as
// durable; otherwise it answers an error and nothing is acknowledged.
//
// Forwarding coalesces: shares bound for the same owner from concurrent
// requests travel in one internal request (POST /internal/v1/records) while
// earlier ones are in flight, the way group commit coalesces fsyncs. An
// owner that receives records under an older ring epoch answers 421 with its
// ring; the sender adopts a newer ring it learns this way and routes again.
// A sender that carries a newer ring teaches it to the owner.
package server
