/* The DHCP side of the eBPF fast path (see dhcp_fastpath.h). In order:
 * time and small helpers, synthetic requests and cutting the server's
 * replies into templates, parameter sets, client entries, the stock of
 * free addresses, events, sync, and the interface probe. */
#include "dhcp/dhcp_fastpath.h"

#include <arpa/inet.h>
#include <errno.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "fastpath_abi.h"
#include "core/config.h"
#include "dhcp/dhcp_pool.h"
#include "dhcp/dhcp_server_hooks.h"
#include "lib/log.h"
#include "proto/dhcp_proto.h"

#define STOCK_DEFAULT   1024
#define NS              1000000000ll
/* The kernel stops offering from an entry this long before the server's
 * own hold (or lease) ends, so that the two never disagree about whether
 * an address is still held. */
#define HOLD_MARGIN_NS  (2 * NS)
#define FAR_FUTURE      ((int64_t)1 << 60)
/* How long the kernel offers an address it took from the stock again
 * (rb_dhcp_conf.offer_hold_ns) */
#define KERNEL_HOLD_NS  ((uint64_t)(DHCP_OFFER_HOLD_SECS * NS - HOLD_MARGIN_NS))
#define REQ_BUF         600
#define CLASS_BASES     6              /* {none, PXE, HTTP} x {iPXE or not} */

/* A parameter set's id never names other contents while a client entry
 * may still hold it: an id no sync needed any more is written empty (the
 * program passes such clients up) and is reused only from the sync after
 * that, which has rewritten every entry. */
struct pset {
	uint16_t len;                  /* 0: free */
	uint32_t used;                 /* the last sync (gen) that needed it */
	uint8_t opts[RB_DHCP_PSET_MAX];
};

struct dhcp_fastpath {
	struct dhcp_server *s;
	struct dhcp_fastpath_opts o;
	int fd_active, fd_conf, fd_boot, fd_psets, fd_clients, fd_stock, fd_counters;
	int ncpus;
	unsigned set;                  /* the template set the programs read */
	uint32_t gen;
	size_t templates;
	/* full server */
	const struct rb_subnet *sn;    /* the subnet kernel offers come from, or NULL */
	uint32_t new_pset;             /* parameters of clients that are no host */
	struct pset *psets;            /* by id */
	size_t npsets;                 /* ids handed out (some may be free again) */
	uint32_t *aside;               /* set aside for the stock, not yet taken (host order) */
	size_t naside, capaside;
	unsigned long long pushed, taken_base;
	unsigned long long events, kernel_offers, conflicts;
	bool adopting;                 /* the first sync: the maps may be a previous daemon's */
};

/* ------------------------------------------------------------------ helpers */

static int64_t mono_ns(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (int64_t)t.tv_sec * NS + t.tv_nsec;   /* bpf_ktime_get_ns()'s clock */
}

/* A pool expiry (unix seconds) as the kernel's expires_ns, the margin off. */
static uint64_t expiry_ns(int64_t wall)
{
	int64_t at = mono_ns() + (wall - (int64_t)time(NULL)) * NS - HOLD_MARGIN_NS;
	return at > 1 ? (uint64_t)at : 1;
}

/* The unix second of a bpf_ktime_get_ns() stamp. */
static int64_t wall_of(uint64_t ns)
{
	int64_t ago = mono_ns() - (int64_t)ns;
	return (int64_t)time(NULL) - (ago > 0 ? ago / NS : 0);
}

/* Stock addresses are held in the pool as offers to placeholder clients,
 * one per address (a client holds one address at a time), never stored. */
static const uint8_t stock_tag[8] = { 'R', 'B', '-', 'S', 'T', 'O', 'C', 'K' };

static void stock_hw(uint32_t ip, uint8_t hw[16])
{
	memcpy(hw, stock_tag, 8);
	memset(hw + 8, 0, 4);
	hw[12] = ip >> 24, hw[13] = ip >> 16, hw[14] = ip >> 8, hw[15] = ip;
}

static bool is_stock(const struct pool_binding *b)
{
	return b && b->hwlen == 16 && !memcmp(b->hw, stock_tag, 8);
}

static struct dhcp_pool *pool(struct dhcp_fastpath *fp)
{
	return dhcp_server_pool(fp->s);
}

static const struct rb_config *cfg(const struct dhcp_fastpath *fp)
{
	return dhcp_server_config(fp->s);
}

/* Addresses set aside and not yet taken by the kernel (bookkeeping only:
 * the pool holds them). */
static void aside_add(struct dhcp_fastpath *fp, uint32_t ip)
{
	if (fp->naside == fp->capaside) {
		size_t cap = fp->capaside ? fp->capaside * 2 : 256;
		uint32_t *a = realloc(fp->aside, cap * sizeof(*a));
		if (!a)
			return;                    /* only bookkeeping: the pool holds it */
		fp->aside = a, fp->capaside = cap;
	}
	fp->aside[fp->naside++] = ip;
}

static bool aside_drop(struct dhcp_fastpath *fp, uint32_t ip)
{
	for (size_t i = 0; i < fp->naside; i++) {
		if (fp->aside[i] == ip) {
			fp->aside[i] = fp->aside[--fp->naside];
			return true;
		}
	}
	return false;
}

/* ---------------------------------------------------------------- templates */

/* Markers: unmistakable contents of options 97 and 61 in a synthetic
 * request, found again where the server echoes them in its reply. */
