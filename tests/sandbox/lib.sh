# lib.sh: helpers for the e2e tests, sourced both outside the sandbox (to
# enter it) and inside (to drive writers, read timelines, check copies).
# shellcheck shell=bash

E2E_TOP=${E2E_TOP:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}
WRITER_INTERVAL_MS=${WRITER_INTERVAL_MS:-10}
ACK_DIR=/tmp/acks
SNAP_DIR=${SNAP_DIR:-/tmp/copies}
export SNAP_DIR

log() { printf '# %s\n' "$*"; }

# --- outside -----------------------------------------------------------------

# e2e_enter NAME TIMEOUT SPEC... : re-run the calling script inside a sandbox
# with those filesystems; prints the TAP-ish verdict and exits with its status
# (4 = skipped, as in kselftest).  Inside, the script gets --inside.
e2e_enter() {
	local name=$1 timeout=$2 rc=0 args=()
	shift 2
	for s in "$@"; do args+=(-f "$s"); done
	if [ "$(id -u)" != 0 ]; then
		echo "ok $name # SKIP not root"
		exit 4
	fi
	"$E2E_TOP/tests/sandbox/sandbox" -t "$timeout" "${args[@]}" -- \
	    "/sb/tests/e2e/$name.sh" --inside || rc=$?
	e2e_verdict "$name" "$rc"
}

e2e_verdict() {
	local name=$1 rc=$2
	case $rc in
	0) echo "ok $name" ;;
	4) echo "ok $name # SKIP" ;;
	124) echo "not ok $name # TIMEOUT" ;;
	*) echo "not ok $name # rc $rc" ;;
	esac
	exit "$rc"
}

# e2e_skip NAME REASON: print a skip verdict and exit 4.
e2e_skip() {
	echo "ok $1 # SKIP $2"
	exit 4
}

# --- inside: the manifest ----------------------------------------------------

# fs_names [BACKING...]: names of the test filesystems (all, or those with the
# given backings), in manifest order.
fs_names() {
	local name backing b
	# shellcheck disable=SC2034
	while read -r name _ _ _ backing; do
		if [ $# -eq 0 ]; then echo "$name"; continue; fi
		for b in "$@"; do
			if [ "$b" = "$backing" ]; then echo "$name"; fi
		done
	done <"$SB_MANIFEST"
	return 0
}

# fs_field NAME FIELD: FIELD = type | dev | mnt | backing
fs_field() {
	awk -v n="$1" -v f="$2" '$1 == n {
	    if (f == "type") print $2; else if (f == "dev") print $3;
	    else if (f == "mnt") print $4; else if (f == "backing") print $5 }' "$SB_MANIFEST"
}

# --- inside: writers ---------------------------------------------------------

declare -A WRITER_PID=()

# start_writer NAME: a writer(1) on /mnt/NAME/writer.dat, acks in ACK_DIR/NAME.
start_writer() {
	local name=$1
	mkdir -p "$ACK_DIR"
	writer -i "$WRITER_INTERVAL_MS" -o "$ACK_DIR/$name" "$(fs_field "$name" mnt)/writer.dat" &
	WRITER_PID[$name]=$!
}

ack_count() { [ -f "$ACK_DIR/$1" ] && wc -l <"$ACK_DIR/$1" || echo 0; }

# wait_acks NAME N SECONDS: poll until the writer has acked N records.
wait_acks() {
	local name=$1 n=$2 deadline=$((SECONDS + $3))
	while [ "$(ack_count "$name")" -lt "$n" ]; do
		if [ $SECONDS -ge $deadline ]; then
			log "writer $name: only $(ack_count "$name") acks after $3 s"
			return 1
		fi
		sleep 0.02
	done
}

# wait_more_acks NAME SECONDS: poll until the writer acks at least 2 more.
wait_more_acks() {
	local n
	n=$(ack_count "$1")
	wait_acks "$1" $((n + 2)) "$2"
}

stop_writers() {
	local name
	for name in "${!WRITER_PID[@]}"; do
		kill -TERM "${WRITER_PID[$name]}" 2>/dev/null || true
	done
	for name in "${!WRITER_PID[@]}"; do
		wait "${WRITER_PID[$name]}" 2>/dev/null || true
	done
	WRITER_PID=()
}

# --- inside: timelines -------------------------------------------------------

