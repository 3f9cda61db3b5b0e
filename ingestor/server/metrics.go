package server

import (
	"github.com/prometheus/client_golang/prometheus"
)

// metrics are the server's collectors.
type metrics struct {
	requests           *prometheus.CounterVec
	requestSeconds     *prometheus.HistogramVec
	eventsReceived     prometheus.Counter
	eventsAccepted     prometheus.Counter
	eventsForwarded    prometheus.Counter
	eventsAppended     prometheus.Counter
	requestEvents      prometheus.Histogram
	forwardSeconds     prometheus.Histogram
	forwardBatchEvents prometheus.Histogram
	forwardErrors      *prometheus.CounterVec
	ringRetries        prometheus.Counter
}

func newMetrics(reg prometheus.Registerer, ringEpoch func() float64) *metrics {
	m := &metrics{
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "eventingestor_http_requests_total", Help: "HTTP requests by handler and status code.",
		}, []string{"handler", "code"}),
		requestSeconds: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "eventingestor_http_request_duration_seconds", Help: "HTTP request latency by handler.",
			Buckets: prometheus.ExponentialBuckets(0.0001, 2, 18),
		}, []string{"handler"}),
		eventsReceived: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "eventingestor_events_received_total", Help: "Events in ingest requests that parsed and validated.",
		}),
		eventsAccepted: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "eventingestor_events_accepted_total", Help: "Events acknowledged to clients (202).",
		}),
		eventsForwarded: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "eventingestor_events_forwarded_total", Help: "Events forwarded to their owner partition.",
		}),
		eventsAppended: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "eventingestor_events_appended_total", Help: "Events appended to this partition's logs (own and forwarded to it).",
		}),
		requestEvents: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name: "eventingestor_request_batch_events", Help: "Events per ingest request.",
			Buckets: prometheus.ExponentialBuckets(1, 4, 8),
		}),
		forwardSeconds: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name: "eventingestor_forward_duration_seconds", Help: "Latency of forward requests to owner partitions.",
			Buckets: prometheus.ExponentialBuckets(0.0001, 2, 18),
		}),
		forwardBatchEvents: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name: "eventingestor_forward_batch_events", Help: "Events per forward request (coalesced from concurrent requests).",
			Buckets: prometheus.ExponentialBuckets(1, 4, 8),
		}),
		forwardErrors: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "eventingestor_forward_errors_total", Help: "Failed forward requests by owner partition and cause.",
		}, []string{"partition", "cause"}),
		ringRetries: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "eventingestor_ring_retries_total", Help: "Shares routed again after an owner reported a newer ring.",
		}),
	}
	if reg != nil {
		reg.MustRegister(m.requests, m.requestSeconds, m.eventsReceived, m.eventsAccepted, m.eventsForwarded,
			m.eventsAppended, m.requestEvents, m.forwardSeconds, m.forwardBatchEvents, m.forwardErrors, m.ringRetries,
			prometheus.NewGaugeFunc(prometheus.GaugeOpts{
				Name: "eventingestor_ring_epoch", Help: "Epoch of the ring this pod routes by.",
			}, ringEpoch))
	}
	return m
}
