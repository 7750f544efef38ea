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
#    interval + 50 ms of the FREEZE reply, so it was blocked across the whole
#    window: its latency covers the window but for that slack, and the
#    window itself lasted at least HOLD_MS;
#  - that write completed before the next cycle's FREEZE reply (resumed).
# Prints one line; returns 1 on failure.
writer_blocked() {
	awk -v fs="$2" -v fr="$3" -v ts="$4" -v hold="$5" -v nfr="${6:-0}" \
	    -v iv="$WRITER_INTERVAL_MS" '
	BEGIN { slack = (iv + 50) * 1e6; hold *= 1e6 }
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
# verdict lines; returns 1 if any copy is torn.
check_cycle_copies() {
	local cycle=$1 fsend=$2 name rc=0 pids=() p names
	shift 2
	if [ $# -gt 0 ]; then names=("$@"); else mapfile -t names < <(fs_names); fi
	mkdir -p /tmp/verdicts
	for name in "${names[@]}"; do
		check-copy -n "c$cycle-$name" "$(fs_field "$name" type)" \
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
run_host() {
	local cycles=$1 hold=$2 rc=0
	shift 2
	: >"$TIMELINE"
	if [ "${HVVSS_E2E_HOST:-}" = fake ]; then
		fake-host -n "$cycles" -c "$SNAPSHOT_CMD" -H "$hold" -T "$TIMELINE" "$@" \
		    >"$HOST_OUT" 2>&1 || rc=$?
	else
		/sb/build/hvvss-host -n "$cycles" -c "$SNAPSHOT_CMD" -H "$hold" \
		    -T "$TIMELINE" "$@" >"$HOST_OUT" 2>&1 || rc=$?
	fi
	log "host: $cycles cycles, rc $rc, $(grep -c 'cycle-end result=ok' "$TIMELINE" || true) ok"
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
