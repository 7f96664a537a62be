#!/usr/bin/env bash
# What `cmake --install` ships works from where it lands: the files are in their places, the
# pkg-config file builds a C host against the installed header and library, and the installed
# `goalkeeper` finds its plugin and gk-supervise next to itself (no GOALKEEPER_PLUGIN, no build
# tree) and runs the installed hello example to the end.
#
#   tests/install/install_test.sh BUILD_DIR
set -euo pipefail
build=$(cd "$1" && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
prefix="$tmp/prefix"
fail() { echo "install test: $*" >&2; exit 1; }

cmake --install "$build" --prefix "$prefix" > "$tmp/install.log"
libdir=$(dirname "$(find "$prefix" -name 'libgoalkeeper.so.1' | head -1)")
[ -n "$libdir" ] && [ "$libdir" != . ] || fail "libgoalkeeper.so.1 not installed"
for f in bin/goalkeeper bin/gk-supervise include/goalkeeper/goalkeeper.h \
         include/goalkeeper/goalkeeper.hpp share/goalkeeper/examples/hello.yaml \
         share/doc/goalkeeper/README.md; do
  [ -e "$prefix/$f" ] || fail "$f not installed"
done
[ -L "$libdir/libgoalkeeper.so" ] || fail "no development link libgoalkeeper.so in $libdir"
if find "$prefix" -name '*.a' | grep -q .; then fail "static libraries installed"; fi

# A plain C host, built only from what pkg-config says.
export PKG_CONFIG_PATH="$libdir/pkgconfig"
flags=$(pkg-config --cflags --libs goalkeeper) || fail "pkg-config does not know goalkeeper"
include=$(pkg-config --variable=includedir goalkeeper)
[ "$(realpath "$include")" = "$(realpath "$prefix/include")" ] ||
  fail "pkg-config includedir $include is not $prefix/include"
cat > "$tmp/host.c" <<'C'
#include <goalkeeper/goalkeeper.h>
#include <stdio.h>
int main(void) {
  puts(gk_version());
  return gk_version()[0] ? 0 : 1;
}
C
# shellcheck disable=SC2086
cc -std=c99 -Wall -Werror "$tmp/host.c" -o "$tmp/host" $flags || fail "the C host does not build"
LD_LIBRARY_PATH="$libdir" "$tmp/host" > "$tmp/version" || fail "the C host does not run"
grep -q '^[0-9]' "$tmp/version" || fail "gk_version printed: $(cat "$tmp/version")"

# The installed command, from an unrelated directory, with nothing pointing at the build tree.
mkdir "$tmp/work"
cd "$tmp/work"
export PATH="$prefix/bin:/usr/bin:/bin"
unset GOALKEEPER_PLUGIN
goalkeeper validate "$prefix/share/goalkeeper/examples/hello.yaml" > /dev/null ||
  fail "validate failed"
goalkeeper run "$prefix/share/goalkeeper/examples/hello.yaml" --auto-approve > "$tmp/run.log" 2>&1 ||
  { cat "$tmp/run.log" >&2; fail "run of the installed hello example failed"; }
goalkeeper status --json > "$tmp/status.json"
grep -q '"done"' "$tmp/status.json" || fail "hello did not finish: $(cat "$tmp/status.json")"
echo "install test: ok ($(cat "$tmp/version"), plugin in ${libdir#"$prefix"/})"
