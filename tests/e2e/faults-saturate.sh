#!/usr/bin/env bash
# faults-saturate: backups while writers saturate the filesystems.  Over
# ext4 (loop), xfs (zram) and btrfs (loop), each gets a dd(1) loop that
# rewrites a 64 MiB file without syncing (tens of MB dirty all the time) and
# a writer(1).  5 backup cycles (-H 200) with snapshot-copy as the snapshot:
# every FREEZE S_OK, every writer(1) blocked while frozen and resumed, and
# every copy taken while frozen passes check-copy (durability against the
# FREEZE send time).  Prints the dirty memory and the freeze times.
set -euo pipefail
NAME=faults-saturate
# shellcheck disable=SC2034 # DAEMON_LOG etc. are read by lib.sh
. "$(dirname "$(readlink -f "$0")")/../sandbox/lib.sh"

CYCLES=5
HOLD_MS=200
declare -a DD_PIDS=()

outside() {
	[ -x "$E2E_TOP/build/hvvss-host" ] || e2e_skip "$NAME" "build/hvvss-host not built"
	[ -x "$E2E_TOP/build/hv_vss_daemon" ] || e2e_skip "$NAME" "build/hv_vss_daemon not built"
	e2e_enter "$NAME" 150 ext4:loop:256M:ext4l xfs:zram:320M:xfsz btrfs:loop:256M:btrfsl
}

start_dd() {
	local mnt=$1
	(
		trap 'exit 0' TERM
		while :; do
			dd if=/dev/zero of="$mnt/big" bs=1M count=64 conv=notrunc status=none 2>/dev/null || true
		done
	) &
	DD_PIDS+=($!)
}

stop_dd() {
	local p
	for p in "${DD_PIDS[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
	for p in "${DD_PIDS[@]}"; do wait "$p" 2>/dev/null || true; done
	DD_PIDS=()
}

inside() {
	local name all rc=0 dirty maxdirty=0
	all=$(fs_names | tr '\n' ' ')
	for name in $all; do start_writer "$name"; done
	for name in $all; do wait_acks "$name" 10 20; done
	for name in $all; do start_dd "$(fs_field "$name" mnt)"; done
	for _ in $(seq 20); do
		dirty=$(awk '/^Dirty:/ { print int($2 / 1024) }' /proc/meminfo)
		[ "$dirty" -le "$maxdirty" ] || maxdirty=$dirty
		sleep 0.05
	done
	log "dirty memory before the cycles: up to $maxdirty MiB"
	# Not saturated, nothing proved: fail rather than pass by default.
	[ "$maxdirty" -ge 16 ] || fail "less than 16 MiB dirty: the load is not saturating"
	run_host "$CYCLES" "$HOLD_MS" -- /sb/build/hv_vss_daemon -n -d -t 20 || rc=$?
	[ $rc = 0 ] || fail "hvvss-host exit status $rc (want 0)"
	stop_dd
	for name in $all; do wait_more_acks "$name" 10 || fail "writer $name does not progress"; done
	stop_writers
	verify_cycles "$CYCLES" "$HOLD_MS" "$all" "$all" || fail "a cycle did not verify"
	grep -q 'daemon-exit status=exit 0' "$TIMELINE" || fail "daemon exit: $(grep daemon-exit "$TIMELINE" | cut -d' ' -f4-)"
	[ "$(grep -c 'event=freeze result=ok' "$HOST_OUT")" = "$CYCLES" ] ||
	    fail "the daemon did not log $CYCLES event=freeze result=ok"
	grep 'event=freeze result=ok' "$HOST_OUT" | sed 's/^/# daemon: /'
	log "TIMING FREEZE reply latency (ms, host side): $(awk '$3 == "reply" && $4 == "op=FREEZE" { for (i = 5; i <= NF; i++) if ($i ~ /^ms=/) printf "%s ", substr($i, 4) }' "$TIMELINE")"
	# shellcheck disable=SC2086
	assert_thawed $all
	no_guardian_left
	[ $FAULT_FAILED = 0 ] || show_host_output
	return $FAULT_FAILED
}

case ${1:-} in
--inside) inside ;;
*) outside ;;
esac
