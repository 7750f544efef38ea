#!/usr/bin/env bash
# faults-device: channel faults and garbage from the host, over ext4 (loop)
# and xfs (zram) with a writer(1) on each; the daemon runs under hvvss-host
# (which SIGTERMs it at the end) with -t 20.
#  daemon-close  built-in: a normal backup, then the daemon is SIGKILLed as
#                it reads a FREEZE: the kernel fails that FREEZE at once
#                (drv-fail reason=daemon-closed) and every later request.
#  hibernate     built-in: hibernation while frozen: the kernel's fake THAW
#                thaws, the daemon's reply is refused (EINVAL), it registers
#                again and the renegotiated channel works.
#  malformed, truncated, oversized
#                built-ins (2 cycles each, Linux and FreeBSD flavours):
#                garbage between valid requests; the kernel's answers as
#                modelled, the backups still work.  Linux's kernel filters
#                the garbage itself; FreeBSD's forwards some of it, which the
#                daemon must refuse (event=request result=fail ...).
#  sigstop       scenario fault-stop with -t freeze=2: the daemon is
#                SIGSTOPped before a FREEZE and SIGCONTed after the kernel
#                failed it; the daemon freezes on the stale request, its
#                reply is refused (EINVAL), it thaws, registers again, and
#                the next backup works.
# Every case: hvvss-host's status and the daemon's exit as expected,
# nothing frozen afterwards, no guardian left.
set -euo pipefail
NAME=faults-device
# shellcheck disable=SC2034 # DAEMON_LOG etc. are read by lib.sh
. "$(dirname "$(readlink -f "$0")")/../sandbox/lib.sh"

ALL=''

outside() {
	[ -x "$E2E_TOP/build/hvvss-host" ] || e2e_skip "$NAME" "build/hvvss-host not built"
	[ -x "$E2E_TOP/build/hv_vss_daemon" ] || e2e_skip "$NAME" "build/hv_vss_daemon not built"
	e2e_enter "$NAME" 80 ext4:loop:64M:ext4l xfs:zram:320M:xfsz
}

after() {
	# shellcheck disable=SC2086
	assert_thawed $ALL
	no_guardian_left
	[ $FAULT_FAILED = 0 ] || show_fault_logs
}

case_daemon_close() {
	log "== daemon-close"
	DAEMON_LOG=/tmp/daemon-close.log
	host_start_daemon -s daemon-close -n 1 -- -t 20
	host_daemon_end 0 "signal 9"
	timeline_has ' kill-daemon op=FREEZE'
	timeline_has ' drv-fail op=FREEZE reason=daemon-closed'
	timeline_has ' drv-fail op=HOT_BACKUP reason=not-registered'
	# Killed before it could read the FREEZE: its log ends with the
	# completed backup before, and no FREEZE of a second cycle.
	daemon_logged 'event=thawed cycle=1 .*why="thaw"'
	grep -q 'event=request op=FREEZE .*' "$DAEMON_LOG" &&
	    [ "$(grep -c 'event=request op=FREEZE' "$DAEMON_LOG")" = 1 ] ||
	    fail "daemon-close: the daemon saw the FREEZE it was killed on"
	log "daemon-close: FREEZE#2 $(tl_reply_status FREEZE 2), HOT_BACKUP#3 $(tl_reply_status HOT_BACKUP 3); host rc $HOST_RC, daemon $(tl_daemon_exit)"
	after
}

case_hibernate() {
	log "== hibernate"
	DAEMON_LOG=/tmp/daemon-hibernate.log
	host_start_daemon -s hibernate -n 1 -- -t 20
	host_daemon_end 0 "exit 0"
	timeline_has ' drv-suspend fake-thaw=queued'
	timeline_has ' dev-write status=S_OK result=Invalid argument'
	[ "$(grep -c ' register version=' "$TIMELINE")" -ge 2 ] || fail "hibernate: the daemon did not register again"
	daemon_logged 'event=thawed cycle=1 .*why="thaw"'
	daemon_logged 'event=device-write-failed'
	daemon_logged 'event=state from=IDLE to=REGISTERING why="reply refused"'
	log "hibernate: HOT_BACKUP after resume $(tl_reply_status HOT_BACKUP 2); registrations $(grep -c ' register version=' "$TIMELINE"); host rc $HOST_RC, daemon $(tl_daemon_exit)"
	after
}

