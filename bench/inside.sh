#!/usr/bin/env bash
# bench/inside.sh SESSION: the benchmark's measurements; bench/run runs it
# inside tests/sandbox/sandbox (never outside: it freezes filesystems).
#
#   stall  8 filesystems, 200 MB dirtied right before each cycle, one
#          fsync-per-write writer per fs: P1 (excess writer stall), P2
#          (FREEZE request-to-reply), and the presync variants (frzexp)
#   idle   idle FREEZE+THAW round trip (P3) over every test fs
#   binds  P3 on the single fs, then 5,000 bind mounts of it: the live
#          planning scan (ours vs the distribution daemon's approach, P4)
#          and a FREEZE+THAW of that table through each peer
#
# Methods, all over the same filesystems with the same hold:
#   ours    build/hv_vss_daemon under build/hvvss-host
#   distro  /usr/sbin/hv_vss_daemon -n under build/hvvss-host
#   qga     qemu-ga (unix-listen) driven by bench/qga-drive
#   fsfreeze fsfreeze -f in mount order, hold, fsfreeze -u (bench/seqfreeze)
#   exp-*   bench/frzexp: our engine's steps standalone: presync (= the
#           daemon's engine: parallel syncfs, then parallel FIFREEZE with
#           expedited RCU), sync2 (a second syncfs before the freeze), none
#           (no syncfs), noexp (presync without expedited RCU), w8 (noexp
#           with 8 workers, the engine's old cap), syncfs (the parallel
#           syncfs alone: the floor P2 is held against)
# Every cycle prints one "R ..." line; bench/run turns them into the report.
set -uo pipefail

if [ "${HVVSS_SANDBOX:-}" != 1 ]; then
	echo "inside.sh: only inside tests/sandbox/sandbox" >&2
	exit 2
fi
BENCH=$(cd "$(dirname "$(readlink -f "$0")")" && pwd)
export PATH=$BENCH/bin:/sb/build/tools:$PATH
REPS=${BENCH_REPS:-5}
HOLD=${BENCH_HOLD_MS:-100}
DIRTY_MB=${BENCH_DIRTY_MB:-200}
ACKS=/tmp/acks
TL=/tmp/tl
QGA_SOCK=/run/qga/qga.sock

log() { printf '# %s\n' "$*" >&2; }

mounts() { awk '{ print $4 }' "$SB_MANIFEST"; }
names() { awk '{ print $1 }' "$SB_MANIFEST"; }

start_qga() {
	mkdir -p /run/qga
	qemu-ga -m unix-listen -p "$QGA_SOCK" -t /run/qga -f /run/qga/qga.pid \
	    -l /tmp/qga.log </dev/null &
	QGA_PID=$!
	local i
	for i in $(seq 100); do [ -S "$QGA_SOCK" ] && return 0; sleep 0.05; done
	log "qemu-ga did not start"; return 1
}

stop_qga() {
	[ -n "${QGA_PID:-}" ] || return 0
	kill -TERM "$QGA_PID" 2>/dev/null; wait "$QGA_PID" 2>/dev/null
	QGA_PID=
}

declare -a WPIDS=()
start_writers() {
	local n m
	mkdir -p "$ACKS"
	while read -r n _ _ m _; do
		writer -i 10 -o "$ACKS/$n" "$m/writer.dat" &
		WPIDS+=($!)
	done <"$SB_MANIFEST"
	sleep 1
}
stop_writers() {
	local p
	for p in "${WPIDS[@]}"; do kill -TERM "$p" 2>/dev/null; done
	for p in "${WPIDS[@]}"; do wait "$p" 2>/dev/null; done
	WPIDS=()
}

