#!/usr/bin/env bash
# Brings up a single-node Kubernetes cluster on this machine (root; Debian 12):
#
#   certificates (openssl) -> etcd -> kube-apiserver -> kube-controller-manager, kube-scheduler
#   -> default StorageClass -> containerd (+ the local pause image) -> kubelet (CNI bridge)
#   -> kube-proxy (iptables) -> CoreDNS -> local-path provisioner
#
# and waits until the node is Ready and every component answers. Binaries come from
# hack/build-k8s-binaries.sh (bin/k8s, bin/etcd, bin/coredns, bin/crictl) and Debian's packages
# (hack/local-k8s/install-deps.sh). State, logs and PIDs live under EIE2E_STATE (see lib.sh).
#
# Leftovers of an earlier run (stopped or killed, even with kill -9) are torn down first with
# down.sh, so bring-up starts from a clean machine. On failure it prints the tail of every
# component's log and exits non-zero; the partial cluster stays for inspection (down.sh removes it).
#
# Everything listens on loopback or on the node bridge eie2e0 (NODE_IP); pods live on the bridge
# eie2e-cni0; nothing is routed off the machine.
#
# Prints the admin kubeconfig's path on stdout when done: export KUBECONFIG="$(hack/local-k8s/up.sh)"
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

need_root
check_binaries
check_packages
T0=${SECONDS}

# ---------------------------------------------------------------------------------------------
# Leftovers of an earlier run: tear them down (restores the recorded sysctls too).
if [[ -e "${STATE}" ]] || ip link show "${NODE_BRIDGE}" >/dev/null 2>&1 || ip link show "${POD_BRIDGE}" >/dev/null 2>&1 \
  || iptables -n -L "${GUARD_CHAIN}" >/dev/null 2>&1; then
  log "leftovers of an earlier cluster found; tearing them down first"
  "${LK_DIR}/down.sh" || die "down.sh could not clean up the leftovers of an earlier run"
fi

# Ports on loopback that must be free (the others are on the node bridge, which is ours).
for p in "${ETCD_CLIENT_PORT}" "${ETCD_PEER_PORT}" 10257 10259 10248 10249 10256; do
  if [[ -n "$(ss -Hltn "sport = :${p}" 2>/dev/null | awk -v p=":${p}" '$4 ~ /^(127\.0\.0\.1|\*|0\.0\.0\.0|\[::\]):/ && $4 ~ p"$"')" ]]; then
    die "port ${p} on 127.0.0.1 is in use by another program: $(ss -Hltnp "sport = :${p}" | head -n1)"
  fi
done

mkdir -p "${STATE}" "${PKI}" "${CONF}" "${LOGS}" "${PIDS}" "${RUN_DIR}" "${BASELINE}" "${VOLUMES_DIR}"
chmod 0700 "${STATE}"

# ---------------------------------------------------------------------------------------------
# Baseline: what down.sh restores. Written once, atomically, before anything is changed.
if [[ ! -f "${BASELINE}/sysctl" ]]; then
  : >"${BASELINE}/sysctl.tmp"
  for s in "${SYSCTLS[@]}"; do
    v="$(sysctl -n "${s}" 2>/dev/null)" || continue
    printf '%s=%s\n' "${s}" "${v}" >>"${BASELINE}/sysctl.tmp"
  done
  : >"${BASELINE}/paths.tmp"
  for p in "${OUTSIDE_PATHS[@]}"; do
    [[ -e "${p}" ]] && echo "${p}" >>"${BASELINE}/paths.tmp"
  done
  nft list tables 2>/dev/null >"${BASELINE}/nft-tables.tmp" || true
  mv "${BASELINE}/paths.tmp" "${BASELINE}/paths"
  mv "${BASELINE}/nft-tables.tmp" "${BASELINE}/nft-tables"
  mv "${BASELINE}/sysctl.tmp" "${BASELINE}/sysctl"
fi

