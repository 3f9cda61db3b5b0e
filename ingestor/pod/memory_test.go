package pod

import (
	"testing"

	"github.com/eventingestor/eventingestor/ingestor/server"
)

func TestParseCgroupLimit(t *testing.T) {
	for in, want := range map[string]int64{
		"max\n":               0,
		"268435456\n":         268435456,
		"9223372036854771712": 0, // cgroup v1 "unlimited"
		"garbage":             0,
		"0":                   0,
	} {
		if got := parseCgroupLimit(in); got != want {
			t.Errorf("parseCgroupLimit(%q) = %d, want %d", in, got, want)
		}
	}
}

func TestFitMemory(t *testing.T) {
	none := func(string) bool { return false }
	cfg := Config{Server: server.Config{MaxInflightBytes: 256 << 20, Forward: server.ForwardConfig{MaxBatchBytes: 4 << 20, MaxQueuedBytes: 64 << 20}}}
	if got := FitMemory(&cfg, 0, none); got != 0 || cfg.Server.MaxInflightBytes != 256<<20 {
		t.Fatalf("no limit changed the config: %d, %+v", got, cfg.Server)
	}
	goLimit := FitMemory(&cfg, 256<<20, none)
	if goLimit != 256<<20*85/100 {
		t.Fatalf("Go memory limit = %d", goLimit)
	}
	if cfg.Server.MaxInflightBytes != 64<<20 || cfg.Server.Forward.MaxQueuedBytes != 16<<20 {
		t.Fatalf("bounds for a 256 MiB pod: inflight %d, queued %d", cfg.Server.MaxInflightBytes, cfg.Server.Forward.MaxQueuedBytes)
	}
	user := Config{Server: server.Config{MaxInflightBytes: 200 << 20, Forward: server.ForwardConfig{MaxBatchBytes: 4 << 20, MaxQueuedBytes: 100 << 20}}}
	FitMemory(&user, 256<<20, func(string) bool { return true })
	if user.Server.MaxInflightBytes != 200<<20 || user.Server.Forward.MaxQueuedBytes != 100<<20 {
		t.Fatalf("FitMemory overrode values the user set: %+v", user.Server)
	}
	big := Config{Server: server.Config{MaxInflightBytes: 256 << 20, Forward: server.ForwardConfig{MaxBatchBytes: 4 << 20, MaxQueuedBytes: 64 << 20}}}
	FitMemory(&big, 64<<30, none)
	if big.Server.MaxInflightBytes != 256<<20 || big.Server.Forward.MaxQueuedBytes != 64<<20 {
		t.Fatalf("a large limit raised the defaults: %+v", big.Server)
	}
}

func TestOrdinalFromName(t *testing.T) {
	for name, want := range map[string]int{"seed-0": 0, "seed-files-12": 12} {
		if got, err := OrdinalFromName(name); err != nil || got != want {
			t.Errorf("OrdinalFromName(%q) = %d, %v", name, got, err)
		}
	}
	for _, bad := range []string{"seed", "seed-", "seed-x", ""} {
		if _, err := OrdinalFromName(bad); err == nil {
			t.Errorf("OrdinalFromName(%q) accepted", bad)
		}
	}
}
