package controllers

import (
	"errors"
	"strings"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"

	"github.com/eventingestor/eventingestor/api/v1alpha1"
	"github.com/eventingestor/eventingestor/ingestor/ring"
)

// stsState builds a StatefulSet as the StatefulSet controller reports it.
type stsState struct {
	generation, observed            int64
	spec, replicas, ready, updated  int32
	currentRevision, updateRevision string
}

func (s stsState) build() *appsv1.StatefulSet {
	sts := &appsv1.StatefulSet{}
	sts.Generation = s.generation
	sts.Spec.Replicas = ptr.To(s.spec)
	sts.Status = appsv1.StatefulSetStatus{
		ObservedGeneration: s.observed, Replicas: s.replicas, ReadyReplicas: s.ready, UpdatedReplicas: s.updated,
		CurrentRevision: s.currentRevision, UpdateRevision: s.updateRevision,
	}
	return sts
}

// settled is a StatefulSet of n ready pods, fully rolled out.
func settled(n int32) stsState {
	return stsState{generation: 2, observed: 2, spec: n, replicas: n, ready: n, updated: n, currentRevision: "r1", updateRevision: "r1"}
}

func stableRing(epoch uint64, p int) *ring.Ring {
	return &ring.Ring{Epoch: epoch, Partitions: p, Phase: ring.PhaseStable}
}

func TestAvailableCondition(t *testing.T) {
	notReady := settled(3)
	notReady.ready = 2
	scaledDown := settled(5) // 5 pods ready, ring and spec already at 2
	scaledDown.spec = 2
	tests := []struct {
		name        string
		o           observation
		wantStatus  metav1.ConditionStatus
		wantReason  string
		wantMessage string
	}{
		{"no StatefulSet", observation{Partitions: 3, Ring: stableRing(1, 3)}, metav1.ConditionFalse, v1alpha1.ReasonStatefulSetMissing, "the StatefulSet does not exist yet"},
		{"no ring", observation{Partitions: 3, StatefulSet: settled(3).build()}, metav1.ConditionFalse, v1alpha1.ReasonPartitionsNotReady, "no ring is published yet"},
		{"all ready", observation{Partitions: 3, Ring: stableRing(1, 3), StatefulSet: settled(3).build()}, metav1.ConditionTrue, v1alpha1.ReasonAllPartitionsReady, "3/3 partitions ready"},
		{"one not ready", observation{Partitions: 3, Ring: stableRing(1, 3), StatefulSet: notReady.build()}, metav1.ConditionFalse, v1alpha1.ReasonPartitionsNotReady, "2/3 partitions ready"},
		{"grown ring, old pods", observation{Partitions: 5, Ring: stableRing(2, 5), StatefulSet: settled(3).build()}, metav1.ConditionFalse, v1alpha1.ReasonPartitionsNotReady, "3/5 partitions ready"},
		{"shrunk ring, departing pods still there", observation{Partitions: 2, Ring: stableRing(3, 2), StatefulSet: scaledDown.build()}, metav1.ConditionTrue, v1alpha1.ReasonAllPartitionsReady, "2/2 partitions ready"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			checkCondition(t, availableCondition(tt.o), v1alpha1.ConditionAvailable, tt.wantStatus, tt.wantReason, tt.wantMessage)
		})
	}
}

