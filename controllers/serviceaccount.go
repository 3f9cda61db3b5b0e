package controllers

import (
	corev1ac "k8s.io/client-go/applyconfigurations/core/v1"

	"github.com/eventingestor/eventingestor/api/v1alpha1"
)

// serviceAccount builds ServiceAccount NAME that the partition pods run as.
func serviceAccount(c *v1alpha1.EventIngestorCluster) *corev1ac.ServiceAccountApplyConfiguration {
	return corev1ac.ServiceAccount(c.Name, c.Namespace).
		WithLabels(objectLabels(c, nil)).
		WithOwnerReferences(ownerReference(c))
}
