/* DHCP in the kernel: DISCOVERs on port 67 (proxyDHCP or full server) and
 * REQUESTs on port 4011 (the PXE boot server) answered with the reply the
 * daemon would send, assembled from pieces the daemon built with its own
 * reply builder (user/dhcp/dhcp_fastpath.c fills the maps; the layout of a
 * reply is in fastpath_abi.h, "DHCP"). The program only classifies the
 * request as user/core/boot_policy.c does (options 53, 60, 77, 93, 175),
 * picks the pieces, and patches in what belongs to the request: xid,
 * flags, chaddr, ciaddr (4011), the offered address, options 97 and 61.
 *
 * Anything the pieces do not cover is passed up untouched, before the
 * frame is changed: relayed requests (giaddr, option 82), option overload
 * (52), an option given twice (the daemon concatenates), options the reply
 * would have to echo otherwise (12 from a host without a name, 50 from a
 * new client), DHCP messages other than DISCOVER (67) and REQUEST (4011),
 * BOOTP, non-Ethernet chaddr, anything the daemon's parser would refuse,
 * a bad UDP checksum, replies longer than 548 bytes, unknown
 * architectures, and every class the daemon has no template for.
 *
 * Where the reply goes is reply_route() and socket_send() of
 * user/dhcp/dhcp_server.c: proxy offers, and offers to clients that set the
 * broadcast flag, to 255.255.255.255:68 and ff:ff:ff:ff:ff:ff; other offers
 * to yiaddr:68 at chaddr (the daemon first writes that ARP entry); 4011
 * replies back to the requester's address and port (its MAC: on-link
 * only), or broadcast to its port when it has no address. Source: the
 * daemon's address and port (67 or 4011) and the interface's MAC; IP
 * header as Linux writes it for an unconnected UDP socket: TTL
 * ip_default_ttl, DF, no options.
 *
 * Full server: a client with an entry in rb_dhcp_clients is offered its
 * reservation or binding; a new one an address popped from rb_dhcp_stock,
 * which the program records as the client's entry (KOFFER) at once, so a
 * retransmitted DISCOVER gets the same address. Every kernel offer is
 * streamed to the daemon (RB_EV_DHCP_OFFER), which holds the address as it
 * holds its own offers. */
#ifndef RACKBOOT_BPF_LIB_DHCP_H
#define RACKBOOT_BPF_LIB_DHCP_H

#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>
#include "fastpath_abi.h"
#include "ctx.h"
#include "net.h"
#include "maps.h"

#define RB_DHCP_SERVER_PORT 67
#define RB_DHCP_CLIENT_PORT 68
#define RB_DHCP_BINL_PORT   4011
#define RB_DHCP_DISCOVER    1
#define RB_DHCP_REQUEST     3
#define RB_DHCP_BROADCAST   0x8000      /* flags: the client wants broadcast replies */
#define RB_DHCP_IP_DF       0x4000
#define RB_DHCP_REQ_MASK    (RB_DHCP_REQ_MAX - 1)
#define RB_DHCP_REQ_BUF_MASK (2 * RB_DHCP_REQ_MAX - 1)
#define RB_DHCP_OUT_SUM     576          /* >= a reply's UDP segment, 8 + 548 */
#define RB_DHCP_CSUM_STEP   512          /* bytes bpf_csum_diff sums in one call */
#define RB_DHCP_PAD_MAX     (RB_DHCP_MIN_LEN - RB_DHCP_FIXED - 1)

/* Keep the compiler from re-deriving a checked value from an unchecked
 * one (the verifier follows registers, not C variables). */
#define rb_dhcp_opaque(x) asm volatile("" : "+r"(x))

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u32);
} rb_dhcp_active SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 2);
	__type(key, __u32);
	__type(value, struct rb_dhcp_conf);
} rb_dhcp_conf SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, RB_DHCP_BOOTS);
	__type(key, struct rb_dhcp_boot_key);
	__type(value, struct rb_dhcp_boot);
} rb_dhcp_boot SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 2 * RB_DHCP_PSETS);
	__type(key, __u32);
	__type(value, struct rb_dhcp_pset);
} rb_dhcp_psets SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, RB_DHCP_CLIENTS);
	__type(key, struct rb_dhcp_client_key);
	__type(value, struct rb_dhcp_client);
} rb_dhcp_clients SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_QUEUE);
	__uint(max_entries, RB_DHCP_STOCK_MAX);
	__type(value, __u32);            /* an address, network order */
} rb_dhcp_stock SEC(".maps");

/* The reply's first bytes: Ethernet, IP, UDP, BOOTP up to chaddr. */
struct rb_dhcp_head {
	struct ethhdr eth;
	struct iphdr ip;
	struct udphdr udp;
	__u8 op, htype, hlen, hops;
	__u32 xid;
	__u16 secs, flags;
	__u32 ciaddr, yiaddr, siaddr, giaddr;
	__u8 chaddr[16];
} __attribute__((packed));

