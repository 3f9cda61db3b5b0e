package controllers

import (
	"fmt"

	appsv1 "k8s.io/api/apps/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/eventingestor/eventingestor/api/v1alpha1"
	"github.com/eventingestor/eventingestor/ingestor/ring"
)

// maxConditionMessage bounds condition messages (error texts can be long).
const maxConditionMessage = 1024

// Each function below computes one condition from an observation; status.go
// stamps them with the generation and transition time and writes them.

// availableCondition is True when every partition of the published ring has
// a ready pod.
func availableCondition(o observation) metav1.Condition {
	c := metav1.Condition{Type: v1alpha1.ConditionAvailable, Status: metav1.ConditionFalse}
	want := o.wantPartitions()
	switch {
	case o.StatefulSet == nil:
		c.Reason = v1alpha1.ReasonStatefulSetMissing
		c.Message = "the StatefulSet does not exist yet"
	case o.Ring == nil:
		c.Reason = v1alpha1.ReasonPartitionsNotReady
		c.Message = "no ring is published yet"
	case o.StatefulSet.Status.ReadyReplicas >= want && specReplicas(o.StatefulSet) == want:
		c.Status = metav1.ConditionTrue
		c.Reason = v1alpha1.ReasonAllPartitionsReady
		c.Message = fmt.Sprintf("%d/%d partitions ready", want, want)
	default:
		c.Reason = v1alpha1.ReasonPartitionsNotReady
		c.Message = fmt.Sprintf("%d/%d partitions ready", min(o.StatefulSet.Status.ReadyReplicas, want), want)
	}
	return c
}

// progressingCondition is True while the StatefulSet has not finished
// creating, scaling or rolling out its pods and made them ready (the
// criteria of `kubectl rollout status`).
func progressingCondition(o observation) metav1.Condition {
	c := metav1.Condition{Type: v1alpha1.ConditionProgressing, Status: metav1.ConditionTrue}
	sts := o.StatefulSet
	want := o.wantPartitions()
	switch {
	case sts == nil:
		c.Reason = v1alpha1.ReasonStatefulSetMissing
		c.Message = "creating the StatefulSet"
	case sts.Status.ObservedGeneration < sts.Generation:
		c.Reason = v1alpha1.ReasonRollingUpdate
		c.Message = fmt.Sprintf("waiting for the StatefulSet controller to observe generation %d", sts.Generation)
	case specReplicas(sts) != want || sts.Status.Replicas != want:
		c.Reason = v1alpha1.ReasonScaling
		c.Message = fmt.Sprintf("scaling from %d to %d partition pods", sts.Status.Replicas, want)
	case sts.Status.UpdateRevision != sts.Status.CurrentRevision || sts.Status.UpdatedReplicas < want:
		c.Reason = v1alpha1.ReasonRollingUpdate
		c.Message = fmt.Sprintf("%d/%d partition pods updated to revision %s", sts.Status.UpdatedReplicas, want, sts.Status.UpdateRevision)
	case sts.Status.ReadyReplicas < want:
		c.Reason = v1alpha1.ReasonPartitionsNotReady
		c.Message = fmt.Sprintf("%d/%d partitions ready", sts.Status.ReadyReplicas, want)
	default:
		c.Status = metav1.ConditionFalse
		c.Reason = v1alpha1.ReasonRolloutComplete
		c.Message = fmt.Sprintf("%d partition pods up to date and ready", want)
	}
	return c
}

// reshardingCondition is True while the published ring is in its Handoff
// phase.
func reshardingCondition(o observation) metav1.Condition {
	c := metav1.Condition{Type: v1alpha1.ConditionResharding, Status: metav1.ConditionFalse, Reason: v1alpha1.ReasonRingStable}
	switch {
	case o.Ring == nil:
		c.Message = "no ring is published yet"
	case o.Ring.Phase == ring.PhaseHandoff:
		c.Status = metav1.ConditionTrue
		c.Reason = v1alpha1.ReasonRingHandoff
		c.Message = fmt.Sprintf("ring epoch %d hands off from %d to %d partitions", o.Ring.Epoch, o.Ring.PreviousPartitions, o.Ring.Partitions)
	default:
		c.Message = fmt.Sprintf("ring epoch %d is stable with %d partitions", o.Ring.Epoch, o.Ring.Partitions)
	}
	return c
}

// degradedCondition is True when a phase of the pass failed.
func degradedCondition(o observation) metav1.Condition {
	if o.Err == nil {
		return metav1.Condition{
			Type: v1alpha1.ConditionDegraded, Status: metav1.ConditionFalse,
			Reason: v1alpha1.ReasonReconciled, Message: "every phase reconciled",
		}
	}
	return metav1.Condition{
		Type: v1alpha1.ConditionDegraded, Status: metav1.ConditionTrue,
		Reason: v1alpha1.ReasonReconcileFailed, Message: truncate(o.Err.Error(), maxConditionMessage),
	}
}

func specReplicas(sts *appsv1.StatefulSet) int32 {
	if sts.Spec.Replicas == nil {
		return 1 // the API server's default
	}
	return *sts.Spec.Replicas
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n-3] + "..."
}
