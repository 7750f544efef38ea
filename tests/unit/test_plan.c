/*
 * test_plan.c: the freeze planner against the mountinfo fixtures (golden
 * plans plus explicit checks), the policy, a 5,000-bind-mount container
 * host, and deterministic mutations of tables and facts.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "facts.h"
#include "mountinfo.h"
#include "mutate.h"
#include "plan.h"

/* ---- helpers ---- */

static char *
fixture_path(const char *name, const char *ext)
{
	const char	*src = getenv("HVVSS_SRCDIR");
	char		*p;

	if (asprintf(&p, "%s/tests/fixtures/mountinfo/%s%s",
	    src != NULL ? src : ".", name, ext) == -1)
		abort();
	return p;
}

/* The file's bytes (NUL-terminated for convenience), or NULL. */
static char *
slurp(const char *path, size_t *lenp)
{
	FILE	*fp;
	char	*buf;
	long	 len;

	if ((fp = fopen(path, "rb")) == NULL)
		return NULL;
	if (fseek(fp, 0, SEEK_END) == -1 || (len = ftell(fp)) < 0 ||
	    fseek(fp, 0, SEEK_SET) == -1)
		abort();
	if ((buf = malloc((size_t)len + 1)) == NULL)
		abort();
	if (fread(buf, 1, (size_t)len, fp) != (size_t)len)
		abort();
	buf[len] = '\0';
	fclose(fp);
	*lenp = (size_t)len;
	return buf;
}

struct fx {
	char		*text;
	size_t		 len;
	struct mi_table	 t;
	struct facts	 f;
	int		 has_facts;
	struct plan	 p;
};

static void
fx_free(struct fx *x)
{
	free(x->text);
	mi_free(&x->t);
	facts_free(&x->f);
	plan_free(&x->p);
}

static char *
render(const struct plan *p, const struct mi_table *t)
{
	size_t	 n;
	char	*buf;

	n = plan_render(p, t, NULL, 0);
	if ((buf = malloc(n + 1)) == NULL)
		abort();
	assert_int_equal(plan_render(p, t, buf, n + 1), n);
	assert_int_equal(strlen(buf), n);
	return buf;
}

/*
 * Every invariant a caller may rely on.  Returns 0 or a short description
 * (tests print it; the mutation runs count it).
 */
static const char *
plan_check(const struct plan *p, const struct mi_table *t)
{
	size_t	 i, j, nf = 0, ns = 0;
	int	 maxstage = -1;
	char	*seen;

	if (p->nitems != t->n)
		return "nitems";
	for (i = 0; i < p->nitems; i++) {
		const struct plan_item *it = &p->items[i];
		int pl = it->verdict == PV_FREEZE ||
		    it->verdict == PV_SYNC_ONLY;

		if (it->mi != i || (int)it->verdict < 0 ||
		    it->verdict >= PV__MAX || it->why == NULL)
			return "item";
		if ((it->verdict == PV_DUPLICATE) != (it->dup_of != PLAN_NONE))
			return "dup_of set iff duplicate";
		if (it->dup_of != PLAN_NONE) {
			const struct plan_item *r;

			if (it->dup_of >= p->nitems || it->dup_of == i)
				return "dup_of range";
			r = &p->items[it->dup_of];
			if (r->verdict == PV_DUPLICATE ||
			    r->verdict == PV_SHADOWED ||
			    t->v[r->mi].major != t->v[i].major ||
			    t->v[r->mi].minor != t->v[i].minor)
				return "dup_of target";
		}
		if (pl != (it->stage >= 0))
			return "stage iff planned";
		if (it->stage > maxstage)
			maxstage = it->stage;
		if (it->before != PLAN_NONE) {
			const struct plan_item *b;

			if (!pl || it->before >= p->nitems)
				return "before range";
			b = &p->items[it->before];
			if ((b->verdict != PV_FREEZE &&
			    b->verdict != PV_SYNC_ONLY) ||
			    b->stage <= it->stage)
				return "before stage";
		}
		nf += it->verdict == PV_FREEZE;
		ns += it->verdict == PV_SYNC_ONLY;
	}
	if (p->nstages != maxstage + 1)
		return "nstages";
	if (p->norder != nf || p->nsync != ns)
		return "order counts";
	if ((seen = calloc(p->nitems + 1, 1)) == NULL)
		abort();
	for (j = 0; j < p->norder + p->nsync; j++) {
		size_t k = j < p->norder ? p->order[j] :
		    p->sync[j - p->norder];
		enum plan_verdict want = j < p->norder ? PV_FREEZE :
		    PV_SYNC_ONLY;
		const size_t *v = j < p->norder ? p->order : p->sync;
		size_t jj = j < p->norder ? j : j - p->norder;

		if (k >= p->nitems || seen[k] || p->items[k].verdict != want) {
			free(seen);
			return "order entries";
		}
		seen[k] = 1;
		if (jj > 0 && p->items[v[jj - 1]].stage > p->items[k].stage) {
			free(seen);
			return "order stages";
		}
	}
	free(seen);
	return NULL;
}

/* Load NAME.txt (+ NAME.facts) and build with the given policy. */
static int
fx_load(struct fx *x, const char *name, const struct plan_policy *pol,
    struct mi_error *mie)
{
	char	*path, *ftext;
	size_t	 flen;

