/* The host inventory file: one host per line, MAC [ADDRESS|-] [HOSTNAME|-]
 * [PROFILE|-] (docs/CONFIG.md). Separate because it is a second file
 * format, read on its own (rb_inventory_load, --inventory, SIGHUP) or
 * after the config file that names it; it shares only the tokenizer, the
 * value parsers and the host table. */
#include "core/config.h"

#include <stdio.h>
#include <string.h>

#include "core/config_internal.h"

static int inventory_line(struct rb_config *c, struct reader *r, const struct toks *t)
{
	const char *usage = "want MAC [ADDRESS|-] [HOSTNAME|-] [PROFILE|-]";
	uint8_t mac[6];
	uint32_t ip = 0;
	long prof = -1, other;
	struct rb_host *h;
	char m[18];

	if (t->n > 4)
		return cfg_errat(r->err, r->errlen, r->path, r->line, "too many fields (%s)",
				 usage);
	if (rb_parse_mac(t->v[0], mac) < 0)
		return cfg_errat(r->err, r->errlen, r->path, r->line, "bad MAC address '%s'",
				 t->v[0]);
	if (t->n > 1 && strcmp(t->v[1], "-")) {
		if (rb_parse_ipv4(t->v[1], &ip) < 0)
			return cfg_errat(r->err, r->errlen, r->path, r->line, "bad address '%s'", t->v[1]);
		if (!cfg_unicast_ok(ip))
			return cfg_errat(r->err, r->errlen, r->path, r->line,
					 "'%s' is not a usable unicast address", t->v[1]);
	}
	if (t->n > 2 && strcmp(t->v[2], "-") && !cfg_hostname_ok(t->v[2]))
		return cfg_errat(r->err, r->errlen, r->path, r->line,
				 "bad hostname '%s' (letters, digits, '-' and '.', at most 63)", t->v[2]);
	if (t->n > 3 && strcmp(t->v[3], "-") && (prof = cfg_profile_find(c, t->v[3])) < 0)
		return cfg_errat(r->err, r->errlen, r->path, r->line, "unknown profile '%s'",
				 t->v[3]);
	other = cfg_host_find(c, c->nhosts, mac);
	if (other >= 0)
		return cfg_errat(r->err, r->errlen, r->path, r->line, "duplicate host mac %s (first at %s)",
				 cfg_macstr(mac, m), cfg_wh(c->hosts[other].where));
	if (!(h = cfg_new_host(c)))
		return cfg_errat(r->err, r->errlen, r->path, r->line, "out of memory");
	memcpy(h->mac, mac, 6);
	h->ip = ip;
	h->profile = (int)prof;
	if (t->n > 2 && strcmp(t->v[2], "-"))
		strcpy(h->name, t->v[2]);
	snprintf(h->where, sizeof(h->where), "%s:%u", r->path, r->line);
	return 0;
}

int rb_inventory_load(struct rb_config *c, const char *path, char *err, size_t errlen)
{
	char name[PATH_MAX];
	struct reader r;
	int rc;

	if (err && errlen)
		err[0] = '\0';
	if (!c || !path || !*path)
		return cfg_errf(err, errlen, "no inventory file");
	if (strlen(path) >= sizeof(name))
		return cfg_errf(err, errlen, "%s: path too long", path);
	strcpy(name, path); /* path may be c->inventory */
	if (cfg_open_file(&r, name, err, errlen) < 0)
		return -1;
	for (;;) {
		struct toks t;

		rc = cfg_read_line(&r);
		if (rc <= 0)
			break;
		rc = cfg_tokenize(&r, &t);
		if (rc == 0 && t.n)
			rc = inventory_line(c, &r, &t);
		if (rc < 0)
			break;
	}
	cfg_close_file(&r);
	if (rc == 0 && cfg_index_upto(c, c->nhosts) < 0)
		rc = cfg_errf(err, errlen, "%s: out of memory", name);
	if (rc < 0)
		return -1;
	strcpy(c->inventory, name);
	return 0;
}
