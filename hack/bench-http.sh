#!/usr/bin/env bash
# Measures ingest over HTTP against a bare net/http handler in the same run:
# starts `eventingestor dev` with P partitions on free loopback ports (durable
# acknowledgements: fsync before 202), runs `eventingestor bench --baseline`
# and stops the cluster. Every figure is a ratio measured on this machine.
#
#   [SHARDS=N] hack/bench-http.sh PARTITIONS BATCH [extra bench flags...]   (SHARDS per partition, default 1)
#   hack/bench-http.sh 1 1                      # one partition, one event per request
#   hack/bench-http.sh 3 100 --concurrency 200  # three partitions, 100-event NDJSON batches
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
partitions="${1:?usage: hack/bench-http.sh PARTITIONS BATCH [bench flags]}"
batch="${2:?usage: hack/bench-http.sh PARTITIONS BATCH [bench flags]}"
shift 2
bin=bin/eventingestor
[[ -x "${bin}" ]] || go build -o "${bin}" .
data="$(mktemp -d /tmp/eventingestor-bench.XXXXXX)"
"${bin}" dev --partitions "${partitions}" --base-port 0 --data-dir "${data}" \
  --shards "${SHARDS:-1}" --log-level warn >"${data}/dev.log" 2>&1 &
dev=$!
cleanup() { kill -TERM "${dev}" 2>/dev/null || true; wait "${dev}" 2>/dev/null || true; rm -rf "${data}"; }
trap cleanup EXIT
# dev prints "partition N  URL" for each partition once it listens (free ports).
for _ in $(seq 100); do
  [[ "$(grep -c '^  partition ' "${data}/dev.log" || true)" -ge "${partitions}" ]] && break
  kill -0 "${dev}" 2>/dev/null || { cat "${data}/dev.log"; exit 1; }
  sleep 0.1
done
targets=""
for url in $(awk '/^  partition [0-9]+ /{print $3}' "${data}/dev.log"); do
  for _ in $(seq 100); do curl -fs "${url}/readyz" >/dev/null 2>&1 && break; sleep 0.1; done
  curl -fs "${url}/readyz" >/dev/null || { cat "${data}/dev.log"; echo "${url} not ready" >&2; exit 1; }
  targets="${targets:+${targets},}${url}"
done
echo "== ${partitions} partition(s), batch ${batch}; machine: $(nproc) CPUs, load $(cut -d' ' -f1-3 /proc/loadavg)"
"${bin}" bench --target "${targets}" --batch "${batch}" --keys 10000 --baseline --progress=false "$@"
