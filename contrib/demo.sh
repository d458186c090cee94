#!/usr/bin/env bash
# The main job: run the engine benchmark in-process (until the daemon exists).
# $1: the build directory.
set -euo pipefail
build=${1:?usage: demo.sh BUILD_DIR}
exec "$build/contrib/bench/ordo-engine-bench"
