/* DHCP server (see dhcp_server.h). The protocol decisions are in
 * dhcp_server_input() and below; the socket loop is at the end.
 *
 * Durability: a DHCPACK is built here, then handed with the lease row to
 * the lease writer; the writer thread sends it only after the row's
 * transaction has committed. OFFERs and NAKs promise nothing durable and go
 * out at once. */
#include "dhcp/dhcp_server.h"

#include <arpa/inet.h>
#include <errno.h>
#include <net/if.h>
#include <net/if_arp.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "core/boot_policy.h"
#include "core/config.h"
#include "dhcp/dhcp_fastpath.h"
#include "dhcp/dhcp_pool.h"
#include "dhcp/dhcp_server_hooks.h"
#include "proto/dhcp_proto.h"
#include "dhcp/lease_store.h"
#include "lib/log.h"
#include "lib/metrics.h"
#include "core/node_table.h"

#define OFFER_HOLD_SECS   DHCP_OFFER_HOLD_SECS
#define DECLINE_SECS      3600    /* a declined address rests this long */
#define RX_BATCH          64

struct dhcp_server {
	struct rb_config *cfg;
	pthread_mutex_t cfg_lock;     /* guards next_cfg only */
	struct rb_config *next_cfg;
	struct dhcp_pool *pool;
	struct lease_store *store;
	struct lease_writer *writer;
	int verbosity;
	int fd67, fd4011, evfd;
	unsigned ifindex;
	atomic_bool stop;
	dhcp_send_fn send;
	void *send_arg;
	struct node_table *nodes;
	struct dhcp_fastpath *fp;     /* the kernel's copy of our decisions, or NULL */
	int watch_fd;                 /* dhcp_server_watch(): polled before the sockets */
	void (*watch_fn)(void *);
	void *watch_arg;
	uint64_t rx_us;               /* arrival of the datagram being handled */
	struct hist latency;
	/* malformed-packet log limiter: at most LOG_BURST lines per second */
	time_t log_sec;
	unsigned log_count;
	/* the same for "no free address": a full range and a stream of new
	 * clients is one line per DISCOVER otherwise */
	time_t full_sec;
	unsigned full_count;
	struct {
		_Atomic unsigned long long received, malformed, discover, offer, request, ack,
			nak, decline, release, inform, ignored, store_errors, kernel;
	} st;
};

/* An ACK waiting for its lease to be committed. */
struct pending_ack {
	struct dhcp_server *s;
	uint64_t rx_us;
	struct dhcp_send how;
	size_t len;
	uint8_t pkt[DHCP_MAX_MSG];
};

static int64_t now_secs(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return ts.tv_sec;
}

