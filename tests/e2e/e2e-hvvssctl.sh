#!/usr/bin/env bash
# e2e-hvvssctl: hvvssctl against a running daemon around real freezes.
#  - while frozen (from the snapshot step): status says FROZEN and names
#    every frozen mount point, in text and JSON;
#  - after the backups: history lists them with per-filesystem verdicts;
#  - an emergency `hvvssctl thaw` while frozen thaws everything at once
#    (writers resume) and the host's THAW is then answered E_FAIL;
#  - with the daemon gone: status says so (exit 69), plan still works, and
#    `hvvssctl thaw` also puts back an rcu_expedited the dead daemon left
#    raised (its marker next to the journal), and only then.
set -euo pipefail
NAME=e2e-hvvssctl
. "$(dirname "$(readlink -f "$0")")/../sandbox/lib.sh"

outside() {
	[ -x "$E2E_TOP/build/hvvss-host" ] || e2e_skip "$NAME" "build/hvvss-host not built"
	[ -x "$E2E_TOP/build/hvvssctl" ] || e2e_skip "$NAME" "build/hvvssctl not built"
	[ "$(id -u)" = 0 ] || e2e_skip "$NAME" "not root"
	# As e2e_enter, but the output is kept: the JSON the daemon gave is
	# validated here, against the documented schemas (docs/), with
	# Debian's python3-jsonschema, which the sandbox does not carry.
	local out rc=0 schema kind
	out=$(mktemp)
	"$E2E_TOP/tests/sandbox/sandbox" -t 120 -f ext4:loop:64M:data \
	    -f xfs:loop:320M:more -- "/sb/tests/e2e/$NAME.sh" --inside | tee "$out" ||
	    rc=$?
	if [ $rc = 0 ]; then
		for kind in status history; do
			schema=$E2E_TOP/docs/hvvssctl-$kind.schema.json
			sed -n "s/^# json-$kind: //p" "$out" |
			    "$E2E_TOP/tests/e2e/json-check" "$schema" | sed 's/^/# /' ||
			    rc=1
		done
		# The check can fail: a document off the schema is refused.
		if sed -n 's/^# json-status: //p' "$out" |
		    sed 's/"state":"FROZEN"/"state":"MELTED"/' |
		    "$E2E_TOP/tests/e2e/json-check" \
		    "$E2E_TOP/docs/hvvssctl-status.schema.json" >/dev/null; then
			echo "# FAIL: the schema check accepted a bad state"
			rc=1
		fi
	fi
	rm -f "$out"
	e2e_verdict "$NAME" "$rc"
}

CTL=/sb/build/hvvssctl

