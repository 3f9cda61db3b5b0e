package ring

import (
	"fmt"
	"math"
	"math/rand/v2"
	"strconv"
	"testing"

	"github.com/cespare/xxhash/v2"
)

// Known values computed with the C++ reference implementation from the
// paper (int64 arithmetic, double division).
func TestJumpKnownValues(t *testing.T) {
	tests := []struct {
		key     uint64
		buckets int
		want    int
	}{
		{0, 1, 0},
		{0, 10, 0},
		{0, 1024, 0},
		{1, 1, 0},
		{1, 7, 6},
		{1, 666, 549},
		{2, 3, 0},
		{2, 64, 62},
		{42, 2, 1},
		{42, 57, 43},
		{256, 3, 2},
		{256, 64, 16},
		{256, 1024, 520},
		{4095, 1, 0},
		{4095, 10, 1},
		{4095, 1024, 96},
		{0xDEAD10CC, 1, 0},
		{0xDEAD10CC, 7, 5},
		{0xDEAD10CC, 666, 361},
		{math.MaxUint64, 2, 1},
		{math.MaxUint64, 57, 10},
		{1234567890123, 1, 0},
		{1234567890123, 10, 3},
		{1234567890123, 1024, 560},
	}
	for _, tt := range tests {
		if got := Jump(tt.key, tt.buckets); got != tt.want {
			t.Errorf("Jump(%d, %d) = %d, want %d", tt.key, tt.buckets, got, tt.want)
		}
	}
}

func TestJumpNonPositiveBuckets(t *testing.T) {
	for _, buckets := range []int{0, -1, -666, math.MinInt} {
		if got := Jump(0xDEAD10CC, buckets); got != -1 {
			t.Errorf("Jump(_, %d) = %d, want -1", buckets, got)
		}
	}
}

func TestJumpRange(t *testing.T) {
	for buckets := 1; buckets <= 64; buckets++ {
		for s := range uint64(Slots) {
			if got := Jump(s, buckets); got < 0 || got >= buckets {
				t.Fatalf("Jump(%d, %d) = %d, out of range", s, buckets, got)
			}
		}
	}
}

// Growing P to P+1 moves slots only to the new partition P, and about
// 1/(P+1) of them.
func TestJumpGrowMovesOnlyToNewPartition(t *testing.T) {
	for p := 1; p < 128; p++ {
		moved := 0
		for s := range uint64(Slots) {
			before, after := Jump(s, p), Jump(s, p+1)
			if before == after {
				continue
			}
			moved++
			if after != p {
				t.Fatalf("P %d→%d: slot %d moved from %d to %d, want to %d", p, p+1, s, before, after, p)
			}
		}
		checkFraction(t, fmt.Sprintf("P %d→%d", p, p+1), moved, 1/float64(p+1))
	}
}

// Shrinking P to P-1 moves only the slots of the last partition P-1.
func TestJumpShrinkMovesOnlyLastPartition(t *testing.T) {
	for p := 2; p <= 128; p++ {
		for s := range uint64(Slots) {
			before, after := Jump(s, p), Jump(s, p-1)
			if before != after && before != p-1 {
				t.Fatalf("P %d→%d: slot %d moved from %d to %d, only partition %d should move", p, p-1, s, before, after, p-1)
			}
			if before == p-1 && after == p-1 {
				t.Fatalf("P %d→%d: slot %d still on removed partition %d", p, p-1, s, p-1)
			}
		}
	}
}

// Partitions get balanced shares of the slots.
func TestJumpBalance(t *testing.T) {
	for _, p := range []int{2, 3, 5, 8, 16, 50} {
		counts := make([]int, p)
		for s := range uint64(Slots) {
			counts[Jump(s, p)]++
		}
		for i, n := range counts {
			checkFraction(t, fmt.Sprintf("P=%d partition %d", p, i), n, 1/float64(p))
		}
	}
}

