#!/usr/bin/env bash
# Builds the Kubernetes control-plane binaries from the Go module proxy and caches them under bin/.
#
# Usage: hack/build-k8s-binaries.sh [--force] [component...]
#
#   components: kube-apiserver kube-controller-manager kube-scheduler kubelet kube-proxy kubectl
#               etcd coredns crictl            (default, or "all": every one of them)
#   --force     rebuild even if a cached binary is present and reports the right version
#
# Output (versions from hack/k8s-versions.env):
#   bin/k8s/<KUBERNETES_VERSION>/{kube-apiserver,kube-controller-manager,kube-scheduler,kubelet,kube-proxy,kubectl}
#   bin/etcd/<ETCD_VERSION>/etcd
#   bin/coredns/<COREDNS_VERSION>/coredns
#   bin/crictl/<CRICTL_VERSION>/crictl
#   bin/.build/   throwaway Go modules the binaries are built in, and logs/<component>.log
#
# A binary is skipped when it is already there and its version command prints the pinned version.
# Each binary is linked to a temporary name and renamed into place only after its version check
# passed, so a killed build never leaves a half-written binary behind. Builds of the same tree are
# serialised with flock(1). Environment: GOCACHE, GOMODCACHE, GOPROXY, GONOSUMDB... are respected;
# GOFLAGS is replaced by "-mod=mod -buildvcs=false" (the project's own GOFLAGS, e.g. -race or -tags,
# must not leak into these builds); GOTOOLCHAIN defaults to "local"; CGO_ENABLED defaults to 0
# (set BUILD_CGO_ENABLED=1 to change). Cold build on 2 cores: ~15 min for Kubernetes, ~20 s etcd,
# ~3.5 min CoreDNS. All messages go to stderr.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# shellcheck source-path=SCRIPTDIR source=k8s-versions.env
. "${ROOT}/hack/k8s-versions.env"

BIN_DIR="${ROOT}/bin"
BUILD_DIR="${BIN_DIR}/.build"
LOG_DIR="${BUILD_DIR}/logs"

K8S_COMPONENTS=(kube-apiserver kube-controller-manager kube-scheduler kubelet kube-proxy kubectl)
ALL_COMPONENTS=("${K8S_COMPONENTS[@]}" etcd coredns crictl)

log() { printf '[build-k8s-binaries] %s\n' "$*" >&2; }
die() { printf '[build-k8s-binaries] ERROR: %s\n' "$*" >&2; exit 1; }

usage() {
  sed -n '2,/^set -euo/{/^set -euo/d;s/^# \{0,1\}//;p}' "${BASH_SOURCE[0]}" >&2
}

# ---------------------------------------------------------------------------------------------
# Arguments
FORCE=0
REQUESTED=()
for arg in "$@"; do
  case "${arg}" in
    -h|--help) usage; exit 0 ;;
    --force) FORCE=1 ;;
    all) REQUESTED+=("${ALL_COMPONENTS[@]}") ;;
    -*) die "unknown option: ${arg} (usage: hack/build-k8s-binaries.sh [--force] [component...]; --help)" ;;
    *)
      known=0
      for c in "${ALL_COMPONENTS[@]}"; do [[ "${c}" == "${arg}" ]] && known=1; done
      [[ ${known} == 1 ]] || die "unknown component: ${arg} (known: ${ALL_COMPONENTS[*]}; --help for usage)"
      REQUESTED+=("${arg}")
      ;;
  esac
