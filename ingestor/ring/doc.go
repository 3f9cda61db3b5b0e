// Package ring maps event keys to partitions and publishes the partition
// layout ("the ring") to the data plane.
//
// # Routing
//
// A key is hashed to one of [Slots] slots with xxhash64, and a slot is mapped
// to a partition with the Lamping & Veach jump consistent hash:
//
//	slot(key)       = xxhash64(key) mod 4096
//	partition(slot) = jump(slot, P)
//
// Partitions are numbered 0..P-1 like StatefulSet ordinals. Growing P to P+1
// moves about 1/(P+1) of the slots, all of them to the new partition P;
// shrinking P to P-1 moves only the slots of the last partition. The slot is
// the unit of ownership and hand-off.
//
// [Slot], [SlotString], [Ring.Owner] and [Ring.OwnerOfKey] do not allocate
// and precompute nothing, so they are safe to call on every event.
//
// # Epochs
//
// A [Ring] is identified by its epoch. The operator publishes epoch e+1 in
// phase [PhaseHandoff] (carrying the partition count of epoch e in
// PreviousPartitions) when the partition count changes, and marks the same
// epoch [PhaseStable] once the hand-off has finished. A [Source] therefore
// accepts a ring only if its epoch is newer than the current one, or if it is
// the current epoch moving from Handoff to Stable with the same partition
// count; anything else is rejected with [ErrStaleEpoch] or
// [ErrEpochConflict].
//
// # Sources
//
// A [Source] provides the current ring and a coalescing notification channel:
// [Static] holds a fixed ring (tests, the single-process dev mode) and [File]
// polls a JSON file, typically the key ring.json of the cluster's ring
// ConfigMap mounted as a volume.
package ring
