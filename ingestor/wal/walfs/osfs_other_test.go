//go:build !linux

package walfs

import "os"

const osCreateRW = os.O_CREATE | os.O_RDWR

// forceWriteThenSync does nothing where write + sync is the only path.
func forceWriteThenSync(bool) func() { return func() {} }
