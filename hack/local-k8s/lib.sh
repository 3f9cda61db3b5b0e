# shellcheck shell=bash
# shellcheck disable=SC2034 # the settings are used by the scripts that source this file
# Shared settings and helpers of hack/local-k8s/{up,down}.sh: a single-node Kubernetes cluster on
# this machine, built from the Go module proxy (hack/build-k8s-binaries.sh) and Debian's packages.
#
# Everything the cluster writes lives under EIE2E_STATE (default /var/lib/eventingestor-e2e):
#
#   cluster.env        addresses and paths of the running cluster (sourced by scripts and test/e2e)
#   kubeconfig         admin kubeconfig (https://NODE_IP:6443)
#   pki/               CA, serving and client certificates, service-account keys (openssl)
#   config/            generated configuration: kubeconfigs of the components, containerd.toml,
#                      registry hosts (certs.d), kubelet.yaml, kube-proxy.yaml, Corefile, StorageClass
#   cni/net.d, cni/networks   CNI configuration and host-local IPAM state
#   etcd/              etcd data
#   containerd/        containerd root and state;  run/containerd.sock  its socket
#   kubelet/           kubelet root directory (pods, volumes);  pod-logs/  container logs
#   volumes/NS/CLAIM_PV   the local-path provisioner's volumes
#   pids/NAME.pid      "PID STARTTIME" of every process started, so that down.sh stops exactly those
#   logs/NAME.log      output of every process
#   baseline/          what the machine looked like before the first bring-up: sysctl values, which
#                      paths existed; down.sh restores it and only then deletes the state
#
# Outside EIE2E_STATE the cluster creates (and down.sh removes): the bridges eie2e0 (node address)
# and eie2e-cni0 (pods), their routes, the iptables chain EIE2E-GUARD and kube-proxy's and the
# kubelet's KUBE-* chains, network namespaces /run/netns/cni-*, the fixed paths in OUTSIDE_PATHS
# below (removed only if they did not exist before), cgroups named kubepods, and the sysctls set
# by the scripts and the kubelet.

set -euo pipefail

LK_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "${LK_DIR}/../.." && pwd)"
# shellcheck source-path=SCRIPTDIR/.. source=../k8s-versions.env
. "${ROOT}/hack/k8s-versions.env"

STATE="${EIE2E_STATE:-/var/lib/eventingestor-e2e}"
NICE="${EIE2E_NICE:-10}"

# Binaries (built and cached by hack/build-k8s-binaries.sh; the small Go tools by build_tools).
K8S_BIN="${ROOT}/bin/k8s/${KUBERNETES_VERSION}"
ETCD_BIN="${ROOT}/bin/etcd/${ETCD_VERSION}/etcd"
COREDNS_BIN="${ROOT}/bin/coredns/${COREDNS_VERSION}/coredns"
CRICTL_BIN="${ROOT}/bin/crictl/${CRICTL_VERSION}/crictl"
KUBECTL_BIN="${K8S_BIN}/kubectl"
TOOLS_DIR="${ROOT}/bin/e2e/tools"
IMAGES_DIR="${ROOT}/bin/e2e/images"

# Network: nothing here is routed off the machine (see up.sh: the route of the Service range goes
# to the node bridge, and EIE2E-GUARD drops forwarded traffic between the pods and anything but
# their bridge).
NODE_NAME=eventingestor-e2e
NODE_BRIDGE=eie2e0
NODE_IP=10.86.0.1
NODE_PREFIX=24
POD_BRIDGE=eie2e-cni0
POD_CIDR=10.88.0.0/16
POD_GATEWAY=10.88.0.1
SERVICE_CIDR=10.89.0.0/16
API_SERVICE_IP=10.89.0.1
CLUSTER_DOMAIN=cluster.local
CNI_NETWORK=eie2e
GUARD_CHAIN=EIE2E-GUARD
STORAGE_CLASS=local-path
PROVISIONER_NAME=e2e.eventingestor.io/local-path
PAUSE_IMAGE=docker.io/library/eventingestor-pause:e2e

APISERVER_PORT=6443
ETCD_CLIENT_PORT=2379
ETCD_PEER_PORT=2380

PKI="${STATE}/pki"
CONF="${STATE}/config"
LOGS="${STATE}/logs"
PIDS="${STATE}/pids"
BASELINE="${STATE}/baseline"
RUN_DIR="${STATE}/run"
CONTAINERD_SOCK="${RUN_DIR}/containerd.sock"
KUBECONFIG_ADMIN="${STATE}/kubeconfig"
VOLUMES_DIR="${STATE}/volumes"

# Components in start order; down.sh stops them in reverse (the kubelet and containerd first).
COMPONENTS=(etcd kube-apiserver kube-controller-manager kube-scheduler containerd kubelet kube-proxy coredns local-path-provisioner)

