#!/usr/bin/env bash
# Runs every Go fuzz target of the repository for the given time each
# (default 30s): hack/fuzz.sh 10s
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
fuzztime="${1:-30s}"
status=0
for pkg in $(go list ./...); do
  for target in $(go test -list '^Fuzz' "${pkg}" | grep '^Fuzz' || true); do
    echo "== ${pkg} ${target} (${fuzztime})"
    if ! go test -run '^$' -fuzz "^${target}\$" -fuzztime "${fuzztime}" "${pkg}"; then
      status=1
    fi
  done
done
exit "${status}"
