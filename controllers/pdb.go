package controllers

import (
	"k8s.io/apimachinery/pkg/util/intstr"
	metav1ac "k8s.io/client-go/applyconfigurations/meta/v1"
	policyv1ac "k8s.io/client-go/applyconfigurations/policy/v1"

	"github.com/eventingestor/eventingestor/api/v1alpha1"
)

// podDisruptionBudget builds PodDisruptionBudget NAME: voluntary disruptions
// (node drains) take down at most one partition at a time.
func podDisruptionBudget(c *v1alpha1.EventIngestorCluster) *policyv1ac.PodDisruptionBudgetApplyConfiguration {
	return policyv1ac.PodDisruptionBudget(c.Name, c.Namespace).
		WithLabels(objectLabels(c, nil)).
		WithOwnerReferences(ownerReference(c)).
		WithSpec(policyv1ac.PodDisruptionBudgetSpec().
			WithMaxUnavailable(intstr.FromInt32(1)).
			WithSelector(metav1ac.LabelSelector().WithMatchLabels(c.PodLabels())))
}
