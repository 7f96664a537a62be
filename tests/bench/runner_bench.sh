#!/usr/bin/env bash
# goalkeeper's own overhead per job: `goalkeeper run` of a fan-out of N `true` jobs with --jobs P,
# against the floor of starting the same N processes with `xargs -P P`. Not a test.
#
#   tests/bench/runner_bench.sh [BUILD_DIR] [WORK_DIR]
#
# BUILD_DIR defaults to build/release; WORK_DIR (where .goalkeeper/ goes) to a new temp dir.
# Give /dev/shm/... as WORK_DIR to take the file system's cost of creating files out of it.
set -euo pipefail
build=${1:-build/release}
work=${2:-$(mktemp -d)}
n=${N:-1000}
p=${P:-16}
runs=${RUNS:-3}
bin="$(cd "$build" && pwd)/bin/goalkeeper"
[ -x "$bin" ] || { echo "no $bin: build it first (cmake --build $build --target goalkeeper_cli)"; exit 2; }
mkdir -p "$work"
cd "$work"
{
  echo "version: 1"
  echo "goals:"
  echo "  - id: fan"
  echo "    parallel: true"
  echo "    max_parallel: $p"
  echo "    run: [\"true\"]"
  echo "    session_policy: spawn"
  echo "    tasks:"
  for ((i = 0; i < n; i++)); do echo "      - {id: t$i}"; done
} > fan.yaml
echo "{\"limits\": {\"max_parallel\": $p}}" > config.json

best() { sort -n | head -1; }
seconds() { local s e; s=$(date +%s.%N); "$@" > /dev/null; e=$(date +%s.%N); echo "$e - $s" | bc; }

floor=$(for ((r = 0; r < runs; r++)); do seconds sh -c "seq $n | xargs -P $p -n 1 true"; done | best)
ours=$(for ((r = 0; r < runs; r++)); do
  rm -rf .goalkeeper
  seconds "$bin" run fan.yaml --jobs "$p" --config config.json
done | best)
fs=$(df --output=fstype "$work" | tail -1)
printf 'jobs %d, parallel %d, work dir %s (%s), best of %d\n' "$n" "$p" "$work" "$fs" "$runs"
printf 'xargs -P %d floor   %6.2f s\n' "$p" "$floor"
printf 'goalkeeper run      %6.2f s   (%.2fx the floor, %.2f ms per job over it; target 1.5x)\n' \
  "$ours" "$(echo "$ours / $floor" | bc -l)" "$(echo "($ours - $floor) * 1000 / $n" | bc -l)"
