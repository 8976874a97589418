/* The port-4011 step of rackboot-storm: the ProxyDHCPREQUEST a node's
 * firmware sends once its leased address is on the interface, when its
 * DORA's boot information came from a proxy offer (storm_step_proxy.c).
 * Part of the DHCP phase, which it ends at the ProxyDHCPACK. */
#ifndef RACKBOOT_STORM_STEP_PROXY_H
#define RACKBOOT_STORM_STEP_PROXY_H

#include <stddef.h>
#include <stdint.h>
#include <netinet/in.h>

#include "storm/storm_io.h"

void spx_begin(struct storm_io *s, struct storm_node *n);
void spx_on_recv(struct storm_io *s, struct storm_node *n, const struct sockaddr_in *src,
		 const uint8_t *p, size_t len);
void spx_on_timer(struct storm_io *s, struct storm_node *n);
void spx_abort(struct storm_io *s, struct storm_node *n);

#endif