static uint64_t mono_us(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

static const char *ipstr(uint32_t host_order, char *buf)
{
	struct in_addr a = { htonl(host_order) };
	return inet_ntop(AF_INET, &a, buf, INET_ADDRSTRLEN);
}

#define LOG_BURST 20
/* Bad input is always logged, but a flood of it must not become a flood of
 * log lines: beyond LOG_BURST a second, the rest are counted only. */
static void log_drop(struct dhcp_server *s, const struct sockaddr_in *src, const char *why)
{
	time_t t = time(NULL);
	if (t != s->log_sec) {
		if (s->log_count > LOG_BURST)
			log_msg(LOG_WARNING, "dhcp: %u more malformed packets not logged",
				s->log_count - LOG_BURST);
		s->log_sec = t, s->log_count = 0;
	}
	if (++s->log_count > LOG_BURST)
		return;
	char a[INET_ADDRSTRLEN];
	inet_ntop(AF_INET, &src->sin_addr, a, sizeof(a));
	log_msg(LOG_WARNING, "dhcp: dropped packet from %s:%u: %s", a, ntohs(src->sin_port), why);
}

/* ------------------------------------------------------------------ replies */

static const struct rb_subnet *subnet_of_request(const struct dhcp_server *s,
						 const struct dhcp_msg *m)
{
	/* A relay says which network the client is on; otherwise it is on ours. */
	if (m->giaddr)
		return rb_subnet_for(s->cfg, ntohl(m->giaddr));
	return rb_subnet_for(s->cfg, s->cfg->address);
}

static void put_params(struct dhcp_builder *b, const struct rb_subnet *sn,
		       const struct rb_dhcp_params *p, bool lease)
{
	if (sn)
		dhcp_put_ip(b, DHO_SUBNET_MASK, htonl(sn->mask));
	/* config.h: routers[] and dns[] are in network order already */
	if (p->set & RBP_ROUTERS)
		dhcp_put(b, DHO_ROUTERS, p->routers, p->nrouters * 4);
	if (p->set & RBP_DNS)
		dhcp_put(b, DHO_DNS, p->dns, p->ndns * 4);
	if (p->set & RBP_DOMAIN)
		dhcp_put_str(b, DHO_DOMAIN_NAME, p->domain);
	if (p->set & RBP_MTU)
		dhcp_put_u16(b, DHO_MTU, p->mtu);
	if (lease) {
		/* RFC 2131 4.4.5 defaults: T1 = 0.5, T2 = 0.875 of the lease */
		dhcp_put_u32(b, DHO_LEASE_TIME, p->lease_time);
		dhcp_put_u32(b, DHO_RENEWAL_TIME, p->lease_time / 2);
		dhcp_put_u32(b, DHO_REBINDING_TIME, (uint32_t)((uint64_t)p->lease_time * 7 / 8));
	}
}

/* Boot information for a network-boot client: file, next-server, option 60
 * and, for PXE, the PXE options. Returns false if it gets none. */
static bool put_boot(struct dhcp_server *s, struct dhcp_builder *b, const struct dhcp_msg *m,
		     bool proxy, uint32_t yiaddr, struct boot_decision *d)
{
	struct boot_client bc;
	boot_client_from_msg(m, &bc);
	if (!boot_decide(s->cfg, s->cfg->address, &bc, d) || d->kind == BOOT_NONE)
		return false;
	if (!dhcp_reply_set_file(b, d->file))
		return false;
	if (d->kind == BOOT_TFTP)
		dhcp_reply_set_addrs(b, htonl(yiaddr), htonl(s->cfg->address));
	if (d->vendor_class)
		dhcp_put_str(b, DHO_VENDOR_CLASS, d->vendor_class);
	/* PXE 2.1: a proxy offer to a BIOS ROM carries option 43 with discovery
	 * control bit 3 set ("boot the file in this offer") so the ROM does not
	 * go looking for a boot server menu. UEFI clients without it ask us on
	 * port 4011, which we answer too. */
	if (proxy && d->kind == BOOT_TFTP && (!bc.has_arch || bc.arch == 0)) {
		static const uint8_t pxe43[] = { 6, 1, 8, 255 };
		dhcp_put(b, DHO_VENDOR, pxe43, sizeof(pxe43));
	}
	/* iPXE keeps collecting offers for 2 s (DHCP_DISC_PROXY_TIMEOUT_SEC) in
	 * case a ProxyDHCP server answers too, unless the offer says there is
	 * none: iPXE option 175.176 (no-pxedhcp). Our offer already carries its
	 * script URL, so there is nothing to wait for. */
	if (!proxy && d->kind == BOOT_IPXE_SCRIPT) {
		static const uint8_t no_pxedhcp[] = { 176, 1, 1 };
		dhcp_put(b, DHO_IPXE_ENCAP, no_pxedhcp, sizeof(no_pxedhcp));
	}
	if (m->opt[DHO_UUID].present)
		dhcp_put(b, DHO_UUID, m->opt[DHO_UUID].data, m->opt[DHO_UUID].len);
	return true;
}

/* RFC 2131 4.1: where a server reply goes. */
static void reply_route(const struct dhcp_server *s, const struct dhcp_msg *m,
			uint8_t type, uint32_t yiaddr, const struct sockaddr_in *src, bool binl,
			struct dhcp_send *how)
{
	memset(how, 0, sizeof(*how));
	how->dst.sin_family = AF_INET;
	how->from_binl = binl;
	if (binl) {                   /* PXE boot server: back to where it came from */
		how->dst = *src;
		return;
	}
	if (m->giaddr) {
		how->dst.sin_addr.s_addr = m->giaddr;
		how->dst.sin_port = htons(DHCP_SERVER_PORT);
		return;
	}
	how->dst.sin_port = htons(DHCP_CLIENT_PORT);
	if (type == DHCPNAK) {
		how->broadcast = true;
	} else if (m->ciaddr) {
		how->dst.sin_addr.s_addr = m->ciaddr;
	} else if ((m->flags & DHCP_FLAG_BROADCAST) || !yiaddr || m->htype != 1 || m->hlen != 6) {
		how->broadcast = true;
	} else {
		how->dst.sin_addr.s_addr = htonl(yiaddr);
		how->arp = true;
		memcpy(how->chaddr, m->chaddr, 6);
	}
	if (how->broadcast)
		how->dst.sin_addr.s_addr = htonl(INADDR_BROADCAST);
}

static void reply_start(struct dhcp_server *s, struct dhcp_builder *b, uint8_t *buf,
			const struct dhcp_msg *m, uint8_t type)
{
	dhcp_reply_init(b, buf, dhcp_reply_cap(m), m, type);
	dhcp_put_ip(b, DHO_SERVER_ID, htonl(s->cfg->address));
}

/* The client identifier (61) goes back unaltered (RFC 6842, in every
 * reply, NAKs too); relay agent information (82) goes back exactly as it
 * came (RFC 3046), last, after everything else. */
static size_t reply_finish(struct dhcp_builder *b, const struct dhcp_msg *m)
{
	if (m->opt[DHO_CLIENT_ID].present)
		dhcp_put(b, DHO_CLIENT_ID, m->opt[DHO_CLIENT_ID].data, m->opt[DHO_CLIENT_ID].len);
	if (m->opt[DHO_RELAY_AGENT].present)
		dhcp_put(b, DHO_RELAY_AGENT, m->opt[DHO_RELAY_AGENT].data,
			 m->opt[DHO_RELAY_AGENT].len);
	return dhcp_reply_finish(b);
}

static void send_at(struct dhcp_server *s, const uint8_t *pkt, size_t len,
		    const struct dhcp_send *how, uint64_t rx_us)
{
	if (!len)
		return;
	s->send(s->send_arg, pkt, len, how);
	if (rx_us)
		hist_observe(&s->latency, mono_us() - rx_us);
}

static void send_now(struct dhcp_server *s, const uint8_t *pkt, size_t len,
		     const struct dhcp_send *how)
{
	send_at(s, pkt, len, how, s->rx_us);
}

/* What the HTTP side needs to render this node's script later. */
static void note_node(struct dhcp_server *s, const struct dhcp_msg *m, uint32_t ip,
		      const char *hostname)
{
	if (!s->nodes || m->htype != 1 || m->hlen != 6)
		return;
	struct boot_client bc;
	boot_client_from_msg(m, &bc);
	node_table_update(s->nodes, m->chaddr, ip, hostname, boot_arch_name(&bc));
}

static void send_nak(struct dhcp_server *s, const struct dhcp_msg *m,
		     const struct sockaddr_in *src, bool binl, const char *why)
{
	uint8_t buf[DHCP_MAX_MSG];
	struct dhcp_builder b;
	struct dhcp_send how;
	char hw[64];
	reply_start(s, &b, buf, m, DHCPNAK);
	dhcp_put_str(&b, DHO_MESSAGE, why);
	reply_route(s, m, DHCPNAK, 0, src, binl, &how);
	send_now(s, buf, reply_finish(&b, m), &how);
	s->st.nak++;
	dhcp_format_hw(m, hw, sizeof(hw));
	log_msg(LOG_INFO, "DHCPNAK to %s: %s", hw, why);
}

/* The client's hostname: the reservation's name, else what it sent as
 * option 12 reduced to a safe DNS label. */
static void client_hostname(const struct dhcp_msg *m, const struct rb_host *h, char *out,
			    size_t len)
{
	size_t n = 0;
	out[0] = 0;
	if (h && h->name[0]) {
		snprintf(out, len, "%s", h->name);
		return;
	}
	const struct dhcp_opt_ref *o = &m->opt[DHO_HOSTNAME];
	for (size_t i = 0; o->present && i < o->len && n + 1 < len; i++) {
		char c = (char)o->data[i];
		if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		    c == '-' || c == '.')
			out[n++] = c;
	}
	out[n] = 0;
}