/* Where the options the program looks at lie in the request (offsets of
 * their data in scratch.req; 0 = absent, as no option starts below 240). */
struct rb_dhcp_req {
	__u32 n;                             /* UDP payload bytes */
	__u16 o53, o60, o93, o77, o97, o61;
	__u8 l53, l60, l93, l77, l97, l61;
	__u8 has12, has50, has175;
	__u8 partial;                        /* TC: UDP checksum left to the device */
};

/* Where the reply goes and what the program gives a full-server client. */
struct rb_dhcp_plan {
	__u32 dst_ip, yiaddr, ciaddr, pset;
	__u16 sport, dport;
	__u8 dst_mac[6];
	__u8 from_stock, had_entry, host_len;
	__u8 to_yiaddr;                      /* unicast to the offered address, at chaddr */
	__u8 need_stock;                     /* a new client: an address from the stock */
};

/* The lengths of the reply's pieces (see fastpath_abi.h). */
struct rb_dhcp_layout {
	__u32 p, h, b, u, t, c, len;           /* len: the DHCP message, END and padding in */
};

/* Per-CPU working memory: the request read whole, the reply assembled. */
struct rb_dhcp_scratch {
	struct rb_dhcp_head head;            /* first: its IP header is 2-aligned */
	__u8 pad0[8 - (sizeof(struct rb_dhcp_head) + 2) % 8];
	__u8 host_opt[2];                    /* option 12's code and length ... */
	__u8 host[RB_DHCP_HOST_MAX];         /* ... and the name, 8-aligned */
	__u8 tail[1 + RB_DHCP_PAD_MAX];      /* END, then the zeros up to 300 bytes */
	__u8 pad1[(8 - (1 + RB_DHCP_PAD_MAX) % 8) % 8];
	__u64 seen[4];                       /* option codes met in the request */
	struct iphdr ip;                     /* the reply's, before it goes into head */
	struct rb_dhcp_req r;                /* in map memory: the verifier need not track it */
	struct rb_dhcp_plan pl;              /* the reply, decided */
	struct rb_dhcp_layout lo;
	struct rb_dhcp_boot_key key;
	__u64 newent[(sizeof(struct rb_dhcp_client) + 7) / 8]; /* an entry to insert */
	__u32 walk_off;                      /* a bpf_loop() walk's position ... */
	__s32 walk_rc;                       /* ... and outcome (see each walk) */
	__u8 req[2 * RB_DHCP_REQ_MAX + 8];   /* the request's UDP payload, zeros after */
	__u8 out[1024 + 8];                  /* the reply's UDP segment, read back */
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct rb_dhcp_scratch);
} rb_dhcp_scratch SEC(".maps");

static __always_inline bool rb_dhcp_port(const struct rb_pkt *p)
{
	return p->udp->dest == bpf_htons(RB_DHCP_SERVER_PORT) ||
	       p->udp->dest == bpf_htons(RB_DHCP_BINL_PORT);
}

static __always_inline __u8 rb_dhcp_b(const struct rb_dhcp_scratch *s, __u32 off)
{
	return s->req[off & RB_DHCP_REQ_MASK];
}

static __always_inline __u32 rb_dhcp_be32(const struct rb_dhcp_scratch *s, __u32 off)
{
	__u32 v;
	__builtin_memcpy(&v, s->req + (off & RB_DHCP_REQ_MASK), 4);
	return v;
}

static __always_inline bool rb_dhcp_mac_eq(const __u8 *a, const __u8 *b)
{
	return ((a[0] ^ b[0]) | (a[1] ^ b[1]) | (a[2] ^ b[2]) | (a[3] ^ b[3]) |
		(a[4] ^ b[4]) | (a[5] ^ b[5])) == 0;
}

/* Zero the first n bytes of buf (n a constant multiple of 8). */
static __always_inline void rb_dhcp_zero(__u8 *buf, const __u32 n)
{
	__u64 *w = (__u64 *)buf;
#pragma unroll
	for (__u32 i = 0; i < n / 8; i++)
		w[i] = 0;
}

/* The one's-complement sum of buf[0, n) (n a constant multiple of 4), as
 * bpf_csum_diff sums: callers zero what lies past their data, so the
 * sizes the verifier sees never depend on a packet. */
static __always_inline __u64 rb_dhcp_sum(__u8 *buf, const __u32 n)
{
	__u64 sum = 0;
#pragma unroll
	for (__u32 at = 0; at < n; at += RB_DHCP_CSUM_STEP)
		sum += (__u32)bpf_csum_diff(NULL, 0, (__be32 *)(buf + at),
					    n - at < RB_DHCP_CSUM_STEP ? n - at : RB_DHCP_CSUM_STEP, 0);
	return sum;
}

