#!/usr/bin/env bash
# `npm run test:under-load [-- RUNS]`: runs the whole suite RUNS times (default 5) from a fresh
# clone of the committed HEAD while every CPU is kept busy, and prints each run's closing lines.
# A test whose verdict depends on how fast the machine is shows up here as a red run.
# CPU load comes from stress-ng when it is installed (apt-get install stress-ng), else from
# busy Node processes. Needs what `npm test` needs (see .ci/run).
set -euo pipefail

runs=${1:-5}
[[ $runs =~ ^[1-9][0-9]*$ ]] || { echo "usage: npm run test:under-load -- [RUNS]  (RUNS a positive integer)" >&2; exit 2; }

root=$(git rev-parse --show-toplevel)
work=$(mktemp -d)
loaders=()
cleanup() {
  for pid in "${loaders[@]}"; do kill "$pid" 2>/dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT

echo "suite-under-load: cloning $(git -C "$root" rev-parse --short HEAD) into a temporary directory"
git clone --quiet "$root" "$work/clone"
cd "$work/clone"
npm ci --no-audit --no-fund --loglevel=error >/dev/null

cpus=$(nproc)
if command -v stress-ng >/dev/null; then
  stress-ng --cpu "$cpus" --timeout 0 >/dev/null 2>&1 &
  loaders+=($!)
  echo "suite-under-load: stress-ng keeps $cpus CPUs busy"
else
  for ((n = 0; n < cpus; n++)); do
    node -e 'for (;;) {}' &
    loaders+=($!)
  done
  echo "suite-under-load: $cpus busy Node processes keep the CPUs busy (stress-ng not installed)"
fi

failed=0
for ((run = 1; run <= runs; run++)); do
  log="$work/run-$run.log"
  if CI=true npm test >"$log" 2>&1; then verdict=green; else verdict=RED; failed=$((failed + 1)); fi
  # Vitest's closing lines, without colour codes: files, tests, duration.
  summary=$(sed 's/\x1b\[[0-9;]*m//g' "$log" | grep -E '^ +(Test Files|Tests|Duration) ' | tr -s ' ' | paste -sd ';' -)
  echo "run $run/$runs: $verdict: $summary"
  if [[ $verdict == RED ]]; then
    sed 's/\x1b\[[0-9;]*m//g' "$log" | grep -E '^ (FAIL|×) ' | sort -u | head -20
    # The clone goes with the run: its log is kept where it can still be read.
    kept=$(mktemp "${TMPDIR:-/tmp}/suite-under-load-run-$run-XXXXXX.log")
    cp "$log" "$kept"
    echo "run $run/$runs: the whole log is in $kept"
  fi
done

echo "suite-under-load: $((runs - failed)) of $runs runs green"
((failed == 0))
