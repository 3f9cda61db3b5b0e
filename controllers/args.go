package controllers

import (
	"strconv"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	corev1ac "k8s.io/client-go/applyconfigurations/core/v1"

	"github.com/eventingestor/eventingestor/api/v1alpha1"
)

// The pod's contract with `eventingestor serve`.
const (
	containerName = "eventingestor"
	portName      = "http"
	containerPort = int32(8080)

	ringVolume    = "ring"
	ringMountPath = "/etc/eventingestor/ring"
	dataVolume    = "data"
	dataMountPath = "/var/lib/eventingestor"
	tmpVolume     = "tmp"
	tmpMountPath  = "/tmp"

	envPodName              = "POD_NAME"
	envPodNamespace         = "POD_NAMESPACE"
	envWebhookAuthorization = "EVENTINGESTOR_SINK_WEBHOOK_AUTHORIZATION"

	// terminationGraceExtra is added to spec.shutdownTimeout for the pods'
	// termination grace period: serve drains for the shutdown timeout and
	// then needs a moment to close its WAL before the kubelet kills it.
	terminationGraceExtra = 10 * time.Second
)

// serveArgs are the container arguments of a partition pod: the serve
// subcommand and its flags, derived from the spec (defaults filled in for
// fields the API server did not default).
func serveArgs(c *v1alpha1.EventIngestorCluster) []string {
	s := &c.Spec
	args := []string{
		"serve",
		"--listen=:" + strconv.Itoa(int(containerPort)),
		"--pod-name=$(" + envPodName + ")",
		"--ring.file=" + ringMountPath + "/" + ringKey,
		"--peer-url-template=" + peerURLTemplate(c),
		"--data-dir=" + dataMountPath,
		"--event.key-field=" + escapeVarRefs(s.PartitionKey),
		"--event.id-field=" + escapeVarRefs(s.IDFieldOrDefault()),
		"--shards=" + strconv.Itoa(int(s.Shards)),
		"--durability.ack=" + string(s.Durability.AckOrDefault()),
		"--durability.max-backlog=" + strconv.FormatInt(s.Durability.MaxBacklogOrDefault(), 10),
		"--wal.segment-bytes=" + strconv.FormatInt(walSegmentBytes(c), 10),
		"--flush.interval=" + s.Flush.IntervalOrDefault().String(),
		"--flush.max-events=" + strconv.Itoa(int(s.Flush.MaxEventsOrDefault())),
		"--flush.max-bytes=" + strconv.FormatInt(s.Flush.MaxBytesOrDefault(), 10),
		"--sink.type=" + string(s.Sink.TypeOrDefault()),
	}
	switch s.Sink.TypeOrDefault() {
	case v1alpha1.SinkFile:
		args = append(args,
			"--sink.file.dir="+escapeVarRefs(s.Sink.File.DirOrDefault()),
			"--sink.file.max-bytes="+strconv.FormatInt(s.Sink.File.MaxBytesOrDefault(), 10),
			"--sink.file.max-age="+s.Sink.File.MaxAgeOrDefault().String(),
		)
	case v1alpha1.SinkWebhook:
		if s.Sink.Webhook != nil {
			args = append(args, "--sink.webhook.url="+escapeVarRefs(s.Sink.Webhook.URL))
		}
	case v1alpha1.SinkLog:
	}
	return append(args,
		"--shutdown-timeout="+s.ShutdownTimeoutOrDefault().String(),
		"--log-format=json",
	)
}

// WAL segment sizes the operator chooses from.
const (
	minSegmentBytes = 4 << 20
	maxSegmentBytes = 64 << 20
	// segmentsPerVolume: a segment is a 64th of the volume, so that each
	// shard's active and preallocated segments stay a small part of it.
	segmentsPerVolume = 64
)

// walSegmentBytes is the WAL segment size for the cluster's volumes: a
// 64th of storage.size, between 4 MiB and 64 MiB.
func walSegmentBytes(c *v1alpha1.EventIngestorCluster) int64 {
	size := c.Spec.Storage.SizeOrDefault()
	return min(max(size.Value()/segmentsPerVolume, minSegmentBytes), maxSegmentBytes)
}

// serveEnv is the container environment of a partition pod: its own name and
// namespace and, for a webhook sink with a Secret reference, the
// Authorization header taken from that Secret.
func serveEnv(c *v1alpha1.EventIngestorCluster) []*corev1ac.EnvVarApplyConfiguration {
	env := []*corev1ac.EnvVarApplyConfiguration{
		fieldEnv(envPodName, "metadata.name"),
		fieldEnv(envPodNamespace, "metadata.namespace"),
	}
	sink := c.Spec.Sink
	if sink.TypeOrDefault() == v1alpha1.SinkWebhook && sink.Webhook != nil && sink.Webhook.AuthorizationSecretRef != nil {
		ref := sink.Webhook.AuthorizationSecretRef
		sel := corev1ac.SecretKeySelector().WithName(ref.Name).WithKey(ref.Key)
		if ref.Optional != nil {
			sel.WithOptional(*ref.Optional)
		}
		env = append(env, corev1ac.EnvVar().
			WithName(envWebhookAuthorization).
			WithValueFrom(corev1ac.EnvVarSource().WithSecretKeyRef(sel)))
	}
	return env
}

// peerURLTemplate is how a pod reaches partition {partition} of its cluster:
// through the pod's DNS name under the headless Service.
func peerURLTemplate(c *v1alpha1.EventIngestorCluster) string {
	return "http://" + c.Name + "-{partition}." + c.HeadlessServiceName() + "." + c.Namespace +
		".svc:" + strconv.Itoa(int(containerPort))
}

// terminationGracePeriodSeconds is spec.shutdownTimeout plus
// terminationGraceExtra, in whole seconds (rounded up).
func terminationGracePeriodSeconds(c *v1alpha1.EventIngestorCluster) int64 {
	d := c.Spec.ShutdownTimeoutOrDefault() + terminationGraceExtra
	return int64((d + time.Second - 1) / time.Second)
}

func fieldEnv(name, fieldPath string) *corev1ac.EnvVarApplyConfiguration {
	return corev1ac.EnvVar().
		WithName(name).
		WithValueFrom(corev1ac.EnvVarSource().
			WithFieldRef(corev1ac.ObjectFieldSelector().WithAPIVersion("v1").WithFieldPath(fieldPath)))
}

// escapeVarRefs escapes "$" in a user-given value so that the kubelet does
// not expand $(VAR) references in it: "$$" becomes a literal "$".
func escapeVarRefs(s string) string {
	return strings.ReplaceAll(s, "$", "$$")
}

// imageFor is the image of the pods: spec.image, or the operator's default.
func imageFor(c *v1alpha1.EventIngestorCluster, defaultImage string) string {
	if c.Spec.Image != "" {
		return c.Spec.Image
	}
	return defaultImage
}

// pullPolicyFor is the image pull policy of the pods.
func pullPolicyFor(c *v1alpha1.EventIngestorCluster) corev1.PullPolicy {
	if c.Spec.ImagePullPolicy == "" {
		return v1alpha1.DefaultImagePullPolicy
	}
	return c.Spec.ImagePullPolicy
}
