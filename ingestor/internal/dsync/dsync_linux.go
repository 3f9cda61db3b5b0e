//go:build linux

package dsync

import (
	"errors"
	"fmt"
	"os"
	"sync/atomic"

	"golang.org/x/sys/unix"
)

// noDsyncWrites is set once pwritev2 with RWF_DSYNC has been refused (Linux
// before 4.7, or a file system without it): WriteAt then writes and syncs
// with two calls.
var noDsyncWrites atomic.Bool

// Datasync flushes f's data, and the metadata needed to read it back such
// as its size, to stable storage with fdatasync(2).
func Datasync(f *os.File) error {
	rc, err := f.SyscallConn()
	if err != nil {
		return err
	}
	var serr error
	if err := rc.Control(func(fd uintptr) {
		for {
			serr = unix.Fdatasync(int(fd))
			if !errors.Is(serr, unix.EINTR) {
				return
			}
		}
	}); err != nil {
		return f.Sync() // f is closed: os.File's error says so (os.ErrClosed)
	}
	if serr != nil {
		return &os.PathError{Op: "fdatasync", Path: f.Name(), Err: serr}
	}
	return nil
}

// WriteAt writes p to f at off, or at the end of a file opened with
// os.O_APPEND when off is -1, and returns once the written range is
// durable (as if f were opened with O_DSYNC for this write only).
func WriteAt(f *os.File, p []byte, off int64) (int, error) {
	if noDsyncWrites.Load() {
		return writeThenSync(f, p, off)
	}
	rc, err := f.SyscallConn()
	if err != nil {
		return 0, err
	}
	done := 0
	var werr error
	cerr := rc.Control(func(fd uintptr) {
		for done < len(p) {
			at := off
			if off >= 0 {
				at += int64(done)
			}
			n, err := unix.Pwritev2(int(fd), [][]byte{p[done:]}, at, unix.RWF_DSYNC)
			if n > 0 {
				done += n
			}
			switch {
			case errors.Is(err, unix.EINTR):
			case err != nil:
				werr = err
				return
			case n == 0:
				werr = fmt.Errorf("pwritev2 wrote nothing at offset %d", at)
				return
			}
		}
	})
	if cerr != nil { // the function did not run: f is closed
		return writeThenSync(f, p, off) // os.File's error says so (os.ErrClosed)
	}
	if done == 0 && (errors.Is(werr, unix.ENOSYS) || errors.Is(werr, unix.EOPNOTSUPP)) {
		noDsyncWrites.Store(true)
		return writeThenSync(f, p, off)
	}
	if werr != nil {
		return done, &os.PathError{Op: "pwritev2", Path: f.Name(), Err: werr}
	}
	return done, nil
}