static const uint8_t mark97[17] = { 0, 'r', 'a', 'c', 'k', 'b', 'o', 'o', 't', '-', 'm', 'a',
				     'r', 'k', '-', '9', '7' };
static const uint8_t mark61[9] = { 0, 'r', 'b', '-', 'm', 'a', 'r', 'k', '!' };

struct synth {
	uint8_t type;                  /* DHCPDISCOVER or DHCPREQUEST */
	uint8_t cls;                   /* enum rb_dhcp_class */
	uint16_t arch;
	uint8_t mac[6];
	uint32_t xid;
	uint32_t ciaddr_be;
	bool marks;                    /* options 97 and 61 with the markers */
};

/* A request of one client class, parsed into m (buf keeps its bytes). */
static bool synth_request(const struct synth *q, uint8_t *buf, struct dhcp_msg *m)
{
	struct dhcp_builder b = { .buf = buf, .cap = REQ_BUF, .len = DHCP_MIN_LEN };
	uint32_t xid = htonl(q->xid), cookie = htonl(DHCP_MAGIC);

	memset(buf, 0, REQ_BUF);
	buf[0] = BOOTREQUEST, buf[1] = 1, buf[2] = 6;
	memcpy(buf + 4, &xid, 4);
	memcpy(buf + 12, &q->ciaddr_be, 4);
	memcpy(buf + 28, q->mac, 6);
	memcpy(buf + 236, &cookie, 4);
	dhcp_put_u8(&b, DHO_MSG_TYPE, q->type);
	if (q->cls & RB_DHCP_C_PXE)
		dhcp_put_str(&b, DHO_VENDOR_CLASS, "PXEClient");
	if (q->cls & RB_DHCP_C_HTTP)
		dhcp_put_str(&b, DHO_VENDOR_CLASS, "HTTPClient");
	if (q->cls & RB_DHCP_C_ARCH)
		dhcp_put_u16(&b, DHO_CLIENT_ARCH, q->arch);
	if (q->cls & RB_DHCP_C_IPXE)
		dhcp_put_str(&b, DHO_USER_CLASS, "iPXE");
	if (q->marks) {
		dhcp_put(&b, DHO_UUID, mark97, sizeof(mark97));
		dhcp_put(&b, DHO_CLIENT_ID, mark61, sizeof(mark61));
	}
	size_t len = dhcp_reply_finish(&b);
	return len && dhcp_parse(buf, len, m) == DHCP_OK;
}

/* Where the pieces of a reply to a marked request lie. */
struct cut {
	size_t b, b_len;               /* boot options (or a parameter set) */
	size_t t, t_len;               /* after the 97 echo */
	bool echo_uuid;
};

/* Cut a reply to a marked request: skip `plen` bytes of options (which
 * must equal p), then the pieces up to the 97 and 61 echoes, which must
 * be the last options. 0, or -1 when the reply is not of that shape. */
static int cut_reply(const uint8_t *rep, size_t len, const uint8_t *p, size_t plen, struct cut *c)
{
	size_t i = DHCP_MIN_LEN, p97 = 0, e97 = 0, p61 = 0;

	if (len < DHCP_MIN_LEN + 1 || len > RB_DHCP_REPLY_MAX || rep[0] != BOOTREPLY ||
	    rep[3] || rep[8] || rep[9] || memcmp(rep + 24, "\0\0\0\0", 4))
		return -1;
	while (i < len && rep[i] != DHO_END) {
		if (rep[i] == DHO_PAD || i + 2 > len || i + 2 + rep[i + 1] > len)
			return -1;
		uint8_t code = rep[i], l = rep[i + 1];
		if (code == DHO_UUID && l == sizeof(mark97) && !memcmp(rep + i + 2, mark97, l))
			p97 = i, e97 = i + 2 + l;
		else if (code == DHO_CLIENT_ID && l == sizeof(mark61) && !memcmp(rep + i + 2, mark61, l))
			p61 = i;
		else if (p61)
			return -1;                 /* nothing may follow the 61 echo */
		i += 2 + (size_t)l;
	}
	size_t end = i, want = end + 1 < 300 ? 300 : end + 1;
	if (end >= len || !p61 || p61 + 2 + sizeof(mark61) != end || want != len ||
	    (p97 && p97 > p61) || DHCP_MIN_LEN + plen > (p97 ? p97 : p61) ||
	    (plen && memcmp(rep + DHCP_MIN_LEN, p, plen)))
		return -1;
	for (size_t k = end + 1; k < len; k++)
		if (rep[k])
			return -1;
	c->b = DHCP_MIN_LEN + plen;
	c->b_len = (p97 ? p97 : p61) - c->b;
	c->echo_uuid = p97 != 0;
	c->t = p97 ? e97 : p61;
	c->t_len = p61 - c->t;
	return 0;
}

/* What the program makes of a request with these pieces (lib/dhcp.h's
 * rb_dhcp_write(), BOOTP part): the self-check of every template. */
