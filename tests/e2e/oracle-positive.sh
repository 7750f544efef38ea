#!/usr/bin/env bash
# oracle-positive: a copy taken while frozen passes the oracle.  ext4 (loop),
# xfs (zram), btrfs (loop) and a nested ext4 (loop image on the first ext4),
# each with a writer(1) and a churn(1); fsfreeze(8) every fs (nested before its
# backing fs), copy every device, thaw; twice.  Every copy must pass check-copy
# including the durability check against the freeze time, and every writer
# must have been blocked while frozen and resumed after the thaw.
set -euo pipefail
NAME=oracle-positive
. "$(dirname "$(readlink -f "$0")")/../sandbox/lib.sh"

ROUNDS=2
HOLD_MS=150

outside() {
	e2e_enter "$NAME" 180 ext4:loop:128M:ext4 xfs:zram:320M:xfs btrfs:loop:128M:btrfs \
	    ext4:nested:48M:nested
}

inside() {
	local name r fsend freply tsend out failed=0 churns=() order=() thaw=() tl=/tmp/timeline
	for name in $(fs_names); do
		start_writer "$name"
		mkdir -p "$(fs_field "$name" mnt)/churn"
		if [ "$(fs_field "$name" backing)" = nested ]; then
			churn -n 100 -b 8 "$(fs_field "$name" mnt)/churn" >/dev/null &
		else
			churn -n 400 -b 8 "$(fs_field "$name" mnt)/churn" >/dev/null &
		fi
		churns+=($!)
	done
	for name in $(fs_names); do wait_acks "$name" 20 20; done
	# Freeze nested filesystems before their backing fs, thaw them after it:
	# a nested fs's freeze or thaw writes through to the backing fs.
	mapfile -t order < <(fs_names nested; fs_names loop zram)
	mapfile -t thaw < <(fs_names loop zram; fs_names nested)
	for ((r = 1; r <= ROUNDS; r++)); do
		for name in $(fs_names); do wait_more_acks "$name" 10; done
		echo "$(monons) $r send op=FREEZE" >>"$tl"
		for name in "${order[@]}"; do fsfreeze -f "$(fs_field "$name" mnt)"; done
		echo "$(monons) $r reply op=FREEZE status=S_OK" >>"$tl"
		snapshot-copy "$r"
		sleep "$(awk -v ms="$HOLD_MS" 'BEGIN { print ms / 1000 }')"	# the hold
		echo "$(monons) $r send op=THAW" >>"$tl"
		for name in "${thaw[@]}"; do fsfreeze -u "$(fs_field "$name" mnt)"; done
		echo "$(monons) $r reply op=THAW status=S_OK" >>"$tl"
	done
	for name in $(fs_names); do wait_more_acks "$name" 10; done
	kill -TERM "${churns[@]}"; wait "${churns[@]}" || true
	stop_writers
	for ((r = 1; r <= ROUNDS; r++)); do
		fsend=$(tl_ns "$tl" "$r" send op=FREEZE)
		freply=$(tl_ns "$tl" "$r" reply op=FREEZE)
		tsend=$(tl_ns "$tl" "$r" send op=THAW)
		log "round $r: copy took $(awk '{ s = s " " $1 "=" $2 "ms" } END { print s }' "$SNAP_DIR/c$r.times")"
		for name in $(fs_names); do
			if out=$(writer_blocked "$ACK_DIR/$name" "$fsend" "$freply" "$tsend" "$HOLD_MS"); then
				log "round $r: writer $name: $out"
			else
				log "round $r: writer $name: $out"; failed=1
			fi
		done
		out=$(check_cycle_copies "$r" "$fsend") || failed=1
		printf '%s\n' "$out" | sed 's/^/# /'
		drop_cycle_copies "$r"
	done
	return $failed
}

case ${1:-} in
--inside) inside ;;
*) outside ;;
esac