	memset(x, 0, sizeof(*x));
	path = fixture_path(name, ".txt");
	x->text = slurp(path, &x->len);
	if (x->text == NULL)
		fail_msg("cannot read %s: %s", path, strerror(errno));
	free(path);
	if (mi_parse(x->text, x->len, &x->t, mie) == -1)
		return -1;
	path = fixture_path(name, ".facts");
	if ((ftext = slurp(path, &flen)) != NULL) {
		if (facts_parse(ftext, flen, &x->f) == -1)
			fail_msg("%s: facts_parse failed", path);
		x->has_facts = 1;
		free(ftext);
	}
	free(path);
	if (plan_build(&x->t, x->has_facts ? &x->f : NULL, pol, &x->p) == -1)
		return -2;
	return 0;
}

/* Build the fixture and compare the rendered plan with NAME.plan. */
static void
golden(const char *name, struct fx *x)
{
	struct mi_error	 mie;
	const char	*bad;
	char		*got, *path, *want;
	size_t		 wlen;
	int		 r;

	r = fx_load(x, name, NULL, &mie);
	if (r == -1) {
		if (asprintf(&got, "error mi %s line %zu\n",
		    mi_err_name(mie.code), mie.line) == -1)
			abort();
	} else if (r == -2) {
		if (asprintf(&got, "error plan %s item %zu\n",
		    plan_err_name(x->p.err), x->p.err_item) == -1)
			abort();
	} else {
		if ((bad = plan_check(&x->p, &x->t)) != NULL)
			fail_msg("%s: inconsistent plan: %s", name, bad);
		got = render(&x->p, &x->t);
	}
	path = fixture_path(name, ".plan");
	if (getenv("HVVSS_UPDATE_GOLDEN") != NULL) {
		FILE *fp = fopen(path, "w");

		if (fp == NULL || fputs(got, fp) == EOF || fclose(fp) != 0)
			fail_msg("cannot write %s", path);
	}
	if ((want = slurp(path, &wlen)) == NULL)
		fail_msg("cannot read %s", path);
	if (strcmp(got, want) != 0) {
		fprintf(stderr, "--- %s: expected\n%s--- got\n%s", path, want,
		    got);
		fail_msg("%s differs from the plan", path);
	}
	free(want);
	free(path);
	free(got);
}

/* Index of the nth (0-based) mount on path, or fail. */
static size_t
mnt_idx(const struct mi_table *t, const char *mnt, int nth)
{
	size_t	 i;

	for (i = 0; i < t->n; i++)
		if (strcmp(t->v[i].mnt, mnt) == 0 && nth-- == 0)
			return i;
	fail_msg("no mount %s", mnt);
	return 0;
}

static void
want_verdict(const struct fx *x, const char *mnt, enum plan_verdict v)
{
	size_t	 i = mnt_idx(&x->t, mnt, 0);

	if (x->p.items[i].verdict != v)
		fail_msg("%s: verdict %s, want %s", mnt,
		    plan_verdict_name((int)x->p.items[i].verdict),
		    plan_verdict_name((int)v));
}

/* The exact freeze order, as mount points; NULL-terminated. */
static void
want_order(const struct fx *x, ...)
{
	va_list		 ap;
	const char	*m;
	size_t		 i = 0;

	va_start(ap, x);
	while ((m = va_arg(ap, const char *)) != NULL) {
		if (i >= x->p.norder)
			fail_msg("order too short at %s", m);
		if (strcmp(x->t.v[x->p.items[x->p.order[i]].mi].mnt, m) != 0)
			fail_msg("order[%zu] is %s, want %s", i,
			    x->t.v[x->p.items[x->p.order[i]].mi].mnt, m);
		i++;
	}
	va_end(ap);
	assert_int_equal(i, x->p.norder);
}

static int
stage_of(const struct fx *x, const char *mnt)
{
	return x->p.items[mnt_idx(&x->t, mnt, 0)].stage;
}

/* ---- fixtures ---- */

static void
t_debian_vm(void **state)
{
	struct fx	 x;

	(void)state;
	golden("debian-vm", &x);
	want_verdict(&x, "/", PV_FREEZE);
	want_verdict(&x, "/home", PV_FREEZE);
	want_verdict(&x, "/boot/efi", PV_SKIP_UNSUPPORTED);
	want_verdict(&x, "/tmp", PV_SKIP_PSEUDO);
	want_verdict(&x, "/proc", PV_SKIP_PSEUDO);
	want_verdict(&x, "/sys/fs/cgroup", PV_SKIP_PSEUDO);
	want_verdict(&x, "/proc/sys/fs/binfmt_misc", PV_SKIP_PSEUDO);
	want_verdict(&x, "/run/credentials/systemd-sysctl.service",
	    PV_SKIP_PSEUDO);
	/* "/" is listed after /sys, /proc, /dev and /run but frozen last. */
	want_order(&x, "/home", "/", NULL);
	assert_int_equal(x.p.nstages, 1);
	assert_int_equal(x.p.nsync, 0);
	fx_free(&x);
}