static size_t compose(const struct rb_dhcp_boot *bt, const uint8_t *p, size_t plen,
		      const struct dhcp_msg *m, uint32_t yiaddr_be, uint8_t *out)
{
	size_t o = DHCP_MIN_LEN;
	uint32_t xid = htonl(m->xid);
	uint16_t flags = htons(m->flags);

	memset(out, 0, DHCP_MAX_MSG);
	out[0] = BOOTREPLY, out[1] = m->htype, out[2] = m->hlen;
	memcpy(out + 4, &xid, 4);
	memcpy(out + 10, &flags, 2);
	if (m->msg_type == DHCPREQUEST)
		memcpy(out + 12, &m->ciaddr, 4);
	memcpy(out + 16, &yiaddr_be, 4);
	memcpy(out + 20, &bt->siaddr_be, 4);
	memcpy(out + 28, m->chaddr, 16);
	memcpy(out + 44, bt->fields, sizeof(bt->fields));
	if (plen)
		memcpy(out + o, p, plen), o += plen;
	memcpy(out + o, bt->b, bt->b_len), o += bt->b_len;
	if (bt->echo_uuid && m->opt[DHO_UUID].present) {
		out[o] = DHO_UUID, out[o + 1] = (uint8_t)m->opt[DHO_UUID].len;
		memcpy(out + o + 2, m->opt[DHO_UUID].data, m->opt[DHO_UUID].len);
		o += 2 + m->opt[DHO_UUID].len;
	}
	memcpy(out + o, bt->t, bt->t_len), o += bt->t_len;
	if (m->opt[DHO_CLIENT_ID].present) {
		out[o] = DHO_CLIENT_ID, out[o + 1] = (uint8_t)m->opt[DHO_CLIENT_ID].len;
		memcpy(out + o + 2, m->opt[DHO_CLIENT_ID].data, m->opt[DHO_CLIENT_ID].len);
		o += 2 + m->opt[DHO_CLIENT_ID].len;
	}
	out[o++] = DHO_END;
	return o < 300 ? 300 : o;
}

/* The server's reply of one kind to q (0: it sends none). */
static size_t server_reply(struct dhcp_fastpath *fp, uint8_t reply, const struct dhcp_msg *m,
			   const struct rb_host *h, uint8_t *buf)
{
	if (reply == RB_DHCP_R_OFFER)
		return dhcp_server_offer_for(fp->s, m, fp->sn->ranges[0].lo, h, "", buf);
	return dhcp_server_boot_reply_for(fp->s, m, reply == RB_DHCP_R_BINL_ACK, buf);
}

static uint32_t placeholder_ip(const struct dhcp_fastpath *fp, uint8_t reply)
{
	return reply == RB_DHCP_R_OFFER ? htonl(fp->sn->ranges[0].lo) : 0;
}

/* The template of one class, or -1 when the server sends that class
 * nothing (or something the program cannot rebuild: then it passes). */
static int make_template(struct dhcp_fastpath *fp, uint8_t reply, uint8_t cls, uint16_t arch,
			 const struct pset *p, struct rb_dhcp_boot *bt)
{
	struct synth q = { .type = reply == RB_DHCP_R_BINL_ACK ? DHCPREQUEST : DHCPDISCOVER,
			   .cls = cls, .arch = arch, .mac = { 2, 0, 0, 0xfa, 0x57, 1 }, .xid = 1,
			   .marks = true };
	uint8_t req[REQ_BUF], rep[DHCP_MAX_MSG], again[DHCP_MAX_MSG];
	struct dhcp_msg *m = malloc(sizeof(*m));
	struct cut c;
	int rc = -1;

	if (!m)
		return -1;
	size_t plen = p ? p->len : 0, len;
	if (!synth_request(&q, req, m) || !(len = server_reply(fp, reply, m, NULL, rep)) ||
	    cut_reply(rep, len, p ? p->opts : NULL, plen, &c) || c.b_len > sizeof(bt->b) ||
	    c.t_len > sizeof(bt->t))
		goto out;
	memset(bt, 0, sizeof(*bt));
	memcpy(&bt->siaddr_be, rep + 20, 4);
	memcpy(bt->fields, rep + 44, sizeof(bt->fields));
	memcpy(bt->b, rep + c.b, c.b_len);
	memcpy(bt->t, rep + c.t, c.t_len);
	bt->b_len = (uint16_t)c.b_len;
	bt->t_len = (uint16_t)c.t_len;
	bt->echo_uuid = c.echo_uuid;
	uint32_t yi = placeholder_ip(fp, reply);
	if (compose(bt, p ? p->opts : NULL, plen, m, yi, again) != len || memcmp(again, rep, len))
		goto out;
	/* and without the echoed options, the same pieces */
	q.marks = false;
	if (!synth_request(&q, req, m) || (len = server_reply(fp, reply, m, NULL, rep)) == 0 ||
	    compose(bt, p ? p->opts : NULL, plen, m, yi, again) != len || memcmp(again, rep, len))
		goto out;
	rc = 0;
out:
	free(m);
	return rc;
}

static int write_templates(struct dhcp_fastpath *fp, unsigned set, uint8_t reply)
{
	static const uint8_t bases[CLASS_BASES] = {
		0, RB_DHCP_C_PXE, RB_DHCP_C_HTTP, RB_DHCP_C_IPXE,
		RB_DHCP_C_PXE | RB_DHCP_C_IPXE, RB_DHCP_C_HTTP | RB_DHCP_C_IPXE,
	};
	const struct pset *p = reply == RB_DHCP_R_OFFER ? &fp->psets[fp->new_pset] : NULL;
	struct rb_dhcp_boot bt;

	for (unsigned i = 0; i < CLASS_BASES; i++) {
		for (int a = -1; a <= RB_DHCP_ARCH_MAX; a++) {
			uint8_t cls = bases[i] | (a >= 0 ? RB_DHCP_C_ARCH : 0);
			uint16_t arch = a >= 0 ? (uint16_t)a : 0;
			if (make_template(fp, reply, cls, arch, p, &bt))
				continue;
			struct rb_dhcp_boot_key k = { .set = (uint8_t)set, .reply = reply, .cls = cls,
						      .arch = arch };
			if (bpf_map_update_elem(fp->fd_boot, &k, &bt, BPF_ANY)) {
				log_msg(LOG_ERR, "dhcp fast path: boot template: %s", strerror(errno));
				return -1;
			}
			fp->templates++;
		}
	}
	return 0;
}

