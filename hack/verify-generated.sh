#!/usr/bin/env bash
# Fails if `make generate manifests` changes, adds or removes any generated
# file: the deepcopy code, the CRD, the operator's RBAC and their copies in the
# Helm chart.
#
# It compares the generated paths before and after regenerating, so it works
# the same on a fresh CI clone (where "before" is what was committed), in a
# repository without commits, and with unrelated uncommitted work in the tree.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "${ROOT}"

GENERATED=(
  api/v1alpha1/zz_generated.deepcopy.go
  config/crd/bases
  config/rbac/role.yaml
  charts/eventingestor/crds
  charts/eventingestor/files/manager-role.yaml
)

before="$(mktemp -d)"
trap 'rm -rf "${before}"' EXIT
for p in "${GENERATED[@]}"; do
  if [[ -e "${p}" ]]; then
    mkdir -p "${before}/$(dirname "${p}")"
    cp -R "${p}" "${before}/${p}"
  fi
done

"${MAKE:-make}" --no-print-directory generate manifests >/dev/null

status=0
for p in "${GENERATED[@]}"; do
  if [[ ! -e "${before}/${p}" && ! -e "${p}" ]]; then
    continue
  fi
  if ! diff -ruN "${before}/${p}" "${p}" >"${before}/.diff" 2>&1; then
    status=1
    echo "verify-generated: ${p} is out of date:" >&2
    sed "s#${before}/##" "${before}/.diff" | head -n 200 >&2
  fi
done
if [[ ${status} -ne 0 ]]; then
  echo "verify-generated: run 'make generate manifests' and commit the result." >&2
  exit 1
fi
echo "verify-generated: generated files are up to date"
