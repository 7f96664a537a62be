#!/usr/bin/env bash
# The built plugin against the ABI baseline: abidiff's exit status says whether anything of the
# exported interface changed (bit 4) and whether libabigail judges the change incompatible (bit 8).
# The baseline holds only the exported interface (abidw --exported-interfaces-only); comparing it
# with the whole library reports changes of that interface only.
#   tests/packaging/abi_check.sh ABIDIFF BASELINE LIBRARY
set -uo pipefail
abidiff=$1 baseline=$2 library=$3
out=$("$abidiff" "$baseline" "$library" 2>&1)
rc=$?
if [ $rc -eq 0 ]; then
  echo "abi: $library matches $baseline"
  exit 0
fi
echo "$out"
if [ $((rc & 8)) -ne 0 ]; then
  echo "abi: INCOMPATIBLE change against $baseline: a host built for this major would break." >&2
  echo "abi: keep the ABI, or make a new major (libgoalkeeper.so.N+1)." >&2
elif [ $((rc & 4)) -ne 0 ]; then
  echo "abi: the ABI changed. If old hosts keep working (an added function, a gk_host field" >&2
  echo "abi: appended), bump GK_ABI_VERSION_MINOR in goalkeeper.h and renew the baseline in the" >&2
  echo "abi: same commit: cmake --build --preset dev --target abi-baseline. Otherwise it is a" >&2
  echo "abi: new major." >&2
else
  echo "abi: abidiff failed (exit $rc)" >&2
fi
exit 1
