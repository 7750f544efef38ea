/*
 * vmbus.h: the emulated VSS VMBus channel, two FIFOs of in-band packets.
 *
 * What matters to the guest drivers (protocol.md 1.2): every packet
 * carries a 64-bit VMBus transaction id that the guest echoes, and its
 * payload length is a multiple of 8 (VMBus pads packets), so a guest's
 * recvlen is always 8-aligned.  A receiver with a too small buffer gets
 * ENOBUFS and the packet stays in the ring (hv_ringbuffer_read).
 */
#ifndef HOST_VMBUS_H
#define HOST_VMBUS_H

#include <stddef.h>
#include <stdint.h>

#define VMBUS_PKT_ALIGN	8
#define VMBUS_PKT_MAX	65536	/* sanity cap for the emulation only */

struct vmbus_pkt {
	struct vmbus_pkt	*next;
	uint64_t		 reqid;
	size_t			 len;
	uint8_t			 data[];
};

struct vmbus_ring {
	struct vmbus_pkt	*head;
	struct vmbus_pkt	*tail;
	size_t			 count;
	unsigned long		 ops;	/* packets in plus packets out */
};

struct vmbus_chan {
	struct vmbus_ring	 h2g;	/* host to guest */
	struct vmbus_ring	 g2h;	/* guest to host */
};

void	vmbus_chan_init(struct vmbus_chan *);
void	vmbus_chan_reset(struct vmbus_chan *);
/* Append a packet, zero-padded to 8 bytes; 0 or -1 (ENOMEM, too big). */
int	vmbus_send(struct vmbus_ring *, const uint8_t *, size_t, uint64_t);
/* Packets sent or received on either ring so far (progress detection). */
unsigned long	vmbus_gen(const struct vmbus_chan *);
/* Length of the head packet, 0 when empty. */
size_t	vmbus_peek_len(const struct vmbus_ring *);
/*
 * Take the head packet: 1 got one, 0 empty, -1 the buffer is too small
 * (packet left in the ring, *len holds its size).
 */
int	vmbus_recv(struct vmbus_ring *, uint8_t *, size_t, size_t *,
	    uint64_t *);

#endif /* HOST_VMBUS_H */
