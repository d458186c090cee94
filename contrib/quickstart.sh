#!/usr/bin/env bash
# Quick start for a fresh Debian 12 machine (run as root, from the checkout).
#
#   bash contrib/quickstart.sh demo   install what is missing, build, run the main job
#                                     (the demo workload, then the KV-cache decode example)
#   bash contrib/quickstart.sh test   install what is missing, build, run the whole test suite
#                                     (make check, then the sanitizer, fuzz and valgrind pass)
#
# Environment: JOBS (parallel make jobs, default: cores), BUILD_DIR (default: build).
set -euo pipefail
# ordod loads plugin kernels only from directories and files that nobody but
# their owner can write: build with a umask that gives them those modes, as
# a shell with umask 002 would not.
umask 022

cd "$(dirname "$0")/.."
top=$PWD
mode=${1:-}
jobs=${JOBS:-$(nproc)}
build=${BUILD_DIR:-build}

# Debian packages the build and the tests need.
packages=(build-essential autoconf automake libtool pkg-config
          libzmq3-dev libprotobuf-c-dev protobuf-c-compiler check valgrind
          python3 python3-numpy graphviz clang libclang-rt-14-dev)

install_missing() {
    local missing=()
    for p in "$@"; do
        dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' || missing+=("$p")
    done
    [ ${#missing[@]} -eq 0 ] && return 0
    echo "quickstart: installing ${missing[*]}"
    if [ "$(id -u)" -ne 0 ]; then
        echo "quickstart: missing packages and not root: run as root or install: ${missing[*]}" >&2
        exit 1
    fi
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

build_tree() {
    [ -x configure ] && [ configure -nt configure.ac ] || autoreconf -fi
    mkdir -p "$build"
    cd "$build"
    [ -f Makefile ] || "$top/configure" --quiet
    make -j"$jobs"
}

case "$mode" in
demo)
    install_missing "${packages[@]}"
    build_tree
    "$top/contrib/demo.sh" "$PWD"
    echo
    echo "== the KV-cache decode example: two processes, in-place cache writes ordered by bytes"
    exec "$top/contrib/examples/kvdecode/run.sh" "$PWD" --steps 2000
    ;;
test)
    install_missing "${packages[@]}"
    build_tree
    make -j"$jobs" check || { cat tests/*.log 2>/dev/null | tail -n 200; exit 1; }
    # The same suites under AddressSanitizer and UndefinedBehaviorSanitizer,
    # bounded fuzz runs, and the core tests under valgrind: zero reports.
    cd "$top"
    "$top/contrib/ci-sanitize.sh"
    ;;
*)
    echo "usage: $0 demo|test" >&2
    exit 2
    ;;
esac
