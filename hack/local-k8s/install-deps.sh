#!/usr/bin/env bash
# Installs the Debian packages the local cluster needs, unless they are all there already:
# containerd (1.6), runc, the CNI plugins (/usr/lib/cni), iptables (nf_tables backend), nftables,
# conntrack, openssl, iproute2 and util-linux (setsid, nsenter, mount). Run as root.
set -euo pipefail

PACKAGES=(containerd runc containernetworking-plugins iptables nftables conntrack openssl iproute2 util-linux curl)

have_all() {
  local c
  for c in containerd containerd-shim-runc-v2 runc ctr iptables ip6tables iptables-save conntrack openssl nft ip ss \
    setsid nsenter curl; do
    command -v "${c}" >/dev/null 2>&1 || return 1
  done
  [[ -x /usr/lib/cni/bridge && -x /usr/lib/cni/host-local && -x /usr/lib/cni/loopback ]]
}

if have_all; then
  echo "[install-deps] all packages present: ${PACKAGES[*]}" >&2
  exit 0
fi
[[ ${EUID} -eq 0 ]] || { echo "[install-deps] missing packages and not root; install: ${PACKAGES[*]}" >&2; exit 1; }
echo "[install-deps] installing ${PACKAGES[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${PACKAGES[@]}" >/dev/null
have_all || { echo "[install-deps] packages installed but a command is still missing" >&2; exit 1; }
echo "[install-deps] done" >&2
