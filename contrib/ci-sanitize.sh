#!/usr/bin/env bash
# ci-sanitize.sh - the sanitizer pass of the CI: zero reports required.
#
#   contrib/ci-sanitize.sh [asan|fuzz|valgrind]...   (default: all three)
#
#  asan      configure build-asan with AddressSanitizer and
#            UndefinedBehaviorSanitizer (gcc, -fno-sanitize-recover=all) and
#            run "make check" there, LeakSanitizer included;
#  fuzz      "make fuzz-run" in build-asan: each libFuzzer harness of
#            tests/fuzz for FUZZ_SECONDS (default 30) on its corpus;
#  valgrind  configure build-valgrind (plain -O1 -g: valgrind cannot run
#            sanitized programs) and run the core tests (check_view,
#            check_index, check_graph, check_random) under valgrind's
#            memcheck with CK_FORK=no, so that the leak check sees the tests.
#
# Any sanitizer report, leak, valgrind error or failed test fails the script
# (exit 1), after printing the logs of what failed.
#
# Environment: JOBS (default: cores), ASAN_BUILD_DIR (build-asan),
# VALGRIND_BUILD_DIR (build-valgrind), FUZZ_SECONDS (30), CLANG (clang),
# VALGRIND_RANDOM_TASKS (ORDO_RANDOM_TASKS of check_random under valgrind,
# default 20000 of the suite's 260800).
#
# LeakSanitizer and Check's forking: each test runs in a forked child that
# exits normally, so LeakSanitizer checks every child at its exit and a leak
# fails that test with the leak report in the test's log; the parent (the
# runner) is checked at its own exit.  Nothing to switch off.
set -euo pipefail

