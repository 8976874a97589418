/* DHCP requests as firmware sends them, and a BOOTREPLY reader (see
 * storm_dhcp.h). Requests reuse dhcp_proto.c's option builder (dhcp_put*),
 * so the bytes on the wire follow the same rules as the server's own. */
#include "storm/storm_dhcp.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>

#include "proto/dhcp_proto.h"

/* BOOTP layout (RFC 951/2131). */
enum {
	OFF_OP = 0, OFF_HTYPE = 1, OFF_HLEN = 2, OFF_XID = 4, OFF_SECS = 8, OFF_FLAGS = 10,
	OFF_CIADDR = 12, OFF_YIADDR = 16, OFF_SIADDR = 20, OFF_CHADDR = 28, OFF_SNAME = 44, OFF_FILE = 108,
	OFF_COOKIE = 236, OFF_OPTIONS = 240, SNAME_LEN = 64, FILE_LEN = 128,
	REQ_CAP = SDHCP_REQ_LEN,
	/* PXE vendor options (option 43 after PXEClient): discovery control */
	PXE_DISCOVERY_CONTROL = 6, PXE_DC_USE_BOOTFILE = 8,
};

static void put16(uint8_t *p, uint16_t v) { p[0] = (uint8_t)(v >> 8); p[1] = (uint8_t)v; }
static void put32(uint8_t *p, uint32_t v) { put16(p, (uint16_t)(v >> 16)); put16(p + 2, (uint16_t)v); }
static uint32_t get32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

void sdhcp_uuid_from_mac(const uint8_t mac[6], uint8_t uuid[16])
{
	/* A fixed prefix, then the MAC twice, version 4-ish bits: unique per MAC. */
	static const uint8_t pfx[4] = { 0x53, 0x54, 0x4f, 0x52 };   /* "STOR" */
	memcpy(uuid, pfx, 4);
	memcpy(uuid + 4, mac, 6);
	memcpy(uuid + 10, mac, 6);
	uuid[6] = (uint8_t)((uuid[6] & 0x0f) | 0x40);
	uuid[8] = (uint8_t)((uuid[8] & 0x3f) | 0x80);
}

/* Parameter request lists as captured from the firmware they imitate. */
static const uint8_t prl_bios[] = {   /* Intel PXE 2.1 BIOS ROM */
	1, 2, 3, 4, 5, 6, 11, 12, 13, 15, 16, 17, 18, 22, 23, 28, 40, 41, 42, 43,
	50, 51, 54, 58, 59, 60, 66, 67, 128, 129, 130, 131, 132, 133, 134, 135,
};
static const uint8_t prl_uefi[] = {   /* EDK2 PxeBcDhcp4 */
	1, 2, 3, 4, 5, 6, 12, 13, 15, 17, 18, 22, 23, 28, 40, 41, 42, 43, 50, 51,
	54, 58, 59, 60, 66, 67, 97, 128, 129, 130, 131, 132, 133, 134, 135,
};
static const uint8_t prl_ipxe[] = {   /* iPXE 1.21 */
	1, 3, 6, 7, 12, 15, 17, 26, 43, 60, 66, 67, 119, 128, 129, 130, 131, 132,
	133, 134, 135, 175, 203,
};