# ---------------------------------------------------------------------------------------------
# Tools and the pause image (Go, from this repository).
log "building the pause program, the image packer and the local-path provisioner"
build_tools
PAUSE_TAR="$(pause_image_tar)"

# ---------------------------------------------------------------------------------------------
# Certificates: one CA; ECDSA P-256 keys; valid 30 days (a cluster lives for one test run).
log "certificates"
openssl ecparam -name prime256v1 -genkey -noout -out "${PKI}/ca.key" 2>/dev/null
openssl req -x509 -new -key "${PKI}/ca.key" -subj "/CN=eventingestor-e2e-ca" -days 30 -out "${PKI}/ca.crt" \
  -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign,digitalSignature" 2>/dev/null

# cert NAME SUBJECT USAGES [SAN]: PKI/NAME.{key,crt} signed by the CA.
cert() {
  local name="$1" subj="$2" usage="$3" san="${4:-}"
  openssl ecparam -name prime256v1 -genkey -noout -out "${PKI}/${name}.key" 2>/dev/null
  {
    echo "basicConstraints=CA:FALSE"
    echo "keyUsage=critical,digitalSignature,keyEncipherment"
    echo "extendedKeyUsage=${usage}"
    [[ -z "${san}" ]] || echo "subjectAltName=${san}"
  } >"${PKI}/${name}.ext"
  openssl req -new -key "${PKI}/${name}.key" -subj "${subj}" -out "${PKI}/${name}.csr" 2>/dev/null
  openssl x509 -req -in "${PKI}/${name}.csr" -CA "${PKI}/ca.crt" -CAkey "${PKI}/ca.key" -CAcreateserial -days 30 \
    -extfile "${PKI}/${name}.ext" -out "${PKI}/${name}.crt" 2>/dev/null
  rm -f "${PKI}/${name}.csr" "${PKI}/${name}.ext"
}
cert apiserver "/CN=kube-apiserver" serverAuth \
  "DNS:kubernetes,DNS:kubernetes.default,DNS:kubernetes.default.svc,DNS:kubernetes.default.svc.${CLUSTER_DOMAIN},DNS:localhost,IP:${API_SERVICE_IP},IP:${NODE_IP},IP:127.0.0.1"
