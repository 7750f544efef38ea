/*
 * vmbus.c: packet FIFOs standing in for the VMBus ring buffers.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "vmbus.h"

static void
ring_free(struct vmbus_ring *r)
{
	struct vmbus_pkt	*p, *n;

	for (p = r->head; p != NULL; p = n) {
		n = p->next;
		free(p);
	}
	r->head = r->tail = NULL;
	r->count = 0;
}

void
vmbus_chan_init(struct vmbus_chan *c)
{
	memset(c, 0, sizeof(*c));
}

void
vmbus_chan_reset(struct vmbus_chan *c)
{
	ring_free(&c->h2g);
	ring_free(&c->g2h);
}

int
vmbus_send(struct vmbus_ring *r, const uint8_t *buf, size_t len,
    uint64_t reqid)
{
	struct vmbus_pkt	*p;
	size_t			 plen;

	plen = (len + VMBUS_PKT_ALIGN - 1) & ~(size_t)(VMBUS_PKT_ALIGN - 1);
	if (plen > VMBUS_PKT_MAX) {
		errno = EMSGSIZE;
		return -1;
	}
	if ((p = calloc(1, sizeof(*p) + plen)) == NULL)
		return -1;
	if (len > 0)
		memcpy(p->data, buf, len);
	p->len = plen;
	p->reqid = reqid;
	if (r->tail != NULL)
		r->tail->next = p;
	else
		r->head = p;
	r->tail = p;
	r->count++;
	r->ops++;
	return 0;
}

unsigned long
vmbus_gen(const struct vmbus_chan *c)
{
	return c->h2g.ops + c->g2h.ops;
}

size_t
vmbus_peek_len(const struct vmbus_ring *r)
{
	return r->head != NULL ? r->head->len : 0;
}

int
vmbus_recv(struct vmbus_ring *r, uint8_t *buf, size_t cap, size_t *len,
    uint64_t *reqid)
{
	struct vmbus_pkt	*p = r->head;

	if (p == NULL)
		return 0;
	*len = p->len;
	if (p->len > cap)
		return -1;
	memcpy(buf, p->data, p->len);
	if (reqid != NULL)
		*reqid = p->reqid;
	r->head = p->next;
	if (r->head == NULL)
		r->tail = NULL;
	r->count--;
	r->ops++;
	free(p);
	return 1;
}
