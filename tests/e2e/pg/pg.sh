# pg.sh: PostgreSQL helpers of e2e-postgres, sourced inside the sandbox.
# shellcheck shell=bash disable=SC2034	# PGC_* are read by the caller

PG_BIN=${E2E_PG_BIN:?E2E_PG_BIN: the PostgreSQL bin directory}
PG_UID=1001			# the unprivileged "postgres" of the sandbox
PG_RUN=/tmp/pg			# acks, server logs, data directory copies (tmpfs)
PG_SOCK=/run/pg			# the live cluster's socket directory
PG_PORT=5432
PGC_SOCK=/run/pgc		# the copies'
PGC_PORT=5433

# pg_user_add: the postgres user and group in the sandbox's /etc (a tmpfs).
pg_user_add() {
	echo "postgres:x:$PG_UID:$PG_UID:PostgreSQL:$PG_RUN:/bin/sh" >>/etc/passwd
	echo "postgres:x:$PG_UID:" >>/etc/group
	mkdir -p "$PG_RUN" "$PG_SOCK" "$PGC_SOCK"
	chown postgres:postgres "$PG_RUN" "$PG_SOCK" "$PGC_SOCK"
}

as_pg() { setpriv --reuid="$PG_UID" --regid="$PG_UID" --init-groups -- "$@"; }

# pg_init DATADIR: initdb (peer authentication on the socket, no TCP).
pg_init() {
	local data=$1
	mkdir -p "$data"
	chown postgres:postgres "$data"
	chmod 0700 "$data"
	if ! as_pg env TZ=UTC "$PG_BIN/initdb" -D "$data" --no-locale -E UTF8 -U postgres \
	    --auth-local=peer --auth-host=reject >"$PG_RUN/initdb.log" 2>&1; then
		sed 's/^/#   /' "$PG_RUN/initdb.log"
		return 1
	fi
	cat >>"$data/postgresql.conf" <<-EOF
	# e2e-postgres
	listen_addresses = ''
	port = $PG_PORT
	unix_socket_directories = '$PG_SOCK'
	fsync = on
	synchronous_commit = on
	full_page_writes = on
	shared_buffers = 32MB
	max_wal_size = 96MB
	min_wal_size = 32MB
	checkpoint_timeout = 30min
	log_checkpoints = on
	jit = off
	timezone = 'UTC'
	log_timezone = 'UTC'
	EOF
}

# pg_start DATADIR LOG PORT SOCKDIR: start and wait until it accepts
# connections (crash recovery included).
pg_start() {
	as_pg "$PG_BIN/pg_ctl" -D "$1" -l "$2" -w -t 60 \
	    -o "-p $3 -k $4 -c listen_addresses=''" start >/dev/null 2>&1
}

pg_stop() {
	as_pg "$PG_BIN/pg_ctl" -D "$1" -w -t 30 -m fast stop >/dev/null 2>&1
}

# pg_sql PORT SOCKDIR SQL: one statement, unaligned tuples only.
pg_sql() {
	as_pg "$PG_BIN/psql" -X -q -A -t -v ON_ERROR_STOP=1 -h "$2" -p "$1" -d postgres -c "$3"
}

