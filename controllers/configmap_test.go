package controllers

import (
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"

	"github.com/eventingestor/eventingestor/ingestor/ring"
)

func TestRingConfigMap(t *testing.T) {
	tests := []struct {
		name        string
		ring        ring.Ring
		wantData    string
		wantAnnots  map[string]string
		wantErrText string
	}{
		{
			name:     "first epoch",
			ring:     ring.Ring{Epoch: 1, Partitions: 3, Phase: ring.PhaseStable},
			wantData: `{"epoch":1,"partitions":3,"phase":"Stable"}`,
			wantAnnots: map[string]string{
				annotationRingEpoch: "1", annotationRingPartitions: "3", annotationRingPhase: "Stable",
			},
		},
		{
			name:     "later epoch",
			ring:     ring.Ring{Epoch: 12, Partitions: 1024, Phase: ring.PhaseStable},
			wantData: `{"epoch":12,"partitions":1024,"phase":"Stable"}`,
			wantAnnots: map[string]string{
				annotationRingEpoch: "12", annotationRingPartitions: "1024", annotationRingPhase: "Stable",
			},
		},
		{name: "invalid ring", ring: ring.Ring{Epoch: 1, Partitions: 0, Phase: ring.PhaseStable}, wantErrText: "partitions must be 1..1024"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := newCluster("seed", "ns")
			ac, err := ringConfigMap(c, tt.ring)
			if tt.wantErrText != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErrText) {
					t.Fatalf("err = %v, want one containing %q", err, tt.wantErrText)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			cm := typed[corev1.ConfigMap](t, ac)
			if cm.Name != "seed-ring" || cm.Namespace != "ns" {
				t.Errorf("name = %s/%s, want ns/seed-ring", cm.Namespace, cm.Name)
			}
			if len(cm.Data) != 1 || cm.Data[ringKey] != tt.wantData {
				t.Errorf("data = %v, want only %s: %s", cm.Data, ringKey, tt.wantData)
			}
			for k, v := range tt.wantAnnots {
				if cm.Annotations[k] != v {
					t.Errorf("annotation %s = %q, want %q", k, cm.Annotations[k], v)
				}
			}
			if cm.Labels["app.kubernetes.io/component"] != "ring" {
				t.Errorf("component label = %q", cm.Labels["app.kubernetes.io/component"])
			}
		})
	}
}
