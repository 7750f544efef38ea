/*
 * hooks.c: find, trust-check and run quiesce hooks (hooks.h; prior-art.md
 * A4, B4, D6).
 */
#include <sys/types.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ev.h"
#include "hooks.h"
#include "log.h"

/* Runner stages: what the timer means when it fires. */
enum {
	RS_IDLE,
	RS_RUN,		/* a hook runs; timer: its deadline */
	RS_TERM,	/* SIGTERM sent; timer: end of the grace */
	RS_KILL,	/* SIGKILL sent; timer: give up waiting */
	RS_DONE		/* phase over; timer (now): call done */
};

#define NO_HOOK		((size_t)-1)
#define POLL_NS		20000000ull	/* reap/drain tick without a pidfd */
#define READS_PER_CB	64		/* a flooding hook must not starve */
#define LOG_CHUNK	800		/* output bytes per log line */

static const char *const phase_names[HOOKS_PHASE__MAX] = {
	"prepare", "freeze", "thaw", "abort"
};
static const char *const status_names[HOOKS_ST__MAX] = {
	"not-run", "running", "ok", "exit", "signaled", "timeout", "killed",
	"lost", "spawn-failed", "canceled", "empty"
};
static const char *const source_names[HOOKS_SRC__MAX] = {
	"native", "qemu-ga", "vmware-legacy", "vmware"
};
static const char *const result_names[HOOKRUN__MAX] = {
	"ok", "degraded", "failed"
};

/*
 * argv[1] per source and phase; NULL: the source has no such phase.
 * Writable arrays because execve takes char *const[].  qemu-ga's hook
 * knows only freeze and thaw, and qemu-ga thaws its hook after a failed
 * freeze; open-vm-tools says freezeFail (hooks.h).
 */
static char a_prepare[] = "prepare", a_freeze[] = "freeze",
    a_thaw[] = "thaw", a_abort[] = "abort", a_freezefail[] = "freezeFail";
static char *const phase_args[HOOKS_SRC__MAX][HOOKS_PHASE__MAX] = {
	[HOOKS_SRC_NATIVE] = { a_prepare, a_freeze, a_thaw, a_abort },
	[HOOKS_SRC_QGA] = { NULL, a_freeze, a_thaw, a_thaw },
	[HOOKS_SRC_VMWARE_LEGACY] = { NULL, a_freeze, a_thaw, a_freezefail },
	[HOOKS_SRC_VMWARE] = { NULL, a_freeze, a_thaw, a_freezefail },
};
static char sh_path[] = "/bin/sh";

const char *
hooks_phase_name(int p)
{
	return p >= 0 && p < HOOKS_PHASE__MAX ? phase_names[p] : "?";
}

const char *
hooks_status_name(int s)
{
	return s >= 0 && s < HOOKS_ST__MAX ? status_names[s] : "?";
}

const char *
hooks_source_name(int s)
{
	return s >= 0 && s < HOOKS_SRC__MAX ? source_names[s] : "?";
}

const char *
hookrun_result_name(int r)
{
	return r >= 0 && r < HOOKRUN__MAX ? result_names[r] : "?";
}

/* ---- finding and trusting hooks ---------------------------------------- */

void
hooks_config_init(struct hooks_config *c)
{
	memset(c, 0, sizeof(*c));
	c->native_dir = HOOKS_NATIVE_DIR;
	c->owner = 0;
	c->out_cap = HOOKS_OUT_MAX;
	c->policy = HOOKS_POLICY_FAIL;
}

static int
has_suffix(const char *s, const char *suf)
{
	size_t	ls = strlen(s), lf = strlen(suf);

	return ls >= lf && strcmp(s + ls - lf, suf) == 0;
}

/*
 * Hidden files, editor backups and package-manager leftovers: a hook
 * directory after an upgrade holds 10-db.dpkg-old next to 10-db, and
 * running both is wrong (B4 item 27; qemu-ga's sample hook skips the same).
 */
int
hooks_ignored_name(const char *name)
{
	static const char *const suffixes[] = {
		".rpmnew", ".rpmsave", ".rpmorig", ".orig", ".bak", ".swp",
		".sample", ".disabled"
	};
	size_t	i;

	if (name[0] == '\0' || name[0] == '.' || name[0] == '#')
		return 1;
	if (has_suffix(name, "~"))
		return 1;
	/* *.dpkg-old/-new/-dist/-tmp/-bak/-backup/-remove, *.ucf-old/... */
	if (strstr(name, ".dpkg-") != NULL || strstr(name, ".ucf-") != NULL)
		return 1;
	for (i = 0; i < sizeof(suffixes) / sizeof(suffixes[0]); i++)
		if (has_suffix(name, suffixes[i]))
			return 1;
	return 0;
}

static int
trusted_uid(uid_t uid, uid_t owner)
{
	return uid == 0 || uid == owner;
}

/*
 * The directory and every one above it up to /: lstat, so a symlinked
 * component is refused rather than followed (whoever controls the link
 * target controls what runs as root).  A group- or other-writable
 * directory anywhere lets someone rename a hook in, /tmp's sticky bit
 * notwithstanding.  Group bits also carry a POSIX ACL's mask, so a
 * named-user ACL granting write is refused too.
 */
