// Package directio holds what direct I/O (O_DIRECT) needs: the block size
// that offsets, lengths and memory addresses must be multiples of, buffers
// aligned to it, and opening a file for direct writes where the system and
// the file system support them.
//
// A direct write goes from the caller's memory to the disk without a copy
// into the page cache. Here that matters more than the copy: on a VM that
// hands free memory back to its host, each page the cache takes fresh is
// also a fault on the host, and filling the page cache cost ~2 ms of CPU
// per MB (README.md, Performance).
package directio
