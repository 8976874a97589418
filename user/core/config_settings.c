/* Every setting of the config file: one table that says where each
 * setting is allowed (top level, subnet, profile or host block), how many
 * values it takes and which handler stores it, and the handlers. Adding a
 * setting touches only this file (and docs/CONFIG.md). Separate from
 * config_file.c, which handles the blocks and hands each setting line here
 * (cfg_do_setting). */
#include <arpa/inet.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/config_parser.h"

#define MIN_LEASE     60u
#define MAX_LEASE     (365u * 86400u)
#define MAX_SCRIPT    (1u << 20)   /* iPXE script, inline or from a file */
#define SC(b) (1u << (b))

typedef int (*set_fn)(struct parser *p, char **v, int n, const bool *q);

struct key {
	const char *name;
	unsigned scopes;         /* SC(BLK_...) */
	int nmin, nmax;          /* values after the name */
	const char *takes;       /* for the message when the count is wrong */
	int slot;                /* settings with one slot exclude each other; -1 = may repeat */
	set_fn set;
};

/* A path from the file: relative ones are relative to the file's directory. */
static int resolve(struct parser *p, const char *v, char *out, size_t outlen)
{
	size_t dl = strlen(p->dir);
	int n;

	if (!*v)
		return cfg_perr(p, "empty path for '%s'", p->cur->name);
	if (v[0] == '/' || dl == 0)
		n = snprintf(out, outlen, "%s", v);
	else
		n = snprintf(out, outlen, "%s%s%s", p->dir, p->dir[dl - 1] == '/' ? "" : "/", v);
	if (n < 0 || (size_t)n >= outlen)
		return cfg_perr(p, "path too long for '%s'", p->cur->name);
	return 0;
}

static int copy_str(struct parser *p, char *dst, size_t size, const char *v, bool empty_ok)
{
	size_t n = strlen(v);

	if (!n && !empty_ok)
		return cfg_perr(p, "empty value for '%s'", p->cur->name);
	if (n >= size)
		return cfg_perr(p, "'%s' value too long (max %zu characters)", p->cur->name,
				size - 1);
	memcpy(dst, v, n + 1);
	return 0;
}

static struct rb_dhcp_params *cur_params(struct parser *p)
{
	switch (p->blk) {
	case BLK_SUBNET: return &p->c->subnets[p->blk_idx].params;
	case BLK_HOST:   return &p->c->hosts[p->blk_idx].params;
	default:         return &p->c->defaults;
	}
}

/* --- global settings --------------------------------------------- */

static int set_interface(struct parser *p, char **v, int n, const bool *q)
{
	if (strlen(v[0]) >= IF_NAMESIZE)
		return cfg_perr(p, "interface name '%s' too long (max %d characters)", v[0],
				IF_NAMESIZE - 1);
	if (!*v[0] || strpbrk(v[0], "/ \t"))
		return cfg_perr(p, "bad interface name '%s'", v[0]);
	strcpy(p->c->interface, v[0]);
	return 0;
}

static int set_address(struct parser *p, char **v, int n, const bool *q)
{
	uint32_t ip;
	unsigned prefix = 0;

	if (p->blk == BLK_HOST) {
		if (rb_parse_ipv4(v[0], &ip) < 0)
			return cfg_perr(p, "bad address '%s'", v[0]);
		if (!cfg_unicast_ok(ip))
			return cfg_perr(p, "'%s' is not a usable unicast address", v[0]);
		p->c->hosts[p->blk_idx].ip = ip;
		return 0;
	}
	if (strchr(v[0], '/')) {
		if (rb_parse_cidr(v[0], &ip, &prefix) < 0 || prefix == 0)
			return cfg_perr(p, "bad address '%s' (want A.B.C.D or A.B.C.D/PREFIX, prefix 1..32)",
					v[0]);
	} else if (rb_parse_ipv4(v[0], &ip) < 0) {
		return cfg_perr(p, "bad address '%s' (want A.B.C.D or A.B.C.D/PREFIX)", v[0]);
	}
	if (!cfg_unicast_ok(ip))
		return cfg_perr(p, "'%s' is not a usable unicast address", v[0]);
	p->c->address = ip;
	p->c->prefix = prefix;
	return 0;
}