# tl_ns TIMELINE CYCLE EVENT [KEY=VALUE...]: ns of the first matching line
# "<ns> <cycle> <event> key=value..."; empty if none.
tl_ns() {
	local tl=$1 cycle=$2 event=$3
	shift 3
	awk -v c="$cycle" -v e="$event" -v kvs="$*" '
	    $2 == c && $3 == e {
		n = split(kvs, want, " ")
		for (i = 1; i <= n; i++)
			if (index(" " $0 " ", " " want[i] " ") == 0) next
		print $1; exit
	    }' "$tl"
}

# tl_cycles TIMELINE: the cycle numbers present, in order.
tl_cycles() {
	awk '$2 ~ /^[0-9]+$/ && !seen[$2]++ { print $2 }' "$1"
}

# --- inside: checks ----------------------------------------------------------

# writer_blocked ACKLOG FREEZE_SEND FREEZE_REPLY THAW_SEND HOLD_MS [NEXT_FREEZE_REPLY]
# Proves a writer was blocked while frozen and resumed after the thaw:
#  - no write that started after the FREEZE reply completed before THAW send;
#  - the first ack after THAW send belongs to a write that started within
#    interval + 100 ms of the FREEZE reply (scheduling slack on a loaded
#    machine), so it was blocked across the whole
#    window: its latency covers the window but for that slack, and the
#    window itself lasted at least HOLD_MS;
#  - that write completed before the next cycle's FREEZE reply (resumed).
# Prints one line; returns 1 on failure.
writer_blocked() {
	awk -v fs="$2" -v fr="$3" -v ts="$4" -v hold="$5" -v nfr="${6:-0}" \
	    -v iv="$WRITER_INTERVAL_MS" '
	BEGIN { slack = (iv + 100) * 1e6; hold *= 1e6 }
	{
		seq = $1; end = $2; lat = $3; start = end - lat
		if (start > fr && end < ts && !bad)
			bad = sprintf("seq %d was written %.1f ms into the frozen window and acked %.1f ms before THAW",
			    seq, (start - fr) / 1e6, (ts - end) / 1e6)
		if (end >= ts && !found) {
			found = 1; aseq = seq; astart = start; aend = end; alat = lat
		}
		if (end > fr && end < ts) inwin++
		total++
	}
	END {
		if (bad) { print "NOT BLOCKED: " bad; exit 1 }
		if (!found) { printf "NOT RESUMED: no ack after THAW (%d acks in all)\n", total; exit 1 }
		if (astart > fr + slack) {
			printf "NOT BLOCKED: no write pending across the window (first ack after THAW, seq %d, started %.1f ms after the FREEZE reply)\n",
			    aseq, (astart - fr) / 1e6
			exit 1
		}
		if (ts - fr < hold) {
			printf "WINDOW TOO SHORT: %.1f ms between FREEZE reply and THAW < hold %.1f ms\n", (ts - fr) / 1e6, hold / 1e6
			exit 1
		}
		if (alat < (ts - fr) - slack) {
			printf "NOT BLOCKED: stall %.1f ms does not cover the %.1f ms window\n", alat / 1e6, (ts - fr) / 1e6
			exit 1
		}
		if (nfr > 0 && aend > nfr) {
			printf "NOT RESUMED: seq %d stayed blocked into the next freeze\n", aseq
			exit 1
		}
		printf "blocked %.1f ms (frozen window %.1f ms), resumed %.1f ms after THAW\n",
		    alat / 1e6, (ts - fr) / 1e6, (aend - ts) / 1e6
	}' "$1"
}

# writer_never_blocked ACKLOG FREEZE_REPLY THAW_SEND: the writer kept acking
# writes started inside the window (a filesystem that was not frozen).
writer_never_blocked() {
	awk -v fr="$2" -v ts="$3" '
	{ start = $2 - $3; if (start > fr && $2 < ts) n++ }
	END {
		if (n > 0) { printf "not frozen: %d writes acked inside the window\n", n; exit 0 }
		print "FROZEN: no write completed inside the window"; exit 1
	}' "$1"
}