static int
check_dirs(const char *dir, uid_t owner, const char **why, char *bad,
    size_t badlen)
{
	char		 p[PATH_MAX];
	struct stat	 st;
	size_t		 len;
	const char	*s;

	len = strlen(dir);
	if (dir[0] != '/' || len >= sizeof(p)) {
		*why = "not an absolute path";
		snprintf(bad, badlen, "%s", dir);
		return -1;
	}
	/* "." and ".." would make the walk check other directories than
	 * the ones the kernel resolves. */
	for (s = dir; (s = strstr(s, "/.")) != NULL; s++) {
		if (s[2] == '/' || s[2] == '\0' ||
		    (s[2] == '.' && (s[3] == '/' || s[3] == '\0'))) {
			*why = "path has . or .. components";
			snprintf(bad, badlen, "%s", dir);
			return -1;
		}
	}
	memcpy(p, dir, len + 1);
	while (len > 1 && p[len - 1] == '/')
		p[--len] = '\0';
	for (;;) {
		if (lstat(p, &st) == -1) {
			*why = errno == ENOENT ? "directory missing" :
			    "cannot stat directory";
			snprintf(bad, badlen, "%s", p);
			return -1;
		}
		if (S_ISLNK(st.st_mode))
			*why = "symlink in directory path";
		else if (!S_ISDIR(st.st_mode))
			*why = "not a directory";
		else if (!trusted_uid(st.st_uid, owner))
			*why = "directory not owned by root";
		else if (st.st_mode & (S_IWGRP | S_IWOTH))
			*why = "directory writable by group or others";
		else
			*why = NULL;
		if (*why != NULL) {
			snprintf(bad, badlen, "%s", p);
			return -1;
		}
		if (len == 1)
			return 0;
		while (len > 1 && p[len - 1] != '/')
			len--;
		while (len > 1 && p[len - 1] == '/')
			len--;
		p[len] = '\0';
	}
}

/* The file itself; lstat: a symlink is refused, never followed. */
static int
check_file(const char *path, uid_t owner, const char **why)
{
	struct stat	st;

	if (lstat(path, &st) == -1) {
		*why = errno == ENOENT ? "missing" : "cannot stat";
		return -1;
	}
	if (S_ISLNK(st.st_mode))
		*why = "symlink";
	else if (!S_ISREG(st.st_mode))
		*why = "not a regular file";
	else if (!trusted_uid(st.st_uid, owner))
		*why = "not owned by root";
	else if (st.st_mode & (S_IWGRP | S_IWOTH))
		*why = "writable by group or others";
	else if (!(st.st_mode & S_IXUSR))
		*why = "not executable by its owner";
	else
		return 0;
	return -1;
}

static int
dir_of(const char *path, char *dir, size_t len)
{
	const char	*slash = strrchr(path, '/');

	if (slash == NULL || (size_t)(slash - path) + 2 > len)
		return -1;
	if (slash == path) {
		memcpy(dir, "/", 2);
		return 0;
	}
	memcpy(dir, path, (size_t)(slash - path));
	dir[slash - path] = '\0';
	return 0;
}

int
hooks_check(const char *path, uid_t owner, const char **why)
{
	char	dir[PATH_MAX], bad[PATH_MAX];

	if (path[0] != '/' || dir_of(path, dir, sizeof(dir)) == -1) {
		*why = "not an absolute path";
		return -1;
	}
	if (check_dirs(dir, owner, why, bad, sizeof(bad)) == -1)
		return -1;
	return check_file(path, owner, why);
}

void
hooks_set_init(struct hooks_set *set)
{
	memset(set, 0, sizeof(*set));
	set->out_cap = HOOKS_OUT_MAX;
}

static void
free_hooks(struct hooks_set *set)
{
	size_t	i;

	for (i = 0; i < set->n; i++) {
		free(set->v[i].name);
		free(set->v[i].path);
		free(set->v[i].undo_path);
		free(set->v[i].out);
	}
	free(set->v);
	set->v = NULL;
	set->n = 0;
	set->nrefused = 0;
}

/* Abandoned hooks (hooks.h): collect whichever have died since. */
static void
reap_lost(struct hooks_set *set)
{
	size_t	i = 0;

	while (i < set->nlost) {
		pid_t r = waitpid(set->lost[i], NULL, WNOHANG);

		if (r == set->lost[i] || (r == -1 && errno == ECHILD)) {
			log_info("event=hook-reaped pid=%ld",
			    (long)set->lost[i]);
			set->lost[i] = set->lost[--set->nlost];
		} else
			i++;
	}
}

void
hooks_set_free(struct hooks_set *set)
{
	free_hooks(set);
	reap_lost(set);
	set->nlost = 0;
}

static int
add_hook(struct hooks_set *set, size_t *cap, enum hooks_source src,
    const char *name, const char *path, const char *undo_path)
{
	struct hooks_hook	*h;

	if (set->n == *cap) {
		size_t	 ncap = *cap ? *cap * 2 : 8;
		void	*nv;

		if ((nv = reallocarray(set->v, ncap, sizeof(*set->v))) == NULL)
			return -1;
		set->v = nv;
		*cap = ncap;
	}
	h = &set->v[set->n];
	memset(h, 0, sizeof(*h));
	h->src = src;
	if ((h->name = strdup(name)) == NULL ||
	    (path != NULL && (h->path = strdup(path)) == NULL) ||
	    (undo_path != NULL && (h->undo_path = strdup(undo_path)) == NULL) ||
	    (h->out = malloc(set->out_cap)) == NULL) {
		free(h->name);
		free(h->path);
		free(h->undo_path);
		free(h->out);
		return -1;
	}
	set->n++;
	log_debug("event=hook-found hook=%s source=%s path=%s", name,
	    source_names[src], path != NULL ? path : undo_path);
	return 0;
}

static int
name_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void
refuse(struct hooks_set *set, const char *name, const char *path,
    const char *why)
{
	set->nrefused++;
	log_warnx("event=hook-refused hook=%s path=%s reason=\"%s\"", name,
	    path, why);
}