static void
t_btrfs(void **state)
{
	struct fx	 x;
	size_t		 root;

	(void)state;
	golden("btrfs-subvols", &x);
	root = mnt_idx(&x.t, "/", 0);
	want_verdict(&x, "/", PV_FREEZE);
	want_verdict(&x, "/home", PV_DUPLICATE);
	want_verdict(&x, "/var/log", PV_DUPLICATE);
	want_verdict(&x, "/.snapshots", PV_DUPLICATE);
	want_verdict(&x, "/home/alice/box-bind", PV_DUPLICATE);
	assert_int_equal(x.p.items[mnt_idx(&x.t, "/var/log", 0)].dup_of, root);
	want_verdict(&x, "/srv/data", PV_FREEZE);
	want_verdict(&x, "/srv/backup", PV_DUPLICATE);
	want_verdict(&x, "/boot", PV_FREEZE);
	want_verdict(&x, "/boot/efi", PV_SKIP_UNSUPPORTED);
	want_order(&x, "/srv/data", "/boot", "/", NULL);
	fx_free(&x);
}

static void
t_loop_in_loop(void **state)
{
	struct fx	 x;

	(void)state;
	golden("loop-in-loop", &x);
	/* As late as allowed: only /mnt/inner must come before /srv. */
	assert_int_equal(stage_of(&x, "/mnt/inner"), 0);
	assert_int_equal(stage_of(&x, "/mnt/b"), 1);
	assert_int_equal(stage_of(&x, "/boot"), 2);
	assert_int_equal(stage_of(&x, "/srv"), 1);
	assert_int_equal(stage_of(&x, "/"), 2);
	assert_int_equal(x.p.nstages, 3);
	assert_int_equal(x.p.items[mnt_idx(&x.t, "/mnt/inner", 0)].before,
	    mnt_idx(&x.t, "/srv", 0));
	/* "/srvbackup.img" is on "/", not on "/srv". */
	assert_int_equal(x.p.items[mnt_idx(&x.t, "/mnt/b", 0)].before,
	    mnt_idx(&x.t, "/", 0));
	want_order(&x, "/mnt/inner", "/mnt/b", "/srv", "/boot", "/", NULL);
	fx_free(&x);
}

static void
t_loop_in_loop_nofacts(void **state)
{
	struct fx	 x;
	struct mi_error	 mie;
	char		*path;

	(void)state;
	/* Without facts: reverse table order, one stage. */
	memset(&x, 0, sizeof(x));
	path = fixture_path("loop-in-loop", ".txt");
	x.text = slurp(path, &x.len);
	free(path);
	assert_non_null(x.text);
	assert_int_equal(mi_parse(x.text, x.len, &x.t, &mie), 0);
	assert_int_equal(plan_build(&x.t, NULL, NULL, &x.p), 0);
	assert_null(plan_check(&x.p, &x.t));
	want_order(&x, "/mnt/b", "/mnt/inner", "/srv", "/boot", "/", NULL);
	assert_int_equal(x.p.nstages, 1);
	fx_free(&x);
}

static void
t_zfs(void **state)
{
	struct fx	 x;
	size_t		 i;
	static const char *const sync[] = { "/var/log", "/home", "/boot",
	    "/" };

	(void)state;
	golden("zfs-root", &x);
	want_verdict(&x, "/", PV_SYNC_ONLY);
	want_verdict(&x, "/boot", PV_SYNC_ONLY);
	want_verdict(&x, "/home", PV_SYNC_ONLY);
	want_verdict(&x, "/srv", PV_SKIP_RDONLY);
	want_verdict(&x, "/boot/efi", PV_SKIP_UNSUPPORTED);
	want_verdict(&x, "/data", PV_FREEZE);
	want_order(&x, "/data", NULL);
	assert_int_equal(x.p.nsync, 4);
	for (i = 0; i < 4; i++)
		assert_string_equal(x.t.v[x.p.sync[i]].mnt, sync[i]);
	fx_free(&x);
}

static void
t_docker(void **state)
{
	struct fx	 x;

	(void)state;
	golden("docker-overlay", &x);
	want_verdict(&x, "/var/lib/docker", PV_FREEZE);
	want_verdict(&x, "/srv/pgdata", PV_DUPLICATE);
	want_verdict(&x, "/run/docker/netns/8d2f3a1c9b7e", PV_SKIP_PSEUDO);
	want_order(&x, "/var/lib/docker", "/", NULL);
	fx_free(&x);
}

static void
t_nfs_fuse(void **state)
{
	struct fx	 x;

	(void)state;
	golden("nfs-fuse", &x);
	want_verdict(&x, "/mnt/nfs", PV_REFUSE_NETWORK);
	want_verdict(&x, "/mnt/nfs3", PV_REFUSE_NETWORK);
	want_verdict(&x, "/mnt/smb", PV_REFUSE_NETWORK);
	want_verdict(&x, "/mnt/smb3", PV_REFUSE_NETWORK);
	want_verdict(&x, "/mnt/ceph", PV_REFUSE_NETWORK);
	want_verdict(&x, "/mnt/host", PV_REFUSE_NETWORK);
	want_verdict(&x, "/net", PV_SKIP_PSEUDO);
	want_verdict(&x, "/home/alice/remote", PV_REFUSE_FUSE);
	want_verdict(&x, "/run/user/1000/gvfs", PV_REFUSE_FUSE);
	want_verdict(&x, "/media/usb", PV_REFUSE_FUSE);
	want_verdict(&x, "/mnt/virtiofs", PV_REFUSE_FUSE);
	want_verdict(&x, "/mnt/gluster", PV_REFUSE_FUSE);
	want_verdict(&x, "/mnt/plainfuse", PV_REFUSE_FUSE);
	want_order(&x, "/srv", "/", NULL);
	fx_free(&x);
}