/* A length in [1, mask + 1] the verifier can follow however the
 * compiler spills it (6.1 does not carry a bound learned from a branch
 * into a spilled copy): for a len already checked to lie in that range,
 * it is len. */
#define rb_dhcp_len(len, mask) ({                                      \
	__u32 l_ = (len) - 1;                                           \
	rb_dhcp_opaque(l_);                                             \
	(l_ & (mask)) + 1;                                              \
})

/* Copy the request into scratch and check its UDP checksum, as the stack
 * would before the daemon's socket saw it. TC also takes a checksum left
 * for the device to fill in (CHECKSUM_PARTIAL: a sender on this host,
 * through veth), which the stack accepts unverified; the reply then
 * leaves in the same state. */
static __always_inline int rb_dhcp_read(RB_CTX *ctx, const struct rb_pkt *p,
					struct rb_dhcp_scratch *s, struct rb_dhcp_req *r)
{
	__u32 n = p->payload_len;
	if (n < RB_DHCP_FIXED + 1 || n > RB_DHCP_REQ_MAX)
		return -1;
	r->n = n;
	rb_dhcp_zero(s->req, RB_DHCP_REQ_MAX);
	if (rb_load(ctx, RB_HDRS_LEN, s->req, rb_dhcp_len(n, RB_DHCP_REQ_BUF_MASK)))
		return -1;
	struct udphdr *udp = p->udp;
	if (!udp->check)
		return 0;
	__u64 pseudo = rb_udp_pseudo_sum(p->ip->saddr, p->ip->daddr, (__u16)(n + RB_UDP_HLEN));
	__u64 sum = pseudo + rb_dhcp_sum(s->req, RB_DHCP_REQ_MAX);
	sum += (__u32)udp->source + udp->dest + udp->len + udp->check;
	if (rb_csum_fold(sum) == 0)
		return 0;
#if defined(RB_TC)
	if (udp->check == (__u16)~rb_csum_fold(pseudo)) {
		r->partial = 1;
		return 0;
	}
#endif
	return -1;
}

/* What a bpf_loop() walk is given (only stack memory can be). */
struct rb_dhcp_walk {
	struct rb_dhcp_scratch *s;
};

/* One option of the walk (a bpf_loop() callback, so that the verifier
 * checks it once, not once per option): 0 to go on, 1 when done. */
static long rb_dhcp_walk_step(__u32 i, void *arg)
{
	struct rb_dhcp_scratch *s = ((struct rb_dhcp_walk *)arg)->s;
	if (!s)
		return 1;
	struct rb_dhcp_req *r = &s->r;
	__u32 off = s->walk_off, n = r->n;

	if (off >= n || off >= RB_DHCP_REQ_MAX)
		goto refuse;                   /* no END */
	__u8 code = rb_dhcp_b(s, off);
	if (code == 0) {
		s->walk_off = off + 1;
		return 0;
	}
	if (code == 255) {
		s->walk_rc = 0;
		return 1;
	}
	if (off + 2 > n)
		goto refuse;
	__u32 len = rb_dhcp_b(s, off + 1);
	if (off + 2 + len > n)
		goto refuse;
	__u64 bit = 1ull << (code & 63), *w = &s->seen[(code >> 6) & 3];
	if (*w & bit)
		goto refuse;                   /* repeated: the daemon concatenates */
	*w |= bit;
	__u16 at = (__u16)(off + 2);
	switch (code) {
	case 12: r->has12 = 1; break;
	case 50: r->has50 = 1; break;
	case 53: r->o53 = at; r->l53 = len; break;
	case 60: r->o60 = at; r->l60 = len; break;
	case 61: r->o61 = at; r->l61 = len; break;
	case 77: r->o77 = at; r->l77 = len; break;
	case 93: r->o93 = at; r->l93 = len; break;
	case 97: r->o97 = at; r->l97 = len; break;
	case 175: r->has175 = 1; break;
	case 52:                               /* overload */
	case 82:                               /* relay agent information */
		goto refuse;
	default: break;
	}
	s->walk_off = off + 2 + len;
	return 0;
refuse:
	s->walk_rc = -1;
	return 1;
}

/* Walk the options field as dhcp_parse() does and note what matters in
 * s->r. -1 for whatever the daemon's parser refuses, and for what the
 * program leaves to the daemon anyway (a repeated option, 52, 82, more
 * than RB_DHCP_MAX_OPTS). */
static __always_inline int rb_dhcp_walk(struct rb_dhcp_scratch *s)
{
	s->seen[0] = s->seen[1] = s->seen[2] = s->seen[3] = 0;
	s->walk_off = RB_DHCP_FIXED;
	s->walk_rc = 1;
	struct rb_dhcp_walk w = { s };
	bpf_loop(RB_DHCP_MAX_OPTS, rb_dhcp_walk_step, &w, 0);
	return s->walk_rc ? -1 : 0;
}