/* One directory source: entries in strcmp order, not recursive. */
static int
scan_dir(struct hooks_set *set, size_t *cap, enum hooks_source src,
    const char *dir, uid_t owner, const char *prefix)
{
	DIR		 *d;
	struct dirent	 *de;
	char		**names = NULL, bad[PATH_MAX], path[PATH_MAX];
	char		  name[NAME_MAX + 32];
	const char	 *why;
	size_t		  n = 0, ncap = 0, i;
	struct stat	  st;
	int		  rc = -1;

	if (lstat(dir, &st) == -1 && errno == ENOENT) {
		/* A source turned on with nothing installed is normal. */
		log_debug("event=hooks-dir-missing source=%s dir=%s",
		    source_names[src], dir);
		return 0;
	}
	if (check_dirs(dir, owner, &why, bad, sizeof(bad)) == -1) {
		set->nrefused++;
		log_warnx("event=hook-refused source=%s dir=%s at=%s "
		    "reason=\"%s\": none of its hooks will run",
		    source_names[src], dir, bad, why);
		return 0;
	}
	if ((d = opendir(dir)) == NULL) {
		set->nrefused++;
		log_warn("event=hook-refused source=%s dir=%s "
		    "reason=\"cannot open\"", source_names[src], dir);
		return 0;
	}
	while ((de = readdir(d)) != NULL) {
		if (hooks_ignored_name(de->d_name)) {
			if (strcmp(de->d_name, ".") != 0 &&
			    strcmp(de->d_name, "..") != 0)
				log_debug("event=hook-skipped source=%s dir=%s "
				    "name=%s reason=leftover",
				    source_names[src], dir, de->d_name);
			continue;
		}
		if (n == ncap) {
			size_t	 c = ncap ? ncap * 2 : 16;
			void	*nv;

			if ((nv = reallocarray(names, c, sizeof(*names))) ==
			    NULL)
				goto out;
			names = nv;
			ncap = c;
		}
		if ((names[n] = strdup(de->d_name)) == NULL)
			goto out;
		n++;
	}
	qsort(names, n, sizeof(*names), name_cmp);
	for (i = 0; i < n; i++) {
		snprintf(name, sizeof(name), "%s%s", prefix, names[i]);
		if ((size_t)snprintf(path, sizeof(path), "%s/%s", dir,
		    names[i]) >= sizeof(path)) {
			refuse(set, name, names[i], "path too long");
			continue;
		}
		if (check_file(path, owner, &why) == -1) {
			refuse(set, name, path, why);
			continue;
		}
		if (set->n >= HOOKS_MAX) {
			refuse(set, name, path, "too many hooks");
			continue;
		}
		if (add_hook(set, cap, src, name, path, path) == -1)
			goto out;
	}
	rc = 0;
out:
	closedir(d);
	for (i = 0; i < n; i++)
		free(names[i]);
	free(names);
	return rc;
}

/*
 * The legacy VMware pair is one slot (hooks.h): a missing script leaves
 * its half empty; a refused one is logged and left empty too.
 */
static int
scan_legacy(struct hooks_set *set, size_t *cap, const char *pre,
    const char *post, uid_t owner)
{
	const char	*p[2] = { pre, post }, *use[2] = { NULL, NULL };
	const char	*why;
	struct stat	 st;
	int		 i;

	for (i = 0; i < 2; i++) {
		if (p[i] == NULL || (lstat(p[i], &st) == -1 &&
		    errno == ENOENT))
			continue;
		if (hooks_check(p[i], owner, &why) == -1) {
			refuse(set, "vmware-legacy", p[i], why);
			continue;
		}
		use[i] = p[i];
	}
	if (use[0] == NULL && use[1] == NULL)
		return 0;
	if (set->n >= HOOKS_MAX) {
		refuse(set, "vmware-legacy", use[0] ? use[0] : use[1],
		    "too many hooks");
		return 0;
	}
	return add_hook(set, cap, HOOKS_SRC_VMWARE_LEGACY, "vmware-legacy",
	    use[0], use[1]);
}

int
hooks_scan(struct hooks_set *set, const struct hooks_config *c)
{
	size_t	cap = 0;

	/* Forgetting hooks that still owe a thaw would break the pairing. */
	if (hooks_frozen_count(set) > 0) {
		errno = EBUSY;
		return -1;
	}
	/* Keep the abandoned pids: they are still ours to reap. */
	free_hooks(set);
	reap_lost(set);
	set->out_cap = c->out_cap ? c->out_cap : HOOKS_OUT_MAX;
	set->policy = c->policy;
	if (c->native_dir != NULL && scan_dir(set, &cap, HOOKS_SRC_NATIVE,
	    c->native_dir, c->owner, "") == -1)
		goto fail;
	if (c->qga_dir != NULL && scan_dir(set, &cap, HOOKS_SRC_QGA,
	    c->qga_dir, c->owner, "qemu-ga/") == -1)
		goto fail;
	if ((c->vmware_pre != NULL || c->vmware_post != NULL) &&
	    scan_legacy(set, &cap, c->vmware_pre, c->vmware_post,
	    c->owner) == -1)
		goto fail;
	if (c->vmware_dir != NULL && scan_dir(set, &cap, HOOKS_SRC_VMWARE,
	    c->vmware_dir, c->owner, "vmware/") == -1)
		goto fail;
	log_info("event=hooks-scan hooks=%zu refused=%zu policy=%s", set->n,
	    set->nrefused, c->policy == HOOKS_POLICY_FAIL ? "fail" :
	    "continue");
	return 0;
fail:
	log_warn("event=hooks-scan result=fail");
	free_hooks(set);
	errno = ENOMEM;
	return -1;
}

