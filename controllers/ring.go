package controllers

import (
	"encoding/json"
	"fmt"

	corev1 "k8s.io/api/core/v1"

	"github.com/eventingestor/eventingestor/api/v1alpha1"
	"github.com/eventingestor/eventingestor/ingestor/ring"
)

// publishedRing returns the ring the pods currently see: the ring.json of the
// ring ConfigMap (cm, nil if it does not exist). If the ConfigMap is missing
// or unreadable, or holds an older epoch than the status records (someone
// deleted or rewrote it), the ring of the status is used instead, so epochs
// never go backwards. It returns nil if neither holds a valid ring: nothing
// was published yet.
func publishedRing(cm *corev1.ConfigMap, status v1alpha1.RingStatus) *ring.Ring {
	fromStatus := ringFromStatus(status)
	if cm == nil {
		return fromStatus
	}
	r, err := ring.Parse([]byte(cm.Data[ringKey]))
	if err != nil {
		return fromStatus
	}
	if fromStatus != nil && fromStatus.Epoch > r.Epoch {
		return fromStatus
	}
	return &r
}

// desiredRing returns the ring to publish for partitions, given the published
// one: the same ring if nothing changed, otherwise the next epoch. Until the
// resharding hand-off is implemented every ring is Stable.
func desiredRing(published *ring.Ring, partitions int32) ring.Ring {
	if published == nil {
		return ring.Ring{Epoch: 1, Partitions: int(partitions), Phase: ring.PhaseStable}
	}
	if published.Partitions == int(partitions) && published.Phase == ring.PhaseStable {
		return *published
	}
	return ring.Ring{Epoch: published.Epoch + 1, Partitions: int(partitions), Phase: ring.PhaseStable}
}

// ringStatus is the status form of r.
func ringStatus(r ring.Ring) v1alpha1.RingStatus {
	return v1alpha1.RingStatus{
		Epoch:              int64(r.Epoch),
		Partitions:         int32(r.Partitions),
		Phase:              v1alpha1.RingPhase(r.Phase), // same strings
		PreviousPartitions: int32(r.PreviousPartitions),
	}
}

// ringFromStatus is the ring recorded in a status, or nil if none is.
func ringFromStatus(s v1alpha1.RingStatus) *ring.Ring {
	if s.Epoch < 1 {
		return nil
	}
	r := ring.Ring{
		Epoch:              uint64(s.Epoch),
		Partitions:         int(s.Partitions),
		Phase:              ring.Phase(s.Phase),
		PreviousPartitions: int(s.PreviousPartitions),
	}
	if r.Validate() != nil {
		return nil
	}
	return &r
}

// encodeRing is the ring.json content of r: exactly the data plane's
// ring.Ring JSON, e.g. {"epoch":1,"partitions":3,"phase":"Stable"}.
func encodeRing(r ring.Ring) (string, error) {
	if err := r.Validate(); err != nil {
		return "", err
	}
	data, err := json.Marshal(r)
	if err != nil {
		return "", fmt.Errorf("encode ring: %w", err)
	}
	return string(data), nil
}
