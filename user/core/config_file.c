/* The config file's structure. Parsing is line based: each line is split
 * into tokens (config_lex.c), then it opens a block (subnet, profile,
 * host), closes one, or is a setting, handed to the table of settings
 * (config_settings.c). Profiles named before they are defined are resolved
 * at the end of the file, then the inventory the file names is read. Every
 * error is "FILE:LINE: message"; only the first is reported. Separate from
 * the settings so that the grammar reads on its own, without the two dozen
 * handlers. */
#include "core/config.h"

#include <arpa/inet.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/boot_script.h"
#include "core/config_parser.h"

struct pending {          /* a profile named before it may be defined */
	size_t host;      /* index into hosts, or SIZE_MAX for default-profile */
	unsigned line;
	char name[64];
};

const char *const cfg_blk_name[] = {"top level", "subnet", "profile", "host"};

__attribute__((format(printf, 2, 3))) int cfg_perr(struct parser *p, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (!p->r.err || !p->r.errlen)
		return -1;
	n = snprintf(p->r.err, p->r.errlen, "%s:%u: ", p->r.path, p->r.line);
	if (n >= 0 && (size_t)n < p->r.errlen) {
		va_start(ap, fmt);
		vsnprintf(p->r.err + n, p->r.errlen - (size_t)n, fmt, ap);
		va_end(ap);
	}
	return -1;
}

static void set_where(const struct parser *p, char *where, size_t size, unsigned line)
{
	snprintf(where, size, "%s:%u", p->r.path, line);
}

int cfg_add_pending(struct parser *p, size_t host, const char *name)
{
	struct pending *e;

	if (strlen(name) >= sizeof(e->name) || !*name)
		return cfg_perr(p, "bad profile name '%s'", name);
	if (p->npend == p->pendcap) {
		size_t cap = p->pendcap ? p->pendcap * 2 : 16;

		e = realloc(p->pend, cap * sizeof(*e));
		if (!e)
			return cfg_perr(p, "out of memory");
		p->pend = e;
		p->pendcap = cap;
	}
	e = &p->pend[p->npend++];
	e->host = host;
	e->line = p->r.line;
	strcpy(e->name, name);
	return 0;
}

/* --- blocks ----------------------------------------------------------------------- */

static enum blk blk_kind(const char *word)
{
	for (int b = BLK_SUBNET; b <= BLK_HOST; b++)
		if (!strcmp(word, cfg_blk_name[b]))
			return (enum blk)b;
	return BLK_NONE;
}

static int open_block(struct parser *p, enum blk b, const char *arg)
{
	struct rb_config *c = p->c;
	char net[INET_ADDRSTRLEN];

	switch (b) {
	case BLK_SUBNET: {
		struct rb_subnet *s;
		uint32_t ip;
		unsigned prefix;

		if (rb_parse_cidr(arg, &ip, &prefix) < 0)
			return cfg_perr(p, "bad subnet '%s' (want NET/PREFIX, prefix 0..32)", arg);
		if (ip & ~cfg_mask_of(prefix))
			return cfg_perr(p, "subnet %s has host bits set (network is %s/%u)", arg,
					cfg_ipstr(ip & cfg_mask_of(prefix), net), prefix);
		if (!(s = cfg_new_subnet(c)))
			return cfg_perr(p, "out of memory");
		s->net = ip;
		s->mask = cfg_mask_of(prefix);
		set_where(p, s->where, sizeof(s->where), p->r.line);
		p->blk_idx = c->nsubnets - 1;
		break;
	}
	case BLK_PROFILE: {
		struct rb_profile *pr;
		long other;

		if (!cfg_name_ok(arg))
			return cfg_perr(p, "bad profile name '%s' (letters, digits, '-', '_', '.', at most 63)",
					arg);
		other = cfg_profile_find(c, arg);
		if (other >= 0)
			return cfg_perr(p, "duplicate profile '%s' (first at %s)", arg,
					cfg_wh(c->profiles[other].where));
		if (!(pr = cfg_new_profile(c)))
			return cfg_perr(p, "out of memory");
		strcpy(pr->name, arg);
		set_where(p, pr->where, sizeof(pr->where), p->r.line);
		p->blk_idx = c->nprofiles - 1;
		break;
	}
	case BLK_HOST: {
		struct rb_host *h;

		if (!cfg_hostname_ok(arg))
			return cfg_perr(p, "bad hostname '%s' (letters, digits, '-' and '.', at most 63)",
					arg);
		if (cfg_index_upto(c, c->nhosts) < 0 || !(h = cfg_new_host(c)))
			return cfg_perr(p, "out of memory");
		strcpy(h->name, arg);
		set_where(p, h->where, sizeof(h->where), p->r.line);
		p->blk_idx = c->nhosts - 1;
		break;
	}
	default:
		break;
	}
	p->blk = b;
	p->blk_line = p->r.line;
	memset(p->bseen, 0, sizeof(p->bseen));
	return 0;
}

