/* The client half of DHCP for rackboot-storm: the DISCOVER and REQUEST a
 * PXE ROM, EDK2 or iPXE sends, and a reader for the server's BOOTREPLY
 * (dhcp_proto.c parses requests only). Pure functions, no I/O. */
#ifndef RACKBOOT_STORM_DHCP_H
#define RACKBOOT_STORM_DHCP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Which firmware speaks: decides options 60, 55, 57, 77, 175. */
enum sdhcp_style { SDHCP_PXE_BIOS, SDHCP_PXE_UEFI, SDHCP_IPXE };

struct sdhcp_req {
	uint8_t type;              /* DHCPDISCOVER or DHCPREQUEST */
	uint8_t style;             /* enum sdhcp_style */
	uint16_t arch;             /* option 93: 0 BIOS, 7 UEFI x64 */
	uint32_t xid;
	uint16_t secs;
	uint8_t mac[6];
	uint8_t uuid[16];          /* option 97 (SMBIOS UUID) */
	uint32_t requested_ip;     /* option 50, network order; 0 = absent */
	uint32_t server_id;        /* option 54, network order; 0 = absent */
	uint32_t ciaddr;           /* network order; set: the ProxyDHCPREQUEST to port
				      4011, sent from this (leased) address, unicast */
};

/* The longest request sdhcp_build writes: 576 bytes minus IP and UDP
 * headers, which every server must accept. */
#define SDHCP_REQ_LEN 548

/* The UUID firmware would read from SMBIOS: derived from the MAC, so a
 * node keeps it across both of its DORAs and across runs. */
void sdhcp_uuid_from_mac(const uint8_t mac[6], uint8_t uuid[16]);

/* Build the DHCP message (from op to END, padded to 300 bytes) into buf.
 * Without ciaddr the broadcast flag is set: the server then broadcasts its
 * replies and needs no ARP entry for a MAC the interface does not own.
 * With ciaddr (the ProxyDHCPREQUEST) the client has its address and asks
 * for a unicast answer, as EDK2 does. Returns the length, 0 if cap is too
 * small (less than SDHCP_REQ_LEN). */
size_t sdhcp_build(uint8_t *buf, size_t cap, const struct sdhcp_req *r);

/* What a node needs from a server reply. Strings are NUL-terminated
 * copies; addresses network order. */
struct sdhcp_reply {
	uint8_t type;              /* option 53; 0 for BOOTP */
	uint32_t xid;
	uint8_t chaddr[6];
	uint32_t yiaddr, siaddr, server_id, subnet_mask;
	bool has_mask, has_server_id;
	bool pxe_vendor;           /* option 60 starts with "PXEClient" */
	bool has_discovery_ctl;    /* option 43 carries PXE sub-option 6 */
	uint8_t discovery_ctl;     /* PXE_DISCOVERY_CONTROL bits (PXE 2.1 table 2-1) */
	uint32_t lease_time;
	char bootfile[256];        /* option 67, else the file field */
	char tftp_server[256];     /* option 66 */
	char vendor_class[64];     /* option 60 */
};

enum sdhcp_err {
	SDHCP_OK = 0,
	SDHCP_E_SHORT,             /* shorter than header + cookie */
	SDHCP_E_OP,                /* not a BOOTREPLY, or not Ethernet (htype 1, hlen 6) */
	SDHCP_E_COOKIE,
	SDHCP_E_OPTLEN,            /* an option runs past its area */
};

/* Read a BOOTREPLY. Options come from the option area and, when option 52
 * says so, from the file and sname fields (RFC 2131 4.1 order); the first
 * instance of an option counts. Nothing at or past buf[len] is read. */
enum sdhcp_err sdhcp_parse_reply(const uint8_t *buf, size_t len, struct sdhcp_reply *r);

/* After choosing a proxy offer, does this firmware ask the proxy on port
 * 4011 (ProxyDHCPREQUEST) for the boot file? EDK2 and iPXE always do. A
 * PXE 2.1 BIOS ROM does unless the offer has discovery control bit 3
 * ("boot the file in this offer") and a file, as rackbootd sends it. */
bool sdhcp_proxy_needs_4011(enum sdhcp_style style, const struct sdhcp_reply *proxy_offer);

/* Is `r` the ProxyDHCPACK for the node with this xid and MAC: a DHCPACK
 * with a boot file (iPXE and EDK2 drop one without). */
bool sdhcp_proxy_ack_ok(const struct sdhcp_reply *r, uint32_t xid, const uint8_t mac[6]);

/* Prefix length of a contiguous netmask (network order), or -1. */
int sdhcp_mask_prefix(uint32_t mask);

#endif
