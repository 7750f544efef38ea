#!/usr/bin/env bash
# e2e-backup-distro: Debian's unmodified /usr/sbin/hv_vss_daemon -n against the
# same emulated Linux device, 20 cycles.  It skips loop-backed filesystems by
# design, so only the zram-backed ones are frozen and copied: their writers
# must block while frozen and resume, their copies must pass check-copy; the
# writer on the loop-backed fs must never block (the daemon did not freeze it).
set -euo pipefail
NAME=e2e-backup-distro
. "$(dirname "$(readlink -f "$0")")/../sandbox/lib.sh"

CYCLES=${E2E_CYCLES:-20}
HOLD_MS=200
DAEMON=(/usr/sbin/hv_vss_daemon -n)

outside() {
	[ -x /usr/sbin/hv_vss_daemon ] || e2e_skip "$NAME" "hyperv-daemons not installed"
	if [ "${HVVSS_E2E_HOST:-}" != fake ]; then
		[ -x "$E2E_TOP/build/hvvss-host" ] || e2e_skip "$NAME" "build/hvvss-host not built"
	fi
	e2e_enter "$NAME" 300 ext4:zram:64M:ext4z xfs:zram:320M:xfsz ext4:loop:64M:ext4l
}

inside() {
	local name zram loop rc=0
	zram=$(fs_names zram | tr '\n' ' ')
	loop=$(fs_names loop | tr '\n' ' ')
	for name in $zram $loop; do start_writer "$name"; done
	for name in $zram $loop; do wait_acks "$name" 20 20; done
	if [ "${HVVSS_E2E_HOST:-}" = fake ]; then
		# The stand-in freezes everything in the manifest: show it only the
		# zram filesystems, as the distro daemon would pick them.
		grep -v ' loop$' "$SB_MANIFEST" >/tmp/manifest.zram
		SB_MANIFEST=/tmp/manifest.zram run_host "$CYCLES" "$HOLD_MS" || rc=$?
	else
		SNAP_BACKINGS=zram run_host "$CYCLES" "$HOLD_MS" -- "${DAEMON[@]}" || rc=$?
	fi
	for name in $zram $loop; do wait_more_acks "$name" 10 || rc=1; done
	stop_writers
	verify_cycles "$CYCLES" "$HOLD_MS" "$zram" "$zram" "$loop" || rc=1
	if [ -s "$SB_SYSLOG" ]; then
		log "daemon syslog: $(grep -c 'op=FREEZE: succeeded' "$SB_SYSLOG" || true) FREEZE succeeded," \
		    "$(grep -c 'op=THAW: succeeded' "$SB_SYSLOG" || true) THAW succeeded"
	fi
	[ $rc = 0 ] || show_host_output
	return $rc
}

case ${1:-} in
--inside) inside ;;
*) outside ;;
esac