static int close_block(struct parser *p)
{
	struct rb_config *c = p->c;
	const char *file = p->r.path;
	unsigned at = p->blk_line;
	char *err = p->r.err;
	size_t errlen = p->r.errlen;
	char msg[256];

	if (p->blk == BLK_PROFILE) {
		const struct rb_profile *pr = &c->profiles[p->blk_idx];

		if (pr->kernel[0] && pr->script)
			return cfg_errat(err, errlen, file, at, "profile '%s' has both kernel and script",
					 pr->name);
		if (!pr->kernel[0] && !pr->script)
			return cfg_errat(err, errlen, file, at,
					 "profile '%s' has neither kernel nor script (or script-file)",
					 pr->name);
		if (!pr->kernel[0] && (pr->initrd[0] || pr->cmdline[0]))
			return cfg_errat(err, errlen, file, at,
					 "profile '%s': initrd and cmdline go with kernel, not script",
					 pr->name);
		if (boot_script_check(pr, msg, sizeof(msg)) < 0)
			return cfg_errat(err, errlen, file, at, "profile '%s': %s", pr->name, msg);
	} else if (p->blk == BLK_HOST) {
		const struct rb_host *h = &c->hosts[p->blk_idx];

		if (!p->bseen[SLOT_MAC])
			return cfg_errat(err, errlen, file, at, "host '%s' has no mac", h->name);
		if (cfg_index_upto(c, c->nhosts) < 0)
			return cfg_perr(p, "out of memory");
	}
	p->blk = BLK_NONE;
	return 0;
}

static int parse_line(struct parser *p, struct toks *t)
{
	enum blk kind;

	if (cfg_bare(t, 0, "}")) {
		if (t->n != 1)
			return cfg_perr(p, "unexpected text after '}'");
		if (p->blk == BLK_NONE)
			return cfg_perr(p, "'}' without an open block");
		return close_block(p);
	}
	if (cfg_bare(t, t->n - 1, "{")) {
		if (p->blk != BLK_NONE)
			return cfg_perr(p, "blocks cannot be nested (%s block opened at line %u not closed)",
					cfg_blk_name[p->blk], p->blk_line);
		kind = t->quoted[0] ? BLK_NONE : blk_kind(t->v[0]);
		if (kind == BLK_NONE)
			return cfg_perr(p, "unknown block '%s'", t->v[0]);
		if (t->n != 3)
			return cfg_perr(p, "want '%s %s {' on one line", t->v[0],
					kind == BLK_SUBNET ? "NET/PREFIX" : "NAME");
		return open_block(p, kind, t->v[1]);
	}
	if (p->blk == BLK_NONE && !t->quoted[0] && (kind = blk_kind(t->v[0])) != BLK_NONE)
		return cfg_perr(p, "want '%s %s {' on one line", t->v[0],
				kind == BLK_SUBNET ? "NET/PREFIX" : "NAME");
	return cfg_do_setting(p, t);
}

/* Profiles named by hosts and default-profile, now that all are defined. */
static int resolve_pending(struct parser *p)
{
	struct rb_config *c = p->c;

	for (size_t i = 0; i < p->npend; i++) {
		const struct pending *e = &p->pend[i];
		long idx = cfg_profile_find(c, e->name);

		if (idx < 0 && e->host == SIZE_MAX)
			return cfg_errat(p->r.err, p->r.errlen, p->r.path, e->line,
					 "unknown profile '%s' (default-profile)", e->name);
		if (idx < 0)
			return cfg_errat(p->r.err, p->r.errlen, p->r.path, e->line,
					 "unknown profile '%s' (host '%s')", e->name,
					 c->hosts[e->host].name);
		if (e->host == SIZE_MAX)
			c->default_profile = (int)idx;
		else
			c->hosts[e->host].profile = (int)idx;
	}
	return 0;
}

int rb_config_load(struct rb_config *c, const char *path, char *err, size_t errlen)
{
	struct parser *p;
	const char *slash;
	int rc;

	if (err && errlen)
		err[0] = '\0';
	if (!c || !path)
		return cfg_errf(err, errlen, "no config file");
	p = calloc(1, sizeof(*p));
	if (!p)
		return cfg_errf(err, errlen, "%s: out of memory", path);
	p->c = c;
	p->inventory_preset = c->inventory[0] != '\0';
	slash = strrchr(path, '/');
	if (slash) {
		size_t dl = slash == path ? 1 : (size_t)(slash - path);

		if (dl >= sizeof(p->dir)) {
			free(p);
			return cfg_errf(err, errlen, "%s: path too long", path);
		}
		memcpy(p->dir, path, dl);
		p->dir[dl] = '\0';
	}
	if (cfg_open_file(&p->r, path, err, errlen) < 0) {
		free(p);
		return -1;
	}
	for (;;) {
		struct toks t;

		rc = cfg_read_line(&p->r);
		if (rc <= 0)
			break;
		rc = cfg_tokenize(&p->r, &t);
		if (rc == 0 && t.n)
			rc = parse_line(p, &t);
		if (rc < 0)
			break;
	}
	if (rc == 0 && p->blk != BLK_NONE)
		rc = cfg_perr(p, "block '%s' not closed (opened at line %u)", cfg_blk_name[p->blk], p->blk_line);
	if (rc == 0)
		rc = resolve_pending(p);
	cfg_close_file(&p->r);
	free(p->pend);
	free(p);
	if (rc == 0 && c->inventory[0])
		rc = rb_inventory_load(c, c->inventory, err, errlen);
	if (rc == 0 && cfg_index_upto(c, c->nhosts) < 0)
		rc = cfg_errf(err, errlen, "%s: out of memory", path);
	return rc < 0 ? -1 : 0;
}