inside() {
	local rc=0 name st
	printf '[hooks]\ndir = none\n' >/run/ctl.conf
	# The snapshot step asks the daemon while the guest is frozen.
	cat >/run/snap-status <<'S'
#!/bin/sh
/sb/build/hvvssctl status > /run/status.txt 2>&1
/sb/build/hvvssctl --json status > /run/status.json 2>&1
exit 0
S
	chmod 0755 /run/snap-status
	: >"$TIMELINE"
	/sb/build/hvvss-host -n 2 -c /run/snap-status -H 200 -T "$TIMELINE" \
	    -f /sb/tests/e2e/scenarios/ctl-history.scen -- \
	    /sb/build/hv_vss_daemon -n -f /run/ctl.conf >"$HOST_OUT" 2>&1 &
	HOST_PID=$!
	tl_wait 30 ' cycle-end result=ok' 3 >/dev/null || { log "FAIL: backups"; rc=1; }
	"$CTL" history >/run/history.txt 2>&1 || { log "FAIL: history"; rc=1; }
	"$CTL" --json history >/run/history.json 2>&1 || { log "FAIL: history --json"; rc=1; }
	wait "$HOST_PID" || { log "FAIL: host rc $?"; rc=1; }
	sed 's/^/# status while frozen: /' /run/status.txt
	# The JSON, for the schema check outside the sandbox.
	printf '# json-status: %s\n' "$(tr -d '\n' </run/status.json)"
	printf '# json-history: %s\n' "$(tr -d '\n' </run/history.json)"
	grep -q 'FROZEN' /run/status.txt || { log "FAIL: status did not say FROZEN"; rc=1; }
	for name in data more; do
		grep -q "$(fs_field $name mnt)" /run/status.txt ||
		    { log "FAIL: status does not name $name"; rc=1; }
		grep -q "\"$(fs_field $name mnt)\"" /run/status.json ||
		    { log "FAIL: JSON status does not name $name"; rc=1; }
	done
	grep -q '"state":"FROZEN"' /run/status.json ||
	    { log "FAIL: JSON status: $(head -c 300 /run/status.json)"; rc=1; }
	head -12 /run/history.txt | sed 's/^/# history: /'
	[ "$(grep -o '"cycle":' /run/history.json | wc -l)" -ge 2 ] ||
	    { log "FAIL: JSON history lacks the cycles: $(head -c 300 /run/history.json)"; rc=1; }

	# Emergency thaw while frozen: a hold long enough to act within.
	start_writer data
	wait_acks data 10 20
	: >"$TIMELINE"
	/sb/build/hvvss-host -n 1 -H 3000 -T "$TIMELINE" -- \
	    /sb/build/hv_vss_daemon -n -f /run/ctl.conf >"$HOST_OUT" 2>&1 &
	HOST_PID=$!
	tl_wait 30 ' reply op=FREEZE status=S_OK' >/dev/null || { log "FAIL: no freeze"; rc=1; }
	# hvvssctl answers once the daemon has thawed: no waiting needed.
	"$CTL" thaw | sed 's/^/# thaw: /'
	is_frozen "$(fs_field data mnt)" && { log "FAIL: still frozen after hvvssctl thaw"; rc=1; }
	wait_more_acks data 5 || { log "FAIL: writer did not resume"; rc=1; }
	wait "$HOST_PID" || true
	st=$(awk '$3 == "reply" && $4 == "op=THAW" { for (i = 5; i <= NF; i++)
	    if ($i ~ /^status=/) print substr($i, 8) }' "$TIMELINE")
	log "THAW after the emergency thaw: $st"
	[ "$st" = E_FAIL ] || { log "FAIL: THAW must fail after an emergency thaw"; rc=1; }
	stop_writers

	# No daemon: status says so, plan still plans.
	st=0; "$CTL" status >/run/down.txt 2>&1 || st=$?
	[ "$st" = 69 ] || { log "FAIL: status without a daemon exits $st"; rc=1; }
	grep -q -F "$(fs_field more mnt)" <<<"$("$CTL" plan)" || { log "FAIL: plan without a daemon"; rc=1; }

	# No daemon, the knob left raised by it (marker), then by someone else.
	RCU0=$(cat /sys/kernel/rcu_expedited)
	trap 'echo "$RCU0" >/sys/kernel/rcu_expedited' EXIT
	mkdir -p /run/hvvss
	echo 1 >/sys/kernel/rcu_expedited
	: >/run/hvvss/frozen.rcu
	"$CTL" thaw >/run/down-thaw.txt 2>&1 || true
	sed 's/^/# thaw (down): /' /run/down-thaw.txt
	grep -q '^rcu .*put back to 0' /run/down-thaw.txt || { log "FAIL: no rcu line from hvvssctl thaw"; rc=1; }
	[ "$(cat /sys/kernel/rcu_expedited)" = 0 ] || { log "FAIL: hvvssctl thaw left rcu_expedited raised"; rc=1; }
	[ ! -e /run/hvvss/frozen.rcu ] || { log "FAIL: hvvssctl thaw left the marker"; rc=1; }
	echo 1 >/sys/kernel/rcu_expedited
	"$CTL" thaw >/dev/null 2>&1 || true
	[ "$(cat /sys/kernel/rcu_expedited)" = 1 ] || { log "FAIL: hvvssctl thaw changed an rcu_expedited it did not own"; rc=1; }
	echo "$RCU0" >/sys/kernel/rcu_expedited
	[ $rc = 0 ] || show_host_output
	return $rc
}

case ${1:-} in
--inside) inside ;;
*) outside ;;
esac