size_t sdhcp_build(uint8_t *buf, size_t cap, const struct sdhcp_req *r)
{
	struct dhcp_builder b;
	char vc[48];
	uint8_t ndi[3], guid[17];

	if (cap < REQ_CAP)
		return 0;
	memset(buf, 0, REQ_CAP);
	buf[OFF_OP] = BOOTREQUEST;
	buf[OFF_HTYPE] = 1;
	buf[OFF_HLEN] = 6;
	put32(buf + OFF_XID, r->xid);
	put16(buf + OFF_SECS, r->secs);
	put16(buf + OFF_FLAGS, r->ciaddr ? 0 : DHCP_FLAG_BROADCAST);
	memcpy(buf + OFF_CIADDR, &r->ciaddr, 4);
	memcpy(buf + OFF_CHADDR, r->mac, 6);
	put32(buf + OFF_COOKIE, DHCP_MAGIC);
	b = (struct dhcp_builder){ .buf = buf, .cap = REQ_CAP, .len = OFF_OPTIONS };

	dhcp_put_u8(&b, DHO_MSG_TYPE, r->type);
	if (r->requested_ip)
		dhcp_put_ip(&b, DHO_REQUESTED_IP, r->requested_ip);
	if (r->server_id)
		dhcp_put_ip(&b, DHO_SERVER_ID, r->server_id);
	/* 1260: what PXE ROMs say (EDK2 1472, iPXE 1472); fits any MTU */
	dhcp_put_u16(&b, DHO_MAX_SIZE, r->style == SDHCP_PXE_BIOS ? 1260 : 1472);
	if (r->style == SDHCP_IPXE) {
		uint8_t cid[7] = { 1 };
		memcpy(cid + 1, r->mac, 6);
		dhcp_put(&b, DHO_CLIENT_ID, cid, sizeof(cid));
	}
	dhcp_put(&b, DHO_PARAM_LIST,
		 r->style == SDHCP_PXE_BIOS ? prl_bios : r->style == SDHCP_PXE_UEFI ? prl_uefi : prl_ipxe,
		 r->style == SDHCP_PXE_BIOS ? sizeof(prl_bios) :
		 r->style == SDHCP_PXE_UEFI ? sizeof(prl_uefi) : sizeof(prl_ipxe));
	dhcp_put_u16(&b, DHO_CLIENT_ARCH, r->arch);
	/* option 94: UNDI 2.1 (BIOS, iPXE) or 3.16 (EDK2) */
	ndi[0] = 1;
	ndi[1] = r->style == SDHCP_PXE_UEFI ? 3 : 2;
	ndi[2] = r->style == SDHCP_PXE_UEFI ? 16 : 1;
	dhcp_put(&b, DHO_CLIENT_NDI, ndi, sizeof(ndi));
	snprintf(vc, sizeof(vc), "PXEClient:Arch:%05u:UNDI:%03u%03u", r->arch, ndi[1], ndi[2]);
	dhcp_put_str(&b, DHO_VENDOR_CLASS, vc);
	guid[0] = 0;                                   /* type 0: a GUID follows */
	memcpy(guid + 1, r->uuid, 16);
	dhcp_put(&b, DHO_UUID, guid, sizeof(guid));
	if (r->style == SDHCP_IPXE) {
		/* what iPXE 1.21 announces: bus id, version and its features
		 * (HTTP, DNS, TFTP, PXE extensions) inside option 175 */
		static const uint8_t enc[] = {
			0xb1, 0x05, 0x01, 0x80, 0x86, 0x10, 0x0e,   /* bus id: PCI 8086:100e */
			0xeb, 0x03, 0x01, 0x15, 0x01,               /* version 1.21.1 */
			0x13, 0x01, 0x01,                           /* HTTP */
			0x17, 0x01, 0x01,                           /* DNS */
			0x15, 0x01, 0x01,                           /* TFTP */
			0x10, 0x01, 0x02,                           /* PXE extensions */
		};
		dhcp_put_str(&b, DHO_USER_CLASS, "iPXE");
		dhcp_put(&b, DHO_IPXE_ENCAP, enc, sizeof(enc));
	}
	return dhcp_reply_finish(&b);
}

/* Copy an option or a fixed field as a C string (stops at NUL). */
static void copy_str(char *dst, size_t cap, const uint8_t *src, size_t n)
{
	const uint8_t *z = memchr(src, 0, n);
	if (z)
		n = (size_t)(z - src);
	if (n >= cap)
		n = cap - 1;
	memcpy(dst, src, n);
	dst[n] = 0;
}

struct seen { bool opt[256]; uint8_t overload; };

/* Option 43 as PXE vendor options: sub-option 6, discovery control. A
 * malformed area is ignored (it is only meaningful to PXE clients, who
 * then fall back to asking on port 4011). */
static void take_pxe_vendor(struct sdhcp_reply *r, const uint8_t *d, uint8_t n)
{
	size_t i = 0;
	while (i < n && d[i] != DHO_END) {
		if (d[i] == DHO_PAD) {
			i++;
			continue;
		}
		if (i + 1 >= n || i + 2 + (size_t)d[i + 1] > n)
			return;
		if (d[i] == PXE_DISCOVERY_CONTROL && d[i + 1] == 1) {
			r->has_discovery_ctl = true;
			r->discovery_ctl = d[i + 2];
		}
		i += 2 + (size_t)d[i + 1];
	}
}

