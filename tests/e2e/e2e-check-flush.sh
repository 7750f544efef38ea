#!/usr/bin/env bash
# e2e-check-flush: work before the window.  At the host's check
# (HOT_BACKUP) the daemon flushes every planned filesystem with syncfs(2),
# so that the FREEZE that follows has little left to write while writers
# wait.  Over ext4 and xfs on zram:
#  control  a 4 MiB file of a unique pattern, written without fsync, is
#           not on the device 1.5 s later by itself (no background
#           writeback in that time, or this test could not tell);
#  check    another such file written right before the host's check is on
#           both devices (read with O_DIRECT) during the 1.5 s pause the
#           scenario leaves between the check's reply and FREEZE; the
#           daemon logs the flush's duration on the check line, and the
#           FREEZE's own pre-sync has nothing of it left to write.
set -euo pipefail
NAME=e2e-check-flush
# shellcheck disable=SC2034 # DAEMON_LOG etc. are read by lib.sh
. "$(dirname "$(readlink -f "$0")")/../sandbox/lib.sh"

outside() {
	[ -x "$E2E_TOP/build/hvvss-host" ] || e2e_skip "$NAME" "build/hvvss-host not built"
	[ -x "$E2E_TOP/build/hv_vss_daemon" ] || e2e_skip "$NAME" "build/hv_vss_daemon not built"
	e2e_enter "$NAME" 90 ext4:zram:64M:ez xfs:zram:320M:xz
}

# put NAME FILE MARKER: 4 MiB of MARKER repeated, into FILE on NAME's fs,
# through the page cache, no fsync.
put() {
	head -c 4194304 < <(yes "$3") >"$(fs_field "$1" mnt)/$2"
}

# on_device NAME MARKER: true if MARKER is on NAME's device itself (O_DIRECT
# read, past the page cache).
on_device() {
	grep -q -a -F "$2" < <(dd if="$(fs_field "$1" dev)" iflag=direct bs=1M status=none)
}

inside() {
	local name m0 m1 fm pm t_read t_freeze
	m0="hvvss-control-$RANDOM$RANDOM$RANDOM"
	m1="hvvss-check-$RANDOM$RANDOM$RANDOM"
	for name in ez xz; do put "$name" control.dat "$m0"; done
	sleep 1.5
	for name in ez xz; do
		if on_device "$name" "$m0"; then
			fail "control: $name wrote the data back by itself within 1.5 s; this test cannot tell a flush"
		fi
	done
	log "control: without a check, nothing was written back within 1.5 s"

	for name in ez xz; do put "$name" check.dat "$m1"; done
	DAEMON_LOG=/tmp/daemon.log
	host_start_daemon -f "$SCEN_DIR/check-flush.scen" -n 1 -- -t 20
	tl_wait 10 ' sleep ms=1500\.000' >/dev/null || fail "the scenario did not reach its pause"
	[ "$(tl_reply_status HOT_BACKUP)" = S_OK ] || fail "HOT_BACKUP answered $(tl_reply_status HOT_BACKUP)"
	for name in ez xz; do
		if on_device "$name" "$m1"; then
			log "check: $name has the data on its device after the check's reply"
		else
			fail "check: $name's data written before the check is not on its device"
		fi
	done
	# The reads must be over before FREEZE, or its own pre-sync could
	# have written the data and this would prove nothing.
	t_read=$(monons)
	host_daemon_end 0 "exit 0"
	t_freeze=$(tl_ns "$TIMELINE" 1 send op=FREEZE)
	if [ -z "$t_freeze" ] || [ "$t_read" -ge "$t_freeze" ]; then
		fail "the device reads ended after FREEZE was sent: nothing shown"
	fi
	[ "$(tl_reply_status FREEZE)" = S_OK ] || fail "FREEZE answered $(tl_reply_status FREEZE)"
	[ "$(tl_reply_status THAW)" = S_OK ] || fail "THAW answered $(tl_reply_status THAW)"
	daemon_logged 'event=check result=ok apps=ok flush_ms=[0-9.]+'
	daemon_logged 'event=freeze result=ok .*presync_ms=[0-9.]+'
	fm=$(grep -o 'event=check result=ok .*flush_ms=[0-9.]*' "$DAEMON_LOG" | sed 's/.*flush_ms=//')
	pm=$(grep -o 'event=freeze result=ok .*presync_ms=[0-9.]*' "$DAEMON_LOG" | sed 's/.*presync_ms=//')
	log "check flush ${fm:-?} ms, FREEZE pre-sync ${pm:-?} ms"
	assert_thawed ez xz
	no_guardian_left
	[ $FAULT_FAILED = 0 ] || show_fault_logs
	return $FAULT_FAILED
}

case ${1:-} in
--inside) inside ;;
*) outside ;;
esac
