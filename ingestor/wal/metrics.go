package wal

import "github.com/prometheus/client_golang/prometheus"

// Metrics are the log's Prometheus collectors, shared by the logs of one
// process and labelled by log name (the shard).
type Metrics struct {
	appendedRecords *prometheus.CounterVec
	appendedBytes   *prometheus.CounterVec
	groupCommits    *prometheus.CounterVec
	groupRecords    prometheus.Histogram
	syncSeconds     prometheus.Histogram
	segments        *prometheus.GaugeVec
	corruptions     *prometheus.CounterVec
	truncatedBytes  *prometheus.CounterVec
	writeErrors     *prometheus.CounterVec
}

// NewMetrics creates the collectors and registers them with reg (which may be nil).
func NewMetrics(reg prometheus.Registerer) *Metrics {
	labels := []string{"shard"}
	m := &Metrics{
		appendedRecords: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "eventingestor_wal_appended_records_total", Help: "Records appended to the write-ahead log.",
		}, labels),
		appendedBytes: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "eventingestor_wal_appended_bytes_total", Help: "Bytes of frames written to the write-ahead log.",
		}, labels),
		groupCommits: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "eventingestor_wal_group_commits_total", Help: "Group commits (one durable write each).",
		}, labels),
		groupRecords: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name: "eventingestor_wal_group_commit_records", Help: "Records per group commit.",
			Buckets: prometheus.ExponentialBuckets(1, 4, 9),
		}),
		syncSeconds: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name: "eventingestor_wal_fsync_duration_seconds", Help: "Duration of the write-ahead log's syncs: a group commit's durable write (one pwritev2 with RWF_DSYNC), or an fdatasync.",
			Buckets: prometheus.ExponentialBuckets(0.0001, 2, 14),
		}),
		segments: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "eventingestor_wal_segments", Help: "Segment files in the write-ahead log.",
		}, labels),
		corruptions: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "eventingestor_wal_corruptions_total", Help: "Corruption found in acknowledged data of the write-ahead log.",
		}, labels),
		truncatedBytes: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "eventingestor_wal_truncated_bytes_total", Help: "Bytes of torn, never-acknowledged tails removed by recovery.",
		}, labels),
		writeErrors: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "eventingestor_wal_write_errors_total", Help: "Failed writes or syncs, each of which stops the log until it is reopened.",
		}, labels),
	}
	if reg != nil {
		reg.MustRegister(m.appendedRecords, m.appendedBytes, m.groupCommits, m.groupRecords, m.syncSeconds,
			m.segments, m.corruptions, m.truncatedBytes, m.writeErrors)
	}
	return m
}
