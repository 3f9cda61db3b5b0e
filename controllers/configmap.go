package controllers

import (
	"strconv"

	corev1ac "k8s.io/client-go/applyconfigurations/core/v1"

	"github.com/eventingestor/eventingestor/api/v1alpha1"
	"github.com/eventingestor/eventingestor/ingestor/ring"
)

// ringKey is the ConfigMap key holding the ring; the pods read it from
// ringMountPath/ringKey.
const ringKey = "ring.json"

// Annotations of the ring ConfigMap that repeat ring.json for people and
// tools; ring.json is the contract with the pods.
const (
	annotationRingEpoch      = "ingest.eventingestor.io/ring-epoch"
	annotationRingPartitions = "ingest.eventingestor.io/ring-partitions"
	annotationRingPhase      = "ingest.eventingestor.io/ring-phase"
)

// componentRing is the component label of the ring ConfigMap.
const componentRing = "ring"

// ringConfigMap builds ConfigMap NAME-ring publishing r to the pods.
func ringConfigMap(c *v1alpha1.EventIngestorCluster, r ring.Ring) (*corev1ac.ConfigMapApplyConfiguration, error) {
	data, err := encodeRing(r)
	if err != nil {
		return nil, err
	}
	return corev1ac.ConfigMap(c.RingConfigMapName(), c.Namespace).
		WithLabels(objectLabels(c, map[string]string{v1alpha1.LabelComponent: componentRing})).
		WithAnnotations(map[string]string{
			annotationRingEpoch:      strconv.FormatUint(r.Epoch, 10),
			annotationRingPartitions: strconv.Itoa(r.Partitions),
			annotationRingPhase:      string(r.Phase),
		}).
		WithOwnerReferences(ownerReference(c)).
		WithData(map[string]string{ringKey: data}), nil
}
