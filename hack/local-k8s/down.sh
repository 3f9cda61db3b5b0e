#!/usr/bin/env bash
# Tears down the local cluster of up.sh and leaves the machine as it was before the first
# bring-up: works from any partial state, including after kill -9 of every process.
#
#   1. stop the kubelet (it would restart pods), then remove every pod sandbox through containerd
#      (crictl rmp -fa: CNI releases the addresses and veths); if containerd is gone but its shims
#      are not, it is started once more to do this
#   2. stop every process up.sh recorded (pids/NAME.pid: by PID, and only if the start time still
#      matches), then what is left of the pods: processes in the kubepods cgroups and the shims of
#      the cluster's containerd (their command line names its socket)
#   3. iptables: kube-proxy --cleanup, then any KUBE-* chain left (the kubelet's), EIE2E-GUARD,
#      and nf_tables tables that were not there before and are empty now
#   4. unmount everything under the state folder, /run/containerd and /run/netns/cni-*; delete the
#      bridges; remove the kubepods cgroups; restore the recorded sysctls; remove the paths that
#      did not exist before; delete the state folder
#
# EIE2E_LOG_ARCHIVE=DIR keeps a copy of the components' logs in DIR. Exits non-zero if something
# could not be undone (it says what).
set -uo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
set +e
need_root
T0=${SECONDS}
FAILED=()
fail() { warn "$*"; FAILED+=("$*"); }

# Processes whose command line mentions the cluster's containerd socket: its shims.
shim_pids() {
  local d cmd
  for d in /proc/[0-9]*; do
    cmd="$(tr '\0' ' ' <"${d}/cmdline" 2>/dev/null)" || continue
    [[ "${cmd}" == *containerd-shim* && "${cmd}" == *" -address ${CONTAINERD_SOCK} "* ]] && echo "${d#/proc/}"
  done
}

