#!/usr/bin/env bash
# soak: 1,000 backup cycles of our daemon over two real filesystems; its
# descriptor count and resident memory at the start and at the end must
# match (nothing leaks per cycle), no guardian or other child is left, and
# every cycle succeeds.  SOAK_CYCLES overrides the count.
set -euo pipefail
NAME=soak
. "$(dirname "$(readlink -f "$0")")/../sandbox/lib.sh"

CYCLES=${SOAK_CYCLES:-1000}

outside() {
	[ -x "$E2E_TOP/build/hvvss-host" ] || e2e_skip "$NAME" "build/hvvss-host not built"
	e2e_enter "$NAME" 900 ext4:loop:32M:one ext4:loop:32M:two
}

daemon_pid() {
	local p
	for p in /proc/[0-9]*; do
		[ "$(cat "$p/comm" 2>/dev/null)" = hv_vss_daemon ] && { echo "${p#/proc/}"; return; }
	done
}

backup_steps() {	# one backup, as Hyper-V runs it
	printf '%s\n' 'send HOT_BACKUP' 'send GET_DM_INFO' 'send FREEZE luns=1' \
	    'snapshot' 'send THAW' 'send BU_COMPLETE'
}

# idle_sample PID: sample until two readings 50 ms apart agree (the daemon
# has finished the cycle's last steps), at most 2 s.
idle_sample() {
	local x y deadline=$((SECONDS + 2))
	x=$(sample "$1")
	while :; do
		sleep 0.05
		y=$(sample "$1")
		[ "$x" != "$y" ] && [ $SECONDS -lt $deadline ] || break
		x=$y
	done
	echo "$y"
}

sample() {	# sample PID: "fds rss_kib children"
	local fds rss kids
	fds=$(ls "/proc/$1/fd" | wc -l)
	rss=$(awk '/^VmRSS:/ { print $2 }' "/proc/$1/status")
	kids=$(grep -l "^PPid:[[:space:]]*$1\$" /proc/[0-9]*/status 2>/dev/null | wc -l)
	echo "$fds $rss $kids"
}

inside() {
	local rc=0 pid a b t0 t1 ok
	printf '[hooks]\ndir = none\n' >/run/soak.conf
	{
		echo 'negotiate fw=1.0,3.0 vss=4.0,5.0 expect ok'
		echo 'wait-register'
		echo '# five warm-up backups, then a pause to measure the idle daemon'
		for _ in 1 2 3 4 5; do backup_steps; done
		echo 'sleep 2s'
		echo 'cycle'
		backup_steps
		echo 'end'
		echo 'sleep 3s'
	} >/run/soak.scn
	t0=$SECONDS
	host_start -n "$CYCLES" -H 1 -f /run/soak.scn -- /sb/build/hv_vss_daemon -n \
	    -f /run/soak.conf || return 1
	# After the fifth warm-up the scenario pauses 2 s: the daemon is idle.
	tl_wait 60 ' reply op=BU_COMPLETE ' 5 >/dev/null ||
	    { log "FAIL: no warm-up"; host_wait 5; return 1; }
	pid=$(daemon_pid)
	a=$(idle_sample "$pid")
	tl_wait 800 ' cycle-end result=ok' "$((CYCLES + 1))" >/dev/null ||
	    { log "FAIL: not all cycles ended ok"; rc=1; }
	tl_wait 60 ' reply op=BU_COMPLETE ' "$((CYCLES + 5))" >/dev/null ||
	    { log "FAIL: the last cycle did not end"; rc=1; }
	b=$(idle_sample "$pid")	# inside the final 3 s pause
	t1=$SECONDS
	host_wait 30
	ok=$(grep -c ' cycle-end result=ok' "$TIMELINE" || true)
	log "cycles ok: $ok of $CYCLES (counting the warm-up and final blocks) in $((t1 - t0)) s; host rc $HOST_RC"
	log "daemon $pid after 5 warm-up cycles: fds rss_kib children = $a"
	log "daemon $pid after $CYCLES more cycles: fds rss_kib children = $b"
	[ "$ok" -ge "$((CYCLES + 1))" ] || rc=1
	[ "$HOST_RC" = 0 ] || { log "FAIL: host rc $HOST_RC"; rc=1; }
	# shellcheck disable=SC2086
	set -- $a 0 0 0; local fa=$1 ra=$2
	# shellcheck disable=SC2086
	set -- $b 0 0 0; local fb=$1 rb=$2 kb=$3
	[ "$fa" = "$fb" ] || { log "FAIL: descriptors $fa -> $fb"; rc=1; }
	[ $((rb - ra)) -le 512 ] || { log "FAIL: RSS grew by $((rb - ra)) KiB"; rc=1; }
	[ "$kb" = 0 ] || { log "FAIL: $kb children left (guardians?)"; rc=1; }
	[ $rc = 0 ] || { show_host_output; grep -E "daemon-|event=(signal|state|device|register)|finish|mismatch" "$HOST_OUT" | tail -20 | sed "s/^/# /"; }
	return $rc
}

case ${1:-} in
--inside) inside ;;
*) outside ;;
esac
