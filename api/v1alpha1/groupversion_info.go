// Package v1alpha1 holds the v1alpha1 API of the ingest.eventingestor.io
// group: the EventIngestorCluster custom resource, its helpers and its
// condition types. The CRD is generated from the markers in this package
// (make manifests) and its deepcopy code by controller-gen (make generate).
// The package depends on k8s.io/api and k8s.io/apimachinery only, so that
// clients can import it cheaply.
//
// +kubebuilder:object:generate=true
// +groupName=ingest.eventingestor.io
package v1alpha1

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

var (
	// GroupVersion is the group and version of this API.
	GroupVersion = schema.GroupVersion{Group: "ingest.eventingestor.io", Version: "v1alpha1"}

	// SchemeBuilder registers this API's types with a runtime.Scheme.
	SchemeBuilder = runtime.NewSchemeBuilder(addKnownTypes)

	// AddToScheme adds this API's types to a runtime.Scheme.
	AddToScheme = SchemeBuilder.AddToScheme
)

func addKnownTypes(s *runtime.Scheme) error {
	s.AddKnownTypes(GroupVersion, &EventIngestorCluster{}, &EventIngestorClusterList{})
	metav1.AddToGroupVersion(s, GroupVersion)
	return nil
}
