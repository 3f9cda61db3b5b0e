package ring_test

import (
	"fmt"

	"github.com/eventingestor/eventingestor/ingestor/ring"
)

func ExampleJump() {
	fmt.Println(ring.Jump(256, 1024))
	// Output: 520
}

func ExampleRing_OwnerOfKey() {
	r := ring.Ring{Epoch: 1, Partitions: 4, Phase: ring.PhaseStable}
	key := []byte("user-42")
	fmt.Println(ring.Slot(key) < ring.Slots, r.OwnerOfKey(key) == r.Owner(ring.Slot(key)))
	// Output: true true
}

func ExampleRing_MovedSlots() {
	// Growing from 4 to 5 partitions moves about a fifth of the slots, all
	// of them to the new partition 4.
	r := ring.Ring{Epoch: 2, Partitions: 5, Phase: ring.PhaseHandoff, PreviousPartitions: 4}
	moved := r.MovedSlots()
	toNew := 0
	for _, s := range moved {
		if r.Owner(s) == 4 {
			toNew++
		}
	}
	fmt.Println(len(moved) == toNew, len(moved) > ring.Slots/6 && len(moved) < ring.Slots/4)
	// Output: true true
}
