/* DHCP for every node through one AF_PACKET socket, and the leased
 * addresses on the interface (see storm_engine.h).
 *
 * Why a packet socket: each node has its own MAC, which the interface does
 * not own, and no address yet. Its DISCOVER/REQUEST go out as whole
 * Ethernet frames from that MAC (0.0.0.0:68 -> 255.255.255.255:67) with
 * the broadcast flag set, so the server broadcasts its replies; a classic
 * BPF filter passes only UDP to port 68 to the socket, and replies reach
 * their node by chaddr (MAC - base = node index) and xid. Promiscuous
 * mode catches a server that unicasts to the node's MAC anyway.
 *
 * Firmware behaviour kept: one xid per DORA, retransmissions after 4, 8,
 * 16 and 32 s (scaled), secs counting from the first DISCOVER; with
 * proxyDHCP an address offer without boot information waits a short
 * window for the proxy offer, and the boot file comes from whichever
 * reply carries it (ACK before proxy offer before address offer). When it
 * came from a proxy offer, firmware asks the proxy again on port 4011
 * once it has its address (storm_engine_proxy.c); the phase ends there. */
#include <arpa/inet.h>
#include <errno.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "proto/dhcp_proto.h"
#include "storm/storm_dhcp.h"
#include "storm/storm_engine.h"
#include "storm/storm_frame.h"

/* DS_PROXY: bound, the address being added or the port-4011 exchange
 * running; the phase is not over yet. DS_NAKED: NAKed, waiting to
 * DISCOVER again. */
enum { DS_NONE, DS_SELECTING, DS_REQUESTING, DS_BOUND, DS_PROXY, DS_NAKED };

int sdh_open(struct storm *s, char *err, size_t errlen)
{
	struct sock_filter prog[SF_BPF_LEN];
	struct sock_fprog fp = { .len = SF_BPF_LEN, .filter = prog };
	int big = 32 << 20;

	s->ifindex = (int)if_nametoindex(s->cfg->ifname);
	if (!s->ifindex) {
		snprintf(err, errlen, "interface %s: %s", s->cfg->ifname, strerror(errno));
		return -1;
	}
	s->pkt_fd = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC | SOCK_NONBLOCK, htons(ETH_P_IP));
	if (s->pkt_fd < 0) {
		snprintf(err, errlen, "AF_PACKET socket: %s (needs CAP_NET_RAW)", strerror(errno));
		return -1;
	}
	/* the filter before the bind: nothing unfiltered is ever queued */
	storm_frame_bpf(prog, DHCP_CLIENT_PORT);
	struct sockaddr_ll ll = { .sll_family = AF_PACKET, .sll_protocol = htons(ETH_P_IP),
				  .sll_ifindex = s->ifindex };
	struct packet_mreq mr = { .mr_ifindex = s->ifindex, .mr_type = PACKET_MR_PROMISC };
	if (setsockopt(s->pkt_fd, SOL_SOCKET, SO_ATTACH_FILTER, &fp, sizeof(fp)) < 0 ||
	    bind(s->pkt_fd, (struct sockaddr *)&ll, sizeof(ll)) < 0 ||
	    setsockopt(s->pkt_fd, SOL_PACKET, PACKET_ADD_MEMBERSHIP, &mr, sizeof(mr)) < 0) {
		snprintf(err, errlen, "AF_PACKET on %s: %s", s->cfg->ifname, strerror(errno));
		return -1;
	}
	/* a rack's worth of broadcast replies arrives in one burst */
	if (setsockopt(s->pkt_fd, SOL_SOCKET, SO_RCVBUFFORCE, &big, sizeof(big)) < 0)
		setsockopt(s->pkt_fd, SOL_SOCKET, SO_RCVBUF, &big, sizeof(big));
	if (setsockopt(s->pkt_fd, SOL_SOCKET, SO_SNDBUFFORCE, &big, sizeof(big)) < 0)
		setsockopt(s->pkt_fd, SOL_SOCKET, SO_SNDBUF, &big, sizeof(big));
	storm_arm_recv(s, s->pkt_fd, UD_PKT, 0, OP_PKT_RECV);
	return 0;
}