case_garbage() {
	local s=$1 fl=$2
	log "== $s ($fl)"
	DAEMON_LOG=/tmp/daemon-$s-$fl.log
	host_start_daemon -F "$fl" -s "$s" -n 2 -- -F "$fl" -t 20
	host_daemon_end 0 "exit 0"
	[ "$(grep -c 'cycle-end result=ok' "$TIMELINE")" -ge 3 ] || fail "$s ($fl): a cycle failed"
	log "$s ($fl): $(grep -c ' expect result=ok' "$TIMELINE") expectations met, $(grep -c ' expect result=' "$TIMELINE") in all; drops: $(grep -o 'drv-drop reason=[a-z-]*' "$TIMELINE" | sort | uniq -c | tr -s ' \n' ' ')"
	grep -q ' expect result=fail\| expect result=mismatch' "$TIMELINE" && fail "$s: an expectation was not met"
	daemon_logged 'event=(thawed|request) '
	if grep -E 'event=(request-malformed|request result=fail|device-[a-z-]*failed|device-read-bad-length)' "$DAEMON_LOG" | head -3 | sed 's/^/# daemon: /'; then :; fi
	after
}

case_sigstop() {
	local ms
	log "== sigstop: daemon stopped past the kernel's FREEZE timeout (2 s)"
	DAEMON_LOG=/tmp/daemon-stop.log
	host_start_daemon -f "$SCEN_DIR/fault-stop.scen" -n 1 -t freeze=2 -- -t 20
	tl_wait 10 ' sleep ms=500\.000' >/dev/null || fail "sigstop: scenario did not start"
	kill -STOP "$DAEMON_PID"
	if ! tl_wait 10 ' drv-timeout op=FREEZE' >/dev/null; then
		fail "sigstop: the kernel did not time the FREEZE out"
	fi
	kill -CONT "$DAEMON_PID"
	tl_wait 10 ' dev-write status=S_OK result=Invalid argument' >/dev/null ||
	    fail "sigstop: the daemon's late FREEZE reply was not refused"
	host_daemon_end 0 "exit 0"
	[ "$(tl_reply_status FREEZE)" = E_FAIL ] || fail "sigstop: FREEZE answered $(tl_reply_status FREEZE) (want E_FAIL)"
	timeline_has ' drv-timeout op=FREEZE'
	timeline_has ' dev-write status=S_OK result=Invalid argument'
	[ "$(grep -c ' register version=' "$TIMELINE")" -ge 2 ] || fail "sigstop: the daemon did not register again"
	daemon_logged 'event=device-write-failed'
	daemon_logged 'event=thawed cycle=1 .*why="reply refused"'
	ms=$(grep -m1 'event=thawed cycle=1' "$DAEMON_LOG" | sed 's/.*frozen_ms=\([0-9.]*\).*/\1/')
	log "sigstop: TIMING frozen $ms ms on the stale FREEZE before the refused reply thawed it"
	log "sigstop: FREEZE $(tl_reply_status FREEZE), next backup FREEZE $(tl_reply_status FREEZE 2) THAW $(tl_reply_status THAW); host rc $HOST_RC, daemon $(tl_daemon_exit)"
	[ "$(tl_reply_status THAW)" = S_OK ] || fail "sigstop: the next backup failed"
	after
}

inside() {
	local name s
	ALL=$(fs_names | tr '\n' ' ')
	for name in $ALL; do start_writer "$name"; done
	for name in $ALL; do wait_acks "$name" 10 20; done
	case_daemon_close
	case_hibernate
	for s in malformed truncated oversized; do
		case_garbage "$s" linux
		case_garbage "$s" freebsd
	done
	case_sigstop
	stop_writers
	return $FAULT_FAILED
}

case ${1:-} in
--inside) inside ;;
*) outside ;;
esac