static __always_inline bool rb_dhcp_is(const struct rb_dhcp_scratch *s, __u32 off,
				       const char *str, __u32 len)
{
#pragma unroll
	for (__u32 i = 0; i < 10; i++)
		if (i < len && rb_dhcp_b(s, off + i) != (__u8)str[i])
			return false;
	return true;
}

/* One entry of an RFC 3004 user class (a bpf_loop() callback). Like the
 * option walk, it keeps its position in scratch, which the verifier does
 * not follow: 6.18 checks a callback until its state stops changing, and a
 * position on the stack would change with every entry. */
static long rb_dhcp_uc_step(__u32 k, void *arg)
{
	struct rb_dhcp_scratch *s = ((struct rb_dhcp_walk *)arg)->s;
	if (!s)
		return 1;
	__u32 i = s->walk_off, o = s->r.o77, l = s->r.l77;
	if (i >= l)
		return 1;
	__u32 el = rb_dhcp_b(s, o + i);
	if (el > l - i - 1)
		return 1;                      /* a malformed tail ends the walk */
	if (el == 4 && rb_dhcp_is(s, o + i + 1, "iPXE", 4)) {
		s->walk_rc = 1;
		return 1;
	}
	s->walk_off = i + 1 + el;
	return 0;
}

/* dhcp_user_class_has(m, "iPXE") for option 77: the bare string iPXE
 * sends, or one of the RFC 3004 entries (each at least a byte: 255 steps
 * walk them all). */
static __always_inline bool rb_dhcp_user_class_ipxe(struct rb_dhcp_scratch *s)
{
	if (s->r.l77 == 4 && rb_dhcp_is(s, s->r.o77, "iPXE", 4))
		return true;
	struct rb_dhcp_walk w = { s };
	s->walk_off = 0;
	s->walk_rc = 0;
	bpf_loop(255, rb_dhcp_uc_step, &w, 0);
	return s->walk_rc == 1;
}

/* boot_client_from_msg() as a template key: 0, or -1 to pass. A global
 * function, checked once (see rb_dhcp_write()). */
__attribute__((noinline)) int rb_dhcp_classify(struct rb_dhcp_scratch *s,
					       struct rb_dhcp_boot_key *k)
{
	if (!s || !k)
		return -1;
	const struct rb_dhcp_req *r = &s->r;
	if (r->o93 && r->l93 >= 2) {
		k->cls |= RB_DHCP_C_ARCH;
		k->arch = (__u16)(rb_dhcp_b(s, r->o93) << 8 | rb_dhcp_b(s, r->o93 + 1));
		if (k->arch > RB_DHCP_ARCH_MAX)
			return -1;
	}
	if (r->o60 && r->l60 >= 9 && rb_dhcp_is(s, r->o60, "PXEClient", 9))
		k->cls |= RB_DHCP_C_PXE;
	if (r->o60 && r->l60 >= 10 && rb_dhcp_is(s, r->o60, "HTTPClient", 10))
		k->cls |= RB_DHCP_C_HTTP;
	if (r->has175 || (r->o77 && rb_dhcp_user_class_ipxe(s)))
		k->cls |= RB_DHCP_C_IPXE;
	return 0;
}

static __always_inline void rb_dhcp_stock_return(__u32 ip)
{
	if (!bpf_map_push_elem(&rb_dhcp_stock, &ip, 0))
		return;
	/* the stock was refilled meanwhile: the daemon takes it back */
	rb_count(RB_CNT_DHCP_STOCK_TAKEN);
	struct rb_ev_dhcp *e = rb_event_reserve(sizeof(*e), RB_EV_DHCP_STOCK_RETURN);
	if (!e)
		return;
	__builtin_memset((__u8 *)e + sizeof(e->h), 0, sizeof(*e) - sizeof(e->h));
	e->ip_be = ip;
	bpf_ringbuf_submit(e, 0);
}

/* Full server: what the client's entry (or its absence) gives it, read
 * under the entry's lock, into s->pl. 0, or -1 to pass. A global function
 * (see rb_dhcp_write()). */
