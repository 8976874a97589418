/* DHCP for every node through one AF_PACKET socket, and the leased
 * addresses on the interface: the DORA step (see storm_step_dhcp.h).
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
 * once it has its address: this step is then done without ending the
 * phase, and the engine runs the port-4011 step (storm_step_proxy.c),
 * where the phase ends. */
#include <arpa/inet.h>
#include <errno.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "storm/storm_step_dhcp.h"
#include "proto/dhcp_proto.h"
#include "storm/storm_dhcp.h"
#include "storm/storm_dhcp_node.h"
#include "storm/storm_frame.h"

#define DHCP_NAK_PAUSE_MS 1000      /* iPXE: DISCOVER again 1 s after a NAK */

/* DS_BOUND: acknowledged, the address being added (then the step is
 * done, the phase perhaps not: port 4011). DS_NAKED: NAKed, waiting to
 * DISCOVER again. */
enum { DS_NONE, DS_SELECTING, DS_REQUESTING, DS_BOUND, DS_NAKED };

int sdh_init(struct sdh *d, struct storm_io *io)
{
	d->io = io;
	d->pkt_fd = -1;
	d->nl.fd = -1;
	d->tx_msgs = calloc(1024, sizeof(*d->tx_msgs));
	d->tx_iov = calloc(1024, sizeof(*d->tx_iov));
	d->tx_frames = malloc(1024 * (size_t)SF_MAX);
	if (!d->tx_msgs || !d->tx_iov || !d->tx_frames)
		return -1;
	d->rng = storm_mono_ns() ^ ((uint64_t)getpid() << 32) ^ 0x9e3779b97f4a7c15ull;
	return 0;
}

int sdh_open(struct sdh *d, char *err, size_t errlen)
{
	struct storm_io *s = d->io;
	struct sock_filter prog[SF_BPF_LEN];
	struct sock_fprog fp = { .len = SF_BPF_LEN, .filter = prog };
	int big = 32 << 20;
	int e;

	d->ifindex = (int)if_nametoindex(s->cfg->ifname);
	if (!d->ifindex) {
		snprintf(err, errlen, "interface %s: %s", s->cfg->ifname, strerror(errno));
		return -1;
	}
	d->pkt_fd = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC | SOCK_NONBLOCK, htons(ETH_P_IP));
	if (d->pkt_fd < 0) {
		snprintf(err, errlen, "AF_PACKET socket: %s (needs CAP_NET_RAW)", strerror(errno));
		return -1;
	}
	/* the filter before the bind: nothing unfiltered is ever queued */
	storm_frame_bpf(prog, DHCP_CLIENT_PORT);
	struct sockaddr_ll ll = { .sll_family = AF_PACKET, .sll_protocol = htons(ETH_P_IP),
				  .sll_ifindex = d->ifindex };
	struct packet_mreq mr = { .mr_ifindex = d->ifindex, .mr_type = PACKET_MR_PROMISC };
	if (setsockopt(d->pkt_fd, SOL_SOCKET, SO_ATTACH_FILTER, &fp, sizeof(fp)) < 0 ||
	    bind(d->pkt_fd, (struct sockaddr *)&ll, sizeof(ll)) < 0 ||
	    setsockopt(d->pkt_fd, SOL_PACKET, PACKET_ADD_MEMBERSHIP, &mr, sizeof(mr)) < 0) {
		snprintf(err, errlen, "AF_PACKET on %s: %s", s->cfg->ifname, strerror(errno));
		return -1;
	}
	/* a rack's worth of broadcast replies arrives in one burst */
	if (setsockopt(d->pkt_fd, SOL_SOCKET, SO_RCVBUFFORCE, &big, sizeof(big)) < 0)
		setsockopt(d->pkt_fd, SOL_SOCKET, SO_RCVBUF, &big, sizeof(big));
	if (setsockopt(d->pkt_fd, SOL_SOCKET, SO_SNDBUFFORCE, &big, sizeof(big)) < 0)
		setsockopt(d->pkt_fd, SOL_SOCKET, SO_SNDBUF, &big, sizeof(big));
	storm_arm_recv(s, d->pkt_fd, UD_PKT, 0, OP_PKT_RECV);
	if ((e = snl_open(&d->nl, d->ifindex)) < 0) {
		snprintf(err, errlen, "netlink: %s", strerror(-e));
		return -1;
	}
	return 0;
}

