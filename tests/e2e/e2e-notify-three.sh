#!/usr/bin/env bash
# e2e-notify-three: three clients on the notification socket, one of which
# never answers, around real freezes.
#  1. policy continue: the two that answer see prepare, freeze, thaw in
#     order and the backup succeeds; the silent one times out at the
#     phase deadline, which is logged, and the cycle goes on.
#  2. policy fail: the silent client fails the check (HOT_BACKUP gets
#     E_FAIL), nothing is frozen, and the clients that were told prepare
#     are told abort.
set -euo pipefail
NAME=e2e-notify-three
. "$(dirname "$(readlink -f "$0")")/../sandbox/lib.sh"

outside() {
	[ -x "$E2E_TOP/build/hvvss-host" ] || e2e_skip "$NAME" "build/hvvss-host not built"
	e2e_enter "$NAME" 120 ext4:loop:64M:data
}

CONF=/run/notify-three.conf
SCEN=/run/notify-three.scn
CL=/sb/build/tools/notify-client

status_of() {	# status_of OP: the first reply status for OP, or none
	awk -v op="op=$1" '$3 == "reply" && $4 == op { for (i = 5; i <= NF; i++)
	    if ($i ~ /^status=/) { print substr($i, 8); exit } }' "$TIMELINE" |
	    grep . || echo none
}

phases() {	# phases NAME: the phases a client saw, in order
	awk '$1 != "welcome" && $1 != "closed" { printf "%s ", $1 }' "/run/cl-$1"
}

round() {	# round POLICY: three clients, one backup
	local pids=() c
	printf '[hooks]\ndir = none\n[notify]\npolicy = %s\ntimeout = 2\n' "$1" >"$CONF"
	rm -f /run/cl-*
	for c in a:ack b:ack c:mute; do
		"$CL" -n "app-${c%%:*}" -m "${c#*:}" -o "/run/cl-${c%%:*}" &
		pids+=($!)
	done
	run_host 1 100 -f "$SCEN" -- /sb/build/hv_vss_daemon -n -f "$CONF" || true
	kill "${pids[@]}" 2>/dev/null || true
	wait "${pids[@]}" 2>/dev/null || true
	log "$1: HOT_BACKUP $(status_of HOT_BACKUP), FREEZE $(status_of FREEZE), THAW $(status_of THAW)"
	for c in a b c; do log "$1: app-$c saw: $(phases $c)"; done
}

inside() {
	local rc=0
	cat >"$SCEN" <<'S'
negotiate fw=1.0,3.0 vss=4.0,5.0 expect ok
wait-register
sleep 1500ms
cycle
send HOT_BACKUP expect any
send GET_DM_INFO expect any
send FREEZE luns=1 expect any
snapshot expect any
send THAW expect any
end
sleep 500ms
S
	# --- 1: continue ---------------------------------------------------
	round continue
	[ "$(status_of FREEZE)" = S_OK ] || { log "FAIL 1: FREEZE must succeed"; rc=1; }
	[ "$(status_of THAW)" = S_OK ] || { log "FAIL 1: THAW must succeed"; rc=1; }
	for c in a b; do
		[ "$(phases $c)" = "prepare freeze thaw " ] ||
		    { log "FAIL 1: app-$c must see prepare freeze thaw"; rc=1; }
	done
	grep -q 'client=app-c .*result=timeout' "$HOST_OUT" ||
	    { log "FAIL 1: the silent client's timeout is not logged"; rc=1; }
	grep -m1 -E 'client=app-c .*result=timeout' "$HOST_OUT" | sed 's/^/# daemon: /'
	grep -m1 -E 'event=notify-phase .*result=degraded' "$HOST_OUT" | sed 's/^/# daemon: /'
	is_frozen "$(fs_field data mnt)" && { log "FAIL 1: still frozen"; rc=1; }

	# --- 2: fail -------------------------------------------------------
	round fail
	[ "$(status_of HOT_BACKUP)" = E_FAIL ] ||
	    { log "FAIL 2: the check must fail when a client does not answer"; rc=1; }
	for c in a b; do
		# (the scenario goes on to FREEZE, which Hyper-V would not)
		case "$(phases $c)" in
		"prepare abort "*) ;;
		*) log "FAIL 2: app-$c must see prepare abort"; rc=1 ;;
		esac
	done
	is_frozen "$(fs_field data mnt)" && { log "FAIL 2: still frozen"; rc=1; }
	[ $rc = 0 ] || show_host_output
	return $rc
}

case ${1:-} in
--inside) inside ;;
*) outside ;;
esac
