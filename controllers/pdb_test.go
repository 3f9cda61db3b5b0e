package controllers

import (
	"testing"

	policyv1 "k8s.io/api/policy/v1"
	"k8s.io/apimachinery/pkg/util/intstr"

	"github.com/eventingestor/eventingestor/api/v1alpha1"
)

func TestPodDisruptionBudget(t *testing.T) {
	for _, partitions := range []int32{1, 3, 1024} {
		c := newCluster("seed", "ns", func(c *v1alpha1.EventIngestorCluster) { c.Spec.Partitions = partitions })
		pdb := typed[policyv1.PodDisruptionBudget](t, podDisruptionBudget(c))
		expect(t, "name", pdb.Name, "seed")
		// Whatever the size, one partition at a time, never minAvailable.
		expectJSON(t, "maxUnavailable", pdb.Spec.MaxUnavailable, intstr.FromInt32(1))
		expect(t, "minAvailable", pdb.Spec.MinAvailable, (*intstr.IntOrString)(nil))
		expectJSON(t, "selector", pdb.Spec.Selector.MatchLabels, c.PodLabels())
	}
}
