package v1alpha1

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/yaml"
)

func TestNamesAndLabels(t *testing.T) {
	c := &EventIngestorCluster{ObjectMeta: metav1.ObjectMeta{Name: "seed", Namespace: "ns"}}
	if got := c.RingConfigMapName(); got != "seed-ring" {
		t.Errorf("RingConfigMapName = %q", got)
	}
	if got := c.HeadlessServiceName(); got != "seed-headless" {
		t.Errorf("HeadlessServiceName = %q", got)
	}
	want := "app.kubernetes.io/component=partition,app.kubernetes.io/instance=seed," +
		"app.kubernetes.io/managed-by=eventingestor-operator,app.kubernetes.io/name=eventingestor"
	if got := c.PodSelector(); got != want {
		t.Errorf("PodSelector = %q, want %q", got, want)
	}
	if _, ok := c.CommonLabels()[LabelComponent]; ok {
		t.Error("CommonLabels must not carry the component")
	}
	// PodLabels returns a fresh map each time.
	c.PodLabels()["x"] = "y"
	if _, ok := c.PodLabels()["x"]; ok {
		t.Error("PodLabels shares its map")
	}
}

func TestOrDefault(t *testing.T) {
	var s EventIngestorClusterSpec
	var file *FileSinkSpec
	checks := []struct {
		name      string
		got, want any
	}{
		{"partitions", s.PartitionsOrDefault(), int32(3)},
		{"idField", s.IDFieldOrDefault(), "id"},
		{"shutdownTimeout", s.ShutdownTimeoutOrDefault(), 30 * time.Second},
		{"ack", s.Durability.AckOrDefault(), AckDurable},
		{"maxBacklog", s.Durability.MaxBacklogOrDefault(), int64(256 << 20)},
		{"flush.interval", s.Flush.IntervalOrDefault(), time.Second},
		{"flush.maxEvents", s.Flush.MaxEventsOrDefault(), int32(20000)},
		{"flush.maxBytes", s.Flush.MaxBytesOrDefault(), int64(4 << 20)},
		{"sink.type", s.Sink.TypeOrDefault(), SinkLog},
		{"file.dir", file.DirOrDefault(), "/var/lib/eventingestor/sink"},
		{"file.maxBytes", file.MaxBytesOrDefault(), int64(64 << 20)},
		{"file.maxAge", file.MaxAgeOrDefault(), time.Hour},
		{"storage.size", quantityString(s.Storage.SizeOrDefault()), "1Gi"},
		{"service.port", s.Service.PortOrDefault(), int32(8080)},
	}
	for _, c := range checks {
		if c.got != c.want {
			t.Errorf("%s: default %v, want %v", c.name, c.got, c.want)
		}
	}

	set := EventIngestorClusterSpec{
		Partitions: 7, IDField: "eid", ShutdownTimeout: &metav1.Duration{Duration: time.Minute},
		Durability: DurabilitySpec{Ack: AckBuffered, MaxBacklog: ptr(resource.MustParse("2Mi"))},
		Flush:      FlushSpec{Interval: &metav1.Duration{Duration: time.Millisecond}, MaxEvents: 9, MaxBytes: ptr(resource.MustParse("2k"))},
		Sink:       SinkSpec{Type: SinkFile, File: &FileSinkSpec{Dir: "/x", MaxBytes: ptr(resource.MustParse("5Ki")), MaxAge: &metav1.Duration{Duration: time.Second}}},
		Storage:    StorageSpec{Size: ptr(resource.MustParse("5Gi"))},
		Service:    ServiceSpec{Port: 80},
	}
	checks = []struct {
		name      string
		got, want any
	}{
		{"partitions", set.PartitionsOrDefault(), int32(7)},
		{"idField", set.IDFieldOrDefault(), "eid"},
		{"shutdownTimeout", set.ShutdownTimeoutOrDefault(), time.Minute},
		{"ack", set.Durability.AckOrDefault(), AckBuffered},
		{"maxBacklog", set.Durability.MaxBacklogOrDefault(), int64(2 << 20)},
		{"flush.interval", set.Flush.IntervalOrDefault(), time.Millisecond},
		{"flush.maxEvents", set.Flush.MaxEventsOrDefault(), int32(9)},
		{"flush.maxBytes", set.Flush.MaxBytesOrDefault(), int64(2000)},
		{"sink.type", set.Sink.TypeOrDefault(), SinkFile},
		{"file.dir", set.Sink.File.DirOrDefault(), "/x"},
		{"file.maxBytes", set.Sink.File.MaxBytesOrDefault(), int64(5 << 10)},
		{"file.maxAge", set.Sink.File.MaxAgeOrDefault(), time.Second},
		{"storage.size", quantityString(set.Storage.SizeOrDefault()), "5Gi"},
		{"service.port", set.Service.PortOrDefault(), int32(80)},
	}
	for _, c := range checks {
		if c.got != c.want {
			t.Errorf("%s: %v, want %v", c.name, c.got, c.want)
		}
	}
}