# Sysctls the scripts, the kubelet (setupKernelTunables), kube-proxy or the CNI bridge may change;
# their values before the first bring-up are recorded and restored by down.sh.
SYSCTLS=(
  net.ipv4.ip_forward net.ipv4.conf.all.forwarding net.ipv4.conf.default.forwarding net.ipv6.conf.all.forwarding
  net.bridge.bridge-nf-call-iptables net.bridge.bridge-nf-call-ip6tables net.ipv4.conf.all.route_localnet
  vm.overcommit_memory vm.panic_on_oom kernel.panic kernel.panic_on_oops
  kernel.keys.root_maxkeys kernel.keys.root_maxbytes
  net.netfilter.nf_conntrack_max net.netfilter.nf_conntrack_tcp_timeout_established
  net.netfilter.nf_conntrack_tcp_timeout_close_wait net.netfilter.nf_conntrack_tcp_be_liberal
)
# Paths outside STATE that the cluster may create; removed by down.sh only if they did not exist
# before the first bring-up.
# (/var/lib/kubelet/device-plugins: the kubelet's device plugin socket, a fixed path; /var/lib/cni:
# libcni's result cache, not configurable in containerd 1.6; /run/mount: util-linux's mount table
# of the kubelet's mounts.)
OUTSIDE_PATHS=(/run/containerd /var/log/containers /run/netns /var/lib/kubelet /var/lib/cni /run/mount /opt/containerd)

log() { printf '[local-k8s %s] %s\n' "$(date -u +%H:%M:%S)" "$*" >&2; }
warn() { printf '[local-k8s %s] WARNING: %s\n' "$(date -u +%H:%M:%S)" "$*" >&2; }

# die MESSAGE: print the message and the tail of every component's log, then exit 1.
die() {
  printf '[local-k8s] ERROR: %s\n' "$*" >&2
  dump_logs 40
  exit 1
}