void sdh_close(struct storm *s)
{
	if (s->pkt_fd >= 0)
		close(s->pkt_fd);
	s->pkt_fd = -1;
}

/* ------------------------------------------------------------- sending */

void sdh_flush_frames(struct storm *s)
{
	unsigned off = 0;
	while (off < s->tx_n) {
		int r = sendmmsg(s->pkt_fd, s->tx_msgs + off, s->tx_n - off, 0);
		if (r <= 0) {
			if (r < 0 && errno == EINTR)
				continue;
			/* a full queue drops them, as a congested wire would: the
			 * nodes retransmit on their timers */
			s->st.frames_tx_err += s->tx_n - off;
			s->st.last_errno = errno;
			break;
		}
		s->st.frames_tx += (unsigned)r;
		off += (unsigned)r;
	}
	s->tx_n = 0;
}

static enum sdhcp_style style_of(const struct storm_node *n)
{
	return n->phase == PH_IPXE_DHCP ? SDHCP_IPXE :
	       n->kind == SK_UEFI ? SDHCP_PXE_UEFI : SDHCP_PXE_BIOS;
}

/* What this node's firmware puts in a DISCOVER or REQUEST now; the same
 * for the ProxyDHCPREQUEST, which adds ciaddr (storm_engine_proxy.c). */
void sdh_fill_req(const struct storm *s, const struct storm_node *n, uint8_t type,
		  struct sdhcp_req *r)
{
	uint64_t secs = (s->now - n->dhcp_start) / 1000000000ull;

	*r = (struct sdhcp_req){ .type = type, .style = (uint8_t)style_of(n), .arch = n->arch,
				 .xid = n->xid };
	r->secs = secs > 0xffff ? 0xffff : (uint16_t)secs;
	memcpy(r->mac, n->mac, 6);
	sdhcp_uuid_from_mac(n->mac, r->uuid);
}

static void send_msg(struct storm *s, struct storm_node *n, uint8_t type)
{
	struct sdhcp_req r;
	uint8_t pl[DHCP_MAX_MSG];

	sdh_fill_req(s, n, type, &r);
	if (type == DHCPREQUEST) {
		r.requested_ip = n->offer_ip;
		r.server_id = n->offer_sid;
	}
	size_t len = sdhcp_build(pl, sizeof(pl), &r);
	if (s->tx_n == 1024)
		sdh_flush_frames(s);
	uint8_t *f = s->tx_frames + (size_t)s->tx_n * SF_MAX;
	size_t fl = storm_frame_udp(f, SF_MAX, n->mac, 0, htonl(INADDR_BROADCAST),
				    DHCP_CLIENT_PORT, DHCP_SERVER_PORT, s->ip_id++, pl, len);
	if (!len || !fl)
		return;
	s->tx_iov[s->tx_n] = (struct iovec){ .iov_base = f, .iov_len = fl };
	s->tx_msgs[s->tx_n] = (struct mmsghdr){ .msg_hdr = { .msg_iov = &s->tx_iov[s->tx_n],
							      .msg_iovlen = 1 } };
	s->tx_n++;
}

/* The wait after transmission number k (1-based): 4 s, 8 s, 16 s, 32 s. */
uint64_t sdh_retx_after(const struct storm *s, unsigned k)
{
	return storm_scaled_ms(s, (double)DHCP_RETX_MS * (double)(1u << (k - 1)));
}

static uint32_t xorshift(struct storm *s)
{
	s->rng ^= s->rng << 13;
	s->rng ^= s->rng >> 7;
	s->rng ^= s->rng << 17;
	return (uint32_t)(s->rng >> 16);
}