size_t
hooks_frozen_count(const struct hooks_set *set)
{
	size_t	i, n = 0;

	for (i = 0; i < set->n; i++)
		if (set->v[i].freeze_started)
			n++;
	return n;
}

void
hooks_reset_results(struct hooks_set *set)
{
	size_t	i;

	for (i = 0; i < set->n; i++) {
		memset(set->v[i].r, 0, sizeof(set->v[i].r));
		set->v[i].out_used = 0;
	}
}

/* ---- logging, after thaw ------------------------------------------------ */

static void
log_output(const struct hooks_hook *h, const struct hooks_result *r,
    size_t cap)
{
	char		 line[LOG_CHUNK + 1];
	const char	*p = h->out + r->out_off, *end = p + r->out_len;
	size_t		 n = 0;
	int		 split = 0;

	while (p < end) {
		unsigned char c = (unsigned char)*p++;

		if (c == '\n' && n == 0 && split) {
			/* The newline ending a line cut at LOG_CHUNK. */
			split = 0;
			continue;
		}
		if (c != '\n') {
			/* Control bytes would forge or break log lines. */
			line[n++] = (c < 0x20 && c != '\t') || c == 0x7f ?
			    '?' : (char)c;
		}
		if (c == '\n' || n == LOG_CHUNK || p == end) {
			split = n == LOG_CHUNK;
			line[n] = '\0';
			log_info("event=hook-output hook=%s line=%s", h->name,
			    line);
			n = 0;
		}
	}
	if (r->out_dropped)
		log_warnx("event=hook-output hook=%s line=\"[truncated: %zu "
		    "bytes dropped, cap %zu bytes per hook and cycle]\"",
		    h->name, r->out_dropped, cap);
}

void
hooks_log_results(struct hooks_set *set)
{
	size_t	i;
	int	p;

	for (i = 0; i < set->n; i++) {
		struct hooks_hook *h = &set->v[i];

		for (p = 0; p < HOOKS_PHASE__MAX; p++) {
			struct hooks_result	*r = &h->r[p];
			char			 how[32];
			int			 ok;

			/* A running hook's result is not final: later. */
			if (r->status == HOOKS_ST_NOT_RUN ||
			    r->status == HOOKS_ST_RUNNING || r->logged)
				continue;
			ok = r->status == HOOKS_ST_OK ||
			    r->status == HOOKS_ST_EMPTY;
			if (r->status == HOOKS_ST_EMPTY)
				snprintf(how, sizeof(how), "script=none");
			else if (r->sig)
				snprintf(how, sizeof(how), "signal=%d", r->sig);
			else if (r->status == HOOKS_ST_SPAWN_FAILED)
				snprintf(how, sizeof(how), "errno=%d", r->err);
			else
				snprintf(how, sizeof(how), "exit=%d", r->code);
			(ok ? log_info : log_warnx)("event=hook phase=%s "
			    "hook=%s source=%s result=%s %s pid=%ld ms=%.1f "
			    "out_bytes=%zu dropped=%zu", phase_names[p],
			    h->name, source_names[h->src],
			    status_names[r->status], how, (long)r->pid,
			    r->ns / 1e6, r->out_len, r->out_dropped);
			log_output(h, r, set->out_cap);
			r->logged = 1;
		}
	}
}

/* ---- running ------------------------------------------------------------ */

void
hookrun_init(struct hookrun *run)
{
	memset(run, 0, sizeof(*run));
	run->timer_id = HOOKS_TIMER;
	run->grace_ns = HOOKS_GRACE_NS;
	run->lost_ns = HOOKS_LOST_NS;
	run->cur = NO_HOOK;
	run->pid = -1;
	run->pidfd = -1;
	run->outfd = -1;
}

int
hookrun_busy(const struct hookrun *run)
{
	return run->busy;
}

static int
env_put(struct hookrun *run, size_t *off, size_t *slot, size_t limit,
    const char *fmt, ...) __attribute__((format(printf, 5, 6)));

static int
env_put(struct hookrun *run, size_t *off, size_t *slot, size_t limit,
    const char *fmt, ...)
{
	va_list	ap;
	int	n;

	if (*slot >= HOOKS_ENV_SLOTS - 1 || *off >= limit)
		return -1;
	va_start(ap, fmt);
	n = vsnprintf(run->envbuf + *off, limit - *off, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= limit - *off)
		return -1;
	run->envp[(*slot)++] = run->envbuf + *off;
	run->envp[*slot] = NULL;
	*off += (size_t)n + 1;
	return 0;
}

/*
 * HVVSS_MOUNTS: one mount point a line; a newline or backslash inside a
 * name is written as in mountinfo(5) (\012, \134) so the list stays
 * parseable.  What does not fit is cut at a whole line and flagged.
 */
static int
env_mounts(struct hookrun *run, size_t *off, size_t *slot, size_t limit,
    const struct hooks_env *env, int *truncated)
{
	static const char	 key[] = "HVVSS_MOUNTS=";
	char			*b = run->envbuf + *off, *start = b;
	size_t			 room = limit - *off, used, i;

	*truncated = 0;
	if (*slot >= HOOKS_ENV_SLOTS - 1 || room < sizeof(key))
		return -1;
	memcpy(b, key, sizeof(key) - 1);
	used = sizeof(key) - 1;
	for (i = 0; env != NULL && i < env->nmounts; i++) {
		const char	*m = env->mounts[i];
		size_t		 mark = used;

		if (m == NULL)
			continue;
		if (used != sizeof(key) - 1)
			b[used++] = '\n';
		for (; *m != '\0' && used + 5 < room; m++) {
			if (*m == '\n' || *m == '\\') {
				memcpy(b + used, *m == '\n' ? "\\012" : "\\134",
				    4);
				used += 4;
			} else
				b[used++] = *m;
		}
		if (*m != '\0') {
			used = mark;
			*truncated = 1;
			break;
		}
	}
	b[used++] = '\0';
	run->envp[(*slot)++] = start;
	run->envp[*slot] = NULL;
	*off += used;
	return 0;
}