static void take(struct sdhcp_reply *r, struct seen *s, uint8_t code, const uint8_t *d, uint8_t n)
{
	if (s->opt[code])
		return;                               /* the first instance counts */
	s->opt[code] = true;
	switch (code) {
	case DHO_MSG_TYPE: if (n == 1) r->type = d[0]; break;
	case DHO_SUBNET_MASK:
		if (n == 4) { memcpy(&r->subnet_mask, d, 4); r->has_mask = true; }
		break;
	case DHO_SERVER_ID:
		if (n == 4) { memcpy(&r->server_id, d, 4); r->has_server_id = true; }
		break;
	case DHO_LEASE_TIME: if (n == 4) r->lease_time = get32(d); break;
	case DHO_OVERLOAD: if (n == 1) s->overload = d[0]; break;
	case DHO_BOOTFILE: copy_str(r->bootfile, sizeof(r->bootfile), d, n); break;
	case DHO_TFTP_SERVER: copy_str(r->tftp_server, sizeof(r->tftp_server), d, n); break;
	case DHO_VENDOR: take_pxe_vendor(r, d, n); break;
	case DHO_VENDOR_CLASS:
		copy_str(r->vendor_class, sizeof(r->vendor_class), d, n);
		r->pxe_vendor = n >= 9 && !memcmp(d, "PXEClient", 9);
		break;
	default: break;
	}
}

/* Walk one option area; stops at END or the end of the area. */
static enum sdhcp_err walk(struct sdhcp_reply *r, struct seen *s, const uint8_t *p, size_t n)
{
	size_t i = 0;
	while (i < n) {
		uint8_t code = p[i];
		if (code == DHO_PAD) {
			i++;
			continue;
		}
		if (code == DHO_END)
			return SDHCP_OK;
		if (i + 1 >= n || i + 2 + p[i + 1] > n)
			return SDHCP_E_OPTLEN;
		take(r, s, code, p + i + 2, p[i + 1]);
		i += 2 + (size_t)p[i + 1];
	}
	return SDHCP_OK;                             /* no END: accepted, as most clients do */
}

enum sdhcp_err sdhcp_parse_reply(const uint8_t *buf, size_t len, struct sdhcp_reply *r)
{
	struct seen s;
	enum sdhcp_err e;

	memset(r, 0, sizeof(*r));
	memset(&s, 0, sizeof(s));
	if (len < OFF_OPTIONS)
		return SDHCP_E_SHORT;
	if (buf[OFF_OP] != BOOTREPLY || buf[OFF_HTYPE] != 1 || buf[OFF_HLEN] != 6)
		return SDHCP_E_OP;
	if (get32(buf + OFF_COOKIE) != DHCP_MAGIC)
		return SDHCP_E_COOKIE;
	r->xid = get32(buf + OFF_XID);
	memcpy(r->chaddr, buf + OFF_CHADDR, 6);
	memcpy(&r->yiaddr, buf + OFF_YIADDR, 4);
	memcpy(&r->siaddr, buf + OFF_SIADDR, 4);
	if ((e = walk(r, &s, buf + OFF_OPTIONS, len - OFF_OPTIONS)) != SDHCP_OK)
		return e;
	if (s.overload & 1 && (e = walk(r, &s, buf + OFF_FILE, FILE_LEN)) != SDHCP_OK)
		return e;
	if (s.overload & 2 && (e = walk(r, &s, buf + OFF_SNAME, SNAME_LEN)) != SDHCP_OK)
		return e;
	if (!s.opt[DHO_BOOTFILE] && !(s.overload & 1))
		copy_str(r->bootfile, sizeof(r->bootfile), buf + OFF_FILE, FILE_LEN);
	return SDHCP_OK;
}

bool sdhcp_proxy_needs_4011(enum sdhcp_style style, const struct sdhcp_reply *proxy_offer)
{
	if (style != SDHCP_PXE_BIOS)
		return true;
	return !(proxy_offer->pxe_vendor && proxy_offer->has_discovery_ctl &&
		 (proxy_offer->discovery_ctl & PXE_DC_USE_BOOTFILE) && proxy_offer->bootfile[0]);
}

bool sdhcp_proxy_ack_ok(const struct sdhcp_reply *r, uint32_t xid, const uint8_t mac[6])
{
	return r->type == DHCPACK && r->xid == xid && !memcmp(r->chaddr, mac, 6) && r->bootfile[0];
}

int sdhcp_mask_prefix(uint32_t mask)
{
	uint32_t m = ntohl(mask);
	int n = 0;
	while (n < 32 && (m & (0x80000000u >> n)))
		n++;
	if (n < 32 && (m << n))
		return -1;                            /* not contiguous */
	return n;
}
