// Package dsync makes file writes durable: fdatasync(2), and writes that
// return only once their data is on stable storage (pwritev2(2) with
// RWF_DSYNC on Linux: one system call where a write and an fdatasync take
// two). Elsewhere it falls back to os.File's Sync.
//
// One call instead of two matters beyond the call saved: a goroutine that
// blocks in a system call may lose its P to the scheduler, and under load
// it then waits milliseconds to get one back, once per blocking call.
package dsync