# dump_logs [LINES]: the last LINES lines of every component's log (stderr).
dump_logs() {
  local n="${1:-40}" f
  [[ -d "${LOGS}" ]] || return 0
  for f in "${LOGS}"/*.log; do
    [[ -f "${f}" ]] || continue
    printf '\n----- last %s lines of %s -----\n' "${n}" "${f}" >&2
    tail -n "${n}" "${f}" | sed 's/^/  /' >&2
  done
  printf -- '----- end of logs -----\n' >&2
}

need_root() { [[ ${EUID} -eq 0 ]] || { echo "local-k8s: must run as root" >&2; exit 1; }; }

# proc_starttime PID: the process's start time in clock ticks since boot (field 22 of
# /proc/PID/stat), which tells a recorded process from a later one that reuses its PID.
proc_starttime() {
  local stat
  stat="$(cat "/proc/$1/stat" 2>/dev/null)" || return 1
  stat="${stat##*) }" # fields after "(comm) "; comm may hold spaces and parentheses
  # shellcheck disable=SC2086
  set -- ${stat}
  echo "${20}"
}

# pid_of NAME: the recorded PID of component NAME if that very process still runs.
pid_of() {
  local f="${PIDS}/$1.pid" pid start now
  [[ -f "${f}" ]] || return 1
  read -r pid start <"${f}" || return 1
  [[ -n "${pid}" && -n "${start}" ]] || return 1
  now="$(proc_starttime "${pid}")" || return 1
  [[ "${now}" == "${start}" ]] || return 1
  # A zombie is not running.
  [[ "$(sed 's/.*) //' "/proc/${pid}/stat" | cut -d' ' -f1)" != Z ]] || return 1
  echo "${pid}"
}

running() { pid_of "$1" >/dev/null; }

# start_daemon NAME CMD...: start CMD in its own session (Ctrl-C of a make does not reach it),
# niced, output to logs/NAME.log, and record its PID and start time in pids/NAME.pid.
start_daemon() {
  local name="$1"; shift
  mkdir -p "${LOGS}" "${PIDS}"
  printf '\n===== %s: %s\n' "$(date -u +%FT%TZ)" "$*" >>"${LOGS}/${name}.log"
  setsid nice -n "${NICE}" "$@" >>"${LOGS}/${name}.log" 2>&1 </dev/null &
  local pid=$! start
  start="$(proc_starttime "${pid}")" || die "${name} exited at once (see ${LOGS}/${name}.log)"
  echo "${pid} ${start}" >"${PIDS}/${name}.pid.tmp"
  mv -f "${PIDS}/${name}.pid.tmp" "${PIDS}/${name}.pid"
  log "${name} started (pid ${pid})"
}

# stop_pid PID STARTTIME TIMEOUT: SIGTERM the process if it is still that process, SIGKILL it after
# TIMEOUT seconds. Returns when it is gone.
stop_pid() {
  local pid="$1" start="$2" timeout="$3" i
  [[ "$(proc_starttime "${pid}" 2>/dev/null)" == "${start}" ]] || return 0
  kill -TERM "${pid}" 2>/dev/null || true
  for ((i = 0; i < timeout * 10; i++)); do
    [[ "$(proc_starttime "${pid}" 2>/dev/null)" == "${start}" ]] || return 0
    [[ "$(sed 's/.*) //' "/proc/${pid}/stat" 2>/dev/null | cut -d' ' -f1)" != Z ]] || return 0
    sleep 0.1
  done
  kill -KILL "${pid}" 2>/dev/null || true
  for ((i = 0; i < 50; i++)); do
    [[ "$(proc_starttime "${pid}" 2>/dev/null)" == "${start}" ]] || return 0
    sleep 0.1
  done
  warn "process ${pid} survived SIGKILL"
}

# stop_daemon NAME [TIMEOUT]: stop the recorded process of NAME, if any.
stop_daemon() {
  local name="$1" timeout="${2:-10}" f="${PIDS}/$1.pid" pid start
  [[ -f "${f}" ]] || return 0
  if read -r pid start <"${f}" && [[ -n "${pid}" && -n "${start}" ]]; then
    if [[ "$(proc_starttime "${pid}" 2>/dev/null)" == "${start}" ]]; then
      log "stopping ${name} (pid ${pid})"
      stop_pid "${pid}" "${start}" "${timeout}"
    fi
  fi
  rm -f "${f}"
}

# wait_for DESCRIPTION TIMEOUT_SECONDS CMD...: run CMD until it succeeds; false on timeout.
wait_for() {
  local what="$1" timeout="$2" deadline
  shift 2
  deadline=$((SECONDS + timeout))
  until "$@" >/dev/null 2>&1; do
    if ((SECONDS >= deadline)); then
      warn "timed out after ${timeout} s waiting for ${what}"
      return 1
    fi
    sleep 0.2
  done
}

# kubectl keeps its discovery cache in the state folder, not in ~/.kube.
export KUBECACHEDIR="${STATE}/kubectl-cache"
kubectl_admin() { "${KUBECTL_BIN}" --kubeconfig "${KUBECONFIG_ADMIN}" --request-timeout=20s "$@"; }

crictl_cmd() {
  "${CRICTL_BIN}" --runtime-endpoint "unix://${CONTAINERD_SOCK}" --image-endpoint "unix://${CONTAINERD_SOCK}" \
    --timeout 30s "$@"
}

ctr_cmd() { ctr --address "${CONTAINERD_SOCK}" --namespace k8s.io "$@"; }

# containerd_up: is a containerd answering on the cluster's socket?
containerd_up() { [[ -S "${CONTAINERD_SOCK}" ]] && timeout 5 ctr --address "${CONTAINERD_SOCK}" version >/dev/null 2>&1; }

# build_tools: the pause program, the image packer and the local-path provisioner, built from
# this repository into bin/e2e/tools (the Go build cache makes this instant when nothing changed).
build_tools() {
  mkdir -p "${TOOLS_DIR}"
  (cd "${ROOT}" && CGO_ENABLED=0 GOFLAGS=-buildvcs=false nice -n "${NICE}" go build -trimpath -ldflags "-s -w" \
    -o "${TOOLS_DIR}/" ./hack/image ./hack/image/pause ./hack/local-k8s/local-path-provisioner) \
    || die "building the tools of hack/image and hack/local-k8s failed"
}

# pause_image_tar: bin/e2e/images/pause-e2e.tar (the pod sandbox image), built if missing or old.
pause_image_tar() {
  local tar="${IMAGES_DIR}/pause-e2e.tar"
  if [[ ! -f "${tar}" || "${TOOLS_DIR}/pause" -nt "${tar}" ]]; then
    "${TOOLS_DIR}/image" --binary "${TOOLS_DIR}/pause" --path /pause --tag "${PAUSE_IMAGE}" --user 65535:65535 \
      --output "${tar}" >&2 || die "packing the pause image failed"
  fi
  echo "${tar}"
}

# Checks of a binary cache: the scripts never build Kubernetes themselves.
check_binaries() {
  local b missing=()
  for b in "${K8S_BIN}"/{kube-apiserver,kube-controller-manager,kube-scheduler,kubelet,kube-proxy,kubectl} \
    "${ETCD_BIN}" "${COREDNS_BIN}" "${CRICTL_BIN}"; do
    [[ -x "${b}" ]] || missing+=("${b#"${ROOT}/"}")
  done
  [[ ${#missing[@]} -eq 0 ]] || {
    echo "local-k8s: missing binaries: ${missing[*]}; run hack/build-k8s-binaries.sh" >&2
    exit 1
  }
}

# check_packages: the Debian packages the cluster needs (hack/local-k8s/install-deps.sh installs them).
check_packages() {
  local c missing=()
  for c in containerd containerd-shim-runc-v2 runc ctr iptables ip6tables iptables-save conntrack openssl nft ip ss; do
    command -v "${c}" >/dev/null 2>&1 || missing+=("${c}")
  done
  [[ -x /usr/lib/cni/bridge && -x /usr/lib/cni/host-local && -x /usr/lib/cni/loopback ]] || missing+=(/usr/lib/cni)
  [[ ${#missing[@]} -eq 0 ]] || {
    echo "local-k8s: missing commands: ${missing[*]}; run hack/local-k8s/install-deps.sh" >&2
    exit 1
  }
}
