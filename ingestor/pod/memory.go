package pod

import (
	"os"
	"strconv"
	"strings"
)

// cgroupLimitFiles are where a container's memory limit is found: cgroup v2,
// then v1.
var cgroupLimitFiles = []string{
	"/sys/fs/cgroup/memory.max",
	"/sys/fs/cgroup/memory/memory.limit_in_bytes",
}

// CgroupMemoryLimit is the memory limit of this process's cgroup (a pod's
// limits.memory), or 0 if there is none.
func CgroupMemoryLimit() int64 {
	for _, name := range cgroupLimitFiles {
		b, err := os.ReadFile(name)
		if err != nil {
			continue
		}
		return parseCgroupLimit(string(b))
	}
	return 0
}

// parseCgroupLimit reads a cgroup memory limit: "max" or a huge number
// (v1's "unlimited") mean none.
func parseCgroupLimit(s string) int64 {
	s = strings.TrimSpace(s)
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n <= 0 || n >= 1<<60 {
		return 0
	}
	return n
}

// Shares of a memory limit given to the in-memory bounds.
const (
	goMemoryShare        = 85 // percent: the Go runtime's soft limit (GOMEMLIMIT)
	inflightShareDiv     = 4  // request bodies held at once
	forwardQueueShareDiv = 16 // records queued for one owner partition
)

// FitMemory adapts the pod to a memory limit (0: none). The bounds on
// request bodies in flight and on records queued per owner partition that
// the user did not set (userSet reports a flag set on the command line)
// shrink to a quarter and a sixteenth of it, and it returns the soft limit
// to give the Go runtime: 85% of the limit, so that garbage is collected
// before the kernel's OOM killer acts. Without this a partition that comes
// back after a crash, and receives its peers' queued records all at once,
// can be OOM-killed with room to spare in its heap.
func FitMemory(cfg *Config, limit int64, userSet func(flag string) bool) (goLimit int64) {
	if limit <= 0 {
		return 0
	}
	if !userSet("max-inflight-bytes") && (cfg.Server.MaxInflightBytes == 0 || cfg.Server.MaxInflightBytes > limit/inflightShareDiv) {
		cfg.Server.MaxInflightBytes = max(limit/inflightShareDiv, 1<<20)
	}
	if !userSet("forward.max-queued-bytes") {
		queued := max(limit/forwardQueueShareDiv, int64(max(cfg.Server.Forward.MaxBatchBytes, 4<<20)))
		if cfg.Server.Forward.MaxQueuedBytes == 0 || int64(cfg.Server.Forward.MaxQueuedBytes) > queued {
			cfg.Server.Forward.MaxQueuedBytes = int(queued)
		}
	}
	return limit * goMemoryShare / 100
}
