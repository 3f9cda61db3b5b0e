//go:build !linux

package walfs

import "os"

func datasync(f *os.File) error { return f.Sync() }

func allocate(f *os.File, size int64) error {
	st, err := f.Stat()
	if err != nil {
		return err
	}
	if st.Size() >= size {
		return nil
	}
	return f.Truncate(size)
}
