#!/usr/bin/env bash
# e2e-notify: an application registered on the daemon's notification
# socket, through hvvss-hold, around real freezes.  hvvss-hold runs a mark
# command at freeze, then holds a command (standing in for an application's
# lock) for exactly the frozen window, and a mark command at thaw.  Expect:
# the freeze mark before the filesystems freeze (FREEZE reply), the held
# command alive across the whole snapshot, gone after THAW, and the thaw
# mark after the filesystems thawed.
set -euo pipefail
NAME=e2e-notify
. "$(dirname "$(readlink -f "$0")")/../sandbox/lib.sh"

outside() {
	[ -x "$E2E_TOP/build/hvvss-host" ] || e2e_skip "$NAME" "build/hvvss-host not built"
	[ -x "$E2E_TOP/build/hvvss-hold" ] || e2e_skip "$NAME" "build/hvvss-hold not built"
	e2e_enter "$NAME" 120 ext4:loop:64M:data
}

MARKS=/run/marks
SCEN=/run/notify.scn

inside() {
	local rc=0 fsend freply tsend treply fmark tmark held_pid hold_pid
	cat >/run/mark <<'M'
#!/bin/sh
# argv: freeze, or thaw|abort; records the phase and CLOCK_MONOTONIC ns
echo "${1:-freeze} $(/sb/build/tools/monons)" >> /run/marks
M
	chmod 0755 /run/mark
	: >"$MARKS"
	# The host waits until hvvss-hold has registered (it retries until the
	# daemon's socket exists), then runs one backup.
	cat >"$SCEN" <<'S'
negotiate fw=1.0,3.0 vss=4.0,5.0 expect ok
wait-register
sleep 1500ms
cycle
send HOT_BACKUP
send GET_DM_INFO
send FREEZE luns=1
snapshot
send THAW
send BU_COMPLETE
end
S
	/sb/build/hvvss-hold -n e2e-app -f /run/mark -t /run/mark -- \
	    /bin/sh -c 'echo $$ > /run/held.pid; exec /bin/sleep 1000' \
	    >/run/hold.out 2>&1 &
	hold_pid=$!
	run_host 1 300 -f "$SCEN" -- /sb/build/hv_vss_daemon -n || rc=$?
	kill "$hold_pid" 2>/dev/null || true
	wait "$hold_pid" 2>/dev/null || true
	fsend=$(tl_ns "$TIMELINE" 1 send op=FREEZE)
	freply=$(tl_ns "$TIMELINE" 1 reply op=FREEZE status=S_OK)
	tsend=$(tl_ns "$TIMELINE" 1 send op=THAW)
	treply=$(tl_ns "$TIMELINE" 1 reply op=THAW status=S_OK)
	fmark=$(awk '$1 == "freeze" { print $2; exit }' "$MARKS")
	tmark=$(awk '$1 == "thaw" { print $2; exit }' "$MARKS")
	log "FREEZE sent $fsend replied $freply; THAW sent $tsend replied $treply"
	log "marks: $(tr '\n' ';' <"$MARKS")"
	if [ -z "$freply" ] || [ -z "$treply" ]; then
		log "FAIL: the cycle did not succeed"; rc=1
	elif [ -z "$fmark" ] || [ -z "$tmark" ]; then
		log "FAIL: the application was not told freeze and thaw"; rc=1
	else
		[ "$fmark" -gt "$fsend" ] && [ "$fmark" -lt "$freply" ] ||
		    { log "FAIL: freeze mark not between FREEZE sent and replied"; rc=1; }
		[ "$tmark" -gt "$tsend" ] ||
		    { log "FAIL: thaw mark before THAW"; rc=1; }
		log "application quiesced $(( (freply - fmark) / 1000000 )) ms before the FREEZE reply, resumed $(( (tmark - tsend) / 1000000 )) ms after THAW"
	fi
	if [ -s /run/held.pid ]; then
		held_pid=$(cat /run/held.pid)
		if kill -0 "$held_pid" 2>/dev/null; then
			log "FAIL: the held command outlived the frozen window"; rc=1
		fi
	else
		log "FAIL: the held command never started"; rc=1
	fi
	grep -m3 -E 'event=notify (client=e2e-app|.*e2e-app)' "$HOST_OUT" | sed 's/^/# daemon: /'
	grep -q 'e2e-app' "$HOST_OUT" || { log "FAIL: the daemon never saw the client"; rc=1; }
	[ $rc = 0 ] || { show_host_output; sed 's/^/# hold: /' /run/hold.out; }
	return $rc
}

case ${1:-} in
--inside) inside ;;
*) outside ;;
esac
