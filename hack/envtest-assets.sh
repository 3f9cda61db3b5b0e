#!/usr/bin/env bash
# Prints the directory to use as KUBEBUILDER_ASSETS (envtest's BinaryAssetsDirectory), and nothing
# else, on stdout:
#
#   export KUBEBUILDER_ASSETS="$(hack/envtest-assets.sh)"
#
# It makes sure bin/envtest/<KUBERNETES_VERSION>/ holds kube-apiserver, etcd and kubectl: hard
# links (copies across file systems) of the binaries that hack/build-k8s-binaries.sh caches under
# bin/k8s/ and bin/etcd/, building only those three if they are missing (~6 min cold on 2 cores,
# instant when cached). Progress messages go to stderr; exits non-zero if anything fails.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# shellcheck source-path=SCRIPTDIR source=k8s-versions.env
. "${ROOT}/hack/k8s-versions.env"

log() { printf '[envtest-assets] %s\n' "$*" >&2; }
die() { printf '[envtest-assets] ERROR: %s\n' "$*" >&2; exit 1; }

case "${1:-}" in
  "") ;;
  -h|--help) sed -n '2,/^set -euo/{/^set -euo/d;s/^# \{0,1\}//;p}' "${BASH_SOURCE[0]}" >&2; exit 0 ;;
  *) die "unexpected argument: $1 (usage: hack/envtest-assets.sh)" ;;
esac

ASSETS="${ROOT}/bin/envtest/${KUBERNETES_VERSION}"
declare -A SRC=(
  [kube-apiserver]="${ROOT}/bin/k8s/${KUBERNETES_VERSION}/kube-apiserver"
  [kubectl]="${ROOT}/bin/k8s/${KUBERNETES_VERSION}/kubectl"
  [etcd]="${ROOT}/bin/etcd/${ETCD_VERSION}/etcd"
)

# Build (or just validate: cache hits cost a --version run each) the three binaries. Everything the
# build script prints goes to stderr so that stdout stays the single line with the directory.
t0=${SECONDS}
"${ROOT}/hack/build-k8s-binaries.sh" kube-apiserver etcd kubectl >&2 \
  || die "building the envtest binaries failed (see the messages above)"

mkdir -p "${ASSETS}" "${ROOT}/bin/.build"
exec 9>"${ROOT}/bin/.build/envtest.lock"
command -v flock >/dev/null 2>&1 && flock 9

for name in kube-apiserver etcd kubectl; do
  src="${SRC[${name}]}"
  dst="${ASSETS}/${name}"
  [[ -x "${src}" ]] || die "${src} is missing after the build"
  if [[ -e "${dst}" ]] && { [[ "${dst}" -ef "${src}" ]] || cmp -s -- "${src}" "${dst}"; }; then
    continue
  fi
  tmp="${ASSETS}/.${name}.tmp.$$"
  rm -f -- "${tmp}"
  if ! ln -- "${src}" "${tmp}" 2>/dev/null; then
    cp -- "${src}" "${tmp}" || { rm -f -- "${tmp}"; die "cannot link or copy ${src} to ${tmp}"; }
    chmod +x "${tmp}"
  fi
  mv -f -- "${tmp}" "${dst}"
  log "${name}: ${dst#"${ROOT}/"} -> ${src#"${ROOT}/"}"
done
log "assets ready in $((SECONDS - t0)) s: kube-apiserver ${KUBERNETES_VERSION}, etcd ${ETCD_VERSION}, kubectl ${KUBERNETES_VERSION}"

printf '%s\n' "${ASSETS}"
