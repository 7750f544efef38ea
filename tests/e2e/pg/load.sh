#!/usr/bin/env bash
# load.sh commit|bulk PSQL SOCKDIR PORT [ACKLOG]: the write load of
# e2e-postgres, each mode one psql session in autocommit mode.
#  commit  INSERTs row SEQ = 1, 2, 3 ... into acks, one at a time (the next
#          is sent only once the previous one's commit was acknowledged),
#          and appends "SEQ NS" to ACKLOG after each acknowledgement, NS
#          being CLOCK_MONOTONIC (monons) read after psql printed the row
#          back: an upper bound of the commit's acknowledgement time.  So
#          the rows committed at any instant are exactly 1..K for some K.
#  bulk    UPDATEs a tenth of the 5000-row table bulk every 50 ms without
#          waiting for the result: dirty buffers for the CHECKPOINT and WAL
#          traffic besides the commits.
# Runs until SIGTERM (exit 0) or an error (exit 1, message on stderr).
set -u
mode=$1 psql=$2 host=$3 port=$4 acks=${5:-}

trap 'exit 0' TERM INT
args=(-X -q -A -t -v ON_ERROR_STOP=1 -h "$host" -p "$port" -d postgres)

if [ "$mode" = bulk ]; then
	coproc PSQL { exec "$psql" "${args[@]}" >/dev/null 2>&1; }
	in=${PSQL[1]}
	while :; do
		printf 'UPDATE bulk SET n = n + 1, pad = md5(random()::text) WHERE id %% 10 = %d;\n' \
		    $((RANDOM % 10)) >&"$in" || { echo "load: bulk psql gone" >&2; exit 1; }
		sleep 0.05
	done
fi

coproc PSQL { exec "$psql" "${args[@]}" 2>&1; }
in=${PSQL[1]} out=${PSQL[0]}
seq=0
while :; do
	seq=$((seq + 1))
	printf 'INSERT INTO acks (seq, pad) VALUES (%d, repeat(md5(%d::text), 4)) RETURNING seq;\n' \
	    "$seq" "$seq" >&"$in" || { echo "load: psql gone at seq $seq" >&2; exit 1; }
	if ! IFS= read -r line <&"$out"; then
		echo "load: psql gone at seq $seq" >&2
		exit 1
	fi
	if [ "$line" != "$seq" ]; then
		echo "load: seq $seq: $line" >&2
		exit 1
	fi
	echo "$seq $(monons)" >>"$acks"
done
