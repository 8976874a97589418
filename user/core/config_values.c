/* The small parsers and validators of single values (addresses, MACs,
 * prefixes, numbers, durations, names) and the helpers that write error
 * messages, shared by the config file, the inventory and the cross-checks.
 * Separate because none of it knows about files, settings or the tables:
 * it is the vocabulary the rest is written in, and rb_parse_* are public
 * (the daemon's flags use them too). */
#include "core/config.h"

#include <arpa/inet.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "core/config_internal.h"

/* ------------------------------------------------------------------ */
/* Errors                                                              */

__attribute__((format(printf, 3, 4))) int cfg_errf(char *err, size_t errlen, const char *fmt, ...)
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
__attribute__((format(printf, 5, 6))) int cfg_errat(char *err, size_t errlen, const char *file,
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

const char *cfg_wh(const char *where)
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

uint32_t cfg_mask_of(unsigned prefix)
{
	return prefix ? 0xffffffffu << (32 - prefix) : 0;
}

unsigned cfg_prefix_of(uint32_t mask)
{
	return (unsigned)__builtin_popcount(mask);
}

bool cfg_mask_ok(uint32_t mask)
{
	uint32_t inv = ~mask;

	return (inv & (inv + 1)) == 0; /* ones then zeros */
}

const char *cfg_ipstr(uint32_t ip, char buf[INET_ADDRSTRLEN])
{
	struct in_addr a = {htonl(ip)};

	inet_ntop(AF_INET, &a, buf, INET_ADDRSTRLEN);
	return buf;
}

const char *cfg_macstr(const uint8_t m[6], char buf[18])
{
	snprintf(buf, 18, "%02x:%02x:%02x:%02x:%02x:%02x", m[0], m[1], m[2], m[3], m[4], m[5]);
	return buf;
}

/* A decimal number (digits only) no larger than max. */
int cfg_parse_uint(const char *s, unsigned long max, unsigned long *out)
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
int cfg_parse_duration(const char *s, unsigned long *out)
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
	if (cfg_parse_uint(num, 0xffffffffUL, &v) < 0)
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
bool cfg_hostname_ok(const char *s)
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
bool cfg_name_ok(const char *s)
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
bool cfg_domain_ok(const char *s)
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
bool cfg_unicast_ok(uint32_t ip)
{
	return (ip >> 24) != 0 && (ip >> 24) != 127 && ip < 0xe0000000u;
}
