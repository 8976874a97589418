/* Address bookkeeping for the DHCP server (see dhcp_pool.h).
 *
 * Bindings live in one array and are never removed: a released or expired
 * address keeps the client it last belonged to, so that client gets it back
 * (RFC 2131 4.3.1). Two open-addressing indexes point into the array: by
 * address and by client hardware address. The client index keeps its own
 * copy of the key, because a binding can pass to another client; a lookup
 * then checks that the binding still belongs to the client it asked for. */
#include "dhcp/dhcp_pool.h"

#include <stdlib.h>
#include <string.h>

#include "core/config.h"

struct ip_slot { uint32_t ip, idx1; };                   /* idx1 = index + 1; 0 = empty */
struct hw_slot { uint8_t hw[16], hwlen; uint32_t idx1; };
struct cursor {
	uint32_t lo, hi, next;
	bool full;     /* a whole pass found no never-used address (bindings are never removed) */
};

struct dhcp_pool {
	struct pool_binding *b;
	size_t n, cap;
	struct ip_slot *ipt;  size_t ipcap;                 /* power of two */
	struct hw_slot *hwt;  size_t hwcap, hwused;
	uint32_t *reserved;   size_t nreserved;             /* sorted */
	struct cursor *cur;   size_t ncur;
	size_t scan;                                        /* where the reuse search goes on */
	const struct rb_subnet *none_s;  int64_t none_at;   /* s had nothing free at second none_at */
};

static void *xcalloc(size_t n, size_t sz)
{
	void *p = calloc(n, sz);
	if (!p)
		abort();   /* the server cannot run without its address map */
	return p;
}

static size_t hash_ip(uint32_t ip) { return (size_t)(ip * 2654435761u); }

static size_t hash_hw(const uint8_t *hw, uint8_t len)
{
	uint64_t h = 1469598103934665603ull;      /* FNV-1a */
	for (uint8_t i = 0; i < len; i++)
		h = (h ^ hw[i]) * 1099511628211ull;
	return (size_t)(h ^ (h >> 29));
}

struct dhcp_pool *pool_new(void)
{
	struct dhcp_pool *p = xcalloc(1, sizeof(*p));
	p->ipcap = p->hwcap = 1024;
	p->ipt = xcalloc(p->ipcap, sizeof(*p->ipt));
	p->hwt = xcalloc(p->hwcap, sizeof(*p->hwt));
	return p;
}

void pool_free(struct dhcp_pool *p)
{
	if (!p)
		return;
	free(p->b);
	free(p->ipt);
	free(p->hwt);
	free(p->reserved);
	free(p->cur);
	free(p);
}

static void ip_insert(struct ip_slot *t, size_t cap, uint32_t ip, uint32_t idx1)
{
	for (size_t i = hash_ip(ip) & (cap - 1);; i = (i + 1) & (cap - 1)) {
		if (!t[i].idx1 || t[i].ip == ip) {
			t[i] = (struct ip_slot){ ip, idx1 };
			return;
		}
	}
}

static void hw_insert(struct hw_slot *t, size_t cap, const uint8_t *hw, uint8_t len,
		      uint32_t idx1, size_t *used)
{
	for (size_t i = hash_hw(hw, len) & (cap - 1);; i = (i + 1) & (cap - 1)) {
		if (!t[i].idx1) {
			memcpy(t[i].hw, hw, len);
			t[i].hwlen = len;
			t[i].idx1 = idx1;
			if (used)
				(*used)++;
			return;
		}
		if (t[i].hwlen == len && !memcmp(t[i].hw, hw, len)) {
			t[i].idx1 = idx1;
			return;
		}
	}
}

/* Keep both tables at most half full. */
static void grow(struct dhcp_pool *p)
{
	if (p->n * 2 >= p->ipcap) {
		size_t cap = p->ipcap * 2;
		struct ip_slot *t = xcalloc(cap, sizeof(*t));
		for (size_t i = 0; i < p->ipcap; i++)
			if (p->ipt[i].idx1)
				ip_insert(t, cap, p->ipt[i].ip, p->ipt[i].idx1);
		free(p->ipt);
		p->ipt = t, p->ipcap = cap;
	}
	if (p->hwused * 2 >= p->hwcap) {
		size_t cap = p->hwcap * 2;
		struct hw_slot *t = xcalloc(cap, sizeof(*t));
		for (size_t i = 0; i < p->hwcap; i++)
			if (p->hwt[i].idx1)
				hw_insert(t, cap, p->hwt[i].hw, p->hwt[i].hwlen, p->hwt[i].idx1, NULL);
		free(p->hwt);
		p->hwt = t, p->hwcap = cap;
	}
	if (p->n == p->cap) {
		size_t cap = p->cap ? p->cap * 2 : 256;
		struct pool_binding *b = realloc(p->b, cap * sizeof(*b));
		if (!b)
			abort();
		p->b = b, p->cap = cap;
	}
}

