/* rackbootd's configuration, the model: the growable tables of subnets,
 * profiles and hosts, the MAC -> host index, defaults and freeing
 * (rb_config_init, rb_config_free) and the per-packet lookups; see
 * config.h. Reading the config file (config_file.c, config_settings.c),
 * the inventory (config_inventory.c) and the cross-checks (config_check.c)
 * live beside it; what they share is declared in config_internal.h. This
 * file alone knows struct rb_config_priv.
 *
 * Hosts are looked up per packet by MAC, among tens of thousands: an open
 * addressing hash over hosts[] (priv->slots) is kept up to date as hosts
 * are added, so rb_host_by_mac is one or two probes. */
#include "core/config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/config_internal.h"

#define DEFAULT_LEASE 3600u

/* A growable array's capacity. Only trusted while the array is exactly as
 * this file left it (same pointer, same count): the daemon may append a
 * subnet itself (--dhcp-range) with a plain realloc, which can even return
 * the same pointer. Anything else forces a fresh realloc. */
struct arr {
	const void *at;
	size_t n, cap;
};

struct rb_config_priv {
	struct arr subnets, hosts, profiles;
	/* MAC -> host: slot = index into hosts + 1, 0 = empty. nslots is a
	 * power of two, at most half full. hosts[0..nindexed) are indexed. */
	uint32_t *slots;
	size_t nslots, nindexed;
};

/* ------------------------------------------------------------------ */
/* Growable arrays, host index                                         */

static struct rb_config_priv *priv_of(struct rb_config *c)
{
	if (!c->priv)
		c->priv = calloc(1, sizeof(*c->priv));
	return c->priv;
}

/* Make room for element n of *arr (elements of size elem) and zero it. */
static void *grow(void **arr, size_t n, struct arr *a, size_t elem)
{
	size_t have = *arr && *arr == a->at && n == a->n ? a->cap : n;
	char *e;

	if (n >= have) {
		size_t want = n < 8 ? 8 : n * 2;
		void *v;

		if (want > SIZE_MAX / elem)
			return NULL;
		v = realloc(*arr, want * elem);
		if (!v)
			return NULL;
		*arr = v;
		a->at = v;
		a->cap = want;
	}
	a->n = n + 1;
	e = (char *)*arr + n * elem;
	memset(e, 0, elem);
	return e;
}

struct rb_subnet *cfg_new_subnet(struct rb_config *c)
{
	struct rb_config_priv *pv = priv_of(c);
	void *a = c->subnets;
	struct rb_subnet *s;

	if (!pv)
		return NULL;
	s = grow(&a, c->nsubnets, &pv->subnets, sizeof(*s));
	c->subnets = a;
	if (s)
		c->nsubnets++;
	return s;
}

struct rb_profile *cfg_new_profile(struct rb_config *c)
{
	struct rb_config_priv *pv = priv_of(c);
	void *a = c->profiles;
	struct rb_profile *p;

	if (!pv)
		return NULL;
	p = grow(&a, c->nprofiles, &pv->profiles, sizeof(*p));
	c->profiles = a;
	if (p)
		c->nprofiles++;
	return p;
}

struct rb_host *cfg_new_host(struct rb_config *c)
{
	struct rb_config_priv *pv = priv_of(c);
	void *a = c->hosts;
	struct rb_host *h;

	if (!pv)
		return NULL;
	h = grow(&a, c->nhosts, &pv->hosts, sizeof(*h));
	c->hosts = a;
	if (h) {
		h->profile = -1;
		c->nhosts++;
	}
	return h;
}

size_t cfg_mac_hash(const uint8_t m[6])
{
	uint64_t x = 0;

	for (int i = 0; i < 6; i++)
		x = x << 8 | m[i];
	x *= 0x9e3779b97f4a7c15ull; /* Fibonacci hashing: the top bits are well mixed */
	return (size_t)(x >> 32);
}

static bool index_usable(const struct rb_config *c)
{
	return c->priv && c->priv->slots && c->priv->nindexed == c->nhosts;
}

/* Index of the first indexed host with this MAC, or -1. */
static long index_find(const struct rb_config *c, const uint8_t mac[6])
{
	const struct rb_config_priv *pv = c->priv;
	size_t mask = pv->nslots - 1;

	for (size_t i = cfg_mac_hash(mac) & mask;; i = (i + 1) & mask) {
		uint32_t v = pv->slots[i];

		if (!v)
			return -1;
		if (!memcmp(c->hosts[v - 1].mac, mac, 6))
			return (long)v - 1;
	}
}

static void slot_put(uint32_t *slots, size_t nslots, const struct rb_host *hosts, size_t i)
{
	size_t mask = nslots - 1;

	for (size_t j = cfg_mac_hash(hosts[i].mac) & mask;; j = (j + 1) & mask) {
		if (!slots[j]) {
			slots[j] = (uint32_t)(i + 1);
			return;
		}
		if (!memcmp(hosts[slots[j] - 1].mac, hosts[i].mac, 6))
			return; /* a duplicate: lookups find the first */
	}
}

