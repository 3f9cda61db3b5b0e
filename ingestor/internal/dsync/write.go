package dsync

import "os"

// writeThenSync is WriteAt with two calls: a write, then Datasync.
func writeThenSync(f *os.File, p []byte, off int64) (int, error) {
	var n int
	var err error
	if off < 0 {
		n, err = f.Write(p)
	} else {
		n, err = f.WriteAt(p, off)
	}
	if err != nil {
		return n, err
	}
	return n, Datasync(f)
}
