//go:build !linux

package dsync

// forceWriteThenSync does nothing where write + sync is the only path.
func forceWriteThenSync(bool) func() { return func() {} }