/* DISCOVER from scratch: a new exchange (new xid), nothing offered yet. */
static void discover(struct storm *s, struct storm_node *n)
{
	n->xid = xorshift(s);
	n->dstate = DS_SELECTING;
	n->attempt = 1;
	n->have_addr_offer = n->have_proxy_offer = false;
	n->collect_until = 0;
	n->offer_ip = n->offer_sid = 0;
	n->boot_rank = BF_NONE;
	n->proxy_ask = false;
	n->proxy_server = 0;
	free(n->bootfile);
	n->bootfile = NULL;
	n->next_server = 0;
	n->dhcp_start = s->now;
	send_msg(s, n, DHCPDISCOVER);
	storm_timer(s, n, s->now + sdh_retx_after(s, 1));
}

void sdh_begin(struct storm *s, struct storm_node *n, int ph)
{
	storm_phase_begin(s, n, ph);
	discover(s, n);
}

static void request_now(struct storm *s, struct storm_node *n)
{
	n->dstate = DS_REQUESTING;
	n->attempt = 1;
	n->collect_until = 0;
	send_msg(s, n, DHCPREQUEST);
	storm_timer(s, n, s->now + sdh_retx_after(s, 1));
}

void sdh_on_timer(struct storm *s, struct storm_node *n)
{
	if (n->dstate == DS_NAKED) {
		discover(s, n);            /* the pause after a NAK is over */
		return;
	}
	if (n->dstate == DS_SELECTING && n->have_addr_offer) {
		request_now(s, n);         /* the proxy-offer window is over */
		return;
	}
	if (n->dstate != DS_SELECTING && n->dstate != DS_REQUESTING)
		return;
	if (n->attempt >= DHCP_TRANSMITS) {
		storm_node_fail(s, n, R_DHCP_TIMEOUT, 0);
		return;
	}
	n->attempt++;
	n->span[n->phase].retries++;
	send_msg(s, n, n->dstate == DS_SELECTING ? DHCPDISCOVER : DHCPREQUEST);
	storm_timer(s, n, s->now + sdh_retx_after(s, n->attempt));
}

void sdh_abort(struct storm *s, struct storm_node *n)
{
	n->dstate = DS_NONE;           /* a queued address add reports to a failed node: kept for removal */
}

/* ------------------------------------------------------------- replies */

/* Boot information from a reply (`from`: enum storm_boot_from, a later
 * one overrides an earlier): the file, and the TFTP server (option 66
 * when it is an address, else siaddr, else the server itself). */
void sdh_take_boot(struct storm_node *n, const struct sdhcp_reply *r, uint32_t src_ip, int from)
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

static void on_offer(struct storm *s, struct storm_node *n, const struct sdhcp_reply *r, uint32_t src_ip)
{
	if (r->yiaddr) {
		s->st.dhcp_offers++;
		if (n->have_addr_offer)
			return;                /* the first address offer wins, as in firmware */
		n->have_addr_offer = true;
		n->offer_ip = r->yiaddr;
		n->offer_sid = r->has_server_id ? r->server_id : src_ip;
		sdh_take_boot(n, r, src_ip, BF_OFFER);
	} else if (r->pxe_vendor || r->bootfile[0]) {
		s->st.dhcp_proxy_offers++;
		if (n->have_proxy_offer)
			return;
		n->have_proxy_offer = true;
		n->proxy_server = r->has_server_id ? r->server_id : src_ip;
		n->proxy_ask = sdhcp_proxy_needs_4011(style_of(n), r);
		sdh_take_boot(n, r, src_ip, BF_PROXY_OFFER);
	} else {
		return;
	}
	if (!n->have_addr_offer)
		return;                        /* a proxy offer alone: wait for an address */
	if (n->bootfile || s->cfg->proxy_wait <= 0) {
		request_now(s, n);
	} else if (!n->collect_until) {
		/* an address but nothing to boot: a proxyDHCP server may still answer */
		n->collect_until = s->now + storm_scaled_ms(s, s->cfg->proxy_wait * 1000);
		storm_timer(s, n, n->collect_until);
	}
}

