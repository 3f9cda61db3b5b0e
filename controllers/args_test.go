package controllers

import (
	"slices"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"

	"github.com/eventingestor/eventingestor/api/v1alpha1"
)

func TestServeArgs(t *testing.T) {
	// The flags every pod gets, whatever the sink.
	common := func(ns string) []string {
		return []string{
			"serve",
			"--listen=:8080",
			"--pod-name=$(POD_NAME)",
			"--ring.file=/etc/eventingestor/ring/ring.json",
			"--peer-url-template=http://seed-{partition}.seed-headless." + ns + ".svc:8080",
			"--data-dir=/var/lib/eventingestor",
		}
	}
	tests := []struct {
		name   string
		mutate func(*v1alpha1.EventIngestorCluster)
		want   []string // after the common flags
	}{
		{
			name:   "defaults of an undefaulted spec",
			mutate: func(*v1alpha1.EventIngestorCluster) {},
			want: []string{
				"--event.key-field=user_id", "--event.id-field=id", "--shards=0",
				"--durability.ack=durable", "--durability.max-backlog=268435456", "--wal.segment-bytes=16777216",
				"--flush.interval=1s", "--flush.max-events=20000", "--flush.max-bytes=4194304",
				"--sink.type=log", "--shutdown-timeout=30s", "--log-format=json",
			},
		},
		{
			name: "everything set, file sink",
			mutate: func(c *v1alpha1.EventIngestorCluster) {
				c.Spec.IDField = "event_id"
				c.Spec.Shards = 4
				c.Spec.Durability = v1alpha1.DurabilitySpec{Ack: v1alpha1.AckBuffered, MaxBacklog: ptr.To(resource.MustParse("256Mi"))}
				c.Spec.Flush = v1alpha1.FlushSpec{
					Interval: &metav1.Duration{Duration: 250 * time.Millisecond}, MaxEvents: 100, MaxBytes: ptr.To(resource.MustParse("1M")),
				}
				c.Spec.Sink = v1alpha1.SinkSpec{Type: v1alpha1.SinkFile, File: &v1alpha1.FileSinkSpec{
					Dir: "/var/lib/eventingestor/out", MaxBytes: ptr.To(resource.MustParse("8Mi")), MaxAge: &metav1.Duration{Duration: 90 * time.Minute},
				}}
				c.Spec.ShutdownTimeout = &metav1.Duration{Duration: 2 * time.Minute}
			},
			want: []string{
				"--event.key-field=user_id", "--event.id-field=event_id", "--shards=4",
				"--durability.ack=buffered", "--durability.max-backlog=268435456", "--wal.segment-bytes=16777216",
				"--flush.interval=250ms", "--flush.max-events=100", "--flush.max-bytes=1000000",
				"--sink.type=file", "--sink.file.dir=/var/lib/eventingestor/out", "--sink.file.max-bytes=8388608", "--sink.file.max-age=1h30m0s",
				"--shutdown-timeout=2m0s", "--log-format=json",
			},
		},
		{
			name: "file sink with its defaults (file: {})",
			mutate: func(c *v1alpha1.EventIngestorCluster) {
				c.Spec.Sink = v1alpha1.SinkSpec{Type: v1alpha1.SinkFile, File: &v1alpha1.FileSinkSpec{}}
			},
			want: []string{
				"--event.key-field=user_id", "--event.id-field=id", "--shards=0",
				"--durability.ack=durable", "--durability.max-backlog=268435456", "--wal.segment-bytes=16777216",
				"--flush.interval=1s", "--flush.max-events=20000", "--flush.max-bytes=4194304",
				"--sink.type=file", "--sink.file.dir=/var/lib/eventingestor/sink", "--sink.file.max-bytes=67108864", "--sink.file.max-age=1h0m0s",
				"--shutdown-timeout=30s", "--log-format=json",
			},
		},
		{
			name: "webhook sink: the URL only, never the secret",
			mutate: func(c *v1alpha1.EventIngestorCluster) {
				c.Spec.Sink = v1alpha1.SinkSpec{Type: v1alpha1.SinkWebhook, Webhook: &v1alpha1.WebhookSinkSpec{
					URL:                    "https://hooks.example/ingest?x=1",
					AuthorizationSecretRef: &corev1.SecretKeySelector{LocalObjectReference: corev1.LocalObjectReference{Name: "hook"}, Key: "auth"},
				}}
			},
			want: []string{
				"--event.key-field=user_id", "--event.id-field=id", "--shards=0",
				"--durability.ack=durable", "--durability.max-backlog=268435456", "--wal.segment-bytes=16777216",
				"--flush.interval=1s", "--flush.max-events=20000", "--flush.max-bytes=4194304",
				"--sink.type=webhook", "--sink.webhook.url=https://hooks.example/ingest?x=1",
				"--shutdown-timeout=30s", "--log-format=json",
			},
		},
		{
			name: "user values cannot inject $(VAR) references",
			mutate: func(c *v1alpha1.EventIngestorCluster) {
				c.Spec.PartitionKey = "$(POD_NAME)"
				c.Spec.IDField = "a$b"
			},
			want: []string{
				"--event.key-field=$$(POD_NAME)", "--event.id-field=a$$b", "--shards=0",
				"--durability.ack=durable", "--durability.max-backlog=268435456", "--wal.segment-bytes=16777216",
				"--flush.interval=1s", "--flush.max-events=20000", "--flush.max-bytes=4194304",
				"--sink.type=log", "--shutdown-timeout=30s", "--log-format=json",
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := newCluster("seed", "team-a", tt.mutate)
			got := serveArgs(c)
			want := append(common("team-a"), tt.want...)
			if !slices.Equal(got, want) {
				t.Errorf("serveArgs:\n got %s\nwant %s", strings.Join(got, " "), strings.Join(want, " "))
			}
		})
	}
}