/* The node's timeline (GET /nodes): what it was offered and told to boot. */
static void note_event(struct dhcp_server *s, const struct dhcp_msg *m, uint8_t kind,
		       uint32_t ip, const struct boot_decision *d, bool booting, bool kernel)
{
	if (!s->nodes || m->htype != 1 || m->hlen != 6)
		return;
	struct node_event e = { .kind = kind, .ok = true, .ip = ip };
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	e.t_ms = (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
	if (booting)
		snprintf(e.what, sizeof(e.what), "%s: %.*s%s", d->why, kernel ? 50 : 60, d->file,
			 kernel ? " (kernel)" : "");
	else if (kernel)
		snprintf(e.what, sizeof(e.what), "(kernel)");
	node_table_event_mac(s->nodes, m->chaddr, &e);
}

static void log_reply(struct dhcp_server *s, const char *what, uint32_t ip,
		      const struct dhcp_msg *m, const struct boot_decision *d, bool booting)
{
	if (s->verbosity < 1)
		return;
	char hw[64], a[INET_ADDRSTRLEN];
	dhcp_format_hw(m, hw, sizeof(hw));
	if (booting)
		log_msg(LOG_INFO, "%s %s to %s (%s: %s)", what, ipstr(ip, a), hw, d->why, d->file);
	else
		log_msg(LOG_INFO, "%s %s to %s", what, ipstr(ip, a), hw);
}

/* OFFER or ACK with an address: header, params, hostname, boot info. */
static size_t build_lease_reply(struct dhcp_server *s, uint8_t *buf, const struct dhcp_msg *m,
				uint8_t type, uint32_t ip, const struct rb_subnet *sn,
				const struct rb_host *h, const char *hostname,
				struct boot_decision *d, bool *booting)
{
	struct dhcp_builder b;
	struct rb_dhcp_params p;
	rb_params_effective(s->cfg, sn, h, &p);
	reply_start(s, &b, buf, m, type);
	dhcp_reply_set_addrs(&b, htonl(ip), 0);
	put_params(&b, sn, &p, true);
	if (hostname && hostname[0] && h)
		dhcp_put_str(&b, DHO_HOSTNAME, hostname);
	*booting = put_boot(s, &b, m, false, ip, d);
	return reply_finish(&b, m);
}

static uint32_t lease_secs(const struct dhcp_server *s, const struct rb_subnet *sn,
			   const struct rb_host *h)
{
	struct rb_dhcp_params p;
	rb_params_effective(s->cfg, sn, h, &p);
	return p.lease_time;
}

static void store_binding(struct dhcp_server *s, const struct pool_binding *b,
			  struct pending_ack *ack)
{
	struct lease l;
	pool_to_lease(b, now_secs(), &l);
	if (s->writer) {
		lease_writer_submit(s->writer, &l, ack);
	} else if (ack) {            /* memory only (tests) */
		send_at(s, ack->pkt, ack->len, &ack->how, ack->rx_us);
		free(ack);
	}
}

static void on_durable(void *cookie, bool ok, void *arg)
{
	struct pending_ack *a = cookie;
	struct dhcp_server *s = a->s;
	(void)arg;
	if (ok)
		send_at(s, a->pkt, a->len, &a->how, a->rx_us);
	else
		s->st.store_errors++;   /* not durable: never acknowledged */
	free(a);
}

/* pool_assign(), and the fast path told of both clients it concerns. */
static struct pool_binding *assign(struct dhcp_server *s, uint32_t ip, const uint8_t *hw,
				   uint8_t hwlen, uint8_t state, int64_t expires,
				   struct pool_binding **rel)
{
	struct pool_binding *old = pool_by_ip(s->pool, ip);
	uint8_t was[16];
	uint8_t waslen = 0;
	if (s->fp && old && !pool_owned_by(old, hw, hwlen))
		memcpy(was, old->hw, waslen = old->hwlen);
	struct pool_binding *b = pool_assign(s->pool, ip, hw, hwlen, state, expires, rel);
	if (s->fp) {
		dhcp_fastpath_client_changed(s->fp, hw, hwlen);
		if (waslen)
			dhcp_fastpath_client_changed(s->fp, was, waslen);
	}
	return b;
}

/* Hold ip for this client as an offer, until `until`; a live lease of its
 * own stays as it is. */
static void hold_offer(struct dhcp_server *s, const uint8_t *hw, uint8_t hwlen, uint32_t ip,
		       int64_t now, int64_t until)
{
	struct pool_binding *rel, *b = pool_by_ip(s->pool, ip);
	if (pool_owned_by(b, hw, hwlen) && b->state == POOL_BOUND && b->expires > now)
		return;
	assign(s, ip, hw, hwlen, POOL_OFFERED, until, &rel);
	if (rel)
		store_binding(s, rel, NULL);
}

static void handle_discover(struct dhcp_server *s, const struct dhcp_msg *m,
			    const struct sockaddr_in *src)
{
	s->st.discover++;
	const struct rb_host *h = m->htype == 1 && m->hlen == 6 ? rb_host_by_mac(s->cfg, m->chaddr) : NULL;
	const struct rb_subnet *sn = subnet_of_request(s, m);
	int64_t now = now_secs();
	char hw[64];
	uint32_t ip = 0, req = 0;
	if (!sn) {
		s->st.ignored++;
		return;
	}
	if (h && h->ip && rb_subnet_for(s->cfg, h->ip) == sn) {
		ip = h->ip;
	} else {
		if (dhcp_opt_ip(m, DHO_REQUESTED_IP, &req))
			req = ntohl(req);
		ip = pool_choose(s->pool, sn, m->chaddr, m->hlen, req, now);
		if (!ip && s->fp)           /* all that is left was set aside for the kernel */
			ip = dhcp_fastpath_unstock(s->fp, sn);
	}
	if (!ip) {
		s->st.ignored++;
		if (now != s->full_sec) {
			if (s->full_count > LOG_BURST)
				log_msg(LOG_WARNING, "dhcp: %u more clients found no free address",
					s->full_count - LOG_BURST);
			s->full_sec = now, s->full_count = 0;
		}
		if (++s->full_count > LOG_BURST)
			return;
		dhcp_format_hw(m, hw, sizeof(hw));
		log_msg(LOG_WARNING, "dhcp: no free address for %s in %s", hw, sn->where);
		return;
	}
	hold_offer(s, m->chaddr, m->hlen, ip, now, now + OFFER_HOLD_SECS);
	uint8_t buf[DHCP_MAX_MSG];
	char name[64];
	struct boot_decision d;
	struct dhcp_send how;
	bool booting;
	client_hostname(m, h, name, sizeof(name));
	size_t len = build_lease_reply(s, buf, m, DHCPOFFER, ip, sn, h, name, &d, &booting);
	reply_route(s, m, DHCPOFFER, ip, src, false, &how);
	send_now(s, buf, len, &how);
	s->st.offer++;
	log_reply(s, "DHCPOFFER", ip, m, &d, booting);
	note_event(s, m, NEV_DHCP_OFFER, ip, &d, booting, false);
}

/* ACK a binding: record it, then send once durable. */
static void ack_binding(struct dhcp_server *s, const struct dhcp_msg *m,
			const struct sockaddr_in *src, uint32_t ip,
			const struct rb_subnet *sn, const struct rb_host *h)
{
	int64_t now = now_secs();
	struct pool_binding *rel;
	struct pool_binding *b = assign(s, ip, m->chaddr, m->hlen, POOL_BOUND,
					now + lease_secs(s, sn, h), &rel);
	client_hostname(m, h, b->hostname, sizeof(b->hostname));
	if (rel)
		store_binding(s, rel, NULL);
	struct pending_ack *a = malloc(sizeof(*a));
	if (!a) {
		log_msg(LOG_ERR, "dhcp: out of memory; ACK not sent");
		return;
	}
	struct boot_decision d;
	bool booting;
	a->s = s;
	a->rx_us = s->rx_us;
	note_node(s, m, ip, b->hostname);
	a->len = build_lease_reply(s, a->pkt, m, DHCPACK, ip, sn, h, b->hostname, &d, &booting);
	reply_route(s, m, DHCPACK, ip, src, false, &a->how);
	s->st.ack++;
	log_reply(s, "DHCPACK", ip, m, &d, booting);
	note_event(s, m, NEV_DHCP_ACK, ip, &d, booting, false);
	store_binding(s, b, a);
}

static void handle_request(struct dhcp_server *s, const struct dhcp_msg *m,
			   const struct sockaddr_in *src)
{
	s->st.request++;
	uint32_t sid = 0, req = 0;
	bool has_sid = dhcp_opt_ip(m, DHO_SERVER_ID, &sid);
	bool has_req = dhcp_opt_ip(m, DHO_REQUESTED_IP, &req);
	int64_t now = now_secs();
	const struct rb_host *h = m->htype == 1 && m->hlen == 6 ? rb_host_by_mac(s->cfg, m->chaddr) : NULL;
	const struct rb_subnet *sn = subnet_of_request(s, m);
	struct pool_binding *mine = pool_by_hw(s->pool, m->chaddr, m->hlen);
	uint32_t ip;

	if (has_sid && ntohl(sid) != s->cfg->address) {
		/* SELECTING another server's offer: ours is free again. */
		if (mine && mine->state == POOL_OFFERED)
			mine->expires = now;
		s->st.ignored++;
		return;
	}
	if (has_sid || has_req) {          /* SELECTING or INIT-REBOOT */
		ip = ntohl(has_req ? req : m->ciaddr);
		if (!ip) {
			send_nak(s, m, src, false, "no address requested");
			return;
		}
	} else {                           /* RENEWING or REBINDING */
		ip = ntohl(m->ciaddr);
		if (!ip) {
			s->st.ignored++;
			return;
		}
		if (!m->giaddr)
			sn = rb_subnet_for(s->cfg, ip);
	}
	if (!sn || rb_subnet_for(s->cfg, ip) != sn) {
		if (sn)
			send_nak(s, m, src, false, "address not on this network");
		else
			s->st.ignored++;
		return;
	}
	if (h && h->ip && rb_subnet_for(s->cfg, h->ip) == sn) {
		if (ip != h->ip) {
			send_nak(s, m, src, false, "address reserved elsewhere for this client");
			return;
		}
	} else {
		if (s->fp)                 /* an offer the kernel made, its event not yet read */
			dhcp_fastpath_claim(s->fp, m->chaddr, m->hlen, ip);
		struct pool_binding *b = pool_by_ip(s->pool, ip);
		bool ours = pool_owned_by(b, m->chaddr, m->hlen) && b->state != POOL_DECLINED;
		if (!pool_in_ranges(sn, ip) || pool_is_reserved(s->pool, ip)) {
			send_nak(s, m, src, false, "address not available");
			return;
		}
		if (pool_busy(b, now) && !ours) {
			send_nak(s, m, src, false, "address in use");
			return;
		}
		/* An address nobody holds goes to the client that asks for it,
		 * even with no record of it here (a lost offer, a renewal after
		 * our state was restored from before its ACK): we are the
		 * authority for these ranges (RFC 2131 4.3.2). */
	}
	ack_binding(s, m, src, ip, sn, h);
}

static void handle_decline(struct dhcp_server *s, const struct dhcp_msg *m)
{
	s->st.decline++;
	uint32_t req;
	if (!dhcp_opt_ip(m, DHO_REQUESTED_IP, &req))
		return;
	struct pool_binding *b = pool_by_ip(s->pool, ntohl(req));
	if (!pool_owned_by(b, m->chaddr, m->hlen))
		return;
	/* Someone else answers on that address: keep it out of use a while. */
	b->state = POOL_DECLINED;
	b->expires = now_secs() + DECLINE_SECS;
	store_binding(s, b, NULL);
	if (s->fp)
		dhcp_fastpath_client_changed(s->fp, m->chaddr, m->hlen);
	char a[INET_ADDRSTRLEN];
	log_msg(LOG_WARNING, "DHCPDECLINE of %s: address in use on the network", ipstr(b->ip, a));
}

static void handle_release(struct dhcp_server *s, const struct dhcp_msg *m)
{
	s->st.release++;
	struct pool_binding *b = pool_by_ip(s->pool, ntohl(m->ciaddr));
	if (!pool_owned_by(b, m->chaddr, m->hlen) || b->state != POOL_BOUND)
		return;
	b->state = POOL_FREE;
	b->expires = now_secs();
	store_binding(s, b, NULL);
	if (s->fp)
		dhcp_fastpath_client_changed(s->fp, m->chaddr, m->hlen);
}

/* INFORM: the client has an address already; options and boot info only. */
static void handle_inform(struct dhcp_server *s, const struct dhcp_msg *m,
			  const struct sockaddr_in *src)
{
	s->st.inform++;
	const struct rb_subnet *sn = m->ciaddr ? rb_subnet_for(s->cfg, ntohl(m->ciaddr)) : NULL;
	const struct rb_host *h = m->htype == 1 && m->hlen == 6 ? rb_host_by_mac(s->cfg, m->chaddr) : NULL;
	uint8_t buf[DHCP_MAX_MSG];
	struct dhcp_builder b;
	struct rb_dhcp_params p;
	struct boot_decision d;
	struct dhcp_send how;
	rb_params_effective(s->cfg, sn, h, &p);
	reply_start(s, &b, buf, m, DHCPACK);
	dhcp_reply_set_ciaddr(&b, m->ciaddr);
	put_params(&b, sn, &p, false);
	put_boot(s, &b, m, false, 0, &d);
	reply_route(s, m, DHCPACK, 0, src, false, &how);
	if (!m->ciaddr)
		how.dst = *src;
	send_now(s, buf, reply_finish(&b, m), &how);
	s->st.ack++;
}

/* proxyDHCP (port 67, proxy mode) and the PXE boot server (port 4011, both
 * modes): boot information only, never an address. The reply to m, built
 * without side effects: its length (0: none), the decision in *d. */
static size_t build_boot_only(struct dhcp_server *s, const struct dhcp_msg *m, bool binl,
			      uint8_t *buf, struct boot_decision *d)
{
	uint8_t type;
	if (binl)
		type = m->msg_type == DHCPREQUEST || m->msg_type == DHCPINFORM ? DHCPACK : 0;
	else
		type = m->msg_type == DHCPDISCOVER ? DHCPOFFER : 0;
	if (!type)
		return 0;
	struct dhcp_builder b;
	reply_start(s, &b, buf, m, type);
	if (binl)
		dhcp_reply_set_ciaddr(&b, m->ciaddr);
	if (!put_boot(s, &b, m, !binl, 0, d))
		return 0;       /* not a network-boot client: the real DHCP server serves it */
	if (!binl && !d->vendor_class)
		dhcp_put_str(&b, DHO_VENDOR_CLASS, "PXEClient");
	/* iPXE takes a ProxyDHCPACK only with "PXE options": next-server and
	 * a boot file, or a boot menu (dhcp_has_pxeopts() in iPXE's dhcp.c).
	 * A script URL needs no next-server, but without one iPXE drops the
	 * ACK, retries, gives up and boots nothing. The port-67 offer stays
	 * without it, so that iPXE does come to port 4011 with its address. */
	if (binl && d->kind != BOOT_TFTP)
		dhcp_reply_set_addrs(&b, 0, htonl(s->cfg->address));
	return reply_finish(&b, m);
}

/* What follows a boot-only reply, sent from here or by the kernel. */
static void boot_only_sent(struct dhcp_server *s, const struct dhcp_msg *m, bool binl,
			   const struct boot_decision *d, bool kernel)
{
	note_node(s, m, ntohl(m->ciaddr), NULL);
	if (binl)
		s->st.ack++;
	else
		s->st.offer++;
	log_reply(s, binl ? kernel ? "PXE boot ACK (kernel)" : "PXE boot ACK" :
		  kernel ? "proxyDHCP OFFER (kernel)" : "proxyDHCP OFFER",
		  ntohl(m->ciaddr), m, d, true);
	note_event(s, m, binl ? NEV_PXE_ACK : NEV_PROXY_OFFER, ntohl(m->ciaddr), d, true, kernel);
}

static void handle_boot_only(struct dhcp_server *s, const struct dhcp_msg *m,
			     const struct sockaddr_in *src, bool binl)
{
	uint8_t buf[DHCP_MAX_MSG];
	struct boot_decision d;
	struct dhcp_send how;
	size_t len = build_boot_only(s, m, binl, buf, &d);
	if (!len) {
		s->st.ignored++;
		return;
	}
	reply_route(s, m, binl ? DHCPACK : DHCPOFFER, 0, src, binl, &how);
	if (binl && !m->ciaddr && src->sin_addr.s_addr == 0)
		how.broadcast = true, how.dst.sin_addr.s_addr = htonl(INADDR_BROADCAST);
	send_now(s, buf, len, &how);
	boot_only_sent(s, m, binl, &d, false);
}

void dhcp_server_input(struct dhcp_server *s, const uint8_t *buf, size_t len,
		       const struct sockaddr_in *src, bool binl)
{
	struct dhcp_msg m;
	s->st.received++;
	if (!s->rx_us)
		s->rx_us = mono_us();     /* tests feed packets directly */
	enum dhcp_parse_err e = dhcp_parse(buf, len, &m);
	if (e != DHCP_OK) {
		s->st.malformed++;
		log_drop(s, src, dhcp_parse_strerror(e));
		return;
	}
	if (s->verbosity >= 2) {
		char hw[64];
		dhcp_format_hw(&m, hw, sizeof(hw));
		log_msg(LOG_DEBUG, "%s from %s%s", dhcp_msg_type_name(m.msg_type), hw,
			binl ? " (port 4011)" : "");
	}
	if (binl || s->cfg->proxy_dhcp) {
		handle_boot_only(s, &m, src, binl);
		return;
	}
	switch (m.msg_type) {
	case DHCPDISCOVER: handle_discover(s, &m, src); break;
	case DHCPREQUEST: handle_request(s, &m, src); break;
	case DHCPDECLINE: handle_decline(s, &m); break;
	case DHCPRELEASE: handle_release(s, &m); break;
	case DHCPINFORM: handle_inform(s, &m, src); break;
	default: s->st.ignored++; break;   /* BOOTP and server messages */
	}
}

/* ------------------------------------------------------------------ sockets */

/* The client has no address yet, so it cannot answer ARP for the one we
 * unicast to: tell the kernel its hardware address first (as dnsmasq and
 * ISC dhcpd do). */
static void arp_inject(struct dhcp_server *s, int fd, const struct dhcp_send *how)
{
	struct arpreq r;
	memset(&r, 0, sizeof(r));
	memcpy(&r.arp_pa, &how->dst, sizeof(how->dst));
	((struct sockaddr_in *)&r.arp_pa)->sin_port = 0;
	r.arp_ha.sa_family = ARPHRD_ETHER;
	memcpy(r.arp_ha.sa_data, how->chaddr, 6);
	r.arp_flags = ATF_COM;
	snprintf(r.arp_dev, sizeof(r.arp_dev), "%s", s->cfg->interface);
	if (ioctl(fd, SIOCSARP, &r) < 0 && s->verbosity >= 1)
		log_msg(LOG_WARNING, "dhcp: cannot set ARP entry on %s: %s", r.arp_dev,
			strerror(errno));
}

static void socket_send(void *arg, const uint8_t *pkt, size_t len, const struct dhcp_send *how)
{
	struct dhcp_server *s = arg;
	int fd = how->from_binl ? s->fd4011 : s->fd67;
	if (how->arp)
		arp_inject(s, fd, how);
	/* IP_PKTINFO picks the interface (a broadcast has no route to choose
	 * one) and our address as the source. */
	char cbuf[CMSG_SPACE(sizeof(struct in_pktinfo))];
	memset(cbuf, 0, sizeof(cbuf));
	struct iovec iov = { (void *)pkt, len };
	struct msghdr mh = {
		.msg_name = (void *)&how->dst, .msg_namelen = sizeof(how->dst),
		.msg_iov = &iov, .msg_iovlen = 1,
	};
	if (how->broadcast || how->arp) {
		mh.msg_control = cbuf;
		mh.msg_controllen = sizeof(cbuf);
		struct cmsghdr *c = CMSG_FIRSTHDR(&mh);
		c->cmsg_level = IPPROTO_IP;
		c->cmsg_type = IP_PKTINFO;
		c->cmsg_len = CMSG_LEN(sizeof(struct in_pktinfo));
		struct in_pktinfo *pi = (struct in_pktinfo *)CMSG_DATA(c);
		pi->ipi_ifindex = (int)s->ifindex;
		pi->ipi_spec_dst.s_addr = htonl(s->cfg->address);
	}
	if (sendmsg(fd, &mh, MSG_DONTWAIT) < 0 && s->verbosity >= 1) {
		char a[INET_ADDRSTRLEN];
		inet_ntop(AF_INET, &how->dst.sin_addr, a, sizeof(a));
		log_msg(LOG_WARNING, "dhcp: send to %s:%u: %s", a, ntohs(how->dst.sin_port),
			strerror(errno));
	}
}

static int open_udp(uint16_t port, const char *ifname, char *err, size_t errlen)
{
	int one = 1, fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(port) };
	int rcv = 32 << 20;
	if (fd < 0)
		goto fail;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	setsockopt(fd, SOL_SOCKET, SO_BROADCAST, &one, sizeof(one));
	setsockopt(fd, IPPROTO_IP, IP_PKTINFO, &one, sizeof(one));
	/* a storm of DISCOVERs must queue, not be dropped by the kernel: a
	 * queued broadcast costs its skb's truesize, not its length. 10,000
	 * nodes powered on at once (rackboot-storm, DHCP only): with 8 MiB
	 * 127-151 were dropped and came back 4 s later (all bound in 4.2 s),
	 * with 32 MiB none (0.35-0.40 s). Memory is only charged while
	 * datagrams wait. */
	if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &rcv, sizeof(rcv)) < 0)
		setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcv, sizeof(rcv));
	(void)ifname;
	if (bind(fd, (struct sockaddr *)&a, sizeof(a)) < 0)
		goto fail;
	return fd;