/* The per-cycle part of the environment, built once per phase. */
static int
env_build(struct hookrun *run, const struct hooks_env *env)
{
	size_t	off = 0, slot = 0;
	size_t	limit = HOOKS_ENV_BYTES - 160;	/* room for per-hook vars */
	int	trunc;

	run->envp[0] = NULL;
	if (env_put(run, &off, &slot, limit,
	    "PATH=/usr/sbin:/usr/bin:/sbin:/bin") == -1 ||
	    env_put(run, &off, &slot, limit, "LANG=C") == -1 ||
	    env_put(run, &off, &slot, limit, "HVVSS_PHASE=%s",
	    phase_names[run->phase]) == -1 ||
	    env_put(run, &off, &slot, limit, "HVVSS_CYCLE=%.128s",
	    env != NULL && env->cycle != NULL ? env->cycle : "") == -1)
		return -1;
	if (env != NULL && env->reason != NULL && env_put(run, &off, &slot,
	    limit, "HVVSS_REASON=%.32s", env->reason) == -1)
		return -1;
	if (env_mounts(run, &off, &slot, limit, env, &trunc) == -1)
		return -1;
	if (trunc && env_put(run, &off, &slot, HOOKS_ENV_BYTES,
	    "HVVSS_MOUNTS_TRUNCATED=1") == -1)
		return -1;
	run->env_fixed = off;
	run->nenv_fixed = slot;
	return 0;
}

static int
env_deadline(struct hookrun *run, uint64_t now)
{
	size_t	off = run->env_fixed, slot = run->nenv_fixed;

	if (env_put(run, &off, &slot, HOOKS_ENV_BYTES, "HVVSS_DEADLINE=%llu",
	    (unsigned long long)((run->deadline - now) / 1000000000ull)) ==
	    -1 || env_put(run, &off, &slot, HOOKS_ENV_BYTES,
	    "HVVSS_DEADLINE_MONO_NS=%llu",
	    (unsigned long long)run->deadline) == -1)
		return -1;
	return 0;
}

/* Async-signal-safe: the child runs only such code between fork and exec. */
static void
child_msg(const char *what, int err)
{
	char	buf[96], num[12];
	size_t	n = 0, k = 0, l = strlen(what);

	if (l > 60)
		l = 60;
	memcpy(buf, "hvvss: cannot ", 14);
	n = 14;
	memcpy(buf + n, what, l);
	n += l;
	memcpy(buf + n, ": errno ", 8);
	n += 8;
	do {
		num[k++] = (char)('0' + err % 10);
		err /= 10;
	} while (err > 0 && k < sizeof(num));
	while (k > 0)
		buf[n++] = num[--k];
	buf[n++] = '\n';
	(void)!write(STDERR_FILENO, buf, n);
}

static void
close_from(int lowfd)
{
	struct rlimit	rl;
	int		fd, max = 65536;

#ifdef SYS_close_range
	if (syscall(SYS_close_range, (unsigned)lowfd, ~0U, 0) == 0)
		return;
#endif
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < 65536)
		max = (int)rl.rlim_cur;
	for (fd = lowfd; fd < max; fd++)
		(void)close(fd);
}

static _Noreturn void
child(char *const argv[], char *const envp[], int wfd)
{
	struct sigaction	sa;
	sigset_t		ss;
	char			*sh[5];
	int			sig, fd;

	/* Its own group first, so the parent's kill(-pgid) reaches every
	 * process the hook starts (the parent calls setpgid too: whichever
	 * runs first closes the race). */
	(void)setpgid(0, 0);
	/* The daemon blocks SIGTERM and friends for its signalfd; a hook
	 * must be killable by our own SIGTERM, and must not inherit
	 * ignored dispositions either. */
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = SIG_DFL;
	sigemptyset(&sa.sa_mask);
	for (sig = 1; sig < NSIG; sig++) {
		/*
		 * Ignoring first discards a signal that is pending on us: the
		 * daemon blocks SIGTERM for its signalfd, so a signal sent to
		 * its group between fork() and setpgid() would otherwise kill
		 * the hook the moment we unblock it, before it ran.
		 */
		if (sig != SIGKILL && sig != SIGSTOP) {
			struct sigaction ign;

			memset(&ign, 0, sizeof(ign));
			ign.sa_handler = SIG_IGN;
			(void)sigaction(sig, &ign, NULL);
		}
		if (sigaction(sig, &sa, NULL) == 0 || errno != EINVAL)
			continue;
#ifdef __linux__
		{
			/*
			 * glibc keeps its own two real-time signals out of
			 * sigaction(); a parent that ignored them (GNU make
			 * does) would hand that on to the hook.  A zeroed
			 * kernel sigaction is SIG_DFL with no flags or mask in
			 * every architecture's layout.
			 */
			unsigned long	ksa[4] = { 0, 0, 0, 0 };

			(void)syscall(SYS_rt_sigaction, sig, ksa, NULL,
			    (size_t)8);
		}
#endif
	}
	sigemptyset(&ss);
	(void)sigprocmask(SIG_SETMASK, &ss, NULL);
	if (wfd < 3 && (wfd = fcntl(wfd, F_DUPFD, 3)) == -1)
		_exit(127);
	if ((fd = open("/dev/null", O_RDONLY)) == -1) {
		(void)dup2(wfd, STDERR_FILENO);
		child_msg("open /dev/null", errno);
		_exit(127);
	}
	if (fd != STDIN_FILENO && dup2(fd, STDIN_FILENO) == -1)
		_exit(127);
	if (dup2(wfd, STDOUT_FILENO) == -1 || dup2(wfd, STDERR_FILENO) == -1)
		_exit(127);
	/* Nothing of the daemon's: not the device, not a frozen mount's fd,
	 * not the guardian's pipe (qemu-ga learnt this, C2 item 12). */
	close_from(3);
	if (chdir("/") == -1)
		_exit(127);
	(void)umask(022);
	execve(argv[0], argv, envp);
	if (errno == ENOEXEC) {
		/* No #! and not ELF: what execvp(3) and the other agents'
		 * shells do. */
		sh[0] = sh_path;
		sh[1] = argv[0];
		sh[2] = argv[1];
		sh[3] = NULL;
		execve(sh_path, sh, envp);
	}
	child_msg("execute hook", errno);
	_exit(127);
}

