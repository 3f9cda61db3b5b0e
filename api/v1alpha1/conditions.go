package v1alpha1

// Condition types of an EventIngestorCluster (status.conditions).
const (
	// ConditionAvailable is True when every partition of the published ring
	// has a ready pod, so that events of every key are accepted.
	ConditionAvailable = "Available"
	// ConditionProgressing is True while the partition pods are being
	// created, scaled or rolled out and have not all become ready.
	ConditionProgressing = "Progressing"
	// ConditionResharding is True while the ring is in its Handoff phase.
	ConditionResharding = "Resharding"
	// ConditionDegraded is True when the operator could not reconcile the
	// cluster; its message says which phase failed and why.
	ConditionDegraded = "Degraded"
)

// Condition reasons.
const (
	// ReasonAllPartitionsReady (Available=True): every partition is ready.
	ReasonAllPartitionsReady = "AllPartitionsReady"
	// ReasonPartitionsNotReady (Available=False, Progressing=True): some
	// partitions are not ready.
	ReasonPartitionsNotReady = "PartitionsNotReady"
	// ReasonStatefulSetMissing (Available=False, Progressing=True): the
	// StatefulSet does not exist (yet).
	ReasonStatefulSetMissing = "StatefulSetMissing"
	// ReasonScaling (Progressing=True): the StatefulSet's pod count differs
	// from the ring's partition count.
	ReasonScaling = "Scaling"
	// ReasonRollingUpdate (Progressing=True): pods are being replaced with a
	// new revision of the pod template.
	ReasonRollingUpdate = "RollingUpdate"
	// ReasonRolloutComplete (Progressing=False): every pod runs the current
	// template and is ready.
	ReasonRolloutComplete = "RolloutComplete"
	// ReasonRingStable (Resharding=False): the ring is in phase Stable.
	ReasonRingStable = "RingStable"
	// ReasonRingHandoff (Resharding=True): the ring is in phase Handoff.
	ReasonRingHandoff = "RingHandoff"
	// ReasonReconciled (Degraded=False): the last pass succeeded.
	ReasonReconciled = "Reconciled"
	// ReasonReconcileFailed (Degraded=True): a phase of the last pass failed.
	ReasonReconcileFailed = "ReconcileFailed"
)