func TestProgressingCondition(t *testing.T) {
	unobserved := settled(3)
	unobserved.observed = 1
	scaling := settled(3)
	scaling.spec = 5
	rolling := settled(3)
	rolling.updateRevision, rolling.updated = "r2", 1
	starting := settled(3)
	starting.ready = 0
	tests := []struct {
		name        string
		o           observation
		wantStatus  metav1.ConditionStatus
		wantReason  string
		wantMessage string
	}{
		{"no StatefulSet", observation{Partitions: 3}, metav1.ConditionTrue, v1alpha1.ReasonStatefulSetMissing, "creating the StatefulSet"},
		{"new generation not observed", observation{Ring: stableRing(1, 3), StatefulSet: unobserved.build()}, metav1.ConditionTrue, v1alpha1.ReasonRollingUpdate, "waiting for the StatefulSet controller to observe generation 2"},
		{"scaling", observation{Ring: stableRing(2, 5), StatefulSet: scaling.build()}, metav1.ConditionTrue, v1alpha1.ReasonScaling, "scaling from 3 to 5 partition pods"},
		{"StatefulSet not yet resized", observation{Ring: stableRing(2, 5), StatefulSet: settled(3).build()}, metav1.ConditionTrue, v1alpha1.ReasonScaling, "scaling from 3 to 5 partition pods"},
		{"rolling update", observation{Ring: stableRing(1, 3), StatefulSet: rolling.build()}, metav1.ConditionTrue, v1alpha1.ReasonRollingUpdate, "1/3 partition pods updated to revision r2"},
		{"pods starting", observation{Ring: stableRing(1, 3), StatefulSet: starting.build()}, metav1.ConditionTrue, v1alpha1.ReasonPartitionsNotReady, "0/3 partitions ready"},
		{"complete", observation{Ring: stableRing(1, 3), StatefulSet: settled(3).build()}, metav1.ConditionFalse, v1alpha1.ReasonRolloutComplete, "3 partition pods up to date and ready"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			checkCondition(t, progressingCondition(tt.o), v1alpha1.ConditionProgressing, tt.wantStatus, tt.wantReason, tt.wantMessage)
		})
	}
}

func TestReshardingCondition(t *testing.T) {
	tests := []struct {
		name        string
		ring        *ring.Ring
		wantStatus  metav1.ConditionStatus
		wantReason  string
		wantMessage string
	}{
		{"no ring", nil, metav1.ConditionFalse, v1alpha1.ReasonRingStable, "no ring is published yet"},
		{"stable", stableRing(4, 5), metav1.ConditionFalse, v1alpha1.ReasonRingStable, "ring epoch 4 is stable with 5 partitions"},
		{
			"handoff", &ring.Ring{Epoch: 5, Partitions: 6, Phase: ring.PhaseHandoff, PreviousPartitions: 5},
			metav1.ConditionTrue, v1alpha1.ReasonRingHandoff, "ring epoch 5 hands off from 5 to 6 partitions",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			checkCondition(t, reshardingCondition(observation{Ring: tt.ring}), v1alpha1.ConditionResharding, tt.wantStatus, tt.wantReason, tt.wantMessage)
		})
	}
}

func TestDegradedCondition(t *testing.T) {
	long := errors.New(strings.Repeat("x", 5000))
	tests := []struct {
		name        string
		err         error
		wantStatus  metav1.ConditionStatus
		wantReason  string
		wantMessage string
	}{
		{"success", nil, metav1.ConditionFalse, v1alpha1.ReasonReconciled, "every phase reconciled"},
		{"failure", errors.New("phase StatefulSet: apply StatefulSet seed: forbidden"), metav1.ConditionTrue, v1alpha1.ReasonReconcileFailed, "phase StatefulSet: apply StatefulSet seed: forbidden"},
		{"long error truncated", long, metav1.ConditionTrue, v1alpha1.ReasonReconcileFailed, strings.Repeat("x", maxConditionMessage-3) + "..."},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			checkCondition(t, degradedCondition(observation{Err: tt.err}), v1alpha1.ConditionDegraded, tt.wantStatus, tt.wantReason, tt.wantMessage)
		})
	}
}

func checkCondition(t *testing.T, c metav1.Condition, wantType string, wantStatus metav1.ConditionStatus, wantReason, wantMessage string) {
	t.Helper()
	if c.Type != wantType || c.Status != wantStatus || c.Reason != wantReason || c.Message != wantMessage {
		t.Errorf("condition = %s=%s %s %q\n         want %s=%s %s %q", c.Type, c.Status, c.Reason, c.Message, wantType, wantStatus, wantReason, wantMessage)
	}
}
