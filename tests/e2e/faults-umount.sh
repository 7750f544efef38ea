#!/usr/bin/env bash
# faults-umount: filesystems unmounted under the daemon, over ext4 (loop),
# xfs (zram), ext4 (zram, "gone") and ext4 (loop, "lazy"); writers(1) on
# all but "gone".
#  gap     scenario fault-umount-gap: /mnt/gone is unmounted between
#          HOT_BACKUP (planned with it) and FREEZE (1.5 s later): FREEZE
#          re-plans without it and succeeds, THAW too.
#  frozen  scenario fault-umount-frozen: /mnt/lazy is detached with umount -l
#          while frozen; its writer keeps its cwd inside.  THAW must thaw it
#          through the daemon's descriptor: the writer resumes and a
#          FIFREEZE+FITHAW probe through /proc/PID/cwd finds it thawed.
set -euo pipefail
NAME=faults-umount
# shellcheck disable=SC2034 # DAEMON_LOG etc. are read by lib.sh
. "$(dirname "$(readlink -f "$0")")/../sandbox/lib.sh"

outside() {
	[ -x "$E2E_TOP/build/hvvss-host" ] || e2e_skip "$NAME" "build/hvvss-host not built"
	[ -x "$E2E_TOP/build/hv_vss_daemon" ] || e2e_skip "$NAME" "build/hv_vss_daemon not built"
	e2e_enter "$NAME" 60 ext4:loop:64M:ext4l xfs:zram:320M:xfsz ext4:zram:64M:gone \
	    ext4:loop:64M:lazy
}

case_gap() {
	local mnt
	log "== gap: /mnt/gone unmounted between HOT_BACKUP and FREEZE"
	mnt=$(fs_field gone mnt)
	DAEMON_LOG=/tmp/daemon-gap.log
	host_start_daemon -f "$SCEN_DIR/fault-umount-gap.scen" -n 1 -- -t 20
	tl_wait 10 ' sleep ms=1500\.000' >/dev/null || fail "gap: the scenario did not reach its pause"
	umount "$mnt" || fail "gap: cannot unmount $mnt"
	host_daemon_end 0 "exit 0"
	[ "$(tl_reply_status FREEZE)" = S_OK ] || fail "gap: FREEZE answered $(tl_reply_status FREEZE)"
	[ "$(tl_reply_status THAW)" = S_OK ] || fail "gap: THAW answered $(tl_reply_status THAW)"
	daemon_logged 'event=plan result=ok freeze=4 '
	daemon_logged 'event=prepared cycle=1 filesystems=3 '
	grep -q 'event=fs fs=/mnt/gone' "$DAEMON_LOG" && fail "gap: the daemon froze the unmounted /mnt/gone"
	log "gap: FREEZE $(tl_reply_status FREEZE) THAW $(tl_reply_status THAW); host rc $HOST_RC, daemon $(tl_daemon_exit)"
	mount "$(fs_field gone dev)" "$mnt"
	assert_thawed ext4l xfsz gone lazy
	no_guardian_left
}

case_frozen() {
	local mnt wpid tsend ms
	log "== frozen: /mnt/lazy detached (umount -l) while frozen"
	mnt=$(fs_field lazy mnt)
	DAEMON_LOG=/tmp/daemon-lazy.log
	kill -TERM "${WRITER_PID[lazy]}"; wait "${WRITER_PID[lazy]}" 2>/dev/null || true
	rm -f "$ACK_DIR/lazy"
	(cd "$mnt" && exec writer -i "$WRITER_INTERVAL_MS" -o "$ACK_DIR/lazy" writer.dat) &
	wpid=$!
	WRITER_PID[lazy]=$wpid
	wait_acks lazy 10 20
	host_start_daemon -f "$SCEN_DIR/fault-umount-frozen.scen" -n 1 -- -t 20
	tl_wait 10 ' reply op=FREEZE status=S_OK' >/dev/null || { fail "frozen: no S_OK FREEZE"; }
	writers_stalled lazy ext4l xfsz || fail "frozen: writers not blocked after FREEZE"
	umount -l "$mnt" || fail "frozen: umount -l $mnt failed"
	grep -q " $mnt " /proc/mounts && fail "frozen: $mnt still mounted after umount -l"
	is_frozen "/proc/$wpid/cwd" || fail "frozen: the detached fs is not frozen"
	tsend=$(tl_wait 10 ' send op=THAW') || fail "frozen: no THAW sent"
	if ms=$(wait_resumed 5 "$tsend" lazy ext4l xfsz); then
		log "frozen: TIMING writers (the detached one included) resumed $ms ms after THAW was sent"
	else
		fail "frozen: the detached filesystem stayed frozen after THAW"
	fi
	host_daemon_end 0 "exit 0"
	[ "$(tl_reply_status THAW)" = S_OK ] || fail "frozen: THAW answered $(tl_reply_status THAW)"
	timeline_has ' reply op=THAW status=S_OK'
	daemon_logged 'event=fs fs=/mnt/lazy .*verdict=thawed'
	if is_frozen "/proc/$wpid/cwd"; then
		fail "frozen: the detached superblock is still frozen"
		fsfreeze -u "/proc/$wpid/cwd" || true
	fi
	wait_more_acks lazy 5 || fail "frozen: the detached writer does not progress"
	log "frozen: FREEZE $(tl_reply_status FREEZE) THAW $(tl_reply_status THAW); host rc $HOST_RC, daemon $(tl_daemon_exit)"
	# Mount it again while the writer still holds the superblock (the
	# loop device is auto-cleared once the last reference goes).
	mount "$(fs_field lazy dev)" "$mnt" || fail "frozen: cannot mount $mnt again"
	kill -TERM "$wpid"; wait "$wpid" 2>/dev/null || true
	unset 'WRITER_PID[lazy]'
	assert_thawed ext4l xfsz gone lazy
	no_guardian_left
}

inside() {
	run_fault_cases "ext4l xfsz lazy" case_gap case_frozen
}

case ${1:-} in
--inside) inside ;;
*) outside ;;
esac