static void
t_ro_root(void **state)
{
	struct fx	 x;

	(void)state;
	golden("ro-root", &x);
	want_verdict(&x, "/", PV_SKIP_RDONLY);
	want_verdict(&x, "/data", PV_FREEZE);
	want_verdict(&x, "/srv/www", PV_DUPLICATE);
	/* per-mount ro, superblock rw: frozen */
	want_verdict(&x, "/srv/archive", PV_FREEZE);
	/* per-mount rw, superblock ro: skipped */
	want_verdict(&x, "/mnt/rosb", PV_SKIP_RDONLY);
	want_verdict(&x, "/mnt/cdrom", PV_SKIP_PSEUDO);
	want_verdict(&x, "/data/etc-ro", PV_DUPLICATE);
	want_order(&x, "/srv/archive", "/data", NULL);
	fx_free(&x);
}

static void
t_hyperv_lvm(void **state)
{
	struct fx	 x;

	(void)state;
	golden("hyperv-lvm", &x);
	want_verdict(&x, "/boot/efi", PV_SKIP_UNSUPPORTED);
	want_verdict(&x, "/media/usb", PV_SKIP_UNSUPPORTED);
	want_verdict(&x, "/media/mac", PV_SKIP_UNSUPPORTED);
	want_verdict(&x, "/media/win", PV_SKIP_UNSUPPORTED);
	want_verdict(&x, "/opt/odd", PV_FREEZE);
	/* LVM on a plain partition: no edges, one stage */
	assert_int_equal(x.p.nstages, 1);
	want_order(&x, "/opt/odd", "/home", "/boot", "/", NULL);
	fx_free(&x);
}

static void
t_hyperv_lvm_nounknown(void **state)
{
	struct plan_policy	 pol = { NULL, NULL, 0 };
	struct fx		 x;

	(void)state;
	assert_int_equal(fx_load(&x, "hyperv-lvm", &pol, NULL), 0);
	want_verdict(&x, "/opt/odd", PV_SKIP_UNSUPPORTED);
	want_order(&x, "/home", "/boot", "/", NULL);
	fx_free(&x);
}

static void
t_escaped(void **state)
{
	struct fx	 x;

	(void)state;
	golden("escaped-names", &x);
	want_verdict(&x, "/mnt/my disk", PV_FREEZE);
	want_verdict(&x, "/mnt/tab\tdir", PV_FREEZE);
	want_verdict(&x, "/mnt/new\nline", PV_FREEZE);
	want_verdict(&x, "/mnt/back\\slash", PV_FREEZE);
	want_verdict(&x, "/media/USB STICK", PV_SKIP_UNSUPPORTED);
	want_verdict(&x, "/mnt/ctl\001char", PV_FREEZE);
	assert_string_equal(x.t.v[mnt_idx(&x.t, "/srv/bind of sub", 0)].root,
	    "/sub dir");
	assert_string_equal(x.t.v[mnt_idx(&x.t, "/mnt/label", 0)].source,
	    "my tmp");
	/* the image "/mnt/my disk/images/inner fs.img" is on "/mnt/my disk" */
	assert_int_equal(stage_of(&x, "/mnt/my disk/inner fs"), 0);
	assert_int_equal(stage_of(&x, "/mnt/my disk"), 1);
	assert_int_equal(x.p.items[mnt_idx(&x.t, "/mnt/my disk/inner fs",
	    0)].before, mnt_idx(&x.t, "/mnt/my disk", 0));
	fx_free(&x);
}

static void
t_dm_on_loop(void **state)
{
	struct fx	 x;

	(void)state;
	golden("dm-on-loop", &x);
	assert_int_equal(stage_of(&x, "/mnt/lvm"), 0);
	assert_int_equal(stage_of(&x, "/mnt/stripe"), 0);
	assert_int_equal(stage_of(&x, "/mnt/p1"), 0);
	assert_int_equal(stage_of(&x, "/mnt/bt"), 0);
	assert_int_equal(stage_of(&x, "/mnt/crypt"), 0);
	assert_int_equal(stage_of(&x, "/data"), 1);
	assert_int_equal(stage_of(&x, "/scratch"), 1);
	assert_int_equal(stage_of(&x, "/"), 1);
	want_order(&x, "/mnt/crypt", "/mnt/bt", "/mnt/p1", "/mnt/stripe",
	    "/mnt/lvm", "/scratch", "/data", "/", NULL);
	fx_free(&x);
}

