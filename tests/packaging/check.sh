#!/usr/bin/env bash
# tests/packaging/check.sh: check the manual pages, the service files and
# the Debian packaging, and build the .deb (in a copy of the tree; nothing
# is installed on this machine and the daemon is never run).
#
#   tests/packaging/check.sh [--no-build] [--nocheck] [--keep]
#
#   --no-build   skip dpkg-buildpackage and the checks of the .deb
#   --nocheck    build with DEB_BUILD_OPTIONS=nocheck and the nocheck
#                profile (the package build then skips `make unit`)
#   --keep       keep the work directory and print its name
#
# Needs root only to apt-get what is missing (build-essential, debhelper,
# the build dependencies).  Ends with one line:
#   packaging: N passed, N failed

# ok() always succeeds, so "test && ok ... || bad ..." is an if-then-else.
# shellcheck disable=SC2015
set -u

top=$(cd "$(dirname "$0")/../.." && pwd)
cd "$top" || exit 2

build=1 nocheck=0 keep=0
for a in "$@"; do
	case $a in
	--no-build) build=0 ;;
	--nocheck) nocheck=1 ;;
	--keep) keep=1 ;;
	*) echo "usage: $0 [--no-build] [--nocheck] [--keep]" >&2; exit 2 ;;
	esac
done

pass=0 fail=0 nskip=0
ok()   { pass=$((pass + 1)); printf 'ok   %s\n' "$*"; }
bad()  { fail=$((fail + 1)); printf 'FAIL %s\n' "$*"; }
skip() { nskip=$((nskip + 1)); printf 'skip %s\n' "$*"; }
# Indent a command's output under the result line.
show() { sed 's/^/     | /'; }

work=$(mktemp -d /tmp/hvvss-packaging.XXXXXX)
if [ $keep -eq 0 ]; then
	trap 'rm -rf "$work"' EXIT
else
	echo "work directory: $work"
fi

UNIT=dist/systemd/hvvss.service
RULES=dist/udev/60-hvvss.rules
CONF=dist/hvvss.conf
RCD=dist/freebsd/rc.d/hv_vss_daemon
DEVD=dist/freebsd/hvvss.devd.conf

# ---------------------------------------------------------------- man pages
# The bar: anything at WARNING level or above fails (mandoc exit status
# 2 or more with -W warning).  STYLE messages are shown, not counted,
# except that references to this project's own pages are checked below
# against man/ (mandoc looks them up in the installed manual database).
if command -v mandoc >/dev/null 2>&1; then
	for m in man/*.[1-9]; do
		[ -f "$m" ] || continue
		out=$(mandoc -T lint -W warning "$m" 2>&1); rc=$?
		if [ $rc -lt 2 ]; then
			ok "mandoc -T lint -W warning $m"
		else
			bad "mandoc -T lint -W warning $m"
			printf '%s\n' "$out" | show
		fi
		mandoc -T lint -W style "$m" 2>&1 |
		    grep -v 'outdated mandoc.db' | grep 'STYLE' | show
	done
	# Cross-references to the project's own pages must resolve in man/.
	missing=""
	for m in man/*.[1-9]; do
		[ -f "$m" ] || continue
		while read -r name sec; do
			case $name in hv_vss_daemon|hvvss*) ;; *) continue ;; esac
			ref="${m#man/}:$name($sec)"
			[ -f "man/$name.$sec" ] || case " $missing " in
			    *" $ref "*) ;; *) missing="$missing $ref" ;; esac
		done < <(sed -n 's/^\.Xr \([^ ]*\) \([1-9]\).*/\1 \2/p' "$m")
	done
	if [ -z "$missing" ]; then
		ok "cross-references to hvvss pages resolve in man/"
	else
		bad "cross-references to hvvss pages missing from man/:$missing"
	fi
else
	skip "mandoc: not installed (apt-get install mandoc)"
fi

