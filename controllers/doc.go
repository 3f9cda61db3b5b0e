// Package controllers is the EventIngestor operator: the reconciler of
// EventIngestorCluster objects and the controller manager that runs it.
//
// A reconcile pass runs ordered phases (phases.go): the ring ConfigMap, the
// pods' ServiceAccount/Role/RoleBinding, the headless and client Services,
// the StatefulSet and the PodDisruptionBudget. Each owned object comes from a
// pure builder function in its own file (configmap.go, serviceaccount.go,
// role.go, rolebinding.go, headless_service.go, service.go, statefulset.go
// with args.go, pdb.go) that returns a server-side-apply configuration
// holding only the fields the operator owns, so fields set by others or
// defaulted by the API server are left alone and an unchanged cluster causes
// no writes. Status is computed from what the pass observed by small pure
// functions (status.go, conditions.go) and written once per pass, with the
// resourceVersion the pass read as a precondition (a pass that read a cache
// behind the API server gets a conflict and is retried, instead of writing
// the status again with new transition times);
// status.observedGeneration advances only when every phase succeeded.
//
// Choices where DESIGN.md is silent:
//
//   - The ring ConfigMap is the source of truth for the epoch and is read
//     from the API server, not the cache; the status remembers the last
//     published ring so that a deleted ConfigMap never resets the epoch. The
//     ring is applied with its resourceVersion as a precondition.
//   - Until resharding with hand-off lands, a change of spec.partitions
//     publishes epoch+1 as Stable and resizes the StatefulSet in the same
//     pass.
//   - Pods start and stop in parallel (podManagementPolicy Parallel), and
//     volumes are retained when the cluster shrinks or is deleted: they may
//     hold acknowledged events that are not flushed yet.
//   - Conditions: Available = every partition of the published ring has a
//     ready pod; Progressing = the StatefulSet is being created, scaled or
//     rolled out, or its pods are not all ready yet (the criteria of kubectl
//     rollout status); Resharding = the ring is in phase Handoff; Degraded =
//     a phase failed (its message names the phase and the error). Conflicts
//     and shutdown are retried without marking the cluster Degraded.
//   - Events: Created (one per owned object), Scaled (new ring epoch),
//     Available/Unavailable (transitions of Available), ReconcileFailed.
//   - The manager caches only objects labeled
//     app.kubernetes.io/managed-by=eventingestor-operator, without managed
//     fields.
package controllers
