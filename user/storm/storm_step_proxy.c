/* The ProxyDHCPREQUEST: after a DORA whose boot information came from a
 * proxyDHCP offer, firmware asks the proxy again, unicast to its port
 * 4011, from the address it just leased (ciaddr set, the same PXE options
 * as its DISCOVER), and boots the file and next-server of the
 * ProxyDHCPACK. EDK2 and iPXE always do; a BIOS ROM unless the offer said
 * "boot this file" (sdhcp_proxy_needs_4011). It is part of the DHCP phase
 * (`dhcp` or `ipxe_dhcp`), which ends at the ProxyDHCPACK.
 *
 * The source port is the firmware's: EDK2 sends from 4011 (its boot
 * server discovery listens there), iPXE and PXE ROMs from 68. The socket
 * is the node's UDP socket (storm_io_udp.c), open only for this
 * exchange; retransmissions follow the DHCP schedule (4, 8, 16, 32 s).
 * What goes into the request and what is taken from the ACK are the
 * node's DHCP client's, shared with the DORA (storm_dhcp_node.c). */
#include <errno.h>
#include <stdlib.h>

#include "storm/storm_step_proxy.h"
#include "proto/dhcp_proto.h"
#include "storm/storm_dhcp.h"
#include "storm/storm_dhcp_node.h"

struct storm_proxy_io {
	struct storm_udp_tx tx;
	uint8_t req[SDHCP_REQ_LEN];
	size_t len;
	unsigned attempt;              /* transmissions so far */
};

static void release(struct storm_io *s, struct storm_node *n)
{
	if (!n->proxy)
		return;
	storm_close_later(s, n);
	storm_free_later(s, n->proxy);     /* a queued send still reads req */
	n->proxy = NULL;
}

static void transmit(struct storm_io *s, struct storm_node *n)
{
	struct storm_proxy_io *io = n->proxy;
	io->attempt++;
	s->st.proxy_tx++;
	storm_udp_send(s, n, &io->tx, io->req, io->len, n->proxy_server, PXE_BINL_PORT);
	storm_timer(s, n, s->now + storm_scaled_ms(s, sdn_retx_ms(io->attempt)));
}

void spx_begin(struct storm_io *s, struct storm_node *n)
{
	struct sdhcp_req r;

	n->proxy = calloc(1, sizeof(*n->proxy));
	if (!n->proxy) {
		storm_node_fail(s, n, R_SOCKET, ENOMEM);
		return;
	}
	/* the DORA's xid, as iPXE keeps it (EDK2 draws a new one: the
	 * server answers with whichever it gets) */
	sdn_fill_req(n, s->now, DHCPREQUEST, &r);
	r.ciaddr = n->ip;
	n->proxy->len = sdhcp_build(n->proxy->req, sizeof(n->proxy->req), &r);
	int e = storm_udp_open(s, n, r.style == SDHCP_PXE_UEFI ? PXE_BINL_PORT : DHCP_CLIENT_PORT);
	if (e < 0) {
		storm_node_fail(s, n, R_SOCKET, (unsigned)-e);
		return;
	}
	transmit(s, n);
}

void spx_on_recv(struct storm_io *s, struct storm_node *n, const struct sockaddr_in *src,
		 const uint8_t *p, size_t len)
{
	struct sdhcp_reply r;

	if (!n->proxy)
		return;
	if (sdhcp_parse_reply(p, len, &r) != SDHCP_OK || !sdhcp_proxy_ack_ok(&r, n->xid, n->mac)) {
		s->st.proxy_stray++;
		return;
	}
	s->st.proxy_acks++;
	n->proxy_acks++;
	sdn_take_boot(n, &r, src->sin_addr.s_addr, BF_PROXY_ACK);
	n->span[n->phase].boot_from = BF_PROXY_ACK;
	storm_timer(s, n, 0);
	release(s, n);
	storm_phase_end(s, n);
	storm_step_done(s, n);
}

void spx_on_timer(struct storm_io *s, struct storm_node *n)
{
	if (!n->proxy)
		return;
	if (n->proxy->attempt >= DHCP_TRANSMITS) {
		storm_node_fail(s, n, R_PROXY_TIMEOUT, 0);
		return;
	}
	n->span[n->phase].retries++;
	transmit(s, n);
}

void spx_abort(struct storm_io *s, struct storm_node *n)
{
	release(s, n);
}