# run_cycle METHOD HOLD_MS MOUNT...: one FREEZE/hold/THAW through METHOD,
# timeline in $TL (cycle 1).  Returns the method's status.
run_cycle() {
	local method=$1 hold=$2 rc=0
	shift 2
	: >"$TL"
	case $method in
	ours|distro)
		local d=(/sb/build/hv_vss_daemon -n) sl
		sl=$(wc -l <"$SB_SYSLOG" 2>/dev/null || echo 0)
		[ "$method" = distro ] && d=(/usr/sbin/hv_vss_daemon -n)
		/sb/build/hvvss-host -q -n 1 -H "$hold" -T "$TL" -- "${d[@]}" >/tmp/host.out 2>&1 || rc=$?
		# The daemon's own timing lines, for the report's diagnosis.
		{ tail -n +$((sl + 1)) "$SB_SYSLOG" 2>/dev/null; cat /tmp/host.out; } |
		    grep -E 'event=(prepared|freeze|thaw|apps)|op=FREEZE|op=THAW' |
		    sed "s/^/D method=$method /" || true
		;;
	qga) qga-drive -s "$QGA_SOCK" -T "$TL" -H "$hold" "$@" 2>/tmp/qga-drive.out || rc=$? ;;
	fsfreeze) seqfreeze -T "$TL" -H "$hold" "$@" || rc=$? ;;
	exp-w8) frzexp -w 8 -T "$TL" -H "$hold" "$@" >/tmp/frzexp.out || rc=$? ;;
	exp-noexp) frzexp -m presync -T "$TL" -H "$hold" "$@" >/tmp/frzexp.out || rc=$? ;;
	exp-syncfs) frzexp -m syncfs -T "$TL" -H "$hold" "$@" >/tmp/frzexp.out || rc=$? ;;
	exp-*) frzexp -e -m "${method#exp-}" -T "$TL" -H "$hold" "$@" >/tmp/frzexp.out || rc=$? ;;
	esac
	if [ $rc != 0 ]; then
		log "$method: rc $rc"
		tail -5 /tmp/host.out /tmp/qga-drive.out 2>/dev/null | sed 's/^/#   /' >&2
	fi
	return $rc
}

# tl EVENT [KEY=VALUE]: ns of the first matching cycle-1 line of $TL.
tl() {
	awk -v e="$1" -v kv="${2:-}" '$2 == 1 && $3 == e && (kv == "" || index(" " $0 " ", " " kv " ")) { print $1; exit }' "$TL"
}

# cycle_times: sets FS FR TS TR (FREEZE send/reply, THAW send/reply, ns).
cycle_times() {
	FS=$(tl send op=FREEZE); FR=$(tl reply op=FREEZE)
	TS=$(tl send op=THAW); TR=$(tl reply op=THAW)
	FROK=0
	[ -n "$(tl reply status=S_OK)" ] && FROK=1
	[ -n "$FS" ] && [ -n "$FR" ] && [ -n "$TS" ] && [ -n "$TR" ]
}

# stall NAME: the longest write stall of that fs's writer over the cycle,
# in ms: writes that overlap [FREEZE send, THAW reply], counted from the
# later of their start and the FREEZE send.
stall() {
	awk -v fs="$FS" -v tr="$TR" '
	{ end = $2; start = $2 - $3
	  if (end > fs && start < tr) { s = end - (start > fs ? start : fs); if (s > m) m = s } }
	END { printf "%.1f", m / 1e6 }' "$ACKS/$1"
}

dirty_mb() { awk '/^Dirty:/ { printf "%d", $2 / 1024 }' /proc/meminfo; }

# dirty_all: drop the previous rep's file, flush, then write DIRTY_MB of
# incompressible data to every fs (no fsync) right before the cycle.
dirty_all() {
	local m
	for m in $(mounts); do rm -f "$m/dirty.dat"; done
	for m in $(mounts); do sync -f "$m"; done
	sleep 0.5
	local pids=() p
	for m in $(mounts); do
		dd if=/tmp/rand.dat of="$m/dirty.dat" bs=1M status=none &
		pids+=($!)
	done
	for p in "${pids[@]}"; do wait "$p"; done
}

# report_stall METHOD REP DIRTY: one R line for a stall-session cycle.
report_stall() {
	local method=$1 rep=$2 dirty=$3 n s list="" worst=0 nblocked=0 hold p2 extra=""
	if ! cycle_times; then
		echo "R test=stall method=$method rep=$rep status=fail reason=timeline"
		return
	fi
	hold=$(( (TS - FR) / 1000 ))
	for n in $(names); do
		s=$(stall "$n")
		list+="${list:+,}$s"
		awk -v s="$s" -v w="$worst" 'BEGIN { exit !(s > w) }' && worst=$s
		awk -v s="$s" -v h="$hold" 'BEGIN { exit !(s * 1000 >= h * 0.9) }' && nblocked=$((nblocked + 1))
	done
	if [ "${method#exp-}" != "$method" ]; then
		extra=" $(cat /tmp/frzexp.out)"
	fi
	p2=$(( (FR - FS) / 1000 ))
	# The host's check before FREEZE (ours and distro only): where ours
	# flushes, so that the FREEZE has little left to write.
	local cs cr
	cs=$(tl send op=HOT_BACKUP); cr=$(tl reply op=HOT_BACKUP)
	if [ -n "$cs" ] && [ -n "$cr" ]; then
		extra+=" check_ms=$(awk -v a="$cs" -v b="$cr" 'BEGIN { printf "%.1f", (b - a) / 1e6 }')"
	fi
	echo "R test=stall method=$method rep=$rep status=$([ $FROK = 1 ] && echo ok || echo fail)" \
	    "nfs=$(names | wc -l) blocked=$nblocked dirty_mb=$dirty" \
	    "p2_ms=$(awk -v x=$p2 'BEGIN { printf "%.1f", x / 1000 }')" \
	    "hold_ms=$(awk -v x=$hold 'BEGIN { printf "%.1f", x / 1000 }')" \
	    "thaw_ms=$(awk -v a=$TS -v b=$TR 'BEGIN { printf "%.1f", (b - a) / 1e6 }')" \
	    "worst_stall_ms=$worst" \
	    "p1_ms=$(awk -v w=$worst -v h=$hold 'BEGIN { printf "%.1f", w - h / 1000 }')" \
	    "stalls=$list$extra"
}

