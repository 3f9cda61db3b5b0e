package directio

import (
	"os"
	"unsafe"
)

// Block is the unit of direct I/O: the offsets, lengths and memory
// addresses of direct writes are multiples of it. 4096 covers the logical
// block sizes of common disks (512 and 4096 bytes).
const Block = 4096

// Aligned reports whether b starts at a multiple of Block in memory.
func Aligned(b []byte) bool {
	return uintptr(unsafe.Pointer(unsafe.SliceData(b)))%Block == 0 //nolint:gosec // G103: only the address's alignment is read
}

// Buffer returns a buffer of length n and capacity at least c that starts
// at a multiple of Block in memory, holding the first n bytes of old (nil
// for zeros).
func Buffer(old []byte, n, c int) []byte {
	raw := make([]byte, c+Block)
	off := 0
	if r := int(uintptr(unsafe.Pointer(unsafe.SliceData(raw))) % Block); r != 0 { //nolint:gosec // G103: as in Aligned
		off = Block - r
	}
	b := raw[off : off+n : off+c]
	copy(b, old)
	return b
}

// OpenWriter opens path for direct writes, or returns nil where the system
// or the file system does not support them. A file system may also accept
// the open and refuse the writes (EINVAL): callers fall back to writing
// through the page cache then too.
func OpenWriter(path string) *os.File {
	if openFlag == 0 {
		return nil
	}
	f, err := os.OpenFile(path, os.O_WRONLY|openFlag, 0)
	if err != nil {
		return nil
	}
	return f
}
