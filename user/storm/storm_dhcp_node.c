/* A node's DHCP client state (see storm_dhcp_node.h). */
#include "storm/storm_dhcp_node.h"

#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>

enum sdhcp_style sdn_style(const struct storm_node *n)
{
	return n->phase == PH_IPXE_DHCP ? SDHCP_IPXE :
	       n->kind == SK_UEFI ? SDHCP_PXE_UEFI : SDHCP_PXE_BIOS;
}

void sdn_fill_req(const struct storm_node *n, uint64_t now, uint8_t type, struct sdhcp_req *r)
{
	uint64_t secs = (now - n->dhcp_start) / 1000000000ull;

	*r = (struct sdhcp_req){ .type = type, .style = (uint8_t)sdn_style(n), .arch = n->arch,
				 .xid = n->xid };
	r->secs = secs > 0xffff ? 0xffff : (uint16_t)secs;
	memcpy(r->mac, n->mac, 6);
	sdhcp_uuid_from_mac(n->mac, r->uuid);
}

void sdn_take_boot(struct storm_node *n, const struct sdhcp_reply *r, uint32_t src_ip, int from)
{
	struct in_addr a;
	if (!r->bootfile[0] || from < n->boot_rank)
		return;
	char *f = strdup(r->bootfile);
	if (!f)
		return;
	free(n->bootfile);
	n->bootfile = f;
	n->boot_rank = (uint8_t)from;
	if (r->tftp_server[0] && inet_pton(AF_INET, r->tftp_server, &a) == 1)
		n->next_server = a.s_addr;
	else if (r->siaddr)
		n->next_server = r->siaddr;
	else
		n->next_server = r->has_server_id ? r->server_id : src_ip;
}

double sdn_retx_ms(unsigned k)
{
	return (double)DHCP_RETX_MS * (double)(1u << (k - 1));
}

bool sdn_asks_proxy(const struct storm_node *n)
{
	return n->boot_rank == BF_PROXY_OFFER && n->proxy_ask;
}
