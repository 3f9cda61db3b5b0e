package controllers

import (
	appsv1 "k8s.io/api/apps/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/eventingestor/eventingestor/api/v1alpha1"
	"github.com/eventingestor/eventingestor/ingestor/ring"
)

// observation is what a reconcile pass saw and did; the status is computed
// from it alone.
type observation struct {
	// Partitions is spec.partitions, the desired partition count.
	Partitions int32
	// Ring is the ring published in the ring ConfigMap at the end of the
	// pass, nil if none is.
	Ring *ring.Ring
	// StatefulSet is the StatefulSet as last seen, nil if it does not exist.
	StatefulSet *appsv1.StatefulSet
	// Err is the error of the phase that failed, nil if every phase
	// succeeded.
	Err error
}

// wantPartitions is the partition count the pods should reach: that of the
// published ring, or of the spec before any ring is published.
func (o observation) wantPartitions() int32 {
	if o.Ring != nil {
		return int32(o.Ring.Partitions)
	}
	return o.Partitions
}

// computeStatus returns c's new status from the observation o of a pass;
// now stamps conditions whose status changes. observedGeneration advances
// only if the pass succeeded.
func computeStatus(c *v1alpha1.EventIngestorCluster, o observation, now metav1.Time) v1alpha1.EventIngestorClusterStatus {
	st := *c.Status.DeepCopy()
	st.Selector = c.PodSelector()
	if o.Ring != nil {
		st.Ring = ringStatus(*o.Ring)
	}
	st.Partitions, st.ReadyPartitions = 0, 0
	if o.StatefulSet != nil {
		st.Partitions = o.StatefulSet.Status.Replicas
		st.ReadyPartitions = o.StatefulSet.Status.ReadyReplicas
	}
	if o.Err == nil {
		st.ObservedGeneration = c.Generation
	}
	for _, cond := range []metav1.Condition{
		availableCondition(o),
		progressingCondition(o),
		reshardingCondition(o),
		degradedCondition(o),
	} {
		cond.ObservedGeneration = c.Generation
		cond.LastTransitionTime = now
		meta.SetStatusCondition(&st.Conditions, cond)
	}
	return st
}
