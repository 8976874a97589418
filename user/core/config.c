/* rackbootd's configuration: the config file, the inventory file, the
 * cross-checks and the per-packet lookups; see config.h, docs/CONFIG.md and
 * rackbootd.conf(5).
 *
 * Parsing is line based. Each line is split into tokens (whitespace
 * separated, '#' starts a comment, "double quotes" keep spaces and '#'),
 * then dispatched through one table of settings that says where each
 * setting is allowed, how many values it takes and which handler stores
 * it. Every error is "FILE:LINE: message"; only the first is reported.
 *
 * Hosts are looked up per packet by MAC, among tens of thousands: an open
 * addressing hash over hosts[] (priv->slots) is kept up to date as hosts
 * are added, so rb_host_by_mac is one or two probes. */
#include "core/config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>

#include "core/boot_script.h"

#define DEFAULT_LEASE 3600u
#define MIN_LEASE     60u
#define MAX_LEASE     (365u * 86400u)
#define MAX_TOKENS    32           /* per line: a setting and its values */
#define MAX_SCRIPT    (1u << 20)   /* iPXE script, inline or from a file */

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
/* Errors                                                              */

__attribute__((format(printf, 3, 4))) static int errf(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (!err || !errlen)
		return -1;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	return -1;
}

/* "FILE:LINE: " + message into err; returns -1. */
__attribute__((format(printf, 5, 6))) static int errat(char *err, size_t errlen, const char *file,
							unsigned line, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (!err || !errlen)
		return -1;
	n = snprintf(err, errlen, "%s:%u: ", file, line);
	if (n >= 0 && (size_t)n < errlen) {
		va_start(ap, fmt);
		vsnprintf(err + n, errlen - (size_t)n, fmt, ap);
		va_end(ap);
	}
	return -1;
}

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

static const char *wh(const char *where)
{
	return where && where[0] ? where : "command line";
}

/* ------------------------------------------------------------------ */
/* Small parsers                                                       */

int rb_parse_ipv4(const char *s, uint32_t *ip)
{
	struct in_addr a;

	if (!s || inet_pton(AF_INET, s, &a) != 1)
		return -1;
	*ip = ntohl(a.s_addr);
	return 0;
}

static int hexval(char ch)
{
	if (ch >= '0' && ch <= '9')
		return ch - '0';
	if (ch >= 'a' && ch <= 'f')
		return ch - 'a' + 10;
	if (ch >= 'A' && ch <= 'F')
		return ch - 'A' + 10;
	return -1;
}

int rb_parse_mac(const char *s, uint8_t mac[6])
{
	uint8_t m[6];
	char sep;

	if (!s || strlen(s) != 17)
		return -1;
	sep = s[2];
	if (sep != ':' && sep != '-')
		return -1;
	for (int i = 0; i < 6; i++) {
		int hi = hexval(s[3 * i]), lo = hexval(s[3 * i + 1]);

		if (hi < 0 || lo < 0 || (i < 5 && s[3 * i + 2] != sep))
			return -1;
		m[i] = (uint8_t)(hi << 4 | lo);
	}
	memcpy(mac, m, 6);
	return 0;
}

int rb_parse_cidr(const char *s, uint32_t *net, unsigned *prefix)
{
	const char *slash = s ? strchr(s, '/') : NULL;
	char addr[INET_ADDRSTRLEN];
	unsigned p = 0;
	size_t alen, plen;

	if (!slash)
		return -1;
	alen = (size_t)(slash - s);
	plen = strlen(slash + 1);
	if (alen >= sizeof(addr) || plen < 1 || plen > 2)
		return -1;
	for (size_t i = 1; i <= plen; i++) {
		if (slash[i] < '0' || slash[i] > '9')
			return -1;
		p = p * 10 + (unsigned)(slash[i] - '0');
	}
	if (p > 32)
		return -1;
	memcpy(addr, s, alen);
	addr[alen] = '\0';
	if (rb_parse_ipv4(addr, net) < 0)
		return -1;
	*prefix = p;
	return 0;
}

static uint32_t mask_of(unsigned prefix)
{
	return prefix ? 0xffffffffu << (32 - prefix) : 0;
}

static unsigned prefix_of(uint32_t mask)
{
	return (unsigned)__builtin_popcount(mask);
}

static bool mask_ok(uint32_t mask)
{
	uint32_t inv = ~mask;

	return (inv & (inv + 1)) == 0; /* ones then zeros */
}

static const char *ipstr(uint32_t ip, char buf[INET_ADDRSTRLEN])
{
	struct in_addr a = {htonl(ip)};

	inet_ntop(AF_INET, &a, buf, INET_ADDRSTRLEN);
	return buf;
}

static const char *macstr(const uint8_t m[6], char buf[18])
{
	snprintf(buf, 18, "%02x:%02x:%02x:%02x:%02x:%02x", m[0], m[1], m[2], m[3], m[4], m[5]);
	return buf;
}