static void
t_shadowed(void **state)
{
	struct fx	 x;

	(void)state;
	golden("shadowed", &x);
	assert_int_equal(x.p.items[mnt_idx(&x.t, "/mnt", 0)].verdict,
	    PV_SHADOWED);
	assert_int_equal(x.p.items[mnt_idx(&x.t, "/mnt", 1)].verdict,
	    PV_FREEZE);
	/* over-mounting /data hides the old /data and its child /data/sub */
	assert_int_equal(x.p.items[mnt_idx(&x.t, "/data", 0)].verdict,
	    PV_SHADOWED);
	want_verdict(&x, "/data/sub", PV_SHADOWED);
	assert_int_equal(x.p.items[mnt_idx(&x.t, "/data", 1)].verdict,
	    PV_FREEZE);
	/* /srv is covered by a tmpfs, but its sb is reachable elsewhere */
	assert_int_equal(x.p.items[mnt_idx(&x.t, "/srv", 0)].verdict,
	    PV_DUPLICATE);
	assert_int_equal(x.p.items[mnt_idx(&x.t, "/srv", 0)].dup_of,
	    mnt_idx(&x.t, "/export/srv", 0));
	want_verdict(&x, "/export/srv", PV_FREEZE);
	/* mount --move put the older mount on top of the newer one */
	assert_int_equal(x.p.items[mnt_idx(&x.t, "/opt", 0)].verdict,
	    PV_FREEZE);
	assert_int_equal(x.p.items[mnt_idx(&x.t, "/opt", 1)].verdict,
	    PV_SHADOWED);
	/* the same sb twice on one path: the later copy is the visible one */
	assert_int_equal(x.p.items[mnt_idx(&x.t, "/var/tmp", 0)].verdict,
	    PV_DUPLICATE);
	assert_int_equal(x.p.items[mnt_idx(&x.t, "/var/tmp", 1)].verdict,
	    PV_FREEZE);
	fx_free(&x);
}

static void
t_loop_tmpfs(void **state)
{
	struct fx	 x;
	size_t		 i;

	(void)state;
	golden("loop-tmpfs", &x);
	for (i = 0; i < x.p.nitems; i++)
		if (x.p.items[i].verdict == PV_FREEZE &&
		    strcmp(x.t.v[i].mnt, "/mnt/deleted") != 0)
			assert_int_equal(x.p.items[i].before, PLAN_NONE);
	want_verdict(&x, "/snap/core22/1122", PV_SKIP_PSEUDO);
	want_verdict(&x, "/ro", PV_SKIP_RDONLY);
	/* "/var/tmp/gone.img (deleted)" still lives on "/" */
	assert_int_equal(stage_of(&x, "/mnt/deleted"), 0);
	assert_int_equal(stage_of(&x, "/"), 1);
	want_order(&x, "/mnt/deleted", "/mnt/onro", "/mnt/rel", "/mnt/d",
	    "/mnt/n", "/mnt/s", "/mnt/t", "/", NULL);
	fx_free(&x);
}

static void
t_pivoted_root(void **state)
{
	struct fx	 x;

	(void)state;
	golden("pivoted-root", &x);
	want_order(&x, "/home", "/data/sub", "/data", "/", NULL);
	fx_free(&x);
}

static void
t_cycle(void **state)
{
	struct fx	 x;

	(void)state;
	golden("cycle", &x);
	assert_int_equal(x.p.err, PLAN_E_CYCLE);
	assert_null(x.p.items);
	assert_null(x.p.order);
	assert_int_equal(x.p.nitems, 0);
	fx_free(&x);
}

static void
t_refused(void **state)
{
	struct fx	 x;
	struct mi_error	 mie;

	(void)state;
	golden("truncated", &x);
	fx_free(&x);
	assert_int_equal(fx_load(&x, "truncated", NULL, &mie), -1);
	assert_int_equal(mie.code, MI_E_TRUNCATED);
	assert_int_equal(mie.line, 16);
	assert_int_equal(x.t.n, 0);
	assert_null(x.t.v);
	fx_free(&x);
	golden("garbage", &x);
	fx_free(&x);
	assert_int_equal(fx_load(&x, "garbage", NULL, &mie), -1);
	assert_int_equal(mie.code, MI_E_SEPARATOR);
	assert_int_equal(mie.line, 1);
	fx_free(&x);
}

/* ---- policy ---- */