# Processes in the cgroups the kubelet made for pods (every v1 hierarchy, and v2 if any).
kubepods_pids() {
  local f
  for f in /sys/fs/cgroup/kubepods/cgroup.procs /sys/fs/cgroup/*/kubepods/cgroup.procs; do
    [[ -e "${f}" ]] || continue
    find "$(dirname "${f}")" -name cgroup.procs -exec cat {} + 2>/dev/null
  done | sort -un
}

kill_pids() { # kill_pids SIGNAL PID...: each by PID
  local sig="$1" p
  shift
  for p in "$@"; do kill "-${sig}" "${p}" 2>/dev/null; done
}

# ---------------------------------------------------------------------------------------------
# 1. Pods.
stop_daemon kubelet 20
if [[ -n "$(shim_pids)" ]] && ! containerd_up && [[ -f "${CONF}/containerd.toml" ]]; then
  log "containerd is gone but its shims are not: starting it once more to remove the pods"
  start_daemon containerd containerd --config "${CONF}/containerd.toml"
  wait_for "containerd" 30 containerd_up
fi
if containerd_up; then
  log "removing every pod sandbox"
  crictl_cmd rmp --all --force >/dev/null 2>&1 || warn "crictl rmp failed; killing what is left"
fi
stop_daemon containerd 20

# ---------------------------------------------------------------------------------------------
# 2. Processes.
for ((i = ${#COMPONENTS[@]} - 1; i >= 0; i--)); do
  stop_daemon "${COMPONENTS[i]}" 15
done
for attempt in 1 2 3; do
  mapfile -t left < <(kubepods_pids; shim_pids)
  [[ ${#left[@]} -gt 0 ]] || break
  log "killing ${#left[@]} process(es) left of the pods and their shims: ${left[*]}"
  kill_pids KILL "${left[@]}"
  sleep 0.5
done
mapfile -t left < <(kubepods_pids; shim_pids)
[[ ${#left[@]} -eq 0 ]] || fail "processes of the pods survived: ${left[*]}"
for f in "${PIDS}"/*.pid; do # a component not in COMPONENTS (e.g. an older script's)
  [[ -f "${f}" ]] || continue
  stop_daemon "$(basename "${f}" .pid)" 10
done

# ---------------------------------------------------------------------------------------------
# 3. iptables and nf_tables.
if [[ -x "${K8S_BIN}/kube-proxy" ]]; then
  mkdir -p "${LOGS}"
  "${K8S_BIN}/kube-proxy" --cleanup >>"${LOGS}/kube-proxy-cleanup.log" 2>&1 || true
fi
for ipt in iptables ip6tables; do
  command -v "${ipt}" >/dev/null || continue
  for table in filter nat mangle raw security; do
    "${ipt}" -t "${table}" -S >/dev/null 2>&1 || continue
    # Rules of other chains that jump to KUBE-* chains, then the chains themselves.
    while read -r rule; do
      eval "\"${ipt}\" -t \"${table}\" -D ${rule#-A }" 2>/dev/null || fail "${ipt} -t ${table}: could not delete: ${rule}"
    done < <("${ipt}" -t "${table}" -S 2>/dev/null | grep -E '^-A ' | grep -vE '^-A KUBE-' | grep -E -- '-j KUBE-')
    mapfile -t chains < <("${ipt}" -t "${table}" -S 2>/dev/null | awk '$1 == "-N" && $2 ~ /^KUBE-/ {print $2}')
    for c in "${chains[@]}"; do "${ipt}" -t "${table}" -F "${c}" 2>/dev/null; done
    for c in "${chains[@]}"; do "${ipt}" -t "${table}" -X "${c}" 2>/dev/null || fail "${ipt} -t ${table}: could not delete chain ${c}"; done
  done
done
if command -v iptables >/dev/null && iptables -n -L "${GUARD_CHAIN}" >/dev/null 2>&1; then
  while iptables -D FORWARD -j "${GUARD_CHAIN}" 2>/dev/null; do :; done
  if ! { iptables -F "${GUARD_CHAIN}" && iptables -X "${GUARD_CHAIN}"; }; then
    fail "could not delete the iptables chain ${GUARD_CHAIN}"
  fi
fi
# nf_tables tables created by the iptables commands above or by kube-proxy: delete those that
# did not exist before the first bring-up and hold nothing but empty base chains now.
if command -v nft >/dev/null && [[ -f "${BASELINE}/nft-tables" ]]; then
  while read -r _ family name; do
    [[ -n "${name}" ]] || continue
    grep -qxF "table ${family} ${name}" "${BASELINE}/nft-tables" && continue
    if nft list table "${family}" "${name}" 2>/dev/null | awk '
        /^table / || /^[[:space:]]*}[[:space:]]*$/ || /^[[:space:]]*$/ { next }
        /^[[:space:]]*chain / { if (inchain && !hook) bad = 1; inchain = 1; hook = 0; next }
        /^[[:space:]]*type .* hook / { hook = 1; next }
        { bad = 1 }
        END { if (inchain && !hook) bad = 1; exit bad }'; then
      nft delete table "${family}" "${name}" || fail "could not delete nf_tables table ${family} ${name}"
    else
      warn "nf_tables table ${family} ${name} is not empty; left alone"
    fi
  done < <(nft list tables 2>/dev/null)
fi

# ---------------------------------------------------------------------------------------------
# 4. Mounts, network, cgroups, sysctls, files.
# mounts_under PREFIX...: mount points below any PREFIX, deepest first (octal escapes decoded).
mounts_under() {
  local mp p
  while read -r _ mp _; do
    mp="$(printf '%b' "${mp}")"
    for p in "$@"; do
      if [[ "${mp}" == "${p}" || "${mp}" == "${p}/"* ]]; then echo "${mp}"; break; fi
    done
  done </proc/mounts | awk '{print length($0) "\t" $0}' | sort -rn | cut -f2- | uniq
}
NETNS_PREFIXES=()
for d in /run/netns /var/run/netns; do
  for n in "${d}"/cni-*; do [[ -e "${n}" ]] && NETNS_PREFIXES+=("${n}"); done
done
for attempt in 1 2 3 4 5; do
  mapfile -t mps < <(mounts_under "${STATE}" /run/containerd "${NETNS_PREFIXES[@]}")
  [[ ${#mps[@]} -gt 0 ]] || break
  [[ ${attempt} -gt 1 ]] || log "unmounting ${#mps[@]} mount(s)"
  for mp in "${mps[@]}"; do
    umount "${mp}" 2>/dev/null || umount -l "${mp}" 2>/dev/null
  done
done
mapfile -t mps < <(mounts_under "${STATE}" /run/containerd "${NETNS_PREFIXES[@]}")
[[ ${#mps[@]} -eq 0 ]] || fail "could not unmount: ${mps[*]}"
for n in "${NETNS_PREFIXES[@]}"; do rm -f "${n}"; done

if ip link show "${POD_BRIDGE}" >/dev/null 2>&1; then
  for v in $(ip -o link show master "${POD_BRIDGE}" 2>/dev/null | awk -F': ' '{print $2}' | cut -d@ -f1); do
    ip link del "${v}" 2>/dev/null
  done
fi
for br in "${POD_BRIDGE}" "${NODE_BRIDGE}"; do
  if ip link show "${br}" >/dev/null 2>&1; then
    ip link del "${br}" || fail "could not delete the bridge ${br}"
  fi
done

# Empty cgroups of the pods (the processes are gone): deepest first.
for d in /sys/fs/cgroup/kubepods /sys/fs/cgroup/*/kubepods; do
  [[ -d "${d}" ]] || continue
  find "${d}" -depth -type d -exec rmdir {} \; 2>/dev/null
  [[ ! -d "${d}" ]] || fail "could not remove the cgroup ${d}"
done

if [[ -f "${BASELINE}/sysctl" ]]; then
  while IFS='=' read -r key value; do
    [[ -n "${key}" ]] || continue
    if [[ "$(sysctl -n "${key}" 2>/dev/null)" != "${value}" ]]; then
      sysctl -qw "${key}=${value}" >/dev/null || fail "could not restore sysctl ${key}=${value}"
    fi
  done <"${BASELINE}/sysctl"
fi

if [[ -f "${BASELINE}/paths" ]]; then
  for p in "${OUTSIDE_PATHS[@]}"; do
    grep -qxF "${p}" "${BASELINE}/paths" && continue
    [[ -e "${p}" ]] || continue
    if [[ -n "$(mounts_under "${p}")" ]]; then
      fail "not removing ${p}: something is still mounted below it"
    else
      rm -rf -- "${p}"
    fi
  done
fi

if [[ -d "${STATE}" ]]; then
  if [[ -n "${EIE2E_LOG_ARCHIVE:-}" && -d "${LOGS}" ]]; then
    mkdir -p "${EIE2E_LOG_ARCHIVE}" && cp -a "${LOGS}/." "${EIE2E_LOG_ARCHIVE}/" && log "logs kept in ${EIE2E_LOG_ARCHIVE}"
  fi
  if [[ -n "$(mounts_under "${STATE}")" ]]; then
    fail "not deleting ${STATE}: something is still mounted below it"
  else
    rm -rf -- "${STATE}" || fail "could not delete ${STATE}"
  fi
fi

if [[ ${#FAILED[@]} -gt 0 ]]; then
  printf '[local-k8s] down.sh could not undo %d thing(s):\n' "${#FAILED[@]}" >&2
  printf '  - %s\n' "${FAILED[@]}" >&2
  exit 1
fi
log "cluster torn down in $((SECONDS - T0)) s"