struct pool_binding *pool_by_ip(struct dhcp_pool *p, uint32_t ip)
{
	for (size_t i = hash_ip(ip) & (p->ipcap - 1);; i = (i + 1) & (p->ipcap - 1)) {
		if (!p->ipt[i].idx1)
			return NULL;
		if (p->ipt[i].ip == ip)
			return &p->b[p->ipt[i].idx1 - 1];
	}
}

bool pool_owned_by(const struct pool_binding *b, const uint8_t *hw, uint8_t hwlen)
{
	return b && b->hwlen == hwlen && !memcmp(b->hw, hw, hwlen);
}

struct pool_binding *pool_by_hw(struct dhcp_pool *p, const uint8_t *hw, uint8_t hwlen)
{
	for (size_t i = hash_hw(hw, hwlen) & (p->hwcap - 1);; i = (i + 1) & (p->hwcap - 1)) {
		struct hw_slot *s = &p->hwt[i];
		if (!s->idx1)
			return NULL;
		if (s->hwlen == hwlen && !memcmp(s->hw, hw, hwlen)) {
			struct pool_binding *b = &p->b[s->idx1 - 1];
			/* the address may have passed to another client since */
			return pool_owned_by(b, hw, hwlen) ? b : NULL;
		}
	}
}

bool pool_busy(const struct pool_binding *b, int64_t now)
{
	return b && b->state != POOL_FREE && b->expires > now;
}

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
	return (x > y) - (x < y);
}

void pool_set_reserved(struct dhcp_pool *p, const struct rb_config *c)
{
	free(p->reserved);
	p->reserved = xcalloc(c->nhosts + 1, sizeof(uint32_t));
	p->nreserved = 0;
	for (size_t i = 0; i < c->nhosts; i++)
		if (c->hosts[i].ip)
			p->reserved[p->nreserved++] = c->hosts[i].ip;
	qsort(p->reserved, p->nreserved, sizeof(uint32_t), cmp_u32);
	/* a reservation that went away makes its address never-used again;
	 * subnets are new objects after a reload */
	for (size_t i = 0; i < p->ncur; i++)
		p->cur[i].full = false;
	p->none_s = NULL;
}

bool pool_is_reserved(const struct dhcp_pool *p, uint32_t ip)
{
	return p->nreserved &&
	       bsearch(&ip, p->reserved, p->nreserved, sizeof(uint32_t), cmp_u32) != NULL;
}

bool pool_in_ranges(const struct rb_subnet *s, uint32_t ip)
{
	for (unsigned i = 0; s && i < s->nranges; i++)
		if (ip >= s->ranges[i].lo && ip <= s->ranges[i].hi)
			return true;
	return false;
}

struct pool_binding *pool_assign(struct dhcp_pool *p, uint32_t ip, const uint8_t *hw,
				 uint8_t hwlen, uint8_t state, int64_t expires,
				 struct pool_binding **released)
{
	if (hwlen > sizeof(((struct pool_binding *)0)->hw))
		hwlen = sizeof(((struct pool_binding *)0)->hw);
	*released = NULL;
	grow(p);          /* before taking pointers into the array */
	struct pool_binding *prev = pool_by_hw(p, hw, hwlen);
	struct pool_binding *b = pool_by_ip(p, ip);
	/* An offer of another address does not end a lease the client holds:
	 * it may never take the offer. The lease ends when the new address is
	 * acknowledged, so the client stays indexed at its lease until then. */
	bool keep_lease = state == POOL_OFFERED && prev && prev != b &&
			  prev->state == POOL_BOUND;
	if (prev && prev != b && !keep_lease && prev->state != POOL_FREE &&
	    prev->state != POOL_DECLINED) {
		prev->state = POOL_FREE;      /* one address per client */
		*released = prev;
	}
	if (!b) {
		b = &p->b[p->n++];
		memset(b, 0, sizeof(*b));
		b->ip = ip;
		ip_insert(p->ipt, p->ipcap, ip, (uint32_t)p->n);
	}
	if (!pool_owned_by(b, hw, hwlen))
		b->hostname[0] = 0;
	memcpy(b->hw, hw, hwlen);
	b->hwlen = hwlen;
	b->state = state;
	b->expires = expires;
	if (!keep_lease)
		hw_insert(p->hwt, p->hwcap, hw, hwlen, (uint32_t)(b - p->b) + 1, &p->hwused);
	return b;
}