static void
t_policy(void **state)
{
	static const char *const ex_home[] = { "/home", NULL };
	static const char *const in_home[] = { "/home", "/nonexistent", NULL };
	static const char *const none[] = { NULL };
	static const char *const ex_bind[] = { "/home/alice/box-bind", NULL };
	static const char *const ex_nfs[] = { "/mnt/nfs", NULL };
	static const char *const in_nfs[] = { "/mnt/nfs", "/", NULL };
	struct plan_policy	 pol = { NULL, NULL, 1 };
	struct fx		 x;

	(void)state;
	pol.exclude = ex_home;
	assert_int_equal(fx_load(&x, "debian-vm", &pol, NULL), 0);
	want_verdict(&x, "/home", PV_EXCLUDED);
	want_order(&x, "/", NULL);
	fx_free(&x);

	pol.exclude = NULL;
	pol.include = in_home;
	assert_int_equal(fx_load(&x, "debian-vm", &pol, NULL), 0);
	want_verdict(&x, "/", PV_EXCLUDED);
	want_verdict(&x, "/home", PV_FREEZE);
	/* pseudo stays pseudo, unsupported is excluded first */
	want_verdict(&x, "/proc", PV_SKIP_PSEUDO);
	want_verdict(&x, "/boot/efi", PV_EXCLUDED);
	want_order(&x, "/home", NULL);
	fx_free(&x);

	/* an empty include list freezes nothing */
	pol.include = none;
	assert_int_equal(fx_load(&x, "debian-vm", &pol, NULL), 0);
	assert_int_equal(x.p.norder, 0);
	assert_int_equal(x.p.nstages, 0);
	fx_free(&x);

	/* the policy acts on the superblock through any of its mounts */
	pol.include = NULL;
	pol.exclude = ex_bind;
	assert_int_equal(fx_load(&x, "btrfs-subvols", &pol, NULL), 0);
	want_verdict(&x, "/", PV_EXCLUDED);
	want_verdict(&x, "/home/alice/box-bind", PV_DUPLICATE);
	want_order(&x, "/srv/data", "/boot", NULL);
	fx_free(&x);

	/* network mounts stay refused whatever the lists say */
	pol.exclude = ex_nfs;
	assert_int_equal(fx_load(&x, "nfs-fuse", &pol, NULL), 0);
	want_verdict(&x, "/mnt/nfs", PV_REFUSE_NETWORK);
	fx_free(&x);
	pol.exclude = NULL;
	pol.include = in_nfs;
	assert_int_equal(fx_load(&x, "nfs-fuse", &pol, NULL), 0);
	want_verdict(&x, "/mnt/nfs", PV_REFUSE_NETWORK);
	want_verdict(&x, "/srv", PV_EXCLUDED);
	want_order(&x, "/", NULL);
	fx_free(&x);

	/* exact match on the unescaped path */
	{
		static const char *const ex_esc[] = { "/mnt/back\\slash",
		    "/mnt/my\\040disk", NULL };

		pol.include = NULL;
		pol.exclude = ex_esc;
		assert_int_equal(fx_load(&x, "escaped-names", &pol, NULL), 0);
		want_verdict(&x, "/mnt/back\\slash", PV_EXCLUDED);
		want_verdict(&x, "/mnt/my disk", PV_FREEZE);
		fx_free(&x);
	}
}

/* An image on its own filesystem is a cycle of length one. */
static void
t_self_cycle(void **state)
{
	static const char mi[] =
	    "25 1 8:1 / / rw - ext4 /dev/sda1 rw\n"
	    "60 25 7:0 / /a rw - ext4 /dev/loop0 rw\n";
	static const char fa[] = "7:0 loop /a/self.img\n";
	struct mi_table	 t;
	struct facts	 f;
	struct plan	 p;

	(void)state;
	assert_int_equal(mi_parse(mi, sizeof(mi) - 1, &t, NULL), 0);
	assert_int_equal(facts_parse(fa, sizeof(fa) - 1, &f), 0);
	errno = 0;
	assert_int_equal(plan_build(&t, &f, NULL, &p), -1);
	assert_int_equal(errno, ELOOP);
	assert_int_equal(p.err, PLAN_E_CYCLE);
	assert_int_equal(p.err_item, 1);
	plan_free(&p);
	facts_free(&f);
	mi_free(&t);
}

static void
t_names(void **state)
{
	int	 i;

	(void)state;
	for (i = 0; i < PV__MAX; i++)
		assert_string_not_equal(plan_verdict_name(i), "unknown");
	for (i = 0; i < PLAN_E__MAX; i++)
		assert_string_not_equal(plan_err_name(i), "unknown");
	assert_string_equal(plan_verdict_name(-1), "unknown");
	assert_string_equal(plan_verdict_name(PV__MAX), "unknown");
	assert_string_equal(plan_err_name(PLAN_E__MAX), "unknown");
	assert_string_equal(plan_verdict_name(PV_SYNC_ONLY), "sync-only");
}

static void
t_args(void **state)
{
	struct mi_table	 t;
	struct plan	 p;
	char		 buf[8];

	(void)state;
	assert_int_equal(plan_build(NULL, NULL, NULL, &p), -1);
	assert_int_equal(p.err, PLAN_E_INVAL);
	plan_free(&p);
	assert_int_equal(plan_build(NULL, NULL, NULL, NULL), -1);
	memset(&t, 0, sizeof(t));
	assert_int_equal(plan_build(&t, NULL, NULL, &p), 0);
	assert_int_equal(p.nitems, 0);
	assert_int_equal(p.nstages, 0);
	assert_int_equal(plan_render(&p, &t, buf, sizeof(buf)), 9);
	assert_string_equal(buf, "stages ");
	plan_free(&p);
	plan_free(NULL);
}

/* ---- the 5,000 bind mount container host (prior-art.md B1 item 6) ---- */

#define NBIND	5000

