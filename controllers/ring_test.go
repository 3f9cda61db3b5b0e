package controllers

import (
	"testing"

	corev1 "k8s.io/api/core/v1"

	"github.com/eventingestor/eventingestor/api/v1alpha1"
	"github.com/eventingestor/eventingestor/ingestor/ring"
)

func TestPublishedRing(t *testing.T) {
	stable := func(epoch uint64, p int) *ring.Ring {
		return &ring.Ring{Epoch: epoch, Partitions: p, Phase: ring.PhaseStable}
	}
	cm := func(data string) *corev1.ConfigMap {
		return &corev1.ConfigMap{Data: map[string]string{ringKey: data}}
	}
	status := func(epoch int64, p int32) v1alpha1.RingStatus {
		return v1alpha1.RingStatus{Epoch: epoch, Partitions: p, Phase: v1alpha1.RingPhaseStable}
	}
	tests := []struct {
		name   string
		cm     *corev1.ConfigMap
		status v1alpha1.RingStatus
		want   *ring.Ring
	}{
		{"nothing published", nil, v1alpha1.RingStatus{}, nil},
		{"from the ConfigMap", cm(`{"epoch":4,"partitions":5,"phase":"Stable"}`), status(4, 5), stable(4, 5)},
		{"ConfigMap ahead of the status", cm(`{"epoch":5,"partitions":2,"phase":"Stable"}`), status(4, 5), stable(5, 2)},
		{"ConfigMap deleted: the status remembers", nil, status(4, 5), stable(4, 5)},
		{"ConfigMap recreated by someone with an older epoch", cm(`{"epoch":1,"partitions":3,"phase":"Stable"}`), status(4, 5), stable(4, 5)},
		{"ConfigMap garbage", cm(`not json`), status(2, 3), stable(2, 3)},
		{"ConfigMap garbage, no status", cm(`{"epoch":0}`), v1alpha1.RingStatus{}, nil},
		{"ConfigMap without ring.json", &corev1.ConfigMap{}, status(2, 3), stable(2, 3)},
		{"invalid status ignored", nil, v1alpha1.RingStatus{Epoch: 3, Partitions: 0}, nil},
		{
			"handoff ring kept", cm(`{"epoch":7,"partitions":5,"phase":"Handoff","previousPartitions":4}`), status(6, 4),
			&ring.Ring{Epoch: 7, Partitions: 5, Phase: ring.PhaseHandoff, PreviousPartitions: 4},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := publishedRing(tt.cm, tt.status)
			switch {
			case got == nil && tt.want == nil:
			case got == nil || tt.want == nil || *got != *tt.want:
				t.Fatalf("publishedRing = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestDesiredRing(t *testing.T) {
	tests := []struct {
		name       string
		published  *ring.Ring
		partitions int32
		want       ring.Ring
	}{
		{"first ring", nil, 3, ring.Ring{Epoch: 1, Partitions: 3, Phase: ring.PhaseStable}},
		{"unchanged", &ring.Ring{Epoch: 4, Partitions: 3, Phase: ring.PhaseStable}, 3, ring.Ring{Epoch: 4, Partitions: 3, Phase: ring.PhaseStable}},
		{"grow", &ring.Ring{Epoch: 1, Partitions: 3, Phase: ring.PhaseStable}, 5, ring.Ring{Epoch: 2, Partitions: 5, Phase: ring.PhaseStable}},
		{"shrink", &ring.Ring{Epoch: 2, Partitions: 5, Phase: ring.PhaseStable}, 2, ring.Ring{Epoch: 3, Partitions: 2, Phase: ring.PhaseStable}},
		{
			"a handoff ring is completed as a new stable epoch",
			&ring.Ring{Epoch: 7, Partitions: 5, Phase: ring.PhaseHandoff, PreviousPartitions: 4}, 5,
			ring.Ring{Epoch: 8, Partitions: 5, Phase: ring.PhaseStable},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := desiredRing(tt.published, tt.partitions)
			if got != tt.want {
				t.Fatalf("desiredRing = %v, want %v", got, tt.want)
			}
			if err := got.Validate(); err != nil {
				t.Fatalf("desired ring is invalid: %v", err)
			}
		})
	}
}

func TestEncodeRing(t *testing.T) {
	tests := []struct {
		ring    ring.Ring
		want    string
		wantErr bool
	}{
		{ring.Ring{Epoch: 1, Partitions: 3, Phase: ring.PhaseStable}, `{"epoch":1,"partitions":3,"phase":"Stable"}`, false},
		{ring.Ring{Epoch: 7, Partitions: 5, Phase: ring.PhaseHandoff, PreviousPartitions: 4}, `{"epoch":7,"partitions":5,"phase":"Handoff","previousPartitions":4}`, false},
		{ring.Ring{Epoch: 0, Partitions: 3, Phase: ring.PhaseStable}, "", true},
		{ring.Ring{Epoch: 1, Partitions: 1025, Phase: ring.PhaseStable}, "", true},
	}
	for _, tt := range tests {
		got, err := encodeRing(tt.ring)
		if (err != nil) != tt.wantErr || got != tt.want {
			t.Errorf("encodeRing(%v) = %q, %v; want %q, error %v", tt.ring, got, err, tt.want, tt.wantErr)
		}
		if err == nil {
			back, perr := ring.Parse([]byte(got))
			if perr != nil || back != tt.ring {
				t.Errorf("ring.Parse(%s) = %v, %v; want %v", got, back, perr, tt.ring)
			}
		}
	}
}

func TestRingStatusRoundTrip(t *testing.T) {
	for _, r := range []ring.Ring{
		{Epoch: 1, Partitions: 3, Phase: ring.PhaseStable},
		{Epoch: 9, Partitions: 1024, Phase: ring.PhaseHandoff, PreviousPartitions: 1},
	} {
		got := ringFromStatus(ringStatus(r))
		if got == nil || *got != r {
			t.Errorf("ringFromStatus(ringStatus(%v)) = %v", r, got)
		}
	}
}
