/* The DHCP server: full DHCPv4 (RFC 2131) or proxyDHCP (PXE 2.1), plus the
 * PXE boot server on port 4011. One thread runs the loop; leases become
 * durable through the lease writer before any ACK leaves (see
 * docs/ARCHITECTURE.md, "DHCP"). */
#ifndef RACKBOOT_DHCP_SERVER_H
#define RACKBOOT_DHCP_SERVER_H

#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct rb_config;
struct lease_store;
struct node_table;
struct hist;
struct dhcp_server;
struct dhcp_fastpath;

struct dhcp_server_opts {
	struct rb_config *cfg;        /* the server owns it from now on */
	struct lease_store *store;    /* NULL: leases in memory only (tests) */
	int verbosity;
	bool no_sockets;              /* tests: no sockets; feed dhcp_server_input() */
	unsigned port_offset;         /* tests: listen on 67+N and 4011+N */
	struct node_table *nodes;     /* NULL, or where answered nodes are recorded */
};

/* How a reply leaves: unicast to dst, or broadcast on the interface; with
 * `arp` set the kernel is first told chaddr's address (the client cannot
 * answer ARP before it has one). Replaceable for tests. */
struct dhcp_send {
	struct sockaddr_in dst;
	bool broadcast, arp, from_binl;
	uint8_t chaddr[6];
};
typedef void (*dhcp_send_fn)(void *arg, const uint8_t *pkt, size_t len,
			     const struct dhcp_send *how);

struct dhcp_server *dhcp_server_new(const struct dhcp_server_opts *o, char *err, size_t errlen);
void dhcp_server_set_sender(struct dhcp_server *s, dhcp_send_fn fn, void *arg);
/* Handle one datagram received on port 67 (binl=false) or 4011 (binl=true). */
void dhcp_server_input(struct dhcp_server *s, const uint8_t *buf, size_t len,
		       const struct sockaddr_in *src, bool binl);
/* Wait until every pending ACK is durable and sent. */
void dhcp_server_flush(struct dhcp_server *s);
int dhcp_server_run(struct dhcp_server *s);
/* From any thread: stop the loop; take up a new configuration. */
void dhcp_server_stop(struct dhcp_server *s);
void dhcp_server_offer_config(struct dhcp_server *s, struct rb_config *cfg);
void dhcp_server_free(struct dhcp_server *s);

/* The eBPF fast path (dhcp_fastpath.h): the server keeps it told of every
 * change to its addresses and refills it on reload. Before
 * dhcp_server_run(), or on the DHCP thread. */
void dhcp_server_set_fastpath(struct dhcp_server *s, struct dhcp_fastpath *fp);
/* One more fd for the DHCP thread to wait on: fn(arg) runs when it is
 * readable, before the sockets are read (the fast path's ring buffer, so
 * that a REQUEST finds the kernel's offer already held). Before
 * dhcp_server_run(). */
void dhcp_server_watch(struct dhcp_server *s, int fd, void (*fn)(void *), void *arg);

struct dhcp_server_stats {
	unsigned long long received, malformed, discover, offer, request, ack, nak,
		decline, release, inform, ignored, commits, lease_rows, store_errors,
		kernel;       /* replies the eBPF fast path sent (counted in offer/ack too) */
};
void dhcp_server_stats(struct dhcp_server *s, struct dhcp_server_stats *st);
/* Time from a request's arrival to its reply leaving (an ACK: after its
 * lease committed). */
const struct hist *dhcp_server_latency(struct dhcp_server *s);

#endif
