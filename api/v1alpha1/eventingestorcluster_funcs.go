package v1alpha1

import (
	"time"

	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
)

// Defaults of the spec. The schema holds the same values in its
// +kubebuilder:default markers (the API server applies those); these
// constants serve code that reads a spec the API server has not defaulted,
// and TestSchemaDefaultsMatchConstants keeps the two in step.
const (
	DefaultPartitions      = 3
	DefaultImagePullPolicy = "IfNotPresent"
	DefaultIDField         = "id"
	DefaultAck             = AckDurable
	DefaultMaxBacklog      = "256Mi"
	DefaultFlushInterval   = "1s"
	DefaultFlushMaxEvents  = 20000
	DefaultFlushMaxBytes   = "4Mi"
	DefaultSinkType        = SinkLog
	DefaultFileSinkDir     = "/var/lib/eventingestor/sink"
	DefaultFileMaxBytes    = "64Mi"
	DefaultFileMaxAge      = "1h"
	DefaultStorageSize     = "1Gi"
	DefaultShutdownTimeout = "30s"
	DefaultServiceType     = "ClusterIP"
	DefaultServicePort     = 8080
)

// Well-known labels of the objects an EventIngestorCluster owns.
const (
	LabelName      = "app.kubernetes.io/name"
	LabelInstance  = "app.kubernetes.io/instance"
	LabelManagedBy = "app.kubernetes.io/managed-by"
	LabelComponent = "app.kubernetes.io/component"

	// AppName is the value of LabelName.
	AppName = "eventingestor"
	// ManagedBy is the value of LabelManagedBy.
	ManagedBy = "eventingestor-operator"
	// ComponentPartition is the value of LabelComponent on partition pods.
	ComponentPartition = "partition"
)

// RingConfigMapName is the name of the ConfigMap holding the ring.
func (c *EventIngestorCluster) RingConfigMapName() string { return c.Name + "-ring" }

// HeadlessServiceName is the name of the headless Service that gives every
// partition pod its DNS name NAME-p.NAME-headless.NAMESPACE.svc.
func (c *EventIngestorCluster) HeadlessServiceName() string { return c.Name + "-headless" }

// CommonLabels are the labels of every object the cluster owns.
func (c *EventIngestorCluster) CommonLabels() map[string]string {
	return map[string]string{
		LabelName:      AppName,
		LabelInstance:  c.Name,
		LabelManagedBy: ManagedBy,
	}
}

// PodLabels are the labels of the partition pods, and the selector of the
// StatefulSet, the Services and the PodDisruptionBudget.
func (c *EventIngestorCluster) PodLabels() map[string]string {
	l := c.CommonLabels()
	l[LabelComponent] = ComponentPartition
	return l
}

// PodSelector is the label selector string of the partition pods
// (status.selector, for the scale subresource).
func (c *EventIngestorCluster) PodSelector() string {
	return labels.SelectorFromSet(c.PodLabels()).String()
}

// PartitionsOrDefault returns spec.partitions, or the default if unset.
func (s *EventIngestorClusterSpec) PartitionsOrDefault() int32 {
	if s.Partitions == 0 {
		return DefaultPartitions
	}
	return s.Partitions
}

// IDFieldOrDefault returns spec.idField or its default.
func (s *EventIngestorClusterSpec) IDFieldOrDefault() string {
	if s.IDField == "" {
		return DefaultIDField
	}
	return s.IDField
}

// ShutdownTimeoutOrDefault returns spec.shutdownTimeout or its default.
func (s *EventIngestorClusterSpec) ShutdownTimeoutOrDefault() time.Duration {
	return durationOr(s.ShutdownTimeout, DefaultShutdownTimeout)
}

// AckOrDefault returns durability.ack or its default.
func (d *DurabilitySpec) AckOrDefault() AckMode {
	if d.Ack == "" {
		return DefaultAck
	}
	return d.Ack
}

// MaxBacklogOrDefault returns durability.maxBacklog in bytes, or its
// default.
func (d *DurabilitySpec) MaxBacklogOrDefault() int64 {
	return bytesOr(d.MaxBacklog, DefaultMaxBacklog)
}

// IntervalOrDefault returns flush.interval or its default.
func (f *FlushSpec) IntervalOrDefault() time.Duration {
	return durationOr(f.Interval, DefaultFlushInterval)
}

// MaxEventsOrDefault returns flush.maxEvents or its default.
func (f *FlushSpec) MaxEventsOrDefault() int32 {
	if f.MaxEvents == 0 {
		return DefaultFlushMaxEvents
	}
	return f.MaxEvents
}

// MaxBytesOrDefault returns flush.maxBytes in bytes, or its default.
func (f *FlushSpec) MaxBytesOrDefault() int64 {
	return bytesOr(f.MaxBytes, DefaultFlushMaxBytes)
}

// TypeOrDefault returns sink.type or its default.
func (s *SinkSpec) TypeOrDefault() SinkType {
	if s.Type == "" {
		return DefaultSinkType
	}
	return s.Type
}

// DirOrDefault returns sink.file.dir or its default.
func (f *FileSinkSpec) DirOrDefault() string {
	if f == nil || f.Dir == "" {
		return DefaultFileSinkDir
	}
	return f.Dir
}

// MaxBytesOrDefault returns sink.file.maxBytes in bytes, or its default.
func (f *FileSinkSpec) MaxBytesOrDefault() int64 {
	if f == nil {
		return bytesOr(nil, DefaultFileMaxBytes)
	}
	return bytesOr(f.MaxBytes, DefaultFileMaxBytes)
}

// MaxAgeOrDefault returns sink.file.maxAge or its default.
func (f *FileSinkSpec) MaxAgeOrDefault() time.Duration {
	if f == nil {
		return durationOr(nil, DefaultFileMaxAge)
	}
	return durationOr(f.MaxAge, DefaultFileMaxAge)
}

// SizeOrDefault returns storage.size or its default.
func (s *StorageSpec) SizeOrDefault() resource.Quantity {
	if s.Size == nil {
		return resource.MustParse(DefaultStorageSize)
	}
	return *s.Size
}

// PortOrDefault returns service.port or its default.
func (s *ServiceSpec) PortOrDefault() int32 {
	if s.Port == 0 {
		return DefaultServicePort
	}
	return s.Port
}

func durationOr(d *metav1.Duration, def string) time.Duration {
	if d != nil && d.Duration > 0 {
		return d.Duration
	}
	v, err := time.ParseDuration(def)
	if err != nil {
		panic("v1alpha1: bad default duration " + def) // constants above; covered by tests
	}
	return v
}

func bytesOr(q *resource.Quantity, def string) int64 {
	if q != nil && !q.IsZero() {
		return q.Value()
	}
	d := resource.MustParse(def)
	return d.Value()
}
