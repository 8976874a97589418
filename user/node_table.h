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

struct node_table;

struct node_table *node_table_new(void);
void node_table_free(struct node_table *t);
/* Record or refresh a node. ip 0, hostname NULL or arch NULL keep what is known. */
void node_table_update(struct node_table *t, const uint8_t mac[6], uint32_t ip,
		       const char *hostname, const char *arch);
bool node_table_by_ip(struct node_table *t, uint32_t ip, struct node_info *out);
bool node_table_by_mac(struct node_table *t, const uint8_t mac[6], struct node_info *out);

#endif
