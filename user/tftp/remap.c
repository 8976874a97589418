/* Filename remapping engine (tftpd-hpa -m rule files); see remap.h.
 *
 * Semantics follow tftpd-hpa's tftpd/remap.c and tftpd.8 "FILENAME
 * REMAPPING"; the comments below call out the places where the exact
 * behaviour is subtle, because rule files written for tftpd-hpa must map
 * names the same way here.
 */
#include "tftp/remap.h"

#include <arpa/inet.h>
#include <errno.h>
#include <regex.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <syslog.h>

#define NMATCH 10 /* \0 .. \9 */

enum {
	RULE_REWRITE = 1u << 0, /* r */
	RULE_GLOBAL = 1u << 1,  /* g: rescan the whole string after each rewrite */
	RULE_SEDG = 1u << 2,    /* gg: continue after the previous replacement */
	RULE_EXIT = 1u << 3,    /* e */
	RULE_HASFILE = 1u << 4, /* E */
	RULE_RESTART = 1u << 5, /* s */
	RULE_ABORT = 1u << 6,   /* a */
	RULE_JUMP = 1u << 7,    /* j */
	RULE_INVERSE = 1u << 8, /* ~ */
	RULE_RRQ = 1u << 9,     /* G */
	RULE_WRQ = 1u << 10,    /* P */
	RULE_IPV4 = 1u << 11,   /* 4 */
	RULE_IPV6 = 1u << 12,   /* 6 */
	RULE_LABEL = 1u << 13,  /* :name line; has no regex */
};

struct rule {
	unsigned flags;
	unsigned line;
	bool has_rx;
	int nmatch; /* submatches regexec() must report; see matches_needed() */
	regex_t rx;
	char *text; /* replacement, deny message, jump target or label name */
};

struct remap_rules {
	struct rule *v;
	size_t n, cap;
	int max_steps;
	remap_log_fn log;
	void *log_arg;
	int verbosity;
};

/* ------------------------------------------------------------------ */
/* Diagnostics                                                         */