/* A decimal number (digits only) no larger than max. */
static int parse_uint(const char *s, unsigned long max, unsigned long *out)
{
	unsigned long v = 0;

	if (!*s)
		return -1;
	for (; *s; s++) {
		if (*s < '0' || *s > '9')
			return -1;
		if (v > (max - (unsigned long)(*s - '0')) / 10)
			return -1;
		v = v * 10 + (unsigned long)(*s - '0');
	}
	*out = v;
	return 0;
}

/* Seconds, or a number with suffix s, m, h or d. -1 if malformed, -2 if
 * too large to be a lease time at all. */
static int parse_duration(const char *s, unsigned long *out)
{
	size_t n = strlen(s);
	unsigned long mul = 1, v;
	char num[24];

	if (n == 0 || n >= sizeof(num))
		return -1;
	switch (s[n - 1]) {
	case 's': mul = 1; n--; break;
	case 'm': mul = 60; n--; break;
	case 'h': mul = 3600; n--; break;
	case 'd': mul = 86400; n--; break;
	default: break;
	}
	memcpy(num, s, n);
	num[n] = '\0';
	if (parse_uint(num, 0xffffffffUL, &v) < 0)
		return n && strspn(num, "0123456789") == n ? -2 : -1;
	if (v > 0xffffffffUL / mul)
		return -2;
	*out = v * mul;
	return 0;
}

static bool is_alnum(char ch)
{
	return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9');
}

/* Hostname handed out as option 12: letters, digits, '-', '.', 1..63. */
static bool hostname_ok(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n > 63)
		return false;
	for (; *s; s++)
		if (!is_alnum(*s) && *s != '-' && *s != '.')
			return false;
	return true;
}

/* Profile names: letters, digits, '-', '_', '.', 1..63. */
static bool name_ok(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n > 63)
		return false;
	for (; *s; s++)
		if (!is_alnum(*s) && *s != '-' && *s != '_' && *s != '.')
			return false;
	return true;
}

/* Domain (option 15): labels of letters, digits, '-' and '_' separated by
 * dots, one trailing dot allowed, fits in rb_dhcp_params.domain. */
static bool domain_ok(const char *s)
{
	size_t n = strlen(s), label = 0;

	if (n == 0 || n >= sizeof(((struct rb_dhcp_params *)0)->domain))
		return false;
	for (const char *p = s; *p; p++) {
		if (*p == '.') {
			if (label == 0)
				return false;
			label = 0;
		} else if (is_alnum(*p) || *p == '-' || *p == '_') {
			if (++label > 63)
				return false;
		} else {
			return false;
		}
	}
	return true;
}

/* An address a host or the server may have: not 0/8, 127/8, multicast,
 * reserved or broadcast. */
static bool unicast_ok(uint32_t ip)
{
	return (ip >> 24) != 0 && (ip >> 24) != 127 && ip < 0xe0000000u;
}

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

static struct rb_subnet *new_subnet(struct rb_config *c)
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

static struct rb_profile *new_profile(struct rb_config *c)
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

static struct rb_host *new_host(struct rb_config *c)
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

static size_t mac_hash(const uint8_t m[6])
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

	for (size_t i = mac_hash(mac) & mask;; i = (i + 1) & mask) {
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

	for (size_t j = mac_hash(hosts[i].mac) & mask;; j = (j + 1) & mask) {
		if (!slots[j]) {
			slots[j] = (uint32_t)(i + 1);
			return;
		}
		if (!memcmp(hosts[slots[j] - 1].mac, hosts[i].mac, 6))
			return; /* a duplicate: lookups find the first */
	}
}

/* Index hosts[0..n). Returns 0, or -1 out of memory. */
static int index_upto(struct rb_config *c, size_t n)
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
static long host_find(struct rb_config *c, size_t n, const uint8_t mac[6])
{
	if (index_upto(c, n) == 0)
		return index_find(c, mac);
	for (size_t i = 0; i < n; i++)
		if (!memcmp(c->hosts[i].mac, mac, 6))
			return (long)i;
	return -1;
}

static long profile_find(const struct rb_config *c, const char *name)
{
	for (size_t i = 0; i < c->nprofiles; i++)
		if (!strcmp(c->profiles[i].name, name))
			return (long)i;
	return -1;
}

/* ------------------------------------------------------------------ */
/* Lines and tokens                                                    */

struct reader {
	FILE *f;
	const char *path;
	unsigned line;       /* number of the line in buf */
	char *buf;  size_t bufcap;
	char *tok;  size_t tokcap;
	char *err;  size_t errlen;
};

/* Next line into r->buf without its line ending. 1, 0 at EOF, -1 error. */
static int read_line(struct reader *r)
{
	ssize_t n;

	n = getline(&r->buf, &r->bufcap, r->f);
	if (n < 0) {
		if (ferror(r->f))
			return errat(r->err, r->errlen, r->path, r->line + 1, "read error: %s",
				     strerror(errno));
		return 0;
	}
	r->line++;
	if (strlen(r->buf) != (size_t)n)
		return errat(r->err, r->errlen, r->path, r->line, "NUL byte in line");
	while (n > 0 && (r->buf[n - 1] == '\n' || r->buf[n - 1] == '\r'))
		r->buf[--n] = '\0';
	return 1;
}