# lsn_num 0/15397E8: the LSN as a number of bytes.
lsn_num() { echo $(((0x${1%/*} << 32) + 0x${1#*/})); }

# acked_before ACKLOG NS: the highest SEQ acknowledged before NS (0: none).
# The load acks 1, 2, 3 ... in order, so the rows acked before NS are 1..K.
acked_before() {
	awk -v t="$2" '$2 < t { k = $1 } END { print k + 0 }' "$1"
}

# pg_check_copy LABEL IMAGE MOUNT-OPTS ACKLOG REF-NS [STRONG-NS]: the
# database check of one copy.  Copies the data directory out of the image
# (mounted with MOUNT-OPTS) to the tmpfs, drops postmaster.pid (the pid of
# the live server, which is gone on a restored machine), starts PostgreSQL
# on it (crash recovery), and requires: it starts; the acks table holds
# exactly the rows 1..M (a prefix: the load commits in order); every row
# acknowledged before REF-NS (and, if given, before STRONG-NS) is there.
# Sets PGC_MSG (one line), PGC_REDO (the copy's latest checkpoint's REDO
# location, before recovery), PGC_M; returns 0 ok, 1 flagged, 2 setup error.
pg_check_copy() {
	local label=$1 img=$2 opts=$3 acks=$4 ref=$5 strong=${6:-}
	local mnt=$PG_RUN/mnt dir=$PG_RUN/copy-$label log=$PG_RUN/copy-$label.log
	local t0 t1 out rows n lo hi k k2 redo state how
	PGC_MSG='' PGC_REDO='' PGC_M=''
	mkdir -p "$mnt"
	if ! out=$(mount -o "$opts" "$img" "$mnt" 2>&1); then
		PGC_MSG="mount -o $opts failed: $out"
		return 1
	fi
	cp -a "$mnt/data" "$dir"
	umount "$mnt"
	rm -f "$dir/postmaster.pid"
	out=$(as_pg "$PG_BIN/pg_controldata" "$dir" 2>&1) || {
		PGC_MSG="pg_controldata: $(head -1 <<<"$out")"
		rm -rf "$dir"
		return 1
	}
	PGC_REDO=$(sed -n "s/^Latest checkpoint's REDO location: *//p" <<<"$out")
	state=$(sed -n 's/^Database cluster state: *//p' <<<"$out")
	t0=$(monons)
	if ! pg_start "$dir" "$log" "$PGC_PORT" "$PGC_SOCK"; then
		PGC_MSG="PostgreSQL did not start on the copy (state \"$state\"): $(grep -m2 -E 'PANIC|FATAL' "$log" | tr '\n' ' ' | cut -c1-200)"
		pg_stop "$dir" 2>/dev/null
		rm -rf "$dir"
		return 1
	fi
	t1=$(monons)
	if ! rows=$(pg_sql "$PGC_PORT" "$PGC_SOCK" \
	    "SELECT count(*) || ' ' || coalesce(min(seq), 0) || ' ' || coalesce(max(seq), 0) FROM acks" 2>&1); then
		PGC_MSG="query failed on the copy: $rows"
		pg_stop "$dir"
		rm -rf "$dir"
		return 1
	fi
	pg_stop "$dir" || { PGC_MSG="copy server did not stop"; return 2; }
	read -r n lo hi <<<"$rows"
	PGC_M=$hi
	# How it recovered.
	if grep -q 'redo is not required' "$log"; then
		how="crash recovery, no redo needed"
	elif redo=$(sed -n 's/.*redo starts at \([0-9A-F]*\/[0-9A-F]*\).*/\1/p' "$log" | head -1) &&
	    [ -n "$redo" ]; then
		local done_at
		done_at=$(sed -n 's/.*redo done at \([0-9A-F]*\/[0-9A-F]*\).*/\1/p' "$log" | head -1)
		how="crash recovery, redo $redo..${done_at:-?} ($((($(lsn_num "${done_at:-$redo}") - $(lsn_num "$redo")) / 1024)) KiB)"
	elif grep -q 'database system was shut down at' "$log"; then
		how="clean start, no recovery"
	else
		how="started"
	fi
	# Up to "ready to accept connections" (the fast stop's "terminating
	# connection due to administrator command" comes later).
	out=$(sed '/database system is ready to accept connections/q' "$log")
	if ! grep -q 'database system is ready to accept connections' <<<"$out"; then
		PGC_MSG="server log of the copy lacks \"ready to accept connections\""
		rm -rf "$dir"
		return 1
	fi
	if grep -q -E 'PANIC|FATAL|WARNING' <<<"$out"; then
		PGC_MSG="startup of the copy logged: $(grep -m1 -E 'PANIC|FATAL|WARNING' <<<"$out" | cut -c1-160)"
		rm -rf "$dir"
		return 1
	fi
	rm -rf "$dir"
	k=$(acked_before "$acks" "$ref")
	PGC_MSG="started in $(((t1 - t0) / 1000000)) ms ($how); rows 1..$hi"
	if [ "$n" != "$hi" ] || { [ "$n" != 0 ] && [ "$lo" != 1 ]; }; then
		PGC_MSG="$PGC_MSG: NOT A PREFIX: $n rows, seq $lo..$hi"
		return 1
	fi
	if [ "$k" -gt "$hi" ]; then
		PGC_MSG="$PGC_MSG: LOST $((k - hi)) acknowledged commits (acked before ${PGC_REFNAME:-FREEZE send}: 1..$k)"
		return 1
	fi
	PGC_MSG="$PGC_MSG, acked before ${PGC_REFNAME:-FREEZE send} 1..$k: all present"
	if [ -n "$strong" ]; then
		k2=$(acked_before "$acks" "$strong")
		if [ "$k2" -gt "$hi" ]; then
			PGC_MSG="$PGC_MSG; but LOST $((k2 - hi)) commits acked before ${PGC_STRONGNAME:-THAW send} (1..$k2)"
			return 1
		fi
		PGC_MSG="$PGC_MSG, acked before ${PGC_STRONGNAME:-THAW send} 1..$k2: all present"
	fi
	return 0
}