static void addr_result(void *ctx, uint32_t idx, int err)
{
	struct storm *s = ctx;
	struct storm_node *n = &s->nodes[idx];

	if (err == 0) {
		if (s->added_n == s->added_cap) {
			unsigned cap = s->added_cap ? s->added_cap * 2 : 1024;
			uint32_t *ip = realloc(s->added_ip, cap * sizeof(*ip));
			if (ip)
				s->added_ip = ip;
			uint8_t *pf = realloc(s->added_prefix, cap);
			if (pf)
				s->added_prefix = pf;
			if (ip && pf)
				s->added_cap = cap;
		}
		if (s->added_n < s->added_cap) {
			s->added_ip[s->added_n] = n->ip;
			s->added_prefix[s->added_n++] = n->prefix;
		}
		s->st.addr_added++;
	}
	if (n->state != NS_ACTIVE)
		return;
	/* EEXIST: the interface has it already (not ours to remove); usable */
	if (err < 0 && err != -EEXIST) {
		s->st.addr_failed++;
		storm_node_fail(s, n, R_ADDR, (unsigned)-err);
		return;
	}
	n->addr_added = true;
	if (n->dstate == DS_PROXY)
		spx_begin(s, n);               /* the address is there: ask port 4011 */
	else
		storm_node_next(s, n);
}

void sdh_flush_addrs(struct storm *s)
{
	if (s->nl.n)
		snl_flush(&s->nl, addr_result, s);
}

static void on_ack(struct storm *s, struct storm_node *n, const struct sdhcp_reply *r, uint32_t src_ip)
{
	s->st.dhcp_acks++;
	sdh_take_boot(n, r, src_ip, BF_ACK);
	if (!r->yiaddr || !n->bootfile) {
		storm_node_fail(s, n, R_DHCP_NO_BOOTFILE, 0);
		return;
	}
	int pfx = r->has_mask ? sdhcp_mask_prefix(r->subnet_mask) : 32;
	uint32_t old = n->ip;
	bool ask = n->boot_rank == BF_PROXY_OFFER && n->proxy_ask;
	n->ip = r->yiaddr;
	n->prefix = (uint8_t)(pfx < 0 ? 32 : pfx);
	n->dstate = ask ? DS_PROXY : DS_BOUND;
	n->span[n->phase].boot_from = n->boot_rank;
	storm_timer(s, n, 0);
	if (!ask) {
		storm_phase_end(s, n);     /* DHCP ends at the ACK; the address add is ours */
		if (n->phase >= s->cfg->last_phase || (n->addr_added && old == n->ip)) {
			storm_node_next(s, n);
			return;
		}
	} else if (n->addr_added && old == n->ip) {
		spx_begin(s, n);           /* iPXE's DORA: the address is there already */
		return;
	}
	/* the port-4011 request and the next phase bind to the address: add
	 * it first (batched; the node goes on when the batch is acknowledged,
	 * see addr_result) */
	n->addr_added = false;
	if (snl_queue(&s->nl, true, n->ip, n->prefix, n->idx, addr_result, s) < 0)
		storm_node_fail(s, n, R_ADDR, EIO);
}

/* A NAK to our REQUEST. EDK2's DHCP driver ends the session with an error
 * (the PXE boot attempt fails); a BIOS PXE ROM and iPXE go back to
 * DISCOVER (RFC 2131 3.1 step 5; iPXE dhcp_defer: after 1 s). They keep
 * doing so — two clients offered one address can collide again on the
 * next — for as long as the phase's DHCP time budget (4+8+16+32 s, the
 * whole retransmission schedule) lasts: iPXE, too, bounds its discovery
 * by time, not by the number of NAKs. */
static void on_nak(struct storm *s, struct storm_node *n)
{
	uint64_t budget = 0;
	for (unsigned k = 1; k <= DHCP_TRANSMITS; k++)
		budget += sdh_retx_after(s, k);
	if ((n->kind == SK_UEFI && n->phase == PH_DHCP) ||
	    s->now - n->span[n->phase].start >= budget) {
		storm_node_fail(s, n, R_DHCP_NAK, 0);
		return;
	}
	n->span[n->phase].retries++;
	n->dstate = DS_NAKED;
	storm_timer(s, n, s->now + storm_scaled_ms(s, DHCP_NAK_PAUSE_MS));
}