# --------------------------------------------------------------- the unit
if [ -f "$UNIT" ]; then
	# The contract of the unit (see the task and the unit's comments).
	want=(
	    '^Type=notify$'
	    '^NotifyAccess=main$'
	    '^ExecStart=/usr/sbin/hv_vss_daemon -n$'
	    '^BindsTo=dev-vmbus-hv_vss\.device$'
	    '^After=dev-vmbus-hv_vss\.device$'
	    '^ConditionPathExists=/dev/vmbus/hv_vss$'
	    '^IgnoreOnIsolate=yes$'
	    '^Restart=on-failure$'
	    '^RuntimeDirectory=hvvss$'
	    '^RuntimeDirectoryPreserve=yes$'
	    '^KillMode=mixed$'
	    '^TimeoutStopSec='
	    '^CapabilityBoundingSet=.*CAP_SYS_ADMIN'
	    '^SystemCallArchitectures=native$'
	)
	miss=""
	for re in "${want[@]}"; do
		grep -Eq "$re" "$UNIT" || miss="$miss $re"
	done
	[ -z "$miss" ] && ok "unit: required settings present" ||
	    bad "unit: missing:$miss"
	# The daemon must run in the host's mount namespace.
	nsopts='^(ProtectSystem|ProtectHome|PrivateTmp|PrivateDevices|PrivateMounts|ProtectKernelTunables|ProtectKernelModules|ProtectKernelLogs|ProtectControlGroups|ProtectProc|ProcSubset|ProtectHostname|ProtectClock|ReadWritePaths|ReadOnlyPaths|InaccessiblePaths|ExecPaths|NoExecPaths|TemporaryFileSystem|BindPaths|BindReadOnlyPaths|RootDirectory|RootImage|MountAPIVFS|PrivateNetwork|PrivateIPC|PrivateUsers|NetworkNamespacePath|DynamicUser|DeviceAllow|DevicePolicy|JoinsNamespaceOf)='
	if grep -Eq "$nsopts" "$UNIT"; then
		bad "unit: an option that creates a namespace or a device allow-list:"
		grep -En "$nsopts" "$UNIT" | show
	else
		ok "unit: no namespace-creating option (host mount table, journal mount IDs)"
	fi
	grep -q '^\[Install\]' "$UNIT" &&
	    bad "unit: has an [Install] section (activation is by udev only)" ||
	    ok "unit: static, udev-activated (no [Install])"
	# The inline ExecStop script: unescape $$, join continuations, sh -n.
	stop=$(sed -n '/^ExecStop=/,/[^\\]$/p' "$UNIT" | sed 's/\\$//' |
	    tr '\n' ' ' | sed "s/^ExecStop=\/bin\/sh -c '//; s/' *\$//; s/\\\$\\\$/\$/g")
	if [ -n "$stop" ] && printf '%s\n' "$stop" | sh -n 2>/dev/null &&
	    { ! command -v dash >/dev/null || printf '%s\n' "$stop" | dash -n; }; then
		# And it returns at once when the main process is alive.
		if MAINPID=1 timeout 5 sh -c "$stop"; then
			ok "unit: ExecStop script parses (sh -n) and is a no-op with \$MAINPID set"
		else
			bad "unit: ExecStop script does not exit 0 with \$MAINPID set"
		fi
	else
		bad "unit: ExecStop script does not parse"
		printf '%s\n' "$stop" | show
	fi
	if command -v systemd-analyze >/dev/null 2>&1; then
		# verify works offline (no systemd as PID 1 needed).  It checks
		# that ExecStart= exists: use this machine's hv_vss_daemon if
		# there is one, else check a copy pointing at a stand-in.
		vu=$UNIT
		if [ ! -x /usr/sbin/hv_vss_daemon ]; then
			mkdir -p "$work/verify"
			vu=$work/verify/hvvss.service
			sed "s|^ExecStart=/usr/sbin/hv_vss_daemon|ExecStart=/bin/true|" \
			    "$UNIT" >"$vu"
		fi
		out=$(systemd-analyze verify --man=no "$vu" 2>&1); rc=$?
		# Any message at all is a failure: unknown keys are only warned.
		if [ $rc -eq 0 ] && [ -z "$out" ]; then
			ok "systemd-analyze verify $UNIT"
		else
			bad "systemd-analyze verify $UNIT (rc $rc)"
			printf '%s\n' "$out" | show
		fi
		systemd-analyze security --offline=yes --no-pager "$vu" 2>/dev/null |
		    sed -n 's/^→ Overall exposure level for \([^:]*\): /security (informational): /p' |
		    show
	else
		skip "systemd-analyze: not installed (package systemd)"
	fi