cd "$(dirname "$0")/.."
top=$PWD
jobs=${JOBS:-$(nproc)}
asan_dir=${ASAN_BUILD_DIR:-build-asan}
vg_dir=${VALGRIND_BUILD_DIR:-build-valgrind}
fuzz_seconds=${FUZZ_SECONDS:-30}
clang=${CLANG:-clang}
vg_tasks=${VALGRIND_RANDOM_TASKS:-20000}
steps=("$@")
[ ${#steps[@]} -gt 0 ] || steps=(asan fuzz valgrind)

SAN_CFLAGS="-O1 -g -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all"
PLAIN_CFLAGS="-O1 -g"

# halt_on_error: the first report ends the process with a failure;
# detect_leaks: LeakSanitizer at every exit.
export ASAN_OPTIONS="halt_on_error=1:detect_leaks=1:abort_on_error=0:print_summary=1${ASAN_OPTIONS:+:$ASAN_OPTIONS}"
export UBSAN_OPTIONS="halt_on_error=1:print_stacktrace=1${UBSAN_OPTIONS:+:$UBSAN_OPTIONS}"

t0=$(date +%s)
say() { echo "== ci-sanitize: $* (+$(( $(date +%s) - t0 ))s)"; }

# The logs of the tests that did not pass, then failure.
fail_check() {
    local dir=$1
    say "FAILED: make check in $dir"
    local trs
    for trs in $(find "$dir" -name '*.trs' 2>/dev/null); do
        if grep -qE '^:test-result: (FAIL|ERROR|XPASS)' "$trs"; then
            echo "---- ${trs%.trs}.log"
            tail -n 100 "${trs%.trs}.log" || true
        fi
    done
    exit 1
}

# Configures dir with the given CFLAGS unless it already is.
configure_dir() {
    local dir=$1 cflags=$2
    mkdir -p "$dir"
    if [ ! -f "$dir/Makefile" ] || [ "$(cat "$dir/.ci-cflags" 2>/dev/null)" != "$cflags" ]; then
        say "configure $dir (CFLAGS=$cflags)"
        (cd "$dir" && "$top/configure" --quiet CFLAGS="$cflags") || exit 1
        echo "$cflags" > "$dir/.ci-cflags"
    fi
}

[ -x configure ] && [ configure -nt configure.ac ] || autoreconf -fi

for step in "${steps[@]}"; do
    case "$step" in
    asan)
        configure_dir "$asan_dir" "$SAN_CFLAGS"
        say "build $asan_dir"
        make -C "$asan_dir" -j"$jobs" >/dev/null || exit 1
        # The Python binding's test loads the sanitized libordo.so into an
        # uninstrumented python3: the ASan runtime must be preloaded there
        # (and python's own allocations at exit are not ours to leak-check).
        # contrib/python/test_ordo.sh takes the interpreter from PYTHON.
        # The interpreter is found as the test finds it (one with numpy).
        py=
        for p in ${PYTHON:-} python3 /usr/bin/python3; do
            if command -v "$p" >/dev/null 2>&1 && "$p" -c 'import numpy' >/dev/null 2>&1; then
                py=$("$p" -c 'import sys; print(sys.executable)')
                break
            fi
        done
        pyenv=()
        if [ -n "$py" ]; then
            libasan=$(${CC:-gcc} -print-file-name=libasan.so)
            pywrap=$PWD/$asan_dir/ci-python-asan
            printf '#!/bin/sh\nLD_PRELOAD=%s ASAN_OPTIONS="$ASAN_OPTIONS:detect_leaks=0" exec %s "$@"\n' \
                "$libasan" "$py" > "$pywrap"
            chmod +x "$pywrap"
            pyenv=(PYTHON="$pywrap")
        fi
        say "make check in $asan_dir (ASan, UBSan, LSan)"
        env "${pyenv[@]}" make -C "$asan_dir" -j"$jobs" check >/dev/null 2>&1 ||
            fail_check "$asan_dir"
        grep -h '^# \(TOTAL\|PASS\|FAIL\|ERROR\)' "$asan_dir/test-suite.log" || true
        # A report that a test caught and survived (a child's stderr) is
        # still a report.
        if grep -lE '(AddressSanitizer|LeakSanitizer|UndefinedBehaviorSanitizer|runtime error:)' \
               $(find "$asan_dir" -name '*.log' -newer "$asan_dir/.ci-cflags") 2>/dev/null; then
            say "FAILED: sanitizer reports in the logs above"
            exit 1
        fi
        ;;
    fuzz)
        configure_dir "$asan_dir" "$SAN_CFLAGS"
        say "fuzz: $fuzz_seconds s per harness"
        make --no-print-directory -C "$asan_dir" fuzz-run FUZZ_SECONDS="$fuzz_seconds" CLANG="$clang" || {
            say "FAILED: fuzzing (inputs and logs in $asan_dir/tests/fuzz/run/)"; exit 1; }
        ;;
    valgrind)
        configure_dir "$vg_dir" "$PLAIN_CFLAGS"
        core_tests="tests/check_view tests/check_index tests/check_graph tests/check_random"
        say "build the core tests in $vg_dir"
        make -C "$vg_dir" -j"$jobs" $core_tests >/dev/null || exit 1
        for t in $core_tests; do
            say "valgrind $t"
            (cd "$vg_dir" && CK_FORK=no ORDO_RANDOM_TASKS="$vg_tasks" \
                ./libtool --mode=execute valgrind -q --leak-check=full \
                --errors-for-leak-kinds=definite,indirect --error-exitcode=99 \
                "./$t" > "$t.valgrind.log" 2>&1) || {
                tail -n 100 "$vg_dir/$t.valgrind.log"
                say "FAILED: valgrind $t (log: $vg_dir/$t.valgrind.log)"; exit 1; }
            grep -h '^[0-9]*%: Checks' "$vg_dir/$t.valgrind.log" || true
        done
        ;;
    *)
        echo "usage: $0 [asan|fuzz|valgrind]..." >&2
        exit 2
        ;;
    esac
done
say "all clean"
