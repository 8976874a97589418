/* iPXE script scanning (see storm_ipxe.h). Only the commands that fetch a
 * boot image matter to a load test; everything else (echo, set, goto,
 * labels, conditionals) is skipped. */
#include "storm/storm_ipxe.h"

#include <stdbool.h>
#include <string.h>

static bool blank(char c) { return c == ' ' || c == '\t'; }

/* Next whitespace-separated token of [*p, e); false at the end. */
static bool token(const char **p, const char *e, const char **t, size_t *n)
{
	const char *s = *p;
	while (s < e && blank(*s))
		s++;
	if (s >= e)
		return false;
	*t = s;
	while (s < e && !blank(*s))
		s++;
	*n = (size_t)(s - *t);
	*p = s;
	return true;
}

static bool tok_is(const char *t, size_t n, const char *w)
{
	return n == strlen(w) && !memcmp(t, w, n);
}

/* Options of imgfetch-like commands that consume the following token. */
static bool takes_value(const char *t, size_t n)
{
	return tok_is(t, n, "--name") || tok_is(t, n, "-n") ||
	       tok_is(t, n, "--timeout") || tok_is(t, n, "-t");
}

int sipxe_parse(const char *s, size_t len, struct sipxe_images *out)
{
	const char *p = s, *end = s + len;
	bool first = true;

	memset(out, 0, sizeof(*out));
	out->kernel = -1;
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *e = nl ? nl : end, *q = p, *t;
		size_t n;
		if (e > p && e[-1] == '\r')
			e--;
		p = nl ? nl + 1 : end;
		if (first) {
			first = false;
			while (q < e && blank(*q))
				q++;
			if ((size_t)(e - q) < 6 || memcmp(q, "#!ipxe", 6))
				return -1;
			continue;
		}
		if (!token(&q, e, &t, &n))
			continue;
		bool kernel = tok_is(t, n, "kernel");
		if (!kernel && !tok_is(t, n, "initrd") && !tok_is(t, n, "module"))
			continue;
		const char *u = NULL;
		size_t un = 0;
		while (token(&q, e, &t, &n)) {
			if (t[0] != '-') {
				u = t;
				un = n;
				break;
			}
			if (takes_value(t, n) && !token(&q, e, &t, &n))
				break;
		}
		if (!u || un >= SIPXE_MAX_URL)
			continue;                    /* a keyword with no URL: iPXE fails it too */
		if (kernel && out->kernel < 0 && out->n < SIPXE_MAX_URLS)
			out->kernel = (int)out->n;
		if (out->n < SIPXE_MAX_URLS) {
			memcpy(out->url[out->n], u, un);
			out->url[out->n][un] = 0;
			out->n++;
		}
	}
	return first ? -1 : 0;                   /* nothing at all: not a script either */
}
