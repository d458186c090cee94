#!/bin/sh
# systemd-analyze verify on ordo's units, as configured for this build tree
# (ExecStart names the ordod just built), and a check of the sysusers and
# tmpfiles snippets' syntax.  Exit 77 (skipped) without systemd-analyze.
set -u
srcdir=${ORDO_SYSTEMD_SRCDIR:-$(dirname "$0")}
ordod=${ORDOD:-}
command -v systemd-analyze >/dev/null 2>&1 || { echo "systemd-analyze not found: skipped"; exit 77; }
if [ -z "$ordod" ] || [ ! -x "$ordod" ]; then
    echo "ORDOD is not set to the built daemon (run through make check)"; exit 99
fi
tmp=$(mktemp -d "${TMPDIR:-/tmp}/ordo-verify.XXXXXX") || exit 99
trap 'rm -rf "$tmp"' EXIT INT TERM
sbindir=$(cd "$(dirname "$ordod")" && pwd)
mkdir -p "$tmp/units" "$tmp/etc/ordo"
: > "$tmp/etc/ordo/dev0.conf"
subst() {
    sed -e "s|@sbindir@|$sbindir|g" -e "s|@sysconfdir@|$tmp/etc|g" "$1" > "$2" || exit 99
}
subst "$srcdir/ordod.service.in" "$tmp/units/ordod.service"
cp "$srcdir/ordod.socket" "$tmp/units/ordod.socket"
# Templates are verified as an instance.
subst "$srcdir/ordod@.service.in" "$tmp/units/ordod@dev0.service"
cp "$srcdir/ordod@.socket" "$tmp/units/ordod@dev0.socket"
# The units must not carry an unsubstituted @variable@.
if grep -n '@[a-z]*@' "$tmp"/units/*; then echo "unsubstituted variables"; exit 1; fi

status=0
cd "$tmp/units" || exit 99
# --man=no: the man pages are not installed yet when make check runs.
out=$(SYSTEMD_LOG_LEVEL=notice systemd-analyze verify --man=no \
      ordod.service ordod.socket ordod@dev0.service ordod@dev0.socket 2>&1)
rc=$?
# Messages about the machine rather than the units (no running systemd in
# a build container, units of the host) are not ours.
ours=$(printf '%s\n' "$out" | grep -E 'ordod|ordo\.' | grep -v -E 'Failed to (connect|open|initialize)' || true)
if [ $rc -ne 0 ] || [ -n "$ours" ]; then
    echo "systemd-analyze verify (exit $rc):"
    printf '%s\n' "$out"
    status=1
else
    echo "systemd-analyze verify: clean"
fi

# Hardening that the service must keep (a regression here is silent
# otherwise).
# Access: the group ordo reaches the sockets (0770), in a directory it may
# enter but not write (0750), and nobody else does.
for key in Type=notify NoNewPrivileges=yes ProtectSystem=strict ProtectHome=yes \
           PrivateTmp=yes RuntimeDirectory=ordo UMask=0077 User=ordo Group=ordo \
           RuntimeDirectoryMode=0750 'ExecStart=[^ ]*/ordod --socket-mode 0770 ' \
           'SystemCallFilter=@system-service' 'RestrictAddressFamilies=AF_UNIX'; do
    for u in ordod.service ordod@dev0.service; do
        grep -q "^$key" "$u" || { echo "$u: no $key"; status=1; }
    done
done
for key in SocketUser=ordo SocketGroup=ordo SocketMode=0770 DirectoryMode=0750; do
    for u in ordod.socket ordod@dev0.socket; do
        grep -q "^$key\$" "$u" || { echo "$u: no $key"; status=1; }
    done
done
grep -q '^RuntimeDirectory=ordo/%i$' ordod@dev0.service || { echo "template: RuntimeDirectory"; status=1; }
grep -q -- "--config $tmp/etc/ordo/%i.conf" ordod@dev0.service || { echo "template: --config"; status=1; }

# sysusers.d and tmpfiles.d syntax, when the tools can check it offline.
if command -v systemd-sysusers >/dev/null 2>&1; then
    mkdir -p "$tmp/root/etc"
    # Into an empty root: the user is made there, and tmpfiles below can
    # resolve it.
    if ! systemd-sysusers --root="$tmp/root" "$srcdir/ordo.sysusers" >"$tmp/sysusers.log" 2>&1; then
        echo "systemd-sysusers refused ordo.sysusers:"; cat "$tmp/sysusers.log"; status=1
    elif ! grep -q '^ordo:' "$tmp/root/etc/passwd" 2>/dev/null; then
        echo "systemd-sysusers made no user ordo:"; cat "$tmp/sysusers.log"; status=1
    else
        echo "ordo.sysusers: ok"
    fi
fi
if command -v systemd-tmpfiles >/dev/null 2>&1; then
    if systemd-tmpfiles --root="$tmp/root" --create "$srcdir/ordo.tmpfiles" \
           >"$tmp/tmpfiles.log" 2>&1 && [ -d "$tmp/root/run/ordo" ]; then
        mode=$(stat -c %a "$tmp/root/run/ordo")
        if [ "$mode" = 750 ]; then
            echo "ordo.tmpfiles: ok"
        else
            echo "ordo.tmpfiles: /run/ordo has mode $mode, not 750"; status=1
        fi
    else
        echo "systemd-tmpfiles refused ordo.tmpfiles:"; cat "$tmp/tmpfiles.log"; status=1
    fi
fi
exit $status