static int set_root(struct parser *p, char **v, int n, const bool *q)
{
	return resolve(p, v[0], p->c->root, sizeof(p->c->root));
}

static int set_state_dir(struct parser *p, char **v, int n, const bool *q)
{
	return resolve(p, v[0], p->c->state_dir, sizeof(p->c->state_dir));
}

static int set_inventory(struct parser *p, char **v, int n, const bool *q)
{
	char path[PATH_MAX];

	if (resolve(p, v[0], path, sizeof(path)) < 0)
		return -1;
	if (!p->inventory_preset) /* --inventory given before the load wins */
		strcpy(p->c->inventory, path);
	return 0;
}

static int set_port(struct parser *p, char **v, int n, const bool *q)
{
	unsigned long port;

	if (cfg_parse_uint(v[0], 0xffffffffUL, &port) < 0)
		return cfg_perr(p, "bad %s '%s' (want a number)", p->cur->name, v[0]);
	if (port < 1 || port > 65535)
		return cfg_perr(p, "%s %s out of range (1..65535)", p->cur->name, v[0]);
	if (!strcmp(p->cur->name, "tftp-port"))
		p->c->tftp_port = (unsigned)port;
	else
		p->c->http_port = (unsigned)port;
	return 0;
}

static int set_bool(struct parser *p, char **v, int n, const bool *q)
{
	bool b;

	if (!strcmp(v[0], "yes"))
		b = true;
	else if (!strcmp(v[0], "no"))
		b = false;
	else
		return cfg_perr(p, "bad %s '%s' (want yes or no)", p->cur->name, v[0]);
	if (!strcmp(p->cur->name, "proxy-dhcp"))
		p->c->proxy_dhcp = b;
	else
		p->c->no_bpf = !b;
	return 0;
}

static int set_bootfile(struct parser *p, char **v, int n, const bool *q)
{
	const char *k = p->cur->name;
	char *dst = !strcmp(k, "boot-bios")      ? p->c->boot_bios
		  : !strcmp(k, "boot-efi-x64")   ? p->c->boot_efi_x64
						 : p->c->boot_efi_arm64;

	return copy_str(p, dst, sizeof(p->c->boot_bios), v[0], false);
}

static int set_tftp_hot(struct parser *p, char **v, int n, const bool *q)
{
	for (int i = 0; i < n; i++)
		if (copy_str(p, p->c->tftp_hot[i], sizeof(p->c->tftp_hot[i]), v[i], false))
			return -1;
	p->c->ntftp_hot = (unsigned)n;
	return 0;
}

static int set_tftp_hot_max(struct parser *p, char **v, int n, const bool *q)
{
	unsigned long b;

	if (cfg_parse_uint(v[0], 1ul << 40, &b) < 0 || b == 0)
		return cfg_perr(p, "bad tftp-hot-max-size '%s' (bytes, 1 to 2^40)", v[0]);
	p->c->tftp_hot_max = b;
	return 0;
}

static int set_default_profile(struct parser *p, char **v, int n, const bool *q)
{
	return cfg_add_pending(p, SIZE_MAX, v[0]);
}

/* --- DHCP options (global, subnet, host) ---------------------------- */

static int set_addrs(struct parser *p, char **v, int n, const bool *q)
{
	struct rb_dhcp_params *d = cur_params(p);
	bool routers = !strcmp(p->cur->name, "router");
	uint32_t *dst = routers ? d->routers : d->dns;

	for (int i = 0; i < n; i++) {
		uint32_t ip;

		if (rb_parse_ipv4(v[i], &ip) < 0)
			return cfg_perr(p, "bad address '%s'", v[i]);
		if (!cfg_unicast_ok(ip))
			return cfg_perr(p, "'%s' is not a usable unicast address", v[i]);
		dst[i] = htonl(ip);
	}
	if (routers) {
		d->nrouters = (unsigned)n;
		d->set |= RBP_ROUTERS;
	} else {
		d->ndns = (unsigned)n;
		d->set |= RBP_DNS;
	}
	return 0;
}