/* Remove every template of a set. */
static void clear_templates(struct dhcp_fastpath *fp, unsigned set)
{
	struct rb_dhcp_boot_key k, *prev = NULL, *del = NULL;
	size_t n = 0, cap = 0;

	while (!bpf_map_get_next_key(fp->fd_boot, prev, &k)) {
		if (k.set == set) {
			if (n == cap) {
				void *d = realloc(del, (cap = cap ? cap * 2 : 256) * sizeof(*del));
				if (!d)
					break;
				del = d;
			}
			del[n++] = k;
		}
		prev = &k;
	}
	for (size_t i = 0; i < n; i++)
		bpf_map_delete_elem(fp->fd_boot, &del[i]);
	free(del);
}

/* ----------------------------------------------------------- parameter sets */

/* The id of the options the server's offers to host h (NULL: to a client
 * that is no host) start with: 53, 54 and the lease parameters. */
static int pset_of(struct dhcp_fastpath *fp, const struct rb_host *h, uint32_t *id)
{
	struct synth q = { .type = DHCPDISCOVER, .mac = { 2, 0, 0, 0xfa, 0x57, 2 }, .marks = true };
	uint8_t req[REQ_BUF], rep[DHCP_MAX_MSG];
	struct dhcp_msg *m = malloc(sizeof(*m));
	struct cut c;
	size_t len;

	if (!m)
		return -1;
	bool ok = synth_request(&q, req, m) && (len = dhcp_server_offer_for(fp->s, m,
		  fp->sn->ranges[0].lo, h, "", rep)) && !cut_reply(rep, len, NULL, 0, &c) &&
		  !c.echo_uuid && !c.t_len && c.b_len && c.b_len <= RB_DHCP_PSET_MAX;
	free(m);
	if (!ok)
		return -1;
	size_t free_id = fp->npsets;
	for (size_t i = 0; i < fp->npsets; i++) {
		struct pset *p = &fp->psets[i];
		if (p->len == c.b_len && !memcmp(p->opts, rep + c.b, c.b_len)) {
			p->used = fp->gen;
			*id = (uint32_t)i;
			return 0;
		}
		if (free_id == fp->npsets && p->used + 1 < fp->gen)
			free_id = i;               /* needed by neither this sync nor the last */
	}
	if (free_id == RB_DHCP_PSETS)
		return -1;
	if (free_id == fp->npsets) {
		struct pset *n = realloc(fp->psets, (fp->npsets + 1) * sizeof(*n));
		if (!n)
			return -1;
		fp->psets = n;
		fp->npsets++;
	}
	struct pset *p = &fp->psets[free_id];
	p->len = (uint16_t)c.b_len;
	p->used = fp->gen;
	memcpy(p->opts, rep + c.b, c.b_len);
	*id = (uint32_t)free_id;
	return 0;
}

static size_t psets_in_use(const struct dhcp_fastpath *fp)
{
	size_t n = 0;
	for (size_t i = 0; i < fp->npsets; i++)
		n += fp->psets[i].used == fp->gen;
	return n;
}

static int write_psets(struct dhcp_fastpath *fp, unsigned set)
{
	struct rb_dhcp_pset v;
	for (uint32_t i = 0; i < fp->npsets; i++) {
		uint32_t k = set * RB_DHCP_PSETS + i;
		memset(&v, 0, sizeof(v));
		if (fp->psets[i].used == fp->gen) {
			v.len = fp->psets[i].len;
			memcpy(v.opts, fp->psets[i].opts, v.len);
		}
		if (bpf_map_update_elem(fp->fd_psets, &k, &v, BPF_ANY)) {
			log_msg(LOG_ERR, "dhcp fast path: parameter set: %s", strerror(errno));
			return -1;
		}
	}
	return 0;
}

/* ------------------------------------------------------------ client entries */

/* handle_discover()'s choice for this client, as an entry. */
static void entry_for(struct dhcp_fastpath *fp, const uint8_t mac[6], struct rb_dhcp_client *e)
{
	const struct rb_config *c = cfg(fp);
	const struct rb_host *h = rb_host_by_mac(c, mac);
	int64_t now = (int64_t)time(NULL);

	memset(e, 0, sizeof(*e));
	memcpy(e->mac, mac, 6);
	e->kind = RB_DHCP_CL_PASS;
	e->pset = fp->new_pset;
	/* a host without options of its own has those of its subnet */
	if (!fp->sn || (h && h->params.set && pset_of(fp, h, &e->pset)))
		return;
	if (h && h->name[0]) {
		e->host_len = (uint8_t)strlen(h->name);
		memcpy(e->host, h->name, e->host_len);
	} else if (h) {
		e->flags = RB_DHCP_CLF_CLIENT_NAME;   /* client_hostname(): option 12 of the request */
	}
	if (h && h->ip && rb_subnet_for(c, h->ip) == fp->sn) {
		e->kind = RB_DHCP_CL_ADDR;
		e->ip_be = htonl(h->ip);
		return;
	}
	struct pool_binding *mine = pool_by_hw(pool(fp), mac, 6);
	if (mine && mine->state != POOL_DECLINED && pool_in_ranges(fp->sn, mine->ip) &&
	    !pool_is_reserved(pool(fp), mine->ip)) {
		/* pool_choose() gives it back; while it is held nobody else
		 * can be given it, after that the server decides */
		if (pool_busy(mine, now)) {
			e->kind = RB_DHCP_CL_ADDR;
			e->ip_be = htonl(mine->ip);
			e->expires_ns = expiry_ns(mine->expires);
		}
		return;
	}
	e->kind = RB_DHCP_CL_NEW;
}

