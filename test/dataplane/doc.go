// Package dataplane holds the data plane's end-to-end tests on loopback:
// the seed's stress test against an in-process cluster, kill -9 of a
// `serve` process under load, and backpressure with a stalled sink. Each
// asserts that every acknowledged event reached the sink, none twice where
// the sink de-duplicates, in per-key order.
package dataplane
