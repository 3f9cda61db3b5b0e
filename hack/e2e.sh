#!/usr/bin/env bash
# `make e2e`: the end-to-end suite on a real single-node Kubernetes built on this machine.
#
#   1. Debian packages (hack/local-k8s/install-deps.sh; nothing is installed when present)
#   2. Kubernetes binaries (hack/build-k8s-binaries.sh: cached under bin/, ~18 min cold)
#   3. hack/local-k8s/up.sh (over the leftovers of any earlier run), `make image`
#   4. test/e2e (go test -tags e2e)
#   5. always: hack/local-k8s/down.sh, then hack/local-k8s/check-clean.sh against a snapshot taken
#      before the bring-up; on failure the tail of every component's log is printed and all the
#      logs are kept in bin/e2e/logs
#
# Environment (the Makefile sets the first two): KUSTOMIZE, HELM (binaries), E2E_IMAGE,
# E2E_KEEP_CLUSTER=1 (leave the cluster up afterwards; make cluster-down removes it).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "${ROOT}"
: "${KUSTOMIZE:?set KUSTOMIZE (make e2e does)}" "${HELM:?set HELM (make e2e does)}"
E2E_IMAGE="${E2E_IMAGE:-docker.io/library/eventingestor:e2e}"
MAKE="${MAKE:-make}"
OUT="${ROOT}/bin/e2e"
T0=${SECONDS}

step() { printf '\n=== e2e: %s (%s, +%ds)\n' "$*" "$(date -u +%H:%M:%S)" "$((SECONDS - T0))"; }

[[ ${EUID} -eq 0 ]] || { echo "e2e: must run as root (it starts a kubelet, containerd and iptables rules)" >&2; exit 1; }
mkdir -p "${OUT}"
rm -rf "${OUT}/logs" "${OUT}/summary.txt" "${OUT}/before"

step "Debian packages"
hack/local-k8s/install-deps.sh

step "Kubernetes binaries (cached under bin/ by version)"
t=${SECONDS}
nice -n 10 hack/build-k8s-binaries.sh
echo "binaries ready in $((SECONDS - t)) s"

# shellcheck source-path=SCRIPTDIR source=local-k8s/lib.sh
. hack/local-k8s/lib.sh

step "leftovers of an earlier run, then a snapshot of the machine"
if [[ -e "${STATE}" ]] || ip link show "${NODE_BRIDGE}" >/dev/null 2>&1 || ip link show "${POD_BRIDGE}" >/dev/null 2>&1; then
  hack/local-k8s/down.sh
fi
hack/local-k8s/check-clean.sh --snapshot "${OUT}/before"

finish() {
  local status=$?
  set +e
  if [[ ${status} -ne 0 ]]; then
    echo "e2e: FAILED (exit ${status}); the components' logs end with:" >&2
    dump_logs 40
  fi
  if [[ "${E2E_KEEP_CLUSTER:-0}" == 1 ]]; then
    step "cluster kept (E2E_KEEP_CLUSTER=1): KUBECONFIG=${KUBECONFIG_ADMIN}; make cluster-down removes it"
  else
    step "cluster down"
    EIE2E_LOG_ARCHIVE="${OUT}/logs" hack/local-k8s/down.sh || status=1
    hack/local-k8s/check-clean.sh "${OUT}/before" || status=1
  fi
  [[ -f "${OUT}/summary.txt" ]] && { echo; cat "${OUT}/summary.txt"; }
  echo "e2e: $([[ ${status} -eq 0 ]] && echo PASSED || echo FAILED) in $((SECONDS - T0)) s"
  exit "${status}"
}
trap finish EXIT

step "cluster up"
t=${SECONDS}
hack/local-k8s/up.sh >/dev/null
echo "cluster up in $((SECONDS - t)) s"

step "image"
"${MAKE}" --no-print-directory image E2E_IMAGE="${E2E_IMAGE}"

step "suite (test/e2e)"
# Compile niced (the Go build cache keeps it); the run itself waits on the cluster, and niced
# its load generator like the cluster's processes.
nice -n 10 go test -tags e2e -count=1 -run '^$' ./test/e2e >/dev/null
E2E_STATE="${STATE}" E2E_KUSTOMIZE="${KUSTOMIZE}" E2E_HELM="${HELM}" E2E_IMAGE="${E2E_IMAGE}" \
  E2E_BINARY="${OUT}/eventingestor" E2E_SUMMARY="${OUT}/summary.txt" \
  go test -tags e2e -count=1 -timeout 45m -v ./test/e2e -args -ginkgo.v -ginkgo.no-color