__attribute__((noinline)) int rb_dhcp_client(struct rb_dhcp_scratch *s,
					     const struct rb_dhcp_conf *conf, __u64 now)
{
	if (!s || !conf)
		return -1;
	const struct rb_dhcp_req *r = &s->r;
	struct rb_dhcp_plan *pl = &s->pl;
	struct rb_dhcp_client_key key = {};
	__builtin_memcpy(key.mac, s->req + 28, 6);
	struct rb_dhcp_client *e = bpf_map_lookup_elem(&rb_dhcp_clients, &key);
	__u8 kind = RB_DHCP_CL_NEW, flags = 0, host_len = 0;
	__u32 ip = 0, pset = conf->new_pset;
	__u64 expires = 0;
	bool same = true;

	if (e) {
		__u64 *dst = (__u64 *)s->host, *src;
		bpf_spin_lock(&e->lock);
		src = (__u64 *)e->host;
#pragma unroll
		for (int i = 0; i < RB_DHCP_HOST_MAX / 8; i++)
			dst[i] = src[i];
		kind = e->kind;
		flags = e->flags;
		host_len = e->host_len;
		ip = e->ip_be;
		pset = e->pset;
		expires = e->expires_ns;
		same = rb_dhcp_mac_eq(e->mac, key.mac);
		bpf_spin_unlock(&e->lock);
	}
	if (!same || host_len > RB_DHCP_HOST_MAX - 1 || pset >= RB_DHCP_PSETS)
		return -1;
	if ((flags & RB_DHCP_CLF_CLIENT_NAME) && r->has12)
		return -1;
	pl->pset = pset;
	pl->host_len = host_len;
	pl->had_entry = e != NULL;
	if (kind == RB_DHCP_CL_ADDR || kind == RB_DHCP_CL_KOFFER) {
		if (expires && now >= expires)
			return -1;
		pl->yiaddr = ip;
		return 0;
	}
	/* pool_choose() would try option 50 before a never-used address */
	pl->need_stock = 1;
	return kind == RB_DHCP_CL_NEW && !r->has50 ? 0 : -1;
}

/* Take an address from the stock and record it as the client's (KOFFER),
 * unless another CPU just did the same for it. 0, or -1 to pass. */
static __always_inline int rb_dhcp_claim(struct rb_dhcp_scratch *s,
					 const struct rb_dhcp_conf *conf, __u64 now,
					 struct rb_dhcp_plan *pl)
{
	struct rb_dhcp_client_key key = {};
	__u32 ip;
	bool claimed = false;

	if (bpf_map_pop_elem(&rb_dhcp_stock, &ip)) {
		rb_count(RB_CNT_DHCP_STOCK_EMPTY);
		return -1;
	}
	__builtin_memcpy(key.mac, s->req + 28, 6);
	__u64 expires = now + conf->offer_hold_ns;
	struct rb_dhcp_client *e = pl->had_entry ? bpf_map_lookup_elem(&rb_dhcp_clients, &key) : NULL;
	if (e) {
		bpf_spin_lock(&e->lock);
		if (e->kind == RB_DHCP_CL_NEW && e->pset == pl->pset &&
		    rb_dhcp_mac_eq(e->mac, key.mac)) {
			e->kind = RB_DHCP_CL_KOFFER;
			e->ip_be = ip;
			e->expires_ns = expires;
			claimed = true;
		}
		bpf_spin_unlock(&e->lock);
	} else if (!pl->had_entry) {
		/* built in scratch, not on the stack; its lock field is not copied */
		struct rb_dhcp_client *n = (struct rb_dhcp_client *)s->newent;
		__builtin_memset(n, 0, sizeof(*n));
		n->kind = RB_DHCP_CL_KOFFER;
		n->ip_be = ip;
		n->pset = pl->pset;
		n->expires_ns = expires;
		__builtin_memcpy(n->mac, key.mac, 6);
		claimed = !bpf_map_update_elem(&rb_dhcp_clients, &key, n, BPF_NOEXIST);
	}
	if (!claimed) {
		rb_dhcp_stock_return(ip);
		return -1;
	}
	pl->yiaddr = ip;
	pl->from_stock = 1;
	return 0;
}

/* Undo rb_dhcp_claim(): the frame could not become the reply. */
static __always_inline void rb_dhcp_unclaim(const struct rb_dhcp_scratch *s,
					    const struct rb_dhcp_plan *pl)
{
	struct rb_dhcp_client_key key = {};
	__builtin_memcpy(key.mac, s->req + 28, 6);
	if (!pl->had_entry) {
		bpf_map_delete_elem(&rb_dhcp_clients, &key);
	} else {
		struct rb_dhcp_client *e = bpf_map_lookup_elem(&rb_dhcp_clients, &key);
		if (e) {
			bpf_spin_lock(&e->lock);
			if (e->kind == RB_DHCP_CL_KOFFER && e->ip_be == pl->yiaddr)
				e->kind = RB_DHCP_CL_NEW;
			bpf_spin_unlock(&e->lock);
		}
	}
	rb_dhcp_stock_return(pl->yiaddr);
}

/* reply_route() and socket_send(): 0, or -1 where the kernel cannot send
 * what the daemon's socket would. */
