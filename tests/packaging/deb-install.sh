#!/usr/bin/env bash
# deb-install: build the Debian packages, install them into a fresh
# debootstrap'ed Debian 12 root, and check them there: the files, the unit
# (systemd-analyze verify) and `hvvssctl plan`.  Run as root with network
# access to the Debian mirror (`make deb-install-test`); a few minutes.
# Nothing runs that could freeze: only the planner, which reads the mount
# table.  Prints "deb-install: N passed, N failed".
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
pass=0 fail=0
ok() { printf 'ok   %s\n' "$*"; pass=$((pass + 1)); }
bad() { printf 'FAIL %s\n' "$*"; fail=$((fail + 1)); }

[ "$(id -u)" = 0 ] || { echo "deb-install: needs root"; exit 77; }
export DEBIAN_FRONTEND=noninteractive
command -v debootstrap >/dev/null || apt-get install -y -qq debootstrap >/dev/null
mirror=$(sed -n 's/^URIs: *\(http[^ ]*debian\)$/\1/p' /etc/apt/sources.list.d/debian.sources \
    2>/dev/null | head -1)
mirror=${mirror:-http://deb.debian.org/debian}

work=$(mktemp -d /var/tmp/hvvss-debinst.XXXXXX)
root=$work/root
cleanup() {
	umount "$root/proc" 2>/dev/null || true
	rm -rf "$work"
}
trap cleanup EXIT

# 1. The packages, from a copy of the tree without build products.
mkdir -p "$work/src"
(cd "$top" && tar --exclude='./build*' --exclude='./debian/.debhelper' \
    --exclude='./bench/bin' -cf - .) | tar -xf - -C "$work/src"
if (cd "$work/src" && DEB_BUILD_OPTIONS=nocheck dpkg-buildpackage -us -uc -b \
    >"$work/build.log" 2>&1); then
	ok "dpkg-buildpackage -us -uc -b"
else
	tail -20 "$work/build.log"; bad "dpkg-buildpackage"; echo "deb-install: $pass passed, $fail failed"; exit 1
fi

# 2. A fresh Debian 12 root.
if debootstrap --variant=minbase bookworm "$root" "$mirror" >"$work/debootstrap.log" 2>&1; then
	ok "debootstrap bookworm ($mirror)"
else
	tail -20 "$work/debootstrap.log"; bad "debootstrap"; echo "deb-install: $pass passed, $fail failed"; exit 1
fi
printf '#!/bin/sh\nexit 101\n' >"$root/usr/sbin/policy-rc.d"
chmod +x "$root/usr/sbin/policy-rc.d"
mount -t proc proc "$root/proc"
cp "$work"/hvvss_*.deb "$work"/hvvss-host_*.deb "$root/tmp/"
if chroot "$root" sh -c 'apt-get update -qq && apt-get install -y -qq \
    /tmp/hvvss_*.deb /tmp/hvvss-host_*.deb systemd man-db' >"$work/install.log" 2>&1; then
	ok "apt-get install hvvss hvvss-host (with their dependencies) into the new root"
else
	tail -20 "$work/install.log"; bad "install into the new root"
fi

# 3. What the package put there.
for f in /usr/sbin/hv_vss_daemon /usr/sbin/hvvssctl /usr/sbin/hvvss-hold \
    /usr/sbin/hvvss-host /lib/systemd/system/hvvss.service \
    /lib/udev/rules.d/60-hvvss.rules /etc/hvvss.conf /etc/hvvss/hooks.d \
    /usr/share/man/man8/hv_vss_daemon.8.gz /usr/share/man/man8/hvvssctl.8.gz \
    /usr/share/man/man5/hvvss.conf.5.gz /usr/share/man/man8/hvvss-host.8.gz; do
	[ -e "$root$f" ] && ok "installed $f" || bad "missing $f"
done
if out=$(chroot "$root" systemd-analyze verify /lib/systemd/system/hvvss.service 2>&1); then
	ok "systemd-analyze verify hvvss.service"
else
	head -5 <<<"$out"; bad "systemd-analyze verify hvvss.service"
fi
if out=$(chroot "$root" hv_vss_daemon -C 2>&1); then
	ok "hv_vss_daemon -C: $out"
else
	printf '%s\n' "$out"; bad "hv_vss_daemon -C"
fi
if out=$(chroot "$root" hvvssctl plan 2>&1) && grep -q '^ORDER' <<<"$out"; then
	ok "hvvssctl plan ($(grep -c . <<<"$out") lines)"
	head -6 <<<"$out" | sed 's/^/     /'
else
	head -5 <<<"$out"; bad "hvvssctl plan"
fi
if out=$(chroot "$root" hvvssctl --json status 2>&1; true) &&
    "$top/tests/e2e/json-check" "$top/docs/hvvssctl-status.schema.json" <<<"$out" >/dev/null; then
	ok "hvvssctl --json status (daemon down) matches its schema"
else
	head -3 <<<"$out"; bad "hvvssctl --json status"
fi
echo "deb-install: $pass passed, $fail failed"
[ "$fail" = 0 ]
