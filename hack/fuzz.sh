#!/usr/bin/env bash
# Runs every Go fuzz target of the repository for the given time each
# (default 30s): hack/fuzz.sh 10s
#
# Go 1.26's fuzz coordinator can fail a run that found nothing with a bare
# "context deadline exceeded" as -fuzztime expires, when a busy machine
# keeps a worker from stopping in time (golang/go#75804, fixed in Go 1.27).
# Such a run wrote no failing input; it is reported as that race and run
# again once. A run that writes a failing input, or fails any other way,
# fails this script.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
fuzztime="${1:-30s}"
log="$(mktemp)"
trap 'rm -f "${log}"' EXIT

# fuzz_once runs one target; it returns 0 on a pass, 2 on the coordinator's
# deadline race, 1 on anything else.
fuzz_once() {
  local pkg="$1" target="$2"
  if go test -run '^$' -fuzz "^${target}\$" -fuzztime "${fuzztime}" "${pkg}" 2>&1 | tee "${log}"; then
    return 0
  fi
  if grep -q 'Failing input written to' "${log}"; then
    return 1
  fi
  if grep -A1 -- "--- FAIL: ${target} " "${log}" | grep -q '^    context deadline exceeded$'; then
    return 2
  fi
  return 1
}

status=0
for pkg in $(go list ./...); do
  for target in $(go test -list '^Fuzz' "${pkg}" | grep '^Fuzz' || true); do
    echo "== ${pkg} ${target} (${fuzztime})"
    rc=0
    fuzz_once "${pkg}" "${target}" || rc=$?
    if [[ "${rc}" == 2 ]]; then
      echo "== ${target}: the fuzz coordinator's deadline race (golang/go#75804), no failing input; running it again"
      rc=0
      fuzz_once "${pkg}" "${target}" || rc=$?
      if [[ "${rc}" == 2 ]]; then
        echo "== ${target}: the deadline race again, still no failing input: not counted as a failure"
        rc=0
      fi
    fi
    if [[ "${rc}" != 0 ]]; then
      status=1
    fi
  done
done
exit "${status}"
