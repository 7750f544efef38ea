#!/usr/bin/env bash
# e2e-hooks: the daemon's hooks around real freezes.
#  1. policy continue: a hook records each phase with the time and whether
#     the test filesystem is writable at that moment; a second hook hangs
#     ignoring SIGTERM.  Expect: prepare at HOT_BACKUP; freeze before the
#     filesystems freeze (still writable), thaw after they thaw (writable
#     again), in reverse order; the hanging hook killed at its deadline, its
#     group gone, the backup degraded but done (FREEZE S_OK); the hooks'
#     output logged after the thaw.
#  2. policy fail: a hook fails its freeze phase.  Expect: FREEZE fails,
#     nothing is frozen, and abort runs for every hook whose freeze started.
#  3. a hook that is group-writable is refused with a clear log line and
#     never runs.
set -euo pipefail
NAME=e2e-hooks
. "$(dirname "$(readlink -f "$0")")/../sandbox/lib.sh"

outside() {
	[ -x "$E2E_TOP/build/hvvss-host" ] || e2e_skip "$NAME" "build/hvvss-host not built"
	e2e_enter "$NAME" 180 ext4:loop:64M:data xfs:loop:320M:more
}

HOOKS=/etc/hvvss/hooks.d
REC=/run/hooks.rec
CONF=/run/hvvss-test.conf

# A hook that records "phase name writable-or-frozen" per call.
write_recorder() {
	cat >"$HOOKS/$1" <<HOOK
#!/bin/sh
state=frozen
if timeout 1 sh -c 'echo x >> $(fs_field data mnt)/hook-probe' 2>/dev/null; then
	state=writable
fi
echo "\$1 $1 \$state" >> $REC
echo "hook $1 saw phase \$1 (cycle \$HVVSS_CYCLE), mounts: \$(echo \$HVVSS_MOUNTS)"
HOOK
	chmod 0755 "$HOOKS/$1"
}

conf() {	# conf POLICY TIMEOUT
	printf '[hooks]\ndir = %s\npolicy = %s\ntimeout = %s\n[notify]\nsocket = none\n' \
	    "$HOOKS" "$1" "$2" >"$CONF"
}

freeze_status() {	# the status of the first FREEZE reply, or "none"
	awk '$3 == "reply" && $4 == "op=FREEZE" { for (i = 5; i <= NF; i++)
	    if ($i ~ /^status=/) { print substr($i, 8); exit } }' "$TIMELINE" |
	    grep . || echo none
}

run() {		# run: one backup cycle; leaves the daemon's log in HOST_OUT
	run_host 1 100 -- /sb/build/hv_vss_daemon -n -f "$CONF" || true
}

inside() {
	local rc=0 st mnt
	mkdir -p "$HOOKS" && chmod 0755 /etc /etc/hvvss "$HOOKS"

	# --- 1: continue policy, a recorder and a hook that hangs ----------
	write_recorder 10-rec
	cat >"$HOOKS/20-hang" <<'HOOK'
#!/bin/sh
if [ "$1" = freeze ]; then
	trap '' TERM
	sleep 60 &
	echo $! > /run/hang.child
	wait
fi
exit 0
HOOK
	chmod 0755 "$HOOKS/20-hang"
	conf continue 2
	: >"$REC"
	run
	st=$(freeze_status)
	log "1: FREEZE reply $st; hooks saw: $(tr '\n' ';' <"$REC")"
	[ "$st" = S_OK ] || { log "FAIL 1: FREEZE must succeed (degraded)"; rc=1; }
	grep -qx 'prepare 10-rec writable' "$REC" || { log "FAIL 1: no prepare"; rc=1; }
	grep -qx 'freeze 10-rec writable' "$REC" ||
	    { log "FAIL 1: freeze hook did not run before the freeze"; rc=1; }
	grep -qx 'thaw 10-rec writable' "$REC" ||
	    { log "FAIL 1: thaw hook did not run after the thaw"; rc=1; }
	[ "$(grep -c . "$REC")" = 3 ] || { log "FAIL 1: expected 3 calls"; rc=1; }
	grep -Eq 'event=hook phase=freeze hook=20-hang .*result=(timeout|killed)' "$HOST_OUT" ||
	    { log "FAIL 1: the hanging hook was not killed at its deadline"; rc=1; }
	if [ -s /run/hang.child ] && kill -0 "$(cat /run/hang.child)" 2>/dev/null; then
		log "FAIL 1: the hanging hook's child survived"; rc=1
	fi
	grep -q 'event=hook-output hook=10-rec line=hook 10-rec saw phase thaw' "$HOST_OUT" ||
	    { log "FAIL 1: hook output not logged"; rc=1; }
	grep -q 'result=degraded' "$HOST_OUT" ||
	    { log "FAIL 1: degraded backup not reported"; rc=1; }
	for mnt in $(fs_names); do
		if is_frozen "$(fs_field "$mnt" mnt)"; then log "FAIL 1: $mnt frozen"; rc=1; fi
	done

	# --- 2: fail policy, a hook that fails its freeze phase ------------
	rm -f "$HOOKS/20-hang"
	cat >"$HOOKS/30-refuse" <<'HOOK'
#!/bin/sh
echo "$1 30-refuse" >> /run/hooks.rec
[ "$1" = freeze ] && { echo "database refuses to quiesce" >&2; exit 3; }
exit 0
HOOK
	chmod 0755 "$HOOKS/30-refuse"
	conf fail 5
	: >"$REC"
	run
	st=$(freeze_status)
	log "2: FREEZE reply $st; hooks saw: $(tr '\n' ';' <"$REC")"
	[ "$st" = E_FAIL ] || { log "FAIL 2: FREEZE must fail"; rc=1; }
	grep -q '^abort 10-rec' "$REC" || { log "FAIL 2: 10-rec got no abort"; rc=1; }
	grep -q '^abort 30-refuse' "$REC" || { log "FAIL 2: 30-refuse got no abort"; rc=1; }
	grep -q '^thaw ' "$REC" && { log "FAIL 2: thaw ran instead of abort"; rc=1; }
	for mnt in $(fs_names); do
		if is_frozen "$(fs_field "$mnt" mnt)"; then log "FAIL 2: $mnt frozen"; rc=1; fi
	done

	# --- 3: an unsafe hook is refused -----------------------------------
	rm -f "$HOOKS/30-refuse"
	write_recorder 40-unsafe
	chmod 0775 "$HOOKS/40-unsafe"
	conf continue 5
	: >"$REC"
	run
	grep -q '40-unsafe' "$REC" && { log "FAIL 3: the unsafe hook ran"; rc=1; }
	grep -Eq 'event=hook-refused.*40-unsafe|40-unsafe.*refused' "$HOST_OUT" ||
	    { log "FAIL 3: no log line for the refused hook"; rc=1; }
	grep -m1 -E '40-unsafe' "$HOST_OUT" | sed 's/^/# daemon: /'
	[ "$(freeze_status)" = S_OK ] || { log "FAIL 3: FREEZE failed"; rc=1; }

	[ $rc = 0 ] || show_host_output
	return $rc
}

case ${1:-} in
--inside) inside ;;
*) outside ;;
esac
