#!/usr/bin/env bash
# Measures ingest over HTTP against a bare net/http handler in the same run:
# starts `eventingestor dev` with P partitions on free loopback ports (durable
# acknowledgements: fsync before 202), runs `eventingestor bench --baseline`
# and stops the cluster. Every figure is a ratio measured on this machine.
#
#   [SHARDS=N] [DEV_FLAGS=...] [ROUNDS=N] hack/bench-http.sh PARTITIONS BATCH [extra bench flags...]
#   hack/bench-http.sh 1 1                      # one partition, one event per request
#   hack/bench-http.sh 3 100 --concurrency 200  # three partitions, 100-event NDJSON batches
#
# SHARDS: shards per partition (default 1). DEV_FLAGS: more flags for
# `eventingestor dev` (e.g. --http.disable-fast-path). ROUNDS: how many times to run the
# bench (bare handler, then ours) against the same cluster (default 1); with
# more than one, each round starts once the previous round's backlog is
# delivered (so that the flusher does not steal CPU from the next baseline),
# and the ratios of all rounds and their median are printed at the end: the
# bare handler alone varies by ±20% between runs on a small shared VM.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
partitions="${1:?usage: hack/bench-http.sh PARTITIONS BATCH [bench flags]}"
batch="${2:?usage: hack/bench-http.sh PARTITIONS BATCH [bench flags]}"
shift 2
bin=bin/eventingestor
[[ -x "${bin}" ]] || go build -o "${bin}" .
data="$(mktemp -d /tmp/eventingestor-bench.XXXXXX)"
"${bin}" dev --partitions "${partitions}" --base-port 0 --data-dir "${data}" \
  --shards "${SHARDS:-1}" --log-level warn ${DEV_FLAGS:-} >"${data}/dev.log" 2>&1 &
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
# wait_idle waits until every partition has delivered its backlog.
wait_idle() {
  local url
  for url in ${targets//,/ }; do
    for _ in $(seq 1200); do
      # "drained" (top level of /v1/status): nothing accepted is left unflushed.
      curl -fs "${url}/v1/status" | grep -q '"drained": *true' && continue 2
      sleep 0.1
    done
    echo "${url} still has a backlog after 120 s" >&2
    exit 1
  done
}

rounds="${ROUNDS:-1}"
ratios=""
for round in $(seq "${rounds}"); do
  [[ "${round}" -gt 1 ]] && wait_idle
  echo "== ${partitions} partition(s), batch ${batch}${ROUNDS:+, round ${round} of ${rounds}}; machine: $(nproc) CPUs, load $(cut -d' ' -f1-3 /proc/loadavg)"
  "${bin}" bench --target "${targets}" --batch "${batch}" --keys 10000 --baseline --progress=false "$@" | tee "${data}/bench.out"
  # The comparison's events/s line: "  events/s  OURS  BARE  RATIO".
  ratio="$(awk '$1 == "events/s" && NF == 4 {print $4}' "${data}/bench.out")"
  [[ -n "${ratio}" ]] || { echo "round ${round}: no events/s ratio in the bench's report" >&2; exit 1; }
  ratios="${ratios} ${ratio}"
done
if [[ "${rounds}" -gt 1 ]]; then
  echo "== events/s ratio over ${rounds} rounds (ours / bare handler): ${ratios# }; median $(tr ' ' '\n' <<<"${ratios}" | grep . | sort -n | awk '{r[NR] = $1} END {print (NR % 2) ? r[(NR + 1) / 2] : (r[NR / 2] + r[NR / 2 + 1]) / 2}')"
fi
