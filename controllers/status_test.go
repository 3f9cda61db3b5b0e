package controllers

import (
	"errors"
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/eventingestor/eventingestor/api/v1alpha1"
)

func TestComputeStatus(t *testing.T) {
	t0 := metav1.NewTime(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	t1 := metav1.NewTime(t0.Add(time.Minute))
	previous := func(c *v1alpha1.EventIngestorCluster) {
		c.Generation = 4
		c.Status = v1alpha1.EventIngestorClusterStatus{
			ObservedGeneration: 3,
			Ring:               v1alpha1.RingStatus{Epoch: 2, Partitions: 3, Phase: v1alpha1.RingPhaseStable},
			Conditions: []metav1.Condition{
				{Type: v1alpha1.ConditionAvailable, Status: metav1.ConditionTrue, Reason: v1alpha1.ReasonAllPartitionsReady, LastTransitionTime: t0, ObservedGeneration: 3},
				{Type: v1alpha1.ConditionDegraded, Status: metav1.ConditionFalse, Reason: v1alpha1.ReasonReconciled, LastTransitionTime: t0, ObservedGeneration: 3},
			},
		}
	}
	tests := []struct {
		name   string
		mutate func(*v1alpha1.EventIngestorCluster)
		o      observation
		check  func(t *testing.T, st v1alpha1.EventIngestorClusterStatus)
	}{
		{
			name: "first pass",
			o:    observation{Partitions: 3, Ring: stableRing(1, 3), StatefulSet: stsState{generation: 1}.build()},
			check: func(t *testing.T, st v1alpha1.EventIngestorClusterStatus) {
				expect(t, "observedGeneration", st.ObservedGeneration, int64(1))
				expect(t, "ring", st.Ring, v1alpha1.RingStatus{Epoch: 1, Partitions: 3, Phase: v1alpha1.RingPhaseStable})
				expect(t, "selector", st.Selector, "app.kubernetes.io/component=partition,app.kubernetes.io/instance=seed,"+
					"app.kubernetes.io/managed-by=eventingestor-operator,app.kubernetes.io/name=eventingestor")
				expect(t, "partitions", st.Partitions, int32(0))
				expect(t, "conditions", len(st.Conditions), 4)
				for _, c := range st.Conditions {
					expect(t, c.Type+" lastTransitionTime", c.LastTransitionTime, t1)
					expect(t, c.Type+" observedGeneration", c.ObservedGeneration, int64(1))
				}
			},
		},
		{
			name:   "success advances observedGeneration; unchanged conditions keep their transition time",
			mutate: previous,
			o:      observation{Partitions: 3, Ring: stableRing(2, 3), StatefulSet: settled(3).build()},
			check: func(t *testing.T, st v1alpha1.EventIngestorClusterStatus) {
				expect(t, "observedGeneration", st.ObservedGeneration, int64(4))
				expect(t, "partitions", st.Partitions, int32(3))
				expect(t, "readyPartitions", st.ReadyPartitions, int32(3))
				available := meta.FindStatusCondition(st.Conditions, v1alpha1.ConditionAvailable)
				expect(t, "Available since", available.LastTransitionTime, t0)
				expect(t, "Available generation", available.ObservedGeneration, int64(4))
				expect(t, "Progressing since", meta.FindStatusCondition(st.Conditions, v1alpha1.ConditionProgressing).LastTransitionTime, t1)
			},
		},
		{
			name:   "failure keeps observedGeneration and the last published ring, and says why",
			mutate: previous,
			o:      observation{Partitions: 5, Ring: stableRing(2, 3), StatefulSet: settled(3).build(), Err: errors.New("phase RBAC: apply Role seed: forbidden")},
			check: func(t *testing.T, st v1alpha1.EventIngestorClusterStatus) {
				expect(t, "observedGeneration", st.ObservedGeneration, int64(3))
				expect(t, "ring", st.Ring, v1alpha1.RingStatus{Epoch: 2, Partitions: 3, Phase: v1alpha1.RingPhaseStable})
				degraded := meta.FindStatusCondition(st.Conditions, v1alpha1.ConditionDegraded)
				expect(t, "Degraded", degraded.Status, metav1.ConditionTrue)
				expect(t, "Degraded since", degraded.LastTransitionTime, t1)
				expect(t, "Degraded message", degraded.Message, "phase RBAC: apply Role seed: forbidden")
				expect(t, "Degraded generation", degraded.ObservedGeneration, int64(4))
			},
		},
		{
			name:   "no ring published yet keeps the (empty) ring status",
			mutate: func(c *v1alpha1.EventIngestorCluster) {},
			o:      observation{Partitions: 3, Err: errors.New("phase Ring: boom")},
			check: func(t *testing.T, st v1alpha1.EventIngestorClusterStatus) {
				expect(t, "ring", st.Ring, v1alpha1.RingStatus{})
				expect(t, "observedGeneration", st.ObservedGeneration, int64(0))
				expect(t, "Available reason", meta.FindStatusCondition(st.Conditions, v1alpha1.ConditionAvailable).Reason, v1alpha1.ReasonStatefulSetMissing)
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			mutate := tt.mutate
			if mutate == nil {
				mutate = func(*v1alpha1.EventIngestorCluster) {}
			}
			c := newCluster("seed", "ns", mutate)
			before := c.Status.DeepCopy()
			st := computeStatus(c, tt.o, t1)
			tt.check(t, st)
			expectJSON(t, "input status (must not change)", c.Status, *before)
		})
	}
}
