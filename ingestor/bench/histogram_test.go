package bench

import (
	"math/rand/v2"
	"sync"
	"testing"
	"time"
)

func TestBucketsCoverEveryValue(t *testing.T) {
	values := []uint64{0, 1, subBuckets - 1, subBuckets, subBuckets + 1, 1000, 123456789, 1 << 40, 1<<63 - 1}
	r := rand.New(rand.NewPCG(1, 2))
	for range 10000 {
		values = append(values, r.Uint64()>>r.IntN(64))
	}
	for _, v := range values {
		v &= 1<<63 - 1
		i := bucketOf(v)
		if i < 0 || i >= numBuckets {
			t.Fatalf("bucketOf(%d) = %d, out of range", v, i)
		}
		lo, hi := bucketRange(i)
		if v < lo || v > hi {
			t.Fatalf("value %d in bucket %d = [%d, %d]", v, i, lo, hi)
		}
		if width := hi - lo + 1; v >= subBuckets && float64(width)/float64(lo) > 1.0/subBuckets {
			t.Fatalf("bucket %d = [%d, %d] is wider than 1/%d of its values", i, lo, hi, subBuckets)
		}
	}
}

func TestPercentilesOfAUniformDistribution(t *testing.T) {
	var h histogram
	// 1µs..100ms in steps of 1µs, shuffled and recorded concurrently.
	values := rand.Perm(100000)
	var wg sync.WaitGroup
	for w := range 4 {
		wg.Go(func() {
			for _, v := range values[w*25000 : (w+1)*25000] {
				h.record(time.Duration(v+1) * time.Microsecond)
			}
		})
	}
	wg.Wait()
	l := h.latency()
	want := map[string][2]time.Duration{
		"p50": {l.P50, 50 * time.Millisecond},
		"p90": {l.P90, 90 * time.Millisecond},
		"p99": {l.P99, 99 * time.Millisecond},
	}
	for name, got := range want {
		if diff := got[0] - got[1]; diff < -got[1]/200 || diff > got[1]/200 {
			t.Errorf("%s = %s, want %s within 0.5%%", name, got[0], got[1])
		}
	}
	if l.Max != 100*time.Millisecond || l.Count != 100000 {
		t.Errorf("max = %s, count = %d, want exactly 100ms and 100000", l.Max, l.Count)
	}
}

func TestPercentilesOfSmallAndSkewedSets(t *testing.T) {
	var empty histogram
	if p := empty.percentile(0.5); p != 0 {
		t.Errorf("percentile of nothing = %s, want 0", p)
	}
	var h histogram
	for range 98 {
		h.record(10 * time.Millisecond)
	}
	h.record(time.Second)
	h.record(2 * time.Second)
	l := h.latency()
	if off(l.P50, 10*time.Millisecond) || off(l.P90, 10*time.Millisecond) || off(l.P99, time.Second) || l.Max != 2*time.Second {
		t.Errorf("latency = %+v, want p50 = p90 = 10ms, p99 = 1s, max = 2s", l)
	}
	var exact histogram
	for _, v := range []time.Duration{3, 1, 2} {
		exact.record(v)
	}
	exact.record(-5) // counts as 0
	if p := exact.percentile(0.5); p != 1 {
		t.Errorf("median of 0,1,2,3 = %d, want 1", p)
	}
}

// off reports whether got is more than 0.4% away from want.
func off(got, want time.Duration) bool {
	d := got - want
	return d < -want/250 || d > want/250
}

func BenchmarkHistogramRecord(b *testing.B) {
	var h histogram
	b.RunParallel(func(pb *testing.PB) {
		d := time.Millisecond
		for pb.Next() {
			h.record(d)
			d += 1013
		}
	})
}