cert apiserver-kubelet-client "/O=system:masters/CN=kube-apiserver-kubelet-client" clientAuth
cert admin "/O=system:masters/CN=eventingestor-e2e-admin" clientAuth
cert kube-controller-manager "/CN=system:kube-controller-manager" clientAuth
cert kube-scheduler "/CN=system:kube-scheduler" clientAuth
cert kube-proxy "/CN=system:kube-proxy" clientAuth
cert kubelet-client "/O=system:nodes/CN=system:node:${NODE_NAME}" clientAuth
cert kubelet "/CN=${NODE_NAME}" serverAuth "DNS:${NODE_NAME},IP:${NODE_IP}"
openssl ecparam -name prime256v1 -genkey -noout -out "${PKI}/sa.key" 2>/dev/null
openssl ec -in "${PKI}/sa.key" -pubout -out "${PKI}/sa.pub" 2>/dev/null
chmod 0600 "${PKI}"/*.key

# kubeconfig FILE CERTNAME: a kubeconfig for the API server with client certificate PKI/CERTNAME.
kubeconfig() {
  cat >"$1" <<EOF
apiVersion: v1
kind: Config
clusters:
- name: eventingestor-e2e
  cluster:
    certificate-authority: ${PKI}/ca.crt
    server: https://${NODE_IP}:${APISERVER_PORT}
users:
- name: $2
  user:
    client-certificate: ${PKI}/$2.crt
    client-key: ${PKI}/$2.key
contexts:
- name: eventingestor-e2e
  context:
    cluster: eventingestor-e2e
    user: $2
current-context: eventingestor-e2e
EOF
  chmod 0600 "$1"
}
kubeconfig "${KUBECONFIG_ADMIN}" admin
for c in kube-controller-manager kube-scheduler kube-proxy kubelet-client; do
  kubeconfig "${CONF}/${c}.kubeconfig" "${c}"
done

# ---------------------------------------------------------------------------------------------
# Network: the node bridge carries the node address (the API server, the kubelet and CoreDNS
# listen there, and pods reach it through their gateway); the Service range is routed to it, so
# that a packet to a ClusterIP that kube-proxy does not rewrite ends on this bridge instead of
# the default route. EIE2E-GUARD drops forwarded traffic between the pods' range and any
# interface but the pods' bridge: pods reach each other, the node and Services, and nothing else.
log "network: ${NODE_BRIDGE} ${NODE_IP}/${NODE_PREFIX}, pods ${POD_CIDR} on ${POD_BRIDGE}, Services ${SERVICE_CIDR}"
ip link add "${NODE_BRIDGE}" type bridge
ip addr add "${NODE_IP}/${NODE_PREFIX}" dev "${NODE_BRIDGE}"
ip link set "${NODE_BRIDGE}" up
ip route add "${SERVICE_CIDR}" dev "${NODE_BRIDGE}" src "${NODE_IP}"
sysctl -qw net.ipv4.ip_forward=1
sysctl -qw net.bridge.bridge-nf-call-iptables=1
iptables -N "${GUARD_CHAIN}"
iptables -A "${GUARD_CHAIN}" -s "${POD_CIDR}" ! -o "${POD_BRIDGE}" -j DROP
iptables -A "${GUARD_CHAIN}" -d "${POD_CIDR}" ! -i "${POD_BRIDGE}" -j DROP
iptables -I FORWARD 1 -j "${GUARD_CHAIN}"

# ---------------------------------------------------------------------------------------------
# etcd (loopback, plain HTTP: only this machine's root reaches it).
log "etcd"
start_daemon etcd "${ETCD_BIN}" --name "${NODE_NAME}" --data-dir "${STATE}/etcd" \
  --listen-client-urls "http://127.0.0.1:${ETCD_CLIENT_PORT}" --advertise-client-urls "http://127.0.0.1:${ETCD_CLIENT_PORT}" \
  --listen-peer-urls "http://127.0.0.1:${ETCD_PEER_PORT}" --initial-advertise-peer-urls "http://127.0.0.1:${ETCD_PEER_PORT}" \
  --initial-cluster "${NODE_NAME}=http://127.0.0.1:${ETCD_PEER_PORT}" --initial-cluster-state new \
  --listen-metrics-urls "" --log-level warn
wait_for "etcd" 60 curl -fsS "http://127.0.0.1:${ETCD_CLIENT_PORT}/health" || die "etcd did not become healthy"

# ---------------------------------------------------------------------------------------------
log "kube-apiserver"
start_daemon kube-apiserver "${K8S_BIN}/kube-apiserver" \
  --etcd-servers "http://127.0.0.1:${ETCD_CLIENT_PORT}" \
  --bind-address "${NODE_IP}" --advertise-address "${NODE_IP}" --secure-port "${APISERVER_PORT}" \
  --service-cluster-ip-range "${SERVICE_CIDR}" \
  --client-ca-file "${PKI}/ca.crt" --tls-cert-file "${PKI}/apiserver.crt" --tls-private-key-file "${PKI}/apiserver.key" \
  --kubelet-client-certificate "${PKI}/apiserver-kubelet-client.crt" --kubelet-client-key "${PKI}/apiserver-kubelet-client.key" \
  --kubelet-certificate-authority "${PKI}/ca.crt" --kubelet-preferred-address-types InternalIP \
  --service-account-issuer "https://kubernetes.default.svc.${CLUSTER_DOMAIN}" \
  --service-account-key-file "${PKI}/sa.pub" --service-account-signing-key-file "${PKI}/sa.key" \
  --authorization-mode Node,RBAC --enable-admission-plugins NodeRestriction \
  --profiling=false --event-ttl 30m
wait_for "kube-apiserver /readyz" 90 curl -fsS --cacert "${PKI}/ca.crt" --cert "${PKI}/admin.crt" --key "${PKI}/admin.key" \
  "https://${NODE_IP}:${APISERVER_PORT}/readyz" || die "kube-apiserver did not become ready"

log "kube-controller-manager, kube-scheduler"
start_daemon kube-controller-manager "${K8S_BIN}/kube-controller-manager" \
  --kubeconfig "${CONF}/kube-controller-manager.kubeconfig" \
  --authentication-kubeconfig "${CONF}/kube-controller-manager.kubeconfig" \
  --authorization-kubeconfig "${CONF}/kube-controller-manager.kubeconfig" \
  --bind-address 127.0.0.1 --leader-elect=false --controllers '*' --use-service-account-credentials \
  --service-account-private-key-file "${PKI}/sa.key" --root-ca-file "${PKI}/ca.crt" \
  --cluster-signing-cert-file "${PKI}/ca.crt" --cluster-signing-key-file "${PKI}/ca.key" \
  --service-cluster-ip-range "${SERVICE_CIDR}" --profiling=false
start_daemon kube-scheduler "${K8S_BIN}/kube-scheduler" \
  --kubeconfig "${CONF}/kube-scheduler.kubeconfig" \
  --authentication-kubeconfig "${CONF}/kube-scheduler.kubeconfig" \
  --authorization-kubeconfig "${CONF}/kube-scheduler.kubeconfig" \
  --bind-address 127.0.0.1 --leader-elect=false --profiling=false

# The default StorageClass, served by the local-path provisioner started below.
cat >"${CONF}/storageclass.yaml" <<EOF
apiVersion: storage.k8s.io/v1
kind: StorageClass
metadata:
  name: ${STORAGE_CLASS}
  annotations:
    storageclass.kubernetes.io/is-default-class: "true"
provisioner: ${PROVISIONER_NAME}
reclaimPolicy: Delete
volumeBindingMode: WaitForFirstConsumer
EOF
kubectl_admin apply -f "${CONF}/storageclass.yaml" >/dev/null || die "could not create the StorageClass"

# ---------------------------------------------------------------------------------------------
# containerd: its own config, socket and state; pulls of any image are sent to a closed loopback
# port (config/certs.d), so nothing leaves the machine even if an image were missing.
log "containerd"
mkdir -p "${STATE}/cni/net.d" "${STATE}/cni/networks" "${STATE}/containerd/root" "${STATE}/containerd/state"
for reg in docker.io registry-1.docker.io ghcr.io registry.k8s.io k8s.gcr.io gcr.io quay.io; do
  mkdir -p "${CONF}/certs.d/${reg}"
  printf 'server = "http://127.0.0.1:9"\n\n[host."http://127.0.0.1:9"]\n  capabilities = ["pull", "resolve"]\n' \
    >"${CONF}/certs.d/${reg}/hosts.toml"
done
cat >"${CONF}/containerd.toml" <<EOF
version = 2
root = "${STATE}/containerd/root"
state = "${STATE}/containerd/state"

[grpc]
  address = "${CONTAINERD_SOCK}"

[plugins."io.containerd.internal.v1.opt"]
  path = "${STATE}/containerd/opt"

[plugins."io.containerd.grpc.v1.cri"]
  sandbox_image = "${PAUSE_IMAGE}"
  # These VMs lack CAP_SYS_RESOURCE: nothing may lower oom_score_adj below the runtime's own.
  restrict_oom_score_adj = true
  stream_server_address = "127.0.0.1"
  stream_server_port = "0"
  enable_selinux = false
  [plugins."io.containerd.grpc.v1.cri".containerd]
    snapshotter = "overlayfs"
    default_runtime_name = "runc"
    [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]
      runtime_type = "io.containerd.runc.v2"
      [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc.options]
        SystemdCgroup = false
  [plugins."io.containerd.grpc.v1.cri".cni]
    bin_dir = "/usr/lib/cni"
    conf_dir = "${STATE}/cni/net.d"
  [plugins."io.containerd.grpc.v1.cri".registry]
    config_path = "${CONF}/certs.d"
EOF
cat >"${STATE}/cni/net.d/10-${CNI_NETWORK}.conflist" <<EOF
{
  "cniVersion": "0.4.0",
  "name": "${CNI_NETWORK}",
  "plugins": [
    {
      "type": "bridge",
      "bridge": "${POD_BRIDGE}",
      "isGateway": true,
      "ipMasq": false,
      "hairpinMode": true,
      "ipam": {
        "type": "host-local",
        "dataDir": "${STATE}/cni/networks",
        "ranges": [[{"subnet": "${POD_CIDR}", "gateway": "${POD_GATEWAY}"}]],
        "routes": [{"dst": "0.0.0.0/0"}]
      }
    }
  ]
}
EOF
start_daemon containerd containerd --config "${CONF}/containerd.toml"
wait_for "containerd" 60 containerd_up || die "containerd did not start"
ctr_cmd images import "${PAUSE_TAR}" >/dev/null || die "importing the pause image failed"

# ---------------------------------------------------------------------------------------------
log "kubelet"
cat >"${CONF}/kubelet.yaml" <<EOF
apiVersion: kubelet.config.k8s.io/v1beta1
kind: KubeletConfiguration
address: ${NODE_IP}
port: 10250
readOnlyPort: 0
healthzBindAddress: 127.0.0.1
healthzPort: 10248
tlsCertFile: ${PKI}/kubelet.crt
tlsPrivateKeyFile: ${PKI}/kubelet.key
authentication:
  anonymous:
    enabled: false
  webhook:
    enabled: true
  x509:
    clientCAFile: ${PKI}/ca.crt
authorization:
  mode: Webhook
clusterDomain: ${CLUSTER_DOMAIN}
clusterDNS: [${NODE_IP}]
# Pods get only the cluster's resolver and search path, not this machine's.
resolvConf: ""
containerRuntimeEndpoint: unix://${CONTAINERD_SOCK}
cgroupDriver: cgroupfs
failCgroupV1: false
failSwapOn: false
podLogsDir: ${STATE}/pod-logs
rotateCertificates: false
serverTLSBootstrap: false
# The images are imported, not pulled: never collect them; evict only when the disk is really full.
imageGCHighThresholdPercent: 100
imageGCLowThresholdPercent: 99
evictionHard:
  memory.available: 100Mi
  nodefs.available: 1%
  nodefs.inodesFree: 1%
  imagefs.available: 1%
maxPods: 60
EOF
start_daemon kubelet "${K8S_BIN}/kubelet" --config "${CONF}/kubelet.yaml" \
  --kubeconfig "${CONF}/kubelet-client.kubeconfig" --hostname-override "${NODE_NAME}" --node-ip "${NODE_IP}" \
  --root-dir "${STATE}/kubelet"
node_ready() {
  [[ "$(kubectl_admin get node "${NODE_NAME}" -o jsonpath='{.status.conditions[?(@.type=="Ready")].status}')" == True ]]
}
wait_for "node ${NODE_NAME} Ready" 120 node_ready || die "the node did not become Ready"

# ---------------------------------------------------------------------------------------------
log "kube-proxy"
cat >"${CONF}/kube-proxy.yaml" <<EOF
apiVersion: kubeproxy.config.k8s.io/v1alpha1
kind: KubeProxyConfiguration
clientConnection:
  kubeconfig: ${CONF}/kube-proxy.kubeconfig
mode: iptables
clusterCIDR: ${POD_CIDR}
hostnameOverride: ${NODE_NAME}
bindAddress: ${NODE_IP}
healthzBindAddress: 127.0.0.1:10256
metricsBindAddress: 127.0.0.1:10249
# NodePorts only on the node bridge; none on 127.0.0.1 (that would set route_localnet).
nodePortAddresses: ["${NODE_IP}/32"]
iptables:
  localhostNodePorts: false
# 0: leave the machine's conntrack sysctls as they are.
conntrack:
  maxPerCore: 0
  min: 0
  tcpEstablishedTimeout: 0s
  tcpCloseWaitTimeout: 0s
EOF
start_daemon kube-proxy "${K8S_BIN}/kube-proxy" --config "${CONF}/kube-proxy.yaml"
wait_for "kube-proxy" 60 curl -fsS "http://127.0.0.1:10256/healthz" || die "kube-proxy did not become healthy"
# kube-proxy put its jumps at the top of FORWARD (KUBE-FORWARD accepts packets it marked for
# masquerading); the guard goes back before them: it only drops what leaves the pods' bridge.
iptables -D FORWARD -j "${GUARD_CHAIN}"
iptables -I FORWARD 1 -j "${GUARD_CHAIN}"

# ---------------------------------------------------------------------------------------------
# CoreDNS on the node address, with only the kubernetes plugin: it answers for the cluster's
# names and forwards nothing.
log "CoreDNS"
cat >"${CONF}/Corefile" <<EOF
.:53 {
    bind ${NODE_IP}
    errors
    ready ${NODE_IP}:8181
    kubernetes ${CLUSTER_DOMAIN} in-addr.arpa ip6.arpa {
        kubeconfig ${KUBECONFIG_ADMIN} eventingestor-e2e
        pods insecure
        ttl 5
    }
    cache 5
}
EOF
start_daemon coredns "${COREDNS_BIN}" -conf "${CONF}/Corefile"
wait_for "CoreDNS" 60 curl -fsS "http://${NODE_IP}:8181/ready" || die "CoreDNS did not become ready"

log "local-path provisioner"
start_daemon local-path-provisioner "${TOOLS_DIR}/local-path-provisioner" --kubeconfig "${KUBECONFIG_ADMIN}" \
  --provisioner "${PROVISIONER_NAME}" --dir "${VOLUMES_DIR}" --node "${NODE_NAME}"

# ---------------------------------------------------------------------------------------------
# The cluster is usable once the default namespace has its ServiceAccount (the controller
# manager's token and service-account controllers run) and the kubernetes Service is reachable
# through kube-proxy from the host.
sa_ready() { kubectl_admin -n default get serviceaccount default; }
wait_for "the default ServiceAccount" 60 sa_ready || die "the controller manager did not create the default ServiceAccount"
wait_for "the kubernetes Service (${API_SERVICE_IP}:443) through kube-proxy" 60 \
  curl -fsS --cacert "${PKI}/ca.crt" --cert "${PKI}/admin.crt" --key "${PKI}/admin.key" "https://${API_SERVICE_IP}/readyz" \
  || die "the kubernetes Service is not reachable through kube-proxy"
for c in "${COMPONENTS[@]}"; do
  running "${c}" || die "${c} is not running"
done

cat >"${STATE}/cluster.env.tmp" <<EOF
# Written by hack/local-k8s/up.sh: the running local cluster.
EIE2E_STATE=${STATE}
KUBECONFIG=${KUBECONFIG_ADMIN}
KUBECTL=${KUBECTL_BIN}
NODE_NAME=${NODE_NAME}
NODE_IP=${NODE_IP}
POD_CIDR=${POD_CIDR}
SERVICE_CIDR=${SERVICE_CIDR}
STORAGE_CLASS=${STORAGE_CLASS}
VOLUMES_DIR=${VOLUMES_DIR}
CONTAINERD_ADDRESS=${CONTAINERD_SOCK}
LOGS_DIR=${LOGS}
KUBERNETES_VERSION=${KUBERNETES_VERSION}
BRINGUP_SECONDS=$((SECONDS - T0))
EOF
mv "${STATE}/cluster.env.tmp" "${STATE}/cluster.env"
log "cluster up in $((SECONDS - T0)) s: Kubernetes ${KUBERNETES_VERSION}, node ${NODE_NAME} (${NODE_IP}); KUBECONFIG=${KUBECONFIG_ADMIN}"
echo "${KUBECONFIG_ADMIN}"