/* The kernel offered e->ip_be to e->mac: hold it as the server's own
 * offer. -1 (counted, logged) when another client holds it. */
static int take_koffer(struct dhcp_fastpath *fp, const struct rb_dhcp_client *e)
{
	uint32_t ip = ntohl(e->ip_be);
	struct pool_binding *b = pool_by_ip(pool(fp), ip);
	if (b && !is_stock(b) && !pool_owned_by(b, e->mac, 6) && pool_busy(b, (int64_t)time(NULL))) {
		char a[INET_ADDRSTRLEN];
		fp->conflicts++;
		log_msg(LOG_WARNING, "dhcp fast path: the kernel offered %s, held by another client",
			inet_ntop(AF_INET, &e->ip_be, a, sizeof(a)));
		return -1;
	}
	aside_drop(fp, ip);
	dhcp_server_hold_offer(fp->s, e->mac, ip, wall_of(e->expires_ns - KERNEL_HOLD_NS));
	return 0;
}

/* An entry that stands for an offer the server does not hold for its
 * client: one the kernel made (its event still on its way, or made while
 * no daemon ran) or, when a new daemon adopts the maps, one the last
 * daemon made (offers live in memory only; bound leases come back from
 * the lease store and are held already). */
static bool unheld_offer(struct dhcp_fastpath *fp, const struct rb_dhcp_client *e)
{
	if (e->kind != RB_DHCP_CL_KOFFER && !(fp->adopting && e->kind == RB_DHCP_CL_ADDR))
		return false;
	if (!e->expires_ns || (int64_t)e->expires_ns <= mono_ns())
		return false;                   /* a reservation, or over */
	/* An ADDR entry of the last daemon ends when its offer or its lease
	 * does: only one ending within an offer's hold is an offer. A lease
	 * is this daemon's only if its own store has it (then it is held
	 * already); the last daemon may have kept its leases elsewhere. */
	if (e->kind == RB_DHCP_CL_ADDR &&
	    (int64_t)e->expires_ns - mono_ns() > (int64_t)(DHCP_OFFER_HOLD_SECS * NS))
		return false;
	return !pool_owned_by(pool_by_ip(pool(fp), ntohl(e->ip_be)), e->mac, 6);
}

void dhcp_fastpath_client_changed(struct dhcp_fastpath *fp, const uint8_t *hw, uint8_t hwlen)
{
	struct rb_dhcp_client_key k = { 0 };
	struct rb_dhcp_client e, cur;

	if (!fp || hwlen != 6 || cfg(fp)->proxy_dhcp)
		return;
	memcpy(k.mac, hw, 6);
	/* An offer the server does not hold: hold it first (which rewrites
	 * the entry), never overwrite it. */
	if (!bpf_map_lookup_elem_flags(fp->fd_clients, &k, &cur, BPF_F_LOCK) &&
	    unheld_offer(fp, &cur) && !take_koffer(fp, &cur))
		return;
	entry_for(fp, hw, &e);
	if (e.kind == RB_DHCP_CL_NEW && e.pset == fp->new_pset && !e.host_len && !e.flags) {
		bpf_map_delete_elem(fp->fd_clients, &k);   /* absent says the same */
		return;
	}
	if (bpf_map_update_elem(fp->fd_clients, &k, &e, BPF_F_LOCK))
		log_msg(LOG_WARNING, "dhcp fast path: client entry: %s", strerror(errno));
}

void dhcp_fastpath_claim(struct dhcp_fastpath *fp, const uint8_t *hw, uint8_t hwlen, uint32_t ip)
{
	struct rb_dhcp_client_key k = { 0 };
	struct rb_dhcp_client cur;

	if (!fp || hwlen != 6 || !is_stock(pool_by_ip(pool(fp), ip)))
		return;
	memcpy(k.mac, hw, 6);
	if (!bpf_map_lookup_elem_flags(fp->fd_clients, &k, &cur, BPF_F_LOCK) &&
	    cur.kind == RB_DHCP_CL_KOFFER && cur.ip_be == htonl(ip))
		take_koffer(fp, &cur);
}

static void each_lease(const struct lease *l, void *arg)
{
	if (l->hwlen == 6)
		dhcp_fastpath_client_changed(arg, l->hw, 6);
}

/* Every entry the map has, every host, and (at start) every lease. */
static void write_clients(struct dhcp_fastpath *fp, bool start)
{
	struct rb_dhcp_client_key k, *prev = NULL;
	uint8_t (*macs)[6] = NULL;
	size_t n = 0, cap = 0;

	while (!bpf_map_get_next_key(fp->fd_clients, prev, &k)) {
		if (n == cap) {
			void *m = realloc(macs, (cap = cap ? cap * 2 : 256) * 6);
			if (!m)
				break;
			macs = m;
		}
		memcpy(macs[n++], k.mac, 6);
		prev = &k;
	}
	for (size_t i = 0; i < n; i++)
		dhcp_fastpath_client_changed(fp, macs[i], 6);
	free(macs);
	const struct rb_config *c = cfg(fp);
	for (size_t i = 0; i < c->nhosts; i++)
		dhcp_fastpath_client_changed(fp, c->hosts[i].mac, 6);
	if (start)
		dhcp_server_each_lease(fp->s, each_lease, fp);
}

