#!/usr/bin/env bash
# What `cmake --install` ships works from where it lands: the files are in their places, the
# pkg-config file builds a C host against the installed header and library, and the installed
# `goalkeeper` finds its plugin and gk-supervise next to itself (no GOALKEEPER_PLUGIN, no build
# tree) and runs the installed hello example to the end.
#
#   tests/packaging/install_test.sh BUILD_DIR CONSUMER_DIR
set -euo pipefail
build=$(cd "$1" && pwd)
consumer=$(cd "$2" && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
prefix="$tmp/prefix"
fail() { echo "install test: $*" >&2; exit 1; }

cmake --install "$build" --prefix "$prefix" > "$tmp/install.log"
libdir=$(dirname "$(find "$prefix" -name 'libgoalkeeper.so.1' | head -1)")
[ -n "$libdir" ] && [ "$libdir" != . ] || fail "libgoalkeeper.so.1 not installed"
# Named for the ABI (as libcurl is): the SONAME link points at libgoalkeeper.so.MAJOR.MINOR.0.
real=$(readlink "$libdir/libgoalkeeper.so.1")
[[ $real =~ ^libgoalkeeper\.so\.1\.[0-9]+\.0$ ]] || fail "libgoalkeeper.so.1 -> $real"
for f in bin/goalkeeper bin/gk-supervise include/goalkeeper/goalkeeper.h \
         include/goalkeeper/goalkeeper.hpp share/goalkeeper/examples/hello.yaml \
         share/goalkeeper/pipeline.schema.json share/doc/goalkeeper/README.md \
         share/doc/goalkeeper/design.md share/doc/goalkeeper/goal-files.md \
         share/doc/goalkeeper/serve.md share/doc/goalkeeper/hosts.md \
         share/bash-completion/completions/goalkeeper \
         share/goalkeeper/python/goalkeeper/__init__.py \
         share/goalkeeper/python/goalkeeper/py.typed \
         share/goalkeeper/python/goalkeeper/_install.py; do
  [ -e "$prefix/$f" ] || fail "$f not installed"
done
if command -v help2man > /dev/null; then
  [ -e "$prefix/share/man/man1/goalkeeper.1" ] || fail "no man page"
  grep -q 'goalkeeper' "$prefix/share/man/man1/goalkeeper.1" || fail "the man page is empty"
fi
grep -q 'complete -o filenames -F _goalkeeper goalkeeper' \
  "$prefix/share/bash-completion/completions/goalkeeper" || fail "the completion is not bash's"
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

# The CMake package: find_package(goalkeeper 1 CONFIG REQUIRED) and its two targets, in a project
# of its own; each host runs a goal with the installed plugin.
cmake -S "$consumer" -B "$tmp/consumer" -DCMAKE_PREFIX_PATH="$prefix" > "$tmp/consumer.log" 2>&1 ||
  { cat "$tmp/consumer.log" >&2; fail "the CMake consumer does not configure"; }
cmake --build "$tmp/consumer" > "$tmp/consumer-build.log" 2>&1 ||
  { cat "$tmp/consumer-build.log" >&2; fail "the CMake consumer does not build"; }
"$tmp/consumer/linked_host" "$tmp/linked.db" || fail "the linked host did not run its goal"
LD_LIBRARY_PATH="$libdir" "$tmp/consumer/loaded_host" "$tmp/loaded.db" ||
  fail "the loading host did not run its goal"
# Another major is refused by the package's version file.
mkdir "$tmp/major2"
printf 'cmake_minimum_required(VERSION 3.25)\nproject(m LANGUAGES C)\nfind_package(goalkeeper 2 CONFIG REQUIRED)\n' \
  > "$tmp/major2/CMakeLists.txt"
if cmake -S "$tmp/major2" -B "$tmp/major2/build" -DCMAKE_PREFIX_PATH="$prefix" > "$tmp/major2.log" 2>&1; then
  fail "find_package(goalkeeper 2) found the 1.x package"
fi
# The same host built from what pkg-config says, linked to the installed plugin.
# shellcheck disable=SC2086
cc -std=c99 -Wall -Werror -I"$consumer" "$consumer/linked.c" -o "$tmp/pc_host" $flags ||
  fail "the pkg-config host does not build"
LD_LIBRARY_PATH="$libdir" "$tmp/pc_host" "$tmp/pc.db" || fail "the pkg-config host did not run its goal"

# The installed command, from an unrelated directory, with nothing pointing at the build tree.
mkdir "$tmp/work"
cd "$tmp/work"
export PATH="$prefix/bin:/usr/bin:/bin"
unset GOALKEEPER_PLUGIN
goalkeeper validate "$prefix/share/goalkeeper/examples/hello.yaml" > /dev/null ||
  fail "validate failed"
# The installed example imports the installed template beside it.
goalkeeper validate "$prefix/share/goalkeeper/examples/pr-shepherd.yaml" > /dev/null ||
  fail "validate of the installed pr-shepherd example (which imports ../templates) failed"
goalkeeper run "$prefix/share/goalkeeper/examples/hello.yaml" --auto-approve > "$tmp/run.log" 2>&1 ||
  { cat "$tmp/run.log" >&2; fail "run of the installed hello example failed"; }
goalkeeper status --json > "$tmp/status.json"
grep -q '"done"' "$tmp/status.json" || fail "hello did not finish: $(cat "$tmp/status.json")"
# The installed Python SDK finds the installed plugin by itself, with Debian's interpreter.
PYTHONPATH="$prefix/share/goalkeeper/python" /usr/bin/python3 - "$prefix" "$tmp/py.db" <<'PY' ||
import os, sys, goalkeeper
prefix, state = sys.argv[1], sys.argv[2]
with goalkeeper.Plugin({"state_path": state}) as gk:
    assert os.path.realpath(gk.path).startswith(os.path.realpath(prefix)), gk.path
    gk.load(open(prefix + "/share/goalkeeper/examples/hello.yaml").read(), "hello.yaml")
    gk.start("hello")
    assert any(a["type"] == "run_job" for a in gk.step()["actions"])
PY
  fail "the installed Python SDK did not find or drive the installed plugin"
echo "install test: ok ($(cat "$tmp/version"), plugin in ${libdir#"$prefix"/})"
