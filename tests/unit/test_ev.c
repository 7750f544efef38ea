/*
 * test_ev.c: the poll loop's timers and descriptors.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <poll.h>
#include <unistd.h>
#include <cmocka.h>

#include "ev.h"

static int	fired[4];
static int	readable;

static void
tcb(void *arg)
{
	fired[(intptr_t)arg]++;
}

static void
iocb(void *arg, int fd, short revents)
{
	char	c;

	(void)arg;
	if (revents & POLLIN && read(fd, &c, 1) == 1)
		readable++;
}

static void
t_timers_order(void **state)
{
	struct ev	ev;
	uint64_t	now = ev_now(), t0;

	(void)state;
	ev_init(&ev);
	ev_timer_set(&ev, 0, now + EV_MS(30), tcb, (void *)0);
	ev_timer_set(&ev, 1, now + EV_MS(5), tcb, (void *)1);
	ev_timer_set(&ev, 2, now + EV_MS(200), tcb, (void *)2);
	ev_timer_clear(&ev, 2);
	assert_int_equal(ev_timer_when(&ev, 2), 0);
	t0 = ev_now();
	while (fired[0] == 0)
		assert_int_equal(ev_run_once(&ev), 0);
	assert_int_equal(fired[1], 1);
	assert_int_equal(fired[0], 1);
	assert_int_equal(fired[2], 0);
	/* The loop slept, it did not spin: woke near 30 ms, not before. */
	assert_true(ev_now() - t0 >= EV_MS(25));
	assert_true(ev_now() - t0 < EV_MS(1000));
	/* Out-of-range ids are ignored. */
	ev_timer_set(&ev, EV_MAX_TIMER, now, tcb, (void *)3);
	ev_timer_set(&ev, -1, now, tcb, (void *)3);
	assert_int_equal(ev_timer_when(&ev, EV_MAX_TIMER), 0);
}

static void
t_io(void **state)
{
	struct ev	ev;
	int		p[2], i;

	(void)state;
	ev_init(&ev);
	assert_int_equal(pipe(p), 0);
	assert_int_equal(ev_io_add(&ev, p[0], POLLIN, iocb, NULL), 0);
	assert_int_equal(write(p[1], "x", 1), 1);
	ev_timer_set(&ev, 0, ev_now() + EV_MS(500), tcb, (void *)0);
	assert_int_equal(ev_run_once(&ev), 0);
	assert_int_equal(readable, 1);
	ev_io_del(&ev, p[0]);
	assert_int_equal(write(p[1], "x", 1), 1);
	ev_timer_set(&ev, 0, ev_now() + EV_MS(1), tcb, (void *)0);
	assert_int_equal(ev_run_once(&ev), 0);
	assert_int_equal(readable, 1);	/* deleted: not dispatched */
	for (i = 0; i < EV_MAX_IO; i++)
		assert_int_equal(ev_io_add(&ev, p[0], POLLIN, iocb, NULL), 0);
	assert_int_equal(ev_io_add(&ev, p[0], POLLIN, iocb, NULL), -1);
	close(p[0]);
	close(p[1]);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(t_timers_order),
		cmocka_unit_test(t_io),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