else
	bad "unit: $UNIT missing"
fi

# ------------------------------------------------------------ the udev rule
if [ -f "$RULES" ]; then
	if command -v udevadm >/dev/null 2>&1 &&
	    udevadm verify --help >/dev/null 2>&1; then
		out=$(udevadm verify "$RULES" 2>&1) && ok "udevadm verify $RULES" ||
		    { bad "udevadm verify $RULES"; printf '%s\n' "$out" | show; }
	elif command -v udevadm >/dev/null 2>&1; then
		skip "udevadm verify: this udevadm ($(udevadm --version)) has no verify (systemd 254+)"
	else
		skip "udevadm verify: udevadm not installed (Debian 12's udev 252 has no verify anyway)"
	fi
	# Our own syntax check, whatever udevadm can do: each rule is a
	# comma-separated list of KEY[{attr}] OP "value", match operators on
	# match keys, assignment operators on assignment keys.
	out=$(awk '
	    /^[ \t]*(#|$)/ { next }
	    {
		line = $0; n = 0
		while (length(line) > 0) {
			sub(/^[ \t]*,?[ \t]*/, "", line)
			if (line == "") break
			if (!match(line, /^[A-Z_]+(\{[^}]+\})?[ \t]*(==|!=|\+=|-=|:=|=)[ \t]*"[^"]*"/)) {
				printf "line %d: cannot parse: %s\n", NR, line; bad = 1; next
			}
			tok = substr(line, 1, RLENGTH); line = substr(line, RLENGTH + 1)
			key = tok; sub(/[{ \t=!+:-].*/, "", key)
			op = tok; sub(/^[A-Z_]+(\{[^}]+\})?[ \t]*/, "", op); sub(/[ \t]*".*/, "", op)
			ismatch = (key ~ /^(ACTION|DEVPATH|KERNEL|KERNELS|NAME|SYMLINK|SUBSYSTEM|SUBSYSTEMS|DRIVER|DRIVERS|ATTR|ATTRS|SYSCTL|ENV|TAG|TAGS|TEST|PROGRAM|RESULT|CONST)$/)
			isassign = (key ~ /^(NAME|SYMLINK|OWNER|GROUP|MODE|SECLABEL|ATTR|SYSCTL|ENV|TAG|RUN|LABEL|GOTO|IMPORT|OPTIONS)$/)
			if (op == "==" || op == "!=") { if (!ismatch) { printf "line %d: %s is not a match key\n", NR, key; bad = 1 } }
			else if (!isassign) { printf "line %d: %s cannot be assigned\n", NR, key; bad = 1 }
			n++
		}
		if (n == 0) { printf "line %d: empty rule\n", NR; bad = 1 }
	    }
	    END { exit bad }' "$RULES" 2>&1)
	if [ $? -eq 0 ]; then
		ok "udev rule syntax (own check) $RULES"
	else
		bad "udev rule syntax (own check) $RULES"
		printf '%s\n' "$out" | show
	fi
	if grep -Eq '^SUBSYSTEM=="misc", KERNEL=="vmbus/hv_vss",.*TAG\+="systemd".*ENV\{SYSTEMD_WANTS\}\+="hvvss\.service"' "$RULES"; then
		ok "udev rule: tags vmbus/hv_vss for systemd and wants hvvss.service"
	else
		bad "udev rule: does not tag vmbus/hv_vss and want hvvss.service"
	fi
else
	bad "udev rule: $RULES missing"
fi

# ---------------------------------------------------------- configuration
# The daemon's own parser (daemon/config.c), compiled into a small checker:
# the daemon itself is not run.
keys=$(grep -o 'strcmp(key, "[a-z_]*")' daemon/config.c |
    sed 's/.*"\(.*\)".*/\1/' | sort -u)
if [ -z "$keys" ]; then
	bad "config: no keys found in daemon/config.c"
else
	miss=""
	for k in $keys; do
		grep -Eq "^# $k = " "$CONF" || miss="$miss $CONF:$k"
		grep -Eq "^\.It Cm $k( |$)" man/hvvss.conf.5 || miss="$miss hvvss.conf.5:$k"
	done
	[ -z "$miss" ] && ok "config: every key of daemon/config.c ($(echo $keys)) is in $CONF and hvvss.conf.5" ||
	    bad "config: undocumented keys:$miss"
fi
# Not -Werror: a warning in config.c is for the daemon's build to judge.
# shellcheck disable=SC2046
if cc -std=c11 -D_GNU_SOURCE -Ilib -Idaemon \
    -o "$work/confcheck" tests/packaging/confcheck.c daemon/config.c \
    $(pkg-config --libs inih 2>/dev/null || echo -linih) 2>"$work/cc.err"; then
	: >"$work/empty.conf"
	empty=$("$work/confcheck" "$work/empty.conf")
	out=$("$work/confcheck" "$CONF"); rc=$?
	if [ $rc -eq 0 ] && [ "$out" = "$empty" ]; then
		ok "config: $CONF parses and sets nothing (all commented)"
	else
		bad "config: $CONF: $out"
	fi
	# Every example value, uncommented, must be valid too.
	sed -E 's/^# ([a-z_]+ = )/\1/' "$CONF" >"$work/all.conf"
	out=$("$work/confcheck" "$work/all.conf"); rc=$?
	[ $rc -eq 0 ] && ok "config: every value shown in $CONF is valid ($out)" ||
	    bad "config: uncommented $CONF: $out"
else
	bad "config: cannot compile tests/packaging/confcheck.c"
	show <"$work/cc.err"
fi

# ---------------------------------------------------------------- FreeBSD
if [ -f "$RCD" ] && [ -f "$DEVD" ]; then
	sh -n "$RCD" && ok "rc.d: sh -n $RCD" || bad "rc.d: sh -n $RCD"
	grep -q '^# PROVIDE: hv_vss_daemon$' "$RCD" &&
	    grep -q '^name="hv_vss_daemon"$' "$RCD" &&
	    grep -q '^rcvar="hv_vss_daemon_enable"$' "$RCD" &&
	    grep -q '^run_rc_command "\$1"$' "$RCD" &&
	    ok "rc.d: PROVIDE, name, rcvar and run_rc_command agree" ||
	    bad "rc.d: PROVIDE/name/rcvar/run_rc_command"
	# Balanced braces, both events, above the base rules' priority 11,
	# and actions that name the rc.d service.
	out=$(awk '
	    /^[ \t]*#/ { next }
	    { o += gsub(/\{/, "{"); c += gsub(/\}/, "}") }
	    /^notify [0-9]+ \{/ { split($0, f, " "); if (f[2] + 0 <= 11) { print "priority " f[2] " <= 11" ; bad = 1 } }
	    /match "cdev"[ \t]+"hv_fsvss_dev"/ { dev++ }
	    /match "type"[ \t]+"CREATE"/ { cr++ }
	    /match "type"[ \t]+"DESTROY"/ { de++ }
	    /action "\/usr\/sbin\/service hv_vss_daemon (quiet|one)?start"/ { as++ }
	    /action "\/usr\/sbin\/service hv_vss_daemon (quiet|one)?stop"/ { ap++ }
	    END {
		if (o != c) { print "unbalanced braces"; bad = 1 }
		if (dev != 2 || cr != 1 || de != 1 || as != 1 || ap != 1) { print "want two hv_fsvss_dev rules: CREATE start, DESTROY stop"; bad = 1 }
		exit bad
	    }' "$DEVD")
	[ $? -eq 0 ] && ok "devd: $DEVD matches hv_fsvss_dev CREATE/DESTROY above priority 11" ||
	    { bad "devd: $DEVD"; printf '%s\n' "$out" | show; }
else
	bad "FreeBSD: $RCD or $DEVD missing"
fi

# ------------------------------------------------------ maintainer scripts
for s in debian/*.preinst debian/*.postinst debian/*.prerm debian/*.postrm; do
	[ -f "$s" ] || continue
	sh -n "$s" && ok "sh -n $s" || bad "sh -n $s"
done
if command -v shellcheck >/dev/null 2>&1; then
	# SC2086: the rename flag is passed unquoted on purpose.
	# SC1091: rc.subr is not here.  SC2034: rc.subr reads the variables.
	out=$(shellcheck -s sh -e SC2086 debian/*.preinst debian/*.postinst \
	    debian/*.prerm debian/*.postrm 2>&1) &&
	    ok "shellcheck: maintainer scripts" ||
	    { bad "shellcheck: maintainer scripts"; printf '%s\n' "$out" | show; }
	out=$(shellcheck -s sh -e SC1091,SC2034,SC2086,SC3043 "$RCD" 2>&1) &&
	    ok "shellcheck: $RCD" ||
	    { bad "shellcheck: $RCD"; printf '%s\n' "$out" | show; }
else
	skip "shellcheck: not installed"
fi

# Dry run of the diversions with stub commands (nothing is changed): the
# paths preinst adds must be exactly those postrm removes, with the same
# --divert name and rename flag.
stub=$work/stub
mkdir -p "$stub"
for c in dpkg-divert deb-systemd-invoke systemctl invoke-rc.d udevadm; do
	printf '#!/bin/sh\necho "%s $*" >>"%s/calls"\n' "$c" "$stub" >"$stub/$c"
	chmod +x "$stub/$c"
done
PATH=$stub:$PATH sh debian/hvvss.preinst install >/dev/null 2>&1 &&
    PATH=$stub:$PATH sh debian/hvvss.postrm remove >/dev/null 2>&1; rc=$?
add=$(sed -n 's/^dpkg-divert \(.*\) --add \(.*\)$/\1 \2/p' "$stub/calls" 2>/dev/null | sort)
rem=$(sed -n 's/^dpkg-divert \(.*\) --remove \(.*\)$/\1 \2/p' "$stub/calls" 2>/dev/null | sort)
if [ $rc -eq 0 ] && [ -n "$add" ] && [ "$add" = "$rem" ] &&
    [ "$(printf '%s\n' "$add" | grep -c -- '--package hvvss')" -eq 3 ]; then
	ok "maintainer scripts: preinst adds and postrm removes the same 3 diversions"
else
	bad "maintainer scripts: diversions added and removed differ (rc $rc)"
	show <"$stub/calls" 2>/dev/null
fi

# ------------------------------------------------------------ the package
if [ $build -eq 0 ]; then
	skip "dpkg-buildpackage: --no-build"
	echo "packaging: $pass passed, $fail failed"
	[ $fail -eq 0 ]; exit
fi

# Tools, then build dependencies: installed with apt-get if missing.
apt_install() {
	if [ "$(id -u)" -ne 0 ] || ! command -v apt-get >/dev/null 2>&1; then
		echo "     | cannot install $*: not root or no apt-get"
		return 1
	fi
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
	    --no-install-recommends "$@" >"$work/apt.log" 2>&1 ||
	    { show <"$work/apt.log"; return 1; }
}
need=()
command -v dpkg-buildpackage >/dev/null 2>&1 || need+=(dpkg-dev)
command -v dh >/dev/null 2>&1 || need+=(debhelper)
command -v cc >/dev/null 2>&1 && command -v make >/dev/null 2>&1 ||
    need+=(build-essential)
command -v fakeroot >/dev/null 2>&1 || need+=(fakeroot)
[ ${#need[@]} -eq 0 ] || apt_install "${need[@]}"

# A copy of the tree without build products or VCS data.
src=$work/src/hvvss-0.1.0
mkdir -p "$src"
tar -C "$top" --exclude=./.git --exclude='./build*' --exclude='./crash-*' \
    --exclude='./leak-*' --exclude='./timeout-*' --exclude='./oom-*' \
    -cf - . | tar -C "$src" -xf -

profile=() opts=""
if [ $nocheck -eq 1 ]; then
	profile=(-Pnocheck) opts="nocheck"
fi
unmet=$(cd "$src" && dpkg-checkbuilddeps "${profile[@]}" 2>&1 |
    sed -n 's/.*Unmet build dependencies: //p' |
    sed 's/([^)]*)//g; s/<[^>]*>//g; s/|[^ ]*//g')
if [ -n "$unmet" ]; then
	echo "     | installing build dependencies: $unmet"
	# shellcheck disable=SC2086
	apt_install $unmet || true
fi

( cd "$src" && DEB_BUILD_OPTIONS="$opts" dpkg-buildpackage -us -uc -b \
    "${profile[@]}" ) >"$work/build.log" 2>&1; rc=$?
if [ $rc -eq 0 ]; then
	ok "dpkg-buildpackage -us -uc -b ${profile[*]}"
else
	bad "dpkg-buildpackage -us -uc -b ${profile[*]} (rc $rc, last lines:)"
	tail -30 "$work/build.log" | show
	echo "packaging: $pass passed, $fail failed"
	exit 1
fi
deb=$(ls "$work"/src/hvvss_*.deb 2>/dev/null | head -1)
dev=$(ls "$work"/src/libhvvss-dev_*.deb 2>/dev/null | head -1)
[ -n "$deb" ] && ok "built $(basename "$deb")" || bad "no hvvss_*.deb"
[ -n "$dev" ] && ok "built $(basename "$dev")" || bad "no libhvvss-dev_*.deb"
grep -E '^(dh_missing|dpkg-shlibdeps): (warning|error)' "$work/build.log" | show

if [ -n "$deb" ]; then
	dpkg-deb -c "$deb" >"$work/contents"
	for f in \
	    ./usr/sbin/hv_vss_daemon \
	    ./lib/systemd/system/hvvss.service \
	    './lib/systemd/system/hv-vss-daemon.service -> hvvss.service' \
	    ./lib/udev/rules.d/60-hvvss.rules \
	    ./usr/share/man/man8/hv_vss_daemon.8.gz \
	    ./usr/share/man/man5/hvvss.conf.5.gz \
	    ./etc/hvvss.conf \
	    ./etc/hvvss/hooks.d/ \
	    ./usr/share/doc/hvvss/README.Debian.gz \
	    ./usr/share/doc/hvvss/examples/50-example; do
		grep -qF -- " $f" "$work/contents" && ok "deb contains $f" ||
		    bad "deb lacks $f"
	done
	grep -q ' ./usr/sbin/hvvss-host' "$work/contents" &&
	    bad "hvvss contains hvvss-host (it has its own package)" ||
	    ok "hvvss does not contain hvvss-host"
	mkdir -p "$work/root" "$work/ctrl"
	dpkg-deb -x "$deb" "$work/root"
	dpkg-deb -e "$deb" "$work/ctrl"
	cmp -s "$work/root/lib/systemd/system/hvvss.service" "$UNIT" &&
	    cmp -s "$work/root/lib/udev/rules.d/60-hvvss.rules" "$RULES" &&
	    cmp -s "$work/root/etc/hvvss.conf" "$CONF" &&
	    ok "deb: unit, udev rule and configuration are the dist/ files" ||
	    bad "deb: unit, udev rule or configuration differ from dist/"
	grep -qx /etc/hvvss.conf "$work/ctrl/conffiles" 2>/dev/null &&
	    ok "deb: /etc/hvvss.conf is a conffile" ||
	    bad "deb: /etc/hvvss.conf is not a conffile"
	miss=""
	for p in /usr/sbin/hv_vss_daemon \
	    /lib/systemd/system/hv-vss-daemon.service \
	    /usr/lib/systemd/system/hv-vss-daemon.service; do
		grep -q 'dpkg-divert --package hvvss' "$work/ctrl/preinst" &&
		    grep -q "divert_add $p " "$work/ctrl/preinst" &&
		    grep -q "divert_remove $p " "$work/ctrl/postrm" ||
		    miss="$miss $p"
	done
	[ -z "$miss" ] && ok "deb: preinst diverts and postrm restores hyperv-daemons' files" ||
	    bad "deb: diversion missing for:$miss"
	grep -q '^interest-noawait /usr/sbin/hv_kvp_daemon' "$work/ctrl/triggers" 2>/dev/null &&
	    ok "deb: file trigger on hyperv-daemons" || bad "deb: no trigger"
	# dh_installsystemd ran, with --no-start: daemon-reload and
	# try-restart, no start of a unit bound to a device that may be absent.
	grep -q 'deb-systemd-invoke try-restart .hvvss.service.' "$work/ctrl/postinst" &&
	    ! grep -q 'deb-systemd-invoke start .hvvss.service.' "$work/ctrl/postinst" &&
	    ok "deb: postinst try-restarts hvvss.service on upgrade, never starts it blindly" ||
	    bad "deb: postinst start/restart snippet"
	# No Conflicts/Replaces on hyperv-daemons (it also ships KVP, FCOPY).
	dpkg-deb -f "$deb" Conflicts Replaces Breaks | grep -q hyperv-daemons &&
	    bad "deb: Conflicts/Replaces/Breaks hyperv-daemons" ||
	    ok "deb: no Conflicts/Replaces/Breaks on hyperv-daemons"
	# The alias, as systemd sees it offline.
	if command -v systemctl >/dev/null 2>&1; then
		out=$(systemctl --root="$work/root" list-unit-files --no-legend \
		    'hv*' 2>&1)
		printf '%s\n' "$out" | grep -Eq '^hv-vss-daemon\.service +alias' &&
		    printf '%s\n' "$out" | grep -Eq '^hvvss\.service +static' &&
		    ok "systemctl --root: hvvss.service static, hv-vss-daemon.service its alias" ||
		    { bad "systemctl --root: unit files"; printf '%s\n' "$out" | show; }
	fi
	# Hardened ELF: PIE, full RELRO, stack protector.
	bin=$work/root/usr/sbin/hv_vss_daemon
	if command -v readelf >/dev/null 2>&1; then
		readelf -h "$bin" | grep -q 'Type: *DYN' &&
		    readelf -d "$bin" | grep -q 'BIND_NOW' &&
		    readelf -l "$bin" | grep -q 'GNU_RELRO' &&
		    ok "hv_vss_daemon: PIE, BIND_NOW, RELRO" ||
		    bad "hv_vss_daemon: not built with the hardening flags"
	fi
fi
if [ -n "$dev" ]; then
	devc=$(dpkg-deb -c "$dev")
	printf '%s\n' "$devc" | grep -q '/usr/lib/[^/]*/libhvvss\.a$' &&
	    printf '%s\n' "$devc" | grep -q '/usr/include/hvvss/.*\.h$' &&
	    ok "libhvvss-dev contains libhvvss.a and the headers" ||
	    bad "libhvvss-dev contents"
fi
if command -v lintian >/dev/null 2>&1; then
	lintian --no-tag-display-limit "$work"/src/*.changes 2>&1 | show
else
	skip "lintian: not installed (informational only)"
fi

echo "packaging: $pass passed, $fail failed"
[ $fail -eq 0 ]
