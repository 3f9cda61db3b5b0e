package server_test

import (
	"context"
	"fmt"
	"io"
	"testing"
	"time"

	"github.com/eventingestor/eventingestor/ingestor/bench"
)

// BenchmarkIngestHTTP drives a local cluster over real HTTP with the load
// generator (client and server share the process and the CPUs), durable
// acknowledgements on. It reports events/s and the latency percentiles.
func BenchmarkIngestHTTP(b *testing.B) {
	for _, tc := range []struct{ partitions, batch, concurrency int }{
		{1, 1, 2000}, {1, 100, 200}, {3, 1, 2000}, {3, 100, 200},
	} {
		b.Run(fmt.Sprintf("partitions=%d/batch=%d", tc.partitions, tc.batch), func(b *testing.B) {
			c := startCluster(b, tc.partitions)
			b.ResetTimer()
			res, err := bench.Run(context.Background(), bench.Config{
				Targets: c.URLs(), Events: max(b.N, 2*tc.concurrency*tc.batch), Concurrency: tc.concurrency,
				Batch: tc.batch, Keys: 10000, Retry: true, MaxAttempts: 20, Timeout: time.Minute,
			}, io.Discard)
			b.StopTimer()
			if err != nil {
				b.Fatal(err)
			}
			b.ReportMetric(res.EventsPerSec, "events/s")
			b.ReportMetric(float64(res.Latency.P50.Microseconds())/1000, "p50-ms")
			b.ReportMetric(float64(res.Latency.P99.Microseconds())/1000, "p99-ms")
		})
	}
}