func TestServeEnv(t *testing.T) {
	webhook := func(ref *corev1.SecretKeySelector) func(*v1alpha1.EventIngestorCluster) {
		return func(c *v1alpha1.EventIngestorCluster) {
			c.Spec.Sink = v1alpha1.SinkSpec{Type: v1alpha1.SinkWebhook, Webhook: &v1alpha1.WebhookSinkSpec{URL: "http://h", AuthorizationSecretRef: ref}}
		}
	}
	podEnv := []corev1.EnvVar{
		{Name: "POD_NAME", ValueFrom: &corev1.EnvVarSource{FieldRef: &corev1.ObjectFieldSelector{APIVersion: "v1", FieldPath: "metadata.name"}}},
		{Name: "POD_NAMESPACE", ValueFrom: &corev1.EnvVarSource{FieldRef: &corev1.ObjectFieldSelector{APIVersion: "v1", FieldPath: "metadata.namespace"}}},
	}
	ref := &corev1.SecretKeySelector{LocalObjectReference: corev1.LocalObjectReference{Name: "hook"}, Key: "authorization", Optional: ptr.To(false)}
	tests := []struct {
		name   string
		mutate func(*v1alpha1.EventIngestorCluster)
		want   []corev1.EnvVar
	}{
		{"log sink", func(*v1alpha1.EventIngestorCluster) {}, podEnv},
		{"webhook without a secret", webhook(nil), podEnv},
		{"webhook with a secret", webhook(ref), append(slices.Clone(podEnv), corev1.EnvVar{
			Name: "EVENTINGESTOR_SINK_WEBHOOK_AUTHORIZATION", ValueFrom: &corev1.EnvVarSource{SecretKeyRef: ref},
		})},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := newCluster("seed", "ns", tt.mutate)
			got := make([]corev1.EnvVar, 0, len(tt.want))
			for _, e := range serveEnv(c) {
				got = append(got, *typed[corev1.EnvVar](t, e))
			}
			if !equalJSON(t, got, tt.want) {
				t.Errorf("serveEnv = %+v, want %+v", got, tt.want)
			}
		})
	}
}

func TestTerminationGracePeriodSeconds(t *testing.T) {
	tests := []struct {
		shutdown *metav1.Duration
		want     int64
	}{
		{nil, 40},
		{&metav1.Duration{Duration: 30 * time.Second}, 40},
		{&metav1.Duration{Duration: 5 * time.Minute}, 310},
		{&metav1.Duration{Duration: 1500 * time.Millisecond}, 12}, // rounded up
	}
	for _, tt := range tests {
		c := newCluster("seed", "ns", func(c *v1alpha1.EventIngestorCluster) { c.Spec.ShutdownTimeout = tt.shutdown })
		if got := terminationGracePeriodSeconds(c); got != tt.want {
			t.Errorf("shutdownTimeout %v: terminationGracePeriodSeconds = %d, want %d", tt.shutdown, got, tt.want)
		}
	}
}

func TestImageFor(t *testing.T) {
	tests := []struct{ spec, def, want string }{
		{"", "op:1", "op:1"},
		{"mine:2", "op:1", "mine:2"},
		{"", "", ""},
	}
	for _, tt := range tests {
		c := newCluster("seed", "ns", func(c *v1alpha1.EventIngestorCluster) { c.Spec.Image = tt.spec })
		if got := imageFor(c, tt.def); got != tt.want {
			t.Errorf("imageFor(%q, %q) = %q, want %q", tt.spec, tt.def, got, tt.want)
		}
	}
}

func TestWALSegmentBytes(t *testing.T) {
	for size, want := range map[string]int64{
		"64Mi":  4 << 20, // a 64th would be 1 MiB: raised to the minimum
		"256Mi": 4 << 20,
		"1Gi":   16 << 20,
		"10Gi":  64 << 20, // a 64th would be 160 MiB: capped
	} {
		c := &v1alpha1.EventIngestorCluster{}
		c.Spec.Storage.Size = ptr.To(resource.MustParse(size))
		if got := walSegmentBytes(c); got != want {
			t.Errorf("storage %s: segment %d, want %d", size, got, want)
		}
	}
}
