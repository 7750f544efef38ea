#!/usr/bin/env bash
# host-scenarios: every built-in hvvss-host scenario (faults included), both
# flavours, against a stand-in daemon that freezes nothing; see
# tests/e2e-host/scenarios.sh.  Needs root and python3.
set -u
top=$(cd "$(dirname "$(readlink -f "$0")")/../.." && pwd)
[ -x "$top/build/hvvss-host" ] || { echo "# build/hvvss-host not built"; exit 4; }
command -v python3 >/dev/null || { echo "# python3 missing"; exit 4; }
"$top/tests/e2e-host/scenarios.sh" "$top/build/hvvss-host" 2>&1 | sed 's/^/# /'
exit "${PIPESTATUS[0]}"
