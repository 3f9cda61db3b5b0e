//go:build linux

package directio

import "syscall"

// openFlag is the open flag for direct I/O.
const openFlag = syscall.O_DIRECT
