#!/usr/bin/env bash
# e2e-postgres: a real database, proven.  In the sandbox, PostgreSQL (the
# installed Debian postgresql, run as an unprivileged user) on a loop-backed
# ext4 under write load: one session committing rows 1, 2, 3 ... one at a
# time and logging each acknowledgement with its CLOCK_MONOTONIC time
# (tests/e2e/pg/load.sh), another updating a table in bulk.  Our daemon runs
# E2E_PG_CYCLES backup cycles under hvvss-host, with dist/hooks/postgresql
# installed as a root-owned native hook ([hooks] policy = fail): it
# CHECKPOINTs at prepare and at freeze.  The snapshot command copies the
# device while frozen.  For every copy:
#  - check-copy: the ext4 image is clean (e2fsck -fn, no needs_recovery);
#  - the data directory, copied out of the image to the tmpfs, starts as a
#    database (pg_ctl start on another port: crash recovery that succeeds,
#    no FATAL or PANIC);
#  - its acks table is exactly the rows 1..M, and every row whose commit was
#    acknowledged before the host's FREEZE send time is there (also every
#    one acknowledged before the THAW send time, which only a real freeze
#    gives);
#  - its latest checkpoint is the one the hook made at freeze (the copy's
#    REDO location is the redo_lsn the hook printed);
#  - the daemon logged event=hook phase=freeze hook=50-postgresql result=ok.
# The test can fail: the same check on a copy of the same device taken
# WITHOUT freezing (and without the hook) under the same load must be
# flagged, at the filesystem level (check-copy) or at the transaction level
# (after an ext4 journal replay on a scratch copy: PostgreSQL does not start,
# or an acknowledged commit is missing).
# Needs postgresql (Debian's, /usr/lib/postgresql/VERSION/bin); skipped
# without it.  The sandbox gets its binaries with -b and its share, lib and
# timezone directories with -d.
set -euo pipefail
NAME=e2e-postgres
# shellcheck source=tests/sandbox/lib.sh
. "$(dirname "$(readlink -f "$0")")/../sandbox/lib.sh"

CYCLES=${E2E_PG_CYCLES:-10}
NOHOOK_CYCLES=${E2E_PG_NOHOOK_CYCLES:-5}
HOLD_MS=200
FS_SIZE=256M
HOOK_NAME=50-postgresql

outside() {
	local bin ver rc=0 b args=()
	if [ "$(id -u)" != 0 ]; then e2e_skip "$NAME" "not root"; fi
	[ -x "$E2E_TOP/build/hvvss-host" ] || e2e_skip "$NAME" "build/hvvss-host not built"
	[ -x "$E2E_TOP/build/hv_vss_daemon" ] || e2e_skip "$NAME" "build/hv_vss_daemon not built"
	bin=''
	for b in /usr/lib/postgresql/*/bin; do
		[ -x "$b/postgres" ] || continue
		ver=${b%/bin}; ver=${ver##*/}
		[[ $ver =~ ^[0-9]+$ ]] || continue
		if [ -z "$bin" ] || [ "$ver" -gt "${bin_ver:-0}" ]; then bin=$b bin_ver=$ver; fi
	done
	[ -n "$bin" ] || e2e_skip "$NAME" "postgresql not installed (/usr/lib/postgresql/*/bin/postgres)"
	ver=$bin_ver
	for b in postgres initdb pg_ctl psql pg_controldata; do
		[ -x "$bin/$b" ] || e2e_skip "$NAME" "$bin/$b missing"
		args+=(-b "$bin/$b")
	done
	for b in "/usr/share/postgresql/$ver" "/usr/lib/postgresql/$ver/lib" /usr/share/zoneinfo; do
		[ -d "$b" ] || e2e_skip "$NAME" "$b missing"
		args+=(-d "$b")
	done
	# The hook is POSIX sh: run it with dash, Debian's /bin/sh, if there
	# (the sandbox's sh is bash).
	if [ -x /usr/bin/dash ]; then args+=(-b /usr/bin/dash); fi
	E2E_PG_BIN=$bin E2E_PG_HOOK=/sb/dist/hooks/postgresql \
	    "$E2E_TOP/tests/sandbox/sandbox" -t 170 -f "ext4:loop:$FS_SIZE:pg" "${args[@]}" -- \
	    "/sb/tests/e2e/$NAME.sh" --inside || rc=$?
	e2e_verdict "$NAME" "$rc"
}

# ---------------------------------------------------------------- inside ---