/* ------------------------------------------------------------------- stock */

static unsigned long long stock_taken(struct dhcp_fastpath *fp)
{
	uint32_t k = RB_CNT_DHCP_STOCK_TAKEN;
	unsigned long long sum = 0;
	uint64_t *v = calloc((size_t)fp->ncpus, sizeof(*v));
	if (v && !bpf_map_lookup_elem(fp->fd_counters, &k, v))
		for (int i = 0; i < fp->ncpus; i++)
			sum += v[i];
	free(v);
	return sum;
}

static size_t stock_left(struct dhcp_fastpath *fp)
{
	unsigned long long taken = stock_taken(fp) - fp->taken_base;
	return fp->pushed > taken ? (size_t)(fp->pushed - taken) : 0;
}

/* Hold ip for a placeholder client: the server will not offer it. */
static void set_aside(struct dhcp_fastpath *fp, uint32_t ip)
{
	uint8_t hw[16], was[6];
	struct pool_binding *rel, *b = pool_by_ip(pool(fp), ip);
	bool notify = b && !is_stock(b) && b->hwlen == 6;
	if (notify)
		memcpy(was, b->hw, 6);
	stock_hw(ip, hw);
	pool_assign(pool(fp), ip, hw, sizeof(hw), POOL_OFFERED, FAR_FUTURE, &rel);
	if (notify)
		dhcp_fastpath_client_changed(fp, was, 6);   /* its remembered address went */
}

static void release(struct dhcp_fastpath *fp, uint32_t ip)
{
	struct pool_binding *b = pool_by_ip(pool(fp), ip);
	if (is_stock(b)) {
		b->state = POOL_FREE;
		b->expires = (int64_t)time(NULL);
	}
	aside_drop(fp, ip);
}

static bool push(struct dhcp_fastpath *fp, uint32_t ip)
{
	uint32_t v = htonl(ip);
	if (bpf_map_update_elem(fp->fd_stock, NULL, &v, 0))
		return false;
	fp->pushed++;
	return true;
}

/* Top the stock up to its size once it fell to half of it (or always). */
static void refill(struct dhcp_fastpath *fp, bool always)
{
	static const uint8_t query[16] = { 'R', 'B', '-', 'S', 'T', 'O', 'C', 'K', 0xff, 0xff,
					   0xff, 0xff, 0xff, 0xff, 0xff, 0xff };
	size_t left = stock_left(fp), want = fp->o.stock;

	if (!fp->sn || (!always && left >= want / 2))
		return;
	for (; left < want; left++) {
		uint32_t ip = pool_choose(pool(fp), fp->sn, query, sizeof(query), 0, (int64_t)time(NULL));
		if (!ip)
			break;
		set_aside(fp, ip);
		aside_add(fp, ip);
		if (!push(fp, ip)) {
			release(fp, ip);
			break;
		}
	}
}

/* Hold every offer the kernel made that the server does not hold yet
 * (its client entry says KOFFER; its event may not be read yet). */
static void hold_kernel_offers(struct dhcp_fastpath *fp)
{
	struct rb_dhcp_client_key k, *prev = NULL;
	struct rb_dhcp_client e;

	while (!bpf_map_get_next_key(fp->fd_clients, prev, &k)) {
		if (!bpf_map_lookup_elem_flags(fp->fd_clients, &k, &e, BPF_F_LOCK) &&
		    e.kind == RB_DHCP_CL_KOFFER && unheld_offer(fp, &e))
			take_koffer(fp, &e);
		prev = &k;
	}
}

/* Take the stock back: what is still valid goes back in, in its order
 * (adopting a previous daemon's stock at start); then top it up. */
static void stock_sync(struct dhcp_fastpath *fp)
{
	uint32_t v, *got = NULL;
	size_t n = 0, cap = 0;
	int64_t now = (int64_t)time(NULL);

	while (!bpf_map_lookup_and_delete_elem(fp->fd_stock, NULL, &v)) {
		if (n == cap) {
			uint32_t *g = realloc(got, (cap = cap ? cap * 2 : 256) * sizeof(*g));
			if (!g)
				break;
			got = g;
		}
		got[n++] = ntohl(v);
	}
	/* The stock is empty now, so the kernel takes nothing more from it;
	 * what it took before (while this daemon started, or while none ran)
	 * is on its clients' entries: hold those before choosing new
	 * addresses, or one could go into the stock again and be offered
	 * twice. */
	if (!cfg(fp)->proxy_dhcp)
		hold_kernel_offers(fp);
	fp->taken_base = stock_taken(fp);
	fp->pushed = 0;
	for (size_t i = 0; i < n; i++) {
		uint32_t ip = got[i];
		struct pool_binding *b = pool_by_ip(pool(fp), ip);
		bool ok = fp->sn && pool_in_ranges(fp->sn, ip) && !pool_is_reserved(pool(fp), ip) &&
			  (is_stock(b) || !pool_busy(b, now));
		if (!ok) {
			release(fp, ip);
			continue;
		}
		if (!is_stock(b)) {
			set_aside(fp, ip);
			aside_add(fp, ip);
		}
		if (!push(fp, ip))
			release(fp, ip);
	}
	free(got);
	refill(fp, true);
}