// checkFraction fails if n out of Slots trials is more than 5 standard
// deviations from the binomial expectation Slots*frac.
func checkFraction(t *testing.T, what string, n int, frac float64) {
	t.Helper()
	mean := Slots * frac
	sigma := math.Sqrt(Slots * frac * (1 - frac))
	if math.Abs(float64(n)-mean) > 5*sigma {
		t.Errorf("%s: %d of %d slots, want %.0f ± %.0f", what, n, Slots, mean, 5*sigma)
	}
}

func TestSlot(t *testing.T) {
	for _, key := range []string{"", "a", "user-1", "ünïcødé", "a much longer key that spans more than thirty-two bytes"} {
		want := uint16(xxhash.Sum64String(key) % Slots)
		if got := Slot([]byte(key)); got != want {
			t.Errorf("Slot(%q) = %d, want %d", key, got, want)
		}
		if got := SlotString(key); got != want {
			t.Errorf("SlotString(%q) = %d, want %d", key, got, want)
		}
	}
}

// Sequential keys spread evenly over the slots.
func TestSlotDistribution(t *testing.T) {
	const keys = 1 << 20
	counts := make([]int, Slots)
	for i := range keys {
		counts[Slot(strconv.AppendInt(nil, int64(i), 10))]++
	}
	// Chi-square with 4095 degrees of freedom: mean 4095, sd ~90.5.
	expected := float64(keys) / Slots
	var chi2 float64
	for _, n := range counts {
		d := float64(n) - expected
		chi2 += d * d / expected
	}
	if chi2 > 4095+6*90.5 {
		t.Errorf("chi-square = %.0f, slots are not uniform", chi2)
	}
}

var (
	sinkSlot  uint16
	sinkOwner int
)

// Zero-allocation guard: routing runs on every event.
func TestRoutingDoesNotAllocate(t *testing.T) {
	key := []byte("user-123456")
	skey := "user-123456"
	r := Ring{Epoch: 3, Partitions: 7, Phase: PhaseHandoff, PreviousPartitions: 6}
	tests := map[string]func(){
		"Slot":          func() { sinkSlot = Slot(key) },
		"SlotString":    func() { sinkSlot = SlotString(skey) },
		"Owner":         func() { sinkOwner = r.Owner(1234) },
		"PreviousOwner": func() { sinkOwner = r.PreviousOwner(1234) },
		"OwnerOfKey":    func() { sinkOwner = r.OwnerOfKey(key) },
	}
	for name, f := range tests {
		if allocs := testing.AllocsPerRun(1000, f); allocs != 0 {
			t.Errorf("%s: %v allocs per run, want 0", name, allocs)
		}
	}
}

func BenchmarkSlot(b *testing.B) {
	key := []byte("user-123456")
	for b.Loop() {
		sinkSlot = Slot(key)
	}
}

func BenchmarkSlotString(b *testing.B) {
	key := "user-123456"
	for b.Loop() {
		sinkSlot = SlotString(key)
	}
}

func BenchmarkOwner(b *testing.B) {
	for _, p := range []int{1, 8, 64, 1024} {
		b.Run(fmt.Sprintf("partitions=%d", p), func(b *testing.B) {
			r := Ring{Epoch: 1, Partitions: p, Phase: PhaseStable}
			var s uint16
			for b.Loop() {
				sinkOwner = r.Owner(s)
				s = (s + 1) % Slots
			}
		})
	}
}

// BenchmarkSlotOwner is the per-event routing cost: hash a key and find its
// owner.
func BenchmarkSlotOwner(b *testing.B) {
	keys := make([][]byte, 1024)
	for i := range keys {
		keys[i] = fmt.Appendf(nil, "user-%d", rand.Uint32())
	}
	r := Ring{Epoch: 1, Partitions: 16, Phase: PhaseStable}
	i := 0
	for b.Loop() {
		sinkOwner = r.OwnerOfKey(keys[i%len(keys)])
		i++
	}
}