static char *
gen_binds(size_t *lenp)
{
	char	*buf, *p;
	size_t	 cap = 256 + (size_t)NBIND * 200, i;

	if ((p = buf = malloc(cap)) == NULL)
		abort();
	p += sprintf(p, "%s",
	    "22 25 0:21 / /proc rw,nosuid,nodev,noexec,relatime - proc proc rw\n"
	    "25 1 8:1 / / rw,relatime shared:1 - ext4 /dev/sda1 rw\n"
	    "26 25 8:17 / /var/cagefs rw,relatime shared:2 - ext4 /dev/sdb1 rw\n");
	/* CageFS-style: every user gets binds of /usr, /lib and a skeleton
	 * of the same two filesystems. */
	for (i = 0; i < NBIND; i++)
		p += sprintf(p, "%zu 26 %s /%s /var/cagefs/%03zu/user%zu/%s "
		    "rw,nosuid,relatime shared:%zu master:1 - ext4 %s rw\n",
		    100 + i, i % 3 == 2 ? "8:17" : "8:1",
		    i % 3 == 0 ? "usr" : i % 3 == 1 ? "lib" : "skel",
		    i % 100, i, i % 3 == 0 ? "usr" : i % 3 == 1 ? "lib" : "home",
		    10 + i, i % 3 == 2 ? "/dev/sdb1" : "/dev/sda1");
	*lenp = (size_t)(p - buf);
	return buf;
}