uint32_t dhcp_fastpath_unstock(struct dhcp_fastpath *fp, const struct rb_subnet *sn)
{
	uint32_t v;
	if (!fp || !sn || sn != fp->sn || bpf_map_lookup_and_delete_elem(fp->fd_stock, NULL, &v))
		return 0;
	uint32_t ip = ntohl(v);
	release(fp, ip);
	if (fp->pushed)
		fp->pushed--;
	return ip;
}

/* ------------------------------------------------------------------ events */

int dhcp_fastpath_event(struct dhcp_fastpath *fp, const void *rec, size_t len)
{
	const struct rb_event_hdr *h = rec;
	struct rb_ev_dhcp ev;

	if (len < sizeof(*h))
		return -1;
	switch (h->kind) {
	case RB_EV_DHCP_OFFER:
	case RB_EV_DHCP_PROXY_OFFER:
	case RB_EV_DHCP_PROXY_ACK:
	case RB_EV_DHCP_STOCK_RETURN:
		break;
	default:
		return 1;
	}
	if (len < sizeof(ev))
		return -1;
	memcpy(&ev, rec, sizeof(ev));
	fp->events++;
	if (ev.h.kind == RB_EV_DHCP_STOCK_RETURN) {
		release(fp, ntohl(ev.ip_be));
		refill(fp, false);
		return 0;
	}
	bool binl = ev.h.kind == RB_EV_DHCP_PROXY_ACK;
	struct synth q = { .type = binl ? DHCPREQUEST : DHCPDISCOVER, .cls = ev.cls,
			   .arch = ev.arch, .xid = ev.xid, .ciaddr_be = binl ? ev.ip_be : 0 };
	uint8_t req[REQ_BUF];
	struct dhcp_msg *m = malloc(sizeof(*m));
	memcpy(q.mac, ev.mac, 6);
	if (!m || !synth_request(&q, req, m)) {
		free(m);
		return -1;
	}
	if (ev.h.kind == RB_EV_DHCP_OFFER) {
		struct rb_dhcp_client e = { .ip_be = ev.ip_be, .expires_ns = ev.h.ts_ns + KERNEL_HOLD_NS };
		memcpy(e.mac, ev.mac, 6);
		fp->kernel_offers++;
		take_koffer(fp, &e);
	}
	dhcp_server_kernel_sent(fp->s, m, binl, ntohl(ev.ip_be));
	free(m);
	if (ev.from_stock)
		refill(fp, false);
	return 0;
}

/* -------------------------------------------------------------------- sync */

static int write_conf(struct dhcp_fastpath *fp, unsigned set)
{
	const struct rb_config *c = cfg(fp);
	struct rb_dhcp_conf v = {
		.server_ip_be = htonl(c->address),
		.mode = c->proxy_dhcp ? RB_DHCP_PROXY : RB_DHCP_FULL,
		.ttl = fp->o.link.ttl ? fp->o.link.ttl : 64,
		.new_pset = fp->sn ? fp->new_pset : RB_DHCP_NO_PSET,
		.offer_hold_ns = KERNEL_HOLD_NS,
		.gen = fp->gen,
	};
	uint32_t k = set;
	memcpy(v.server_mac, fp->o.link.mac, 6);
	if (fp->o.xdp)
		v.flags |= RB_DHCP_F_XDP;
	if (fp->o.link.binl_unicast && fp->o.link.onlink_mask) {
		v.flags |= RB_DHCP_F_BINL_UNICAST;
		v.onlink_net_be = fp->o.link.onlink_net;
		v.onlink_mask_be = fp->o.link.onlink_mask;
	}
	return bpf_map_update_elem(fp->fd_conf, &k, &v, BPF_ANY);
}

static int sync_all(struct dhcp_fastpath *fp, bool start)
{
	const struct rb_config *c = cfg(fp);
	unsigned next = fp->set ^ 1, zero = 0;
	bool full = !c->proxy_dhcp;

	fp->gen++;
	fp->templates = 0;
	clear_templates(fp, next);
	fp->sn = full ? rb_subnet_for(c, c->address) : NULL;
	if (fp->sn && !fp->sn->nranges)
		fp->sn = NULL;                 /* reservations only: no stock, no templates */
	if (fp->sn && pset_of(fp, NULL, &fp->new_pset)) {
		log_msg(LOG_WARNING, "dhcp fast path: the offers' options do not fit a template;"
			" DISCOVERs go to the daemon");
		fp->sn = NULL;
	}
	for (size_t i = 0; fp->sn && i < c->nhosts; i++) {
		uint32_t id;
		if (c->hosts[i].params.set)
			pset_of(fp, &c->hosts[i], &id);   /* an id for every host's options */
	}
	if (write_psets(fp, next) ||
	    (fp->sn && write_templates(fp, next, RB_DHCP_R_OFFER)) ||
	    (!full && write_templates(fp, next, RB_DHCP_R_PROXY_OFFER)) ||
	    write_templates(fp, next, RB_DHCP_R_BINL_ACK) || write_conf(fp, next) ||
	    bpf_map_update_elem(fp->fd_active, &zero, &next, BPF_ANY)) {
		log_msg(LOG_ERR, "dhcp fast path: cannot fill the maps: %s", strerror(errno));
		return -1;
	}
	fp->set = next;
	fp->adopting = start;
	if (full)
		write_clients(fp, start);
	fp->adopting = false;
	stock_sync(fp);
	log_msg(LOG_INFO, "dhcp fast path: %zu templates, %zu parameter sets, %zu addresses in stock",
		fp->templates, psets_in_use(fp), stock_left(fp));
	return 0;
}

