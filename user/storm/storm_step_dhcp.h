/* The DORA step of rackboot-storm: DHCP for every node through one
 * AF_PACKET socket, and the leased addresses it adds to the interface
 * (storm_step_dhcp.c). Runs a node's DISCOVER/OFFER/REQUEST/ACK in both
 * DHCP phases (PXE and iPXE); reports to the engine through the outcome
 * calls of storm_io.h. */
#ifndef RACKBOOT_STORM_STEP_DHCP_H
#define RACKBOOT_STORM_STEP_DHCP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>
#include <sys/uio.h>

#include "storm/storm_io.h"
#include "storm/storm_netlink.h"

/* What the step keeps for all nodes. */
struct sdh {
	struct storm_io *io;
	int ifindex;
	int pkt_fd;
	uint16_t ip_id;
	uint64_t rng;

	/* frames queued in this loop iteration: one sendmmsg */
	struct mmsghdr *tx_msgs;
	struct iovec *tx_iov;
	uint8_t *tx_frames;
	unsigned tx_n;

	/* leased addresses: every one added, removed again at the end */
	struct snl nl;
	uint32_t *added_ip;
	uint8_t *added_prefix;
	unsigned added_n, added_cap;
};

/* On a zeroed struct: no socket yet, the frame queue. 0, or -1 out of
 * memory. */
int sdh_init(struct sdh *d, struct storm_io *io);
/* The packet socket on cfg->ifname (its receive armed on the open ring)
 * and the netlink socket. 0, or -1 with err set. */
int sdh_open(struct sdh *d, char *err, size_t errlen);
/* Close both sockets, removing every address added first. */
void sdh_close(struct sdh *d);

/* The node's phase has begun: DISCOVER. */
void sdh_begin(struct sdh *d, struct storm_node *n);
void sdh_on_timer(struct sdh *d, struct storm_node *n);
void sdh_abort(struct sdh *d, struct storm_node *n);
/* A completion of the packet socket's poll (UD_PKT). */
void sdh_on_ready(struct sdh *d, int res, bool more);

/* Once per loop iteration: read the replies waiting, add the addresses
 * queued (nodes go on when they are there), send the frames queued. */
void sdh_drain(struct sdh *d);
void sdh_flush_addrs(struct sdh *d);
void sdh_flush_frames(struct sdh *d);

#endif
