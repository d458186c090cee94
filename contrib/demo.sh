#!/usr/bin/env bash
# The quick start's main job: start ordod with its defaults, run an example
# client workload against it, print `ordoctl status`, stop the daemon.
#
#   contrib/demo.sh BUILD_DIR
#
# The daemon runs on a fresh temporary XDG_RUNTIME_DIR, so it never meets
# another ordod (or a stale socket) of this user; its log is printed if it
# fails.  It is stopped with SIGTERM, which drains and exits 0.
set -euo pipefail
build=${1:?usage: demo.sh BUILD_DIR}
build=$(cd "$build" && pwd)
ordod=$build/daemon/ordod
ordoctl=$build/client/ordoctl
demo=$build/contrib/examples/ordo-demo
for p in "$ordod" "$ordoctl" "$demo"; do
    [ -x "$p" ] || { echo "demo: $p is missing: build first (make)" >&2; exit 1; }
done

run=$(mktemp -d "${TMPDIR:-/tmp}/ordo-demo-XXXXXX")
export XDG_RUNTIME_DIR=$run
unset RUNTIME_DIRECTORY ORDO_ENDPOINT ORDO_STATUS_ENDPOINT
log=$run/ordod.log
pid=
cleanup() {
    if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
        kill -KILL "$pid" 2>/dev/null || true
        wait "$pid" 2>/dev/null || true
    fi
    rm -rf "$run"
}
trap cleanup EXIT
fail() {
    echo "demo: $*" >&2
    [ -s "$log" ] && { echo "---- ordod log ----" >&2; cat "$log" >&2; }
    exit 1
}

echo "== starting ordod (defaults; runtime directory $run/ordo)"
"$ordod" 2>"$log" &
pid=$!
up=
for _ in $(seq 1 100); do
    kill -0 "$pid" 2>/dev/null || fail "ordod exited at start"
    if "$ordoctl" --timeout 0.2 status >/dev/null 2>&1; then up=1; break; fi
    sleep 0.1
done
[ -n "$up" ] || fail "ordod did not answer on its status socket within 10 s"

echo "== running the example workload (contrib/examples/demo.c)"
"$demo" || fail "the example workload failed"

echo "== ordoctl status"
"$ordoctl" status || fail "ordoctl status failed"

echo "== stopping ordod (SIGTERM)"
kill -TERM "$pid"
status=0
wait "$pid" || status=$?
pid=
[ "$status" -eq 0 ] || fail "ordod exited with status $status after SIGTERM"
echo "ordod stopped cleanly"