static int set_domain(struct parser *p, char **v, int n, const bool *q)
{
	struct rb_dhcp_params *d = cur_params(p);

	if (!cfg_domain_ok(v[0]))
		return cfg_perr(p, "bad domain '%s'", v[0]);
	strcpy(d->domain, v[0]);
	d->set |= RBP_DOMAIN;
	return 0;
}

static int set_mtu(struct parser *p, char **v, int n, const bool *q)
{
	struct rb_dhcp_params *d = cur_params(p);
	unsigned long mtu;

	if (cfg_parse_uint(v[0], 0xffffffffUL, &mtu) < 0)
		return cfg_perr(p, "bad mtu '%s' (want a number)", v[0]);
	if (mtu < 68 || mtu > 65535)
		return cfg_perr(p, "mtu %s out of range (68..65535)", v[0]);
	d->mtu = (uint16_t)mtu;
	d->set |= RBP_MTU;
	return 0;
}

static int set_lease(struct parser *p, char **v, int n, const bool *q)
{
	struct rb_dhcp_params *d = cur_params(p);
	unsigned long secs = 0;
	int rc = cfg_parse_duration(v[0], &secs);

	if (rc == -1)
		return cfg_perr(p,
				"bad lease-time '%s' (want seconds, or a number with s, m, h or d)",
				v[0]);
	if (rc == -2 || secs < MIN_LEASE || secs > MAX_LEASE)
		return cfg_perr(p, "lease-time %s out of range (60s..365d)", v[0]);
	d->lease_time = (uint32_t)secs;
	d->set |= RBP_LEASE;
	return 0;
}

/* --- subnet ----------------------------------------------------------- */

static int set_range(struct parser *p, char **v, int n, const bool *q)
{
	struct rb_subnet *s = &p->c->subnets[p->blk_idx];
	uint32_t lo, hi, bcast = s->net | ~s->mask;
	char a[INET_ADDRSTRLEN], b[INET_ADDRSTRLEN], net[INET_ADDRSTRLEN];

	if (rb_parse_ipv4(v[0], &lo) < 0)
		return cfg_perr(p, "bad address '%s'", v[0]);
	if (rb_parse_ipv4(v[1], &hi) < 0)
		return cfg_perr(p, "bad address '%s'", v[1]);
	if (lo > hi)
		return cfg_perr(p, "range %s-%s: start is after end", v[0], v[1]);
	if ((lo & s->mask) != s->net || (hi & s->mask) != s->net)
		return cfg_perr(p, "range %s-%s is outside subnet %s/%u", v[0], v[1], cfg_ipstr(s->net, net),
				cfg_prefix_of(s->mask));
	if (cfg_prefix_of(s->mask) <= 30 && (lo == s->net || hi == bcast))
		return cfg_perr(p, "range %s-%s contains the network or broadcast address of %s/%u", v[0],
				v[1], cfg_ipstr(s->net, net), cfg_prefix_of(s->mask));
	for (unsigned i = 0; i < s->nranges; i++)
		if (lo <= s->ranges[i].hi && s->ranges[i].lo <= hi)
			return cfg_perr(p, "range %s-%s overlaps range %s-%s", v[0], v[1],
					cfg_ipstr(s->ranges[i].lo, a),
					cfg_ipstr(s->ranges[i].hi, b));
	if (s->nranges == RB_MAX_RANGES)
		return cfg_perr(p, "too many ranges in one subnet (max %d)", RB_MAX_RANGES);
	s->ranges[s->nranges].lo = lo;
	s->ranges[s->nranges].hi = hi;
	s->nranges++;
	return 0;
}