done
[[ ${#REQUESTED[@]} -gt 0 ]] || REQUESTED=("${ALL_COMPONENTS[@]}")
# De-duplicate, keeping the canonical order.
COMPONENTS=()
for c in "${ALL_COMPONENTS[@]}"; do
  for r in "${REQUESTED[@]}"; do
    if [[ "${c}" == "${r}" ]]; then COMPONENTS+=("${c}"); break; fi
  done
done

# ---------------------------------------------------------------------------------------------
# Pinned versions sanity
for v in KUBERNETES_VERSION KUBERNETES_STAGING_VERSION KUBERNETES_STAGING_MODULES KUBERNETES_GIT_COMMIT \
         KUBERNETES_BUILD_DATE ETCD_VERSION COREDNS_VERSION CRICTL_VERSION BUILD_GO_VERSION; do
  [[ -n "${!v:-}" ]] || die "${v} is not set in hack/k8s-versions.env"
done
[[ "${KUBERNETES_VERSION}" =~ ^v1\.([0-9]+)\.([0-9]+)$ ]] \
  || die "KUBERNETES_VERSION must look like v1.MINOR.PATCH, got ${KUBERNETES_VERSION}"
K8S_MAJOR=1
K8S_MINOR="${BASH_REMATCH[1]}"
[[ "${KUBERNETES_STAGING_VERSION}" == "v0.${BASH_REMATCH[1]}.${BASH_REMATCH[2]}" ]] \
  || die "KUBERNETES_STAGING_VERSION (${KUBERNETES_STAGING_VERSION}) does not match KUBERNETES_VERSION (${KUBERNETES_VERSION}); expected v0.${BASH_REMATCH[1]}.${BASH_REMATCH[2]}"

K8S_OUT="${BIN_DIR}/k8s/${KUBERNETES_VERSION}"
ETCD_OUT="${BIN_DIR}/etcd/${ETCD_VERSION}"
COREDNS_OUT="${BIN_DIR}/coredns/${COREDNS_VERSION}"
CRICTL_OUT="${BIN_DIR}/crictl/${CRICTL_VERSION}"

out_path() {
  case "$1" in
    etcd) echo "${ETCD_OUT}/etcd" ;;
    coredns) echo "${COREDNS_OUT}/coredns" ;;
    crictl) echo "${CRICTL_OUT}/crictl" ;;
    *) echo "${K8S_OUT}/$1" ;;
  esac
}

# Prints the line the version command of a component must print (exactly, as one whole line).
expected_version_line() {
  case "$1" in
    kubectl) echo "Client Version: ${KUBERNETES_VERSION}" ;;
    etcd) echo "etcd Version: ${ETCD_VERSION#v}" ;;
    coredns) echo "CoreDNS-${COREDNS_VERSION#v}" ;;
    crictl) echo "crictl version ${CRICTL_VERSION}" ;;
    *) echo "Kubernetes ${KUBERNETES_VERSION}" ;;
  esac
}

# Runs the version command of component $1 for binary $2; prints its output.
run_version() {
  local bin="$2"
  local -a cmd
  case "$1" in
    kubectl) cmd=("${bin}" version --client) ;;
    coredns) cmd=("${bin}" -version) ;;
    *) cmd=("${bin}" --version) ;;
  esac
  if command -v timeout >/dev/null 2>&1; then
    timeout 60 "${cmd[@]}" 2>&1 </dev/null
  else
    "${cmd[@]}" 2>&1 </dev/null
  fi
}

# True when binary $2 of component $1 exists and reports the pinned version.
version_ok() {
  local out
  [[ -f "$2" && -x "$2" ]] || return 1
  out="$(run_version "$1" "$2")" || return 1
  grep -qxF -- "$(expected_version_line "$1")" <<<"${out}"
}

# ---------------------------------------------------------------------------------------------
# What is missing? (Cache hits need no Go toolchain at all.)
declare -A RESULT=() SECS=()
TODO=()
for c in "${COMPONENTS[@]}"; do
  if [[ ${FORCE} == 0 ]] && version_ok "${c}" "$(out_path "${c}")"; then
    RESULT[${c}]=cached; SECS[${c}]=0
  else
    TODO+=("${c}")
  fi
done

print_summary() {
  local c
  log "summary:"
  printf '  %-24s %-10s %-8s %s\n' component version result seconds >&2
  for c in "${COMPONENTS[@]}"; do
    local v
    case "${c}" in
      etcd) v="${ETCD_VERSION}" ;; coredns) v="${COREDNS_VERSION}" ;; crictl) v="${CRICTL_VERSION}" ;;
      *) v="${KUBERNETES_VERSION}" ;;
    esac
    printf '  %-24s %-10s %-8s %s\n' "${c}" "${v}" "${RESULT[${c}]:-not-built}" "${SECS[${c}]:--}" >&2
    [[ -n "${RESULT[${c}]:-}" && "${RESULT[${c}]}" != failed ]] && printf '      %s\n' "$(out_path "${c}")" >&2
  done
  return 0
}