/* Read every DHCP reply waiting on the packet socket. The ring only
 * reports the socket readable (a multishot poll); the frames are read
 * here, in batches, until none is left. A multishot receive on the ring
 * took a few dozen frames per kernel entry (the kernel retries a
 * multishot only so often before yielding to others), and with thousands
 * of TFTP sockets busy the loop enters rarely: 10,000 nodes through DHCP +
 * TFTP queued up to 3.8 MB of replies there, drained at ~300 a second,
 * and thousands of nodes retransmitted at 4 s what rackbootd had answered
 * in milliseconds — the simulator's lag reported as the server's latency.
 * Also called at the top of each loop iteration, before timers fire. */
void sdh_drain(struct storm *s)
{
	enum { BATCH = 64, FRAME = 2048 };
	static uint8_t buf[BATCH][FRAME];
	struct mmsghdr mm[BATCH];
	struct iovec iov[BATCH];

	if (s->pkt_fd < 0)
		return;
	for (;;) {
		for (unsigned i = 0; i < BATCH; i++) {
			iov[i] = (struct iovec){ .iov_base = buf[i], .iov_len = FRAME };
			mm[i] = (struct mmsghdr){ .msg_hdr = { .msg_iov = &iov[i], .msg_iovlen = 1 } };
		}
		int got = recvmmsg(s->pkt_fd, mm, BATCH, MSG_DONTWAIT, NULL);
		if (got <= 0)
			return;
		for (int i = 0; i < got; i++)
			if (!(mm[i].msg_hdr.msg_flags & MSG_TRUNC))
				sdh_on_frame(s, buf[i], mm[i].msg_len);
		if (got < BATCH)
			return;
	}
}

void sdh_on_frame(struct storm *s, const uint8_t *frame, size_t len)
{
	struct sdhcp_reply r;
	uint32_t src_ip;
	uint16_t sport;
	size_t plen;

	const uint8_t *p = storm_frame_udp_payload(frame, len, DHCP_CLIENT_PORT, &plen, &src_ip, &sport);
	if (p && sport == PXE_BINL_PORT)
		return;       /* a ProxyDHCPACK to port 68: the node's UDP socket has it */
	s->st.frames_rx++;
	if (!p || sport != DHCP_SERVER_PORT || sdhcp_parse_reply(p, plen, &r) != SDHCP_OK) {
		s->st.frames_bad++;
		return;
	}
	int64_t i = storm_mac_index(s->cfg->mac_base, r.chaddr);
	struct storm_node *n = i >= 0 && i < s->n ? &s->nodes[i] : NULL;
	if (!n || n->state != NS_ACTIVE || r.xid != n->xid ||
	    (n->phase != PH_DHCP && n->phase != PH_IPXE_DHCP)) {
		s->st.frames_stray++;          /* someone else's, or late: a duplicate reply */
		return;
	}
	switch (r.type) {
	case DHCPOFFER:
		if (n->dstate == DS_SELECTING)
			on_offer(s, n, &r, src_ip);
		break;
	case DHCPACK:
		/* only the server we asked (a proxy's ACK on 4011 is not ours) */
		if (n->dstate == DS_REQUESTING && r.yiaddr &&
		    (!r.has_server_id || r.server_id == n->offer_sid))
			on_ack(s, n, &r, src_ip);
		break;
	case DHCPNAK:
		if (n->dstate == DS_REQUESTING && (!r.has_server_id || r.server_id == n->offer_sid)) {
			s->st.dhcp_naks++;
			on_nak(s, n);
		}
		break;
	default:
		s->st.frames_stray++;
		break;
	}
}

static void del_result(void *ctx, uint32_t tag, int err)
{
	/* EADDRNOTAVAIL: went with the primary address it was secondary to */
}

void sdh_remove_addrs(struct storm *s)
{
	sdh_flush_addrs(s);                /* adds still queued: learn what they did */
	/* newest first: secondaries before the primary they hang on */
	for (unsigned i = s->added_n; i-- > 0;)
		snl_queue(&s->nl, false, s->added_ip[i], s->added_prefix[i], i, del_result, s);
	snl_flush(&s->nl, del_result, s);
	s->added_n = 0;
}
