package v1alpha1

import (
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// SinkType names a sink implementation of the data plane.
//
// Adding a sink is additive: a new enum value here, a new optional pointer
// field in SinkSpec and one XValidation rule on SinkSpec tying the two.
// +kubebuilder:validation:Enum=log;file;webhook
type SinkType string

const (
	// SinkLog writes batches as NDJSON to the pod's stdout.
	SinkLog SinkType = "log"
	// SinkFile writes batches to rotated NDJSON files on the partition's
	// volume.
	SinkFile SinkType = "file"
	// SinkWebhook POSTs batches to an HTTP endpoint.
	SinkWebhook SinkType = "webhook"
)

// SinkSpec selects the sink and configures it. Exactly the configuration
// block of the selected type may be set (file: {} is enough to take every
// default of the file sink); credentials only come from Secret references.
// +kubebuilder:validation:XValidation:rule="has(self.file) == (has(self.type) && self.type == 'file')",message="sink.file must be set when sink.type is file (file: {} takes the defaults), and only then"
// +kubebuilder:validation:XValidation:rule="has(self.webhook) == (has(self.type) && self.type == 'webhook')",message="sink.webhook (with its url) must be set when sink.type is webhook, and only then"
type SinkSpec struct {
	// Type of the sink.
	// +kubebuilder:default=log
	// +optional
	Type SinkType `json:"type,omitempty"`

	// File configures the file sink (type file).
	// +optional
	File *FileSinkSpec `json:"file,omitempty"`

	// Webhook configures the webhook sink (type webhook).
	// +optional
	Webhook *WebhookSinkSpec `json:"webhook,omitempty"`
}

// FileSinkSpec configures the file sink: rotated NDJSON files, by default on
// the partition's own volume.
type FileSinkSpec struct {
	// Dir is the absolute directory of the files inside the pod.
	// +kubebuilder:validation:MaxLength=1024
	// +kubebuilder:validation:Pattern=`^/`
	// +kubebuilder:default="/var/lib/eventingestor/sink"
	// +optional
	Dir string `json:"dir,omitempty"`

	// MaxBytes rotates a file once it reaches this size (at least 4Ki).
	// +kubebuilder:validation:XValidation:rule="quantity(string(self)).compareTo(quantity('4Ki')) >= 0",message="sink.file.maxBytes must be at least 4Ki"
	// +kubebuilder:default="64Mi"
	// +optional
	MaxBytes *resource.Quantity `json:"maxBytes,omitempty"`

	// MaxAge rotates a file once it has been open this long (at least 1s).
	// +kubebuilder:validation:Type=string
	// +kubebuilder:validation:MaxLength=32
	// +kubebuilder:validation:XValidation:rule="duration(self) >= duration('1s')",message="sink.file.maxAge must be a duration of at least 1s, e.g. 1h"
	// +kubebuilder:default="1h"
	// +optional
	MaxAge *metav1.Duration `json:"maxAge,omitempty"`
}

// WebhookSinkSpec configures the webhook sink: batches are POSTed to URL.
type WebhookSinkSpec struct {
	// URL the batches are POSTed to (http or https).
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=2048
	// +kubebuilder:validation:XValidation:rule="isURL(self) && url(self).getScheme() in ['http', 'https'] && url(self).getHost() != ''",message="sink.webhook.url must be an absolute http or https URL"
	URL string `json:"url"`

	// AuthorizationSecretRef selects a key of a Secret in the cluster's
	// namespace whose value is sent as the Authorization header. The secret
	// reaches the pods as an environment variable, never through the
	// EventIngestorCluster or the command line.
	// +optional
	AuthorizationSecretRef *corev1.SecretKeySelector `json:"authorizationSecretRef,omitempty"`
}