int dhcp_fastpath_sync(struct dhcp_fastpath *fp)
{
	return fp ? sync_all(fp, false) : 0;
}

struct dhcp_fastpath *dhcp_fastpath_new(struct dhcp_server *s, dhcp_fastpath_map_fn map_fd,
					const void *arg, const struct dhcp_fastpath_opts *o,
					char *err, size_t errlen)
{
	static const char *const names[] = {
		"rb_dhcp_active", "rb_dhcp_conf", "rb_dhcp_boot", "rb_dhcp_psets",
		"rb_dhcp_clients", "rb_dhcp_stock", "rb_counters",
	};
	struct dhcp_fastpath *fp = calloc(1, sizeof(*fp));
	int *fds[] = { NULL, NULL, NULL, NULL, NULL, NULL, NULL };

	if (!fp) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	fds[0] = &fp->fd_active, fds[1] = &fp->fd_conf, fds[2] = &fp->fd_boot;
	fds[3] = &fp->fd_psets, fds[4] = &fp->fd_clients, fds[5] = &fp->fd_stock;
	fds[6] = &fp->fd_counters;
	fp->s = s;
	fp->o = *o;
	if (!fp->o.stock)
		fp->o.stock = STOCK_DEFAULT;
	if (fp->o.stock > RB_DHCP_STOCK_MAX)
		fp->o.stock = RB_DHCP_STOCK_MAX;
	fp->ncpus = libbpf_num_possible_cpus();
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		*fds[i] = map_fd(arg, names[i]);
		if (*fds[i] < 0) {
			snprintf(err, errlen, "BPF map %s missing", names[i]);
			goto fail;
		}
	}
	if (fp->ncpus < 1) {
		snprintf(err, errlen, "cannot count CPUs");
		goto fail;
	}
	unsigned zero = 0, cur = 0;
	bpf_map_lookup_elem(fp->fd_active, &zero, &cur);   /* adopted maps: the set in use */
	fp->set = cur & 1;
	if (sync_all(fp, true)) {
		snprintf(err, errlen, "cannot fill the DHCP maps: %s", strerror(errno));
		goto fail;
	}
	return fp;
fail:
	dhcp_fastpath_free(fp);
	return NULL;
}

void dhcp_fastpath_free(struct dhcp_fastpath *fp)
{
	if (!fp)
		return;
	free(fp->psets);
	free(fp->aside);
	free(fp);
}

void dhcp_fastpath_stats(const struct dhcp_fastpath *fp, struct dhcp_fastpath_stats *st)
{
	memset(st, 0, sizeof(*st));
	st->templates = fp->templates;
	st->psets = psets_in_use(fp);
	st->stock = stock_left((struct dhcp_fastpath *)fp);
	st->events = fp->events;
	st->kernel_offers = fp->kernel_offers;
	st->conflicts = fp->conflicts;
}

/* ------------------------------------------------------------------- probe */

int dhcp_fastpath_probe(const struct rb_config *c, struct dhcp_fastpath_link *l, char *err,
			size_t errlen)
{
	struct ifreq ifr;
	struct ifaddrs *ifs = NULL;
	uint32_t addr = htonl(c->address);
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);

	memset(l, 0, sizeof(*l));
	l->ttl = 64;
	FILE *f = fopen("/proc/sys/net/ipv4/ip_default_ttl", "r");
	if (f) {
		unsigned t;
		if (fscanf(f, "%u", &t) == 1 && t >= 1 && t <= 255)
			l->ttl = (uint8_t)t;
		fclose(f);
	}
	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", c->interface);
	if (fd < 0 || ioctl(fd, SIOCGIFHWADDR, &ifr) < 0) {
		snprintf(err, errlen, "interface %s: %s", c->interface, strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	memcpy(l->mac, ifr.ifr_hwaddr.sa_data, 6);
	if (!getifaddrs(&ifs)) {
		for (struct ifaddrs *i = ifs; i; i = i->ifa_next) {
			if (!i->ifa_addr || i->ifa_addr->sa_family != AF_INET || !i->ifa_netmask ||
			    strcmp(i->ifa_name, c->interface) ||
			    ((struct sockaddr_in *)i->ifa_addr)->sin_addr.s_addr != addr)
				continue;
			l->onlink_mask = ((struct sockaddr_in *)i->ifa_netmask)->sin_addr.s_addr;
			l->onlink_net = addr & l->onlink_mask;
		}
		freeifaddrs(ifs);
	}
	/* Where the route to an on-link client takes its source from: the
	 * daemon's 4011 socket sends unicast replies without IP_PKTINFO. */
	if (l->onlink_mask && l->onlink_mask != 0xffffffff) {
		uint32_t host = ntohl(l->onlink_net) + 1;
		if (htonl(host) == addr)
			host++;
		struct sockaddr_in dst = { .sin_family = AF_INET, .sin_port = htons(PXE_BINL_PORT),
					   .sin_addr.s_addr = htonl(host) };
		struct sockaddr_in src;
		socklen_t sl = sizeof(src);
		l->binl_unicast = !connect(fd, (struct sockaddr *)&dst, sizeof(dst)) &&
				  !getsockname(fd, (struct sockaddr *)&src, &sl) &&
				  src.sin_addr.s_addr == addr;
	}
	if (!l->binl_unicast)
		l->onlink_net = l->onlink_mask = 0;
	close(fd);
	return 0;
}
