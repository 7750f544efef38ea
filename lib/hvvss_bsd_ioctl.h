/*
 * hvvss_bsd_ioctl.h: the FreeBSD VSS ioctl numbers in the running OS's own
 * encoding.  Not part of the pure library: include only from OS edges.
 */
#ifndef HVVSS_BSD_IOCTL_H
#define HVVSS_BSD_IOCTL_H

#include <sys/ioctl.h>

#include "hvvss_bsd.h"

#define HVVSS_IOCHVVSSREAD	_IOR('v', 2, struct hvvss_bsd_wire)
#define HVVSS_IOCHVVSSWRITE	_IOW('v', 3, struct hvvss_bsd_wire)

#endif /* HVVSS_BSD_IOCTL_H */