static __always_inline int rb_dhcp_route(const struct rb_pkt *p, const struct rb_dhcp_scratch *s,
					 const struct rb_dhcp_conf *conf, __u8 reply,
					 struct rb_dhcp_plan *pl)
{
	bool bcast;
	pl->sport = bpf_htons(RB_DHCP_SERVER_PORT);
	pl->dport = bpf_htons(RB_DHCP_CLIENT_PORT);
	if (reply == RB_DHCP_R_BINL_ACK) {
		pl->sport = bpf_htons(RB_DHCP_BINL_PORT);
		pl->dport = p->udp->source;
		bcast = !pl->ciaddr && !p->ip->saddr;
		if (!bcast) {
			__u32 src = p->ip->saddr;
			if (!src || !(conf->flags & RB_DHCP_F_BINL_UNICAST) ||
			    (src & conf->onlink_mask_be) != conf->onlink_net_be)
				return -1;
			pl->dst_ip = src;
			__builtin_memcpy(pl->dst_mac, p->eth->h_source, 6);
			return 0;
		}
	} else {
		bcast = reply == RB_DHCP_R_PROXY_OFFER || (s->req[10] & (RB_DHCP_BROADCAST >> 8));
		if (!bcast) {
			pl->to_yiaddr = 1;         /* known once the address is */
			__builtin_memcpy(pl->dst_mac, s->req + 28, 6);
			return 0;
		}
	}
	pl->dst_ip = 0xffffffff;
	__builtin_memset(pl->dst_mac, 0xff, 6);
	return 0;
}

static __always_inline void rb_dhcp_event(const struct rb_dhcp_scratch *s,
					  const struct rb_dhcp_boot_key *k,
					  const struct rb_dhcp_plan *pl, RB_CTX *ctx)
{
	enum rb_event_kind kind = k->reply == RB_DHCP_R_OFFER ? RB_EV_DHCP_OFFER :
				  k->reply == RB_DHCP_R_PROXY_OFFER ? RB_EV_DHCP_PROXY_OFFER :
				  RB_EV_DHCP_PROXY_ACK;
	struct rb_ev_dhcp *e = rb_event_reserve(sizeof(*e), kind);
	if (!e)
		return;
	__builtin_memset((__u8 *)e + sizeof(e->h), 0, sizeof(*e) - sizeof(e->h));
	e->ip_be = k->reply == RB_DHCP_R_BINL_ACK ? pl->ciaddr : pl->yiaddr;
	e->xid = bpf_ntohl(rb_dhcp_be32(s, 4));
	__builtin_memcpy(e->mac, s->req + 28, 6);
	e->reply = k->reply;
	e->cls = k->cls;
	e->arch = k->arch;
	e->from_stock = pl->from_stock;
	e->ifindex = rb_ifindex(ctx);
	bpf_ringbuf_submit(e, 0);
}

/* Append `len` bytes of BPF memory at *off; src has at least mask + 1
 * bytes (mask: a constant, a power of two less one). */
static __always_inline int rb_dhcp_put(RB_CTX *ctx, __u32 *off, const void *src, __u32 len,
				       const __u32 mask)
{
	if (len == 0)
		return 0;
	if (len > mask + 1 || !src || rb_store(ctx, *off, src, rb_dhcp_len(len, mask)))
		return -1;
	*off += len;
	return 0;
}

/* Rewrite the frame into the reply planned in s->pl and s->lo. 0, or -1
 * with the frame half written.
 *
 * A global function, so that the verifier checks it once and not once
 * for every way rb_dhcp_handle() reaches it; it therefore trusts nothing
 * it is given (6.1 and 6.18 check global functions against any argument
 * values). */
