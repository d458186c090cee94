#!/bin/sh
# Runs contrib/python/test_ordo.py against a real ordod of the build tree,
# started on a private temporary ipc endpoint and stopped at the end (it
# must drain and exit 0).  Run from the top build directory (make check
# does); ORDOD, ORDO_LIBRARY and PYTHON override what is found there.
#
# Exit 77 (skipped) only when no python3 with numpy is found: Debian's
# python3-numpy provides it.  With --chaos the daemon shuffles ready tasks,
# so a missing dependency edge shows up as a wrong number; the seed is
# printed, and ORDO_PY_CHAOS=SEED repeats a run.
set -u

here=$(cd "$(dirname "$0")" && pwd)
ordod=${ORDOD:-$PWD/daemon/ordod}
lib=${ORDO_LIBRARY:-$PWD/client/.libs/libordo.so}

py=
for p in ${PYTHON:-} python3 /usr/bin/python3; do
    if command -v "$p" >/dev/null 2>&1 && "$p" -c 'import numpy' >/dev/null 2>&1; then
        py=$p
        break
    fi
done
if [ -z "$py" ]; then
    echo "test_ordo: SKIP: no python3 with numpy (apt-get install python3-numpy)"
    exit 77
fi
for f in "$ordod" "$lib"; do
    if [ ! -e "$f" ]; then
        echo "test_ordo: $f is missing: build the tree first (make)" >&2
        exit 99
    fi
done

dir=$(mktemp -d "${TMPDIR:-/tmp}/ordo-py-XXXXXX") || exit 99
pid=
cleanup() {
    [ -n "$pid" ] && kill -KILL "$pid" 2>/dev/null
    rm -rf "$dir"
}
trap cleanup EXIT
trap 'exit 99' HUP INT TERM

seed=${ORDO_PY_CHAOS:-$(od -An -N2 -tu2 /dev/urandom | tr -d ' ')}
seed=$((seed + 1))
echo "test_ordo: ordod --chaos $seed, python $("$py" -c 'import sys; print(sys.executable)')"
XDG_RUNTIME_DIR=$dir "$ordod" --endpoint="ipc://$dir/ordod.sock" \
    --status-endpoint="ipc://$dir/status.sock" --workers=4 --chaos="$seed" \
    >"$dir/ordod.log" 2>&1 &
pid=$!

# Up when the socket exists (at most 20 s on a loaded machine).
i=0
while [ ! -S "$dir/ordod.sock" ]; do
    if ! kill -0 "$pid" 2>/dev/null || [ $i -ge 200 ]; then
        echo "test_ordo: ordod did not come up; its log:" >&2
        cat "$dir/ordod.log" >&2
        exit 99
    fi
    sleep 0.1
    i=$((i + 1))
done

ORDO_ENDPOINT="ipc://$dir/ordod.sock" ORDO_STATUS_ENDPOINT="ipc://$dir/status.sock" \
ORDO_LIBRARY=$lib PYTHONDONTWRITEBYTECODE=1 PYTHONPATH="$here${PYTHONPATH:+:$PYTHONPATH}" \
    "$py" "$here/test_ordo.py" -v
rc=$?

kill -TERM "$pid"
wait "$pid"
drc=$?
pid=
if [ $drc -ne 0 ]; then
    echo "test_ordo: ordod exited with status $drc after SIGTERM; its log:" >&2
    cat "$dir/ordod.log" >&2
    [ $rc -eq 0 ] && rc=1
fi
exit $rc
