package v1alpha1

import (
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// EventIngestorClusterSpec is the desired state of an EventIngestor cluster:
// a ring of partitions, one pod (StatefulSet ordinal) per partition, each
// with its own volume, delivering to one sink.
//
// Defaults live in the schema (the API server fills them in); the Go
// constants of the same values are in eventingestorcluster_funcs.go and a test
// keeps both in step.
// +kubebuilder:validation:XValidation:rule="!has(self.durability.maxBacklog) || !has(self.storage.size) || 2.0 * quantity(string(self.durability.maxBacklog)).asApproximateFloat() <= quantity(string(self.storage.size)).asApproximateFloat()",message="durability.maxBacklog must be at most half of storage.size: each partition's volume holds the unflushed backlog, preallocated WAL segments and, with the file sink, its files"
type EventIngestorClusterSpec struct {
	// Partitions is the number of partitions of the ring, which is also the
	// number of pods. Changing it publishes a new ring epoch. The scale
	// subresource maps to it: kubectl scale eic/NAME --replicas=N.
	// +kubebuilder:validation:Minimum=1
	// +kubebuilder:validation:Maximum=1024
	// +kubebuilder:default=3
	// +optional
	Partitions int32 `json:"partitions"`

	// Image is the eventingestor image the pods run. Default: the image of
	// the operator itself (its --default-image flag).
	// +kubebuilder:validation:MaxLength=512
	// +optional
	Image string `json:"image,omitempty"`

	// ImagePullPolicy of the pods' container.
	// +kubebuilder:validation:Enum=Always;Never;IfNotPresent
	// +kubebuilder:default=IfNotPresent
	// +optional
	ImagePullPolicy corev1.PullPolicy `json:"imagePullPolicy,omitempty"`

	// ImagePullSecrets of the pods.
	// +listType=map
	// +listMapKey=name
	// +optional
	ImagePullSecrets []corev1.LocalObjectReference `json:"imagePullSecrets,omitempty"`

	// PartitionKey is the JSON field of an event whose value picks its
	// partition (and shard): events with the same key keep their order.
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=256
	PartitionKey string `json:"partitionKey"`

	// IDField is the JSON field that identifies an event for
	// de-duplication; an event without it gets a UUIDv7.
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=256
	// +kubebuilder:default=id
	// +optional
	IDField string `json:"idField,omitempty"`

	// Shards is the number of shards (ingestor and flusher goroutines, each
	// with its own WAL) per partition; 0 means one per CPU of the pod.
	// +kubebuilder:validation:Minimum=0
	// +kubebuilder:validation:Maximum=64
	// +optional
	Shards int32 `json:"shards,omitempty"`

	// Durability says when an event is acknowledged and how much unflushed
	// data a partition may hold.
	// +kubebuilder:default={}
	// +optional
	Durability DurabilitySpec `json:"durability,omitempty"`

	// Flush says when a shard sends a batch to the sink.
	// +kubebuilder:default={}
	// +optional
	Flush FlushSpec `json:"flush,omitempty"`

	// Sink is where flushed events are delivered.
	// +kubebuilder:default={}
	// +optional
	Sink SinkSpec `json:"sink,omitempty"`

	// Storage is the persistent volume of each partition (its WAL).
	// +kubebuilder:default={}
	// +optional
	Storage StorageSpec `json:"storage,omitempty"`

	// Resources of the eventingestor container.
	// +optional
	Resources corev1.ResourceRequirements `json:"resources,omitempty"`

	// ShutdownTimeout is how long a pod drains and flushes on SIGTERM; the
	// pods' termination grace period is 10 seconds longer.
	// +kubebuilder:validation:Type=string
	// +kubebuilder:validation:MaxLength=32
	// +kubebuilder:validation:XValidation:rule="duration(self) >= duration('1s') && duration(self) <= duration('1h')",message="shutdownTimeout must be a duration between 1s and 1h, e.g. 30s"
	// +kubebuilder:default="30s"
	// +optional
	ShutdownTimeout *metav1.Duration `json:"shutdownTimeout,omitempty"`

	// Service is the client Service NAME that accepts events.
	// +kubebuilder:default={}
	// +optional
	Service ServiceSpec `json:"service,omitempty"`

	// PodAnnotations are added to every pod (e.g. for scraping /metrics).
	// +optional
	PodAnnotations map[string]string `json:"podAnnotations,omitempty"`

	// NodeSelector of the pods.
	// +optional
	NodeSelector map[string]string `json:"nodeSelector,omitempty"`

	// Tolerations of the pods.
	// +listType=atomic
	// +optional
	Tolerations []corev1.Toleration `json:"tolerations,omitempty"`

	// Affinity of the pods.
	// +optional
	Affinity *corev1.Affinity `json:"affinity,omitempty"`

	// TopologySpreadConstraints of the pods. Their label selectors may use
	// the pod labels app.kubernetes.io/instance=NAME and
	// app.kubernetes.io/component=partition.
	// +listType=atomic
	// +optional
	TopologySpreadConstraints []corev1.TopologySpreadConstraint `json:"topologySpreadConstraints,omitempty"`

	// PriorityClassName of the pods.
	// +kubebuilder:validation:MaxLength=253
	// +optional
	PriorityClassName string `json:"priorityClassName,omitempty"`
}

// AckMode says when an event is acknowledged.
// +kubebuilder:validation:Enum=durable;buffered
type AckMode string

const (
	// AckDurable acknowledges an event once it is fdatasync'ed to the WAL.
	AckDurable AckMode = "durable"
	// AckBuffered acknowledges an event once it is written to the WAL; a
	// background sync makes it durable shortly after.
	AckBuffered AckMode = "buffered"
)

// DurabilitySpec configures acknowledgements and backpressure.
type DurabilitySpec struct {
	// Ack is durable (after fdatasync) or buffered (after write).
	// +kubebuilder:default=durable
	// +optional
	Ack AckMode `json:"ack,omitempty"`

	// MaxBacklog bounds the unflushed bytes of a partition; above it ingest
	// answers 429 instead of growing without bound. At least 1Mi.
	// +kubebuilder:validation:XValidation:rule="quantity(string(self)).compareTo(quantity('1Mi')) >= 0",message="durability.maxBacklog must be at least 1Mi"
	// +kubebuilder:default="256Mi"
	// +optional
	MaxBacklog *resource.Quantity `json:"maxBacklog,omitempty"`
}

// FlushSpec says when a shard's flusher sends a batch to the sink: when
// Interval has passed, or MaxEvents or MaxBytes are waiting.
type FlushSpec struct {
	// Interval is the longest time an acknowledged event waits for a flush.
	// +kubebuilder:validation:Type=string
	// +kubebuilder:validation:MaxLength=32
	// +kubebuilder:validation:XValidation:rule="duration(self) >= duration('1ms') && duration(self) <= duration('1h')",message="flush.interval must be a duration between 1ms and 1h, e.g. 1s"
	// +kubebuilder:default="1s"
	// +optional
	Interval *metav1.Duration `json:"interval,omitempty"`

	// MaxEvents flushes once this many events are waiting; it is also the
	// largest batch. Large batches let the flusher keep up under load (its
	// pace is set by its waits on the sink and the disk); MaxBytes caps
	// them too.
	// +kubebuilder:validation:Minimum=1
	// +kubebuilder:validation:Maximum=1000000
	// +kubebuilder:default=20000
	// +optional
	MaxEvents int32 `json:"maxEvents,omitempty"`

	// MaxBytes flushes once this many bytes are waiting; it is also the
	// largest batch. At least 1Ki.
	// +kubebuilder:validation:XValidation:rule="quantity(string(self)).compareTo(quantity('1Ki')) >= 0 && quantity(string(self)).compareTo(quantity('1Gi')) <= 0",message="flush.maxBytes must be between 1Ki and 1Gi"
	// +kubebuilder:default="4Mi"
	// +optional
	MaxBytes *resource.Quantity `json:"maxBytes,omitempty"`
}

// StorageSpec is the PersistentVolumeClaim of each partition (the
// StatefulSet's volumeClaimTemplate "data"). A StatefulSet cannot change its
// volume claim templates, so neither field can change after creation.
// +kubebuilder:validation:XValidation:rule="has(self.storageClassName) == has(oldSelf.storageClassName) && (!has(self.storageClassName) || self.storageClassName == oldSelf.storageClassName)",message="storage.storageClassName is immutable: it cannot be set, changed or removed after the cluster is created"
// +kubebuilder:validation:XValidation:rule="!has(oldSelf.size) || (has(self.size) && quantity(string(self.size)).compareTo(quantity(string(oldSelf.size))) == 0)",message="storage.size is immutable: volume expansion is not supported yet"
type StorageSpec struct {
	// Size of each partition's volume.
	// +kubebuilder:validation:XValidation:rule="quantity(string(self)).compareTo(quantity('64Mi')) >= 0",message="storage.size must be at least 64Mi"
	// +kubebuilder:default="1Gi"
	// +optional
	Size *resource.Quantity `json:"size,omitempty"`

	// StorageClassName of the volumes; unset uses the cluster's default
	// StorageClass.
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=253
	// +optional
	StorageClassName *string `json:"storageClassName,omitempty"`
}

// ServiceSpec configures the client Service.
type ServiceSpec struct {
	// Type of the client Service.
	// +kubebuilder:validation:Enum=ClusterIP;NodePort;LoadBalancer
	// +kubebuilder:default=ClusterIP
	// +optional
	Type corev1.ServiceType `json:"type,omitempty"`

	// Port of the client Service (its target is the pods' http port).
	// +kubebuilder:validation:Minimum=1
	// +kubebuilder:validation:Maximum=65535
	// +kubebuilder:default=8080
	// +optional
	Port int32 `json:"port,omitempty"`

	// Annotations of the client Service (e.g. for a cloud load balancer).
	// +optional
	Annotations map[string]string `json:"annotations,omitempty"`
}

// EventIngestorClusterStatus is the observed state of an EventIngestor
// cluster. The operator writes it once per reconcile pass.
type EventIngestorClusterStatus struct {
	// ObservedGeneration is the generation of the spec the operator last
	// reconciled successfully.
	// +optional
	ObservedGeneration int64 `json:"observedGeneration,omitempty"`

	// Partitions is the number of partition pods that exist (the
	// StatefulSet's status.replicas); the scale subresource reports it.
	// +optional
	Partitions int32 `json:"partitions,omitempty"`

	// ReadyPartitions is the number of partition pods that are ready.
	// +optional
	ReadyPartitions int32 `json:"readyPartitions,omitempty"`

	// Ring is the ring the operator last published in ConfigMap NAME-ring.
	// +optional
	Ring RingStatus `json:"ring,omitempty"`

	// Selector is the label selector of the partition pods, for the scale
	// subresource.
	// +optional
	Selector string `json:"selector,omitempty"`

	// Conditions: Available, Progressing, Resharding and Degraded.
	// +listType=map
	// +listMapKey=type
	// +patchStrategy=merge
	// +patchMergeKey=type
	// +optional
	Conditions []metav1.Condition `json:"conditions,omitempty" patchStrategy:"merge" patchMergeKey:"type"`
}

// RingPhase is the hand-off state of a ring epoch.
// +kubebuilder:validation:Enum=Stable;Handoff
type RingPhase string

const (
	// RingPhaseStable means every partition owns exactly the slots the ring
	// assigns to it.
	RingPhaseStable RingPhase = "Stable"
	// RingPhaseHandoff means the partition count just changed and previous
	// owners of moved slots may still hold unflushed events for them.
	RingPhaseHandoff RingPhase = "Handoff"
)

// RingStatus is one published epoch of the ring.
type RingStatus struct {
	// Epoch increases by one every time the partition count changes; it
	// starts at 1.
	// +optional
	Epoch int64 `json:"epoch,omitempty"`

	// Partitions is the partition count of this epoch.
	// +optional
	Partitions int32 `json:"partitions,omitempty"`

	// Phase is Stable, or Handoff while a resharding moves slots.
	// +optional
	Phase RingPhase `json:"phase,omitempty"`

	// PreviousPartitions is the partition count of the previous epoch while
	// the phase is Handoff.
	// +optional
	PreviousPartitions int32 `json:"previousPartitions,omitempty"`
}

// EventIngestorCluster is a sharded, durable event ingestion service: a ring
// of partitions run by a StatefulSet, reachable through the Service of the
// same name.
//
// +kubebuilder:object:root=true
// +kubebuilder:subresource:status
// +kubebuilder:subresource:scale:specpath=.spec.partitions,statuspath=.status.partitions,selectorpath=.status.selector
// +kubebuilder:resource:shortName=eic,categories=eventingestor
// +kubebuilder:printcolumn:name="Partitions",type=integer,JSONPath=`.spec.partitions`,description="Desired partitions"
// +kubebuilder:printcolumn:name="Ready",type=integer,JSONPath=`.status.readyPartitions`,description="Ready partitions"
// +kubebuilder:printcolumn:name="Epoch",type=integer,JSONPath=`.status.ring.epoch`,description="Published ring epoch"
// +kubebuilder:printcolumn:name="Phase",type=string,JSONPath=`.status.ring.phase`,description="Ring phase"
// +kubebuilder:printcolumn:name="Age",type=date,JSONPath=`.metadata.creationTimestamp`
// +kubebuilder:validation:XValidation:rule="self.metadata.name.size() <= 52 && self.metadata.name.matches('^[a-z]([-a-z0-9]*[a-z0-9])?$')",message="metadata.name must be a DNS-1035 label of at most 52 characters: it names the Services, the StatefulSet and its pods"
type EventIngestorCluster struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	// +required
	Spec EventIngestorClusterSpec `json:"spec"`
	// +optional
	Status EventIngestorClusterStatus `json:"status,omitempty"`
}

// EventIngestorClusterList is a list of EventIngestorClusters.
//
// +kubebuilder:object:root=true
type EventIngestorClusterList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`
	Items           []EventIngestorCluster `json:"items"`
}