if [[ ${#TODO[@]} -eq 0 ]]; then
  log "all requested binaries are cached: ${COMPONENTS[*]}"
  print_summary
  exit 0
fi

# ---------------------------------------------------------------------------------------------
# Go environment
if ! command -v go >/dev/null 2>&1; then
  [[ -x /usr/local/go/bin/go ]] && export PATH="/usr/local/go/bin:${PATH}"
fi
command -v go >/dev/null 2>&1 || die "the go command was not found on PATH (Go >= ${BUILD_GO_VERSION} is needed)"

export GOTOOLCHAIN="${GOTOOLCHAIN:-local}"
export GOFLAGS="-mod=mod -buildvcs=false"
export GOWORK=off
export CGO_ENABLED="${BUILD_CGO_ENABLED:-0}"
# The binaries must run on this machine (their version is checked before they are cached).
unset GOOS GOARCH

GO_VERSION="$(go env GOVERSION)" || die "'go env GOVERSION' failed"
ver_ge() { # ver_ge A B: A >= B for dotted numeric versions
  local -a a b; local i
  IFS=. read -r -a a <<<"$1"
  IFS=. read -r -a b <<<"$2"
  for i in 0 1 2; do
    (( ${a[i]:-0} > ${b[i]:-0} )) && return 0
    (( ${a[i]:-0} < ${b[i]:-0} )) && return 1
  done
  return 0
}
gv="${GO_VERSION#go}"; gv="${gv%%[!0-9.]*}"
ver_ge "${gv}" "${BUILD_GO_VERSION}" \
  || die "Go ${GO_VERSION} is too old: these modules need Go >= ${BUILD_GO_VERSION} (or set GOTOOLCHAIN)"

mkdir -p "${BUILD_DIR}" "${LOG_DIR}"

# One build at a time per tree (other shells, CI steps, envtest-assets.sh).
if command -v flock >/dev/null 2>&1; then
  exec 9>"${BUILD_DIR}/build.lock"
  if ! flock -n 9; then
    log "another build holds ${BUILD_DIR}/build.lock; waiting for it..."
    flock 9
  fi
  # Someone else may have built what we need meanwhile.
  still=()
  for c in "${TODO[@]}"; do
    if [[ ${FORCE} == 0 ]] && version_ok "${c}" "$(out_path "${c}")"; then
      RESULT[${c}]=cached; SECS[${c}]=0
    else
      still+=("${c}")
    fi
  done
  TODO=("${still[@]+"${still[@]}"}")
  if [[ ${#TODO[@]} -eq 0 ]]; then
    log "another build produced everything requested meanwhile"
    print_summary
    exit 0
  fi
else
  log "warning: flock(1) not found; concurrent builds of this tree are not serialised"
fi

TMP_FILES=()
cleanup() {
  local f
  for f in "${TMP_FILES[@]+"${TMP_FILES[@]}"}"; do rm -f -- "${f}"; done
}
trap cleanup EXIT
trap 'log "interrupted"; exit 130' INT TERM

# Leftovers of killed builds (we hold the lock, so nobody else is writing them).
for d in "${K8S_OUT}" "${ETCD_OUT}" "${COREDNS_OUT}" "${CRICTL_OUT}"; do
  if [[ -d "${d}" ]]; then
    find "${d}" -maxdepth 1 -name '.*.tmp.*' -type f -delete 2>/dev/null || true
  fi
done

log "go: ${GO_VERSION} ($(command -v go)), GOTOOLCHAIN=${GOTOOLCHAIN}, CGO_ENABLED=${CGO_ENABLED}"
log "GOCACHE=$(go env GOCACHE) GOMODCACHE=$(go env GOMODCACHE) GOPROXY=$(go env GOPROXY)"
log "to build: ${TODO[*]}"

# Runs "$@" with output to log file $1 (first arg); on failure prints the tail of the log and dies.
run_logged() {
  local logfile="$1" what="$2"; shift 2
  if ! "$@" >>"${logfile}" 2>&1; then
    log "${what} failed; last lines of ${logfile}:"
    tail -n 60 "${logfile}" | sed 's/^/    /' >&2
    die "${what} failed (full log: ${logfile})"
  fi
}

# prepare_module DIR NAME: DIR holds go.mod.in (the generated go.mod) and source files already
# written by the caller; (re)creates go.mod/go.sum with `go mod tidy` when go.mod.in changed since
# the last successful preparation.
prepare_module() {
  local dir="$1" name="$2" stamp want
  stamp="${dir}/.prepared"
  want="$(cat "${dir}/go.mod.in" "${dir}"/*.go | cksum)"
  if [[ -f "${stamp}" && -f "${dir}/go.mod" && -f "${dir}/go.sum" && "$(cat "${stamp}")" == "${want}" ]]; then
    return 0
  fi
  rm -f "${stamp}" "${dir}/go.sum"
  cp "${dir}/go.mod.in" "${dir}/go.mod"
  local t0=${SECONDS}
  log "${name}: resolving modules (go mod tidy in ${dir#"${ROOT}/"})..."
  : >"${LOG_DIR}/${name}-tidy.log"
  (cd "${dir}" && run_logged "${LOG_DIR}/${name}-tidy.log" "go mod tidy for ${name}" go mod tidy)
  printf '%s\n' "${want}" >"${stamp}"
  log "${name}: modules ready in $((SECONDS - t0)) s"
}

# write_if_changed FILE CONTENT
write_if_changed() {
  if [[ ! -f "$1" ]] || [[ "$(cat "$1")" != "$2" ]]; then
    printf '%s\n' "$2" >"$1"
  fi
}

# build_one COMPONENT MODULE_DIR PACKAGE LDFLAGS
build_one() {
  local c="$1" dir="$2" pkg="$3" ldflags="$4"
  local out tmp logfile t0 vout
  out="$(out_path "${c}")"
  mkdir -p "$(dirname "${out}")"
  tmp="$(dirname "${out}")/.${c}.tmp.$$"
  TMP_FILES+=("${tmp}")
  logfile="${LOG_DIR}/${c}.log"
  : >"${logfile}"
  log "${c}: building ${pkg} -> ${out#"${ROOT}/"} (log: ${logfile#"${ROOT}/"})"
  t0=${SECONDS}
  RESULT[${c}]=failed
  (cd "${dir}" && run_logged "${logfile}" "go build of ${c}" \
      go build -trimpath -ldflags "${ldflags}" -o "${tmp}" "${pkg}")
  if ! version_ok "${c}" "${tmp}"; then
    vout="$(run_version "${c}" "${tmp}" || true)"
    die "${c}: freshly built binary does not report '$(expected_version_line "${c}")'; it printed: ${vout}"
  fi
  mv -f -- "${tmp}" "${out}"
  SECS[${c}]=$((SECONDS - t0))
  RESULT[${c}]=built
  log "${c}: built in ${SECS[${c}]} s"
}

need() { local c; for c in "${TODO[@]+"${TODO[@]}"}"; do [[ "${c}" == "$1" ]] && return 0; done; return 1; }
need_any_k8s() { local c; for c in "${K8S_COMPONENTS[@]}"; do need "${c}" && return 0; done; return 1; }

on_exit() {
  local rc=$?
  cleanup
  [[ ${rc} == 0 ]] || print_summary
  exit "${rc}"
}
trap on_exit EXIT

# ---------------------------------------------------------------------------------------------
# Kubernetes
if need_any_k8s; then
  dir="${BUILD_DIR}/k8s-${KUBERNETES_VERSION}"
  mkdir -p "${dir}"
  t0=${SECONDS}

  # Check the pinned staging-module list against k8s.io/kubernetes' own go.mod.
  log "kubernetes: checking the staging modules of k8s.io/kubernetes@${KUBERNETES_VERSION}..."
  probe="${BUILD_DIR}/probe"
  mkdir -p "${probe}"
  printf 'module eventingestor.local/build/probe\n\ngo %s\n' "${BUILD_GO_VERSION}" >"${probe}/go.mod"
  : >"${LOG_DIR}/kubernetes-download.log"
  (cd "${probe}" && run_logged "${LOG_DIR}/kubernetes-download.log" "go mod download k8s.io/kubernetes@${KUBERNETES_VERSION}" \
      go mod download -json "k8s.io/kubernetes@${KUBERNETES_VERSION}")
  k8s_gomod="$(sed -n 's/^[[:space:]]*"GoMod": "\(.*\)",\{0,1\}$/\1/p' "${LOG_DIR}/kubernetes-download.log" | head -n1)"
  [[ -n "${k8s_gomod}" && -f "${k8s_gomod}" ]] \
    || die "could not find the go.mod of k8s.io/kubernetes@${KUBERNETES_VERSION} (see ${LOG_DIR}/kubernetes-download.log)"
  upstream="$(sed -n 's#^[[:space:]]*k8s\.io/\([^[:space:]]*\)[[:space:]]*=>[[:space:]]*\./staging/src/k8s\.io/.*#\1#p' "${k8s_gomod}" | LC_ALL=C sort -u)"
  pinned="$(tr ',' '\n' <<<"${KUBERNETES_STAGING_MODULES}" | sed '/^$/d' | LC_ALL=C sort -u)"
  [[ -n "${upstream}" ]] || die "no './staging/src/k8s.io/...' replace lines found in ${k8s_gomod}"
  if [[ "${upstream}" != "${pinned}" ]]; then
    missing="$(LC_ALL=C comm -23 <(echo "${upstream}") <(echo "${pinned}") | paste -sd' ' -)"
    extra="$(LC_ALL=C comm -13 <(echo "${upstream}") <(echo "${pinned}") | paste -sd' ' -)"
    die "KUBERNETES_STAGING_MODULES in hack/k8s-versions.env differs from the staging modules of k8s.io/kubernetes@${KUBERNETES_VERSION} (${k8s_gomod}): missing [${missing}], not upstream [${extra}]"
  fi
  log "kubernetes: $(wc -l <<<"${upstream}") staging modules, list matches"

  gomod="module eventingestor.local/build/k8s

go ${BUILD_GO_VERSION}

require k8s.io/kubernetes ${KUBERNETES_VERSION}

// k8s.io/kubernetes requires its staging modules at v0.0.0 and replaces them with ./staging/...;
// replace directives of dependencies are ignored, so pin each one to the published version.
replace ("
  while read -r m; do
    gomod+="
	k8s.io/${m} => k8s.io/${m} ${KUBERNETES_STAGING_VERSION}"
  done <<<"${pinned}"
  gomod+="
)"
  tools="//go:build tools

// Package tools records the Kubernetes commands built from this throwaway module.
package tools

import ("
  for c in "${K8S_COMPONENTS[@]}"; do
    tools+="
	_ \"k8s.io/kubernetes/cmd/${c}\""
  done
  tools+="
)"
  write_if_changed "${dir}/go.mod.in" "${gomod}"
  write_if_changed "${dir}/tools.go" "${tools}"
  prepare_module "${dir}" kubernetes
  log "kubernetes: module setup took $((SECONDS - t0)) s"

  k8s_ldflags="-s -w"
  for p in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
    k8s_ldflags+=" -X ${p}.gitVersion=${KUBERNETES_VERSION}"
    k8s_ldflags+=" -X ${p}.gitMajor=${K8S_MAJOR}"
    k8s_ldflags+=" -X ${p}.gitMinor=${K8S_MINOR}"
    k8s_ldflags+=" -X ${p}.gitCommit=${KUBERNETES_GIT_COMMIT}"
    k8s_ldflags+=" -X ${p}.gitTreeState=clean"
    k8s_ldflags+=" -X ${p}.buildDate=${KUBERNETES_BUILD_DATE}"
  done
  for c in "${K8S_COMPONENTS[@]}"; do
    need "${c}" || continue
    build_one "${c}" "${dir}" "k8s.io/kubernetes/cmd/${c}" "${k8s_ldflags}"
  done
fi

# ---------------------------------------------------------------------------------------------
# etcd: its own module (its dependency versions conflict with Kubernetes').
if need etcd; then
  dir="${BUILD_DIR}/etcd-${ETCD_VERSION}"
  mkdir -p "${dir}"
  write_if_changed "${dir}/go.mod.in" "module eventingestor.local/build/etcd

go ${BUILD_GO_VERSION}

require go.etcd.io/etcd/server/v3 ${ETCD_VERSION}"
  write_if_changed "${dir}/main.go" '// Command etcd is etcd built from go.etcd.io/etcd/server/v3/etcdmain, like etcd'"'"'s own main.go.
package main

import (
	"os"

	"go.etcd.io/etcd/server/v3/etcdmain"
)

func main() {
	etcdmain.Main(os.Args)
}'
  prepare_module "${dir}" etcd
  build_one etcd "${dir}" . "-s -w"
fi

# ---------------------------------------------------------------------------------------------
# CoreDNS
if need coredns; then
  dir="${BUILD_DIR}/coredns-${COREDNS_VERSION}"
  mkdir -p "${dir}"
  write_if_changed "${dir}/go.mod.in" "module eventingestor.local/build/coredns

go ${BUILD_GO_VERSION}

require github.com/coredns/coredns ${COREDNS_VERSION}"
  write_if_changed "${dir}/tools.go" '//go:build tools

// Package tools records the command built from this throwaway module.
package tools

import _ "github.com/coredns/coredns"'
  prepare_module "${dir}" coredns
  build_one coredns "${dir}" github.com/coredns/coredns \
    "-s -w -X github.com/coredns/coredns/coremain.GitCommit=${COREDNS_VERSION}"
fi

# ---------------------------------------------------------------------------------------------
# crictl
if need crictl; then
  dir="${BUILD_DIR}/crictl-${CRICTL_VERSION}"
  mkdir -p "${dir}"
  write_if_changed "${dir}/go.mod.in" "module eventingestor.local/build/crictl

go ${BUILD_GO_VERSION}

require sigs.k8s.io/cri-tools ${CRICTL_VERSION}"
  write_if_changed "${dir}/tools.go" '//go:build tools

// Package tools records the command built from this throwaway module.
package tools

import _ "sigs.k8s.io/cri-tools/cmd/crictl"'
  prepare_module "${dir}" crictl
  build_one crictl "${dir}" sigs.k8s.io/cri-tools/cmd/crictl \
    "-s -w -X sigs.k8s.io/cri-tools/pkg/version.Version=${CRICTL_VERSION}"
fi

print_summary
