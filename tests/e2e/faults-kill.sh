#!/usr/bin/env bash
# faults-kill: the thaw guarantee when processes die while frozen.  Three
# runs of hvvss-host (scenario fault-window: FREEZE, a 3 s window, THAW,
# a pause, one normal backup) over ext4 (loop), xfs (zram) and btrfs (loop)
# with a writer(1) on each:
#  A  the daemon is SIGKILLed while frozen: its guardian thaws at once (the
#     time from the kill until every writer resumes is measured); the THAW
#     then fails in the kernel (no daemon); a restarted daemon finds the
#     journal, and the next backup works.
#  B  the guardian is SIGKILLed while frozen: the daemon logs
#     event=guardian-died and arms a new one, the filesystems stay frozen,
#     the THAW succeeds and the next backup works.
#  C  both are SIGKILLed while frozen (the daemon SIGSTOPped first, so that
#     it cannot re-arm): everything stays frozen until a restarted daemon
#     thaws it from the /run/hvvss/frozen journal before it registers
#     (event=journal-thaw, event=recovered).
#  D  a previous run died with /sys/kernel/rcu_expedited raised (rcuexp.h:
#     the knob set, its marker /run/hvvss/frozen.rcu left): the next start
#     puts it back to 0 and removes the marker; its own freezes raise it
#     again and put it back.
#  E  an administrator's rcu_expedited=1 (no marker) is left alone: the
#     freeze runs without raising it, and it is still 1 afterwards.
set -euo pipefail
NAME=faults-kill
# shellcheck disable=SC2034 # DAEMON_LOG etc. are read by lib.sh
. "$(dirname "$(readlink -f "$0")")/../sandbox/lib.sh"

JOURNAL=/run/hvvss/frozen
RCU=/sys/kernel/rcu_expedited
RCU_MARKER=$JOURNAL.rcu
ALL=''

outside() {
	[ -x "$E2E_TOP/build/hvvss-host" ] || e2e_skip "$NAME" "build/hvvss-host not built"
	[ -x "$E2E_TOP/build/hv_vss_daemon" ] || e2e_skip "$NAME" "build/hv_vss_daemon not built"
	e2e_enter "$NAME" 160 ext4:loop:64M:ext4l xfs:zram:320M:xfsz btrfs:loop:128M:btrfsl
}

# finish CASE: the host ends with every expectation met, the daemon stops
# cleanly on SIGTERM, nothing is frozen, no guardian is left.
finish() {
	daemon_stop_at_end
	[ "$DAEMON_RC" = 0 ] || fail "$1: the daemon exited $DAEMON_RC on SIGTERM (want 0)"
	host_wait 30
	[ "$HOST_RC" = 0 ] || fail "$1: hvvss-host exit status $HOST_RC (want 0)"
	[ "$(grep -c 'cycle-end result=ok' "$TIMELINE")" -ge 2 ] ||
	    fail "$1: the backup after the fault did not succeed"
	# shellcheck disable=SC2086
	assert_thawed $ALL
	no_guardian_left
	log "$1: next backup $(tl_reply_status FREEZE 2)/$(tl_reply_status THAW 2), host rc $HOST_RC, daemon rc $DAEMON_RC"
}

case_a() {
	local g t0 ms st
	log "== A: daemon SIGKILLed while frozen"
	DAEMON_LOG=/tmp/daemon-a1.log
	host_start -n 1 -f "$SCEN_DIR/fault-window.scen"
	daemon_start -t 20
	# shellcheck disable=SC2086
	frozen_window $ALL || return 0
	g=$(guardian_pid "$DAEMON_PID") || { fail "A: no guardian while frozen"; g=''; }
	t0=$(monons)
	kill -KILL "$DAEMON_PID"
	# shellcheck disable=SC2086
	if ms=$(wait_resumed 5 "$t0" $ALL); then
		log "A: TIMING every writer resumed $ms ms after the daemon's SIGKILL (guardian thaw)"
	else
		fail "A: the filesystems stayed frozen after the daemon died"
	fi
	daemon_wait 5
	[ "$DAEMON_RC" = 137 ] || fail "A: daemon status $DAEMON_RC (want 137, SIGKILL)"
	if [ -n "$g" ]; then
		sleep 0.1
		if [ -d "/proc/$g" ] && [ "$(awk '{ print $3 }' "/proc/$g/stat")" != Z ]; then
			fail "A: the guardian $g is still alive after thawing"
		fi
	fi
	# shellcheck disable=SC2086
	assert_thawed $ALL
	tl_wait 10 ' reply op=THAW ' >/dev/null || fail "A: no THAW reply"
	st=$(tl_reply_status THAW)
	log "A: THAW with no daemon: $st"
	[ "$st" = E_FAIL ] || fail "A: THAW replied $st without a daemon (want E_FAIL)"
	timeline_has 'drv-fail op=FREEZE reason=daemon-closed|dev-release state='
	timeline_has 'drv-fail op=THAW reason=not-registered'
	[ -f "$JOURNAL" ] && log "A: journal left by the killed daemon: $(tail -n +2 "$JOURNAL" | tr '\n' ';')"
	DAEMON_LOG=/tmp/daemon-a2.log
	daemon_start -t 20
	finish A
	daemon_logged 'event=journal-thaw .*result=not-frozen'
}

