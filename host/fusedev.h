/*
 * fusedev.h: one emulated character device as a FUSE file.
 *
 * The FUSE session is mounted on the device path itself (a regular file,
 * created empty if missing), so the daemon under test opens the real
 * path (/dev/vmbus/hv_vss, /dev/hv_fsvss_dev, ...).  libfuse's low-level
 * API runs inside the caller's poll loop: fusedev_fd() is polled and
 * fusedev_dispatch() processes what arrived; fusedev_sync() completes
 * held reads and poll notifications after the backend's state changed.
 * lab-facts 5: direct_io is mandatory, reads that would block are held
 * (never sleep), interrupts turn them into EINTR, offsets are ignored.
 */
#ifndef HOST_FUSEDEV_H
#define HOST_FUSEDEV_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define FUSEDEV_MAX_HELD	8
#define FUSEDEV_MAX_DIRS	4
#define FUSEDEV_IO_MAX		4096

struct fuse_session;
struct fuse_pollhandle;
struct fuse_req;

/*
 * The device behind the file.  Errors are negative errnos; read returns
 * -EAGAIN for "would block" (the read is then held).  ioctl returns the
 * number of bytes it put in out.  NULL entries answer ENODEV / ENOTTY.
 */
struct fusedev_ops {
	int	(*open)(void *, int, pid_t);
	void	(*release)(void *, pid_t);
	ssize_t	(*read)(void *, uint8_t *, size_t, pid_t);
	ssize_t	(*write)(void *, const uint8_t *, size_t, pid_t);
	short	(*poll)(void *);
	int	(*ioctl)(void *, unsigned int, const void *, size_t, void *,
		    size_t, pid_t);
};

struct fusedev_held {
	struct fuse_req	*req;
	size_t		 size;
	pid_t		 pid;
	int		 interrupted;
};

struct fusedev {
	char			 path[256];
	const char		*name;		/* for logs */
	unsigned		 mode;		/* file mode bits */
	const struct fusedev_ops *ops;
	void			*arg;
	struct fuse_session	*se;
	int			 fd;
	int			 mounted;
	int			 created_file;
	char			 created_dirs[FUSEDEV_MAX_DIRS][256];
	int			 ndirs;
	void			*bufmem;	/* libfuse receive buffer */
	struct fusedev_held	 held[FUSEDEV_MAX_HELD];
	struct fuse_pollhandle	*ph;
	unsigned		 opens;
	int			 gone;		/* session ended (unmounted) */
};

/* Create the placeholder, mount; 0 or -1 (logged). */
int	fusedev_start(struct fusedev *, const char *, const char *, unsigned,
	    const struct fusedev_ops *, void *);
int	fusedev_fd(const struct fusedev *);
/* Process every request that is ready; -1 when the session is gone. */
int	fusedev_dispatch(struct fusedev *);
/* Complete held reads and notify pollers; 1 if anything was done. */
int	fusedev_sync(struct fusedev *);
/* Unmount and remove what fusedev_start created. */
void	fusedev_stop(struct fusedev *);

#endif /* HOST_FUSEDEV_H */