/* --- profile -------------------------------------------------------------- */

/* Spaces or tabs outside {{ template }} braces (blanks inside them are
 * allowed, boot_script.c trims them). */
static bool blank_outside_templates(const char *v)
{
	for (const char *s = v; *s; s++) {
		const char *e;

		if (s[0] == '{' && s[1] == '{' && (e = strstr(s + 2, "}}"))) {
			s = e + 1;
			continue;
		}
		if (*s == ' ' || *s == '\t')
			return true;
	}
	return false;
}

/* kernel and initrd: a path below root, or an http(s) URL. */
static int boot_path_ok(const char *v)
{
	const char *s;

	if (strstr(v, "://"))
		return (!strncmp(v, "http://", 7) || !strncmp(v, "https://", 8)) &&
		       !blank_outside_templates(v);
	for (s = v; (s = strstr(s, "..")); s += 2)
		if ((s == v || s[-1] == '/') && (s[2] == '\0' || s[2] == '/'))
			return 0;
	return !blank_outside_templates(v);
}

static int set_kernel_initrd(struct parser *p, char **v, int n, const bool *q)
{
	struct rb_profile *pr = &p->c->profiles[p->blk_idx];
	bool kernel = !strcmp(p->cur->name, "kernel");

	if (*v[0] && !boot_path_ok(v[0]))
		return cfg_perr(p, "bad %s '%s' (a path below root without '..' or spaces, or an http URL)",
				p->cur->name, v[0]);
	return copy_str(p, kernel ? pr->kernel : pr->initrd, sizeof(pr->kernel), v[0], false);
}

static int set_cmdline(struct parser *p, char **v, int n, const bool *q)
{
	struct rb_profile *pr = &p->c->profiles[p->blk_idx];

	return copy_str(p, pr->cmdline, sizeof(pr->cmdline), v[0], true);
}

static int script_check(struct parser *p, const char *text, const char *what, unsigned line)
{
	if (strncmp(text, "#!ipxe", 6))
		return cfg_errat(p->r.err, p->r.errlen, p->r.path, line, "%s does not start with '#!ipxe'",
				 what);
	return 0;
}

/* script <<TAG (heredoc up to a line that is TAG), or script "TEXT". */
static int set_script(struct parser *p, char **v, int n, const bool *q)
{
	struct rb_profile *pr = &p->c->profiles[p->blk_idx];
	unsigned opened = p->r.line;
	const char *tag = NULL;
	char tagbuf[64];
	size_t len = 0, cap = 0;
	char *text = NULL;
	int rc;

	if (n == 1 && !q[0] && !strncmp(v[0], "<<", 2) && v[0][2])
		tag = v[0] + 2;
	else if (n == 2 && !q[0] && !strcmp(v[0], "<<"))
		tag = v[1];
	else if (n == 2 || (!q[0] && !strcmp(v[0], "<<")))
		return cfg_perr(p, "'script' takes <<TAG (a heredoc) or one quoted value");
	if (!tag) {
		if (script_check(p, v[0], "script", opened) < 0)
			return -1;
		if (!(pr->script = malloc(strlen(v[0]) + 2)))
			return cfg_perr(p, "out of memory");
		sprintf(pr->script, "%s\n", v[0]);
		return 0;
	}
	if (strlen(tag) >= sizeof(tagbuf))
		return cfg_perr(p, "heredoc tag too long");
	strcpy(tagbuf, tag); /* the token buffer is reused by read_line's caller */
	for (;;) {
		const char *s, *e;
		size_t ll;

		rc = cfg_read_line(&p->r);
		if (rc < 0)
			goto fail;
		if (rc == 0) {
			rc = cfg_perr(p, "heredoc '%s' not terminated (opened at line %u)", tagbuf, opened);
			goto fail;
		}
		for (s = p->r.buf; cfg_blank(*s); s++)
			;
		for (e = s + strlen(s); e > s && cfg_blank(e[-1]); e--)
			;
		if ((size_t)(e - s) == strlen(tagbuf) && !memcmp(s, tagbuf, (size_t)(e - s)))
			break;
		ll = strlen(p->r.buf);
		if (len + ll + 2 > MAX_SCRIPT) {
			rc = cfg_perr(p, "script too long (max %u bytes)", MAX_SCRIPT);
			goto fail;
		}
		if (len + ll + 2 > cap) {
			char *t;

			cap = (len + ll + 2) * 2;
			t = realloc(text, cap);
			if (!t) {
				rc = cfg_perr(p, "out of memory");
				goto fail;
			}
			text = t;
		}
		memcpy(text + len, p->r.buf, ll);
		len += ll;
		text[len++] = '\n';
		text[len] = '\0';
	}
	if (!text || script_check(p, text, "script", opened) < 0) {
		if (!text)
			cfg_errat(p->r.err, p->r.errlen, p->r.path, opened, "empty script");
		rc = -1;
		goto fail;
	}
	pr->script = text;
	return 0;
fail:
	free(text);
	return -1;
}

