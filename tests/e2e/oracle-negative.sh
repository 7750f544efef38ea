#!/usr/bin/env bash
# oracle-negative: the consistency oracle must be able to fail.  For each fs
# type, copy the device WITHOUT freezing while two churn(1) processes
# create/overwrite/append/rename/unlink with fsync, and require check-copy to
# call the copy TORN.  Fresh filesystem per attempt; up to 3 attempts per type
# (a lucky untorn copy is possible in principle, lab-facts 3 saw 9/9 and 3/3).
set -euo pipefail
NAME=oracle-negative
. "$(dirname "$(readlink -f "$0")")/../sandbox/lib.sh"

ATTEMPTS=3
# Many small files: enough log traffic that XFS writes metadata back in place
# during the copy (with few big files, nothing but the log changes and the
# unfrozen copy is accidentally consistent).
CHURN_OPTS=(-n 4000 -b 8)

outside() {
	local specs=() t i
	for t in ext4:96M xfs:320M btrfs:128M; do
		for ((i = 1; i <= ATTEMPTS; i++)); do
			specs+=("${t%%:*}:loop:${t#*:}:${t%%:*}$i")
		done
	done
	e2e_enter "$NAME" 240 "${specs[@]}"
}

# attempt NAME: churn, copy while churning, stop, check; 0 if TORN.
attempt() {
	local name=$1 mnt dev type c1 c2 out rc=0
	mnt=$(fs_field "$name" mnt) dev=$(fs_field "$name" dev) type=$(fs_field "$name" type)
	churn "${CHURN_OPTS[@]}" -s 1 "$mnt" >/dev/null & c1=$!
	churn "${CHURN_OPTS[@]}" -s 2 "$mnt" >/dev/null & c2=$!
	# Let the churn build up state (a duration, not a synchronisation).
	if [ "$type" = xfs ]; then sleep 2.5; else sleep 1; fi
	dd if="$dev" of="/tmp/$name.img" bs=1M iflag=direct conv=sparse status=none
	kill -TERM "$c1" "$c2"
	wait "$c1" "$c2" || true
	out=$(check-copy -n "$name-nofreeze" "$type" "/tmp/$name.img") || rc=$?
	rm -f "/tmp/$name.img"
	log "$out"
	[ $rc = 1 ]
}

inside() {
	local t i failed=0 ok
	for t in ext4 xfs btrfs; do
		ok=0
		for ((i = 1; i <= ATTEMPTS; i++)); do
			if attempt "$t$i"; then ok=1; break; fi
		done
		if [ $ok = 1 ]; then
			log "$t: unfrozen copy flagged TORN (attempt $i)"
		else
			log "$t: FAIL: $ATTEMPTS unfrozen copies all passed the oracle"
			failed=1
		fi
	done
	return $failed
}

case ${1:-} in
--inside) inside ;;
*) outside ;;
esac