fail:
	snprintf(err, errlen, "UDP port %u: %s", port, strerror(errno));
	if (fd >= 0)
		close(fd);
	return -1;
}

static void load_row(const struct lease *l, void *arg)
{
	pool_restore(arg, l);
}

struct dhcp_server *dhcp_server_new(const struct dhcp_server_opts *o, char *err, size_t errlen)
{
	struct dhcp_server *s = calloc(1, sizeof(*s));
	if (!s) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	s->cfg = o->cfg;
	s->store = o->store;
	s->verbosity = o->verbosity;
	s->nodes = o->nodes;
	s->fd67 = s->fd4011 = s->evfd = s->watch_fd = -1;
	s->send = socket_send;
	s->send_arg = s;
	pthread_mutex_init(&s->cfg_lock, NULL);
	s->pool = pool_new();
	pool_set_reserved(s->pool, s->cfg);
	if (s->store) {
		if (lease_store_load(s->store, load_row, s->pool, err, errlen) < 0)
			goto fail;
		s->writer = lease_writer_new(s->store, on_durable, s);
		if (!s->writer) {
			snprintf(err, errlen, "cannot start the lease writer");
			goto fail;
		}
	}
	if (o->no_sockets)
		return s;
	s->ifindex = if_nametoindex(s->cfg->interface);
	if (!s->ifindex) {
		snprintf(err, errlen, "interface %s: %s", s->cfg->interface, strerror(errno));
		goto fail;
	}
	s->fd67 = open_udp((uint16_t)(DHCP_SERVER_PORT + o->port_offset), s->cfg->interface, err, errlen);
	if (s->fd67 < 0)
		goto fail;
	s->fd4011 = open_udp((uint16_t)(PXE_BINL_PORT + o->port_offset), s->cfg->interface, err, errlen);
	if (s->fd4011 < 0)
		goto fail;
	s->evfd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (s->evfd < 0) {
		snprintf(err, errlen, "eventfd: %s", strerror(errno));
		goto fail;
	}
	return s;
fail:
	s->cfg = NULL;    /* the caller still owns cfg on failure */
	dhcp_server_free(s);
	return NULL;
}

