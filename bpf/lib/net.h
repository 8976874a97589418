/* Ethernet / IPv4 / UDP for the fast path's programs, XDP and TC alike:
 * parse a frame strictly (anything unusual is passed up, never guessed at)
 * and the checksum arithmetic that building replies needs. */
#ifndef RACKBOOT_BPF_LIB_NET_H
#define RACKBOOT_BPF_LIB_NET_H

#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

#define RB_ETH_P_IP    0x0800
#define RB_IP_MF       0x2000
#define RB_IP_OFFMASK  0x1fff
#define RB_ETH_HLEN    14
#define RB_IP_HLEN     20              /* the only IPv4 header length we answer */
#define RB_UDP_HLEN    8
#define RB_HDRS_LEN    (RB_ETH_HLEN + RB_IP_HLEN + RB_UDP_HLEN)
#define RB_MAX_FRAME   1518            /* Ethernet, 1500 MTU, with a VLAN tag */

enum rb_parse {
	RB_PARSE_OK = 0,
	RB_PARSE_NOT_OURS,             /* not IPv4/UDP (ARP, IPv6, VLAN, TCP...) */
	RB_PARSE_MALFORMED,            /* IPv4/UDP, but cut, optioned, fragmented or inconsistent */
};

/* A parsed IPv4/UDP frame; pointers are into the packet, checked against
 * its end. `payload_len` is what the UDP header says, already checked to
 * lie within the frame (trailing Ethernet padding is allowed). */
struct rb_pkt {
	struct ethhdr *eth;
	struct iphdr *ip;
	struct udphdr *udp;
	__u8 *payload;
	__u32 payload_len;
};

static __always_inline enum rb_parse rb_parse_udp4(void *data, void *end, struct rb_pkt *p)
{
	struct ethhdr *eth = data;
	if ((void *)(eth + 1) > end)
		return RB_PARSE_NOT_OURS;
	if (eth->h_proto != bpf_htons(RB_ETH_P_IP))
		return RB_PARSE_NOT_OURS;   /* VLAN-tagged frames too: the daemon sees them */
	struct iphdr *ip = (void *)(eth + 1);
	if ((void *)(ip + 1) > end)
		return RB_PARSE_MALFORMED;
	if (ip->version != 4)
		return RB_PARSE_MALFORMED;
	if (ip->protocol != IPPROTO_UDP)
		return RB_PARSE_NOT_OURS;
	if (ip->ihl != 5)
		return RB_PARSE_MALFORMED;  /* IP options: userspace decides */
	if (ip->frag_off & bpf_htons(RB_IP_MF | RB_IP_OFFMASK))
		return RB_PARSE_MALFORMED;  /* fragments are reassembled by the stack */
	__u32 tot = bpf_ntohs(ip->tot_len);
	/* 6.1's verifier loses the 16-bit bound through the byte swap; the
	 * mask, out of the compiler's sight, gives it back */
	asm volatile("%[t] &= 0xffff" : [t] "+r"(tot));
	if (tot < RB_IP_HLEN + RB_UDP_HLEN || (void *)ip + tot > end)
		return RB_PARSE_MALFORMED;
	struct udphdr *udp = (void *)(ip + 1);
	if ((void *)(udp + 1) > end)
		return RB_PARSE_MALFORMED;
	__u32 ulen = bpf_ntohs(udp->len);
	asm volatile("%[t] &= 0xffff" : [t] "+r"(ulen));
	if (ulen != tot - RB_IP_HLEN)
		return RB_PARSE_MALFORMED;
	p->eth = eth;
	p->ip = ip;
	p->udp = udp;
	p->payload = (__u8 *)(udp + 1);
	p->payload_len = ulen - RB_UDP_HLEN;
	return RB_PARSE_OK;
}

static __always_inline __u16 rb_csum_fold(__u64 sum)
{
	sum = (sum & 0xffffffff) + (sum >> 32);
	sum = (sum & 0xffffffff) + (sum >> 32);
	sum = (sum & 0xffff) + (sum >> 16);
	sum = (sum & 0xffff) + (sum >> 16);
	return (__u16)~sum;
}

/* The header checksum of a 20-byte IPv4 header (its check field zero). */
static __always_inline __u16 rb_ip_csum(const struct iphdr *ip)
{
	const __u16 *w = (const __u16 *)ip;
	__u64 sum = 0;
#pragma unroll
	for (int i = 0; i < RB_IP_HLEN / 2; i++)
		sum += w[i];
	return rb_csum_fold(sum);
}

/* The UDP pseudo-header's contribution, in the same one's-complement
 * arithmetic as bpf_csum_diff()'s results (network-order words). */
static __always_inline __u64 rb_udp_pseudo_sum(__u32 saddr_be, __u32 daddr_be, __u16 ulen)
{
	__u64 sum = 0;
	sum += saddr_be;
	sum += daddr_be;
	sum += bpf_htons(IPPROTO_UDP);
	sum += bpf_htons(ulen);
	return sum;
}

/* A UDP checksum of zero means "none" on the wire: a computed zero is sent
 * as all ones (RFC 768). */
static __always_inline __u16 rb_udp_csum_final(__u64 sum)
{
	__u16 c = rb_csum_fold(sum);
	return c ? c : 0xffff;
}

#endif
