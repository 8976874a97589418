/* Nodes by MAC and by address (see node_table.h). Entries are never
 * removed (a rack has a bounded number of machines); an address index
 * entry left behind when a node moves is detected on lookup by comparing
 * the entry's current address. */
#include "core/node_table.h"

#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/metrics.h"

struct slot { uint32_t key_ip; uint8_t key_mac[6]; uint32_t idx1; };

/* A node's events: a ring of the last NODE_EVENTS. */
struct node_log {
	struct node_event ev[NODE_EVENTS];
	unsigned n, head;          /* head: next slot to write */
};

struct node_table {
	pthread_mutex_t lock;
	struct node_info *v;
	struct node_log **logs;     /* parallel to v, allocated on first event */
	size_t n, cap;
	struct slot *by_mac, *by_ip;   /* power-of-two tables, at most half full */
	size_t tcap;
};

static size_t h_mac(const uint8_t *m)
{
	uint64_t x = 0;
	memcpy(&x, m, 6);
	x *= 0x9e3779b97f4a7c15ull;
	return (size_t)(x >> 20);
}
static size_t h_ip(uint32_t ip) { return (size_t)(ip * 2654435761u); }

struct node_table *node_table_new(void)
{
	struct node_table *t = calloc(1, sizeof(*t));
	if (!t)
		return NULL;
	pthread_mutex_init(&t->lock, NULL);
	t->tcap = 256;
	t->by_mac = calloc(t->tcap, sizeof(struct slot));
	t->by_ip = calloc(t->tcap, sizeof(struct slot));
	if (!t->by_mac || !t->by_ip) {
		node_table_free(t);
		return NULL;
	}
	return t;
}

void node_table_free(struct node_table *t)
{
	if (!t)
		return;
	for (size_t i = 0; t->logs && i < t->n; i++)
		free(t->logs[i]);
	free(t->logs);
	free(t->v);
	free(t->by_mac);
	free(t->by_ip);
	pthread_mutex_destroy(&t->lock);
	free(t);
}

static void put_mac(struct slot *tab, size_t cap, const uint8_t *mac, uint32_t idx1)
{
	for (size_t i = h_mac(mac) & (cap - 1);; i = (i + 1) & (cap - 1))
		if (!tab[i].idx1 || !memcmp(tab[i].key_mac, mac, 6)) {
			memcpy(tab[i].key_mac, mac, 6);
			tab[i].idx1 = idx1;
			return;
		}
}

static void put_ip(struct slot *tab, size_t cap, uint32_t ip, uint32_t idx1)
{
	for (size_t i = h_ip(ip) & (cap - 1);; i = (i + 1) & (cap - 1))
		if (!tab[i].idx1 || tab[i].key_ip == ip) {
			tab[i].key_ip = ip;
			tab[i].idx1 = idx1;
			return;
		}
}

static long find_mac(const struct node_table *t, const uint8_t *mac)
{
	for (size_t i = h_mac(mac) & (t->tcap - 1);; i = (i + 1) & (t->tcap - 1)) {
		if (!t->by_mac[i].idx1)
			return -1;
		if (!memcmp(t->by_mac[i].key_mac, mac, 6))
			return (long)t->by_mac[i].idx1 - 1;
	}
}

static long find_ip(const struct node_table *t, uint32_t ip)
{
	for (size_t i = h_ip(ip) & (t->tcap - 1);; i = (i + 1) & (t->tcap - 1)) {
		if (!t->by_ip[i].idx1)
			return -1;
		if (t->by_ip[i].key_ip == ip)
			return (long)t->by_ip[i].idx1 - 1;
	}
}

/* Room for one more node: grow the array, and both tables at half full. */
static int reserve(struct node_table *t)
{
	if (t->n == t->cap) {
		size_t cap = t->cap ? t->cap * 2 : 64;
		struct node_info *v = realloc(t->v, cap * sizeof(*v));
		if (!v)
			return -1;
		t->v = v;
		struct node_log **l = realloc(t->logs, cap * sizeof(*l));
		if (!l)
			return -1;
		memset(l + t->cap, 0, (cap - t->cap) * sizeof(*l));
		t->logs = l, t->cap = cap;
	}
	if ((t->n + 1) * 2 > t->tcap) {
		size_t cap = t->tcap * 2;
		struct slot *m = calloc(cap, sizeof(*m)), *p = calloc(cap, sizeof(*p));
		if (!m || !p) {
			free(m);
			free(p);
			return -1;
		}
		for (size_t i = 0; i < t->n; i++) {
			put_mac(m, cap, t->v[i].mac, (uint32_t)i + 1);
			if (t->v[i].ip)
				put_ip(p, cap, t->v[i].ip, (uint32_t)i + 1);
		}
		free(t->by_mac);
		free(t->by_ip);
		t->by_mac = m, t->by_ip = p, t->tcap = cap;
	}
	return 0;
}

static void copy_str(char *dst, size_t cap, const char *src)
{
	size_t n = strnlen(src, cap - 1);
	memcpy(dst, src, n);
	dst[n] = 0;
}

void node_table_update(struct node_table *t, const uint8_t mac[6], uint32_t ip,
		       const char *hostname, const char *arch)
{
	pthread_mutex_lock(&t->lock);
	long i = find_mac(t, mac);
	if (i < 0) {
		if (reserve(t) < 0)
			goto out;      /* out of memory: the node is simply not known */
		i = (long)t->n++;
		memset(&t->v[i], 0, sizeof(t->v[i]));
		memcpy(t->v[i].mac, mac, 6);
		put_mac(t->by_mac, t->tcap, mac, (uint32_t)i + 1);
	}
	struct node_info *n = &t->v[i];
	if (ip && ip != n->ip) {
		n->ip = ip;
		put_ip(t->by_ip, t->tcap, ip, (uint32_t)i + 1);
	}
	if (hostname && *hostname)
		copy_str(n->hostname, sizeof(n->hostname), hostname);
	if (arch && *arch)
		copy_str(n->arch, sizeof(n->arch), arch);
out:
	pthread_mutex_unlock(&t->lock);
}