/* ------------------------------------------------------------- sending */

void sdh_flush_frames(struct sdh *d)
{
	struct storm_io *s = d->io;
	unsigned off = 0;
	while (off < d->tx_n) {
		int r = sendmmsg(d->pkt_fd, d->tx_msgs + off, d->tx_n - off, 0);
		if (r <= 0) {
			if (r < 0 && errno == EINTR)
				continue;
			/* a full queue drops them, as a congested wire would: the
			 * nodes retransmit on their timers */
			s->st.frames_tx_err += d->tx_n - off;
			s->st.last_errno = errno;
			break;
		}
		s->st.frames_tx += (unsigned)r;
		off += (unsigned)r;
	}
	d->tx_n = 0;
}

static void send_msg(struct sdh *d, struct storm_node *n, uint8_t type)
{
	struct sdhcp_req r;
	uint8_t pl[DHCP_MAX_MSG];

	sdn_fill_req(n, d->io->now, type, &r);
	if (type == DHCPREQUEST) {
		r.requested_ip = n->offer_ip;
		r.server_id = n->offer_sid;
	}
	size_t len = sdhcp_build(pl, sizeof(pl), &r);
	if (d->tx_n == 1024)
		sdh_flush_frames(d);
	uint8_t *f = d->tx_frames + (size_t)d->tx_n * SF_MAX;
	size_t fl = storm_frame_udp(f, SF_MAX, n->mac, 0, htonl(INADDR_BROADCAST),
				    DHCP_CLIENT_PORT, DHCP_SERVER_PORT, d->ip_id++, pl, len);
	if (!len || !fl)
		return;
	d->tx_iov[d->tx_n] = (struct iovec){ .iov_base = f, .iov_len = fl };
	d->tx_msgs[d->tx_n] = (struct mmsghdr){ .msg_hdr = { .msg_iov = &d->tx_iov[d->tx_n],
							      .msg_iovlen = 1 } };
	d->tx_n++;
}

/* The wait after transmission number k (1-based), scaled. */
static uint64_t retx_after(const struct storm_io *s, unsigned k)
{
	return storm_scaled_ms(s, sdn_retx_ms(k));
}

static uint32_t xorshift(struct sdh *d)
{
	d->rng ^= d->rng << 13;
	d->rng ^= d->rng >> 7;
	d->rng ^= d->rng << 17;
	return (uint32_t)(d->rng >> 16);
}

/* DISCOVER from scratch: a new exchange (new xid), nothing offered yet. */
static void discover(struct sdh *d, struct storm_node *n)
{
	struct storm_io *s = d->io;
	n->xid = xorshift(d);
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
	send_msg(d, n, DHCPDISCOVER);
	storm_timer(s, n, s->now + retx_after(s, 1));
}

void sdh_begin(struct sdh *d, struct storm_node *n)
{
	discover(d, n);
}

static void request_now(struct sdh *d, struct storm_node *n)
{
	struct storm_io *s = d->io;
	n->dstate = DS_REQUESTING;
	n->attempt = 1;
	n->collect_until = 0;
	send_msg(d, n, DHCPREQUEST);
	storm_timer(s, n, s->now + retx_after(s, 1));
}

