#!/usr/bin/env bash
# e2e-freeze-fail: a filesystem that fails its freeze.  /mnt/victim is frozen
# with fsfreeze -f before the cycle, which our daemon must treat as a failure
# by default (EBUSY from someone else's freeze).  The FREEZE reply must be a
# failure, and afterwards none of the other filesystems may still be frozen
# (probed with FIFREEZE+FITHAW, and by writers that must keep acking).
set -euo pipefail
NAME=e2e-freeze-fail
. "$(dirname "$(readlink -f "$0")")/../sandbox/lib.sh"

DAEMON=(/sb/build/hv_vss_daemon -n -d)

outside() {
	if [ "${HVVSS_E2E_HOST:-}" != fake ]; then
		[ -x "$E2E_TOP/build/hvvss-host" ] || e2e_skip "$NAME" "build/hvvss-host not built"
		[ -x "$E2E_TOP/build/hv_vss_daemon" ] || e2e_skip "$NAME" "build/hv_vss_daemon not built"
	fi
	e2e_enter "$NAME" 180 ext4:loop:64M:ext4l xfs:zram:320M:xfsz btrfs:loop:128M:btrfsl \
	    ext4:zram:64M:victim
}

inside() {
	local name others rc=0 hrc=0 status victim
	others=$(fs_names | grep -v -x victim | tr '\n' ' ')
	victim=$(fs_field victim mnt)
	for name in $others; do start_writer "$name"; done
	for name in $others; do wait_acks "$name" 10 20; done
	fsfreeze -f "$victim"
	run_host 1 100 -- "${DAEMON[@]}" || hrc=$?
	status=$(awk '$3 == "reply" && / op=FREEZE / { for (i = 4; i <= NF; i++) if ($i ~ /^status=/) print substr($i, 8) }' "$TIMELINE" | head -1)
	log "host rc $hrc, FREEZE reply status ${status:-none}"
	if [ -z "$status" ] || [ "$status" = S_OK ]; then
		log "FAIL: FREEZE must fail when a filesystem cannot be frozen"; rc=1
	fi
	[ $hrc != 0 ] || { log "FAIL: host reported success"; rc=1; }
	# Nothing the daemon froze may still be frozen.
	for name in $others; do
		if is_frozen "$(fs_field "$name" mnt)"; then
			log "FAIL: $name is still frozen after the failed FREEZE"; rc=1
		fi
		wait_more_acks "$name" 10 || { log "FAIL: writer $name does not progress"; rc=1; }
	done
	# The victim was frozen by us, not by the daemon: it must still be
	# (a daemon that thaws someone else's freeze breaks their snapshot).
	if is_frozen "$victim"; then
		log "victim still frozen by its own freezer (not thawed by the daemon)"
		fsfreeze -u "$victim"
	else
		log "FAIL: the daemon thawed the victim, which it had not frozen"; rc=1
	fi
	stop_writers
	[ $rc = 0 ] || show_host_output
	return $rc
}

case ${1:-} in
--inside) inside ;;
*) outside ;;
esac