static int set_script_file(struct parser *p, char **v, int n, const bool *q)
{
	struct rb_profile *pr = &p->c->profiles[p->blk_idx];
	char path[PATH_MAX];
	char *text = NULL;
	size_t len;
	FILE *f;
	int e;

	if (resolve(p, v[0], path, sizeof(path)) < 0)
		return -1;
	f = fopen(path, "re");
	if (!f)
		return cfg_perr(p, "script-file '%s': %s", path, strerror(errno));
	text = malloc(MAX_SCRIPT + 1);
	if (!text) {
		fclose(f);
		return cfg_perr(p, "out of memory");
	}
	len = fread(text, 1, MAX_SCRIPT + 1, f);
	e = ferror(f) ? errno : 0;
	fclose(f);
	if (e) {
		free(text);
		return cfg_perr(p, "script-file '%s': %s", path, strerror(e));
	}
	if (len > MAX_SCRIPT) {
		free(text);
		return cfg_perr(p, "script-file '%s' too long (max %u bytes)", path, MAX_SCRIPT);
	}
	text[len] = '\0';
	if (strlen(text) != len) {
		free(text);
		return cfg_perr(p, "script-file '%s' contains a NUL byte", path);
	}
	if (strncmp(text, "#!ipxe", 6)) {
		free(text);
		return cfg_perr(p, "script-file '%s' does not start with '#!ipxe'", path);
	}
	pr->script = realloc(text, len + 1) ?: text;
	return 0;
}

/* --- host ------------------------------------------------------------------- */

static int set_mac(struct parser *p, char **v, int n, const bool *q)
{
	struct rb_host *h = &p->c->hosts[p->blk_idx];
	uint8_t mac[6];
	char m[18];
	long other;

	if (rb_parse_mac(v[0], mac) < 0)
		return cfg_perr(p, "bad MAC address '%s'", v[0]);
	other = cfg_host_find(p->c, p->blk_idx, mac);
	if (other >= 0)
		return cfg_perr(p, "duplicate host mac %s (first at %s)", cfg_macstr(mac, m),
				p->c->hosts[other].where);
	memcpy(h->mac, mac, 6);
	return 0;
}

static int set_host_profile(struct parser *p, char **v, int n, const bool *q)
{
	return cfg_add_pending(p, p->blk_idx, v[0]);
}

/* --- the table ---------------------------------------------------------------- */

#define G  SC(BLK_NONE)
#define S  SC(BLK_SUBNET)
#define P  SC(BLK_PROFILE)
#define H  SC(BLK_HOST)
#define ONE 1, 1, "one value"

