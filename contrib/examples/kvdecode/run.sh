#!/usr/bin/env bash
# The KV-cache decode example end to end: start a fresh ordod that loads the
# example's kernels, run ordo-kvdecode from two processes at once (each with
# its own cache, sharing one named weights buffer), print their summaries
# and `ordoctl status`, stop the daemon.
#
#   contrib/examples/kvdecode/run.sh BUILD_DIR [ordo-kvdecode options...]
#
# Options after BUILD_DIR go to both processes (say --steps 2000, or
# --explicit).  Environment: ORDOD_OPTS, extra daemon options (say
# "--chaos 7 --workers 3"); ORDOD, another daemon binary (say
# BUILD_DIR/tests/ordod-unsafe, built by make check, with ORDOD_OPTS
# "--unsafe-drop-war 1 --chaos 7 --workers 3": the run then shows what a
# missing write-after-read edge does).
#
# The daemon runs on a fresh temporary XDG_RUNTIME_DIR, so it never meets
# another ordod of this user; its log is printed if something fails.  It is
# stopped with SIGTERM, which drains and exits 0.  Exit status: 0 when both
# processes matched the reference bit for bit, 1 otherwise.
set -euo pipefail
build=${1:?usage: run.sh BUILD_DIR [ordo-kvdecode options...]}
shift
build=$(cd "$build" && pwd)
ordod=${ORDOD:-$build/daemon/ordod}
ordoctl=$build/client/ordoctl
kvdecode=$build/contrib/examples/kvdecode/ordo-kvdecode
kernels=$build/contrib/examples/kvdecode/.libs
for p in "$ordod" "$ordoctl" "$kvdecode"; do
    [ -x "$p" ] || { echo "kvdecode: $p is missing: build first (make)" >&2; exit 1; }
done
[ -f "$kernels/kvdecode_kernels.so" ] ||
    { echo "kvdecode: $kernels/kvdecode_kernels.so is missing: build first (make)" >&2; exit 1; }

run=$(mktemp -d "${TMPDIR:-/tmp}/ordo-kvdecode-XXXXXX")
export XDG_RUNTIME_DIR=$run
unset RUNTIME_DIRECTORY ORDO_ENDPOINT ORDO_STATUS_ENDPOINT
log=$run/ordod.log
pid=
pids=()
cleanup() {
    for p in "${pids[@]}" $pid; do
        if kill -0 "$p" 2>/dev/null; then
            kill -KILL "$p" 2>/dev/null || true
            wait "$p" 2>/dev/null || true
        fi
    done
    rm -rf "$run"
}
trap cleanup EXIT
fail() {
    echo "kvdecode: $*" >&2
    [ -s "$log" ] && { echo "---- ordod log ----" >&2; cat "$log" >&2; }
    exit 1
}

# The kernels' directory is libtool's .libs, where the only *.so is the
# plugin module.  ORDOD_OPTS is split into words on purpose.
echo "== starting ordod (--kernel-dir $kernels ${ORDOD_OPTS:-})"
# shellcheck disable=SC2086
"$ordod" --kernel-dir "$kernels" ${ORDOD_OPTS:-} 2>"$log" &
pid=$!
up=
for _ in $(seq 1 100); do
    kill -0 "$pid" 2>/dev/null || fail "ordod exited at start"
    if "$ordoctl" --timeout 0.2 status >/dev/null 2>&1; then up=1; break; fi
    sleep 0.1
done
[ -n "$up" ] || fail "ordod did not answer on its status socket within 10 s"

echo "== two ordo-kvdecode processes at once (one creates the named weights, the other opens them)"
"$kvdecode" --create-weights --ready-file "$run/weights.ready" "$@" >"$run/a.out" 2>&1 &
pids+=($!)
"$kvdecode" --open-weights --ready-file "$run/weights.ready" "$@" >"$run/b.out" 2>&1 &
pids+=($!)
st=0
for p in "${pids[@]}"; do
    wait "$p" || { s=$?; [ "$s" -gt "$st" ] && st=$s; }
done
pids=()
cat "$run/a.out" "$run/b.out"
[ "$st" -le 1 ] || fail "ordo-kvdecode failed (exit status $st)"

echo "== ordoctl status"
"$ordoctl" status || fail "ordoctl status failed"

echo "== stopping ordod (SIGTERM)"
kill -TERM "$pid"
status=0
wait "$pid" || status=$?
pid=
[ "$status" -eq 0 ] || fail "ordod exited with status $status after SIGTERM"
echo "ordod stopped cleanly"
if [ "$st" -ne 0 ]; then
    echo "kvdecode: MISMATCHES: the outputs differ from the sequential reference" >&2
    exit 1
fi