static void	arm_timer(struct hookrun *, uint64_t now);
static void	on_timer(void *);
static void	advance(struct hookrun *);

static struct hooks_result *
cur_result(struct hookrun *run)
{
	return &run->set->v[run->cur].r[run->phase];
}

/*
 * Read what the hook wrote, into its buffer up to the cap, then into a
 * scratch buffer that is thrown away: a pipe nobody reads would block the
 * hook until its deadline (AZ's safefreeze pipe, prior-art.md B2 item 14).
 * Bounded per call so a flooding hook cannot starve the loop.
 */
static void
drain(struct hookrun *run)
{
	struct hooks_hook	*h = &run->set->v[run->cur];
	struct hooks_result	*r = cur_result(run);
	char			 scratch[4096];
	int			 i;

	if (run->outfd == -1)
		return;
	for (i = 0; i < READS_PER_CB; i++) {
		size_t	room = run->set->out_cap - h->out_used;
		ssize_t	n;

		if (room > 0)
			n = read(run->outfd, h->out + h->out_used, room);
		else
			n = read(run->outfd, scratch, sizeof(scratch));
		if (n > 0) {
			if (room > 0) {
				h->out_used += (size_t)n;
				r->out_len += (size_t)n;
			} else
				r->out_dropped += (size_t)n;
			continue;
		}
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return;
		/* End of file (every writer gone) or an error: done with it. */
		ev_io_del(run->ev, run->outfd);
		close(run->outfd);
		run->outfd = -1;
		return;
	}
}

static void
on_out(void *arg, int fd, short revents)
{
	struct hookrun	*run = arg;

	(void)fd;
	(void)revents;
	if (run->cur != NO_HOOK)
		drain(run);
}

static void
group_kill(pid_t pid, int sig)
{
	/* The group, and the leader itself in case it left the group. */
	(void)kill(-pid, sig);
	(void)kill(pid, sig);
}

static void
release_fds(struct hookrun *run)
{
	if (run->outfd != -1) {
		ev_io_del(run->ev, run->outfd);
		close(run->outfd);
		run->outfd = -1;
	}
	if (run->pidfd != -1) {
		ev_io_del(run->ev, run->pidfd);
		close(run->pidfd);
		run->pidfd = -1;
	}
}

static void
finish_later(struct hookrun *run)
{
	run->stage = RS_DONE;
	run->cur = NO_HOOK;
	ev_timer_set(run->ev, run->timer_id, ev_now(), on_timer, run);
}

/* The running hook is over (status known); the next, or the end. */
static void
hook_over(struct hookrun *run, enum hooks_status st)
{
	struct hooks_result	*r = cur_result(run);
	int			 failed;

	r->status = st;
	r->ns = ev_now() - r->start;
	release_fds(run);
	ev_timer_clear(run->ev, run->timer_id);
	run->pid = -1;
	failed = st != HOOKS_ST_OK && st != HOOKS_ST_EMPTY;
	if (failed)
		run->nfailed++;
	run->stage = RS_RUN;
	/* A failing freeze hook ends the freeze phase: the application
	 * behind the next hook is not quiesced for a backup that will not
	 * be application-consistent anyway, and the caller aborts the rest
	 * (hooks.h).  Undo phases run every hook whatever fails. */
	if (failed && run->phase == HOOKS_FREEZE) {
		finish_later(run);
		return;
	}
	run->cur = NO_HOOK;
	advance(run);
}

/*
 * Reap the running hook if it has exited.  Peek first (WNOWAIT): while it
 * is an unreaped zombie its pid, which is the group id, cannot be reused,
 * so after a deadline the rest of its group can be SIGKILLed safely.
 */
static int
try_reap(struct hookrun *run)
{
	struct hooks_result	*r = cur_result(run);
	enum hooks_status	 st;
	siginfo_t		 si;
	int			 status;
	pid_t			 w;

	memset(&si, 0, sizeof(si));
	if (waitid(P_PID, (id_t)run->pid, &si, WEXITED | WNOHANG | WNOWAIT)
	    == -1) {
		if (errno == EINTR)
			return 0;
		/* ECHILD: reaped behind our back (SIGCHLD ignored?). */
		r->code = -1;
		drain(run);
		hook_over(run, HOOKS_ST_EXIT);
		return 1;
	}
	if (si.si_pid == 0)
		return 0;
	if (run->stage >= RS_TERM)
		(void)kill(-run->pid, SIGKILL);
	do
		w = waitpid(run->pid, &status, WNOHANG);
	while (w == -1 && errno == EINTR);
	if (w != run->pid)
		status = 0x7f00;	/* cannot happen; counts as exit 127 */
	drain(run);
	r->code = -1;
	r->sig = 0;
	if (WIFEXITED(status))
		r->code = WEXITSTATUS(status);
	else if (WIFSIGNALED(status))
		r->sig = WTERMSIG(status);
	if (run->stage == RS_KILL)
		st = HOOKS_ST_KILLED;
	else if (run->stage == RS_TERM)
		st = HOOKS_ST_TIMEOUT;
	else if (r->sig)
		st = HOOKS_ST_SIGNALED;
	else
		st = r->code == 0 ? HOOKS_ST_OK : HOOKS_ST_EXIT;
	hook_over(run, st);
	return 1;
}

