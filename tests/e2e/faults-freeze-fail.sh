#!/usr/bin/env bash
# faults-freeze-fail: the freeze of one filesystem out of four fails, in the
# middle of the freeze order (reverse mount order: ext4z, btrfsl, xfsz,
# ext4l), so others are already frozen when it fails.  A writer(1) runs on
# every other filesystem.
#  busy      /mnt/xfsz frozen beforehand by someone else (fsfreeze -f):
#            FREEZE is answered E_FAIL, every other fs is thawed again (probe
#            and writers), xfsz stays frozen by its own freezer; once that is
#            undone the next backup succeeds.
#  shutdown  /mnt/xfsz shut down (xfs_io -x -c shutdown): two FREEZEs both
#            answered E_FAIL (the daemon cannot open it: it fails while
#            preparing, before freezing anything), nothing left frozen.
# Prints how long the failing FREEZE took (host-side reply latency).
set -euo pipefail
NAME=faults-freeze-fail
# shellcheck disable=SC2034 # DAEMON_LOG etc. are read by lib.sh
. "$(dirname "$(readlink -f "$0")")/../sandbox/lib.sh"

OTHERS=''
VICTIM=xfsz

outside() {
	[ -x "$E2E_TOP/build/hvvss-host" ] || e2e_skip "$NAME" "build/hvvss-host not built"
	[ -x "$E2E_TOP/build/hv_vss_daemon" ] || e2e_skip "$NAME" "build/hv_vss_daemon not built"
	e2e_enter "$NAME" 60 ext4:loop:64M:ext4l xfs:zram:320M:xfsz btrfs:loop:128M:btrfsl \
	    ext4:zram:64M:ext4z
}

# failed_freeze CASE N: the Nth FREEZE was answered E_FAIL; its latency.
failed_freeze() {
	local st ms
	tl_wait 15 ' reply op=FREEZE ' "$2" >/dev/null || { fail "$1: no FREEZE reply"; return 0; }
	st=$(tl_reply_status FREEZE "$2")
	ms=$(awk '$3 == "reply" && $4 == "op=FREEZE" { if (++k == n) { for (i = 5; i <= NF; i++) if ($i ~ /^ms=/) print substr($i, 4); exit } }' n="$2" "$TIMELINE")
	log "$1: TIMING FREEZE #$2 answered $st after $ms ms"
	[ "$st" = E_FAIL ] || fail "$1: FREEZE #$2 answered $st (want E_FAIL)"
}

case_busy() {
	local victim
	log "== busy: $VICTIM already frozen by someone else"
	victim=$(fs_field "$VICTIM" mnt)
	DAEMON_LOG=/tmp/daemon-busy.log
	fsfreeze -f "$victim"
	host_start -n 1 -f "$SCEN_DIR/fault-freeze-fail.scen"
	daemon_start -t 20
	failed_freeze busy 1
	# shellcheck disable=SC2086
	assert_thawed $OTHERS
	if is_frozen "$victim"; then
		log "busy: $VICTIM still frozen by its own freezer (left alone)"
	else
		fail "busy: the daemon thawed $VICTIM, which someone else had frozen"
	fi
	fsfreeze -u "$victim" || true
	daemon_stop_at_end
	[ "$DAEMON_RC" = 0 ] || fail "busy: the daemon exited $DAEMON_RC on SIGTERM (want 0)"
	host_wait 30
	[ "$HOST_RC" = 0 ] || fail "busy: hvvss-host exit status $HOST_RC (want 0)"
	daemon_logged 'event=freeze result=fail cycle=1'
	daemon_logged "event=fs fs=/mnt/$VICTIM .*verdict=failed .*error=Device or resource busy"
	# Others were frozen before the failure and rolled back.
	daemon_logged 'event=fs fs=.* verdict=rolled-back'
	timeline_has ' reply op=FREEZE status=E_FAIL'
	[ "$(tl_reply_status THAW)" = S_OK ] || fail "busy: the next backup's THAW was $(tl_reply_status THAW)"
	log "busy: next backup FREEZE $(tl_reply_status FREEZE 2) THAW $(tl_reply_status THAW); host rc $HOST_RC, daemon rc $DAEMON_RC"
	# shellcheck disable=SC2086
	assert_thawed $OTHERS $VICTIM
}

case_shutdown() {
	local victim
	log "== shutdown: $VICTIM shut down (xfs_io -x -c shutdown)"
	victim=$(fs_field "$VICTIM" mnt)
	DAEMON_LOG=/tmp/daemon-shutdown.log
	xfs_io -x -c shutdown "$victim"
	host_start_daemon -n 2 -f "$SCEN_DIR/fault-freeze-fail-only.scen" -- -t 20
	failed_freeze shutdown 1
	failed_freeze shutdown 2
	host_daemon_end 0 "exit 0"
	daemon_logged 'event=freeze result=fail cycle=2'
	# The shut-down fs cannot even be opened: the FREEZE fails in its
	# preparation, before anything is frozen.
	daemon_logged 'event=freeze result=fail cycle=1 reason=prepare'
	daemon_logged "event=fs fs=/mnt/$VICTIM .*verdict=open-failed .*error=Input/output error"
	timeline_has ' reply op=FREEZE status=E_FAIL'
	log "shutdown: FREEZE $(tl_reply_status FREEZE 1)/$(tl_reply_status FREEZE 2); host rc $HOST_RC, daemon $(tl_daemon_exit)"
	# shellcheck disable=SC2086
	assert_thawed $OTHERS
}

inside() {
	OTHERS=$(fs_names | grep -v -x "$VICTIM" | tr '\n' ' ')
	run_fault_cases "$OTHERS" case_busy case_shutdown no_guardian_left
}

case ${1:-} in
--inside) inside ;;
*) outside ;;
esac
