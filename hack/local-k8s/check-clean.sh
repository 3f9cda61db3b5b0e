#!/usr/bin/env bash
# Checks that no trace of the local cluster is left on this machine (after down.sh):
#
#   hack/local-k8s/check-clean.sh --snapshot DIR   record the sysctls, nf_tables tables and paths
#                                                  the cluster touches (before up.sh)
#   hack/local-k8s/check-clean.sh [DIR]            fail if a process, mount, bridge, veth,
#                                                  KUBE-*/EIE2E-* chain, kubepods cgroup or the
#                                                  state folder is left, or (with DIR) if a sysctl,
#                                                  nf_tables table or path differs from the snapshot
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
need_root

snapshot() { # snapshot DIR
  mkdir -p "$1"
  local s
  for s in "${SYSCTLS[@]}"; do
    printf '%s=%s\n' "${s}" "$(sysctl -n "${s}" 2>/dev/null || echo '<absent>')"
  done >"$1/sysctl"
  nft list tables 2>/dev/null >"$1/nft-tables" || true
  for s in "${OUTSIDE_PATHS[@]}"; do [[ -e "${s}" ]] && echo "${s}"; done >"$1/paths" || true
}

if [[ "${1:-}" == --snapshot ]]; then
  snapshot "${2:?usage: check-clean.sh --snapshot DIR}"
  exit 0
fi

problems=()
# Processes: every process the cluster starts names the state folder in its arguments.
for d in /proc/[0-9]*; do
  [[ "${d#/proc/}" == "$$" ]] && continue
  cmd="$(tr '\0' ' ' <"${d}/cmdline" 2>/dev/null)" || continue
  [[ "${cmd}" == *"${STATE}"* && "${cmd}" != *check-clean.sh* ]] && problems+=("process ${d#/proc/}: ${cmd}")
done
while read -r _ mp _; do
  mp="$(printf '%b' "${mp}")"
  case "${mp}" in
    "${STATE}" | "${STATE}"/* | /run/containerd | /run/containerd/* | /run/netns/cni-* | /var/run/netns/cni-*)
      problems+=("mount ${mp}") ;;
  esac
done </proc/mounts
for l in "${NODE_BRIDGE}" "${POD_BRIDGE}"; do
  ip link show "${l}" >/dev/null 2>&1 && problems+=("network device ${l}")
done
for ipt in iptables ip6tables; do
  command -v "${ipt}" >/dev/null || continue
  for table in filter nat mangle raw security; do
    chains="$("${ipt}" -t "${table}" -S 2>/dev/null | awk '$1 == "-N" && ($2 ~ /^KUBE-/ || $2 ~ /^EIE2E-/) {print $2}' | paste -sd' ' -)"
    [[ -z "${chains}" ]] || problems+=("${ipt} -t ${table} chains: ${chains}")
  done
done
for d in /sys/fs/cgroup/kubepods /sys/fs/cgroup/*/kubepods; do
  [[ -d "${d}" ]] && problems+=("cgroup ${d}")
done
[[ -e "${STATE}" ]] && problems+=("state folder ${STATE}")

if [[ -n "${1:-}" ]]; then
  now="$(mktemp -d)"
  trap 'rm -rf "${now}"' EXIT
  snapshot "${now}"
  for f in sysctl nft-tables paths; do
    if ! diff -u "$1/${f}" "${now}/${f}" >"${now}/${f}.diff"; then
      problems+=("${f} differ from before the bring-up: $(grep -E '^[-+][^-+]' "${now}/${f}.diff" | paste -sd' ' -)")
    fi
  done
fi

if [[ ${#problems[@]} -gt 0 ]]; then
  printf '[check-clean] the local cluster left %d trace(s):\n' "${#problems[@]}" >&2
  printf '  - %s\n' "${problems[@]}" >&2
  exit 1
fi
echo "[check-clean] no trace of the local cluster: no process, mount, bridge, KUBE-*/EIE2E-* chain, kubepods cgroup or state folder${1:+; sysctls, nf_tables tables and paths as before}" >&2
