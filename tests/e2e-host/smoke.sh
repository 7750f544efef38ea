#!/usr/bin/env bash
# smoke.sh: hvvss-host against Debian's unmodified /usr/sbin/hv_vss_daemon.
#
# Everything runs inside a private mount namespace with a private tmpfs
# on /dev, so the FUSE device /dev/vmbus/hv_vss and the /dev/log listener
# are invisible to the rest of the machine and nothing is left behind.
# The scenarios contain no FREEZE and no THAW (the script refuses any
# that do): Debian's daemon would FIFREEZE the machine's real file
# systems.  Needs root, unshare(1), socat(1) for the syslog capture.
#
#	tests/e2e-host/smoke.sh [hvvss-host binary]
set -u
cd "$(dirname "$0")/../.."
BIN=${1:-build-host/hvvss-host}
DAEMON=/usr/sbin/hv_vss_daemon
SCN=tests/e2e-host/check.scn

if [ "$(id -u)" != 0 ]; then echo "smoke: needs root" >&2; exit 77; fi
if [ ! -x "$DAEMON" ]; then echo "smoke: no $DAEMON" >&2; exit 77; fi
if [ "$BIN" = build-host/hvvss-host ]; then
	make -s B=build-host build-host/hvvss-host || exit 1
fi
# No FREEZE/THAW (by name or number), no raw packet, no hibernate (its
# fake THAW): anything else never reaches the daemon as a freeze.
if sed 's/#.*//' "$SCN" | awk '
    $1 == "hibernate" { bad = 1 }
    $1 == "send" && $2 ~ /^(FREEZE|THAW|raw|0*[56]|0[xX]0*[56])$/ { bad = 1 }
    END { exit !bad }'; then
	echo "smoke: $SCN must not contain FREEZE, THAW, raw or hibernate" >&2
	exit 1
fi
tmp=$(mktemp -d /tmp/hvvss-smoke.XXXXXX)
trap 'rm -rf "$tmp"' EXIT

# The part that runs inside the namespace.
cat >"$tmp/inner.sh" <<'INNER'
set -u
BIN=$1 DAEMON=$2 SCN=$3 T=$4
mount -t tmpfs -o mode=0755,size=1m hvvss-dev /dev || exit 1
mknod -m 666 /dev/null c 1 3
mknod -m 666 /dev/zero c 1 5
mknod -m 666 /dev/urandom c 1 9
mknod -m 666 /dev/fuse c 10 229
: >"$T/syslog"
if command -v socat >/dev/null; then
	socat -u UNIX-RECV:/dev/log,mode=666 OPEN:"$T/syslog",append &
	sp=$!
	for i in 1 2 3 4 5 6 7 8 9 10; do [ -S /dev/log ] && break; sleep 0.1; done
fi
rc=0
echo "== 1: -f $SCN, 3 cycles, Debian's daemon"
timeout -k 5 60 "$BIN" -n 3 -f "$SCN" -T "$T/tl1" -- "$DAEMON" -n
echo "exit $?" >"$T/rc1"
echo "== 2: -s check, 2 cycles, Debian's daemon"
timeout -k 5 60 "$BIN" -q -n 2 -s check -T "$T/tl2" -- "$DAEMON" -n
echo "exit $?" >"$T/rc2"
echo "== 3: no daemon at all: exit 75 after -r 1"
timeout -k 5 60 "$BIN" -q -r 1 -T "$T/tl3"
echo "exit $?" >"$T/rc3"
echo "== 4: a daemon that exits at once: exit 75"
timeout -k 5 60 "$BIN" -q -r 5 -- /bin/false
echo "exit $?" >"$T/rc4"
echo "== 5: device path not an empty file: exit 69"
mkdir -p /dev/busy && echo x >/dev/busy/hv_vss
timeout -k 5 60 "$BIN" -q -D /dev/busy/hv_vss -r 1
echo "exit $?" >"$T/rc5"
[ -n "${sp:-}" ] && kill "$sp"
test ! -e /dev/vmbus
echo "exit $?" >"$T/rc6"
INNER

timeout -k 10 200 unshare -m --propagation private \
    bash "$tmp/inner.sh" "$BIN" "$DAEMON" "$SCN" "$tmp"

fail=0
check() {	# check NAME CONDITION-DESCRIPTION COMMAND...
	local what=$1; shift
	if "$@"; then echo "smoke: ok   $what"; else
		echo "smoke: FAIL $what"; fail=1; fi
}
rcis() { [ "$(cat "$tmp/$1" 2>/dev/null)" = "exit $2" ]; }
count() { grep -c -- "$2" "$tmp/$1" 2>/dev/null || true; }
check "run 1 exit 0" rcis rc1 0
check "run 1: 3 HOT_BACKUP answered S_OK by the daemon" \
    [ "$(count tl1 ' reply op=HOT_BACKUP status=S_OK')" = 3 ]
check "run 1: the daemon read 3 requests" \
    [ "$(count tl1 'dev-read op=HOT_BACKUP')" = 3 ]
check "run 1: registered with version 129" \
    [ "$(count tl1 'register version=129')" = 1 ]
check "run 1: every expectation ok" \
    [ "$(count tl1 'expect result=mismatch')" = 0 ]
check "run 1: no FREEZE or THAW ever sent" \
    [ "$(grep -Ec 'send op=(FREEZE|THAW)|dev-read op=(FREEZE|THAW)' \
    "$tmp/tl1")" = 0 ]
check "run 2 (-s check) exit 0" rcis rc2 0
check "run 3 (no daemon) exit 75" rcis rc3 75
check "run 4 (daemon dies) exit 75" rcis rc4 75
check "run 5 (busy path) exit 69" rcis rc5 69
check "no /dev/vmbus left behind in the namespace" rcis rc6 0
if [ -s "$tmp/syslog" ]; then
	echo "--- Debian's hv_vss_daemon syslog:"
	tr '<' '\n' <"$tmp/syslog" | sed -n 's/^[0-9]*>/</p'
	check "syslog: kernel module version 129" \
	    grep -q 'kernel module version: 129' "$tmp/syslog"
	check "syslog: 5 x 'op=CHECK HOT BACKUP'" \
	    [ "$(grep -o 'op=CHECK HOT BACKUP' "$tmp/syslog" | wc -l)" = 5 ]
fi
[ -e /dev/vmbus ] && { echo "smoke: FAIL /dev/vmbus visible outside"; fail=1; }
exit $fail
