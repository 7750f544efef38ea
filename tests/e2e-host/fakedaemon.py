#!/usr/bin/env python3
"""fakedaemon.py: a VSS daemon that freezes nothing, for hvvss-host tests.

    fakedaemon.py linux [DEVICE]      speaks /dev/vmbus/hv_vss (protocol.md 5)
    fakedaemon.py freebsd [FSDEVICE]  speaks /dev/hv_fsvss_dev (protocol.md 6)

It answers every request with success after FAKE_DELAY_MS (default 0)
milliseconds, or failure for the ops listed in FAKE_FAIL (e.g. "5,6").
Like Debian's hv_vss_daemon it reopens and re-registers the Linux device
when a reply write fails (the hibernation path, 5.6).  Safe to run outside
any sandbox: it never touches a file system.
"""
import errno
import fcntl
import os
import select
import struct
import sys
import time

IOR = 0x80407602	# _IOR('v', 2, 64 bytes), Linux encoding
IOW = 0x40407603	# _IOW('v', 3, 64 bytes)
E_FAIL = 0x80004005

def log(msg):
    print("fakedaemon: " + msg, file=sys.stderr, flush=True)

def cfg():
    fail = {int(x) for x in os.environ.get("FAKE_FAIL", "").split(",") if x}
    delay = int(os.environ.get("FAKE_DELAY_MS", "0")) / 1000.0
    return fail, delay

def linux(path):
    fail, delay = cfg()
    while True:
        fd = os.open(path, os.O_RDWR)
        os.write(fd, bytes([129]) + bytes(11))
        select.select([fd], [], [])
        v = os.read(fd, 12)
        if len(v) != 4:
            log("invalid version negotiation")
            sys.exit(1)
        log("registered, kernel version %d" % struct.unpack("<I", v)[0])
        while True:
            p = select.poll()
            p.register(fd, select.POLLIN)
            p.poll()
            m = os.read(fd, 12)
            if len(m) != 12:
                log("read %d bytes" % len(m))
                break
            op = m[0]
            time.sleep(delay)
            st = E_FAIL if op in fail else 0
            log("op %d -> 0x%08x" % (op, st))
            try:
                os.write(fd, struct.pack("<II", st, 0) + bytes(4))
            except OSError as e:
                log("write failed: %s; reopening" % e.strerror)
                break
        os.close(fd)

def freebsd(path):
    fail, delay = cfg()
    fd = os.open(path, os.O_RDWR)
    log("opened %s" % path)
    op_of = {1: 2, 2: 5, 3: 6}
    while True:
        p = select.poll()
        p.register(fd, select.POLLIN | select.POLLRDNORM)
        p.poll()
        buf = bytearray(64)
        fcntl.ioctl(fd, IOR, buf, True)
        opt, status, msgid = struct.unpack_from("<IIQ", buf)
        if status != 0:
            continue
        time.sleep(delay)
        st = 1 if op_of.get(opt, -1) in fail else 0
        log("opt %d msgid %d -> %d" % (opt, msgid, st))
        fcntl.ioctl(fd, IOW, struct.pack("<IIQ", opt, st, msgid) + bytes(48))

def main():
    if len(sys.argv) < 2 or sys.argv[1] not in ("linux", "freebsd"):
        print(__doc__, file=sys.stderr)
        sys.exit(64)
    if sys.argv[1] == "linux":
        linux(sys.argv[2] if len(sys.argv) > 2 else "/dev/vmbus/hv_vss")
    else:
        freebsd(sys.argv[2] if len(sys.argv) > 2 else "/dev/hv_fsvss_dev")

if __name__ == "__main__":
    main()
