#!/usr/bin/env bash
# goalkeeper's own overhead per job: `goalkeeper run` of a fan-out of N `true` jobs with --jobs P,
# against the floor of starting the same N processes with `xargs -P P`. Not a test.
#
#   tests/bench/runner_bench.sh [BUILD_DIR] [WORK_DIR]
#
# BUILD_DIR defaults to build/release; WORK_DIR (where .goalkeeper/ goes) to a new temp dir.
# Give /dev/shm/... as WORK_DIR to take the file system's cost of creating files out of it.
# RUNS (default 3) runs of each, the best kept; N jobs (1000), P at a time (16).
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

# Each run starts without .goalkeeper/. The previous run's is moved aside, not deleted: deleting its
# ~4,000 files shortly before a run would time the file system's memory of them instead (ext4
# without a journal skips the inodes freed in the last 5 minutes, one by one, for every new file).
# They are left for you to delete. CLEAN=rm deletes before each run, as this script did at first.
# The floor and goalkeeper run in turns, so both see the same state of the machine; each pair
# gives a ratio, and the median ratio is the figure least moved by one lucky or unlucky run.
old=".goalkeeper.bench-$$"
floors=() ours_all=() ratios=()
for ((r = 0; r < runs; r++)); do
  f=$(seconds sh -c "seq $n | xargs -P $p -n 1 true")
  if [ "${CLEAN:-move}" = rm ]; then rm -rf .goalkeeper; elif [ -d .goalkeeper ]; then
    mkdir -p "$old" && mv .goalkeeper "$old/$r"
  fi
  o=$(seconds "$bin" run fan.yaml --jobs "$p" --config config.json)
  floors+=("$f") ours_all+=("$o") ratios+=("$(echo "$o / $f" | bc -l)")
done
floor=$(printf '%s\n' "${floors[@]}" | best)
ours=$(printf '%s\n' "${ours_all[@]}" | best)
median=$(printf '%s\n' "${ratios[@]}" | sort -n | sed -n "$(((runs + 1) / 2))p")
fs=$(df --output=fstype "$work" | tail -1)
printf 'jobs %d, parallel %d, work dir %s (%s), best of %d\n' "$n" "$p" "$work" "$fs" "$runs"
printf 'xargs -P %d floor   %6.2f s\n' "$p" "$floor"
printf 'goalkeeper run      %6.2f s   (%.2fx the floor, %.2f ms per job over it; target 1.5x)\n' \
  "$ours" "$(echo "$ours / $floor" | bc -l)" "$(echo "($ours - $floor) * 1000 / $n" | bc -l)"
printf 'median of %d paired ratios   %.2fx   (each: %s)\n' "$runs" "$median" \
  "$(printf '%.2f ' "${ratios[@]}")"
[ -d "$old" ] && echo "earlier runs' files are in $work/$old"
exit 0
