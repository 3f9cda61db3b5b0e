package bench

import (
	"math"
	"math/bits"
	"sync/atomic"
	"time"
)

// histogram is a log-linear (HDR-like) histogram of non-negative durations
// in nanoseconds, safe for concurrent use: values below 2^subBits are
// counted exactly and larger ones in 2^subBits buckets per power of two,
// so that a reported percentile is within 1/2^(subBits+1) (0.4%) of the
// true value. Recording is a few instructions and one atomic add.
type histogram struct {
	counts [numBuckets]atomic.Int64
	total  atomic.Int64
	max    atomic.Int64
}

const (
	subBits    = 7
	subBuckets = 1 << subBits
	// numBuckets covers every non-negative int64: the exact range, then
	// subBuckets buckets for each exponent.
	numBuckets = (64 - subBits) * subBuckets
)

// bucketOf returns the bucket of v >= 0.
func bucketOf(v uint64) int {
	if v < subBuckets {
		return int(v)
	}
	shift := bits.Len64(v) - subBits - 1
	return (shift+1)*subBuckets + int(v>>shift) - subBuckets
}

// bucketRange returns the smallest and largest value of bucket i.
func bucketRange(i int) (lo, hi uint64) {
	if i < subBuckets {
		return uint64(i), uint64(i)
	}
	shift := i/subBuckets - 1
	mantissa := uint64(i%subBuckets + subBuckets)
	lo = mantissa << shift
	return lo, lo + (1 << shift) - 1
}

// record counts d; a negative d counts as 0.
func (h *histogram) record(d time.Duration) {
	v := max(int64(d), 0)
	h.counts[bucketOf(uint64(v))].Add(1)
	h.total.Add(1)
	for {
		m := h.max.Load()
		if v <= m || h.max.CompareAndSwap(m, v) {
			return
		}
	}
}

// count returns the number of recorded values.
func (h *histogram) count() int64 { return h.total.Load() }

// percentile returns the value at quantile q in [0, 1]: the middle of the
// bucket holding the ceil(q*count)-th smallest value, capped at the
// maximum; 0 if nothing was recorded. It must not run concurrently with
// record.
func (h *histogram) percentile(q float64) time.Duration {
	total := h.total.Load()
	if total == 0 {
		return 0
	}
	rank := max(int64(math.Ceil(q*float64(total))), 1)
	maxV := h.max.Load()
	var seen int64
	for i := range h.counts {
		seen += h.counts[i].Load()
		if seen >= rank {
			lo, hi := bucketRange(i)
			return time.Duration(min(int64(lo+(hi-lo)/2), maxV))
		}
	}
	return time.Duration(maxV)
}

// latency summarises the histogram.
func (h *histogram) latency() Latency {
	return Latency{
		Count: h.count(),
		P50:   h.percentile(0.50),
		P90:   h.percentile(0.90),
		P99:   h.percentile(0.99),
		Max:   time.Duration(h.max.Load()),
	}
}
