#!/usr/bin/env bash
# scenarios.sh: every built-in scenario, both flavours, against
# fakedaemon.py (which freezes nothing), plus the held-read/EINTR path,
# a failing daemon (exit 1) and SIGTERM handling.  Runs in a private
# mount namespace with a private tmpfs /dev; needs root and unshare(1).
#
#	tests/e2e-host/scenarios.sh [hvvss-host binary]
set -u
cd "$(dirname "$0")/../.."
BIN=${1:-build-host/hvvss-host}
if [ "$(id -u)" != 0 ]; then echo "scenarios: needs root" >&2; exit 77; fi
if [ "$BIN" = build-host/hvvss-host ]; then
	make -s B=build-host build-host/hvvss-host || exit 1
fi
tmp=$(mktemp -d /tmp/hvvss-scen.XXXXXX)
trap 'rm -rf "$tmp"' EXIT

cat >"$tmp/inner.sh" <<'INNER'
set -u
BIN=$1 T=$2 FAKE=$PWD/tests/e2e-host/fakedaemon.py
HELD=$PWD/tests/e2e-host/heldread.py
mount -t tmpfs -o mode=0755,size=1m hvvss-dev /dev || exit 1
mknod -m 666 /dev/null c 1 3
mknod -m 666 /dev/fuse c 10 229
# Short driver timeouts so the timeout paths run in seconds.
TMO="-t other=1 -t freeze=2 -t bsd=1 -H 20"
for f in linux freebsd; do
	for s in backup check no-thaw late-thaw dup-freeze unexpected-op \
	    malformed truncated oversized bad-nego hibernate daemon-close; do
		timeout -k 5 120 "$BIN" -q -F $f -n 2 -s $s $TMO \
		    -T "$T/tl-$f-$s" -- /usr/bin/python3 "$FAKE" $f \
		    2>"$T/err-$f-$s"
		echo "$f $s $?"
	done
	FAKE_FAIL=5 timeout -k 5 60 "$BIN" -q -F $f -s backup $TMO \
	    -- /usr/bin/python3 "$FAKE" $f 2>/dev/null
	echo "$f freeze-fails $?"
done
printf 'cycle\nsleep 500ms\nsend HOT_BACKUP\n' >"$T/held.scn"
timeout -k 5 60 "$BIN" -q -f "$T/held.scn" -T "$T/tl-held" \
    -- /usr/bin/python3 "$HELD" 2>"$T/err-held"
echo "linux held-read $?"
# SIGTERM while waiting for a daemon: clean unmount, exit 1.
"$BIN" -q -r 30 & hp=$!
sleep 0.5; kill -TERM $hp; wait $hp
echo "linux sigterm $?"
test ! -e /dev/vmbus; echo "linux cleanup $?"
INNER

timeout -k 10 900 unshare -m --propagation private \
    bash "$tmp/inner.sh" "$BIN" "$tmp" >"$tmp/results"
fail=0
while read -r f s rc; do
	want=0
	case $s in freeze-fails|sigterm) want=1 ;; esac
	if [ "$rc" = "$want" ]; then echo "scenarios: ok   $f $s"
	else echo "scenarios: FAIL $f $s (exit $rc, want $want)"; fail=1
		[ -f "$tmp/tl-$f-$s" ] && grep mismatch "$tmp/tl-$f-$s"
	fi
done <"$tmp/results"
grep -q "held READ interrupted\|interrupted read ok" "$tmp/err-held" ||
    { echo "scenarios: FAIL held read not interrupted"; fail=1; }
exit $fail