bool node_table_by_ip(struct node_table *t, uint32_t ip, struct node_info *out)
{
	pthread_mutex_lock(&t->lock);
	long i = ip ? find_ip(t, ip) : -1;
	bool ok = i >= 0 && t->v[i].ip == ip;   /* the node may have moved since */
	if (ok)
		*out = t->v[i];
	pthread_mutex_unlock(&t->lock);
	return ok;
}

bool node_table_by_mac(struct node_table *t, const uint8_t mac[6], struct node_info *out)
{
	pthread_mutex_lock(&t->lock);
	long i = find_mac(t, mac);
	if (i >= 0)
		*out = t->v[i];
	pthread_mutex_unlock(&t->lock);
	return i >= 0;
}

static void append(struct node_table *t, long i, const struct node_event *e)
{
	struct node_log *l = t->logs[i];
	if (!l && !(l = t->logs[i] = calloc(1, sizeof(*l))))
		return;
	l->ev[l->head] = *e;
	l->ev[l->head].what[sizeof(e->what) - 1] = 0;
	l->head = (l->head + 1) % NODE_EVENTS;
	if (l->n < NODE_EVENTS)
		l->n++;
}

void node_table_event_mac(struct node_table *t, const uint8_t mac[6], const struct node_event *e)
{
	pthread_mutex_lock(&t->lock);
	long i = find_mac(t, mac);
	if (i < 0 && reserve(t) == 0) {       /* first heard of: a new node */
		i = (long)t->n++;
		memset(&t->v[i], 0, sizeof(t->v[i]));
		memcpy(t->v[i].mac, mac, 6);
		put_mac(t->by_mac, t->tcap, mac, (uint32_t)i + 1);
	}
	if (i >= 0)
		append(t, i, e);
	pthread_mutex_unlock(&t->lock);
}

void node_table_event_ip(struct node_table *t, uint32_t ip, const struct node_event *e)
{
	pthread_mutex_lock(&t->lock);
	long i = ip ? find_ip(t, ip) : -1;
	if (i >= 0 && t->v[i].ip == ip)
		append(t, i, e);
	pthread_mutex_unlock(&t->lock);
}

static void fmt_bytes(char *out, size_t cap, uint64_t b)
{
	if (b >= 10u << 20)
		snprintf(out, cap, "%" PRIu64 " MiB", b >> 20);
	else if (b >= 10u << 10)
		snprintf(out, cap, "%" PRIu64 " KiB", b >> 10);
	else
		snprintf(out, cap, "%" PRIu64 " B", b);
}

void node_table_render(struct node_table *t, struct mbuf *b)
{
	static const char *const kinds[] = { "dhcp offer", "dhcp ack", "proxy offer",
					     "pxe boot ack", "tftp", "http" };
	pthread_mutex_lock(&t->lock);
	mbuf_printf(b, "# %zu nodes; times are seconds since the node's first event\n", t->n);
	for (size_t i = 0; i < t->n; i++) {
		const struct node_info *n = &t->v[i];
		const struct node_log *l = t->logs[i];
		mbuf_printf(b, "\nnode %02x:%02x:%02x:%02x:%02x:%02x  ip %u.%u.%u.%u  arch %s  host %s\n",
			    n->mac[0], n->mac[1], n->mac[2], n->mac[3], n->mac[4], n->mac[5],
			    n->ip >> 24, (n->ip >> 16) & 255, (n->ip >> 8) & 255, n->ip & 255,
			    n->arch[0] ? n->arch : "-", n->hostname[0] ? n->hostname : "-");
		if (!l)
			continue;
		unsigned first = (l->head + NODE_EVENTS - l->n) % NODE_EVENTS;
		int64_t t0 = l->ev[first].t_ms, last = t0;
		uint64_t by[2] = { 0, 0 };
		for (unsigned k = 0; k < l->n; k++) {
			const struct node_event *e = &l->ev[(first + k) % NODE_EVENTS];
			char sz[24];
			int64_t rel = e->t_ms - t0;
			last = e->t_ms + e->dur_ms > last ? e->t_ms + e->dur_ms : last;
			mbuf_printf(b, "  %+8.3fs  %-12s", (double)rel / 1000.0,
				    e->kind < 6 ? kinds[e->kind] : "?");
			switch (e->kind) {
			case NEV_TFTP:
			case NEV_HTTP:
				by[e->kind == NEV_HTTP] += e->bytes;
				fmt_bytes(sz, sizeof(sz), e->bytes);
				if (e->kind == NEV_HTTP)
					mbuf_printf(b, " %s %u", e->what, e->status);
				else
					mbuf_printf(b, " %s %s", e->what, e->ok ? "done" : "failed");
				mbuf_printf(b, ", %s in %.3fs\n", sz, e->dur_ms / 1000.0);
				break;
			default:
				mbuf_printf(b, " %u.%u.%u.%u %s\n", e->ip >> 24, (e->ip >> 16) & 255,
					    (e->ip >> 8) & 255, e->ip & 255, e->what);
			}
		}
		char tb[24], hb[24];
		fmt_bytes(tb, sizeof(tb), by[0]);
		fmt_bytes(hb, sizeof(hb), by[1]);
		mbuf_printf(b, "  total %.3fs, tftp %s, http %s%s\n", (double)(last - t0) / 1000.0, tb,
			    hb, l->n == NODE_EVENTS ? " (oldest events dropped)" : "");
	}
	pthread_mutex_unlock(&t->lock);
}
