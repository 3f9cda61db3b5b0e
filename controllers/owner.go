package controllers

import (
	metav1ac "k8s.io/client-go/applyconfigurations/meta/v1"

	"github.com/eventingestor/eventingestor/api/v1alpha1"
)

// fieldOwner is the field manager of every server-side apply of the operator.
const fieldOwner = "eventingestor-operator"

// kindCluster is the kind of the owner of every object the operator creates.
const kindCluster = "EventIngestorCluster"

// ownerReference makes c the controller owner of an object, so that the
// garbage collector deletes the object with c.
func ownerReference(c *v1alpha1.EventIngestorCluster) *metav1ac.OwnerReferenceApplyConfiguration {
	return metav1ac.OwnerReference().
		WithAPIVersion(v1alpha1.GroupVersion.String()).
		WithKind(kindCluster).
		WithName(c.Name).
		WithUID(c.UID).
		WithController(true).
		WithBlockOwnerDeletion(true)
}

// objectLabels are the labels of every owned object: the cluster's common
// labels plus extra (which may be nil).
func objectLabels(c *v1alpha1.EventIngestorCluster, extra map[string]string) map[string]string {
	l := c.CommonLabels()
	for k, v := range extra {
		l[k] = v
	}
	return l
}
