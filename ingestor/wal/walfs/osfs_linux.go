//go:build linux

package walfs

import (
	"errors"
	"fmt"
	"os"
	"sync/atomic"

	"golang.org/x/sys/unix"
)

// noDsyncWrites is set once pwritev2(2) with RWF_DSYNC turned out not to be
// supported (Linux before 4.7, or a file system without it): writeAtSync
// then writes and syncs with two calls.
var noDsyncWrites atomic.Bool

// writeAtSync writes p at off with pwritev2(2) and RWF_DSYNC, which returns
// once the written range is durable (as if the file were opened with
// O_DSYNC for this write only): one system call where a write and an
// fdatasync take two. Besides the call saved, a goroutine that blocks in a
// system call may lose its P to the scheduler and wait to get one back
// after it returns; that happens once per group commit instead of twice.
func writeAtSync(f *os.File, p []byte, off int64) (int, error) {
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
			n, err := unix.Pwritev2(int(fd), [][]byte{p[done:]}, off+int64(done), unix.RWF_DSYNC)
			if n > 0 {
				done += n
			}
			switch {
			case errors.Is(err, unix.EINTR):
			case err != nil:
				werr = err
				return
			case n == 0:
				werr = fmt.Errorf("pwritev2 wrote nothing at offset %d", off+int64(done))
				return
			}
		}
	})
	if cerr != nil {
		return done, cerr
	}
	if done == 0 && (errors.Is(werr, unix.ENOSYS) || errors.Is(werr, unix.EOPNOTSUPP)) {
		noDsyncWrites.Store(true)
		return writeThenSync(f, p, off)
	}
	return done, werr
}

func writeThenSync(f *os.File, p []byte, off int64) (int, error) {
	n, err := f.WriteAt(p, off)
	if err != nil {
		return n, err
	}
	return n, datasync(f)
}

func datasync(f *os.File) error {
	for {
		err := unix.Fdatasync(int(f.Fd()))
		if !errors.Is(err, unix.EINTR) {
			return err
		}
	}
}

// allocate reserves blocks with fallocate(2) and falls back to extending the
// file where the file system does not support it.
func allocate(f *os.File, size int64) error {
	err := unix.Fallocate(int(f.Fd()), 0, 0, size)
	if errors.Is(err, unix.EOPNOTSUPP) || errors.Is(err, unix.ENOSYS) {
		return f.Truncate(size)
	}
	return err
}