/* Index hosts[0..n). Returns 0, or -1 out of memory. */
int cfg_index_upto(struct rb_config *c, size_t n)
{
	struct rb_config_priv *pv = priv_of(c);

	if (!pv)
		return -1;
	if (n > UINT32_MAX - 1)
		return -1;
	if (!pv->slots || pv->nindexed > n || n * 2 > pv->nslots) {
		size_t nslots = pv->nslots ? pv->nslots : 64;
		uint32_t *slots;

		while (n * 2 > nslots)
			nslots *= 2;
		slots = calloc(nslots, sizeof(*slots));
		if (!slots)
			return -1;
		free(pv->slots);
		pv->slots = slots;
		pv->nslots = nslots;
		pv->nindexed = 0;
	}
	for (size_t i = pv->nindexed; i < n; i++)
		slot_put(pv->slots, pv->nslots, c->hosts, i);
	pv->nindexed = n;
	return 0;
}

/* The host with this MAC among hosts[0..n) (n = hosts already added). */
long cfg_host_find(struct rb_config *c, size_t n, const uint8_t mac[6])
{
	if (cfg_index_upto(c, n) == 0)
		return index_find(c, mac);
	for (size_t i = 0; i < n; i++)
		if (!memcmp(c->hosts[i].mac, mac, 6))
			return (long)i;
	return -1;
}

long cfg_profile_find(const struct rb_config *c, const char *name)
{
	for (size_t i = 0; i < c->nprofiles; i++)
		if (!strcmp(c->profiles[i].name, name))
			return (long)i;
	return -1;
}

/* ------------------------------------------------------------------ */
/* Life cycle                                                          */

void rb_config_init(struct rb_config *c)
{
	memset(c, 0, sizeof(*c));
	c->tftp_port = 69;
	c->tftp_hot_max = 64ull << 20;        /* FP_TFTP_DEFAULT_MAX_SIZE */
	c->http_port = 80;
	strcpy(c->boot_bios, "undionly.kpxe");
	strcpy(c->boot_efi_x64, "ipxe.efi");
	strcpy(c->boot_efi_arm64, "ipxe-arm64.efi");
	c->default_profile = -1;
}

void rb_config_free(struct rb_config *c)
{
	if (!c)
		return;
	for (size_t i = 0; i < c->nprofiles; i++)
		free(c->profiles[i].script);
	free(c->profiles);
	free(c->subnets);
	free(c->hosts);
	if (c->priv)
		free(c->priv->slots);
	free(c->priv);
	rb_config_init(c);
}

/* ------------------------------------------------------------------ */
/* Lookups                                                             */

const struct rb_host *rb_host_by_mac(const struct rb_config *c, const uint8_t mac[6])
{
	long i;

	if (!c->nhosts)
		return NULL;
	if (index_usable(c)) {
		i = index_find(c, mac);
		return i < 0 ? NULL : &c->hosts[i];
	}
	for (size_t k = 0; k < c->nhosts; k++)
		if (!memcmp(c->hosts[k].mac, mac, 6))
			return &c->hosts[k];
	return NULL;
}

const struct rb_subnet *rb_subnet_for(const struct rb_config *c, uint32_t ip)
{
	for (size_t i = 0; i < c->nsubnets; i++)
		if ((ip & c->subnets[i].mask) == c->subnets[i].net)
			return &c->subnets[i];
	return NULL;
}

const struct rb_profile *rb_profile_for(const struct rb_config *c, const struct rb_host *h)
{
	if (h && h->profile >= 0 && (size_t)h->profile < c->nprofiles)
		return &c->profiles[h->profile];
	if (c->default_profile >= 0 && (size_t)c->default_profile < c->nprofiles)
		return &c->profiles[c->default_profile];
	return NULL;
}

static void params_over(struct rb_dhcp_params *out, const struct rb_dhcp_params *in)
{
	if (in->set & RBP_ROUTERS) {
		memcpy(out->routers, in->routers, sizeof(out->routers));
		out->nrouters = in->nrouters;
	}
	if (in->set & RBP_DNS) {
		memcpy(out->dns, in->dns, sizeof(out->dns));
		out->ndns = in->ndns;
	}
	if (in->set & RBP_DOMAIN)
		memcpy(out->domain, in->domain, sizeof(out->domain));
	if (in->set & RBP_MTU)
		out->mtu = in->mtu;
	if (in->set & RBP_LEASE)
		out->lease_time = in->lease_time;
	out->set |= in->set;
}

void rb_params_effective(const struct rb_config *c, const struct rb_subnet *s,
			 const struct rb_host *h, struct rb_dhcp_params *out)
{
	memset(out, 0, sizeof(*out));
	params_over(out, &c->defaults);
	if (s)
		params_over(out, &s->params);
	if (h)
		params_over(out, &h->params);
	if (!(out->set & RBP_LEASE)) {
		out->lease_time = DEFAULT_LEASE;
		out->set |= RBP_LEASE;
	}
}
