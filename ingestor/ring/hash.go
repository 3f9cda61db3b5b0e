package ring

import "github.com/cespare/xxhash/v2"

// Slots is the number of hash slots. A key's slot is xxhash64(key) mod Slots;
// slots are the unit of ownership and hand-off between partitions.
const Slots = 4096

// Slot returns the slot of key: xxhash64(key) mod [Slots]. It does not
// allocate.
func Slot(key []byte) uint16 {
	return uint16(xxhash.Sum64(key) % Slots)
}

// SlotString is [Slot] for a string key. It does not allocate.
func SlotString(key string) uint16 {
	return uint16(xxhash.Sum64String(key) % Slots)
}

// jumpMultiplier is the 64-bit linear congruential generator multiplier of
// the published algorithm.
const jumpMultiplier = 2862933555777941757

// Jump is the jump consistent hash of Lamping and Veach ("A Fast, Minimal
// Memory, Consistent Hash Algorithm", 2014), exactly as published: it maps
// key to a bucket in [0, buckets).
//
// Like the reference implementation, Jump returns -1 when buckets <= 0; it
// never panics.
func Jump(key uint64, buckets int) int {
	b, j := int64(-1), int64(0)
	for j < int64(buckets) {
		b = j
		key = key*jumpMultiplier + 1
		j = int64(float64(b+1) * (float64(int64(1)<<31) / float64((key>>33)+1)))
	}
	return int(b)
}