# check_cycle_copies CYCLE FREEZE_SEND: check-copy every copy of that cycle
# (with the durability check against FREEZE_SEND), in pairs; prints the
# verdict lines (and under a torn one, what its checker said); returns 1 if
# any copy is torn.
check_cycle_copies() {
	local cycle=$1 fsend=$2 name rc=0 pids=() p names
	shift 2
	if [ $# -gt 0 ]; then names=("$@"); else mapfile -t names < <(fs_names); fi
	mkdir -p /tmp/verdicts
	for name in "${names[@]}"; do
		check-copy -v -n "c$cycle-$name" "$(fs_field "$name" type)" \
		    "$SNAP_DIR/c$cycle-$name.img" writer.dat "$ACK_DIR/$name" "$fsend" \
		    >"/tmp/verdicts/c$cycle-$name" 2>&1 &
		pids+=($!)
		if [ ${#pids[@]} -ge 2 ]; then
			for p in "${pids[@]}"; do wait "$p" || rc=1; done
			pids=()
		fi
	done
	for p in "${pids[@]}"; do wait "$p" || rc=1; done
	for name in "${names[@]}"; do cat "/tmp/verdicts/c$cycle-$name"; done
	return $rc
}

# drop_cycle_copies CYCLE: free the tmpfs space of a checked cycle.
drop_cycle_copies() {
	rm -f "$SNAP_DIR/c$1-"*.img
}

# is_frozen MOUNTPOINT: true if the fs is frozen right now (FIFREEZE gets
# EBUSY); a thawed fs is frozen and thawed again by the probe.
is_frozen() {
	local out
	if out=$(timeout 10 fsfreeze -f "$1" 2>&1); then
		fsfreeze -u "$1"
		return 1
	fi
	case $out in *busy*) return 0 ;; esac
	log "is_frozen $1: $out"
	return 0
}

# --- inside: backup cycles through hvvss-host (or the fake-host stand-in) ----

TIMELINE=/tmp/timeline
HOST_OUT=/tmp/host.out
SNAPSHOT_CMD=/sb/tests/sandbox/snapshot-copy

# host_available: the binaries needed for a real run exist (inside).
host_available() {
	[ "${HVVSS_E2E_HOST:-}" = fake ] || [ -x /sb/build/hvvss-host ]
}

# run_host CYCLES HOLD_MS [hvvss-host args...] [-- daemon [args...]]:
# run the backup cycles with the copy snapshot command and the timeline in
# TIMELINE, output in HOST_OUT; returns the host's status.  With
# HVVSS_E2E_HOST=fake the fsfreeze(8) stand-in runs instead (no daemon).
# The built-in "backup" scenario with a pause after each cycle.  Real hosts
# back up minutes apart; back to back, a writer woken by THAW may get no
# chance to ack before the next FREEZE (seen about once in 16 runs of 20
# cycles with Debian's daemon, which freezes the moment FREEZE arrives), and
# "resumed after THAW" could not be shown.
GAP_SCEN=/tmp/backup-gap.scen
write_gap_scenario() {
	cat >"$GAP_SCEN" <<'S'
negotiate fw=1.0,3.0 vss=4.0,5.0 expect ok
cycle
send HOT_BACKUP reply-flags-linux=0 reply-flags-freebsd=5
send GET_DM_INFO reply-flags=0
send FREEZE luns=1
snapshot
send THAW
send BU_COMPLETE expect-freebsd none
sleep 50ms
end
S
}

run_host() {
	local cycles=$1 hold=$2 rc=0 a scen=()
	shift 2
	: >"$TIMELINE"
	if [ "$cycles" -gt 1 ]; then
		scen=(-f "$GAP_SCEN")
		for a in "$@"; do
			[ "$a" = -- ] && break
			case $a in -f | -s) scen=() ;; esac
		done
		[ ${#scen[@]} = 0 ] || write_gap_scenario
	fi
	if [ "${HVVSS_E2E_HOST:-}" = fake ]; then
		fake-host -n "$cycles" -c "$SNAPSHOT_CMD" -H "$hold" -T "$TIMELINE" "$@" \
		    >"$HOST_OUT" 2>&1 || rc=$?
	else
		/sb/build/hvvss-host -n "$cycles" -c "$SNAPSHOT_CMD" -H "$hold" \
		    -T "$TIMELINE" "${scen[@]}" "$@" >"$HOST_OUT" 2>&1 || rc=$?
	fi
	log "host: $cycles cycles$([ ${#scen[@]} = 0 ] || echo ' (50 ms apart)'), rc $rc, $(grep -c 'cycle-end result=ok' "$TIMELINE" || true) ok"
	return $rc
}

# show_host_output: the host's (and daemon's) output and syslog, as comments.
show_host_output() {
	log "---- host output (last 40 lines)"
	tail -40 "$HOST_OUT" | sed 's/^/#   /'
	if [ -s "$SB_SYSLOG" ]; then
		log "---- syslog (last 20 lines)"
		tail -20 "$SB_SYSLOG" | sed 's/^/#   /'
	fi
}

# verify_cycles CYCLES HOLD_MS BLOCKED_NAMES COPIED_NAMES [UNFROZEN_NAMES]:
# for every cycle: FREEZE reply S_OK, snapshot rc 0, cycle-end ok; every
# writer in BLOCKED_NAMES blocked while frozen and resumed; every copy in
# COPIED_NAMES passes check-copy with durability against the FREEZE send
# time; writers in UNFROZEN_NAMES never blocked.  Names are space separated.
# Prints a per-cycle summary; returns 1 on any failure.
verify_cycles() {
	local cycles=$1 hold=$2 blocked=$3 copied=$4 unfrozen=${5:-} c name
	local fsend freply tsend nfreply out failed=0 cfail
	for ((c = 1; c <= cycles; c++)); do
		cfail=0
		fsend=$(tl_ns "$TIMELINE" "$c" send op=FREEZE)
		freply=$(tl_ns "$TIMELINE" "$c" reply op=FREEZE status=S_OK)
		tsend=$(tl_ns "$TIMELINE" "$c" send op=THAW)
		nfreply=$(tl_ns "$TIMELINE" $((c + 1)) reply op=FREEZE)
		if [ -z "$fsend" ] || [ -z "$freply" ] || [ -z "$tsend" ]; then
			log "cycle $c: FAIL: timeline lacks FREEZE send/S_OK reply/THAW send"
			failed=1
			continue
		fi
		if [ -z "$(tl_ns "$TIMELINE" "$c" snapshot-end rc=0)" ]; then
			log "cycle $c: FAIL: snapshot command did not succeed"; cfail=1
		fi
		if [ -z "$(tl_ns "$TIMELINE" "$c" cycle-end result=ok)" ]; then
			log "cycle $c: FAIL: cycle-end is not result=ok"; cfail=1
		fi
		for name in $blocked; do
			if ! out=$(writer_blocked "$ACK_DIR/$name" "$fsend" "$freply" "$tsend" \
			    "$hold" "$nfreply"); then
				log "cycle $c: writer $name: $out"; cfail=1
			elif [ "$c" = 1 ]; then
				log "cycle $c: writer $name: $out"
			fi
		done
		for name in $unfrozen; do
			if ! out=$(writer_never_blocked "$ACK_DIR/$name" "$freply" "$tsend"); then
				log "cycle $c: writer $name: $out (it must not be frozen)"; cfail=1
			elif [ "$c" = 1 ]; then
				log "cycle $c: writer $name: $out"
			fi
		done
		# shellcheck disable=SC2086
		if ! out=$(check_cycle_copies "$c" "$fsend" $copied); then
			cfail=1
			printf '%s\n' "$out" | grep -v ': ok' | sed 's/^/# /'
		fi
		drop_cycle_copies "$c"
		log "cycle $c: frozen window $(((tsend - freply) / 1000000)) ms," \
		    "copies$(awk '{ printf " %s=%sms", $1, $2 }' "$SNAP_DIR/c$c.times" 2>/dev/null)," \
		    "$( [ $cfail = 0 ] && echo ok || echo FAILED)"
		[ $cfail = 0 ] || failed=1
	done
	return $failed
}

# --- inside: fault injection (tests/e2e/faults-*.sh) -------------------------
# The host runs in the background without a daemon of its own; the test
# starts (and kills, stops, restarts) the daemon itself, whose standard error
# goes to DAEMON_LOG.  Scenario files live in /sb/tests/e2e/scenarios.

# shellcheck disable=SC2034 # used by the tests
DAEMON_LOG=/tmp/daemon.log
# shellcheck disable=SC2034
SCEN_DIR=/sb/tests/e2e/scenarios
HOST_PID='' HOST_RC='' DAEMON_PID='' DAEMON_RC=''
FAULT_FAILED=0

# fail MESSAGE: log a failure and remember it (the test returns FAULT_FAILED).
fail() {
	log "FAIL: $*"
	FAULT_FAILED=1
}

# host_start [hvvss-host args...]: hvvss-host in the background (timeline in
# TIMELINE, output in HOST_OUT); waits until its device is mounted.
host_start() {
	local deadline=$((SECONDS + 10))
	: >"$TIMELINE"
	HOST_RC=''
	/sb/build/hvvss-host -T "$TIMELINE" "$@" >"$HOST_OUT" 2>&1 &
	HOST_PID=$!
	until grep -q ' /dev/vmbus/hv_vss ' /proc/self/mountinfo; do
		if ! kill -0 "$HOST_PID" 2>/dev/null || [ $SECONDS -ge $deadline ]; then
			log "hvvss-host did not set up its device"
			return 1
		fi
		sleep 0.01
	done
}

# host_wait SECONDS: wait for hvvss-host to exit (TERM after SECONDS, then
# KILL); its status in HOST_RC.
host_wait() {
	local deadline=$((SECONDS + $1))
	while kill -0 "$HOST_PID" 2>/dev/null && [ $SECONDS -lt $deadline ]; do
		sleep 0.05
	done
	if kill -0 "$HOST_PID" 2>/dev/null; then
		log "hvvss-host still running after $1 s: TERM"
		kill -TERM "$HOST_PID" 2>/dev/null || true
		sleep 2
		kill -KILL "$HOST_PID" 2>/dev/null || true
	fi
	HOST_RC=0
	wait "$HOST_PID" || HOST_RC=$?
	HOST_PID=''
}

# daemon_start [daemon args...]: /sb/build/hv_vss_daemon -n -d ARGS in the
# background, stderr appended to DAEMON_LOG; its pid in DAEMON_PID.
daemon_start() {
	DAEMON_RC=''
	/sb/build/hv_vss_daemon -n -d "$@" 2>>"$DAEMON_LOG" &
	DAEMON_PID=$!
}

# daemon_wait SECONDS: wait for the daemon to exit (KILL after SECONDS);
# its status in DAEMON_RC (128+N after signal N).
daemon_wait() {
	local deadline=$((SECONDS + $1))
	while kill -0 "$DAEMON_PID" 2>/dev/null && [ $SECONDS -lt $deadline ]; do
		sleep 0.02
	done
	if kill -0 "$DAEMON_PID" 2>/dev/null; then
		log "daemon still running after $1 s: KILL"
		kill -KILL "$DAEMON_PID" 2>/dev/null || true
	fi
	DAEMON_RC=0
	wait "$DAEMON_PID" 2>/dev/null || DAEMON_RC=$?
}

# daemon_stop: SIGTERM the daemon (if alive) and wait; status in DAEMON_RC.
daemon_stop() {
	kill -TERM "$DAEMON_PID" 2>/dev/null || true
	daemon_wait 10
}

# tl_wait SECONDS ERE [N]: wait until the timeline has N (default 1) lines
# matching ERE; prints the ns of the Nth; returns 1 on timeout.
tl_wait() {
	local deadline=$((SECONDS + $1)) re=$2 n=${3:-1} ns
	while :; do
		ns=$(grep -E -- "$re" "$TIMELINE" 2>/dev/null | sed -n "${n}p" | cut -d' ' -f1)
		if [ -n "$ns" ]; then echo "$ns"; return 0; fi
		[ $SECONDS -lt $deadline ] || return 1
		sleep 0.01
	done
}

# tl_reply_status OP [N]: the status of the Nth (default 1st) host-side reply
# to OP in the timeline ("none" if there is none).
tl_reply_status() {
	awk -v op="op=$1" -v n="${2:-1}" '$3 == "reply" && $4 == op {
	    if (++k == n) { for (i = 5; i <= NF; i++) if ($i ~ /^status=/) print substr($i, 8); found = 1; exit } }
	    END { if (!found) print "none" }' "$TIMELINE"
}

# daemon_logged ERE: true if DAEMON_LOG has a matching line (printed as a
# comment); else a failure.
daemon_logged() {
	local line
	if line=$(grep -E -m1 -- "$1" "$DAEMON_LOG"); then
		log "daemon: $line"
	else
		fail "the daemon log has no line matching /$1/"
	fi
}

# timeline_has ERE: true if the timeline has a matching line (printed as a
# comment); else a failure.
timeline_has() {
	local line
	if line=$(grep -E -m1 -- "$1" "$TIMELINE"); then
		log "host: $line"
	else
		fail "the host timeline has no line matching /$1/"
	fi
}

# guardian_pid DAEMON_PID: the pid of its hvvss-guardian child, if any.
guardian_pid() {
	local p
	for p in /proc/[0-9]*; do
		[ "$(awk '{ print $4 }' "$p/stat" 2>/dev/null)" = "$1" ] || continue
		[ "$(cat "$p/comm" 2>/dev/null)" = hvvss-guardian ] || continue
		echo "${p#/proc/}"
		return 0
	done
	return 1
}

# first_ack_after NAME NS: the ack time (ns) of the writer's first write that
# completed after NS; empty if none.
first_ack_after() {
	[ -f "$ACK_DIR/$1" ] || return 0
	awk -v t="$2" '$2 > t { print $2; exit }' "$ACK_DIR/$1"
}

# wait_resumed SECONDS NS NAME...: wait until every writer acked a write after
# NS; prints the longest delay from NS in ms (3 decimals); 1 on timeout.
wait_resumed() {
	local deadline=$((SECONDS + $1)) t0=$2 name a max=0
	shift 2
	for name in "$@"; do
		while [ -z "$(first_ack_after "$name" "$t0")" ]; do
			if [ $SECONDS -ge $deadline ]; then
				log "writer $name: no ack after the fault within the wait"
				return 1
			fi
			sleep 0.005
		done
		a=$(first_ack_after "$name" "$t0")
		[ $((a - t0)) -le "$max" ] || max=$((a - t0))
	done
	awk -v n="$max" 'BEGIN { printf "%.3f\n", n / 1e6 }'
}

# writers_stalled NAME...: true if no listed writer acked for 300 ms (its
# filesystem is frozen, or at least blocked).
writers_stalled() {
	local name t0 t
	t0=$(monons)
	sleep 0.3
	for name in "$@"; do
		t=$(first_ack_after "$name" "$t0")
		if [ -n "$t" ]; then
			log "writer $name acked at +$(((t - t0) / 1000000)) ms: not frozen"
			return 1
		fi
	done
	return 0
}

# assert_thawed NAME...: every listed filesystem is not frozen (FIFREEZE +
# FITHAW probe with a timeout) and its writer, if any, still acks.
assert_thawed() {
	local name
	for name in "$@"; do
		if is_frozen "$(fs_field "$name" mnt)"; then
			fail "$name is still frozen"
			timeout 5 fsfreeze -u "$(fs_field "$name" mnt)" || true
		fi
		if [ -n "${WRITER_PID[$name]:-}" ] && ! wait_more_acks "$name" 10; then
			fail "writer $name does not progress"
		fi
	done
}

# no_guardian_left: no hvvss-guardian process is left in the sandbox.
no_guardian_left() {
	local p
	for p in /proc/[0-9]*; do
		if [ "$(cat "$p/comm" 2>/dev/null)" = hvvss-guardian ]; then
			fail "a guardian (pid ${p#/proc/}) is still running"
			kill -KILL "${p#/proc/}" 2>/dev/null || true
		fi
	done
	return 0
}

# frozen_window NAME...: wait for the FREEZE reply of the first cycle,
# require S_OK and those writers blocked; a failure otherwise.
frozen_window() {
	local st
	tl_wait 10 ' reply op=FREEZE ' >/dev/null || { fail "no FREEZE reply"; return 1; }
	st=$(tl_reply_status FREEZE)
	[ "$st" = S_OK ] || { fail "FREEZE replied $st"; return 1; }
	writers_stalled "$@" || { fail "the writers are not blocked after FREEZE"; return 1; }
}

# new_guardian DAEMON_PID OLD: wait up to 3 s for a guardian of that daemon
# other than OLD; prints its pid.
new_guardian() {
	local deadline=$((SECONDS + 3)) g
	while [ $SECONDS -lt $deadline ]; do
		g=$(guardian_pid "$1") || true
		if [ -n "$g" ] && [ "$g" != "$2" ]; then echo "$g"; return 0; fi
		sleep 0.005
	done
	return 1
}

# guardian_killed LABEL DAEMON NAME...: while frozen, SIGKILL DAEMON's
# guardian: a new one must take over within 3 s, those writers stay
# blocked, the host's THAW succeeds (the window was never broken) and the
# daemon logs event=guardian-died action=rearm.
guardian_killed() {
	local label=$1 parent=$2 g1 g2 t0 t1 st
	shift 2
	g1=$(guardian_pid "$parent") || { fail "$label: no guardian while frozen"; return 0; }
	t0=$(monons)
	kill -KILL "$g1"
	if g2=$(new_guardian "$parent" "$g1"); then
		t1=$(monons)
		log "$label: TIMING new guardian $g2 (was $g1) within $(((t1 - t0) / 1000000)) ms of the kill"
	else
		fail "$label: no new guardian after killing $g1"
	fi
	writers_stalled "$@" || fail "$label: killing the guardian thawed the filesystems"
	tl_wait 10 ' reply op=THAW ' >/dev/null || fail "$label: no THAW reply"
	st=$(tl_reply_status THAW)
	log "$label: THAW after the guardian's death: $st"
	[ "$st" = S_OK ] || fail "$label: THAW replied $st (want S_OK: the window was never broken)"
	daemon_logged 'event=guardian-died .*action=rearm'
}

# run_fault_cases "NAMES" CASE...: a writer on each of NAMES, then each case
# function in turn, the logs shown after the first one that fails; stops
# the writers and returns the failure status.
run_fault_cases() {
	local name c shown=0
	for name in $1; do start_writer "$name"; done
	for name in $1; do wait_acks "$name" 10 20; done
	shift
	for c in "$@"; do
		"$c"
		if [ $FAULT_FAILED != 0 ] && [ $shown = 0 ]; then
			show_fault_logs
			shown=1
		fi
	done
	stop_writers
	return $FAULT_FAILED
}

# show_fault_logs: the timeline (human part of the host output) and the
# daemon log, as comments (for failures).
show_fault_logs() {
	log "---- host output (last 60 lines)"
	tail -60 "$HOST_OUT" | sed 's/^/#   /'
	log "---- daemon log (last 40 lines)"
	tail -40 "$DAEMON_LOG" 2>/dev/null | sed 's/^/#   /'
}

# daemon_stop_at_end: fault scenarios end with "sleep 1200ms"; stop the
# daemon (SIGTERM) there, while the host still serves the device, so that
# its exit status is that of a signal (0), not of a vanished device.
daemon_stop_at_end() {
	tl_wait 30 ' sleep ms=1200\.000' >/dev/null ||
	    fail "the scenario did not reach its final sleep"
	daemon_stop
}

# host_start_daemon [hvvss-host args...] -- [daemon args...]: hvvss-host in
# the background, running /sb/build/hv_vss_daemon -n -d ARGS itself (so it
# SIGTERMs the daemon at the end and records its exit in the timeline), the
# daemon's stderr appended to DAEMON_LOG; DAEMON_PID from the timeline.
host_start_daemon() {
	local hargs=() ns
	while [ $# -gt 0 ] && [ "$1" != -- ]; do hargs+=("$1"); shift; done
	[ $# -eq 0 ] || shift
	: >"$TIMELINE"
	HOST_RC=''
	/sb/build/hvvss-host -T "$TIMELINE" "${hargs[@]}" -- /usr/bin/bash -c \
	    "exec \"\$0\" \"\$@\" 2>>$DAEMON_LOG" /sb/build/hv_vss_daemon -n -d "$@" \
	    >"$HOST_OUT" 2>&1 &
	HOST_PID=$!
	if ! ns=$(tl_wait 10 ' daemon-start pid='); then
		log "hvvss-host did not start the daemon"
		return 1
	fi
	DAEMON_PID=$(grep -m1 ' daemon-start pid=' "$TIMELINE" | sed 's/.*pid=\([0-9]*\).*/\1/')
}

# tl_daemon_exit: the daemon's exit as the host recorded it ("exit 0",
# "signal 9", ...), or "none".
tl_daemon_exit() {
	local s
	s=$(grep ' daemon-exit status=' "$TIMELINE" | tail -1 | sed 's/.* daemon-exit status=//')
	echo "${s:-none}"
}

# host_daemon_end WANT_HOST_RC WANT_DAEMON_EXIT: wait for the host; check its
# status and the daemon's recorded exit ("exit 0" etc.).
host_daemon_end() {
	host_wait 60
	[ "$HOST_RC" = "$1" ] || fail "hvvss-host exit status $HOST_RC (want $1)"
	[ "$(tl_daemon_exit)" = "$2" ] || fail "daemon exit '$(tl_daemon_exit)' (want '$2')"
}
