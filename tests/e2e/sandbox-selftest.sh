#!/usr/bin/env bash
# sandbox-selftest: the harness itself.
#  1. isolation: inside, only pseudo filesystems and our loop/zram test
#     filesystems are visible, the manifest matches the mounts, and
#     assert-freeze-safe passes;
#  2. cleanup: a command that freezes an ext4 (loop), an xfs (zram) and
#     leaves a writer blocked on a nested ext4 whose backing fs is frozen, then
#     hangs, is killed by the sandbox timeout: exit 124, and the sandbox must
#     report that it left no loop or zram device behind (SB_REPORT).
set -euo pipefail
NAME=sandbox-selftest
. "$(dirname "$(readlink -f "$0")")/../sandbox/lib.sh"
SANDBOX=$E2E_TOP/tests/sandbox/sandbox

isolation_inside() {
	local bad n m
	bad=$(awk '$3 !~ /^(tmpfs|proc|sysfs|devpts)$/ && $1 !~ /^\/dev\/(loop|zram)[0-9]+$/' /proc/mounts)
	[ -z "$bad" ] || { log "unexpected mounts: $bad"; return 1; }
	n=$(wc -l <"$SB_MANIFEST")
	m=$(grep -c -E '^/dev/(loop|zram)' /proc/mounts)
	[ "$n" = 3 ] && [ "$m" = 3 ] || { log "manifest $n lines, $m test mounts"; return 1; }
	/sb/bin/assert-freeze-safe >/dev/null
	[ -S /dev/log ] && logger -t selftest hello 2>/dev/null || true
	log "isolation: $(awk '{ printf "%s(%s,%s) ", $1, $2, $5 }' "$SB_MANIFEST")"
}

cleanup_inside() {
	writer -o /tmp/n.ack /mnt/n/w &
	fsfreeze -f /mnt/a
	fsfreeze -f /mnt/x
	log "frozen /mnt/a and /mnt/x, writer blocked on nested /mnt/n; hanging"
	sleep 1000
}

outside() {
	local rc=0 report failed=0
	[ "$(id -u)" = 0 ] || e2e_skip "$NAME" "not root"
	report=$(mktemp)
	"$SANDBOX" -t 60 -f ext4:loop:64M:a -f xfs:zram:320M:x -f ext4:nested:32M:n -- \
	    /sb/tests/e2e/$NAME.sh --isolation || rc=$?
	[ $rc = 0 ] || { log "isolation check failed (rc $rc)"; failed=1; }
	rc=0
	SB_REPORT=$report "$SANDBOX" -t 3 -f ext4:loop:64M:a -f xfs:zram:320M:x -f ext4:nested:32M:n -- \
	    /sb/tests/e2e/$NAME.sh --cleanup 2>/dev/null || rc=$?
	if [ $rc != 124 ]; then log "cleanup case: rc $rc, want 124"; failed=1; fi
	if [ "$(cat "$report")" != leak=0 ]; then
		log "cleanup case: sandbox reports $(cat "$report")"; failed=1
	else
		log "cleanup case: timed out while frozen, nothing left behind"
	fi
	rm -f "$report"
	e2e_verdict "$NAME" $failed
}

case ${1:-} in
--isolation) isolation_inside ;;
--cleanup) cleanup_inside ;;
*) outside ;;
esac
