//go:build !linux

package directio

// openFlag is 0 where direct I/O is not used.
const openFlag = 0
