/* What the daemon knows about each node it has seen, shared between its
 * threads: the DHCP thread records a node when it answers it, the HTTP
 * loops look it up by the address a request comes from (to render that
 * node's iPXE script). Thread-safe; lookups copy the entry out. */
#ifndef RACKBOOT_NODE_TABLE_H
#define RACKBOOT_NODE_TABLE_H

#include <stdbool.h>
#include <stdint.h>

struct node_info {
	uint8_t mac[6];
	uint32_t ip;            /* host order; 0 = not known (proxyDHCP) */
	char hostname[64];
	char arch[20];          /* "bios", "efi-x64", ... or "" */
};

/* What happened to a node, in order: the per-node boot timeline. */
enum node_ev_kind {
	NEV_DHCP_OFFER, NEV_DHCP_ACK, NEV_PROXY_OFFER, NEV_PXE_ACK, NEV_TFTP, NEV_HTTP,
};
struct node_event {
	int64_t t_ms;           /* wall clock, ms */
	uint8_t kind;           /* enum node_ev_kind */
	bool ok;
	uint16_t status;        /* HTTP status */
	uint32_t ip;            /* DHCP: the address offered/acked */
	uint64_t bytes;
	uint32_t dur_ms;
	char what[72];          /* file, path, or the boot decision */
};
#define NODE_EVENTS 48      /* kept per node; older ones are dropped */

struct node_table;
struct mbuf;

struct node_table *node_table_new(void);
void node_table_free(struct node_table *t);
/* Record or refresh a node. ip 0, hostname NULL or arch NULL keep what is known. */
void node_table_update(struct node_table *t, const uint8_t mac[6], uint32_t ip,
		       const char *hostname, const char *arch);
bool node_table_by_ip(struct node_table *t, uint32_t ip, struct node_info *out);
bool node_table_by_mac(struct node_table *t, const uint8_t mac[6], struct node_info *out);
/* Append an event to a node, found by MAC or by its current address (an
 * event from an address no node has is dropped: nothing to attach it to). */
void node_table_event_mac(struct node_table *t, const uint8_t mac[6], const struct node_event *e);
void node_table_event_ip(struct node_table *t, uint32_t ip, const struct node_event *e);
/* Every node's timeline as text (GET /nodes), in the order nodes appeared. */
void node_table_render(struct node_table *t, struct mbuf *b);

#endif
