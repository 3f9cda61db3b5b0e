package controllers

import (
	"encoding/json"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/eventingestor/eventingestor/api/v1alpha1"
)

// testImage is the default image the tests give the operator.
const testImage = "registry.example/eventingestor:test"

// newCluster returns a cluster like the seed (3 partitions keyed by user_id,
// log sink) with everything else unset, as a Go client would create it;
// mutate functions change it.
func newCluster(name, namespace string, mutate ...func(*v1alpha1.EventIngestorCluster)) *v1alpha1.EventIngestorCluster {
	c := &v1alpha1.EventIngestorCluster{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: namespace, UID: "uid-" + "1234", Generation: 1},
		Spec: v1alpha1.EventIngestorClusterSpec{
			Partitions:   3,
			PartitionKey: "user_id",
		},
	}
	for _, m := range mutate {
		m(c)
	}
	return c
}

// typed decodes an apply configuration (or any value) into the typed API
// object of the same JSON form, so that tests can inspect builders' output
// with plain field access.
func typed[T any](t testing.TB, in any) *T {
	t.Helper()
	data, err := json.Marshal(in)
	if err != nil {
		t.Fatalf("encode %T: %v", in, err)
	}
	out := new(T)
	if err := json.Unmarshal(data, out); err != nil {
		t.Fatalf("decode %T: %v", out, err)
	}
	return out
}

// equalJSON compares two values by their JSON form.
func equalJSON(t testing.TB, a, b any) bool {
	t.Helper()
	ja, err := json.Marshal(a)
	if err != nil {
		t.Fatal(err)
	}
	jb, err := json.Marshal(b)
	if err != nil {
		t.Fatal(err)
	}
	return string(ja) == string(jb)
}