static bool blank(char ch)
{
	return ch == ' ' || ch == '\t' || ch == '\r' || ch == '\v' || ch == '\f';
}

struct toks {
	int n;
	char *v[MAX_TOKENS];
	bool quoted[MAX_TOKENS];  /* any part of it was in double quotes */
};

/* Split r->buf into tokens (decoded into r->tok). Whitespace separates,
 * '#' outside quotes ends the line, "..." keeps spaces and '#' (\" and \\
 * escape inside quotes); quoted and bare parts next to each other make
 * one token. */
static int tokenize(struct reader *r, struct toks *t)
{
	size_t len = strlen(r->buf);
	const char *s = r->buf;
	char *out;

	if (len + 1 > r->tokcap) {
		char *b = realloc(r->tok, len + 1);

		if (!b)
			return errat(r->err, r->errlen, r->path, r->line, "out of memory");
		r->tok = b;
		r->tokcap = len + 1;
	}
	out = r->tok;
	t->n = 0;
	for (;;) {
		bool q = false;

		while (blank(*s))
			s++;
		if (!*s || *s == '#')
			return 0;
		if (t->n == MAX_TOKENS)
			return errat(r->err, r->errlen, r->path, r->line,
				     "too many values on one line (max %d)", MAX_TOKENS - 1);
		t->v[t->n] = out;
		while (*s && !blank(*s) && *s != '#') {
			if (*s != '"') {
				*out++ = *s++;
				continue;
			}
			q = true;
			for (s++; *s != '"'; s++) {
				if (!*s)
					return errat(r->err, r->errlen, r->path, r->line,
						     "unterminated quote");
				if (*s == '\\' && (s[1] == '"' || s[1] == '\\'))
					s++;
				*out++ = *s;
			}
			s++;
		}
		*out++ = '\0';
		t->quoted[t->n++] = q;
	}
}

static bool bare(const struct toks *t, int i, const char *word)
{
	return i < t->n && !t->quoted[i] && !strcmp(t->v[i], word);
}

static int open_file(struct reader *r, const char *path, char *err, size_t errlen)
{
	memset(r, 0, sizeof(*r));
	r->path = path;
	r->err = err;
	r->errlen = errlen;
	r->f = fopen(path, "re");
	if (!r->f)
		return errf(err, errlen, "%s: %s", path, strerror(errno));
	return 0;
}

static void close_file(struct reader *r)
{
	if (r->f)
		fclose(r->f);
	free(r->buf);
	free(r->tok);
	r->f = NULL;
	r->buf = r->tok = NULL;
}

/* ------------------------------------------------------------------ */
/* The config file                                                     */

enum blk { BLK_NONE, BLK_SUBNET, BLK_PROFILE, BLK_HOST };
static const char *const blk_name[] = {"top level", "subnet", "profile", "host"};
#define SC(b) (1u << (b))

struct pending {          /* a profile named before it may be defined */
	size_t host;      /* index into hosts, or SIZE_MAX for default-profile */
	unsigned line;
	char name[64];
};

struct parser;
typedef int (*set_fn)(struct parser *p, char **v, int n, const bool *q);

struct key {
	const char *name;
	unsigned scopes;         /* SC(BLK_...) */
	int nmin, nmax;          /* values after the name */
	const char *takes;       /* for the message when the count is wrong */
	int slot;                /* settings with one slot exclude each other; -1 = may repeat */
	set_fn set;
};

struct parser {
	struct reader r;
	struct rb_config *c;
	char dir[PATH_MAX];      /* directory of the file, "" if given without one */
	bool inventory_preset;   /* c->inventory was set before the load: it wins */
	enum blk blk;
	unsigned blk_line;
	size_t blk_idx;          /* index of the subnet/profile/host being defined */
	const struct key *cur;   /* setting being handled, for messages */
	unsigned gseen[32], bseen[32];        /* line a slot was set at, 0 = not set */
	const struct key *gkey[32], *bkey[32];
	struct pending *pend;
	size_t npend, pendcap;
};

__attribute__((format(printf, 2, 3))) static int perr(struct parser *p, const char *fmt, ...)
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

/* A path from the file: relative ones are relative to the file's directory. */
static int resolve(struct parser *p, const char *v, char *out, size_t outlen)
{
	size_t dl = strlen(p->dir);
	int n;

	if (!*v)
		return perr(p, "empty path for '%s'", p->cur->name);
	if (v[0] == '/' || dl == 0)
		n = snprintf(out, outlen, "%s", v);
	else
		n = snprintf(out, outlen, "%s%s%s", p->dir, p->dir[dl - 1] == '/' ? "" : "/", v);
	if (n < 0 || (size_t)n >= outlen)
		return perr(p, "path too long for '%s'", p->cur->name);
	return 0;
}

