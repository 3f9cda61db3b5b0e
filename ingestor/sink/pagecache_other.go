//go:build !linux

package sink

import "os"

// dropCached does nothing on this system; see the Linux version.
func dropCached(*os.File, int64, int64) {}