void sdh_on_timer(struct sdh *d, struct storm_node *n)
{
	struct storm_io *s = d->io;
	if (n->dstate == DS_NAKED) {
		discover(d, n);            /* the pause after a NAK is over */
		return;
	}
	if (n->dstate == DS_SELECTING && n->have_addr_offer) {
		request_now(d, n);         /* the proxy-offer window is over */
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
	send_msg(d, n, n->dstate == DS_SELECTING ? DHCPDISCOVER : DHCPREQUEST);
	storm_timer(s, n, s->now + retx_after(s, n->attempt));
}

void sdh_abort(struct sdh *d, struct storm_node *n)
{
	n->dstate = DS_NONE;           /* a queued address add reports to a failed node: kept for removal */
}

/* ------------------------------------------------------------- replies */

static void on_offer(struct sdh *d, struct storm_node *n, const struct sdhcp_reply *r, uint32_t src_ip)
{
	struct storm_io *s = d->io;
	if (r->yiaddr) {
		s->st.dhcp_offers++;
		if (n->have_addr_offer)
			return;                /* the first address offer wins, as in firmware */
		n->have_addr_offer = true;
		n->offer_ip = r->yiaddr;
		n->offer_sid = r->has_server_id ? r->server_id : src_ip;
		sdn_take_boot(n, r, src_ip, BF_OFFER);
	} else if (r->pxe_vendor || r->bootfile[0]) {
		s->st.dhcp_proxy_offers++;
		if (n->have_proxy_offer)
			return;
		n->have_proxy_offer = true;
		n->proxy_server = r->has_server_id ? r->server_id : src_ip;
		n->proxy_ask = sdhcp_proxy_needs_4011(sdn_style(n), r);
		sdn_take_boot(n, r, src_ip, BF_PROXY_OFFER);
	} else {
		return;
	}
	if (!n->have_addr_offer)
		return;                        /* a proxy offer alone: wait for an address */
	if (n->bootfile || s->cfg->proxy_wait <= 0) {
		request_now(d, n);
	} else if (!n->collect_until) {
		/* an address but nothing to boot: a proxyDHCP server may still answer */
		n->collect_until = s->now + storm_scaled_ms(s, s->cfg->proxy_wait * 1000);
		storm_timer(s, n, n->collect_until);
	}
}

static void addr_result(void *ctx, uint32_t idx, int err)
{
	struct sdh *d = ctx;
	struct storm_io *s = d->io;
	struct storm_node *n = &s->nodes[idx];

	if (err == 0) {
		if (d->added_n == d->added_cap) {
			unsigned cap = d->added_cap ? d->added_cap * 2 : 1024;
			uint32_t *ip = realloc(d->added_ip, cap * sizeof(*ip));
			if (ip)
				d->added_ip = ip;
			uint8_t *pf = realloc(d->added_prefix, cap);
			if (pf)
				d->added_prefix = pf;
			if (ip && pf)
				d->added_cap = cap;
		}
		if (d->added_n < d->added_cap) {
			d->added_ip[d->added_n] = n->ip;
			d->added_prefix[d->added_n++] = n->prefix;
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
	storm_step_done(s, n);             /* the address is there: port 4011 or the next phase */
}

void sdh_flush_addrs(struct sdh *d)
{
	if (d->nl.n)
		snl_flush(&d->nl, addr_result, d);
}

static void on_ack(struct sdh *d, struct storm_node *n, const struct sdhcp_reply *r, uint32_t src_ip)
{
	struct storm_io *s = d->io;
	s->st.dhcp_acks++;
	sdn_take_boot(n, r, src_ip, BF_ACK);
	if (!r->yiaddr || !n->bootfile) {
		storm_node_fail(s, n, R_DHCP_NO_BOOTFILE, 0);
		return;
	}
	int pfx = r->has_mask ? sdhcp_mask_prefix(r->subnet_mask) : 32;
	uint32_t old = n->ip;
	bool ask = sdn_asks_proxy(n);
	n->ip = r->yiaddr;
	n->prefix = (uint8_t)(pfx < 0 ? 32 : pfx);
	n->dstate = DS_BOUND;
	n->span[n->phase].boot_from = n->boot_rank;
	storm_timer(s, n, 0);
	if (!ask) {
		storm_phase_end(s, n);     /* DHCP ends at the ACK; the address add is ours */
		if (n->phase >= s->cfg->last_phase || (n->addr_added && old == n->ip)) {
			storm_step_done(s, n);
			return;
		}
	} else if (n->addr_added && old == n->ip) {
		storm_step_done(s, n);     /* iPXE's DORA: the address is there already */
		return;
	}
	/* the port-4011 request and the next phase bind to the address: add
	 * it first (batched; the node goes on when the batch is acknowledged,
	 * see addr_result) */
	n->addr_added = false;
	if (snl_queue(&d->nl, true, n->ip, n->prefix, n->idx, addr_result, d) < 0)
		storm_node_fail(s, n, R_ADDR, EIO);
}

/* A NAK to our REQUEST. EDK2's DHCP driver ends the session with an error
 * (the PXE boot attempt fails); a BIOS PXE ROM and iPXE go back to
 * DISCOVER (RFC 2131 3.1 step 5; iPXE dhcp_defer: after 1 s). They keep
 * doing so — two clients offered one address can collide again on the
 * next — for as long as the phase's DHCP time budget (4+8+16+32 s, the
 * whole retransmission schedule) lasts: iPXE, too, bounds its discovery
 * by time, not by the number of NAKs. */
static void on_nak(struct storm_io *s, struct storm_node *n)
{
	uint64_t budget = 0;
	for (unsigned k = 1; k <= DHCP_TRANSMITS; k++)
		budget += retx_after(s, k);
	if ((n->kind == SK_UEFI && n->phase == PH_DHCP) ||
	    s->now - n->span[n->phase].start >= budget) {
		storm_node_fail(s, n, R_DHCP_NAK, 0);
		return;
	}
	n->span[n->phase].retries++;
	n->dstate = DS_NAKED;
	storm_timer(s, n, s->now + storm_scaled_ms(s, DHCP_NAK_PAUSE_MS));
}

static void on_frame(struct sdh *d, const uint8_t *frame, size_t len);

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
void sdh_drain(struct sdh *d)
{
	enum { BATCH = 64, FRAME = 2048 };
	static uint8_t buf[BATCH][FRAME];
	struct mmsghdr mm[BATCH];
	struct iovec iov[BATCH];

	if (d->pkt_fd < 0)
		return;
	for (;;) {
		for (unsigned i = 0; i < BATCH; i++) {
			iov[i] = (struct iovec){ .iov_base = buf[i], .iov_len = FRAME };
			mm[i] = (struct mmsghdr){ .msg_hdr = { .msg_iov = &iov[i], .msg_iovlen = 1 } };
		}
		int got = recvmmsg(d->pkt_fd, mm, BATCH, MSG_DONTWAIT, NULL);
		if (got <= 0)
			return;
		for (int i = 0; i < got; i++)
			if (!(mm[i].msg_hdr.msg_flags & MSG_TRUNC))
				on_frame(d, buf[i], mm[i].msg_len);
		if (got < BATCH)
			return;
	}
}

void sdh_on_ready(struct sdh *d, int res, bool more)
{
	if (res > 0)
		sdh_drain(d);
	if (!more && d->pkt_fd >= 0) {
		d->io->st.rearms++;
		storm_arm_recv(d->io, d->pkt_fd, UD_PKT, 0, OP_PKT_RECV);
	}
}

static void on_frame(struct sdh *d, const uint8_t *frame, size_t len)
{
	struct storm_io *s = d->io;
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
			on_offer(d, n, &r, src_ip);
		break;
	case DHCPACK:
		/* only the server we asked (a proxy's ACK on 4011 is not ours) */
		if (n->dstate == DS_REQUESTING && r.yiaddr &&
		    (!r.has_server_id || r.server_id == n->offer_sid))
			on_ack(d, n, &r, src_ip);
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

static void remove_addrs(struct sdh *d)
{
	sdh_flush_addrs(d);                /* adds still queued: learn what they did */
	/* newest first: secondaries before the primary they hang on */
	for (unsigned i = d->added_n; i-- > 0;)
		snl_queue(&d->nl, false, d->added_ip[i], d->added_prefix[i], i, del_result, d);
	snl_flush(&d->nl, del_result, d);
	d->added_n = 0;
}

void sdh_close(struct sdh *d)
{
	if (d->pkt_fd >= 0)
		close(d->pkt_fd);
	if (d->nl.fd >= 0) {
		remove_addrs(d);               /* the interface as we found it */
		snl_close(&d->nl);
	}
	free(d->added_ip);
	free(d->added_prefix);
	free(d->tx_msgs);
	free(d->tx_iov);
	free(d->tx_frames);
	memset(d, 0, sizeof(*d));          /* nothing left to close or free */
	d->pkt_fd = d->nl.fd = -1;
}
