/* Cross-checks of a finished configuration (rb_config_check), once the
 * files are read and the daemon's flags applied: required settings,
 * profiles, subnets and ranges inside each other and not overlapping, hosts
 * unique by MAC and by address. Separate because it judges the whole
 * config wherever each part came from (file, inventory or command line),
 * not one line at a time. */
#include "core/config.h"

#include <arpa/inet.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/boot_script.h"
#include "core/config_internal.h"

/* "WHERE: " + message, WHERE being a struct's "file:line" (or "command
 * line" for what the daemon built from flags). */
__attribute__((format(printf, 4, 5))) static int errw(char *err, size_t errlen, const char *where,
						       const char *fmt, ...)
{
	va_list ap;
	int n;

	if (!err || !errlen)
		return -1;
	n = snprintf(err, errlen, "%s: ", where && where[0] ? where : "command line");
	if (n >= 0 && (size_t)n < errlen) {
		va_start(ap, fmt);
		vsnprintf(err + n, errlen - (size_t)n, fmt, ap);
		va_end(ap);
	}
	return -1;
}

struct span {
	uint32_t lo, hi;
	size_t owner;  /* subnet index */
};

static int span_cmp(const void *a, const void *b)
{
	const struct span *x = a, *y = b;

	if (x->lo != y->lo)
		return x->lo < y->lo ? -1 : 1;
	if (x->hi != y->hi)
		return x->hi < y->hi ? -1 : 1;
	return x->owner < y->owner ? -1 : x->owner > y->owner; /* deterministic order */
}

/* Sort spans and report the first two that overlap (*i overlaps *j). */
static bool spans_overlap(struct span *v, size_t n, size_t *i, size_t *j)
{
	size_t top = 0;

	qsort(v, n, sizeof(*v), span_cmp);
	for (size_t k = 1; k < n; k++) {
		if (v[k].lo <= v[top].hi) {
			*i = top;
			*j = k;
			return true;
		}
		if (v[k].hi > v[top].hi)
			top = k;
	}
	return false;
}

static int check_subnets(const struct rb_config *c, char *err, size_t errlen)
{
	char a[INET_ADDRSTRLEN], b[INET_ADDRSTRLEN], x[INET_ADDRSTRLEN], y[INET_ADDRSTRLEN];
	struct span *nets, *ranges;
	size_t nranges = 0, i, j;
	int rc = 0;

	for (i = 0; i < c->nsubnets; i++) {
		const struct rb_subnet *s = &c->subnets[i];
		uint32_t bcast = s->net | ~s->mask;

		if (!cfg_mask_ok(s->mask))
			return errw(err, errlen, s->where, "subnet %s has a bad mask", cfg_ipstr(s->net, a));
		if (s->net & ~s->mask)
			return errw(err, errlen, s->where, "subnet %s/%u has host bits set",
				    cfg_ipstr(s->net, a), cfg_prefix_of(s->mask));
		if (s->nranges > RB_MAX_RANGES)
			return errw(err, errlen, s->where, "too many ranges (max %d)", RB_MAX_RANGES);
		if (s->nranges && c->proxy_dhcp)
			return errw(err, errlen, s->where,
				    "address ranges cannot be used with proxy-dhcp");
		for (j = 0; j < s->nranges; j++) {
			const struct rb_range *g = &s->ranges[j];

			cfg_ipstr(g->lo, a);
			cfg_ipstr(g->hi, b);
			if (g->lo > g->hi)
				return errw(err, errlen, s->where, "range %s-%s: start is after end", a, b);
			if ((g->lo & s->mask) != s->net || (g->hi & s->mask) != s->net)
				return errw(err, errlen, s->where, "range %s-%s is outside subnet %s/%u",
					    a, b, cfg_ipstr(s->net, x), cfg_prefix_of(s->mask));
			if (cfg_prefix_of(s->mask) <= 30 && (g->lo == s->net || g->hi == bcast))
				return errw(err, errlen, s->where,
					    "range %s-%s contains the network or broadcast address of %s/%u",
					    a, b, cfg_ipstr(s->net, x), cfg_prefix_of(s->mask));
			if (c->address && g->lo <= c->address && c->address <= g->hi)
				return errw(err, errlen, s->where,
					    "range %s-%s contains the server address %s", a, b,
					    cfg_ipstr(c->address, x));
			nranges++;
		}
	}
	if (!c->nsubnets)
		return 0;
	nets = calloc(c->nsubnets, sizeof(*nets));
	ranges = calloc(nranges ? nranges : 1, sizeof(*ranges));
	if (!nets || !ranges) {
		free(nets);
		free(ranges);
		return cfg_errf(err, errlen, "out of memory");
	}
	nranges = 0;
	for (i = 0; i < c->nsubnets; i++) {
		const struct rb_subnet *s = &c->subnets[i];

		nets[i] = (struct span){s->net, s->net | ~s->mask, i};
		for (j = 0; j < s->nranges; j++)
			ranges[nranges++] = (struct span){s->ranges[j].lo, s->ranges[j].hi, i};
	}
	if (spans_overlap(nets, c->nsubnets, &i, &j)) {
		const struct rb_subnet *s = &c->subnets[nets[j].owner], *o = &c->subnets[nets[i].owner];

		rc = errw(err, errlen, s->where, "subnet %s/%u overlaps subnet %s/%u (at %s)",
			  cfg_ipstr(s->net, a), cfg_prefix_of(s->mask), cfg_ipstr(o->net, b), cfg_prefix_of(o->mask),
			  cfg_wh(o->where));
	} else if (spans_overlap(ranges, nranges, &i, &j)) {
		rc = errw(err, errlen, c->subnets[ranges[j].owner].where,
			  "range %s-%s overlaps range %s-%s (subnet at %s)", cfg_ipstr(ranges[j].lo,
										       a),
			  cfg_ipstr(ranges[j].hi, b), cfg_ipstr(ranges[i].lo, x),
				    cfg_ipstr(ranges[i].hi, y),
			  cfg_wh(c->subnets[ranges[i].owner].where));
	}
	free(nets);
	free(ranges);
	return rc;
}