__attribute__((noinline)) int rb_dhcp_write(RB_CTX *ctx, struct rb_dhcp_scratch *s,
					    const struct rb_dhcp_conf *conf,
					    const struct rb_dhcp_boot *boot,
					    const struct rb_dhcp_pset *ps)
{
	if (!ctx || !s || !conf || !boot)
		return -1;
	const struct rb_dhcp_req *r = &s->r;
	const struct rb_dhcp_plan *pl = &s->pl;
	const struct rb_dhcp_layout *lo = &s->lo;
	struct rb_dhcp_head *h = &s->head;
	__u32 ulen = RB_UDP_HLEN + lo->len, off;

	__builtin_memcpy(h->eth.h_dest, pl->dst_mac, 6);
	__builtin_memcpy(h->eth.h_source, conf->server_mac, 6);
	h->eth.h_proto = bpf_htons(RB_ETH_P_IP);
	struct iphdr *ip = &s->ip;             /* built aligned, then copied in */
	*(__u8 *)ip = 0x45;                    /* version 4, 20-byte header */
	ip->tos = 0;
	ip->tot_len = bpf_htons(RB_IP_HLEN + ulen);
	ip->id = 0;                            /* Linux 6.1's for DF datagrams of unconnected sockets */
	ip->frag_off = bpf_htons(RB_DHCP_IP_DF);
	ip->ttl = conf->ttl;
	ip->protocol = IPPROTO_UDP;
	ip->check = 0;
	ip->saddr = conf->server_ip_be;
	ip->daddr = pl->dst_ip;
	ip->check = rb_ip_csum(ip);
	__builtin_memcpy((__u8 *)h + sizeof(struct ethhdr), ip, sizeof(*ip));
	h->udp.source = pl->sport;
	h->udp.dest = pl->dport;
	h->udp.len = bpf_htons(ulen);
	h->udp.check = 0;
	h->op = 2;
	h->htype = s->req[1];
	h->hlen = s->req[2];
	h->hops = 0;
	h->xid = rb_dhcp_be32(s, 4);
	h->secs = 0;
	__builtin_memcpy(&h->flags, s->req + 10, 2);
	h->ciaddr = pl->ciaddr;
	h->yiaddr = pl->yiaddr;
	h->siaddr = boot->siaddr_be;
	h->giaddr = 0;
	__builtin_memcpy(h->chaddr, s->req + 28, 16);
	if (rb_store(ctx, 0, h, sizeof(*h)))
		return -1;
	off = sizeof(*h);
	if (rb_store(ctx, off, boot->fields, sizeof(boot->fields)))
		return -1;
	off = RB_ETH_HLEN + RB_IP_HLEN + RB_UDP_HLEN + RB_DHCP_FIXED;
	s->host_opt[0] = 12;
	s->host_opt[1] = pl->host_len;
	/* (the echoes' sources lie in req, which has room for any mask here;
	 * the name is followed by more of scratch) */
	if (lo->p && (!ps || rb_dhcp_put(ctx, &off, ps->opts, lo->p, RB_DHCP_PSET_MAX - 1)))
		return -1;
	if (rb_dhcp_put(ctx, &off, s->host_opt, lo->h, 127) ||
	    rb_dhcp_put(ctx, &off, boot->b, lo->b, RB_DHCP_BOOT_MAX - 1) ||
	    rb_dhcp_put(ctx, &off, s->req + ((r->o97 - 2) & RB_DHCP_REQ_MASK), lo->u, 511) ||
	    rb_dhcp_put(ctx, &off, boot->t, lo->t, RB_DHCP_TAIL_MAX - 1) ||
	    rb_dhcp_put(ctx, &off, s->req + ((r->o61 - 2) & RB_DHCP_REQ_MASK), lo->c, 511))
		return -1;
	__u32 tail = RB_ETH_HLEN + RB_IP_HLEN + RB_UDP_HLEN + lo->len - off;
	if (tail < 1 || tail > sizeof(s->tail))
		return -1;
	s->tail[0] = 255;
	if (rb_store(ctx, off, s->tail, rb_dhcp_len(tail, 63)))
		return -1;

	/* The UDP checksum over what was written (or, as the request came,
	 * the pseudo-header's alone for the device to complete). */
	__u64 pseudo = rb_udp_pseudo_sum(conf->server_ip_be, pl->dst_ip, (__u16)ulen);
	__u16 check;
	if (r->partial) {
		check = (__u16)~rb_csum_fold(pseudo);
	} else {
		rb_dhcp_zero(s->out, RB_DHCP_OUT_SUM);
		if (ulen > RB_DHCP_OUT_SUM ||
		    rb_load(ctx, RB_ETH_HLEN + RB_IP_HLEN, s->out, rb_dhcp_len(ulen, 1023)))
			return -1;
		check = rb_udp_csum_final(pseudo + rb_dhcp_sum(s->out, RB_DHCP_OUT_SUM));
	}
	return rb_store(ctx, RB_ETH_HLEN + RB_IP_HLEN + 6, &check, 2);
}

static __always_inline enum rb_action rb_dhcp_pass(void)
{
	rb_count(RB_CNT_DHCP_PASS);
	return RB_PASS;
}