void dhcp_server_set_sender(struct dhcp_server *s, dhcp_send_fn fn, void *arg)
{
	s->send = fn;
	s->send_arg = arg;
}

void dhcp_server_flush(struct dhcp_server *s)
{
	if (s->writer)
		lease_writer_flush(s->writer);
}

static void take_new_config(struct dhcp_server *s)
{
	pthread_mutex_lock(&s->cfg_lock);
	struct rb_config *n = s->next_cfg;
	s->next_cfg = NULL;
	pthread_mutex_unlock(&s->cfg_lock);
	if (!n)
		return;
	/* Pending ACKs hold no pointers into the config, so it can go now. */
	rb_config_free(s->cfg);
	free(s->cfg);
	s->cfg = n;
	pool_set_reserved(s->pool, n);
	log_msg(LOG_INFO, "dhcp: configuration reloaded (%zu subnets, %zu hosts)", n->nsubnets,
		n->nhosts);
	if (s->fp)
		dhcp_fastpath_sync(s->fp);
}

/* The sockets are bound to 0.0.0.0, so a broadcast heard on any interface
 * reaches them. Only --interface is ours: a client's broadcast that came in
 * elsewhere (another LAN of this host) is not for us. Relayed requests
 * (giaddr set) and unicasts to our address are routed here on purpose and
 * may arrive on any interface. */
