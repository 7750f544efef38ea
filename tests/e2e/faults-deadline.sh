#!/usr/bin/env bash
# faults-deadline: the daemon's own deadline (-t 2) over ext4 (loop) and xfs
# (zram), a writer(1) on each.
#  no-thaw    built-in scenario no-thaw (-t other=4: the host waits 4 s and
#             never sends THAW): the daemon thaws 2 s after the FREEZE
#             (event=deadline), the host's run still succeeds.
#  late-thaw  scenario fault-late-thaw (THAW 4 s after the FREEZE): the
#             deadline thaws at 2 s and the late THAW is answered E_FAIL
#             (event=thaw result=fail ... "deadline thawed before THAW");
#             the next backup succeeds.
# The time from the FREEZE reply until every writer resumes is printed.
set -euo pipefail
NAME=faults-deadline
# shellcheck disable=SC2034 # DAEMON_LOG etc. are read by lib.sh
. "$(dirname "$(readlink -f "$0")")/../sandbox/lib.sh"

ALL=''

outside() {
	[ -x "$E2E_TOP/build/hvvss-host" ] || e2e_skip "$NAME" "build/hvvss-host not built"
	[ -x "$E2E_TOP/build/hv_vss_daemon" ] || e2e_skip "$NAME" "build/hv_vss_daemon not built"
	e2e_enter "$NAME" 60 ext4:loop:64M:ext4l xfs:zram:320M:xfsz
}

# deadline_thaw CASE: after the FREEZE reply the writers stall, then resume
# about 2 s later (the deadline), not at 4 s (the guardian's backstop).
deadline_thaw() {
	local fr ms
	fr=$(tl_wait 10 ' reply op=FREEZE status=S_OK') || { fail "$1: no S_OK FREEZE reply"; return 0; }
	# shellcheck disable=SC2086
	writers_stalled $ALL || fail "$1: the writers are not blocked after FREEZE"
	# shellcheck disable=SC2086
	if ms=$(wait_resumed 8 "$fr" $ALL); then
		log "$1: TIMING writers resumed $ms ms after the FREEZE reply (deadline -t 2)"
		awk -v m="$ms" 'BEGIN { exit !(m >= 1900 && m < 3500) }' ||
		    fail "$1: the thaw came at $ms ms, not at the 2 s deadline"
	else
		fail "$1: the deadline did not thaw"
	fi
}

case_no_thaw() {
	log "== no-thaw: the host never sends THAW"
	DAEMON_LOG=/tmp/daemon-nothaw.log
	host_start_daemon -s no-thaw -n 1 -t other=4 -- -t 2
	deadline_thaw no-thaw
	host_daemon_end 0 "exit 0"
	daemon_logged 'event=deadline limit_s=2 action=thaw'
	daemon_logged 'event=thawed .*why="deadline"'
	grep -q ' send op=THAW' "$TIMELINE" && fail "no-thaw: the host sent a THAW"
	log "no-thaw: FREEZE $(tl_reply_status FREEZE), BU_COMPLETE $(tl_reply_status BU_COMPLETE), host rc $HOST_RC, daemon $(tl_daemon_exit)"
	# shellcheck disable=SC2086
	assert_thawed $ALL
	no_guardian_left
}

case_late_thaw() {
	local st
	log "== late-thaw: THAW 4 s after FREEZE, deadline 2 s"
	DAEMON_LOG=/tmp/daemon-late.log
	host_start_daemon -f "$SCEN_DIR/fault-late-thaw.scen" -n 1 -- -t 2
	deadline_thaw late-thaw
	tl_wait 10 ' reply op=THAW ' >/dev/null || fail "late-thaw: no THAW reply"
	st=$(tl_reply_status THAW)
	[ "$st" = E_FAIL ] || fail "late-thaw: the late THAW was answered $st (want E_FAIL)"
	timeline_has ' reply op=THAW status=E_FAIL'
	host_daemon_end 0 "exit 0"
	daemon_logged 'event=deadline limit_s=2 action=thaw'
	daemon_logged 'event=thaw result=fail frozen=0 reason="deadline thawed before THAW"'
	[ "$(tl_reply_status THAW 2)" = S_OK ] || fail "late-thaw: the next backup's THAW was $(tl_reply_status THAW 2)"
	log "late-thaw: THAW $st; next backup FREEZE $(tl_reply_status FREEZE 2) THAW $(tl_reply_status THAW 2); host rc $HOST_RC, daemon $(tl_daemon_exit)"
	# shellcheck disable=SC2086
	assert_thawed $ALL
	no_guardian_left
}

inside() {
	ALL=$(fs_names | tr '\n' ' ')
	run_fault_cases "$ALL" case_no_thaw case_late_thaw
}

case ${1:-} in
--inside) inside ;;
*) outside ;;
esac