static double
now_ms(void)
{
	struct timespec	 ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static void
t_binds_5000(void **state)
{
	struct mi_table	 t;
	struct plan	 p;
	struct mi_error	 mie;
	char		*text;
	size_t		 len, i, ndup = 0;
	double		 t0, t1, t2, best = 1e9;
	int		 rep;

	(void)state;
	text = gen_binds(&len);
	for (rep = 0; rep < 5; rep++) {
		t0 = now_ms();
		assert_int_equal(mi_parse(text, len, &t, &mie), 0);
		t1 = now_ms();
		assert_int_equal(plan_build(&t, NULL, NULL, &p), 0);
		t2 = now_ms();
		if (t2 - t0 < best)
			best = t2 - t0;
		if (rep == 0)
			printf("5000 binds: parse %.2f ms, plan %.2f ms\n",
			    t1 - t0, t2 - t1);
		if (rep < 4) {
			plan_free(&p);
			mi_free(&t);
		}
	}
	printf("5000 binds: best parse+plan of 5 %.2f ms\n", best);
	assert_int_equal(t.n, NBIND + 3);
	assert_null(plan_check(&p, &t));
	for (i = 0; i < p.nitems; i++)
		ndup += p.items[i].verdict == PV_DUPLICATE;
	assert_int_equal(ndup, NBIND);
	assert_int_equal(p.norder, 2);
	assert_string_equal(t.v[p.order[0]].mnt, "/var/cagefs");
	assert_string_equal(t.v[p.order[1]].mnt, "/");
	/* generous so that sanitizer builds pass too; report says more */
	assert_true(best < 250.0);
	plan_free(&p);
	mi_free(&t);
	free(text);
}

/* 2,000 loop filesystems, each image on the previous one: a deep chain. */
static void
t_loop_chain(void **state)
{
	struct mi_table	 t;
	struct facts	 f;
	struct plan	 p;
	char		*mi, *fa, *m, *q;
	size_t		 i, n = 2000;
	double		 t0;

	(void)state;
	if ((m = mi = malloc(100 + n * 100)) == NULL ||
	    (q = fa = malloc(n * 60)) == NULL)
		abort();
	m += sprintf(m, "25 1 8:1 / / rw - ext4 /dev/sda1 rw\n");
	for (i = 0; i < n; i++) {
		m += sprintf(m, "%zu 25 7:%zu / /l%zu rw - ext4 /dev/loop%zu "
		    "rw\n", 100 + i, i, i, i);
		if (i == 0)
			q += sprintf(q, "7:0 loop /img0\n");
		else
			q += sprintf(q, "7:%zu loop /l%zu/img\n", i, i - 1);
	}
	assert_int_equal(mi_parse(mi, (size_t)(m - mi), &t, NULL), 0);
	assert_int_equal(facts_parse(fa, (size_t)(q - fa), &f), 0);
	t0 = now_ms();
	assert_int_equal(plan_build(&t, &f, NULL, &p), 0);
	printf("loop chain of %zu: plan %.2f ms\n", n, now_ms() - t0);
	assert_null(plan_check(&p, &t));
	assert_int_equal(p.nstages, (int)n + 1);
	assert_string_equal(t.v[p.order[0]].mnt, "/l1999");
	assert_string_equal(t.v[p.order[n]].mnt, "/");
	plan_free(&p);
	facts_free(&f);
	mi_free(&t);
	free(mi);
	free(fa);
}

/* ---- deterministic mutations ---- */

struct mut_ctx {
	const struct facts	*f;		/* for table mutations */
	const struct mi_table	*t;		/* for facts mutations */
	size_t			 nok, nerr;
};

static int
mut_table(const uint8_t *b, size_t len, void *arg)
{
	struct mut_ctx	*c = arg;
	struct mi_table	 t;
	struct mi_error	 e;
	struct plan	 p;
	size_t		 nl, i;
	int		 r = 0;

	for (nl = 0, i = 0; i < len; i++)
		nl += b[i] == '\n';
	if (mi_parse((const char *)b, len, &t, &e) == -1) {
		c->nerr++;
		if (e.code == MI_OK || e.code == MI_E_NOMEM ||
		    e.code == MI_E_INVAL || e.code >= MI_E__MAX ||
		    t.v != NULL || t.n != 0)
			return 1;
		if (e.code == MI_E_EMPTY)
			return len != 0;
		return e.line < 1 || e.line > nl + 1;
	}
	c->nok++;
	for (i = 0; i < t.n; i++)
		if (t.v[i].mnt[0] != '/' || t.v[i].fstype[0] == '\0')
			r = 1;
	if (plan_build(&t, c->f, NULL, &p) == -1) {
		if (p.err != PLAN_E_CYCLE || p.items != NULL)
			r = 1;
	} else if (plan_check(&p, &t) != NULL)
		r = 1;
	plan_free(&p);
	mi_free(&t);
	return r;
}

static int
mut_facts(const uint8_t *b, size_t len, void *arg)
{
	struct mut_ctx	*c = arg;
	struct facts	 f;
	struct plan	 p;
	size_t		 i, k;
	int		 r = 0;

	errno = 0;
	if (facts_parse((const char *)b, len, &f) == -1) {
		c->nerr++;
		return errno != EINVAL || f.v != NULL || f.n != 0;
	}
	c->nok++;
	for (i = 1; i < f.n; i++)
		if (f.v[i - 1].major > f.v[i].major ||
		    (f.v[i - 1].major == f.v[i].major &&
		    f.v[i - 1].minor >= f.v[i].minor))
			r = 1;
	for (i = 0; i < f.n; i++) {
		if (facts_find(&f, f.v[i].major, f.v[i].minor) != &f.v[i])
			r = 1;
		for (k = 0; k < f.v[i].nslaves; k++)
			(void)facts_find(&f, f.v[i].slaves[k].major,
			    f.v[i].slaves[k].minor);
	}
	if (plan_build(c->t, &f, NULL, &p) == -1) {
		if (p.err != PLAN_E_CYCLE)
			r = 1;
	} else if (plan_check(&p, c->t) != NULL)
		r = 1;
	plan_free(&p);
	facts_free(&f);
	return r;
}

static void
mutate_table(const char *name)
{
	struct fx	 x;
	struct mut_ctx	 c;
	size_t		 bad, ncases;

	assert_int_equal(fx_load(&x, name, NULL, NULL), 0);
	memset(&c, 0, sizeof(c));
	c.f = x.has_facts ? &x.f : NULL;
	bad = mut_run((const uint8_t *)x.text, x.len, mut_table, &c, &ncases);
	printf("mutate %s: %zu cases, %zu parsed, %zu refused, %zu bad\n",
	    name, ncases, c.nok, c.nerr, bad);
	assert_int_equal(bad, 0);
	assert_true(c.nok > 0 && c.nerr > 0);
	fx_free(&x);
}

static void
t_mutate_tables(void **state)
{
	(void)state;
	mutate_table("loop-in-loop");
	mutate_table("dm-on-loop");
	mutate_table("shadowed");
	mutate_table("escaped-names");
}

static void
t_mutate_facts(void **state)
{
	struct fx	 x;
	struct mut_ctx	 c;
	char		*path, *ftext;
	size_t		 flen, bad, ncases;

	(void)state;
	assert_int_equal(fx_load(&x, "dm-on-loop", NULL, NULL), 0);
	path = fixture_path("dm-on-loop", ".facts");
	ftext = slurp(path, &flen);
	assert_non_null(ftext);
	memset(&c, 0, sizeof(c));
	c.t = &x.t;
	bad = mut_run((const uint8_t *)ftext, flen, mut_facts, &c, &ncases);
	printf("mutate dm-on-loop.facts: %zu cases, %zu parsed, %zu refused, "
	    "%zu bad\n", ncases, c.nok, c.nerr, bad);
	assert_int_equal(bad, 0);
	assert_true(c.nok > 0 && c.nerr > 0);
	free(ftext);
	free(path);
	fx_free(&x);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(t_debian_vm),
		cmocka_unit_test(t_btrfs),
		cmocka_unit_test(t_loop_in_loop),
		cmocka_unit_test(t_loop_in_loop_nofacts),
		cmocka_unit_test(t_zfs),
		cmocka_unit_test(t_docker),
		cmocka_unit_test(t_nfs_fuse),
		cmocka_unit_test(t_ro_root),
		cmocka_unit_test(t_hyperv_lvm),
		cmocka_unit_test(t_hyperv_lvm_nounknown),
		cmocka_unit_test(t_escaped),
		cmocka_unit_test(t_dm_on_loop),
		cmocka_unit_test(t_shadowed),
		cmocka_unit_test(t_loop_tmpfs),
		cmocka_unit_test(t_pivoted_root),
		cmocka_unit_test(t_cycle),
		cmocka_unit_test(t_refused),
		cmocka_unit_test(t_policy),
		cmocka_unit_test(t_self_cycle),
		cmocka_unit_test(t_names),
		cmocka_unit_test(t_args),
		cmocka_unit_test(t_binds_5000),
		cmocka_unit_test(t_loop_chain),
		cmocka_unit_test(t_mutate_tables),
		cmocka_unit_test(t_mutate_facts),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
