/*
 * journal.c: the /run record of what is frozen.
 */
#include <sys/types.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#ifdef __linux__
#include <sys/sysmacros.h>
#include <linux/fs.h>
#endif

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "freeze.h"
#include "journal.h"
#include "log.h"
#include "mountinfo.h"

#define JOURNAL_MAGIC	"hvvss-journal 1"

static int
parse_line(char *line, struct journal_entry *e)
{
	char	*sp1, *sp2, *end;
	long	 id;

	if ((sp1 = strchr(line, ' ')) == NULL)
		return -1;
	*sp1++ = '\0';
	if ((sp2 = strchr(sp1, ' ')) == NULL)
		return -1;
	*sp2++ = '\0';
	errno = 0;
	id = strtol(line, &end, 10);
	if (errno || end == line || *end != '\0' || id < 0 || id > INT_MAX)
		return -1;
	e->mnt_id = (int)id;
	if (mi_devno(sp1, &e->major, &e->minor) == -1)
		return -1;
	if (*sp2 != '/' || mi_unescape(sp2) == -1)
		return -1;
	e->mnt = sp2;
	return 0;
}

int
journal_parse(char *text, size_t len, struct journal_entry *v, size_t max,
    size_t *n, size_t *errline)
{
	size_t	 lineno = 0, off = 0;

	*n = 0;
	*errline = 0;
	if (memchr(text, '\0', len) != NULL) {
		*errline = 1;
		return -1;
	}
	while (off < len) {
		char	*line = text + off, *nl;

		lineno++;
		nl = memchr(line, '\n', len - off);
		if (nl == NULL) {	/* no torn last line: rename is atomic */
			*errline = lineno;
			return -1;
		}
		*nl = '\0';
		off = (size_t)(nl - text) + 1;
		if (lineno == 1) {
			if (strcmp(line, JOURNAL_MAGIC) != 0) {
				*errline = 1;
				return -1;
			}
			continue;
		}
		if (*n >= max || parse_line(line, &v[*n]) == -1) {
			*errline = lineno;
			return -1;
		}
		(*n)++;
	}
	if (lineno == 0) {
		*errline = 1;
		return -1;
	}
	return 0;
}


static int
mkparent(const char *path)
{
	char	dir[PATH_MAX], *slash;

	if (strlen(path) >= sizeof(dir))
		return -1;
	strcpy(dir, path);
	if ((slash = strrchr(dir, '/')) == NULL || slash == dir)
		return 0;
	*slash = '\0';
	if (mkdir(dir, 0700) == -1 && errno != EEXIST)
		return -1;
	return 0;
}

int
journal_write(const char *path, const struct frz *f, int all)
{
	char	 tmp[PATH_MAX], esc[4 * PATH_MAX + 1];
	FILE	*fp;
	size_t	 i;
	int	 fd;

	if (mkparent(path) == -1 ||
	    snprintf(tmp, sizeof(tmp), "%s.tmp", path) >= (int)sizeof(tmp))
		return -1;
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW,
	    0600);
	if (fd == -1 || (fp = fdopen(fd, "w")) == NULL) {
		if (fd != -1)
			close(fd);
		return -1;
	}
	fprintf(fp, "%s\n", JOURNAL_MAGIC);
	for (i = 0; i < f->n; i++) {
		const struct frz_fs *fs = &f->v[i];

		if (fs->sync_only || (!all && !fs->frozen))
			continue;
		if (mi_escape(fs->mnt, esc, sizeof(esc)) >= sizeof(esc))
			continue;	/* longer than PATH_MAX: not a path */
		fprintf(fp, "%d %u:%u %s\n", fs->mnt_id, fs->major, fs->minor,
		    esc);
	}
	if (fclose(fp) != 0 || rename(tmp, path) == -1) {
		unlink(tmp);
		return -1;
	}
	return 0;
}

int
journal_remove(const char *path)
{
	if (unlink(path) == -1 && errno != ENOENT)
		return -1;
	return 0;
}

#ifdef __linux__
static int
same_mount(int fd, const struct journal_entry *e)
{
	char	path[64], buf[512], *p;
	ssize_t	n;
	int	pfd, id = -1;

	snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", fd);
	if ((pfd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		return 0;
	n = read(pfd, buf, sizeof(buf) - 1);
	close(pfd);
	if (n <= 0)
		return 0;
	buf[n] = '\0';
	if ((p = strstr(buf, "mnt_id:")) != NULL)
		id = atoi(p + 7);
	return id == e->mnt_id;
}
#endif

int
journal_recover(const char *path)
{
	struct journal_entry	*v;
	char			*text;
	size_t			 len = 0, n, errline, i;
	ssize_t			 r;
	int			 fd, thawed = 0;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)) == -1)
		return errno == ENOENT ? 0 : -1;
	text = malloc(1024 * 1024);
	v = calloc(JOURNAL_MAX_ENTRIES, sizeof(*v));
	if (text == NULL || v == NULL) {
		close(fd);
		free(text);
		free(v);
		return -1;
	}
	while (len < 1024 * 1024 &&
	    (r = read(fd, text + len, 1024 * 1024 - len)) > 0)
		len += (size_t)r;
	close(fd);
	if (journal_parse(text, len, v, JOURNAL_MAX_ENTRIES, &n, &errline)
	    == -1) {
		log_warnx("event=journal-bad path=%s line=%zu action=kept",
		    path, errline);
		free(text);
		free(v);
		return -1;
	}
	for (i = n; i-- > 0;) {
		int	mfd;

		mfd = open(v[i].mnt, O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
		    O_CLOEXEC);
		if (mfd == -1) {
			log_warn("event=journal-thaw fs=\"%s\" result=skip",
			    v[i].mnt);
			continue;
		}
#ifdef __linux__
		if (!same_mount(mfd, &v[i])) {
			log_warnx("event=journal-thaw fs=\"%s\" result=skip "
			    "reason=\"not the mount that was frozen\"",
			    v[i].mnt);
			close(mfd);
			continue;
		}
		if (ioctl(mfd, FITHAW, 0) == 0) {
			thawed++;
			log_warnx("event=journal-thaw fs=\"%s\" result=thawed "
			    "reason=\"left frozen by a previous run\"",
			    v[i].mnt);
		} else
			log_info("event=journal-thaw fs=\"%s\" result=%s",
			    v[i].mnt, errno == EINVAL ? "not-frozen" :
			    strerror(errno));
#endif
		close(mfd);
	}
	free(text);
	free(v);
	(void)journal_remove(path);
	return thawed;
}