/* Hosts unique by MAC and by reserved address, profile indices valid. A
 * private hash table (over both keys) so that this does not depend on the
 * index being current. */
static int check_hosts(const struct rb_config *c, char *err, size_t errlen)
{
	char a[INET_ADDRSTRLEN], m[18];
	size_t nslots = 64, mask;
	uint32_t *bymac, *byip;
	int rc = 0;

	while (nslots < c->nhosts * 2)
		nslots *= 2;
	mask = nslots - 1;
	bymac = calloc(nslots, sizeof(*bymac));
	byip = calloc(nslots, sizeof(*byip));
	if (!bymac || !byip) {
		free(bymac);
		free(byip);
		return cfg_errf(err, errlen, "out of memory");
	}
	for (size_t i = 0; i < c->nhosts && rc == 0; i++) {
		const struct rb_host *h = &c->hosts[i];
		size_t k;

		if (h->profile < -1 || (h->profile >= 0 && (size_t)h->profile >= c->nprofiles)) {
			rc = errw(err, errlen, h->where, "host '%s' refers to profile %d (%zu defined)",
				  h->name, h->profile, c->nprofiles);
			break;
		}
		for (k = cfg_mac_hash(h->mac) & mask; bymac[k]; k = (k + 1) & mask) {
			const struct rb_host *o = &c->hosts[bymac[k] - 1];

			if (!memcmp(o->mac, h->mac, 6)) {
				rc = errw(err, errlen, h->where, "duplicate host mac %s (first at %s)",
					  cfg_macstr(h->mac, m), cfg_wh(o->where));
				break;
			}
		}
		if (rc)
			break;
		bymac[k] = (uint32_t)(i + 1);
		if (!h->ip)
			continue;
		if (h->ip == c->address) {
			rc = errw(err, errlen, h->where, "host address %s is the server's own address",
				  cfg_ipstr(h->ip, a));
			break;
		}
		for (k = (size_t)((h->ip * 0x9e3779b97f4a7c15ull) >> 32) & mask; byip[k];
		     k = (k + 1) & mask) {
			const struct rb_host *o = &c->hosts[byip[k] - 1];

			if (o->ip == h->ip) {
				rc = errw(err, errlen, h->where, "duplicate host address %s (first at %s)",
					  cfg_ipstr(h->ip, a), cfg_wh(o->where));
				break;
			}
		}
		if (rc)
			break;
		byip[k] = (uint32_t)(i + 1);
	}
	free(bymac);
	free(byip);
	return rc;
}

int rb_config_check(const struct rb_config *c, char *err, size_t errlen)
{
	char msg[256];

	if (err && errlen)
		err[0] = '\0';
	if (!c->interface[0])
		return cfg_errf(err, errlen,
				"no interface set (config 'interface' or --interface)");
	if (!c->address)
		return cfg_errf(err, errlen,
				"no server address set (config 'address' or --address)");
	if (c->prefix > 32)
		return cfg_errf(err, errlen, "address prefix /%u out of range (1..32)", c->prefix);
	if (!c->root[0])
		return cfg_errf(err, errlen, "no root directory set (config 'root' or --root)");
	if (c->tftp_port < 1 || c->tftp_port > 65535)
		return cfg_errf(err, errlen, "tftp port %u out of range (1..65535)", c->tftp_port);
	if (c->http_port < 1 || c->http_port > 65535)
		return cfg_errf(err, errlen, "http port %u out of range (1..65535)", c->http_port);
	if (!c->boot_bios[0] || !c->boot_efi_x64[0] || !c->boot_efi_arm64[0])
		return cfg_errf(err, errlen, "empty boot file name");
	if (c->default_profile < -1 ||
	    (c->default_profile >= 0 && (size_t)c->default_profile >= c->nprofiles))
		return cfg_errf(err, errlen, "default profile %d does not exist (%zu defined)",
				c->default_profile, c->nprofiles);
	for (size_t i = 0; i < c->nprofiles; i++) {
		const struct rb_profile *p = &c->profiles[i];

		if (p->kernel[0] && p->script)
			return errw(err, errlen, p->where, "profile '%s' has both kernel and script",
				    p->name);
		if (!p->kernel[0] && !p->script)
			return errw(err, errlen, p->where, "profile '%s' has neither kernel nor script",
				    p->name);
		if (boot_script_check(p, msg, sizeof(msg)) < 0)
			return errw(err, errlen, p->where, "profile '%s': %s", p->name, msg);
	}
	if (check_subnets(c, err, errlen) < 0)
		return -1;
	return check_hosts(c, err, errlen) < 0 ? -1 : 0;
}
