/* Leased addresses on the client interface for rackboot-storm, through
 * rtnetlink: RTM_NEWADDR / RTM_DELADDR requests batched many to a
 * sendmsg, every one acknowledged, each result reported by its tag.
 * Why: TFTP and HTTP must come from the node's leased address (the server
 * looks nodes up by it), and the kernel only lets a socket bind to an
 * address the host has. */
#ifndef RACKBOOT_STORM_NETLINK_H
#define RACKBOOT_STORM_NETLINK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SNL_BATCH 256              /* requests per sendmsg */

struct snl {
	int fd;
	int ifindex;
	uint32_t seq0;             /* sequence number of the batch's first request */
	unsigned n;                /* requests queued */
	uint32_t tag[SNL_BATCH];
	size_t len;
	uint8_t buf[SNL_BATCH * 64];
};

/* Open a NETLINK_ROUTE socket for interface `ifindex`. 0 or -errno. */
int snl_open(struct snl *nl, int ifindex);
void snl_close(struct snl *nl);
/* Queue an add (exclusive: an address already there is reported as
 * -EEXIST, so a pre-existing one is never taken over, nor removed at the
 * end) or a removal of ip/prefix (network order). Flushes by itself when
 * the batch is full (results go to cb). */
typedef void (*snl_result_fn)(void *ctx, uint32_t tag, int err);
int snl_queue(struct snl *nl, bool add, uint32_t ip, uint8_t prefix, uint32_t tag,
	      snl_result_fn cb, void *ctx);
/* Send what is queued and wait for every acknowledgement; cb(tag, 0 or
 * -errno) for each request. 0, or -errno when the socket failed (then
 * every pending request is reported with that error). */
int snl_flush(struct snl *nl, snl_result_fn cb, void *ctx);

#endif