// TestSchemaDefaultsMatchConstants keeps the +kubebuilder:default markers (in
// the generated CRD) and the Default* constants in step.
func TestSchemaDefaultsMatchConstants(t *testing.T) {
	data, err := os.ReadFile(filepath.Join("..", "..", "config", "crd", "bases", "ingest.eventingestor.io_eventingestorclusters.yaml"))
	if err != nil {
		t.Fatalf("read the generated CRD (make manifests): %v", err)
	}
	var crd struct {
		Spec struct {
			Versions []struct {
				Name   string
				Schema struct {
					OpenAPIV3Schema schemaNode `json:"openAPIV3Schema"`
				}
			}
		}
	}
	if err := yaml.Unmarshal(data, &crd); err != nil {
		t.Fatal(err)
	}
	if len(crd.Spec.Versions) != 1 || crd.Spec.Versions[0].Name != "v1alpha1" {
		t.Fatalf("CRD versions = %+v", crd.Spec.Versions)
	}
	spec := crd.Spec.Versions[0].Schema.OpenAPIV3Schema.Properties["spec"]
	want := map[string]any{
		"partitions":            DefaultPartitions,
		"imagePullPolicy":       DefaultImagePullPolicy,
		"idField":               DefaultIDField,
		"shutdownTimeout":       DefaultShutdownTimeout,
		"durability.ack":        string(DefaultAck),
		"durability.maxBacklog": DefaultMaxBacklog,
		"flush.interval":        DefaultFlushInterval,
		"flush.maxEvents":       DefaultFlushMaxEvents,
		"flush.maxBytes":        DefaultFlushMaxBytes,
		"sink.type":             string(DefaultSinkType),
		"sink.file.dir":         DefaultFileSinkDir,
		"sink.file.maxBytes":    DefaultFileMaxBytes,
		"sink.file.maxAge":      DefaultFileMaxAge,
		"storage.size":          DefaultStorageSize,
		"service.type":          DefaultServiceType,
		"service.port":          DefaultServicePort,
	}
	for path, w := range want {
		node := spec
		for _, p := range strings.Split(path, ".") {
			node = node.Properties[p]
		}
		got, err := yaml.Marshal(node.Default)
		if err != nil {
			t.Fatal(err)
		}
		wantYAML, err := yaml.Marshal(w)
		if err != nil {
			t.Fatal(err)
		}
		if string(got) != string(wantYAML) {
			t.Errorf("spec.%s: schema default %s, Go constant %s", path, got, wantYAML)
		}
	}
}

type schemaNode struct {
	Default    any                   `json:"default"`
	Properties map[string]schemaNode `json:"properties"`
}

func quantityString(q resource.Quantity) string { return q.String() }

func ptr[T any](v T) *T { return &v }
