/* What the eBPF fast path (dhcp_fastpath.c) needs of the DHCP server, and
 * nothing else includes: its address pool and configuration, its own
 * reply builder (the kernel's templates are cut from its replies), and the
 * bookkeeping of answers the kernel sent in its place. All on the DHCP
 * thread. */
#ifndef RACKBOOT_DHCP_SERVER_HOOKS_H
#define RACKBOOT_DHCP_SERVER_HOOKS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct dhcp_server;
struct dhcp_msg;
struct dhcp_pool;
struct lease;
struct rb_config;
struct rb_host;

#define DHCP_OFFER_HOLD_SECS 60     /* an OFFER reserves its address this long */

struct dhcp_pool *dhcp_server_pool(struct dhcp_server *s);
const struct rb_config *dhcp_server_config(const struct dhcp_server *s);

/* The OFFER of ip the server would send to m, with the parameters of host
 * h (NULL: none) and option 12 `hostname` ("" or NULL: none). No state
 * changes. Its length, 0 when it would send none. buf: DHCP_MAX_MSG. */
size_t dhcp_server_offer_for(struct dhcp_server *s, const struct dhcp_msg *m, uint32_t ip,
			     const struct rb_host *h, const char *hostname, uint8_t *buf);
/* The proxyDHCP OFFER (port 67) or boot server ACK (binl: port 4011) the
 * server would send to m, the same way. */
size_t dhcp_server_boot_reply_for(struct dhcp_server *s, const struct dhcp_msg *m, bool binl,
				  uint8_t *buf);

/* Hold ip (host order) for the client with this MAC as an offer made at
 * `when` (unix seconds), exactly as the server holds its own offers. */
void dhcp_server_hold_offer(struct dhcp_server *s, const uint8_t mac[6], uint32_t ip, int64_t when);
/* The kernel sent m's reply (ip: the address offered, or m's ciaddr):
 * count it, log it, and note it in the node's timeline as "(kernel)". */
void dhcp_server_kernel_sent(struct dhcp_server *s, const struct dhcp_msg *m, bool binl,
			     uint32_t ip);
/* Every row of the lease store (none without one). 0, or -1 logged. */
int dhcp_server_each_lease(struct dhcp_server *s, void (*fn)(const struct lease *l, void *arg),
			   void *arg);

#endif
