/* Unit tests for a node's DHCP client state (user/storm/storm_dhcp_node.c),
 * what the DORA and the port-4011 steps share: the firmware style of each
 * phase, the request fields (secs counting from the first DISCOVER and
 * saturating), which reply's boot information wins and where the TFTP
 * server comes from, the retransmission schedule, and when a node goes
 * on to port 4011. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "proto/dhcp_proto.h"
#include "storm/storm_dhcp_node.h"

static const uint8_t MAC[6] = { 0x02, 0x53, 0, 0, 0x01, 0x2a };

static struct storm_node node_of(uint8_t kind, uint8_t phase)
{
	struct storm_node n = { .kind = kind, .phase = phase, .arch = kind == SK_UEFI ? 7 : 0,
				.xid = 0x12345678, .dhcp_start = 5000000000ull };
	memcpy(n.mac, MAC, 6);
	return n;
}

static void test_style(void **state)
{
	struct storm_node n = node_of(SK_BIOS, PH_DHCP);
	assert_int_equal(sdn_style(&n), SDHCP_PXE_BIOS);
	n = node_of(SK_UEFI, PH_DHCP);
	assert_int_equal(sdn_style(&n), SDHCP_PXE_UEFI);
	/* the iPXE DORA speaks as iPXE, whatever the node booted from */
	n = node_of(SK_UEFI, PH_IPXE_DHCP);
	assert_int_equal(sdn_style(&n), SDHCP_IPXE);
	n = node_of(SK_IPXE, PH_IPXE_DHCP);
	assert_int_equal(sdn_style(&n), SDHCP_IPXE);
}

static void test_fill_req(void **state)
{
	struct storm_node n = node_of(SK_UEFI, PH_DHCP);
	struct sdhcp_req r;
	uint8_t uuid[16];

	memset(&r, 0xaa, sizeof(r));
	sdn_fill_req(&n, n.dhcp_start + 2999999999ull, DHCPREQUEST, &r);
	assert_int_equal(r.type, DHCPREQUEST);
	assert_int_equal(r.style, SDHCP_PXE_UEFI);
	assert_int_equal(r.arch, 7);
	assert_int_equal(r.xid, 0x12345678);
	assert_int_equal(r.secs, 2);              /* whole seconds since the first DISCOVER */
	assert_memory_equal(r.mac, MAC, 6);
	sdhcp_uuid_from_mac(MAC, uuid);
	assert_memory_equal(r.uuid, uuid, 16);
	/* the rest is the caller's to set */
	assert_int_equal(r.requested_ip, 0);
	assert_int_equal(r.server_id, 0);
	assert_int_equal(r.ciaddr, 0);

	sdn_fill_req(&n, n.dhcp_start, DHCPDISCOVER, &r);
	assert_int_equal(r.secs, 0);
	sdn_fill_req(&n, n.dhcp_start + 70000 * 1000000000ull, DHCPDISCOVER, &r);
	assert_int_equal(r.secs, 0xffff);          /* saturates */
}

#define SRC htonl(0xc0a80001)        /* the reply's sender, 192.168.0.1 */

/* The node takes the boot information of a reply from SRC with this
 * file, option 66, siaddr and server identifier (0: none). */
static void take(struct storm_node *n, int from, const char *file, const char *tftp,
		 uint32_t siaddr, uint32_t sid)
{
	struct sdhcp_reply r;
	memset(&r, 0, sizeof(r));
	snprintf(r.bootfile, sizeof(r.bootfile), "%s", file);
	snprintf(r.tftp_server, sizeof(r.tftp_server), "%s", tftp);
	r.siaddr = siaddr;
	r.server_id = sid;
	r.has_server_id = sid != 0;
	sdn_take_boot(n, &r, SRC, from);
}