static const struct key keys[] = {
	{"interface",       G,         ONE, 0,  set_interface},
	{"address",         G | H,     ONE, 1,  set_address},
	{"root",            G,         ONE, 2,  set_root},
	{"state-dir",       G,         ONE, 3,  set_state_dir},
	{"inventory",       G,         ONE, 4,  set_inventory},
	{"tftp-port",       G,         ONE, 5,  set_port},
	{"http-port",       G,         ONE, 6,  set_port},
	{"proxy-dhcp",      G,         ONE, 7,  set_bool},
	{"bpf",             G,         ONE, 8,  set_bool},
	{"boot-bios",       G,         ONE, 9,  set_bootfile},
	{"boot-efi-x64",    G,         ONE, 10, set_bootfile},
	{"boot-efi-arm64",  G,         ONE, 11, set_bootfile},
	{"default-profile", G,         ONE, 12, set_default_profile},
	{"tftp-hot",        G,         1, RB_MAX_HOT, "1 to 16 file names", 24, set_tftp_hot},
	{"tftp-hot-max-size", G,       ONE, 25, set_tftp_hot_max},
	{"router",          G | S | H, 1, RB_MAX_ADDRS, "1 to 8 addresses", 13, set_addrs},
	{"dns",             G | S | H, 1, RB_MAX_ADDRS, "1 to 8 addresses", 14, set_addrs},
	{"domain",          G | S | H, ONE, 15, set_domain},
	{"mtu",             G | S | H, ONE, 16, set_mtu},
	{"lease-time",      G | S | H, ONE, 17, set_lease},
	{"range",           S,         2, 2, "two addresses (START END)", -1, set_range},
	{"kernel",          P,         ONE, 18, set_kernel_initrd},
	{"initrd",          P,         ONE, 19, set_kernel_initrd},
	{"cmdline",         P,         ONE, 20, set_cmdline},
	{"script",          P,         1, 2, "<<TAG or one quoted value", 21, set_script},
	{"script-file",     P,         ONE, 21, set_script_file},
	{"mac",             H,         ONE, SLOT_MAC, set_mac},
	{"profile",         H,         ONE, 23, set_host_profile},
};

#undef G
#undef S
#undef P
#undef H
#undef ONE

static const struct key *key_find(const char *name, unsigned scope, bool *elsewhere)
{
	*elsewhere = false;
	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		if (strcmp(keys[i].name, name))
			continue;
		if (keys[i].scopes & scope)
			return &keys[i];
		*elsewhere = true;
	}
	return NULL;
}

int cfg_do_setting(struct parser *p, struct toks *t)
{
	unsigned *seen = p->blk == BLK_NONE ? p->gseen : p->bseen;
	const struct key **seenkey = p->blk == BLK_NONE ? p->gkey : p->bkey;
	const struct key *k;
	bool elsewhere;
	int n = t->n - 1;

	k = key_find(t->v[0], SC(p->blk), &elsewhere);
	if (!k) {
		if (elsewhere && p->blk == BLK_NONE)
			return cfg_perr(p, "setting '%s' is not allowed at top level", t->v[0]);
		if (elsewhere)
			return cfg_perr(p, "setting '%s' is not allowed in %s block", t->v[0],
					cfg_blk_name[p->blk]);
		if (p->blk == BLK_NONE)
			return cfg_perr(p, "unknown setting '%s'", t->v[0]);
		return cfg_perr(p, "unknown setting '%s' in %s block", t->v[0],
				cfg_blk_name[p->blk]);
	}
	p->cur = k;
	if (n < k->nmin || n > k->nmax)
		return cfg_perr(p, "'%s' takes %s", k->name, k->takes);
	if (k->slot >= 0) {
		if (seen[k->slot] && seenkey[k->slot] == k)
			return cfg_perr(p, "'%s' already set at line %u", k->name, seen[k->slot]);
		if (seen[k->slot])
			return cfg_perr(p, "'%s' conflicts with '%s' at line %u", k->name,
					seenkey[k->slot]->name, seen[k->slot]);
		seen[k->slot] = p->r.line;
		seenkey[k->slot] = k;
	}
	return k->set(p, t->v + 1, n, t->quoted + 1);
}
