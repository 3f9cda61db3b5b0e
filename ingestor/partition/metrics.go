package partition

import (
	"strconv"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/eventingestor/eventingestor/ingestor/wal"
)

// metrics are the partition's collectors.
type metrics struct {
	flushedEvents  prometheus.Counter
	flushedBatches prometheus.Counter
	batchEvents    prometheus.Histogram
	sinkSeconds    prometheus.Histogram
	sinkErrors     prometheus.Counter
	restarts       *prometheus.CounterVec
	backpressure   prometheus.Counter
	wal            *wal.Metrics
}

func newMetrics(reg prometheus.Registerer, p *Partition) *metrics {
	m := &metrics{
		flushedEvents: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "eventingestor_flushed_events_total", Help: "Events the sink acknowledged.",
		}),
		flushedBatches: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "eventingestor_flushed_batches_total", Help: "Batches the sink acknowledged.",
		}),
		batchEvents: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name: "eventingestor_flush_batch_events", Help: "Events per sink batch.",
			Buckets: prometheus.ExponentialBuckets(1, 4, 9),
		}),
		sinkSeconds: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name: "eventingestor_sink_write_duration_seconds", Help: "Duration of successful sink writes.",
			Buckets: prometheus.ExponentialBuckets(0.0005, 2, 16),
		}),
		sinkErrors: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "eventingestor_sink_errors_total", Help: "Failed sink writes (each is retried).",
		}),
		restarts: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "eventingestor_shard_restarts_total", Help: "Shard restarts after a panic or an I/O error.",
		}, []string{"shard"}),
		backpressure: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "eventingestor_backpressure_rejections_total", Help: "Appends refused because a shard's backlog was full.",
		}),
		wal: wal.NewMetrics(reg),
	}
	if reg == nil {
		return m
	}
	reg.MustRegister(m.flushedEvents, m.flushedBatches, m.batchEvents, m.sinkSeconds, m.sinkErrors, m.restarts, m.backpressure)
	reg.MustRegister(
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "eventingestor_backlog_events", Help: "Events appended but not yet acknowledged by the sink.",
		}, func() float64 { return float64(p.Status().BacklogEvents) }),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "eventingestor_backlog_bytes", Help: "Bytes of log frames appended but not yet acknowledged by the sink.",
		}, func() float64 { return float64(p.Status().BacklogBytes) }),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "eventingestor_oldest_unflushed_seconds", Help: "Age of the oldest event waiting for the sink.",
		}, func() float64 { return p.Status().OldestUnflushed.Seconds() }),
	)
	return m
}

func shardLabel(i int) string { return strconv.Itoa(i) }
