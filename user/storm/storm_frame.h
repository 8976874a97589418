/* Ethernet/IPv4/UDP frames for the DHCP client side of rackboot-storm: a
 * node has no address yet and its MAC is not the interface's, so its DHCP
 * messages go out whole through an AF_PACKET socket, built here. Pure
 * functions, no I/O. */
#ifndef RACKBOOT_STORM_FRAME_H
#define RACKBOOT_STORM_FRAME_H

#include <linux/filter.h>
#include <stddef.h>
#include <stdint.h>

#define SF_ETH_LEN  14
#define SF_IP_LEN   20
#define SF_UDP_LEN  8
#define SF_HDR_LEN  (SF_ETH_LEN + SF_IP_LEN + SF_UDP_LEN)
#define SF_MAX      1514

/* One frame src_mac -> ff:ff:ff:ff:ff:ff, IPv4 src_ip -> dst_ip (network
 * order), UDP sport -> dport around `payload`, with the IP and UDP
 * checksums computed. Returns the frame length, 0 if it exceeds cap. */
size_t storm_frame_udp(uint8_t *frame, size_t cap, const uint8_t src_mac[6],
		       uint32_t src_ip, uint32_t dst_ip, uint16_t sport, uint16_t dport,
		       uint16_t ip_id, const uint8_t *payload, size_t len);

/* The UDP payload of `frame` when it is an unfragmented IPv4/UDP datagram
 * to port `dport` whose lengths are consistent; NULL otherwise. Checksums
 * are not verified: frames from a local stack over veth carry a partial
 * one (checksum offload), and the kernel already checked the IP header of
 * anything that crossed a real wire. *src_ip is network order. */
const uint8_t *storm_frame_udp_payload(const uint8_t *frame, size_t len, uint16_t dport,
				       size_t *plen, uint32_t *src_ip, uint16_t *sport);

/* Classic BPF accepting IPv4 UDP to `dport` (non-first fragments refused),
 * as tcpdump compiles "udp dst port N". prog must hold SF_BPF_LEN insns. */
#define SF_BPF_LEN 11
void storm_frame_bpf(struct sock_filter prog[SF_BPF_LEN], uint16_t dport);

/* Internet checksum (RFC 1071) of `len` bytes added to `sum`; fold with
 * storm_csum_fold. */
uint32_t storm_csum_add(uint32_t sum, const uint8_t *p, size_t len);
uint16_t storm_csum_fold(uint32_t sum);

#endif
