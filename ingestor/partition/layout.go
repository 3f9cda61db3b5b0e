package partition

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/eventingestor/eventingestor/ingestor/wal"
)

// The shard layout of a partition directory is recorded in layout.json.
// Keys map to shards by slot mod S, so when S changes (spec.shards, or one
// shard per CPU on a node with another CPU count) keys move between shards.
// Before the new layout takes any event, every shard log of the old one is
// flushed to the sink in full: nothing acknowledged is stranded in a shard
// that no longer exists, and a key's old events reach the sink before its
// new ones. Drained logs stay (empty, checkpointed): a shard that comes back
// continues its indexes.
const layoutName = "layout.json"

type layout struct {
	Shards int `json:"shards"`
}

// reshard drains the logs of an earlier layout if it differs from this
// one, then records this one. It blocks until done or ctx ends; the
// partition is not ready meanwhile.
func (p *Partition) reshard(ctx context.Context) error {
	old, recorded, dirs, err := p.readLayout()
	if err != nil {
		return err
	}
	if old == len(p.shards) && len(dirs) <= old {
		if recorded {
			return nil
		}
		return p.writeLayout()
	}
	if len(dirs) > 0 {
		p.log.Info("shard count changed: flushing the old shards' logs before taking events",
			"from", old, "to", len(p.shards), "logs", len(dirs))
		for _, id := range dirs {
			if err := p.drainShardLog(ctx, id); err != nil {
				return err
			}
		}
	}
	return p.writeLayout()
}

// readLayout returns the recorded shard count (or, without a record, the
// number of shard directories, or the current count for a new partition),
// whether it was recorded, and the ordinals of the shard directories.
func (p *Partition) readLayout() (shards int, recorded bool, dirs []int, _ error) {
	names, err := p.fs.ReadDir(p.cfg.Dir)
	if err != nil {
		return 0, false, nil, fmt.Errorf("while listing %s: %w", p.cfg.Dir, err)
	}
	for _, n := range names {
		if id, ok := strings.CutPrefix(n, "shard-"); ok {
			if i, err := strconv.Atoi(id); err == nil {
				dirs = append(dirs, i)
			}
		}
	}
	name := filepath.Join(p.cfg.Dir, layoutName)
	f, err := p.fs.OpenFile(name, os.O_RDONLY, 0)
	if errors.Is(err, fs.ErrNotExist) {
		if len(dirs) == 0 {
			return len(p.shards), false, nil, nil // a new partition
		}
		return len(dirs), false, dirs, nil
	}
	if err != nil {
		return 0, false, nil, fmt.Errorf("while opening %s: %w", name, err)
	}
	defer func() { _ = f.Close() }()
	b := make([]byte, 4096)
	n, err := f.ReadAt(b, 0)
	if err != nil && !errors.Is(err, io.EOF) {
		return 0, false, nil, fmt.Errorf("while reading %s: %w", name, err)
	}
	var l layout
	if err := json.Unmarshal(b[:n], &l); err != nil || l.Shards < 1 {
		return 0, false, nil, fmt.Errorf("invalid %s: %q", name, b[:n])
	}
	return l.Shards, true, dirs, nil
}

// writeLayout records the current shard count atomically.
func (p *Partition) writeLayout() error {
	b, _ := json.Marshal(layout{Shards: len(p.shards)})
	name := filepath.Join(p.cfg.Dir, layoutName)
	tmp := name + ".tmp"
	f, err := p.fs.OpenFile(tmp, os.O_CREATE|os.O_RDWR|os.O_TRUNC, 0o640)
	if err != nil {
		return fmt.Errorf("while writing %s: %w", tmp, err)
	}
	_, werr := f.WriteAt(b, 0)
	serr := f.Sync()
	cerr := f.Close()
	if err := errors.Join(werr, serr, cerr); err != nil {
		return fmt.Errorf("while writing %s: %w", tmp, err)
	}
	if err := p.fs.Rename(tmp, name); err != nil {
		return fmt.Errorf("while renaming %s: %w", tmp, err)
	}
	return p.fs.SyncDir(p.cfg.Dir)
}

// drainShardLog flushes the whole log of shard directory id to the sink.
func (p *Partition) drainShardLog(ctx context.Context, id int) error {
	s := newShard(p, id)
	cfg := p.cfg.WAL
	cfg.Dir = p.shardDir(id)
	w, err := wal.Open(cfg, wal.Options{Name: "drain-" + shardLabel(id), FS: p.fs, Logger: s.lg, Metrics: p.m.wal, Now: p.now})
	if err != nil {
		return fmt.Errorf("while opening the old log of shard %d: %w", id, err)
	}
	defer func() { _ = w.Close() }()
	events, _ := w.Backlog()
	f := newFlusher(s, w)
	f.draining = true
	if err := f.run(ctx); err != nil {
		return fmt.Errorf("while flushing the old log of shard %d: %w", id, err)
	}
	s.lg.Info("old shard log flushed", "events", events)
	return nil
}
