package ring

import (
	"errors"
	"fmt"
	"log/slog"
)

// MaxPartitions is the largest partition count a [Ring] may have.
const MaxPartitions = 1024

// Phase is the hand-off state of a ring epoch.
type Phase string

const (
	// PhaseStable means every partition owns exactly the slots the ring
	// assigns to it.
	PhaseStable Phase = "Stable"
	// PhaseHandoff means the partition count has just changed from
	// PreviousPartitions to Partitions and the previous owners of moved
	// slots may still hold unflushed events for them.
	PhaseHandoff Phase = "Handoff"
)

// Valid reports whether p is a known phase.
func (p Phase) Valid() bool {
	return p == PhaseStable || p == PhaseHandoff
}

// Ring is one epoch of the partition layout. It is published by the operator
// as JSON (the ring.json key of the cluster's ring ConfigMap), for example
//
//	{"epoch":7,"partitions":5,"phase":"Handoff","previousPartitions":4}
//
// The zero Ring is not valid; its Owner is -1 for every slot.
type Ring struct {
	// Epoch increases by one every time the partition count changes.
	Epoch uint64 `json:"epoch"`
	// Partitions is the number of partitions, numbered 0..Partitions-1.
	Partitions int `json:"partitions"`
	// Phase is the hand-off state of this epoch.
	Phase Phase `json:"phase"`
	// PreviousPartitions is the partition count of epoch Epoch-1 while Phase
	// is PhaseHandoff, and 0 otherwise.
	PreviousPartitions int `json:"previousPartitions,omitempty"`
}

// Owner returns the partition that owns slot in this ring:
// Jump(slot, r.Partitions). It does not allocate. It returns -1 if the ring
// has no partitions. With one partition it answers 0 without Jump's float
// division: callers ask for every record of a request (~1% of the server's
// CPU at 100-event batches).
func (r Ring) Owner(slot uint16) int {
	if r.Partitions == 1 {
		return 0
	}
	return Jump(uint64(slot), r.Partitions)
}

// PreviousOwner returns the partition that owned slot in the previous epoch,
// or Owner(slot) if PreviousPartitions is 0.
func (r Ring) PreviousOwner(slot uint16) int {
	if r.PreviousPartitions == 0 {
		return r.Owner(slot)
	}
	return Jump(uint64(slot), r.PreviousPartitions)
}

// OwnerOfKey returns the partition that owns key: Owner(Slot(key)). It does
// not allocate.
func (r Ring) OwnerOfKey(key []byte) int {
	return r.Owner(Slot(key))
}

// MovedSlots returns, in increasing order, the slots whose owner under
// PreviousPartitions differs from their owner under Partitions. It returns
// nil if PreviousPartitions is 0.
func (r Ring) MovedSlots() []uint16 {
	if r.PreviousPartitions == 0 {
		return nil
	}
	var moved []uint16
	for s := range uint16(Slots) {
		if r.Owner(s) != r.PreviousOwner(s) {
			moved = append(moved, s)
		}
	}
	return moved
}

// Validate reports whether r is a usable ring: an epoch of at least 1,
// 1..MaxPartitions partitions and a known phase; in PhaseHandoff
// PreviousPartitions must be 1..MaxPartitions, in PhaseStable it must be 0.
func (r Ring) Validate() error {
	var errs []error
	if r.Epoch < 1 {
		errs = append(errs, errors.New("epoch must be at least 1"))
	}
	if r.Partitions < 1 || r.Partitions > MaxPartitions {
		errs = append(errs, fmt.Errorf("partitions must be 1..%d, got %d", MaxPartitions, r.Partitions))
	}
	switch r.Phase {
	case PhaseStable:
		if r.PreviousPartitions != 0 {
			errs = append(errs, fmt.Errorf("previousPartitions must be 0 in phase %s, got %d", r.Phase, r.PreviousPartitions))
		}
	case PhaseHandoff:
		if r.PreviousPartitions < 1 || r.PreviousPartitions > MaxPartitions {
			errs = append(errs, fmt.Errorf("previousPartitions must be 1..%d in phase %s, got %d", MaxPartitions, r.Phase, r.PreviousPartitions))
		}
	default:
		errs = append(errs, fmt.Errorf("unknown phase %q (want %q or %q)", r.Phase, PhaseStable, PhaseHandoff))
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("invalid ring: %w", err)
	}
	return nil
}

// String describes r for logs, e.g. "epoch 7: 5 partitions, Handoff from 4".
func (r Ring) String() string {
	if r.Phase == PhaseHandoff {
		return fmt.Sprintf("epoch %d: %d partitions, %s from %d", r.Epoch, r.Partitions, r.Phase, r.PreviousPartitions)
	}
	return fmt.Sprintf("epoch %d: %d partitions, %s", r.Epoch, r.Partitions, r.Phase)
}

// ErrStaleEpoch is returned when a ring older than the current one is
// offered to a [Source].
var ErrStaleEpoch = errors.New("ring epoch is older than the current epoch")

// ErrEpochConflict is returned when a ring with the current epoch but
// different contents is offered to a [Source], other than the current epoch
// moving from Handoff to Stable.
var ErrEpochConflict = errors.New("ring conflicts with the current ring of the same epoch")

// successor checks that next may replace cur and reports whether it changes
// anything. cur may be invalid (no ring yet), in which case any valid next is
// accepted.
func successor(cur, next Ring) (changed bool, err error) {
	if err := next.Validate(); err != nil {
		return false, err
	}
	if !cur.valid() {
		return true, nil
	}
	switch {
	case next == cur:
		return false, nil
	case next.Epoch > cur.Epoch:
		return true, nil
	case next.Epoch < cur.Epoch:
		return false, fmt.Errorf("%w: got %d, current %d", ErrStaleEpoch, next.Epoch, cur.Epoch)
	case cur.Phase == PhaseHandoff && next.Phase == PhaseStable && next.Partitions == cur.Partitions:
		return true, nil
	default:
		return false, fmt.Errorf("%w: got (%v), current (%v)", ErrEpochConflict, next, cur)
	}
}

// LogValue makes a Ring log as a group of its fields with log/slog.
func (r Ring) LogValue() slog.Value {
	return slog.GroupValue(
		slog.Uint64("epoch", r.Epoch),
		slog.Int("partitions", r.Partitions),
		slog.String("phase", string(r.Phase)),
		slog.Int("previousPartitions", r.PreviousPartitions),
	)
}

// valid reports whether r passes Validate.
func (r Ring) valid() bool { return r.Validate() == nil }
