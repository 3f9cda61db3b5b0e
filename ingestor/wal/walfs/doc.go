// Package walfs is the file-system seam of the write-ahead log.
//
// The WAL never calls the os package directly: it goes through FS and File so
// that tests can swap in Mem, an in-memory file system that models what a real
// disk keeps across a power cut (only what was synced), injects failed writes
// and failed syncs, and "crashes" at any byte of the unsynced write stream.
package walfs
