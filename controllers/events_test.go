package controllers

import (
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/eventingestor/eventingestor/api/v1alpha1"
)

func TestAvailabilityEvent(t *testing.T) {
	avail := func(s metav1.ConditionStatus, msg string) []metav1.Condition {
		return []metav1.Condition{{Type: v1alpha1.ConditionAvailable, Status: s, Message: msg}}
	}
	tests := []struct {
		name          string
		before, after []metav1.Condition
		want          event
		wantOK        bool
	}{
		{"no condition", nil, nil, event{}, false},
		{"first pass, not available", nil, avail(metav1.ConditionFalse, "0/3 partitions ready"), event{}, false},
		{"became available", avail(metav1.ConditionFalse, "2/3"), avail(metav1.ConditionTrue, "3/3 partitions ready"), event{corev1.EventTypeNormal, reasonAvailable, "3/3 partitions ready"}, true},
		{"available at once", nil, avail(metav1.ConditionTrue, "1/1 partitions ready"), event{corev1.EventTypeNormal, reasonAvailable, "1/1 partitions ready"}, true},
		{"stays available", avail(metav1.ConditionTrue, "3/3"), avail(metav1.ConditionTrue, "3/3"), event{}, false},
		{"lost a partition", avail(metav1.ConditionTrue, "3/3"), avail(metav1.ConditionFalse, "2/3 partitions ready"), event{corev1.EventTypeWarning, reasonUnavailable, "2/3 partitions ready"}, true},
		{"stays unavailable", avail(metav1.ConditionFalse, "1/3"), avail(metav1.ConditionFalse, "2/3"), event{}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := availabilityEvent(tt.before, tt.after)
			if got != tt.want || ok != tt.wantOK {
				t.Errorf("availabilityEvent = %+v, %v; want %+v, %v", got, ok, tt.want, tt.wantOK)
			}
		})
	}
}
