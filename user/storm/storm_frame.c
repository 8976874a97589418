/* Ethernet/IPv4/UDP framing for DHCP over AF_PACKET (see storm_frame.h). */
#include "storm/storm_frame.h"

#include <string.h>

static void put16(uint8_t *p, uint16_t v) { p[0] = (uint8_t)(v >> 8); p[1] = (uint8_t)v; }
static uint16_t get16(const uint8_t *p) { return (uint16_t)(p[0] << 8 | p[1]); }

uint32_t storm_csum_add(uint32_t sum, const uint8_t *p, size_t len)
{
	size_t i;
	for (i = 0; i + 1 < len; i += 2)
		sum += (uint32_t)(p[i] << 8 | p[i + 1]);
	if (len & 1)
		sum += (uint32_t)p[len - 1] << 8;
	return sum;
}

uint16_t storm_csum_fold(uint32_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

size_t storm_frame_udp(uint8_t *f, size_t cap, const uint8_t src_mac[6],
		       uint32_t src_ip, uint32_t dst_ip, uint16_t sport, uint16_t dport,
		       uint16_t ip_id, const uint8_t *payload, size_t len)
{
	size_t total = SF_HDR_LEN + len;
	if (total > cap || total > SF_MAX)
		return 0;
	uint8_t *ip = f + SF_ETH_LEN, *udp = ip + SF_IP_LEN;

	memset(f, 0xff, 6);                       /* broadcast: we have no ARP */
	memcpy(f + 6, src_mac, 6);
	put16(f + 12, 0x0800);

	ip[0] = 0x45;                             /* IPv4, 20-byte header */
	ip[1] = 0;
	put16(ip + 2, (uint16_t)(SF_IP_LEN + SF_UDP_LEN + len));
	put16(ip + 4, ip_id);
	put16(ip + 6, 0);                         /* no DF: as PXE ROMs send */
	ip[8] = 64;
	ip[9] = 17;
	put16(ip + 10, 0);
	memcpy(ip + 12, &src_ip, 4);
	memcpy(ip + 16, &dst_ip, 4);
	put16(ip + 10, storm_csum_fold(storm_csum_add(0, ip, SF_IP_LEN)));

	put16(udp, sport);
	put16(udp + 2, dport);
	put16(udp + 4, (uint16_t)(SF_UDP_LEN + len));
	put16(udp + 6, 0);
	memcpy(udp + SF_UDP_LEN, payload, len);
	/* pseudo-header: addresses, protocol, UDP length */
	uint8_t ph[4] = { 0, 17, 0, 0 };
	put16(ph + 2, (uint16_t)(SF_UDP_LEN + len));
	uint32_t s = storm_csum_add(0, ip + 12, 8);
	s = storm_csum_add(s, ph, 4);
	s = storm_csum_add(s, udp, SF_UDP_LEN + len);
	uint16_t c = storm_csum_fold(s);
	put16(udp + 6, c ? c : 0xffff);           /* 0 would mean "no checksum" */
	return total;
}

const uint8_t *storm_frame_udp_payload(const uint8_t *f, size_t len, uint16_t dport,
				       size_t *plen, uint32_t *src_ip, uint16_t *sport)
{
	if (len < SF_HDR_LEN || get16(f + 12) != 0x0800)
		return NULL;
	const uint8_t *ip = f + SF_ETH_LEN;
	size_t ihl = (size_t)(ip[0] & 0x0f) * 4, iplen = get16(ip + 2);
	if ((ip[0] >> 4) != 4 || ihl < SF_IP_LEN || ip[9] != 17)
		return NULL;
	if (get16(ip + 6) & 0x3fff)               /* MF set or an offset: a fragment */
		return NULL;
	if (iplen < ihl + SF_UDP_LEN || iplen > len - SF_ETH_LEN)
		return NULL;
	const uint8_t *udp = ip + ihl;
	size_t ulen = get16(udp + 4);
	if (get16(udp + 2) != dport || ulen < SF_UDP_LEN || ulen > iplen - ihl)
		return NULL;
	memcpy(src_ip, ip + 12, 4);
	*sport = get16(udp);
	*plen = ulen - SF_UDP_LEN;
	return udp + SF_UDP_LEN;
}

void storm_frame_bpf(struct sock_filter prog[SF_BPF_LEN], uint16_t dport)
{
	/* jump offsets count from the next instruction; 10 is "reject" */
	const struct sock_filter p[SF_BPF_LEN] = {
		BPF_STMT(BPF_LD | BPF_H | BPF_ABS, 12),              /* 0: ethertype */
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 0x0800, 0, 8),
		BPF_STMT(BPF_LD | BPF_B | BPF_ABS, 23),              /* 2: IP protocol */
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 17, 0, 6),
		BPF_STMT(BPF_LD | BPF_H | BPF_ABS, 20),              /* 4: fragment offset */
		BPF_JUMP(BPF_JMP | BPF_JSET | BPF_K, 0x1fff, 4, 0),
		BPF_STMT(BPF_LDX | BPF_B | BPF_MSH, 14),             /* 6: X = IP header length */
		BPF_STMT(BPF_LD | BPF_H | BPF_IND, 16),              /* 7: UDP destination port */
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, dport, 0, 1),
		BPF_STMT(BPF_RET | BPF_K, 0x40000),                  /* 9: accept */
		BPF_STMT(BPF_RET | BPF_K, 0),                        /* 10: reject */
	};
	memcpy(prog, p, sizeof(p));
}