case_b() {
	log "== B: guardian SIGKILLed while frozen"
	DAEMON_LOG=/tmp/daemon-b.log
	host_start -n 1 -f "$SCEN_DIR/fault-window.scen"
	daemon_start -t 20
	# shellcheck disable=SC2086
	frozen_window $ALL || return 0
	# shellcheck disable=SC2086
	guardian_killed B "$DAEMON_PID" $ALL
	finish B
}

case_c() {
	local g t0 ms st name jl rl
	log "== C: daemon and guardian both SIGKILLed while frozen"
	DAEMON_LOG=/tmp/daemon-c1.log
	host_start -n 1 -f "$SCEN_DIR/fault-window.scen"
	daemon_start -t 20
	# shellcheck disable=SC2086
	frozen_window $ALL || return 0
	g=$(guardian_pid "$DAEMON_PID") || { fail "C: no guardian while frozen"; return 0; }
	kill -STOP "$DAEMON_PID"
	kill -KILL "$g"
	kill -KILL "$DAEMON_PID"
	daemon_wait 5
	[ "$DAEMON_RC" = 137 ] || fail "C: daemon status $DAEMON_RC (want 137)"
	[ -f "$JOURNAL" ] || fail "C: no journal at $JOURNAL"
	log "C: journal: $(tail -n +2 "$JOURNAL" 2>/dev/null | tr '\n' ';')"
	# shellcheck disable=SC2086
	writers_stalled $ALL || fail "C: the filesystems were thawed with nobody left to thaw them"
	for name in $ALL; do
		is_frozen "$(fs_field "$name" mnt)" || fail "C: $name is not frozen before the restart"
	done
	DAEMON_LOG=/tmp/daemon-c2.log
	t0=$(monons)
	daemon_start -t 20
	# shellcheck disable=SC2086
	if ms=$(wait_resumed 5 "$t0" $ALL); then
		log "C: TIMING every writer resumed $ms ms after the restarted daemon's exec"
	else
		fail "C: the restarted daemon did not thaw the journal's filesystems"
	fi
	daemon_logged 'event=journal-thaw .*result=thawed'
	daemon_logged 'event=recovered '
	jl=$(grep -n -m1 'event=recovered' "$DAEMON_LOG" | cut -d: -f1)
	rl=$(grep -n -m1 'event=registered' "$DAEMON_LOG" | cut -d: -f1 || true)
	if [ -n "$jl" ] && [ -n "$rl" ] && [ "$jl" -gt "$rl" ]; then
		fail "C: the journal was recovered after registering"
	fi
	[ ! -e "$JOURNAL" ] || fail "C: the journal is still there after recovery"
	tl_wait 10 ' reply op=THAW ' >/dev/null || fail "C: no THAW reply"
	st=$(tl_reply_status THAW)
	log "C: THAW answered by the restarted daemon: $st"
	# The journal thaw broke the frozen window before THAW, as the
	# deadline does: the snapshot may be torn, the THAW must fail.
	[ "$st" = E_FAIL ] || fail "C: THAW after a journal recovery answered $st, not E_FAIL"
	finish C
}

rcu_is() {
	local v
	v=$(cat "$RCU")
	[ "$v" = "$2" ] || fail "$1: rcu_expedited is $v (want $2)"
}

case_d() {
	log "== D: rcu_expedited left raised by a dead run (its marker on /run)"
	mkdir -p "${JOURNAL%/*}"
	echo 1 >"$RCU"
	: >"$RCU_MARKER"
	DAEMON_LOG=/tmp/daemon-d.log
	host_start -n 1 -f "$SCEN_DIR/fault-window.scen"
	daemon_start -t 20
	# shellcheck disable=SC2086
	frozen_window $ALL || return 0
	[ ! -e "$RCU_MARKER" ] || fail "D: the marker is still there after the start"
	rcu_is D 0
	finish D
	daemon_logged 'event=recovered action=rcu-expedited-off'
	daemon_logged 'event=freeze result=ok .*expedited=yes'
	rcu_is D 0
	[ ! -e "$RCU_MARKER" ] || fail "D: a marker is left after the backups"
}

case_e() {
	log "== E: an administrator's own rcu_expedited=1"
	echo 1 >"$RCU"
	DAEMON_LOG=/tmp/daemon-e.log
	host_start -n 1 -f "$SCEN_DIR/fault-window.scen"
	daemon_start -t 20
	# shellcheck disable=SC2086
	frozen_window $ALL || return 0
	finish E
	daemon_logged 'event=freeze result=ok .*expedited=no'
	if grep -q 'event=recovered action=rcu' "$DAEMON_LOG"; then
		fail "E: the daemon 'recovered' a knob it never raised"
	fi
	rcu_is E 1
}

inside() {
	ALL=$(fs_names | tr '\n' ' ')
	RCU0=$(cat "$RCU")
	# The knob is global: whatever happens, leave it as found.
	trap 'echo "$RCU0" >"$RCU"' EXIT
	run_fault_cases "$ALL" case_a case_b case_c case_d case_e
}

case ${1:-} in
--inside) inside ;;
*) outside ;;
esac