static bool foreign_broadcast(const struct dhcp_server *s, struct msghdr *h,
			      const uint8_t *buf, size_t len)
{
	for (struct cmsghdr *c = CMSG_FIRSTHDR(h); c; c = CMSG_NXTHDR(h, c)) {
		if (c->cmsg_level != IPPROTO_IP || c->cmsg_type != IP_PKTINFO)
			continue;
		struct in_pktinfo pi;
		memcpy(&pi, CMSG_DATA(c), sizeof(pi));
		if ((unsigned)pi.ipi_ifindex == s->ifindex)
			return false;
		if (len >= 28 && (buf[24] | buf[25] | buf[26] | buf[27]))
			return false;                   /* giaddr: relayed */
		return pi.ipi_addr.s_addr != htonl(s->cfg->address);
	}
	return false;
}

/* Read every datagram waiting on fd, in batches. */
static void drain(struct dhcp_server *s, int fd, bool binl)
{
	static __thread uint8_t bufs[RX_BATCH][2048];
	static __thread char cbufs[RX_BATCH][CMSG_SPACE(sizeof(struct in_pktinfo))];
	struct mmsghdr mm[RX_BATCH];
	struct iovec iov[RX_BATCH];
	struct sockaddr_in src[RX_BATCH];
	for (int rounds = 0; rounds < 16; rounds++) {
		for (int i = 0; i < RX_BATCH; i++) {
			iov[i] = (struct iovec){ bufs[i], sizeof(bufs[i]) };
			mm[i].msg_hdr = (struct msghdr){ .msg_name = &src[i],
				.msg_namelen = sizeof(src[i]), .msg_iov = &iov[i], .msg_iovlen = 1,
				.msg_control = cbufs[i], .msg_controllen = sizeof(cbufs[i]) };
		}
		int n = recvmmsg(fd, mm, RX_BATCH, MSG_DONTWAIT, NULL);
		if (n <= 0)
			return;
		s->rx_us = mono_us();    /* one clock read per batch */
		for (int i = 0; i < n; i++) {
			if (foreign_broadcast(s, &mm[i].msg_hdr, bufs[i], mm[i].msg_len)) {
				s->st.received++;
				s->st.ignored++;
				if (s->verbosity >= 2)
					log_msg(LOG_DEBUG, "dhcp: ignored a broadcast from another interface");
				continue;
			}
			dhcp_server_input(s, bufs[i], mm[i].msg_len, &src[i], binl);
		}
		if (n < RX_BATCH)
			return;
	}
}