static int copy_str(struct parser *p, char *dst, size_t size, const char *v, bool empty_ok)
{
	size_t n = strlen(v);

	if (!n && !empty_ok)
		return perr(p, "empty value for '%s'", p->cur->name);
	if (n >= size)
		return perr(p, "'%s' value too long (max %zu characters)", p->cur->name, size - 1);
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
		return perr(p, "interface name '%s' too long (max %d characters)", v[0],
			    IF_NAMESIZE - 1);
	if (!*v[0] || strpbrk(v[0], "/ \t"))
		return perr(p, "bad interface name '%s'", v[0]);
	strcpy(p->c->interface, v[0]);
	return 0;
}

static int set_address(struct parser *p, char **v, int n, const bool *q)
{
	uint32_t ip;
	unsigned prefix = 0;

	if (p->blk == BLK_HOST) {
		if (rb_parse_ipv4(v[0], &ip) < 0)
			return perr(p, "bad address '%s'", v[0]);
		if (!unicast_ok(ip))
			return perr(p, "'%s' is not a usable unicast address", v[0]);
		p->c->hosts[p->blk_idx].ip = ip;
		return 0;
	}
	if (strchr(v[0], '/')) {
		if (rb_parse_cidr(v[0], &ip, &prefix) < 0 || prefix == 0)
			return perr(p, "bad address '%s' (want A.B.C.D or A.B.C.D/PREFIX, prefix 1..32)",
				    v[0]);
	} else if (rb_parse_ipv4(v[0], &ip) < 0) {
		return perr(p, "bad address '%s' (want A.B.C.D or A.B.C.D/PREFIX)", v[0]);
	}
	if (!unicast_ok(ip))
		return perr(p, "'%s' is not a usable unicast address", v[0]);
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

	if (parse_uint(v[0], 0xffffffffUL, &port) < 0)
		return perr(p, "bad %s '%s' (want a number)", p->cur->name, v[0]);
	if (port < 1 || port > 65535)
		return perr(p, "%s %s out of range (1..65535)", p->cur->name, v[0]);
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
		return perr(p, "bad %s '%s' (want yes or no)", p->cur->name, v[0]);
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

static int add_pending(struct parser *p, size_t host, const char *name)
{
	struct pending *e;

	if (strlen(name) >= sizeof(e->name) || !*name)
		return perr(p, "bad profile name '%s'", name);
	if (p->npend == p->pendcap) {
		size_t cap = p->pendcap ? p->pendcap * 2 : 16;

		e = realloc(p->pend, cap * sizeof(*e));
		if (!e)
			return perr(p, "out of memory");
		p->pend = e;
		p->pendcap = cap;
	}
	e = &p->pend[p->npend++];
	e->host = host;
	e->line = p->r.line;
	strcpy(e->name, name);
	return 0;
}

static int set_default_profile(struct parser *p, char **v, int n, const bool *q)
{
	return add_pending(p, SIZE_MAX, v[0]);
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
			return perr(p, "bad address '%s'", v[i]);
		if (!unicast_ok(ip))
			return perr(p, "'%s' is not a usable unicast address", v[i]);
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

	if (!domain_ok(v[0]))
		return perr(p, "bad domain '%s'", v[0]);
	strcpy(d->domain, v[0]);
	d->set |= RBP_DOMAIN;
	return 0;
}

static int set_mtu(struct parser *p, char **v, int n, const bool *q)
{
	struct rb_dhcp_params *d = cur_params(p);
	unsigned long mtu;

	if (parse_uint(v[0], 0xffffffffUL, &mtu) < 0)
		return perr(p, "bad mtu '%s' (want a number)", v[0]);
	if (mtu < 68 || mtu > 65535)
		return perr(p, "mtu %s out of range (68..65535)", v[0]);
	d->mtu = (uint16_t)mtu;
	d->set |= RBP_MTU;
	return 0;
}

static int set_lease(struct parser *p, char **v, int n, const bool *q)
{
	struct rb_dhcp_params *d = cur_params(p);
	unsigned long secs = 0;
	int rc = parse_duration(v[0], &secs);

	if (rc == -1)
		return perr(p, "bad lease-time '%s' (want seconds, or a number with s, m, h or d)",
			    v[0]);
	if (rc == -2 || secs < MIN_LEASE || secs > MAX_LEASE)
		return perr(p, "lease-time %s out of range (60s..365d)", v[0]);
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
		return perr(p, "bad address '%s'", v[0]);
	if (rb_parse_ipv4(v[1], &hi) < 0)
		return perr(p, "bad address '%s'", v[1]);
	if (lo > hi)
		return perr(p, "range %s-%s: start is after end", v[0], v[1]);
	if ((lo & s->mask) != s->net || (hi & s->mask) != s->net)
		return perr(p, "range %s-%s is outside subnet %s/%u", v[0], v[1], ipstr(s->net, net),
			    prefix_of(s->mask));
	if (prefix_of(s->mask) <= 30 && (lo == s->net || hi == bcast))
		return perr(p, "range %s-%s contains the network or broadcast address of %s/%u", v[0],
			    v[1], ipstr(s->net, net), prefix_of(s->mask));
	for (unsigned i = 0; i < s->nranges; i++)
		if (lo <= s->ranges[i].hi && s->ranges[i].lo <= hi)
			return perr(p, "range %s-%s overlaps range %s-%s", v[0], v[1],
				    ipstr(s->ranges[i].lo, a), ipstr(s->ranges[i].hi, b));
	if (s->nranges == RB_MAX_RANGES)
		return perr(p, "too many ranges in one subnet (max %d)", RB_MAX_RANGES);
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
		return perr(p, "bad %s '%s' (a path below root without '..' or spaces, or an http URL)",
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
		return errat(p->r.err, p->r.errlen, p->r.path, line, "%s does not start with '#!ipxe'",
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
		return perr(p, "'script' takes <<TAG (a heredoc) or one quoted value");
	if (!tag) {
		if (script_check(p, v[0], "script", opened) < 0)
			return -1;
		if (!(pr->script = malloc(strlen(v[0]) + 2)))
			return perr(p, "out of memory");
		sprintf(pr->script, "%s\n", v[0]);
		return 0;
	}
	if (strlen(tag) >= sizeof(tagbuf))
		return perr(p, "heredoc tag too long");
	strcpy(tagbuf, tag); /* the token buffer is reused by read_line's caller */
	for (;;) {
		const char *s, *e;
		size_t ll;

		rc = read_line(&p->r);
		if (rc < 0)
			goto fail;
		if (rc == 0) {
			rc = perr(p, "heredoc '%s' not terminated (opened at line %u)", tagbuf, opened);
			goto fail;
		}
		for (s = p->r.buf; blank(*s); s++)
			;
		for (e = s + strlen(s); e > s && blank(e[-1]); e--)
			;
		if ((size_t)(e - s) == strlen(tagbuf) && !memcmp(s, tagbuf, (size_t)(e - s)))
			break;
		ll = strlen(p->r.buf);
		if (len + ll + 2 > MAX_SCRIPT) {
			rc = perr(p, "script too long (max %u bytes)", MAX_SCRIPT);
			goto fail;
		}
		if (len + ll + 2 > cap) {
			char *t;

			cap = (len + ll + 2) * 2;
			t = realloc(text, cap);
			if (!t) {
				rc = perr(p, "out of memory");
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
			errat(p->r.err, p->r.errlen, p->r.path, opened, "empty script");
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
		return perr(p, "script-file '%s': %s", path, strerror(errno));
	text = malloc(MAX_SCRIPT + 1);
	if (!text) {
		fclose(f);
		return perr(p, "out of memory");
	}
	len = fread(text, 1, MAX_SCRIPT + 1, f);
	e = ferror(f) ? errno : 0;
	fclose(f);
	if (e) {
		free(text);
		return perr(p, "script-file '%s': %s", path, strerror(e));
	}
	if (len > MAX_SCRIPT) {
		free(text);
		return perr(p, "script-file '%s' too long (max %u bytes)", path, MAX_SCRIPT);
	}
	text[len] = '\0';
	if (strlen(text) != len) {
		free(text);
		return perr(p, "script-file '%s' contains a NUL byte", path);
	}
	if (strncmp(text, "#!ipxe", 6)) {
		free(text);
		return perr(p, "script-file '%s' does not start with '#!ipxe'", path);
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
		return perr(p, "bad MAC address '%s'", v[0]);
	other = host_find(p->c, p->blk_idx, mac);
	if (other >= 0)
		return perr(p, "duplicate host mac %s (first at %s)", macstr(mac, m),
			    p->c->hosts[other].where);
	memcpy(h->mac, mac, 6);
	return 0;
}

static int set_host_profile(struct parser *p, char **v, int n, const bool *q)
{
	return add_pending(p, p->blk_idx, v[0]);
}

/* --- the table ---------------------------------------------------------------- */

#define SLOT_MAC 22
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

static int do_setting(struct parser *p, struct toks *t)
{
	unsigned *seen = p->blk == BLK_NONE ? p->gseen : p->bseen;
	const struct key **seenkey = p->blk == BLK_NONE ? p->gkey : p->bkey;
	const struct key *k;
	bool elsewhere;
	int n = t->n - 1;

	k = key_find(t->v[0], SC(p->blk), &elsewhere);
	if (!k) {
		if (elsewhere && p->blk == BLK_NONE)
			return perr(p, "setting '%s' is not allowed at top level", t->v[0]);
		if (elsewhere)
			return perr(p, "setting '%s' is not allowed in %s block", t->v[0],
				    blk_name[p->blk]);
		if (p->blk == BLK_NONE)
			return perr(p, "unknown setting '%s'", t->v[0]);
		return perr(p, "unknown setting '%s' in %s block", t->v[0], blk_name[p->blk]);
	}
	p->cur = k;
	if (n < k->nmin || n > k->nmax)
		return perr(p, "'%s' takes %s", k->name, k->takes);
	if (k->slot >= 0) {
		if (seen[k->slot] && seenkey[k->slot] == k)
			return perr(p, "'%s' already set at line %u", k->name, seen[k->slot]);
		if (seen[k->slot])
			return perr(p, "'%s' conflicts with '%s' at line %u", k->name,
				    seenkey[k->slot]->name, seen[k->slot]);
		seen[k->slot] = p->r.line;
		seenkey[k->slot] = k;
	}
	return k->set(p, t->v + 1, n, t->quoted + 1);
}

/* --- blocks ----------------------------------------------------------------------- */

static enum blk blk_kind(const char *word)
{
	for (int b = BLK_SUBNET; b <= BLK_HOST; b++)
		if (!strcmp(word, blk_name[b]))
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
			return perr(p, "bad subnet '%s' (want NET/PREFIX, prefix 0..32)", arg);
		if (ip & ~mask_of(prefix))
			return perr(p, "subnet %s has host bits set (network is %s/%u)", arg,
				    ipstr(ip & mask_of(prefix), net), prefix);
		if (!(s = new_subnet(c)))
			return perr(p, "out of memory");
		s->net = ip;
		s->mask = mask_of(prefix);
		set_where(p, s->where, sizeof(s->where), p->r.line);
		p->blk_idx = c->nsubnets - 1;
		break;
	}
	case BLK_PROFILE: {
		struct rb_profile *pr;
		long other;

		if (!name_ok(arg))
			return perr(p, "bad profile name '%s' (letters, digits, '-', '_', '.', at most 63)",
				    arg);
		other = profile_find(c, arg);
		if (other >= 0)
			return perr(p, "duplicate profile '%s' (first at %s)", arg,
				    wh(c->profiles[other].where));
		if (!(pr = new_profile(c)))
			return perr(p, "out of memory");
		strcpy(pr->name, arg);
		set_where(p, pr->where, sizeof(pr->where), p->r.line);
		p->blk_idx = c->nprofiles - 1;
		break;
	}
	case BLK_HOST: {
		struct rb_host *h;

		if (!hostname_ok(arg))
			return perr(p, "bad hostname '%s' (letters, digits, '-' and '.', at most 63)",
				    arg);
		if (index_upto(c, c->nhosts) < 0 || !(h = new_host(c)))
			return perr(p, "out of memory");
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
			return errat(err, errlen, file, at, "profile '%s' has both kernel and script",
				     pr->name);
		if (!pr->kernel[0] && !pr->script)
			return errat(err, errlen, file, at,
				     "profile '%s' has neither kernel nor script (or script-file)",
				     pr->name);
		if (!pr->kernel[0] && (pr->initrd[0] || pr->cmdline[0]))
			return errat(err, errlen, file, at,
				     "profile '%s': initrd and cmdline go with kernel, not script",
				     pr->name);
		if (boot_script_check(pr, msg, sizeof(msg)) < 0)
			return errat(err, errlen, file, at, "profile '%s': %s", pr->name, msg);
	} else if (p->blk == BLK_HOST) {
		const struct rb_host *h = &c->hosts[p->blk_idx];

		if (!p->bseen[SLOT_MAC])
			return errat(err, errlen, file, at, "host '%s' has no mac", h->name);
		if (index_upto(c, c->nhosts) < 0)
			return perr(p, "out of memory");
	}
	p->blk = BLK_NONE;
	return 0;
}

static int parse_line(struct parser *p, struct toks *t)
{
	enum blk kind;

	if (bare(t, 0, "}")) {
		if (t->n != 1)
			return perr(p, "unexpected text after '}'");
		if (p->blk == BLK_NONE)
			return perr(p, "'}' without an open block");
		return close_block(p);
	}
	if (bare(t, t->n - 1, "{")) {
		if (p->blk != BLK_NONE)
			return perr(p, "blocks cannot be nested (%s block opened at line %u not closed)",
				    blk_name[p->blk], p->blk_line);
		kind = t->quoted[0] ? BLK_NONE : blk_kind(t->v[0]);
		if (kind == BLK_NONE)
			return perr(p, "unknown block '%s'", t->v[0]);
		if (t->n != 3)
			return perr(p, "want '%s %s {' on one line", t->v[0],
				    kind == BLK_SUBNET ? "NET/PREFIX" : "NAME");
		return open_block(p, kind, t->v[1]);
	}
	if (p->blk == BLK_NONE && !t->quoted[0] && (kind = blk_kind(t->v[0])) != BLK_NONE)
		return perr(p, "want '%s %s {' on one line", t->v[0],
			    kind == BLK_SUBNET ? "NET/PREFIX" : "NAME");
	return do_setting(p, t);
}

/* Profiles named by hosts and default-profile, now that all are defined. */
static int resolve_pending(struct parser *p)
{
	struct rb_config *c = p->c;

	for (size_t i = 0; i < p->npend; i++) {
		const struct pending *e = &p->pend[i];
		long idx = profile_find(c, e->name);

		if (idx < 0 && e->host == SIZE_MAX)
			return errat(p->r.err, p->r.errlen, p->r.path, e->line,
				     "unknown profile '%s' (default-profile)", e->name);
		if (idx < 0)
			return errat(p->r.err, p->r.errlen, p->r.path, e->line,
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
		return errf(err, errlen, "no config file");
	p = calloc(1, sizeof(*p));
	if (!p)
		return errf(err, errlen, "%s: out of memory", path);
	p->c = c;
	p->inventory_preset = c->inventory[0] != '\0';
	slash = strrchr(path, '/');
	if (slash) {
		size_t dl = slash == path ? 1 : (size_t)(slash - path);

		if (dl >= sizeof(p->dir)) {
			free(p);
			return errf(err, errlen, "%s: path too long", path);
		}
		memcpy(p->dir, path, dl);
		p->dir[dl] = '\0';
	}
	if (open_file(&p->r, path, err, errlen) < 0) {
		free(p);
		return -1;
	}
	for (;;) {
		struct toks t;

		rc = read_line(&p->r);
		if (rc <= 0)
			break;
		rc = tokenize(&p->r, &t);
		if (rc == 0 && t.n)
			rc = parse_line(p, &t);
		if (rc < 0)
			break;
	}
	if (rc == 0 && p->blk != BLK_NONE)
		rc = perr(p, "block '%s' not closed (opened at line %u)", blk_name[p->blk], p->blk_line);
	if (rc == 0)
		rc = resolve_pending(p);
	close_file(&p->r);
	free(p->pend);
	free(p);
	if (rc == 0 && c->inventory[0])
		rc = rb_inventory_load(c, c->inventory, err, errlen);
	if (rc == 0 && index_upto(c, c->nhosts) < 0)
		rc = errf(err, errlen, "%s: out of memory", path);
	return rc < 0 ? -1 : 0;
}

/* ------------------------------------------------------------------ */
/* The inventory file                                                  */

static int inventory_line(struct rb_config *c, struct reader *r, const struct toks *t)
{
	const char *usage = "want MAC [ADDRESS|-] [HOSTNAME|-] [PROFILE|-]";
	uint8_t mac[6];
	uint32_t ip = 0;
	long prof = -1, other;
	struct rb_host *h;
	char m[18];

	if (t->n > 4)
		return errat(r->err, r->errlen, r->path, r->line, "too many fields (%s)", usage);
	if (rb_parse_mac(t->v[0], mac) < 0)
		return errat(r->err, r->errlen, r->path, r->line, "bad MAC address '%s'", t->v[0]);
	if (t->n > 1 && strcmp(t->v[1], "-")) {
		if (rb_parse_ipv4(t->v[1], &ip) < 0)
			return errat(r->err, r->errlen, r->path, r->line, "bad address '%s'", t->v[1]);
		if (!unicast_ok(ip))
			return errat(r->err, r->errlen, r->path, r->line,
				     "'%s' is not a usable unicast address", t->v[1]);
	}
	if (t->n > 2 && strcmp(t->v[2], "-") && !hostname_ok(t->v[2]))
		return errat(r->err, r->errlen, r->path, r->line,
			     "bad hostname '%s' (letters, digits, '-' and '.', at most 63)", t->v[2]);
	if (t->n > 3 && strcmp(t->v[3], "-") && (prof = profile_find(c, t->v[3])) < 0)
		return errat(r->err, r->errlen, r->path, r->line, "unknown profile '%s'", t->v[3]);
	other = host_find(c, c->nhosts, mac);
	if (other >= 0)
		return errat(r->err, r->errlen, r->path, r->line, "duplicate host mac %s (first at %s)",
			     macstr(mac, m), wh(c->hosts[other].where));
	if (!(h = new_host(c)))
		return errat(r->err, r->errlen, r->path, r->line, "out of memory");
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
		return errf(err, errlen, "no inventory file");
	if (strlen(path) >= sizeof(name))
		return errf(err, errlen, "%s: path too long", path);
	strcpy(name, path); /* path may be c->inventory */
	if (open_file(&r, name, err, errlen) < 0)
		return -1;
	for (;;) {
		struct toks t;

		rc = read_line(&r);
		if (rc <= 0)
			break;
		rc = tokenize(&r, &t);
		if (rc == 0 && t.n)
			rc = inventory_line(c, &r, &t);
		if (rc < 0)
			break;
	}
	close_file(&r);
	if (rc == 0 && index_upto(c, c->nhosts) < 0)
		rc = errf(err, errlen, "%s: out of memory", name);
	if (rc < 0)
		return -1;
	strcpy(c->inventory, name);
	return 0;
}

/* ------------------------------------------------------------------ */
/* Cross-checks                                                        */

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

		if (!mask_ok(s->mask))
			return errw(err, errlen, s->where, "subnet %s has a bad mask", ipstr(s->net, a));
		if (s->net & ~s->mask)
			return errw(err, errlen, s->where, "subnet %s/%u has host bits set",
				    ipstr(s->net, a), prefix_of(s->mask));
		if (s->nranges > RB_MAX_RANGES)
			return errw(err, errlen, s->where, "too many ranges (max %d)", RB_MAX_RANGES);
		if (s->nranges && c->proxy_dhcp)
			return errw(err, errlen, s->where,
				    "address ranges cannot be used with proxy-dhcp");
		for (j = 0; j < s->nranges; j++) {
			const struct rb_range *g = &s->ranges[j];

			ipstr(g->lo, a);
			ipstr(g->hi, b);
			if (g->lo > g->hi)
				return errw(err, errlen, s->where, "range %s-%s: start is after end", a, b);
			if ((g->lo & s->mask) != s->net || (g->hi & s->mask) != s->net)
				return errw(err, errlen, s->where, "range %s-%s is outside subnet %s/%u",
					    a, b, ipstr(s->net, x), prefix_of(s->mask));
			if (prefix_of(s->mask) <= 30 && (g->lo == s->net || g->hi == bcast))
				return errw(err, errlen, s->where,
					    "range %s-%s contains the network or broadcast address of %s/%u",
					    a, b, ipstr(s->net, x), prefix_of(s->mask));
			if (c->address && g->lo <= c->address && c->address <= g->hi)
				return errw(err, errlen, s->where,
					    "range %s-%s contains the server address %s", a, b,
					    ipstr(c->address, x));
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
		return errf(err, errlen, "out of memory");
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
			  ipstr(s->net, a), prefix_of(s->mask), ipstr(o->net, b), prefix_of(o->mask),
			  wh(o->where));
	} else if (spans_overlap(ranges, nranges, &i, &j)) {
		rc = errw(err, errlen, c->subnets[ranges[j].owner].where,
			  "range %s-%s overlaps range %s-%s (subnet at %s)", ipstr(ranges[j].lo, a),
			  ipstr(ranges[j].hi, b), ipstr(ranges[i].lo, x), ipstr(ranges[i].hi, y),
			  wh(c->subnets[ranges[i].owner].where));
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
		return errf(err, errlen, "out of memory");
	}
	for (size_t i = 0; i < c->nhosts && rc == 0; i++) {
		const struct rb_host *h = &c->hosts[i];
		size_t k;

		if (h->profile < -1 || (h->profile >= 0 && (size_t)h->profile >= c->nprofiles)) {
			rc = errw(err, errlen, h->where, "host '%s' refers to profile %d (%zu defined)",
				  h->name, h->profile, c->nprofiles);
			break;
		}
		for (k = mac_hash(h->mac) & mask; bymac[k]; k = (k + 1) & mask) {
			const struct rb_host *o = &c->hosts[bymac[k] - 1];

			if (!memcmp(o->mac, h->mac, 6)) {
				rc = errw(err, errlen, h->where, "duplicate host mac %s (first at %s)",
					  macstr(h->mac, m), wh(o->where));
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
				  ipstr(h->ip, a));
			break;
		}
		for (k = (size_t)((h->ip * 0x9e3779b97f4a7c15ull) >> 32) & mask; byip[k];
		     k = (k + 1) & mask) {
			const struct rb_host *o = &c->hosts[byip[k] - 1];

			if (o->ip == h->ip) {
				rc = errw(err, errlen, h->where, "duplicate host address %s (first at %s)",
					  ipstr(h->ip, a), wh(o->where));
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
		return errf(err, errlen, "no interface set (config 'interface' or --interface)");
	if (!c->address)
		return errf(err, errlen, "no server address set (config 'address' or --address)");
	if (c->prefix > 32)
		return errf(err, errlen, "address prefix /%u out of range (1..32)", c->prefix);
	if (!c->root[0])
		return errf(err, errlen, "no root directory set (config 'root' or --root)");
	if (c->tftp_port < 1 || c->tftp_port > 65535)
		return errf(err, errlen, "tftp port %u out of range (1..65535)", c->tftp_port);
	if (c->http_port < 1 || c->http_port > 65535)
		return errf(err, errlen, "http port %u out of range (1..65535)", c->http_port);
	if (!c->boot_bios[0] || !c->boot_efi_x64[0] || !c->boot_efi_arm64[0])
		return errf(err, errlen, "empty boot file name");
	if (c->default_profile < -1 ||
	    (c->default_profile >= 0 && (size_t)c->default_profile >= c->nprofiles))
		return errf(err, errlen, "default profile %d does not exist (%zu defined)",
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

/* ------------------------------------------------------------------ */
/* Life cycle                                                          */

void rb_config_init(struct rb_config *c)
{
	memset(c, 0, sizeof(*c));
	c->tftp_port = 69;
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
