#!/usr/bin/env bash
# faults-portable: the daemon's event plumbing without the Linux extras it
# prefers, as on FreeBSD or an old kernel.  hv_vss_daemon runs under strace
# with signalfd4(2) and pidfd_open(2) failing (ENOSYS), so that it, and its
# guardian, take signals through the self-pipe (sigsrc.h) and watch the
# guardian by polling.  Over ext4 (loop) and xfs (zram) with writers, under
# hvvss-host's fault-window scenario:
#  A  the guardian is SIGKILLed while frozen: the daemon notices without a
#     pidfd and arms a new one; the filesystems stay frozen, THAW succeeds,
#     the next backup works, and SIGTERM stops the daemon (exit 0);
#  B  the guardian gets SIGTERM while frozen: it thaws at once through its
#     own self-pipe (the writers resume);
#  C  the daemon gets SIGTERM while frozen: it thaws, then exits 0.
set -euo pipefail
NAME=faults-portable
# shellcheck disable=SC2034 # DAEMON_LOG etc. are read by lib.sh
. "$(dirname "$(readlink -f "$0")")/../sandbox/lib.sh"

STRACE=/usr/bin/strace
ALL=''

outside() {
	local rc=0
	[ -x "$E2E_TOP/build/hvvss-host" ] || e2e_skip "$NAME" "build/hvvss-host not built"
	[ -x "$E2E_TOP/build/hv_vss_daemon" ] || e2e_skip "$NAME" "build/hv_vss_daemon not built"
	[ -x "$STRACE" ] || e2e_skip "$NAME" "strace not installed"
	[ "$(id -u)" = 0 ] || e2e_skip "$NAME" "not root"
	"$E2E_TOP/tests/sandbox/sandbox" -t 120 -b "$STRACE" -f ext4:loop:64M:ext4l \
	    -f xfs:zram:320M:xfsz -- "/sb/tests/e2e/$NAME.sh" --inside || rc=$?
	e2e_verdict "$NAME" "$rc"
}

# daemon_start_portable [args]: the daemon under strace; DAEMON_PID is
# strace's (its exit status is the daemon's), DPID the daemon's own.
daemon_start_portable() {
	local deadline=$((SECONDS + 5)) p
	DAEMON_RC=''
	"$STRACE" -f --seccomp-bpf -qq -o /dev/null -e trace=signalfd4,pidfd_open \
	    -e inject=signalfd4,pidfd_open:error=ENOSYS \
	    /sb/build/hv_vss_daemon -n -d "$@" 2>>"$DAEMON_LOG" &
	DAEMON_PID=$!
	DPID=''
	while [ -z "$DPID" ] && [ $SECONDS -lt $deadline ]; do
		for p in /proc/[0-9]*; do
			[ "$(awk '{ print $4 }' "$p/stat" 2>/dev/null)" = "$DAEMON_PID" ] || continue
			[ "$(cat "$p/comm" 2>/dev/null)" = hv_vss_daemon ] && DPID=${p#/proc/}
		done
		[ -n "$DPID" ] || sleep 0.01
	done
	[ -n "$DPID" ] || fail "no daemon under strace"
}

# stop_at_end: as daemon_stop_at_end, but the signal goes to the daemon,
# not to strace (whose exit status is the daemon's).
stop_at_end() {
	tl_wait 30 ' sleep ms=1200\.000' >/dev/null ||
	    fail "the scenario did not reach its final sleep"
	kill -TERM "$DPID" 2>/dev/null || true
	daemon_wait 10
}

case_a() {
	log "== A: guardian SIGKILLed while frozen, no pidfd"
	DAEMON_LOG=/tmp/daemon-a.log
	host_start -n 1 -f "$SCEN_DIR/fault-window.scen"
	daemon_start_portable -t 20
	# shellcheck disable=SC2086
	frozen_window $ALL || return 0
	daemon_logged 'event=start .*signals=self-pipe'
	# No pidfd: the daemon notices by polling (every 50 ms).
	# shellcheck disable=SC2086
	guardian_killed A "$DPID" $ALL
	stop_at_end
	[ "$DAEMON_RC" = 0 ] || fail "A: the daemon exited $DAEMON_RC on SIGTERM (want 0)"
	daemon_logged 'event=signal signo=15 action=exit'
	host_wait 30
	[ "$(grep -c 'cycle-end result=ok' "$TIMELINE")" -ge 2 ] || fail "A: the backup after the fault did not succeed"
	# shellcheck disable=SC2086
	assert_thawed $ALL
	no_guardian_left
}

case_b() {
	local g t0 ms deadline
	log "== B: guardian SIGTERMed while frozen: it thaws through its self-pipe"
	DAEMON_LOG=/tmp/daemon-b.log
	host_start -n 1 -f "$SCEN_DIR/fault-window.scen"
	daemon_start_portable -t 20
	# shellcheck disable=SC2086
	frozen_window $ALL || return 0
	g=$(guardian_pid "$DPID") || { fail "B: no guardian while frozen"; return 0; }
	# Its own signal source is open once it unblocks SIGTERM (it starts
	# with it blocked; starting takes a while under strace).
	deadline=$((SECONDS + 5))
	while [ $SECONDS -lt $deadline ] &&
	    [ $(( 0x$(awk '$1 == "SigBlk:" { print $2 }' "/proc/$g/status") & 0x4000 )) != 0 ]; do
		sleep 0.01
	done
	t0=$(monons)
	kill -TERM "$g"
	# shellcheck disable=SC2086
	# The host's THAW comes ~2.6 s later: only the guardian can be this quick.
	if ms=$(wait_resumed 1 "$t0" $ALL); then
		log "B: TIMING every writer resumed $ms ms after the guardian's SIGTERM"
	else
		fail "B: the guardian did not thaw on SIGTERM"
	fi
	stop_at_end
	[ "$DAEMON_RC" = 0 ] || fail "B: the daemon exited $DAEMON_RC on SIGTERM (want 0)"
	host_wait 30
	# shellcheck disable=SC2086
	assert_thawed $ALL
	no_guardian_left
}

case_c() {
	local t0 ms
	log "== C: daemon SIGTERMed while frozen: thaw, then exit"
	DAEMON_LOG=/tmp/daemon-c.log
	host_start -n 1 -f "$SCEN_DIR/fault-window.scen"
	daemon_start_portable -t 20
	# shellcheck disable=SC2086
	frozen_window $ALL || return 0
	t0=$(monons)
	kill -TERM "$DPID"
	# shellcheck disable=SC2086
	if ms=$(wait_resumed 1 "$t0" $ALL); then
		log "C: TIMING every writer resumed $ms ms after the daemon's SIGTERM"
	else
		fail "C: the daemon did not thaw on SIGTERM"
	fi
	daemon_wait 10
	[ "$DAEMON_RC" = 0 ] || fail "C: the daemon exited $DAEMON_RC on SIGTERM while frozen (want 0)"
	daemon_logged 'event=signal signo=15 action=thaw-then-exit'
	host_wait 30
	# shellcheck disable=SC2086
	assert_thawed $ALL
	no_guardian_left
}

inside() {
	ALL=$(fs_names | tr '\n' ' ')
	run_fault_cases "$ALL" case_a case_b case_c
}

case ${1:-} in
--inside) inside ;;
*) outside ;;
esac
