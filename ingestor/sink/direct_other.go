//go:build !linux

package sink

// oDirect is 0 where the sink does not use direct I/O.
const oDirect = 0