void pool_restore(struct dhcp_pool *p, const struct lease *l)
{
	uint8_t hwlen = l->hwlen > 16 ? 16 : l->hwlen;
	uint32_t ip = __builtin_bswap32(l->ip);
	grow(p);
	struct pool_binding *b = pool_by_ip(p, ip);
	if (!b) {
		b = &p->b[p->n++];
		ip_insert(p->ipt, p->ipcap, ip, (uint32_t)p->n);
	}
	memset(b, 0, sizeof(*b));
	b->ip = ip;
	memcpy(b->hw, l->hw, hwlen);
	b->hwlen = hwlen;
	b->state = l->state;
	b->expires = l->expires;
	memcpy(b->hostname, l->hostname, sizeof(b->hostname));
	b->hostname[sizeof(b->hostname) - 1] = 0;
	/* A client with several rows (addresses it had before) is indexed at
	 * its bound one; pool_assign never leaves two bound. Restoring must not
	 * change any other row, unlike pool_assign. */
	struct pool_binding *cur = pool_by_hw(p, b->hw, hwlen);
	if (!cur || cur->state != POOL_BOUND || b->state == POOL_BOUND)
		hw_insert(p->hwt, p->hwcap, b->hw, hwlen, (uint32_t)(b - p->b) + 1, &p->hwused);
}

static struct cursor *cursor_for(struct dhcp_pool *p, const struct rb_range *r)
{
	for (size_t i = 0; i < p->ncur; i++)
		if (p->cur[i].lo == r->lo && p->cur[i].hi == r->hi)
			return &p->cur[i];
	struct cursor *c = realloc(p->cur, (p->ncur + 1) * sizeof(*c));
	if (!c)
		abort();
	p->cur = c;
	c[p->ncur] = (struct cursor){ r->lo, r->hi, r->lo, false };
	return &c[p->ncur++];
}

/* Usable for this client: in a range, not someone's reservation, and not
 * held by another client. */
static bool usable(struct dhcp_pool *p, const struct rb_subnet *s, uint32_t ip,
		   const uint8_t *hw, uint8_t hwlen, int64_t now)
{
	if (!pool_in_ranges(s, ip) || pool_is_reserved(p, ip))
		return false;
	struct pool_binding *b = pool_by_ip(p, ip);
	if (b && b->state == POOL_DECLINED && b->expires > now)
		return false;
	return !pool_busy(b, now) || pool_owned_by(b, hw, hwlen);
}

uint32_t pool_choose(struct dhcp_pool *p, const struct rb_subnet *s, const uint8_t *hw,
		     uint8_t hwlen, uint32_t requested, int64_t now)
{
	struct pool_binding *mine = pool_by_hw(p, hw, hwlen);
	if (mine && mine->state != POOL_DECLINED && usable(p, s, mine->ip, hw, hwlen, now))
		return mine->ip;
	if (requested && usable(p, s, requested, hw, hwlen, now))
		return requested;
	/* An address nobody has had yet, from a cursor that moves on, so a
	 * storm does not rescan the taken part of the range for each client.
	 * Once a pass finds none, none will ever appear (bindings are never
	 * removed): later calls skip the range instead of probing all of it. */
	for (unsigned r = 0; r < s->nranges; r++) {
		struct cursor *c = cursor_for(p, &s->ranges[r]);
		if (c->full)
			continue;
		uint64_t span = (uint64_t)c->hi - c->lo + 1;
		for (uint64_t k = 0; k < span; k++) {
			uint32_t ip = c->next;
			c->next = ip == c->hi ? c->lo : ip + 1;
			if (!pool_by_ip(p, ip) && !pool_is_reserved(p, ip))
				return ip;
		}
		c->full = true;
	}
	/* Then a free address, taking the bindings in turn from where the last
	 * search stopped: each address is reused about once per round, so the
	 * one free the longest tends to go first, and the search is short while
	 * much of the range is free. A subnet found full is not searched again
	 * in the same second (a flood of new clients on a full range would
	 * otherwise cost a scan of every binding each). */
	if (p->none_s == s && p->none_at == now)
		return 0;
	for (size_t k = 0; k < p->n; k++) {
		size_t i = (p->scan + k) % p->n;
		struct pool_binding *b = &p->b[i];
		if (pool_busy(b, now) || !pool_in_ranges(s, b->ip) || pool_is_reserved(p, b->ip))
			continue;
		p->scan = i + 1;
		return b->ip;
	}
	p->none_s = s, p->none_at = now;
	return 0;
}

void pool_to_lease(const struct pool_binding *b, int64_t now, struct lease *l)
{
	memset(l, 0, sizeof(*l));
	l->ip = __builtin_bswap32(b->ip);
	memcpy(l->hw, b->hw, b->hwlen);
	l->hwlen = b->hwlen;
	/* an offer is never stored; if one is asked for it is simply free */
	l->state = b->state == POOL_OFFERED ? LEASE_FREE : b->state;
	l->expires = b->expires;
	l->updated = now;
	memcpy(l->hostname, b->hostname, sizeof(l->hostname));
}

void pool_stats(const struct dhcp_pool *p, int64_t now, struct pool_stats *st)
{
	memset(st, 0, sizeof(*st));
	st->bindings = p->n;
	for (size_t i = 0; i < p->n; i++) {
		const struct pool_binding *b = &p->b[i];
		if (b->expires <= now)
			continue;
		st->bound += b->state == POOL_BOUND;
		st->offered += b->state == POOL_OFFERED;
		st->declined += b->state == POOL_DECLINED;
	}
}
