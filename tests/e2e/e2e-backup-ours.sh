#!/usr/bin/env bash
# e2e-backup-ours: our daemon under the emulated Hyper-V host, 20 backup
# cycles over ext4 (loop), xfs (zram), btrfs (loop), ext4 (zram) and a nested
# ext4 (loop image on the first ext4), a writer(1) on each.  The snapshot
# command copies every device while frozen.  Every cycle: every copy passes
# check-copy (with durability against the FREEZE send time), every writer was
# blocked while frozen (for at least the hold) and resumed after THAW.
# Every freeze ran with expedited RCU grace periods (when the knob was 0),
# and the knob is back to what it was afterwards.
# HVVSS_E2E_HOST=fake runs the fsfreeze(8) stand-in instead (harness check).
set -euo pipefail
NAME=e2e-backup-ours
. "$(dirname "$(readlink -f "$0")")/../sandbox/lib.sh"

CYCLES=${E2E_CYCLES:-20}
HOLD_MS=200
DAEMON=(/sb/build/hv_vss_daemon -n -d)

outside() {
	if [ "${HVVSS_E2E_HOST:-}" != fake ]; then
		[ -x "$E2E_TOP/build/hvvss-host" ] || e2e_skip "$NAME" "build/hvvss-host not built"
		[ -x "$E2E_TOP/build/hv_vss_daemon" ] || e2e_skip "$NAME" "build/hv_vss_daemon not built"
	fi
	e2e_enter "$NAME" 420 ext4:loop:128M:ext4l xfs:zram:320M:xfsz btrfs:loop:128M:btrfsl \
	    ext4:zram:64M:ext4z ext4:nested:48M:nested
}

RCU=/sys/kernel/rcu_expedited

inside() {
	local name all rc=0 k0 nexp
	all=$(fs_names | tr '\n' ' ')
	k0=$(cat "$RCU")
	for name in $all; do start_writer "$name"; done
	for name in $all; do wait_acks "$name" 20 20; done
	run_host "$CYCLES" "$HOLD_MS" -- "${DAEMON[@]}" || rc=$?
	for name in $all; do wait_more_acks "$name" 10 || rc=1; done
	stop_writers
	if [ $rc != 0 ]; then show_host_output; fi
	verify_cycles "$CYCLES" "$HOLD_MS" "$all" "$all" || rc=1
	# The documented order: the nested filesystem (its image lives on
	# ext4l) is frozen in an earlier stage than ext4l, thawed after it.
	local sn se
	sn=$(grep -m1 -o "event=fs fs=$(fs_field nested mnt) .*stage=[0-9]*" "$HOST_OUT" |
	    sed 's/.*stage=//')
	se=$(grep -m1 -o "event=fs fs=$(fs_field ext4l mnt) .*stage=[0-9]*" "$HOST_OUT" |
	    sed 's/.*stage=//')
	log "freeze stages: nested $sn, ext4l $se"
	if [ -z "$sn" ] || [ -z "$se" ] || [ "$sn" -ge "$se" ]; then
		log "FAIL: nested must be frozen in a stage before ext4l"; rc=1
	fi
	if [ "${HVVSS_E2E_HOST:-}" != fake ]; then
		nexp=$(grep -c 'event=freeze result=ok .*expedited=yes' "$HOST_OUT" || true)
		log "rcu_expedited $k0 before, $(cat "$RCU") after; $nexp of $CYCLES freezes expedited"
		if [ "$k0" = 0 ] && [ "$nexp" != "$CYCLES" ]; then
			log "FAIL: $nexp of $CYCLES freezes ran with expedited RCU"; rc=1
		fi
		if [ "$(cat "$RCU")" != "$k0" ]; then
			log "FAIL: rcu_expedited was $k0, is $(cat "$RCU") after the backups"; rc=1
		fi
	fi
	[ $rc = 0 ] || show_host_output
	return $rc
}

case ${1:-} in
--inside) inside ;;
*) outside ;;
esac