static void
on_pidfd(void *arg, int fd, short revents)
{
	struct hookrun	*run = arg;

	(void)fd;
	(void)revents;
	if (run->cur != NO_HOOK && run->pid != -1)
		(void)try_reap(run);
}

/* Without a pidfd or an io slot the timer also polls, every POLL_NS. */
static int
polling(const struct hookrun *run)
{
	return run->polled || run->pidfd == -1;
}

static void
arm_timer(struct hookrun *run, uint64_t now)
{
	uint64_t	when = run->stage_at;

	if (polling(run) && when > now + POLL_NS)
		when = now + POLL_NS;
	ev_timer_set(run->ev, run->timer_id, when, on_timer, run);
}

static void
finish_now(struct hookrun *run)
{
	hookrun_done_fn	 done = run->done;
	void		*arg = run->arg;
	enum hookrun_result res;

	res = run->nfailed == 0 ? HOOKRUN_OK :
	    run->set->policy == HOOKS_POLICY_FAIL ? HOOKRUN_FAILED :
	    HOOKRUN_DEGRADED;
	run->result = res;
	(res == HOOKRUN_OK ? log_info : log_warnx)("event=hook-phase "
	    "phase=%s ran=%zu failed=%zu owe_undo=%zu result=%s",
	    phase_names[run->phase], run->nran, run->nfailed,
	    hooks_frozen_count(run->set), result_names[res]);
	run->busy = 0;
	run->stage = RS_IDLE;
	run->done = NULL;
	run->arg = NULL;
	/* Last: the callback may start the next phase on this run. */
	if (done != NULL)
		done(arg, res);
}

static void
on_timer(void *arg)
{
	struct hookrun		*run = arg;
	struct hooks_hook	*h;
	uint64_t		 now;

	if (run->stage == RS_DONE) {
		finish_now(run);
		return;
	}
	if (run->cur == NO_HOOK || run->pid == -1)
		return;
	h = &run->set->v[run->cur];
	if (polling(run)) {
		if (run->outfd >= 0)
			drain(run);
		if (try_reap(run))
			return;
	}
	now = ev_now();
	if (now < run->stage_at) {
		arm_timer(run, now);
		return;
	}
	switch (run->stage) {
	case RS_RUN:
		/* SIGCONT too: a stopped hook would never see the TERM. */
		group_kill(run->pid, SIGTERM);
		group_kill(run->pid, SIGCONT);
		log_warnx("event=hook-deadline phase=%s hook=%s pid=%ld "
		    "signal=TERM grace_ms=%llu", phase_names[run->phase],
		    h->name, (long)run->pid,
		    (unsigned long long)(run->grace_ns / 1000000));
		run->stage = RS_TERM;
		run->stage_at = now + run->grace_ns;
		break;
	case RS_TERM:
		group_kill(run->pid, SIGKILL);
		log_warnx("event=hook-deadline phase=%s hook=%s pid=%ld "
		    "signal=KILL", phase_names[run->phase], h->name,
		    (long)run->pid);
		run->stage = RS_KILL;
		run->stage_at = now + run->lost_ns;
		break;
	default:
		if (try_reap(run))	/* died just now: killed, not lost */
			return;
		/* Stuck in the kernel (a D state on a frozen filesystem, a
		 * dead NFS server): the phase must not wait on it (B1 item
		 * 12).  It stays on the lost list to be reaped later. */
		log_warnx("event=hook-lost phase=%s hook=%s pid=%ld "
		    "reason=\"did not die after SIGKILL\"",
		    phase_names[run->phase], h->name, (long)run->pid);
		if (run->set->nlost < HOOKS_MAX_LOST)
			run->set->lost[run->set->nlost++] = run->pid;
		if (run->outfd >= 0)
			drain(run);
		hook_over(run, HOOKS_ST_LOST);
		return;
	}
	arm_timer(run, now);
}

static int
spawn(struct hookrun *run, struct hooks_hook *h, char *path)
{
	struct hooks_result	*r = &h->r[run->phase];
	uint64_t		 now;
	int			 p[2] = { -1, -1 };
	pid_t			 pid;

	if (pipe2(p, O_CLOEXEC) == -1)
		return -1;
	/* Only our end non-blocking: the hook's stdout stays blocking. */
	if (fcntl(p[0], F_SETFL, O_NONBLOCK) == -1)
		goto fail;
	now = ev_now();
	run->deadline = now + run->per_hook_ns;
	if (env_deadline(run, now) == -1) {
		errno = E2BIG;
		goto fail;
	}
	run->argv[0] = path;
	run->argv[1] = phase_args[h->src][run->phase];
	run->argv[2] = NULL;
	if ((pid = fork()) == -1)
		goto fail;
	if (pid == 0)
		child(run->argv, run->envp, p[1]);
	close(p[1]);
	(void)setpgid(pid, pid);	/* EACCES once it exec'd: fine */
	run->pid = pid;
	r->pid = pid;
	r->start = now;
	run->nran++;
	run->outfd = p[0];
	run->polled = 0;
	run->stage = RS_RUN;
	run->stage_at = run->deadline;
#ifdef SYS_pidfd_open
	run->pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
#else
	run->pidfd = -1;
#endif
	if (run->pidfd != -1 &&
	    ev_io_add(run->ev, run->pidfd, POLLIN, on_pidfd, run) == -1) {
		close(run->pidfd);
		run->pidfd = -1;
	}
	if (ev_io_add(run->ev, run->outfd, POLLIN, on_out, run) == -1) {
		/* No slot: the timer reads it, see polling(). */
		log_warnx("event=hook-ev-full hook=%s: polling", h->name);
		run->polled = 1;
		if (run->pidfd != -1) {
			ev_io_del(run->ev, run->pidfd);
			close(run->pidfd);
			run->pidfd = -1;
		}
	}
	log_debug("event=hook-start phase=%s hook=%s pid=%ld deadline_ms=%llu",
	    phase_names[run->phase], h->name, (long)pid,
	    (unsigned long long)(run->per_hook_ns / 1000000));
	arm_timer(run, now);
	return 0;
fail:
	r->err = errno;
	close(p[0]);
	if (p[1] != -1)
		close(p[1]);
	return -1;
}

