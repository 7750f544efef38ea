#!/usr/bin/env bash
# e2e-freebsd-transport: the backup cycle against the emulated FreeBSD device
# (hvvss-host -F freebsd -D /dev/hv_fsvss_dev), our daemon on the FreeBSD
# transport.  3 cycles over ext4 (loop) and xfs (zram) with writers; same
# checks as e2e-backup-ours.
set -euo pipefail
NAME=e2e-freebsd-transport
. "$(dirname "$(readlink -f "$0")")/../sandbox/lib.sh"

# TODO(daemon): the flag that selects the FreeBSD transport in our daemon.
# daemon/main.c currently parses "-F linux|freebsd"; change here if it moves.
DAEMON_FREEBSD_FLAG=(-F freebsd)
DEVICE=/dev/hv_fsvss_dev
CYCLES=${E2E_CYCLES:-3}
HOLD_MS=200

outside() {
	if [ "${HVVSS_E2E_HOST:-}" != fake ]; then
		[ -x "$E2E_TOP/build/hvvss-host" ] || e2e_skip "$NAME" "build/hvvss-host not built"
		[ -x "$E2E_TOP/build/hv_vss_daemon" ] || e2e_skip "$NAME" "build/hv_vss_daemon not built"
	fi
	e2e_enter "$NAME" 180 ext4:loop:64M:ext4l xfs:zram:320M:xfsz
}

inside() {
	local name all rc=0
	all=$(fs_names | tr '\n' ' ')
	for name in $all; do start_writer "$name"; done
	for name in $all; do wait_acks "$name" 20 20; done
	run_host "$CYCLES" "$HOLD_MS" -F freebsd -D "$DEVICE" -- \
	    /sb/build/hv_vss_daemon -n -d -D "$DEVICE" "${DAEMON_FREEBSD_FLAG[@]}" || rc=$?
	for name in $all; do wait_more_acks "$name" 10 || rc=1; done
	stop_writers
	verify_cycles "$CYCLES" "$HOLD_MS" "$all" "$all" || rc=1
	[ $rc = 0 ] || show_host_output
	return $rc
}

case ${1:-} in
--inside) inside ;;
*) outside ;;
esac