LOAD_PID='' BULK_PID='' DATA='' ACKS=''
TL=/tmp/timeline HOST_LOG=/tmp/host.out

stop_load() {
	local p
	for p in $LOAD_PID $BULK_PID; do kill -TERM "$p" 2>/dev/null || true; done
	for p in $LOAD_PID $BULK_PID; do wait "$p" 2>/dev/null || true; done
	LOAD_PID='' BULK_PID=''
}

cleanup_inside() {
	stop_load
	[ -z "$DATA" ] || pg_stop "$DATA" 2>/dev/null || true
}

acks_n() { [ -s "$ACKS" ] && wc -l <"$ACKS" || echo 0; }

# wait_acks N SECONDS
wait_acks() {
	local deadline=$((SECONDS + $2))
	while [ "$(acks_n)" -lt "$1" ]; do
		if [ $SECONDS -ge $deadline ] || ! kill -0 "$LOAD_PID" 2>/dev/null; then
			log "load: only $(acks_n) commits acknowledged after $2 s"
			return 1
		fi
		sleep 0.02
	done
}

# daemon_log: everything the daemon logged (stderr via the host, syslog).
daemon_log() { cat "$HOST_LOG" "$SB_SYSLOG" 2>/dev/null || true; }

inside() {
	local mnt dev c rc=0 cfail fsend freply tsend inwin out hook_redo=() n t0 t1 phase
	# shellcheck source=tests/e2e/pg/pg.sh
	. /sb/tests/e2e/pg/pg.sh
	ACKS=$PG_RUN/acks
	# The sandbox root comes up 0700 (copied from a mktemp -d template):
	# the unprivileged server could not reach anything.
	chmod 0755 /
	mnt=$(fs_field pg mnt) dev=$(fs_field pg dev)
	DATA=$mnt/data
	trap cleanup_inside EXIT

	# The cluster.
	t0=$(monons)
	pg_user_add
	pg_init "$DATA" || { log "FAIL: initdb"; return 1; }
	if ! pg_start "$DATA" "$PG_RUN/server.log" "$PG_PORT" "$PG_SOCK"; then
		log "FAIL: PostgreSQL did not start"; sed 's/^/#   /' "$PG_RUN/server.log"; return 1
	fi
	pg_sql "$PG_PORT" "$PG_SOCK" "CREATE TABLE acks (seq bigint PRIMARY KEY, pad text);
	    CREATE TABLE bulk (id int PRIMARY KEY, n bigint NOT NULL DEFAULT 0, pad text);
	    INSERT INTO bulk (id, pad) SELECT g, md5(g::text) FROM generate_series(1, 5000) g;" >/dev/null
	log "PostgreSQL $(pg_sql "$PG_PORT" "$PG_SOCK" 'SHOW server_version') on $dev ($FS_SIZE ext4)" \
	    "at $DATA, as uid $PG_UID, ready in $((($(monons) - t0) / 1000000)) ms"

	# The hook, as an administrator would install it, and its config.
	mkdir -p /etc/hvvss/hooks.d
	install -o 0 -g 0 -m 0755 "${E2E_PG_HOOK:?}" "/etc/hvvss/hooks.d/$HOOK_NAME"
	if [ -x /usr/bin/dash ]; then
		sed -i '1s|^#!/bin/sh$|#!/usr/bin/dash|' "/etc/hvvss/hooks.d/$HOOK_NAME"
	fi
	log "hook: $E2E_PG_HOOK as /etc/hvvss/hooks.d/$HOOK_NAME ($(head -1 "/etc/hvvss/hooks.d/$HOOK_NAME"))"
	printf 'HVVSS_PG_DATA=%s\nHVVSS_PG_BINDIR=%s\nHVVSS_PG_TIMEOUT=10\n' "$DATA" "$PG_BIN" \
	    >/etc/hvvss/postgresql.conf
	cat >/etc/hvvss-pg.conf <<-EOF
	[hooks]
	dir = /etc/hvvss/hooks.d
	policy = fail
	timeout = 20
	EOF

	# The load.
	: >"$ACKS"
	chown postgres:postgres "$ACKS"
	# setpriv execs the script: $! is the load itself, for stop_load.
	setpriv --reuid="$PG_UID" --regid="$PG_UID" --init-groups -- \
	    /sb/tests/e2e/pg/load.sh commit "$PG_BIN/psql" "$PG_SOCK" "$PG_PORT" "$ACKS" &
	LOAD_PID=$!
	setpriv --reuid="$PG_UID" --regid="$PG_UID" --init-groups -- \
	    /sb/tests/e2e/pg/load.sh bulk "$PG_BIN/psql" "$PG_SOCK" "$PG_PORT" &
	BULK_PID=$!
	wait_acks 200 20 || return 1
	t0=$(monons)
	n=$(acks_n)
	sleep 0.5
	log "load: $((($(acks_n) - n) * 1000000000 / ($(monons) - t0))) commits/s, plus bulk updates"

	# The backup cycles: hvvss-host's "backup" scenario, plus a pause after
	# each cycle.  Without it the host's SIGTERM to the daemon's process
	# group right after the last BU_COMPLETE can hit the last thaw hook
	# between its fork and its setpgid: it then dies of that SIGTERM
	# (result=signaled) before it runs.
	cat >/tmp/pg-backup.scenario <<-EOF
	negotiate fw=1.0,3.0 vss=4.0,5.0 expect ok
	cycle
	send HOT_BACKUP reply-flags-linux=0 reply-flags-freebsd=5
	send GET_DM_INFO reply-flags=0
	send FREEZE luns=1
	snapshot
	send THAW
	send BU_COMPLETE expect-freebsd none
	sleep 300ms
	end
	EOF
	: >"$TL"
	t0=$(monons)
	/sb/build/hvvss-host -n "$CYCLES" -f /tmp/pg-backup.scenario -c /sb/tests/sandbox/snapshot-copy \
	    -H "$HOLD_MS" -T "$TL" -- /sb/build/hv_vss_daemon -n -d -f /etc/hvvss-pg.conf >"$HOST_LOG" 2>&1 || rc=$?
	t1=$(monons)
	n=0
	for ((c = 1; c <= CYCLES; c++)); do
		[ -z "$(tl_ns "$TL" "$c" cycle-end result=ok)" ] || n=$((n + 1))
	done
	log "host: $CYCLES cycles in $(((t1 - t0) / 1000000)) ms, rc $rc, $n ok"

	# The same backups without the hook, under the same load: how much WAL
	# a frozen copy replays at start-up with and without the CHECKPOINT.
	printf '[hooks]\ndir = none\n' >/etc/hvvss-pg-nohook.conf
	SNAP_DIR=/tmp/copies-nohook /sb/build/hvvss-host -n "$NOHOOK_CYCLES" \
	    -f /tmp/pg-backup.scenario -c /sb/tests/sandbox/snapshot-copy \
	    -H "$HOLD_MS" -T "$TL.nohook" -- /sb/build/hv_vss_daemon -n \
	    -f /etc/hvvss-pg-nohook.conf >"$HOST_LOG.nohook" 2>&1 ||
	    { log "FAIL: the backups without the hook failed"; rc=1; }

	# The negative: the same device copied without freezing (no daemon,
	# no hook) under the same load.
	wait_acks $(($(acks_n) + 100)) 20 || rc=1
	local neg_ref neg_end neg_img=/tmp/copies/nofreeze-pg.img
	neg_ref=$(monons)
	dd if="$dev" of="$neg_img" bs=1M iflag=direct conv=sparse status=none
	neg_end=$(monons)
	wait_acks $(($(acks_n) + 20)) 20 || rc=1
	stop_load
	pg_stop "$DATA" || { log "FAIL: the live server did not stop"; rc=1; }
	log "load: $(acks_n) commits acknowledged in all"
	grep -E 'ERROR|FATAL|PANIC' "$PG_RUN/server.log" | head -5 | sed 's/^/# live server: /' || true

	if [ $rc != 0 ]; then
		log "---- host and daemon output (last 40 lines)"
		tail -40 "$HOST_LOG" | sed 's/^/#   /'
	fi

	# The hook: every phase ok, and the redo LSN of each freeze CHECKPOINT.
	out=$(daemon_log)
	for phase in prepare freeze thaw; do
		n=$(grep -c "event=hook phase=$phase hook=$HOOK_NAME source=native result=ok" <<<"$out" || true)
		if [ "$n" != "$CYCLES" ]; then
			log "FAIL: hook $HOOK_NAME phase $phase ok in $n of $CYCLES cycles"
			rc=1
		fi
	done
	if grep -q "event=hook phase=.* hook=$HOOK_NAME .*result=" <<<"$out" &&
	    grep "event=hook phase=.* hook=$HOOK_NAME" <<<"$out" | grep -v -q 'result=ok'; then
		log "FAIL: a hook phase did not succeed:"
		grep "event=hook phase=.* hook=$HOOK_NAME" <<<"$out" | grep -v 'result=ok' | head -3 | sed 's/^/#   /'
		log "---- the end of the run (daemon log, timeline):"
		grep -E 'event=(signal|hook|hook-phase|apps|thaw|exit)' "$HOST_LOG" | tail -12 | sed 's/^/#   /'
		tail -6 "$TL" | sed 's/^/#   /'
		rc=1
	fi
	log "daemon: $(grep -m1 "event=hook phase=freeze hook=$HOOK_NAME" <<<"$out" | sed 's/^.*\(event=hook \)/\1/')"
	log "hook:   $(grep -m1 "event=hook-output hook=$HOOK_NAME line=.*freeze: CHECKPOINT" <<<"$out" |
	    sed 's/^.*line=//')"
	local wal_hook=()
	mapfile -t hook_redo < <(grep "event=hook-output hook=$HOOK_NAME line=.*freeze: CHECKPOINT done" <<<"$out" |
	    sed -n 's/.*redo_lsn \([0-9A-F]*\/[0-9A-F]*\).*/\1/p')
	n=$(grep -c 'checkpoint starting: immediate force wait' "$PG_RUN/server.log" || true)
	log "live server: $n CHECKPOINTs requested (2 per cycle: prepare, freeze)," \
	    "$(grep -c 'checkpoint starting: wal' "$PG_RUN/server.log" || true) by WAL volume"

	# Every copy.
	for ((c = 1; c <= CYCLES; c++)); do
		cfail=0
		fsend=$(tl_ns "$TL" "$c" send op=FREEZE)
		freply=$(tl_ns "$TL" "$c" reply op=FREEZE status=S_OK)
		tsend=$(tl_ns "$TL" "$c" send op=THAW)
		if [ -z "$fsend" ] || [ -z "$freply" ] || [ -z "$tsend" ] ||
		    [ -z "$(tl_ns "$TL" "$c" snapshot-end rc=0)" ] ||
		    [ -z "$(tl_ns "$TL" "$c" cycle-end result=ok)" ]; then
			log "cycle $c: FAIL: no FREEZE S_OK, successful snapshot and ok cycle-end in the timeline"
			rc=1
			continue
		fi
		# Commits acknowledged inside the frozen window: at most the one
		# whose WAL was on disk before the freeze.
		inwin=$(awk -v a="$freply" -v b="$tsend" '$2 > a && $2 < b { n++ } END { print n + 0 }' "$ACKS")
		if [ "$inwin" -gt 1 ]; then
			log "cycle $c: FAIL: $inwin commits acknowledged while frozen: the load was not blocked"
			cfail=1
		fi
		out=$(check-copy -n "c$c-pg" ext4 "/tmp/copies/c$c-pg.img" 2>&1) || cfail=1
		log "cycle $c: $out"
		PGC_REFNAME="FREEZE send"	# for pg_check_copy's message
		pg_check_copy "c$c" "/tmp/copies/c$c-pg.img" loop,ro,noload "$ACKS" "$fsend" "$tsend" || cfail=1
		log "cycle $c: database: $PGC_MSG"
		wal_hook+=("$(sed -n 's/.*(\([0-9]*\) KiB)).*/\1/p' <<<"$PGC_MSG")")
		if [ -n "$PGC_REDO" ] && [ "${hook_redo[c - 1]:-}" = "$PGC_REDO" ]; then
			log "cycle $c: the copy's latest checkpoint is the hook's (REDO $PGC_REDO)"
		else
			log "cycle $c: FAIL: the copy's latest checkpoint REDO ${PGC_REDO:-?} is not the hook's ${hook_redo[c - 1]:-?}"
			cfail=1
		fi
		rm -f "/tmp/copies/c$c-pg.img"
		log "cycle $c: frozen window $(((tsend - freply) / 1000000)) ms," \
		    "FREEZE send->reply $(((freply - fsend) / 1000000)) ms, $inwin commit(s) acked inside," \
		    "$([ $cfail = 0 ] && echo ok || echo FAILED)"
		[ $cfail = 0 ] || rc=1
	done

	# The copies taken without the hook: consistent too, more WAL to replay.
	local wal_nohook=()
	for ((c = 1; c <= NOHOOK_CYCLES; c++)); do
		fsend=$(tl_ns "$TL.nohook" "$c" send op=FREEZE)
		tsend=$(tl_ns "$TL.nohook" "$c" send op=THAW)
		PGC_REFNAME="FREEZE send"
		if [ -z "$fsend" ] || ! pg_check_copy "n$c" "/tmp/copies-nohook/c$c-pg.img" \
		    loop,ro,noload "$ACKS" "$fsend" "$tsend"; then
			log "no hook, cycle $c: FAIL: ${PGC_MSG:-no FREEZE in the timeline}"
			rc=1
			continue
		fi
		wal_nohook+=("$(sed -n 's/.*(\([0-9]*\) KiB)).*/\1/p' <<<"$PGC_MSG")")
		rm -f "/tmp/copies-nohook/c$c-pg.img"
	done
	log "WAL replayed at start-up of the frozen copies (KiB, per cycle):" \
	    "with the hook: ${wal_hook[*]:-none}; without: ${wal_nohook[*]:-none}"

	# The negative must be flagged.
	local flagged=''
	if out=$(check-copy -n nofreeze-pg ext4 "$neg_img" 2>&1); then
		log "unfrozen copy: filesystem: $out"
	else
		log "unfrozen copy: filesystem: $out"
		flagged="filesystem (check-copy)"
	fi
	# The database check, as for the frozen copies (the image as it is),
	# then after an ext4 journal replay (on a scratch copy: rw mount).
	PGC_REFNAME="the copy's start" PGC_STRONGNAME="the copy's end"
	cp --sparse=always "$neg_img" /tmp/copies/nofreeze-replay.img
	if pg_check_copy nofreeze "$neg_img" loop,ro,noload "$ACKS" "$neg_ref" "$neg_end"; then
		log "unfrozen copy: database (image as it is, ro,noload): $PGC_MSG"
	else
		log "unfrozen copy: database (image as it is, ro,noload): $PGC_MSG"
		flagged="${flagged:+$flagged; }transaction (image as it is)"
	fi
	rm -f "$neg_img"
	if pg_check_copy nofreeze-replay /tmp/copies/nofreeze-replay.img loop "$ACKS" "$neg_ref" "$neg_end"; then
		log "unfrozen copy: database (after the ext4 journal replay): $PGC_MSG"
	else
		log "unfrozen copy: database (after the ext4 journal replay): $PGC_MSG"
		flagged="${flagged:+$flagged; }transaction (after journal replay)"
	fi
	rm -f /tmp/copies/nofreeze-replay.img
	if [ -n "$flagged" ]; then
		log "unfrozen copy ($(((neg_end - neg_ref) / 1000000)) ms to copy) flagged: $flagged: the checks can fail"
	else
		log "FAIL: the unfrozen copy passed every check: the test cannot tell"
		rc=1
	fi

	# A hook that cannot reach its server says so and, under policy = fail,
	# fails the backup (at the host's check: nothing gets frozen).
	printf 'HVVSS_PG_HOST=%s\nHVVSS_PG_PORT=5499\nHVVSS_PG_BINDIR=%s\n' "$PG_SOCK" "$PG_BIN" \
	    >/etc/hvvss/postgresql.conf
	n=0
	/sb/build/hvvss-host -n 1 -c /sb/tests/sandbox/snapshot-copy -H 0 -T "$TL.fail" \
	    -- /sb/build/hv_vss_daemon -n -d -f /etc/hvvss-pg.conf >"$HOST_LOG.fail" 2>&1 || n=$?
	out=$(grep "hook=$HOOK_NAME" "$HOST_LOG.fail" || true)
	if [ "$n" != 0 ] && [ -z "$(tl_ns "$TL.fail" 1 cycle-end result=ok)" ] &&
	    grep -q "event=hook phase=prepare hook=$HOOK_NAME source=native result=exit exit=1" <<<"$out" &&
	    grep -q "event=hook-output hook=$HOOK_NAME line=.*cannot query $PG_SOCK:5499" <<<"$out"; then
		log "no server: the backup failed (host rc $n): $(grep -m1 'event=hook-output' <<<"$out" |
		    sed 's/^.*line=//' | cut -c1-150)"
	else
		log "FAIL: a hook that cannot reach its server did not fail the backup (host rc $n)"
		head -5 <<<"$out" | sed 's/^/#   /'
		rc=1
	fi
	rm -f /tmp/copies/c1-pg.img
	return $rc
}

case ${1:-} in
--inside) inside ;;
*) outside ;;
esac