/* Index of the next hook of the phase, or NO_HOOK. */
static size_t
pick(struct hookrun *run)
{
	struct hooks_set	*set = run->set;

	if (run->phase == HOOKS_THAW || run->phase == HOOKS_ABORT) {
		/* Exact reverse of the freeze order, only those owed. */
		while (run->next > 0) {
			size_t	i = --run->next;

			if (set->v[i].freeze_started)
				return i;
		}
		return NO_HOOK;
	}
	while (run->next < set->n) {
		size_t	i = run->next++;

		if (phase_args[set->v[i].src][run->phase] != NULL)
			return i;
	}
	return NO_HOOK;
}

/* Start hooks until one runs, or the phase is over. */
static void
advance(struct hookrun *run)
{
	for (;;) {
		struct hooks_hook	*h;
		struct hooks_result	*r;
		char			*path;
		size_t			 i;
		int			 undo;

		if ((i = pick(run)) == NO_HOOK) {
			finish_later(run);
			return;
		}
		h = &run->set->v[i];
		r = &h->r[run->phase];
		undo = run->phase == HOOKS_THAW || run->phase == HOOKS_ABORT;
		path = undo ? h->undo_path : h->path;
		memset(r, 0, sizeof(*r));
		r->pid = -1;
		r->code = -1;
		r->status = HOOKS_ST_RUNNING;
		r->out_off = h->out_used;
		r->start = ev_now();
		run->cur = i;
		/* Owed from the moment it starts (hooks.h), and paid from the
		 * moment its undo starts: never twice (B4 item 33). */
		if (run->phase == HOOKS_FREEZE)
			h->freeze_started = 1;
		else if (undo)
			h->freeze_started = 0;
		if (path == NULL) {
			r->status = HOOKS_ST_EMPTY;
			run->cur = NO_HOOK;
			continue;
		}
		if (spawn(run, h, path) == 0)
			return;
		log_warnx("event=hook-spawn-failed phase=%s hook=%s errno=%d",
		    phase_names[run->phase], h->name, r->err);
		if (run->phase == HOOKS_FREEZE)
			h->freeze_started = 0;	/* it never ran */
		hook_over(run, HOOKS_ST_SPAWN_FAILED);
		return;
	}
}

int
hookrun_start(struct hookrun *run, struct ev *ev, struct hooks_set *set,
    enum hooks_phase phase, const struct hooks_env *env, uint64_t per_hook_ns,
    hookrun_done_fn done, void *arg)
{
	if (run->busy) {
		errno = EBUSY;
		return -1;
	}
	if ((int)phase < 0 || phase >= HOOKS_PHASE__MAX) {
		errno = EINVAL;
		return -1;
	}
	/* A second freeze before the first was undone would lose track of
	 * who owes what. */
	if (phase == HOOKS_FREEZE && hooks_frozen_count(set) > 0) {
		errno = EBUSY;
		return -1;
	}
	reap_lost(set);
	run->ev = ev;
	run->set = set;
	run->phase = phase;
	run->done = done;
	run->arg = arg;
	run->per_hook_ns = per_hook_ns;
	run->nran = 0;
	run->nfailed = 0;
	run->result = HOOKRUN_OK;
	run->cur = NO_HOOK;
	run->pid = -1;
	run->pidfd = -1;
	run->outfd = -1;
	if (env_build(run, env) == -1) {
		errno = E2BIG;
		return -1;
	}
	run->next = phase == HOOKS_THAW || phase == HOOKS_ABORT ? set->n : 0;
	run->busy = 1;
	run->stage = RS_RUN;
	advance(run);
	return 0;
}

void
hookrun_cancel(struct hookrun *run)
{
	if (!run->busy)
		return;
	ev_timer_clear(run->ev, run->timer_id);
	if (run->pid != -1) {
		struct hooks_result *r = cur_result(run);

		group_kill(run->pid, SIGKILL);
		release_fds(run);
		/* Never wait here: it may be stuck in the kernel. */
		if (waitpid(run->pid, NULL, WNOHANG) != run->pid &&
		    run->set->nlost < HOOKS_MAX_LOST)
			run->set->lost[run->set->nlost++] = run->pid;
		r->status = HOOKS_ST_CANCELED;
		r->ns = ev_now() - r->start;
		run->pid = -1;
	}
	log_warnx("event=hook-phase phase=%s result=canceled",
	    phase_names[run->phase]);
	run->cur = NO_HOOK;
	run->busy = 0;
	run->stage = RS_IDLE;
	run->done = NULL;
	run->arg = NULL;
}
