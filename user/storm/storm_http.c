/* HTTP client pieces: URLs, GET, response heads (see storm_http.h). */
#include "storm/storm_http.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static int parse_ip(const char *s, size_t n, uint32_t *ip)
{
	char tmp[16];
	struct in_addr a;
	if (n == 0 || n >= sizeof(tmp))
		return -1;
	memcpy(tmp, s, n);
	tmp[n] = 0;
	if (inet_pton(AF_INET, tmp, &a) != 1)
		return -1;
	*ip = a.s_addr;
	return 0;
}

int shttp_parse_url(const char *s, const struct shttp_url *base, struct shttp_url *u)
{
	size_t n;

	if (!strncasecmp(s, "http://", 7)) {
		const char *h = s + 7, *slash = strchr(h, '/'), *colon;
		const char *hend = slash ? slash : h + strlen(h);
		if (memchr(h, '@', (size_t)(hend - h)))
			return -1;
		colon = memchr(h, ':', (size_t)(hend - h));
		if (parse_ip(h, (size_t)((colon ? colon : hend) - h), &u->ip) < 0)
			return -1;
		u->port = 80;
		if (colon) {
			char *e;
			unsigned long p = strtoul(colon + 1, &e, 10);
			if (e != hend || e == colon + 1 || p == 0 || p > 65535)
				return -1;
			u->port = (uint16_t)p;
		}
		s = slash ? slash : "/";
	} else if (strstr(s, "://") || !base || !*s) {
		return -1;                                /* another scheme, or nothing to resolve */
	} else if (*s != '/') {
		/* relative path: replace the base's last segment */
		const char *q = strchr(base->path, '?');
		size_t bl = q ? (size_t)(q - base->path) : strlen(base->path);
		while (bl > 0 && base->path[bl - 1] != '/')
			bl--;
		if (bl + strlen(s) >= sizeof(u->path))
			return -1;
		if (u != base)
			*u = (struct shttp_url){ .ip = base->ip, .port = base->port };
		char tmp[SHTTP_MAX_PATH];
		memcpy(tmp, base->path, bl);
		strcpy(tmp + bl, s);
		strcpy(u->path, tmp);
		return 0;
	} else {
		u->ip = base->ip;
		u->port = base->port;
	}
	n = strlen(s);
	if (n >= sizeof(u->path))
		return -1;
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)s[i] <= ' ' || s[i] == 0x7f)
			return -1;                        /* would break the request line */
	memmove(u->path, s, n + 1);
	return 0;
}

size_t shttp_build_get(char *out, size_t cap, const struct shttp_url *u)
{
	char host[INET_ADDRSTRLEN];
	struct in_addr a = { u->ip };
	inet_ntop(AF_INET, &a, host, sizeof(host));
	int n = snprintf(out, cap,
			 "GET %s HTTP/1.1\r\n"
			 "Connection: keep-alive\r\n"
			 "User-Agent: iPXE/1.21.1+ (rackboot-storm)\r\n"
			 "Host: %s:%u\r\n"
			 "\r\n", u->path, host, u->port);
	return n > 0 && (size_t)n < cap ? (size_t)n : 0;
}

/* Does header line [p, e) have name `name`? Sets *v to the trimmed value. */
static bool header_is(const char *p, const char *e, const char *name, const char **v, size_t *vn)
{
	size_t n = strlen(name);
	if ((size_t)(e - p) <= n || p[n] != ':' || strncasecmp(p, name, n))
		return false;
	p += n + 1;
	while (p < e && (*p == ' ' || *p == '\t'))
		p++;
	while (e > p && (e[-1] == ' ' || e[-1] == '\t'))
		e--;
	*v = p;
	*vn = (size_t)(e - p);
	return true;
}

static int64_t decimal(const char *v, size_t n)
{
	int64_t x = 0;
	if (n == 0 || n > 18)
		return -1;
	for (size_t i = 0; i < n; i++) {
		if (v[i] < '0' || v[i] > '9')
			return -1;
		x = x * 10 + (v[i] - '0');
	}
	return x;
}

/* Case-insensitive search for token `t` in a comma list. */
static bool has_token(const char *v, size_t n, const char *t)
{
	size_t tl = strlen(t);
	for (size_t i = 0; i + tl <= n; i++)
		if (!strncasecmp(v + i, t, tl))
			return true;
	return false;
}

int shttp_parse_head(const char *buf, size_t len, struct shttp_resp *r)
{
	const char *end = NULL;
	int minor;

	memset(r, 0, sizeof(*r));
	r->content_length = -1;
	r->retry_after = -1;
	for (size_t i = 3; i < len; i++)
		if (buf[i] == '\n' && buf[i - 1] == '\r' && buf[i - 2] == '\n' && buf[i - 3] == '\r') {
			end = buf + i + 1;
			break;
		}
	if (!end)
		return 0;
	r->head_len = (size_t)(end - buf);
	/* status line: HTTP/1.x SP 3DIGIT SP reason */
	if (r->head_len < 14 || strncmp(buf, "HTTP/1.", 7) || buf[7] < '0' || buf[7] > '9' ||
	    buf[8] != ' ')
		return -1;
	minor = buf[7] - '0';
	for (int i = 9; i < 12; i++)
		if (buf[i] < '0' || buf[i] > '9')
			return -1;
	if (buf[12] != ' ' && buf[12] != '\r')
		return -1;
	r->status = (buf[9] - '0') * 100 + (buf[10] - '0') * 10 + (buf[11] - '0');
	r->close = minor == 0;
	const char *p = memchr(buf, '\n', r->head_len) + 1;
	while (p < end - 2) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *e = nl > p && nl[-1] == '\r' ? nl - 1 : nl;
		const char *v;
		size_t vn;
		if (header_is(p, e, "Content-Length", &v, &vn)) {
			int64_t cl = decimal(v, vn);
			if (cl < 0 || (r->content_length >= 0 && r->content_length != cl))
				return -1;        /* unparsable or conflicting: RFC 9112 6.3 */
			r->content_length = cl;
		} else if (header_is(p, e, "Retry-After", &v, &vn)) {
			r->retry_after = decimal(v, vn);
		} else if (header_is(p, e, "Connection", &v, &vn)) {
			if (has_token(v, vn, "close"))
				r->close = true;
			else if (has_token(v, vn, "keep-alive"))
				r->close = false;
		} else if (header_is(p, e, "Transfer-Encoding", &v, &vn)) {
			r->chunked = true;
		}
		p = nl + 1;
	}
	return (int)r->head_len;
}
