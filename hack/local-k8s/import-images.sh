#!/usr/bin/env bash
# Imports image tarballs (docker save layout, e.g. from hack/image) into the containerd of the local
# cluster (namespace k8s.io, where the kubelet finds them):
#
#   hack/local-k8s/import-images.sh bin/e2e/images/eventingestor-e2e.tar
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
need_root
[[ $# -gt 0 ]] || { echo "usage: hack/local-k8s/import-images.sh IMAGE.tar..." >&2; exit 2; }
containerd_up || { echo "local-k8s: the local cluster's containerd is not running (make cluster-up)" >&2; exit 1; }
for tar in "$@"; do
  ctr_cmd images import "${tar}" >/dev/null || { echo "local-k8s: importing ${tar} failed" >&2; exit 1; }
  log "imported ${tar}"
done
ctr_cmd images ls -q | grep -v '^sha256:' | sed 's/^/  /' >&2