__attribute__((format(printf, 4, 5))) static void rlog(const struct remap_rules *rs, int priority,
							int verbosity, const char *fmt, ...)
{
	va_list ap;
	char *msg;
	int n;

	/* Build the message only if someone will read it: tracing runs per
	 * request and must cost nothing when it is off. */
	if (!rs->log || verbosity > rs->verbosity)
		return;
	va_start(ap, fmt);
	n = vasprintf(&msg, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	rs->log(rs->log_arg, priority, verbosity, msg);
	free(msg);
}

struct parse {
	const char *name;
	unsigned line;
	char *err;
	size_t errlen;
};

/* Report "name:line: message" and return -EINVAL. Only the first error is
 * kept: it is the one the operator has to fix first. */
__attribute__((format(printf, 2, 3))) static int parse_error(struct parse *p, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (!p->err || !p->errlen)
		return -EINVAL;
	n = snprintf(p->err, p->errlen, "%s:%u: ", p->name, p->line);
	if (n >= 0 && (size_t)n < p->errlen) {
		va_start(ap, fmt);
		vsnprintf(p->err + n, p->errlen - (size_t)n, fmt, ap);
		va_end(ap);
	}
	return -EINVAL;
}

/* ------------------------------------------------------------------ */
/* Rule file parsing                                                   */

/* isspace() in the C locale, without its locale and sign pitfalls. */
static bool is_blank(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r';
}

/* Copy the next token of *s into tok and advance *s. A token ends at
 * unescaped whitespace or an unescaped '#' (which makes the rest of the
 * line a comment: every later call then yields an empty token).
 * Backslashes are kept: the regex compiler and the replacement expander
 * give them their meaning, exactly as tftpd-hpa does, so `\#` reaches
 * regcomp() as `\#` and `\\` as `\\`. Returns the token length. */
static size_t next_token(const char **s, char *tok)
{
	const char *p = *s;
	bool escaped = false;
	size_t n = 0;

	while (is_blank(*p))
		p++;
	while (*p && (escaped || (!is_blank(*p) && *p != '#'))) {
		/* "\\" leaves us unescaped again, so "\\#" still comments. */
		escaped = !escaped && *p == '\\';
		tok[n++] = *p++;
	}
	tok[n] = '\0';
	*s = p;
	return n;
}

struct op_letter {
	char letter;
	unsigned flag;
};

static const struct op_letter op_letters[] = {
	{'r', RULE_REWRITE}, {'e', RULE_EXIT}, {'E', RULE_HASFILE}, {'s', RULE_RESTART},
	{'a', RULE_ABORT},   {'j', RULE_JUMP}, {'~', RULE_INVERSE}, {'G', RULE_RRQ},
	{'P', RULE_WRQ},     {'4', RULE_IPV4}, {'6', RULE_IPV6},
};

/* Combinations tftpd-hpa rejects: each pair contradicts itself (what
 * would "rewrite what did not match" or "deny, then restart" mean?). */
static const struct op_letter bad_pairs[][2] = {
	{{'r', RULE_REWRITE}, {'~', RULE_INVERSE}}, {{'r', RULE_REWRITE}, {'a', RULE_ABORT}},
	{{'r', RULE_REWRITE}, {'j', RULE_JUMP}},    {{'a', RULE_ABORT}, {'j', RULE_JUMP}},
	{{'a', RULE_ABORT}, {'s', RULE_RESTART}},   {{'e', RULE_EXIT}, {'j', RULE_JUMP}},
	{{'a', RULE_ABORT}, {'e', RULE_EXIT}},      {{'e', RULE_EXIT}, {'s', RULE_RESTART}},
	{{'e', RULE_EXIT}, {'E', RULE_HASFILE}},    {{'E', RULE_HASFILE}, {'j', RULE_JUMP}},
	{{'a', RULE_ABORT}, {'E', RULE_HASFILE}},   {{'E', RULE_HASFILE}, {'s', RULE_RESTART}},
};

/* Turn one letter into rule flags / regcomp flags. Returns -EINVAL for a
 * letter that is not an operation. */
static int op_letter(char c, unsigned *flags, int *rxflags)
{
	switch (c) {
	case 'g':
		/* A second g upgrades "rescan from the start" to sed-style. */
		*flags |= (*flags & RULE_GLOBAL) ? RULE_SEDG : RULE_GLOBAL;
		return 0;
	case 'i':
		*rxflags |= REG_ICASE;
		return 0;
	default:
		break;
	}
	for (size_t i = 0; i < sizeof(op_letters) / sizeof(op_letters[0]); i++) {
		if (op_letters[i].letter == c) {
			*flags |= op_letters[i].flag;
			return 0;
		}
	}
	return -EINVAL;
}

static int parse_ops(struct parse *p, const char *tok, unsigned *flags, int *rxflags)
{
	for (const char *c = tok; *c; c++) {
		if (op_letter(*c, flags, rxflags) == 0)
			continue;
		if ((unsigned char)*c > ' ' && (unsigned char)*c < 0x7f)
			return parse_error(p, "unknown operation '%c'", *c);
		return parse_error(p, "unknown operation '\\x%02x'", (unsigned char)*c);
	}
	for (size_t i = 0; i < sizeof(bad_pairs) / sizeof(bad_pairs[0]); i++) {
		unsigned both = bad_pairs[i][0].flag | bad_pairs[i][1].flag;

		if ((*flags & both) == both)
			return parse_error(p, "operations '%c' and '%c' cannot be combined",
					   bad_pairs[i][0].letter, bad_pairs[i][1].letter);
	}
	/* g and gg only mean something for a rewrite; tftpd-hpa drops them. */
	if (!(*flags & RULE_REWRITE))
		*flags &= ~(RULE_GLOBAL | RULE_SEDG);
	return 0;
}

static int compile_regex(struct parse *p, struct rule *r, const char *rx, int rxflags)
{
	int rc = regcomp(&r->rx, rx, rxflags);
	size_t need;
	char *msg;

	if (rc == 0) {
		r->has_rx = true;
		return 0;
	}
	/* regcomp() has released what it allocated; r->rx must not be freed. */
	need = regerror(rc, &r->rx, NULL, 0);
	msg = malloc(need);
	if (!msg)
		return parse_error(p, "bad regex");
	regerror(rc, &r->rx, msg, need);
	parse_error(p, "bad regex: %s", msg);
	free(msg);
	return -EINVAL;
}

/* How many submatches regexec() must report for rule r: one more than the
 * highest \N its pattern uses, and at least \0 for a rewrite. Asking glibc
 * for no more than that matters: beyond one it has to compute submatch
 * positions, which is superlinear, and with none the regex can be compiled
 * with REG_NOSUB. Only r, a and j rules expand their pattern. */
static int matches_needed(const struct rule *r)
{
	int n = (r->flags & RULE_REWRITE) ? 1 : 0;

	if (r->flags & RULE_INVERSE)
		return 0;
	if (!(r->flags & (RULE_REWRITE | RULE_ABORT | RULE_JUMP)))
		return 0;
	for (const char *p = r->text; *p; p++) {
		if (*p != '\\')
			continue;
		if (!*++p)
			break;
		if (*p >= '0' && *p <= '9' && *p - '0' + 1 > n)
			n = *p - '0' + 1;
	}
	return n;
}

/* ":name" (or ":" followed by a name token, which tftpd-hpa also takes). */
static int parse_label(struct parse *p, const char *tok, const char **line, char *buf, struct rule *r)
{
	const char *name = tok + 1;

	if (!*name) {
		next_token(line, buf);
		name = buf;
	}
	r->flags = RULE_LABEL;
	r->text = strdup(name);
	if (!r->text)
		return parse_error(p, "out of memory");
	return 1;
}

/* Parse one line into *r. `buf` has room for the whole line. Returns 1 for
 * a rule or label, 0 for a blank/comment line, -errno on error. Tokens
 * after the replacement are ignored, as tftpd-hpa does. */
static int parse_line(struct parse *p, const char *line, char *buf, struct rule *r)
{
	int rxflags = REG_EXTENDED;
	char *regex;
	int rc;

	memset(r, 0, sizeof(*r));
	r->line = p->line;
	if (!next_token(&line, buf))
		return 0;
	if (buf[0] == ':')
		return parse_label(p, buf, &line, buf, r);

	rc = parse_ops(p, buf, &r->flags, &rxflags);
	if (rc < 0)
		return rc;
	if (!next_token(&line, buf))
		return parse_error(p, "missing regex");
	/* The pattern decides how the regex is compiled, so read it first. */
	regex = strdup(buf);
	next_token(&line, buf);
	r->text = strdup(buf);
	if (!regex || !r->text) {
		free(regex);
		free(r->text);
		return parse_error(p, "out of memory");
	}
	r->nmatch = matches_needed(r);
	if (r->nmatch == 0)
		rxflags |= REG_NOSUB;
	rc = compile_regex(p, r, regex, rxflags);
	free(regex);
	if (rc < 0) {
		free(r->text);
		return rc;
	}
	return 1;
}

static void free_rule(struct rule *r)
{
	if (r->has_rx)
		regfree(&r->rx);
	free(r->text);
}

static int add_rule(struct remap_rules *rs, const struct rule *r)
{
	if (rs->n == rs->cap) {
		size_t cap = rs->cap ? rs->cap * 2 : 16;
		struct rule *v = realloc(rs->v, cap * sizeof(*v));

		if (!v)
			return -ENOMEM;
		rs->v = v;
		rs->cap = cap;
	}
	rs->v[rs->n++] = *r;
	return 0;
}

/* Copy the line starting at text[*pos] into buf, dropping NUL and CR bytes
 * (tftpd-hpa's reader does the same, so DOS line endings are harmless).
 * Returns false at the end of the text. */
static bool next_line(const char *text, size_t len, size_t *pos, char *buf)
{
	size_t i = *pos, n = 0;

	if (i >= len)
		return false;
	for (; i < len && text[i] != '\n'; i++) {
		if (text[i] != '\0' && text[i] != '\r')
			buf[n++] = text[i];
	}
	buf[n] = '\0';
	*pos = i < len ? i + 1 : i;
	return true;
}

static int parse_text(struct remap_rules *rs, struct parse *p, const char *text, size_t len)
{
	size_t pos = 0;
	char *line = malloc(len + 1);
	char *tok = malloc(len + 1);
	int rc = 0;

	if (!line || !tok) {
		rc = parse_error(p, "out of memory");
		goto out;
	}
	while (next_line(text, len, &pos, line)) {
		struct rule r;

		p->line++;
		rc = parse_line(p, line, tok, &r);
		if (rc < 0)
			break;
		if (rc == 0)
			continue;
		rc = add_rule(rs, &r);
		if (rc < 0) {
			free_rule(&r);
			parse_error(p, "out of memory");
			break;
		}
	}
out:
	free(line);
	free(tok);
	return rc < 0 ? rc : 0;
}

struct remap_rules *remap_parse(const char *text, size_t len, const char *name, int max_steps,
				char *err, size_t errlen)
{
	struct parse p = {name ? name : "rules", 0, err, errlen};
	struct remap_rules *rs;

	if (err && errlen)
		err[0] = '\0';
	if (!text)
		len = 0;
	rs = calloc(1, sizeof(*rs));
	if (!rs) {
		parse_error(&p, "out of memory");
		errno = ENOMEM;
		return NULL;
	}
	rs->max_steps = max_steps > 0 ? max_steps : REMAP_DEFAULT_STEPS;
	if (parse_text(rs, &p, text, len) < 0) {
		remap_free(rs);
		errno = EINVAL;
		return NULL;
	}
	return rs;
}

/* Read the whole file: rule files are small, and parsing from memory keeps
 * one code path for files and for tests/fuzzing. */
static int read_all(const char *path, char **data, size_t *len)
{
	FILE *f = fopen(path, "re");
	size_t n = 0, cap = 4096;
	char *buf;
	int rc = 0;

	if (!f)
		return -errno;
	buf = malloc(cap);
	while (buf) {
		size_t got = fread(buf + n, 1, cap - n, f);
		char *bigger;

		n += got;
		if (n < cap)
			break;
		bigger = realloc(buf, cap * 2);
		if (!bigger) {
			free(buf);
			buf = NULL;
			break;
		}
		buf = bigger;
		cap *= 2;
	}
	if (!buf)
		rc = -ENOMEM;
	else if (ferror(f))
		rc = -EIO;
	fclose(f);
	if (rc < 0) {
		free(buf);
		return rc;
	}
	*data = buf;
	*len = n;
	return 0;
}

struct remap_rules *remap_load_file(const char *path, int max_steps, char *err, size_t errlen)
{
	struct remap_rules *rs;
	char *data = NULL;
	size_t len = 0;
	int rc = read_all(path, &data, &len);

	if (rc < 0) {
		if (err && errlen)
			snprintf(err, errlen, "%s: %s", path, strerror(-rc));
		errno = -rc;
		return NULL;
	}
	rs = remap_parse(data, len, path, max_steps, err, errlen);
	rc = errno;
	free(data);
	errno = rc;
	return rs;
}

void remap_free(struct remap_rules *r)
{
	if (!r)
		return;
	for (size_t i = 0; i < r->n; i++)
		free_rule(&r->v[i]);
	free(r->v);
	free(r);
}

size_t remap_rule_count(const struct remap_rules *r)
{
	return r ? r->n : 0;
}

void remap_set_log(struct remap_rules *r, remap_log_fn fn, void *arg, int verbosity)
{
	r->log = fn;
	r->log_arg = arg;
	r->verbosity = verbosity;
}

/* ------------------------------------------------------------------ */
/* Growable strings                                                    */

/* Work strings are heap-allocated and bounded by `limit` (see
 * REMAP_WORK_MIN); the first failure sticks in `err`. */
struct sbuf {
	char *s;
	size_t len, cap, limit;
	int err;
};

static void sb_init(struct sbuf *b, size_t limit)
{
	memset(b, 0, sizeof(*b));
	b->limit = limit;
}

static bool sb_reserve(struct sbuf *b, size_t n)
{
	size_t cap;
	char *s;

	if (b->err)
		return false;
	if (n > b->limit - b->len) {
		b->err = -ENAMETOOLONG;
		return false;
	}
	if (b->len + n < b->cap)
		return true;
	cap = b->cap ? b->cap : 64;
	while (cap <= b->len + n)
		cap *= 2;
	s = realloc(b->s, cap);
	if (!s) {
		b->err = -ENOMEM;
		return false;
	}
	b->s = s;
	b->cap = cap;
	return true;
}

enum fold { FOLD_NONE, FOLD_UPPER, FOLD_LOWER };

/* ASCII-only case mapping: deterministic whatever the process locale, and
 * bytes of multibyte characters pass through untouched. */
static char fold_char(char c, enum fold f)
{
	if (f == FOLD_UPPER && c >= 'a' && c <= 'z')
		return (char)(c - 'a' + 'A');
	if (f == FOLD_LOWER && c >= 'A' && c <= 'Z')
		return (char)(c - 'A' + 'a');
	return c;
}

static void sb_put(struct sbuf *b, const char *p, size_t n, enum fold f)
{
	if (!sb_reserve(b, n))
		return;
	if (f == FOLD_NONE) {
		/* The common case, and the unmatched prefix/suffix copies. */
		memcpy(b->s + b->len, p, n);
	} else {
		for (size_t i = 0; i < n; i++)
			b->s[b->len + i] = fold_char(p[i], f);
	}
	b->len += n;
	b->s[b->len] = '\0';
}

/* Hand the string over to the caller (never NULL on success, even when
 * nothing was put). On failure the buffer is released. */
static int sb_finish(struct sbuf *b, char **out)
{
	if (!sb_reserve(b, 0)) {
		free(b->s);
		return b->err;
	}
	b->s[b->len] = '\0';
	*out = b->s;
	return 0;
}

/* ------------------------------------------------------------------ */
/* Applying rules                                                      */

struct run {
	const struct remap_rules *rs;
	const char *input;
	bool is_write;
	int family;
	remap_valid_fn valid;
	void *valid_arg;
	bool have_addr;
	char ip[INET6_ADDRSTRLEN]; /* \i */
	char hex[33];              /* \x */
	size_t limit;
	int steps; /* rule evaluations left before the deadman fires */
};

static void hex_addr(char *out, const unsigned char *a, size_t n)
{
	static const char digits[] = "0123456789ABCDEF";

	for (size_t i = 0; i < n; i++) {
		out[2 * i] = digits[a[i] >> 4];
		out[2 * i + 1] = digits[a[i] & 15];
	}
	out[2 * n] = '\0';
}

/* Precompute \i and \x once per request. An unknown family leaves them
 * undefined, and (as in tftpd-hpa) "\i" then expands to a plain "i". */
static void set_client(struct run *run, const struct remap_client *c)
{
	run->is_write = c && c->is_write;
	run->family = c ? c->family : AF_UNSPEC;
	run->have_addr = false;
	if (!c || !c->addr || (c->family != AF_INET && c->family != AF_INET6))
		return;
	if (!inet_ntop(c->family, c->addr, run->ip, sizeof(run->ip)))
		run->ip[0] = '\0';
	hex_addr(run->hex, c->addr, c->family == AF_INET ? 4 : 16);
	run->have_addr = true;
}

/* Expand a replacement pattern. Submatch offsets in m are relative to
 * `subj`. Case folding covers literal text, submatches and macros but not
 * the unmatched prefix/suffix, which the caller copies verbatim. */
static void expand(struct sbuf *b, const struct run *run, const char *pat, const char *subj,
		   const regmatch_t *m)
{
	enum fold f = FOLD_NONE;

	while (*pat) {
		char c;

		if (*pat != '\\') {
			sb_put(b, pat++, 1, f);
			continue;
		}
		c = pat[1];
		if (c == '\0') { /* a trailing lone backslash is literal */
			sb_put(b, "\\", 1, FOLD_NONE);
			return;
		}
		pat += 2;
		if (c >= '0' && c <= '9') {
			const regmatch_t *g = &m[c - '0'];

			if (g->rm_so >= 0 && g->rm_eo >= g->rm_so)
				sb_put(b, subj + g->rm_so, (size_t)(g->rm_eo - g->rm_so), f);
		} else if (c == 'U') {
			f = FOLD_UPPER;
		} else if (c == 'L') {
			f = FOLD_LOWER;
		} else if (c == 'E') {
			f = FOLD_NONE;
		} else if (c == '\\') {
			sb_put(b, "\\", 1, FOLD_NONE);
		} else if ((c == 'i' || c == 'x') && run->have_addr) {
			const char *v = c == 'i' ? run->ip : run->hex;

			sb_put(b, v, strlen(v), f);
		} else {
			/* Any other escape just quotes the character: "\ " is
			 * a space, "\#" a hash mark. */
			sb_put(b, &c, 1, f);
		}
	}
}

/* One substitution of the match m in subj + off:
 * subj[0, off + so) + expansion + subj[off + eo, end). *tail is the
 * offset just past the expansion, where gg continues. */
static int substitute(const struct run *run, const struct rule *r, const char *subj, size_t off,
		      const regmatch_t *m, char **out, size_t *tail)
{
	const char *base = subj + off;
	struct sbuf b;

	sb_init(&b, run->limit);
	if (m[0].rm_so < 0) { /* cannot happen after a match; stay safe */
		sb_put(&b, subj, strlen(subj), FOLD_NONE);
		*tail = b.len;
		return sb_finish(&b, out);
	}
	sb_put(&b, subj, off + (size_t)m[0].rm_so, FOLD_NONE);
	expand(&b, run, r->text, base, m);
	*tail = b.len;
	sb_put(&b, base + m[0].rm_eo, strlen(base + m[0].rm_eo), FOLD_NONE);
	return sb_finish(&b, out);
}

/* Expand the pattern alone, for `a` messages and `j` targets. */
static int expand_only(const struct run *run, const struct rule *r, const char *subj,
		       const regmatch_t *m, char **out)
{
	struct sbuf b;

	sb_init(&b, run->limit);
	expand(&b, run, r->text, subj, m);
	return sb_finish(&b, out);
}

static bool take_step(struct run *run)
{
	if (run->steps <= 0)
		return false;
	run->steps--;
	return true;
}

static int deadman(const struct run *run, const char *last)
{
	rlog(run->rs, LOG_ERR, 0, "remap: Breaking loop after %d steps, input = %s, last = %s",
	     run->rs->max_steps, run->input, last);
	return -ELOOP;
}

/* Filters that make a rule invisible: they cost no step, as in tftpd-hpa. */
static bool rule_applies(const struct run *run, const struct rule *r)
{
	if (r->flags & RULE_LABEL)
		return false;
	if ((r->flags & RULE_RRQ) && run->is_write)
		return false;
	if ((r->flags & RULE_WRQ) && !run->is_write)
		return false;
	if ((r->flags & RULE_IPV4) && run->family != AF_INET)
		return false;
	if ((r->flags & RULE_IPV6) && run->family != AF_INET6)
		return false;
	return true;
}

/* Match s against r. Submatches r does not use stay -1 ("unmatched"),
 * which is also what an inverted match (~) leaves for \0..\9. */
static bool rule_matches(const struct rule *r, const char *s, int eflags, regmatch_t *m)
{
	int rc;

	for (int i = 0; i < NMATCH; i++)
		m[i].rm_so = m[i].rm_eo = -1;
	rc = regexec(&r->rx, s, (size_t)r->nmatch, m, eflags);
	return (r->flags & RULE_INVERSE) ? rc == REG_NOMATCH : rc == 0;
}

/* Apply an r rule that matched cur (with m), repeating for g/gg. Each
 * repeat is a step, so a rule whose result always matches again (e.g.
 * "rg x* y", which matches the empty string forever) hits the deadman. */
static int rewrite(struct run *run, const struct rule *r, const char *cur, regmatch_t *m,
		   char **result)
{
	const char *subj = cur;
	char *work = NULL;
	size_t off = 0;

	for (;;) {
		char *next;
		size_t tail;
		int rc = substitute(run, r, subj, off, m, &next, &tail);

		free(work);
		if (rc < 0)
			return rc;
		work = next;
		subj = work;
		rlog(run->rs, LOG_INFO, 4, "remap: line %u: rewrite step: %s", r->line, work);
		if (!(r->flags & RULE_GLOBAL))
			break;
		off = 0;
		if (r->flags & RULE_SEDG) {
			off = tail;
			if (off >= strlen(work))
				break;
		}
		/* gg resumes mid-string: "^" must not match there again. */
		if (!rule_matches(r, work + off, off ? REG_NOTBOL : 0, m))
			break;
		if (!take_step(run)) {
			rc = deadman(run, work);
			free(work);
			return rc;
		}
	}
	*result = work;
	return 0;
}

/* `a`: the expanded pattern is the client's message; an empty one means
 * the standard TFTP text for error 2, "Access denied". The message goes
 * into the caller's out buffer because it may quote the filename. */
static int deny(struct run *run, const struct rule *r, const char *cur, const regmatch_t *m,
		char *out, size_t outlen, const char **errmsg)
{
	char *msg = NULL;
	int rc = expand_only(run, r, cur, m, &msg);

	rlog(run->rs, LOG_INFO, 3, "remap: line %u: abort: %s", r->line, cur);
	if (errmsg)
		*errmsg = REMAP_MSG_DENIED;
	if (rc == 0 && msg[0] && outlen > 1) {
		size_t n = strlen(msg);

		if (n >= outlen)
			n = outlen - 1;
		memcpy(out, msg, n);
		out[n] = '\0';
		if (errmsg)
			*errmsg = out;
	}
	free(msg);
	return -EACCES;
}

/* `j`: find the label the expanded pattern names. Returns its index. */
static int jump_target(struct run *run, const struct rule *r, const char *cur, const regmatch_t *m,
		       size_t *target)
{
	char *name = NULL;
	int rc = expand_only(run, r, cur, m, &name);

	if (rc < 0)
		return rc;
	rc = -ENOENT;
	if (!name[0]) {
		rlog(run->rs, LOG_ERR, 0, "remap: line %u: no label in j rule", r->line);
		rc = -EINVAL;
	}
	for (size_t i = 0; rc == -ENOENT && i < run->rs->n; i++) {
		const struct rule *l = &run->rs->v[i];

		if ((l->flags & RULE_LABEL) && !strcmp(l->text, name)) {
			*target = i;
			rc = 0;
		}
	}
	if (rc == -ENOENT)
		rlog(run->rs, LOG_ERR, 0, "remap: line %u: label not found: %s", r->line, name);
	else if (rc == 0)
		rlog(run->rs, LOG_INFO, 3, "remap: line %u: jump to %s", r->line, name);
	free(name);
	return rc;
}

/* Run the rules over *cur (heap, replaced as rules rewrite it). Returns 0
 * when processing ends normally or through e/E, else -errno. */
static int run_rules(struct run *run, char **cur, char *out, size_t outlen, const char **errmsg)
{
	const struct remap_rules *rs = run->rs;
	size_t i = 0;

	while (i < rs->n) {
		const struct rule *r = &rs->v[i];
		regmatch_t m[NMATCH];
		char *rewritten = NULL;
		int rc;

		i++;
		if (!rule_applies(run, r))
			continue;
		if (!take_step(run))
			return deadman(run, *cur);
		if (!rule_matches(r, *cur, 0, m))
			continue;
		if (r->flags & RULE_REWRITE) {
			rc = rewrite(run, r, *cur, m, &rewritten);
			if (rc < 0)
				return rc;
		}
		/* E: a result that names no transferable file is undone and
		 * the rule counts as not matched. */
		if ((r->flags & RULE_HASFILE) && run->valid &&
		    !run->valid(rewritten ? rewritten : *cur, run->valid_arg)) {
			rlog(rs, LOG_INFO, 3, "remap: line %u: ignoring %s", r->line,
			     rewritten ? "rewrite" : "match");
			free(rewritten);
			continue;
		}
		if (rewritten) {
			free(*cur);
			*cur = rewritten;
			rlog(rs, LOG_INFO, 3, "remap: line %u: rewrite result: %s", r->line, *cur);
		}
		if (r->flags & RULE_ABORT)
			return deny(run, r, *cur, m, out, outlen, errmsg);
		if (r->flags & (RULE_EXIT | RULE_HASFILE)) {
			rlog(rs, LOG_INFO, 3, "remap: line %u: exit", r->line);
			return 0;
		}
		if (r->flags & RULE_RESTART) {
			rlog(rs, LOG_INFO, 3, "remap: line %u: restart", r->line);
			i = 0;
		} else if (r->flags & RULE_JUMP) {
			rc = jump_target(run, r, *cur, m, &i);
			if (rc < 0)
				return rc;
		}
	}
	return 0;
}

static int copy_out(const char *s, char *out, size_t outlen)
{
	size_t n = strlen(s);

	if (n >= outlen)
		return -ENAMETOOLONG;
	memcpy(out, s, n + 1);
	return 0;
}

int remap_apply(const struct remap_rules *r, const char *in, const struct remap_client *c,
		remap_valid_fn valid, void *valid_arg, char *out, size_t outlen, const char **errmsg)
{
	struct run run;
	char *cur;
	size_t inlen;
	int rc;

	if (errmsg)
		*errmsg = REMAP_MSG_FAILURE;
	if (!in || !out)
		return -EINVAL;
	if (!r) {
		rc = copy_out(in, out, outlen);
		if (errmsg && rc == 0)
			*errmsg = NULL;
		return rc;
	}

	memset(&run, 0, sizeof(run));
	run.rs = r;
	run.input = in;
	run.valid = valid;
	run.valid_arg = valid_arg;
	run.steps = r->max_steps;
	set_client(&run, c);
	inlen = strlen(in);
	run.limit = REMAP_WORK_MIN;
	if (run.limit < outlen)
		run.limit = outlen;
	if (run.limit < inlen)
		run.limit = inlen;

	cur = strdup(in);
	if (!cur)
		return -ENOMEM;
	rlog(r, LOG_INFO, 3, "remap: input: %s", cur);
	rc = run_rules(&run, &cur, out, outlen, errmsg);
	if (rc == 0) {
		rlog(r, LOG_INFO, 3, "remap: done: %s", cur);
		rc = copy_out(cur, out, outlen);
	}
	if (rc == 0 && errmsg)
		*errmsg = NULL;
	free(cur);
	return rc;
}
