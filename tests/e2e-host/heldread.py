#!/usr/bin/env python3
"""heldread.py: checks the held-read and EINTR paths of the FUSE device.

Registers on /dev/vmbus/hv_vss, then blocks in read() without poll; an
alarm interrupts the first read (EINTR expected), the second read blocks
until the host's HOT_BACKUP arrives.  Also checks EBUSY on a second open
and EINVAL on a short read.  Exit 0 when all held.
"""
import errno, os, signal, struct, sys

dev = sys.argv[1] if len(sys.argv) > 1 else "/dev/vmbus/hv_vss"
fd = os.open(dev, os.O_RDWR)
try:
    os.open(dev, os.O_RDWR)
    sys.exit("second open succeeded")
except OSError as e:
    assert e.errno == errno.EBUSY, e
os.write(fd, bytes([129]) + bytes(11))
try:
    os.read(fd, 3)
    sys.exit("short read succeeded")
except OSError as e:
    assert e.errno == errno.EINVAL, e
assert os.read(fd, 12) == struct.pack("<I", 129)
class Alarm(Exception):
    pass

def on_alarm(signo, frame):
    raise Alarm()    # raising stops Python from retrying the read (PEP 475)

signal.signal(signal.SIGALRM, on_alarm)
signal.setitimer(signal.ITIMER_REAL, 0.2)
try:
    os.read(fd, 12)      # nothing queued: held, then interrupted
    sys.exit("read returned without a request")
except Alarm:
    print("heldread: interrupted read ok", file=sys.stderr)
m = os.read(fd, 12)      # held until the host sends HOT_BACKUP
assert m == bytes([2]) + bytes(11), m
os.write(fd, bytes(12))
print("heldread: HOT_BACKUP answered", file=sys.stderr)
signal.pause()