# report_rt TEST METHOD REP: one R line with the FREEZE+THAW round trip.
report_rt() {
	local test=$1 method=$2 rep=$3
	if ! cycle_times; then
		echo "R test=$test method=$method rep=$rep status=fail reason=timeline"
		return
	fi
	echo "R test=$test method=$method rep=$rep status=$([ $FROK = 1 ] && echo ok || echo fail)" \
	    "nfs=$(names | wc -l)" \
	    "freeze_ms=$(awk -v a=$FS -v b=$FR 'BEGIN { printf "%.1f", (b - a) / 1e6 }')" \
	    "thaw_ms=$(awk -v a=$TS -v b=$TR 'BEGIN { printf "%.1f", (b - a) / 1e6 }')" \
	    "rt_ms=$(awk -v a=$FS -v b=$FR -v c=$TS -v d=$TR 'BEGIN { printf "%.1f", (b - a + d - c) / 1e6 }')"
}

# Rotate the method order each rep so no method always runs first.
rotate() { local k=$1; shift; local a=("$@"); local n=${#a[@]} i; for ((i = 0; i < n; i++)); do echo "${a[((i + k) % n)]}"; done; }

session_stall() {
	local rep method dirty methods=(ours distro qga fsfreeze exp-presync exp-sync2 exp-none exp-noexp exp-syncfs)
	dd if=/dev/urandom of=/tmp/rand.dat bs=1M count="$DIRTY_MB" status=none
	start_qga || return 1
	start_writers
	for ((rep = 1; rep <= REPS; rep++)); do
		for method in $(rotate "$rep" "${methods[@]}"); do
			dirty_all
			dirty=$(dirty_mb)
			run_cycle "$method" "$HOLD" $(mounts)
			sleep 0.3	# let blocked writers ack
			report_stall "$method" "$rep" "$dirty"
		done
	done
	stop_writers
	stop_qga
	for m in $(mounts); do rm -f "$m/dirty.dat"; done
}

# idle FREEZE+THAW round trips over every test fs (TEST names the figure).
idle_rounds() {
	local test=$1 rep method methods=(ours distro qga fsfreeze)
	[ "$test" = p3_1 ] || methods+=(exp-presync exp-noexp exp-w8)
	for ((rep = 1; rep <= REPS; rep++)); do
		for method in $(rotate "$rep" "${methods[@]}"); do
			sleep 1	# idle: thawed for more than a moment (lab-facts 2a)
			run_cycle "$method" 10 $(mounts)
			report_rt "$test" "$method" "$rep"
		done
	done
}

session_idle() {
	local n
	n=$(names | wc -l)
	for m in $(mounts); do sync -f "$m"; done
	start_qga || return 1
	idle_rounds "p3_$n"
	stop_qga
}

session_binds() {
	local m z rep method
	z=$(mounts | head -1)
	for m in $(mounts); do sync -f "$m"; done
	start_qga || return 1
	idle_rounds p3_1
	mkdir -p "$z/b"
	binds -m 5000 "$z" "$z/b" || { log "binds failed"; return 1; }
	log "mount table: $(wc -l </proc/self/mountinfo) entries"
	plantime live "$REPS" | sed 's/^/R test=p4_live method=ours /'
	plantime distro "$REPS" | sed 's/^/R test=p4_live method=distro-scan /'
	for ((rep = 1; rep <= REPS; rep++)); do
		for method in $(rotate "$rep" ours distro qga); do
			sleep 1
			if [ "$method" = qga ]; then
				run_cycle qga 10 ALL
			else
				run_cycle "$method" 10
			fi
			report_rt p4_binds "$method" "$rep"
		done
	done
	stop_qga
	binds -u 5000 "$z/b"
	log "after unbind: $(wc -l </proc/self/mountinfo) mounts"
}

case ${1:-} in
stall) session_stall ;;
idle) session_idle ;;
binds) session_binds ;;
*) echo "usage: inside.sh stall|idle|binds" >&2; exit 2 ;;
esac
