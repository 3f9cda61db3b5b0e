package controllers

import (
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/eventingestor/eventingestor/api/v1alpha1"
)

// Reasons and actions of the Kubernetes Events about a cluster.
const (
	reasonCreated         = "Created"
	reasonScaled          = "Scaled"
	reasonReconcileFailed = "ReconcileFailed"
	reasonAvailable       = "Available"
	reasonUnavailable     = "Unavailable"

	actionCreate    = "Create"
	actionScale     = "Scale"
	actionReconcile = "Reconcile"
)

type event struct {
	eventType, reason, note string
}

// availabilityEvent is the Event that marks a change of the Available
// condition from before to after, if it changed: Normal when the cluster
// became available, Warning when it stopped being available.
func availabilityEvent(before, after []metav1.Condition) (event, bool) {
	now := meta.FindStatusCondition(after, v1alpha1.ConditionAvailable)
	if now == nil {
		return event{}, false
	}
	was := meta.FindStatusCondition(before, v1alpha1.ConditionAvailable)
	switch {
	case now.Status == metav1.ConditionTrue && (was == nil || was.Status != metav1.ConditionTrue):
		return event{corev1.EventTypeNormal, reasonAvailable, now.Message}, true
	case now.Status != metav1.ConditionTrue && was != nil && was.Status == metav1.ConditionTrue:
		return event{corev1.EventTypeWarning, reasonUnavailable, now.Message}, true
	}
	return event{}, false
}