static __always_inline enum rb_action rb_dhcp_handle(RB_CTX *ctx, struct rb_pkt *p)
{
	__u32 zero = 0;
	__u32 *active = bpf_map_lookup_elem(&rb_dhcp_active, &zero);
	if (!active)
		return rb_dhcp_pass();
	__u32 set = *active & 1;
	struct rb_dhcp_conf *conf = bpf_map_lookup_elem(&rb_dhcp_conf, &set);
	if (!conf || conf->mode == RB_DHCP_OFF)
		return rb_dhcp_pass();
#if defined(RB_XDP)
	if (!(conf->flags & RB_DHCP_F_XDP))
		return rb_dhcp_pass();         /* TC answers, after it */
#endif
	/* What the daemon's socket would receive: to us, or broadcast. */
	__u8 *dmac = p->eth->h_dest;
	bool l2_bcast = (dmac[0] & dmac[1] & dmac[2] & dmac[3] & dmac[4] & dmac[5]) == 0xff;
	if (!l2_bcast && !rb_dhcp_mac_eq(dmac, conf->server_mac))
		return rb_dhcp_pass();
	if (p->ip->daddr != 0xffffffff && p->ip->daddr != conf->server_ip_be)
		return rb_dhcp_pass();
	bool binl = p->udp->dest == bpf_htons(RB_DHCP_BINL_PORT);

	struct rb_dhcp_scratch *s = bpf_map_lookup_elem(&rb_dhcp_scratch, &zero);
	if (!s)
		return rb_dhcp_pass();
	struct rb_dhcp_req *r = &s->r;
	struct rb_dhcp_plan *pl = &s->pl;
	struct rb_dhcp_layout *lo = &s->lo;
	struct rb_dhcp_boot_key *key = &s->key;
	__builtin_memset(r, 0, sizeof(*r));
	__builtin_memset(pl, 0, sizeof(*pl));
	__builtin_memset(lo, 0, sizeof(*lo));
	__builtin_memset(key, 0, sizeof(*key));
	if (rb_dhcp_read(ctx, p, s, r))
		return rb_dhcp_pass();
	/* BOOTREQUEST from Ethernet, not relayed, with the cookie */
	if (s->req[0] != 1 || s->req[1] != 1 || s->req[2] != 6 || rb_dhcp_be32(s, 24) ||
	    rb_dhcp_be32(s, 236) != bpf_htonl(0x63825363))
		return rb_dhcp_pass();
	if (rb_dhcp_walk(s) || !r->o53 || r->l53 != 1)
		return rb_dhcp_pass();
	__u8 type = rb_dhcp_b(s, r->o53);

	key->set = (__u8)set;
	if (binl) {
		if (type != RB_DHCP_REQUEST)
			return rb_dhcp_pass();
		key->reply = RB_DHCP_R_BINL_ACK;
		pl->ciaddr = rb_dhcp_be32(s, 12);
	} else {
		if (type != RB_DHCP_DISCOVER || rb_dhcp_be32(s, 12))
			return rb_dhcp_pass();
		key->reply = conf->mode == RB_DHCP_FULL ? RB_DHCP_R_OFFER : RB_DHCP_R_PROXY_OFFER;
	}
	if (rb_dhcp_classify(s, key) || rb_dhcp_route(p, s, conf, key->reply, pl))
		return rb_dhcp_pass();
	struct rb_dhcp_boot *boot = bpf_map_lookup_elem(&rb_dhcp_boot, key);
	if (!boot)
		return rb_dhcp_pass();

	/* The pieces, and whether the reply fits every client. */
	struct rb_dhcp_pset *ps = NULL;
	lo->b = boot->b_len;
	lo->t = boot->t_len;
	if (boot->echo_uuid && r->o97)
		lo->u = 2 + r->l97;
	if (r->o61)
		lo->c = 2 + r->l61;
	bool full = key->reply == RB_DHCP_R_OFFER;
	__u64 now = bpf_ktime_get_ns();
	if (full) {
		if (rb_dhcp_client(s, conf, now))
			return rb_dhcp_pass();
		__u32 idx = set * RB_DHCP_PSETS + (pl->pset & (RB_DHCP_PSETS - 1));
		ps = bpf_map_lookup_elem(&rb_dhcp_psets, &idx);
		if (!ps || !ps->len)
			return rb_dhcp_pass();
		lo->p = ps->len;
		if (pl->host_len)
			lo->h = 2 + pl->host_len;
	}
	__u32 end = RB_DHCP_FIXED + lo->p + lo->h + lo->b + lo->u + lo->t + lo->c;
	if (end + 1 > RB_DHCP_REPLY_MAX)
		return rb_dhcp_pass();
	lo->len = end + 1 < RB_DHCP_MIN_LEN ? RB_DHCP_MIN_LEN : end + 1;
	if (pl->need_stock && rb_dhcp_claim(s, conf, now, pl))
		return rb_dhcp_pass();
	if (pl->to_yiaddr)
		pl->dst_ip = pl->yiaddr;

	if (rb_set_len(ctx, RB_HDRS_LEN + lo->len)) {
		if (pl->from_stock)
			rb_dhcp_unclaim(s, pl);
		return rb_dhcp_pass();         /* XDP without tailroom: TC answers */
	}
	if (pl->from_stock)
		rb_count(RB_CNT_DHCP_STOCK_TAKEN);
	if (rb_dhcp_write(ctx, s, conf, boot, ps)) {
		rb_count(RB_CNT_DHCP_TX_FAIL);
		if (full)
			rb_dhcp_event(s, key, pl, ctx);   /* the client's entry holds it */
		return RB_DROP;
	}
	rb_count(full ? RB_CNT_DHCP_OFFER :
		 key->reply == RB_DHCP_R_PROXY_OFFER ? RB_CNT_DHCP_PROXY_OFFER :
		 RB_CNT_DHCP_PROXY_ACK);
	rb_dhcp_event(s, key, pl, ctx);
	return RB_TX;
}

#endif
