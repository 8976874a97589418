/* A node's DHCP client as its firmware runs it: what goes into its
 * requests and what it takes from the replies, shared by the DORA
 * (storm_step_dhcp.c) and the ProxyDHCPREQUEST to port 4011
 * (storm_step_proxy.c), which are steps of the same DHCP phase. Pure
 * functions over the node's state; no I/O. */
#ifndef RACKBOOT_STORM_DHCP_NODE_H
#define RACKBOOT_STORM_DHCP_NODE_H

#include <stdbool.h>
#include <stdint.h>

#include "storm/storm_dhcp.h"
#include "storm/storm_node.h"

/* Firmware timing, before --timeout-scale. */
#define DHCP_RETX_MS      4000      /* PXE spec: waits of 4, 8, 16, 32 s after each send */
#define DHCP_TRANSMITS    4         /* transmissions of one message before dhcp-timeout */

/* Which firmware speaks in the node's current DHCP phase. */
enum sdhcp_style sdn_style(const struct storm_node *n);

/* What this node's firmware puts in a DISCOVER or REQUEST at `now` (ns,
 * the run's clock; secs counts from n->dhcp_start); the same for the
 * ProxyDHCPREQUEST, which adds ciaddr. */
void sdn_fill_req(const struct storm_node *n, uint64_t now, uint8_t type, struct sdhcp_req *r);

/* Boot information from a reply (`from`: enum storm_boot_from, a later
 * one overrides an earlier): the file, and the TFTP server (option 66
 * when it is an address, else siaddr, else the server itself). */
void sdn_take_boot(struct storm_node *n, const struct sdhcp_reply *r, uint32_t src_ip, int from);

/* The wait after transmission number k (1-based), in ms before scaling:
 * 4 s, 8 s, 16 s, 32 s. */
double sdn_retx_ms(unsigned k);

/* After its DORA, does the node ask the proxy on port 4011: its boot
 * information came from a proxy offer that sends this firmware there. */
bool sdn_asks_proxy(const struct storm_node *n);

#endif
