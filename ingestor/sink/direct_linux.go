//go:build linux

package sink

import "syscall"

// oDirect is the open flag for direct I/O.
const oDirect = syscall.O_DIRECT
