// Package e2e is the end-to-end suite: EventIngestor on a real single-node
// Kubernetes cluster built and started on this machine (hack/local-k8s).
//
// The suite's files carry the build tag e2e, so that `go test ./...` and
// `make test` leave it out; `make e2e` brings the cluster up, imports the
// image, runs it and tears the cluster down:
//
//	make e2e
//
// or, against a cluster already up (make cluster-up image):
//
//	E2E_KUSTOMIZE=bin/tools/kustomize-v5.7.1 E2E_HELM=bin/tools/helm-v3.22.0 \
//	    go test -tags e2e -count=1 -timeout 40m -v ./test/e2e -args -ginkgo.v
//
// What it does, in order (one Ordered container; each step prints its
// timing, and the suite ends with a summary of bring-up time, CR→Available
// time and the bench figures):
//
//  1. Helm: installs the chart (CRD and operator), runs a one-partition
//     cluster with it and sends it a small load, then uninstalls it and
//     deletes the CRD.
//  2. Kustomize: installs config/default (its image set with `kustomize
//     edit set image` in a copy of config/) and waits for the operator.
//  3. Applies the sample cluster seed-files (3 partitions, partitionKey
//     user_id, file sink on each partition's volume) and waits with
//     `kubectl wait --for=condition=Available`; checks the printer columns.
//  4. Sends the seed's stress test (100,000 events, 2,000 concurrent
//     senders, `eventingestor bench --record`) to the cluster's Service
//     ClusterIP from the host, then runs `eventingestor verify` over the
//     sink files read from the volumes on the host: 0 lost, 0 reordered.
//  5. `kubectl scale eic/seed-files --replicas=5` during a second run: two
//     pods join, the ring epoch moves, the run goes on and verifies clean.
//  6. `kubectl delete pod --grace-period=0 --force` of a partition during a
//     third run: the StatefulSet brings it back, its WAL is recovered from
//     its volume, and every acknowledged event reaches the sink.
//  7. SIGKILLs the process of another partition during a fourth run (as an
//     OOM kill would, with no chance to flush): the kubelet restarts it in
//     the same pod, its WAL replays the acknowledged, unflushed events.
//  8. Deletes the cluster: everything it owned is garbage-collected (its
//     volumes are kept, by design, until their claims are deleted).
//
// The suite fails, and never skips, when the cluster is unreachable.
package e2e