int dhcp_server_run(struct dhcp_server *s)
{
	struct pollfd p[4] = {
		{ .fd = s->fd67, .events = POLLIN },
		{ .fd = s->fd4011, .events = POLLIN },
		{ .fd = s->evfd, .events = POLLIN },
		{ .fd = s->watch_fd, .events = POLLIN },
	};
	while (!atomic_load(&s->stop)) {
		if (poll(p, s->watch_fd >= 0 ? 4 : 3, -1) < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (p[2].revents) {
			uint64_t v;
			if (read(s->evfd, &v, sizeof(v)) < 0 && errno != EAGAIN)
				return -errno;
			take_new_config(s);
		}
		/* the kernel's answers first: a REQUEST for a kernel offer
		 * finds it held */
		if (s->watch_fd >= 0 && p[3].revents)
			s->watch_fn(s->watch_arg);
		if (p[0].revents)
			drain(s, s->fd67, false);
		if (p[1].revents)
			drain(s, s->fd4011, true);
	}
	dhcp_server_flush(s);
	return 0;
}

static void wake(struct dhcp_server *s)
{
	uint64_t one = 1;
	if (s->evfd >= 0 && write(s->evfd, &one, sizeof(one)) < 0)
		log_msg(LOG_ERR, "dhcp: eventfd: %s", strerror(errno));
}

void dhcp_server_stop(struct dhcp_server *s)
{
	atomic_store(&s->stop, true);
	wake(s);
}

void dhcp_server_offer_config(struct dhcp_server *s, struct rb_config *cfg)
{
	pthread_mutex_lock(&s->cfg_lock);
	struct rb_config *old = s->next_cfg;
	s->next_cfg = cfg;
	pthread_mutex_unlock(&s->cfg_lock);
	if (old) {
		rb_config_free(old);
		free(old);
	}
	if (s->evfd >= 0)
		wake(s);
	else
		take_new_config(s);
}

void dhcp_server_free(struct dhcp_server *s)
{
	if (!s)
		return;
	if (s->writer)
		lease_writer_free(s->writer);   /* flushes: every pending ACK goes out */
	if (s->fd67 >= 0)
		close(s->fd67);
	if (s->fd4011 >= 0)
		close(s->fd4011);
	if (s->evfd >= 0)
		close(s->evfd);
	if (s->cfg) {
		rb_config_free(s->cfg);
		free(s->cfg);
	}
	if (s->next_cfg) {
		rb_config_free(s->next_cfg);
		free(s->next_cfg);
	}
	pool_free(s->pool);
	pthread_mutex_destroy(&s->cfg_lock);
	free(s);
}

void dhcp_server_stats(struct dhcp_server *s, struct dhcp_server_stats *st)
{
	memset(st, 0, sizeof(*st));
	st->received = s->st.received, st->malformed = s->st.malformed;
	st->discover = s->st.discover, st->offer = s->st.offer, st->request = s->st.request;
	st->ack = s->st.ack, st->nak = s->st.nak, st->decline = s->st.decline;
	st->release = s->st.release, st->inform = s->st.inform, st->ignored = s->st.ignored;
	st->store_errors = s->st.store_errors, st->kernel = s->st.kernel;
	if (s->writer)
		lease_writer_stats(s->writer, &st->commits, &st->lease_rows);
}

const struct hist *dhcp_server_latency(struct dhcp_server *s)
{
	return &s->latency;
}

/* ------------------------------------------------------------------ fast path
 * The hooks user/dhcp/dhcp_fastpath.c uses (dhcp_server_hooks.h): the
 * server's own reply builder for the kernel's templates, and the
 * bookkeeping of answers the kernel sent. DHCP thread only. */

void dhcp_server_set_fastpath(struct dhcp_server *s, struct dhcp_fastpath *fp)
{
	s->fp = fp;
}

void dhcp_server_watch(struct dhcp_server *s, int fd, void (*fn)(void *), void *arg)
{
	s->watch_fd = fd;
	s->watch_fn = fn;
	s->watch_arg = arg;
}

struct dhcp_pool *dhcp_server_pool(struct dhcp_server *s)
{
	return s->pool;
}

const struct rb_config *dhcp_server_config(const struct dhcp_server *s)
{
	return s->cfg;
}

size_t dhcp_server_offer_for(struct dhcp_server *s, const struct dhcp_msg *m, uint32_t ip,
			     const struct rb_host *h, const char *hostname, uint8_t *buf)
{
	struct boot_decision d;
	bool booting;
	const struct rb_subnet *sn = subnet_of_request(s, m);
	if (!sn)
		return 0;
	return build_lease_reply(s, buf, m, DHCPOFFER, ip, sn, h, hostname, &d, &booting);
}

size_t dhcp_server_boot_reply_for(struct dhcp_server *s, const struct dhcp_msg *m, bool binl,
				  uint8_t *buf)
{
	struct boot_decision d;
	return build_boot_only(s, m, binl, buf, &d);
}

void dhcp_server_hold_offer(struct dhcp_server *s, const uint8_t mac[6], uint32_t ip, int64_t when)
{
	hold_offer(s, mac, 6, ip, now_secs(), when + OFFER_HOLD_SECS);
}

void dhcp_server_kernel_sent(struct dhcp_server *s, const struct dhcp_msg *m, bool binl,
			     uint32_t ip)
{
	s->st.kernel++;
	if (binl || s->cfg->proxy_dhcp) {
		struct boot_decision d;
		uint8_t buf[DHCP_MAX_MSG];
		if (build_boot_only(s, m, binl, buf, &d))
			boot_only_sent(s, m, binl, &d, true);
		return;
	}
	const struct rb_host *h = m->htype == 1 && m->hlen == 6 ? rb_host_by_mac(s->cfg, m->chaddr) : NULL;
	const struct rb_subnet *sn = subnet_of_request(s, m);
	uint8_t buf[DHCP_MAX_MSG];
	char name[64];
	struct boot_decision d;
	bool booting = false;
	client_hostname(m, h, name, sizeof(name));
	if (sn)
		build_lease_reply(s, buf, m, DHCPOFFER, ip, sn, h, name, &d, &booting);
	s->st.discover++;
	s->st.offer++;
	log_reply(s, "DHCPOFFER (kernel)", ip, m, &d, booting);
	note_event(s, m, NEV_DHCP_OFFER, ip, &d, booting, true);
}

int dhcp_server_each_lease(struct dhcp_server *s, void (*fn)(const struct lease *l, void *arg),
			   void *arg)
{
	char err[256];
	if (!s->store)
		return 0;
	if (lease_store_load(s->store, fn, arg, err, sizeof(err)) < 0) {
		log_msg(LOG_ERR, "dhcp: %s", err);
		return -1;
	}
	return 0;
}
