/* The DHCP side of the eBPF fast path (bpf/lib/dhcp.h): fill the maps the
 * XDP and TC programs answer from with the DHCP server's own decisions,
 * and take the answers the kernel sent back into the server.
 *
 *  - Templates: for every client class the boot policy knows (vendor class
 *    PXEClient/HTTPClient, iPXE, option 93 architecture 0..47) the server's
 *    own reply builder makes the reply to a synthetic request, which is cut
 *    into the pieces the program reassembles (fastpath_abi.h, "DHCP"), and
 *    checked: the pieces put together again must give the server's bytes.
 *  - Full server: every client the pool or the configuration knows has an
 *    entry in rb_dhcp_clients saying what the server would offer it (its
 *    reservation or live binding, or "a new address", or "ask the daemon"),
 *    and free addresses are set aside in rb_dhcp_stock, held in the pool
 *    as offers to a placeholder client so the server never offers them
 *    itself, and refilled as the kernel takes them.
 *  - Every kernel answer comes back as a ring-buffer record: the server
 *    holds a kernel-offered address exactly as its own offers and notes the
 *    answer in its statistics and the node's timeline.
 *
 * Integration (rackbootd, once user/fastpath/loader.c has loaded the
 * programs):
 *
 *   dhcp_fastpath_probe(cfg, &o.link, ...);          facts of the interface
 *   fp = dhcp_fastpath_new(dhcp, map_fd, lfp, &o, ...);  fills everything;
 *     map_fd(lfp, name) = fastpath_map_fd(lfp, name)
 *   dhcp_server_set_fastpath(dhcp, fp);              the server keeps it current
 *   dhcp_server_watch(dhcp, fastpath_events_fd(lfp), drain, lfp);  drain()
 *     calls fastpath_poll_events(lfp, 0), whose handler passes each record
 *     to dhcp_fastpath_event() (1 back: not a DHCP record)
 *   ... dhcp_server_run(dhcp) ...                    reload: refilled by itself
 *   dhcp_fastpath_free(fp);                          after the DHCP thread ended
 *
 * Threads: every function here runs on the DHCP thread (or before it
 * starts), as the address pool does. The maps stay as they are when the
 * daemon exits: a restarted daemon's dhcp_fastpath_new() adopts them
 * (offers the kernel made meanwhile are held, the stock is taken over). */
#ifndef RACKBOOT_DHCP_FASTPATH_H
#define RACKBOOT_DHCP_FASTPATH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct dhcp_server;
struct rb_config;
struct rb_subnet;
struct dhcp_fastpath;

/* Facts about the interface that the programs' replies must match. */
struct dhcp_fastpath_link {
	uint8_t mac[6];              /* the replies' source MAC */
	uint8_t ttl;                 /* net.ipv4.ip_default_ttl: the daemon's sockets' */
	bool binl_unicast;           /* a 4011 reply to an on-link client leaves from
	                              * the server's address (else those pass) */
	uint32_t onlink_net, onlink_mask;   /* network order; mask 0: none on-link */
};

/* Read them for c->interface and c->address: 0, or -1 with err. */
int dhcp_fastpath_probe(const struct rb_config *c, struct dhcp_fastpath_link *l, char *err,
			size_t errlen);

struct dhcp_fastpath_opts {
	struct dhcp_fastpath_link link;
	bool xdp;                    /* the XDP program may answer too: only where XDP_TX
	                              * delivers (a NIC driver, never veth); else TC does */
	unsigned stock;              /* full server: addresses kept set aside for the
	                              * kernel (0: 1024; at most RB_DHCP_STOCK_MAX) */
};

/* The fd of the programs' map `name` (the XDP and TC programs share
 * them), or -1. */
typedef int (*dhcp_fastpath_map_fn)(const void *arg, const char *name);

/* Take the maps and fill them for server s. NULL with err when a map is
 * missing or a write fails. */
struct dhcp_fastpath *dhcp_fastpath_new(struct dhcp_server *s, dhcp_fastpath_map_fn map_fd,
					const void *arg, const struct dhcp_fastpath_opts *o,
					char *err, size_t errlen);
/* Refill everything from the server's configuration and pool (the server
 * calls it after a reload). 0, or -1 (logged; the kernel keeps the
 * previous templates). */
int dhcp_fastpath_sync(struct dhcp_fastpath *fp);
/* One ring-buffer record: 0 when it was a DHCP one and is handled, 1 when
 * it is of another kind (not ours), -1 when malformed. */
int dhcp_fastpath_event(struct dhcp_fastpath *fp, const void *rec, size_t len);
/* Leaves the maps (and the kernel answering) as they are. */
void dhcp_fastpath_free(struct dhcp_fastpath *fp);

struct dhcp_fastpath_stats {
	size_t templates;            /* boot templates of the set in use */
	size_t psets;                /* parameter sets */
	size_t stock;                /* addresses set aside and not taken (approximate
	                              * while the kernel takes some) */
	unsigned long long events, kernel_offers, conflicts;
};
void dhcp_fastpath_stats(const struct dhcp_fastpath *fp, struct dhcp_fastpath_stats *st);

/* ---- called by the server (dhcp_server.c) ---- */

/* The pool changed for this client (any hardware address: only Ethernet
 * ones have entries): rewrite its entry. */
void dhcp_fastpath_client_changed(struct dhcp_fastpath *fp, const uint8_t *hw, uint8_t hwlen);
/* A REQUEST for ip (host order): if the kernel offered ip to this client
 * and its event has not been read yet, hold it for the client now. */
void dhcp_fastpath_claim(struct dhcp_fastpath *fp, const uint8_t *hw, uint8_t hwlen, uint32_t ip);
/* The server found no free address in subnet sn: take one back from the
 * stock (host order), or 0. */
uint32_t dhcp_fastpath_unstock(struct dhcp_fastpath *fp, const struct rb_subnet *sn);

#endif
