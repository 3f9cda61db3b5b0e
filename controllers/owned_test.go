package controllers

import (
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/utils/ptr"

	"github.com/eventingestor/eventingestor/api/v1alpha1"
	"github.com/eventingestor/eventingestor/ingestor/ring"
)

// TestBuildersOwnEverything checks what every builder must do: name the
// object as DESIGN.md §1 says, put it in the cluster's namespace, label it
// and make the cluster its controller.
func TestBuildersOwnEverything(t *testing.T) {
	c := newCluster("seed", "prod")
	cm, err := ringConfigMap(c, ring.Ring{Epoch: 1, Partitions: 3, Phase: ring.PhaseStable})
	if err != nil {
		t.Fatal(err)
	}
	sts, err := statefulSet(c, testImage, 3)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		kind, name string
		ac         applyConfiguration
	}{
		{"ConfigMap", "seed-ring", cm},
		{"ServiceAccount", "seed", serviceAccount(c)},
		{"Role", "seed", role(c)},
		{"RoleBinding", "seed", roleBinding(c)},
		{"Service", "seed-headless", headlessService(c)},
		{"Service", "seed", clientService(c)},
		{"StatefulSet", "seed", sts},
		{"PodDisruptionBudget", "seed", podDisruptionBudget(c)},
	}
	wantOwner := metav1.OwnerReference{
		APIVersion: "ingest.eventingestor.io/v1alpha1", Kind: "EventIngestorCluster", Name: "seed", UID: c.UID,
		Controller: ptr.To(true), BlockOwnerDeletion: ptr.To(true),
	}
	for _, tt := range tests {
		t.Run(tt.kind+"/"+tt.name, func(t *testing.T) {
			u := typed[unstructured.Unstructured](t, tt.ac)
			if u.GetKind() != tt.kind || u.GetName() != tt.name || u.GetNamespace() != "prod" {
				t.Errorf("object = %s %s/%s, want %s prod/%s", u.GetKind(), u.GetNamespace(), u.GetName(), tt.kind, tt.name)
			}
			refs := u.GetOwnerReferences()
			if len(refs) != 1 || !equalOwnerRef(refs[0], wantOwner) {
				t.Errorf("ownerReferences = %+v, want [%+v]", refs, wantOwner)
			}
			for k, v := range map[string]string{
				v1alpha1.LabelName: "eventingestor", v1alpha1.LabelInstance: "seed", v1alpha1.LabelManagedBy: "eventingestor-operator",
			} {
				if got := u.GetLabels()[k]; got != v {
					t.Errorf("label %s = %q, want %q", k, got, v)
				}
			}
			if len(u.GetManagedFields()) != 0 || u.GetResourceVersion() != "" {
				t.Errorf("builders must not set server fields")
			}
		})
	}
}

func equalOwnerRef(a, b metav1.OwnerReference) bool {
	return a.APIVersion == b.APIVersion && a.Kind == b.Kind && a.Name == b.Name && a.UID == b.UID &&
		ptr.Deref(a.Controller, false) == ptr.Deref(b.Controller, false) &&
		ptr.Deref(a.BlockOwnerDeletion, false) == ptr.Deref(b.BlockOwnerDeletion, false)
}