static void test_take_boot_next_server(void **state)
{
	struct storm_node n = node_of(SK_BIOS, PH_DHCP);
	uint32_t si = htonl(0xc0a80002), sid = htonl(0xc0a80003);

	/* option 66 as an address wins over siaddr and the server */
	take(&n, BF_OFFER, "a.kpxe", "192.168.0.9", si, sid);
	assert_string_equal(n.bootfile, "a.kpxe");
	assert_int_equal(n.boot_rank, BF_OFFER);
	assert_int_equal(n.next_server, htonl(0xc0a80009));
	/* option 66 as a name: siaddr */
	take(&n, BF_OFFER, "b.kpxe", "tftp.example", si, sid);
	assert_string_equal(n.bootfile, "b.kpxe");
	assert_int_equal(n.next_server, si);
	/* no siaddr: the server identifier */
	take(&n, BF_OFFER, "c.kpxe", "", 0, sid);
	assert_int_equal(n.next_server, sid);
	/* nor that: whoever sent the reply */
	take(&n, BF_OFFER, "d.kpxe", "", 0, 0);
	assert_string_equal(n.bootfile, "d.kpxe");
	assert_int_equal(n.next_server, SRC);
	free(n.bootfile);
}

/* Which reply's file the node ends up with, in the order they come. */
static const struct {
	int from;
	const char *file;
	const char *want;
	int want_rank;
} rank_rows[] = {
	{ BF_PROXY_OFFER, "proxy.kpxe", "proxy.kpxe", BF_PROXY_OFFER },
	/* an address offer's file does not override a proxy offer's */
	{ BF_OFFER, "offer.kpxe", "proxy.kpxe", BF_PROXY_OFFER },
	/* a reply without a file changes nothing */
	{ BF_ACK, "", "proxy.kpxe", BF_PROXY_OFFER },
	/* the ACK's file does; the port-4011 ACK's beats everything */
	{ BF_ACK, "ack.kpxe", "ack.kpxe", BF_ACK },
	{ BF_PROXY_ACK, "4011.efi", "4011.efi", BF_PROXY_ACK },
	{ BF_ACK, "late.kpxe", "4011.efi", BF_PROXY_ACK },
};

static void test_take_boot_rank(void **state)
{
	struct storm_node n = node_of(SK_BIOS, PH_DHCP);

	for (size_t i = 0; i < sizeof(rank_rows) / sizeof(rank_rows[0]); i++) {
		take(&n, rank_rows[i].from, rank_rows[i].file, "", htonl(0x0a000001), 0);
		assert_string_equal(n.bootfile, rank_rows[i].want);
		assert_int_equal(n.boot_rank, rank_rows[i].want_rank);
	}
	free(n.bootfile);
}

static void test_retx_schedule(void **state)
{
	assert_true(sdn_retx_ms(1) == 4000.0);
	assert_true(sdn_retx_ms(2) == 8000.0);
	assert_true(sdn_retx_ms(3) == 16000.0);
	assert_true(sdn_retx_ms(DHCP_TRANSMITS) == 32000.0);
}

static void test_asks_proxy(void **state)
{
	struct storm_node n = node_of(SK_BIOS, PH_DHCP);
	assert_false(sdn_asks_proxy(&n));
	n.boot_rank = BF_PROXY_OFFER;
	assert_false(sdn_asks_proxy(&n));          /* the offer said "boot this file" */
	n.proxy_ask = true;
	assert_true(sdn_asks_proxy(&n));
	n.boot_rank = BF_ACK;                      /* the ACK named the file itself */
	assert_false(sdn_asks_proxy(&n));
	n.boot_rank = BF_PROXY_ACK;                /* asked and answered */
	assert_false(sdn_asks_proxy(&n));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_style),
		cmocka_unit_test(test_fill_req),
		cmocka_unit_test(test_take_boot_next_server),
		cmocka_unit_test(test_take_boot_rank),
		cmocka_unit_test(test_retx_schedule),
		cmocka_unit_test(test_asks_proxy),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
