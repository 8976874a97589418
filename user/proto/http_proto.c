/* HTTP/1.1 request heads and helpers; see http_proto.h for the contract.
 *
 * Everything here reads network bytes through explicit lengths: no
 * function looks at buf[len] or relies on NUL termination of its input
 * slice. Character classes are hand-rolled (no <ctype.h>, no locale). */
#include "proto/http_proto.h"

#include <stdio.h>
#include <string.h>

/* ------------------------------------------------------------------ */
/* Character classes                                                   */

static int lower(int c) { return c >= 'A' && c <= 'Z' ? c + ('a' - 'A') : c; }
static bool is_digit(int c) { return c >= '0' && c <= '9'; }
static bool is_alpha(int c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
static bool is_ows(int c) { return c == ' ' || c == '\t'; }
static bool is_ctl(int c) { return c < 0x20 || c == 0x7f; }

/* RFC 9110 5.6.2 tchar. */
static bool is_tchar(int c)
{
	return is_alpha(c) || is_digit(c) || (c && c < 0x80 && strchr("!#$%&'*+-.^_`|~", c));
}

static int hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = lower(c);
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

/* The n bytes at s equal the literal, ASCII case-insensitively. */
static bool ieq(const char *s, size_t n, const char *lit)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (!lit[i] || lower((unsigned char)s[i]) != lower((unsigned char)lit[i]))
			return false;
	return lit[n] == 0;
}

static bool is_token(const char *s, size_t n)
{
	if (!n)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!is_tchar((unsigned char)s[i]))
			return false;
	return true;
}

/* Host (RFC 9110 7.2): uri-host [":" port]. Lenient on structure, strict on
 * the alphabet: reg-name / IPv4 / IP-literal characters and the port. No
 * whitespace, '/', '@', '?', '#', '\\', quotes or non-ASCII. Empty is valid. */
static bool valid_host(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		int c = (unsigned char)s[i];

		if (!c || (!is_alpha(c) && !is_digit(c) && !strchr("-._~!$&'()*+,;=%:[]", c)))
			return false;
	}
	return true;
}

/* ------------------------------------------------------------------ */
/* Path decoding                                                       */

enum { PATH_OK = 0, PATH_BAD = -1, PATH_LONG = -2 };

/* One decoded byte of in[*i..n): -1 on a bad escape or a forbidden byte
 * (NUL, other control characters, backslash), raw or decoded. */
static int path_byte(const char *in, size_t n, size_t *i, int *out)
{
	int b = (unsigned char)in[*i];

	if (b == '%') {
		int hi, lo;

		if (n - *i < 3)
			return -1;
		hi = hexval((unsigned char)in[*i + 1]);
		lo = hexval((unsigned char)in[*i + 2]);
		if (hi < 0 || lo < 0)
			return -1;
		b = hi << 4 | lo;
		*i += 3;
	} else {
		*i += 1;
	}
	if (is_ctl(b) || b == '\\')
		return -1;
	*out = b;
	return 0;
}

/* Decode and normalise in one pass, segment by segment. The output always
 * holds "/" followed by the surviving segments, each followed by '/'.
 * A segment that does not fit is not stored but counted in `virt`
 * (so are all regular segments after it); a later ".." cancels a counted
 * one first. The result is too long exactly when some remain at the end,
 * so "/<2000 bytes>/../b" still yields "/b". */
static int decode_path(const char *in, size_t n, char *out, size_t cap)
{
	size_t i = 0, o, seg_start, seg_len = 0, virt = 0;
	int c = 0, c0 = 0, c1 = 0;
	bool stored = true;

	if (cap)
		out[0] = 0;
	if (!n || path_byte(in, n, &i, &c) || c != '/')
		return PATH_BAD;
	if (cap < 2)
		return PATH_LONG;
	out[0] = '/';
	o = seg_start = 1;
	for (;;) {
		bool at_end = i == n;

		if (!at_end && path_byte(in, n, &i, &c)) {
			out[0] = 0;
			return PATH_BAD;
		}
		if (at_end || c == '/') {
			if (seg_len == 0 || (seg_len == 1 && c0 == '.')) {
				o = seg_start;                  /* "//" and "/./" */
			} else if (seg_len == 2 && c0 == '.' && c1 == '.') {
				o = seg_start;
				if (virt) {
					virt--;
				} else if (o > 1) {             /* pop; never above root */
					o--;
					while (out[o - 1] != '/')
						o--;
				}
			} else {
				if (virt || !stored) {
					virt++;
					o = seg_start;
				} else if (!at_end) {
					if (o + 1 < cap) {
						out[o++] = '/';
					} else {
						virt++;
						o = seg_start;
					}
				}
			}
			if (at_end)
				break;
			seg_start = o;
			seg_len = 0;
			c0 = c1 = 0;
			stored = virt == 0;
			continue;
		}
		if (seg_len == 0)
			c0 = c;
		else if (seg_len == 1)
			c1 = c;
		seg_len++;
		if (stored) {
			if (o + 1 < cap)
				out[o++] = (char)c;
			else
				stored = false;
		}
	}
	if (virt) {
		out[0] = 0;
		return PATH_LONG;
	}
	out[o] = 0;
	return PATH_OK;
}

int http_decode_path(const char *in, size_t n, char *out, size_t cap)
{
	return decode_path(in, n, out, cap) == PATH_OK ? 0 : -1;
}

/* ------------------------------------------------------------------ */
/* Request head                                                        */

struct head_state {
	unsigned fields, hosts;
	bool absolute;                  /* absolute-form target: host from it */
	bool conn_close, conn_keep_alive;
	bool have_range, have_inm, have_ims, have_if_range, have_ua;
};

/* The next line in buf[*pos, lim): 1 complete, content [*ls, *le) without
 * the CRLF/LF and *pos past it; 0 incomplete; -400 on a bare CR (a CR not
 * directly before the LF, also in an incomplete line once visible). */
static int next_line(const char *buf, size_t lim, size_t *pos, size_t *ls, size_t *le)
{
	const char *start = buf + *pos;
	size_t avail = lim - *pos;
	const char *lf = memchr(start, '\n', avail);
	const char *cr;

	if (!lf) {
		cr = memchr(start, '\r', avail);
		return cr && cr + 1 < start + avail ? -400 : 0;
	}
	*ls = *pos;
	*le = (size_t)(lf - buf);
	*pos = *le + 1;
	if (*le > *ls && buf[*le - 1] == '\r')
		(*le)--;
	if (memchr(buf + *ls, '\r', *le - *ls))
		return -400;
	return 1;
}

/* absolute-form: "http://" or "https://" (scheme case-insensitive). */
static size_t scheme_len(const char *t, size_t n)
{
	if (n >= 7 && ieq(t, 7, "http://"))
		return 7;
	if (n >= 8 && ieq(t, 8, "https://"))
		return 8;
	return 0;
}

static int parse_target(const char *t, size_t n, struct http_request *r, struct head_state *st)
{
	const char *end = t + n, *path, *q, *path_end;
	size_t sl;

	if (n > (size_t)HTTP_MAX_PATH * 3)
		return -414;
	if (memchr(t, '#', n))
		return -400;                            /* fragments are not sent */
	if (t[0] == '/') {
		path = t;                               /* origin-form */
	} else if ((sl = scheme_len(t, n))) {
		const char *a = t + sl, *ae = a;        /* absolute-form */

		while (ae < end && *ae != '/' && *ae != '?')
			ae++;
		if (ae == a || memchr(a, '@', (size_t)(ae - a)) || !valid_host(a, (size_t)(ae - a)))
			return -400;
		r->host = (struct http_str){ a, (size_t)(ae - a) };
		st->absolute = true;
		path = ae;
	} else {
		return -400;                            /* "*", authority-form, junk */
	}
	q = memchr(path, '?', (size_t)(end - path));
	path_end = q ? q : end;
	if (q) {
		size_t ql = (size_t)(end - q - 1);

		if (ql > HTTP_MAX_QUERY - 1)
			return -414;
		memcpy(r->query, q + 1, ql);
		r->query[ql] = 0;
	}
	if (path_end == path) {                         /* "http://host" or "http://host?x" */
		r->path[0] = '/';
		r->path[1] = 0;
		return 0;
	}
	switch (decode_path(path, (size_t)(path_end - path), r->path, sizeof(r->path))) {
	case PATH_OK:
		return 0;
	case PATH_LONG:
		return -414;
	default:
		return -400;
	}
}

/* method SP request-target SP HTTP-version, single spaces. */
static int parse_request_line(const char *l, size_t n, struct http_request *r,
			      struct head_state *st)
{
	const char *sp1 = memchr(l, ' ', n), *sp2 = l + n, *t, *v;
	size_t ml, tl;

	if (!sp1)
		return -400;
	while (sp2 > sp1 && sp2[-1] != ' ')
		sp2--;
	sp2--;                                          /* the last SP */
	if (sp2 == sp1)
		return -400;
	ml = (size_t)(sp1 - l);
	t = sp1 + 1;
	tl = (size_t)(sp2 - t);
	v = sp2 + 1;
	if (!is_token(l, ml) || !tl)
		return -400;
	for (size_t i = 0; i < tl; i++)
		if (is_ctl((unsigned char)t[i]) || t[i] == ' ')
			return -400;
	/* HTTP-version = "HTTP/" DIGIT "." DIGIT, case-sensitive. */
	if ((size_t)(l + n - v) != 8 || memcmp(v, "HTTP/", 5) || !is_digit((unsigned char)v[5]) ||
	    v[6] != '.' || !is_digit((unsigned char)v[7]))
		return -400;
	if (v[5] != '1' || (v[7] != '0' && v[7] != '1'))
		return -505;
	r->minor = v[7] - '0';
	if (ml == 3 && !memcmp(l, "GET", 3))
		r->method = HTTP_GET;
	else if (ml == 4 && !memcmp(l, "HEAD", 4))
		r->method = HTTP_HEAD;
	else
		return -501;
	return parse_target(t, tl, r, st);
}

/* An incomplete request line: a target already longer than we take is
 * 414 now; otherwise wait, up to the head limit. */
static int incomplete_request_line(const char *buf, size_t pos, size_t lim, size_t len)
{
	const char *s = buf + pos, *sp = memchr(s, ' ', lim - pos);

	if (sp) {
		const char *t = sp + 1, *te = memchr(t, ' ', (size_t)(buf + lim - t));
		size_t tl = (size_t)((te ? te : buf + lim) - t);

		if (tl > (size_t)HTTP_MAX_PATH * 3)
			return -414;
	}
	return len >= HTTP_MAX_HEAD ? -431 : 0;
}

/* Connection: a comma-separated list of tokens. */
static void parse_connection(const char *v, size_t n, struct head_state *st)
{
	size_t i = 0;

	while (i < n) {
		size_t s, e;

		while (i < n && (is_ows((unsigned char)v[i]) || v[i] == ','))
			i++;
		s = i;
		while (i < n && v[i] != ',')
			i++;
		e = i;
		while (e > s && is_ows((unsigned char)v[e - 1]))
			e--;
		if (ieq(v + s, e - s, "close"))
			st->conn_close = true;
		else if (ieq(v + s, e - s, "keep-alive"))
			st->conn_keep_alive = true;
	}
}

/* Content-Length: 1*DIGIT, or a list of identical values (RFC 9110 8.6).
 * This server takes no body: every value must be 0. */
static bool content_length_zero(const char *v, size_t n)
{
	size_t i = 0, elems = 0;

	while (i < n) {
		size_t digits = 0;

		while (i < n && is_ows((unsigned char)v[i]))
			i++;
		if (i < n && v[i] == ',') {
			i++;
			continue;
		}
		for (; i < n && is_digit((unsigned char)v[i]); i++, digits++)
			if (v[i] != '0')
				return false;
		while (i < n && is_ows((unsigned char)v[i]))
			i++;
		if (!digits || (i < n && v[i] != ','))
			return false;
		elems++;
	}
	return elems > 0;
}

/* Store a singleton field; a second one is ambiguous: 400. */
static int once(bool *have, struct http_str *dst, struct http_str v)
{
	if (*have)
		return -400;
	*have = true;
	*dst = v;
	return 0;
}

static int parse_field(const char *l, size_t n, struct http_request *r, struct head_state *st)
{
	const char *colon;
	size_t nl, vs, ve;
	struct http_str v;

	if (is_ows((unsigned char)l[0]))
		return -400;                            /* obs-fold, or SP before a name */
	colon = memchr(l, ':', n);
	if (!colon)
		return -400;
	nl = (size_t)(colon - l);
	if (!is_token(l, nl))
		return -400;                            /* includes "Host :" */
	vs = nl + 1;
	ve = n;
	while (vs < ve && is_ows((unsigned char)l[vs]))
		vs++;
	while (ve > vs && is_ows((unsigned char)l[ve - 1]))
		ve--;
	for (size_t i = vs; i < ve; i++)
		if (is_ctl((unsigned char)l[i]) && l[i] != '\t')
			return -400;
	v = (struct http_str){ l + vs, ve - vs };

	switch (nl) {
	case 4:
		if (ieq(l, nl, "Host")) {
			if (st->hosts++ || !valid_host(v.p, v.n))
				return -400;
			if (!st->absolute)
				r->host = v;
		}
		break;
	case 5:
		if (ieq(l, nl, "Range"))
			return once(&st->have_range, &r->range, v);
		break;
	case 8:
		if (ieq(l, nl, "If-Range"))
			return once(&st->have_if_range, &r->if_range, v);
		break;
	case 10:
		if (ieq(l, nl, "Connection"))
			parse_connection(v.p, v.n, st);
		else if (ieq(l, nl, "User-Agent") && !st->have_ua) {
			st->have_ua = true;
			r->user_agent = v;
		}
		break;
	case 13:
		if (ieq(l, nl, "If-None-Match"))
			return once(&st->have_inm, &r->if_none_match, v);
		break;
	case 14:
		if (ieq(l, nl, "Content-Length") && !content_length_zero(v.p, v.n))
			return -400;
		break;
	case 17:
		if (ieq(l, nl, "If-Modified-Since"))
			return once(&st->have_ims, &r->if_modified_since, v);
		if (ieq(l, nl, "Transfer-Encoding"))
			return -400;
		break;
	default:
		break;
	}
	return 0;
}

static int parse_head(const char *buf, size_t len, struct http_request *r)
{
	size_t lim = len < HTTP_MAX_HEAD ? len : HTTP_MAX_HEAD;
	size_t pos = 0, ls = 0, le = 0;
	struct head_state st = { 0 };
	int rc;

	/* RFC 9112 2.2: ignore empty lines before the request line. */
	while (pos < lim) {
		if (buf[pos] == '\n') {
			pos++;
		} else if (buf[pos] == '\r') {
			if (pos + 1 == lim)
				break;
			if (buf[pos + 1] != '\n')
				return -400;
			pos += 2;
		} else {
			break;
		}
	}
	rc = next_line(buf, lim, &pos, &ls, &le);
	if (rc == 0)
		return incomplete_request_line(buf, pos, lim, len);
	if (rc < 0)
		return rc;
	rc = parse_request_line(buf + ls, le - ls, r, &st);
	if (rc < 0)
		return rc;
	for (;;) {
		rc = next_line(buf, lim, &pos, &ls, &le);
		if (rc == 0)
			return len >= HTTP_MAX_HEAD ? -431 : 0;
		if (rc < 0)
			return rc;
		if (le == ls)
			break;                          /* the empty line ending the head */
		if (++st.fields > HTTP_MAX_HEADERS)
			return -431;
		rc = parse_field(buf + ls, le - ls, r, &st);
		if (rc < 0)
			return rc;
	}
	if (r->minor == 1 && !st.hosts)
		return -400;                            /* RFC 9112 3.2 */
	if (r->minor == 1)
		r->keep_alive = !st.conn_close;
	else
		r->keep_alive = st.conn_keep_alive && !st.conn_close;
	r->head_len = pos;
	return (int)pos;
}

int http_parse_request(const char *buf, size_t len, struct http_request *r)
{
	int rc;

	memset(r, 0, sizeof(*r));
	if (!len)
		return 0;
	rc = parse_head(buf, len, r);
	if (rc <= 0)
		memset(r, 0, sizeof(*r));               /* nothing half-parsed survives */
	return rc;
}

/* ------------------------------------------------------------------ */
/* Query strings                                                       */

/* Percent-decode [s, e) into out with '+' as space; -1 on a bad escape,
 * a control character (NUL included) or no room. */
static int decode_value(const char *s, const char *e, char *out, size_t cap)
{
	size_t o = 0;

	while (s < e) {
		int c = (unsigned char)*s;

		if (c == '+') {
			c = ' ';
			s++;
		} else if (c == '%') {
			int hi, lo;

			if (e - s < 3)
				return -1;
			hi = hexval((unsigned char)s[1]);
			lo = hexval((unsigned char)s[2]);
			if (hi < 0 || lo < 0)
				return -1;
			c = hi << 4 | lo;
			s += 3;
		} else {
			s++;
		}
		if (is_ctl(c) || o + 1 >= cap)
			return -1;
		out[o++] = (char)c;
	}
	out[o] = 0;
	return (int)o;
}

int http_query_get(const char *query, const char *key, char *out, size_t cap)
{
	size_t kl = strlen(key);
	const char *p = query;
	int rc;

	if (!cap)
		return -1;
	out[0] = 0;
	for (;;) {
		const char *amp = strchr(p, '&');
		const char *e = amp ? amp : p + strlen(p);
		const char *eq = memchr(p, '=', (size_t)(e - p));
		const char *ke = eq ? eq : e;

		if ((size_t)(ke - p) == kl && !memcmp(p, key, kl)) {
			rc = decode_value(eq ? eq + 1 : e, e, out, cap);
			if (rc < 0)
				out[0] = 0;
			return rc;
		}
		if (!amp)
			return -1;
		p = amp + 1;
	}
}

/* ------------------------------------------------------------------ */
/* Range                                                               */

#define RANGE_NUM_MAX ((uint64_t)1 << 63)

static void skip_ows(const char *s, size_t n, size_t *i)
{
	while (*i < n && is_ows((unsigned char)s[*i]))
		(*i)++;
}

/* 1*DIGIT no greater than 2^63. */
static bool range_num(const char *s, size_t n, size_t *i, uint64_t *v)
{
	size_t start = *i;

	*v = 0;
	while (*i < n && is_digit((unsigned char)s[*i])) {
		uint64_t d = (uint64_t)(s[*i] - '0');

		if (*v > (RANGE_NUM_MAX - d) / 10)
			return false;
		*v = *v * 10 + d;
		(*i)++;
	}
	return *i > start;
}

int http_range(const char *s, size_t n, uint64_t size, uint64_t *start, uint64_t *end)
{
	uint64_t a = 0, b = 0;
	bool suffix = false, open = false;
	unsigned count = 0;
	size_t i = 0;

	skip_ows(s, n, &i);
	if (n - i < 5 || !ieq(s + i, 5, "bytes"))       /* range units: case-insensitive */
		return 0;
	i += 5;
	skip_ows(s, n, &i);
	if (i == n || s[i] != '=')
		return 0;
	i++;
	for (;;) {
		skip_ows(s, n, &i);
		if (i == n)
			break;
		if (s[i] == ',') {                      /* empty list elements are allowed */
			i++;
			continue;
		}
		if (count++)
			return 0;                       /* several ranges: serve it all */
		if (s[i] == '-') {
			i++;
			skip_ows(s, n, &i);
			if (!range_num(s, n, &i, &b))
				return 0;
			suffix = true;
		} else {
			if (!range_num(s, n, &i, &a))
				return 0;
			skip_ows(s, n, &i);
			if (i == n || s[i] != '-')
				return 0;
			i++;
			skip_ows(s, n, &i);
			if (i < n && is_digit((unsigned char)s[i])) {
				if (!range_num(s, n, &i, &b))
					return 0;
			} else {
				open = true;
			}
		}
		skip_ows(s, n, &i);
		if (i < n && s[i] != ',')
			return 0;
	}
	if (!count)
		return 0;
	if (suffix) {
		if (b == 0)
			return -1;
		/* RFC 9110 14.1.1: a non-zero suffix of an empty representation
		 * is satisfiable, but there is no byte to send: ignore the
		 * header and answer 200 with the empty body. */
		if (size == 0)
			return 0;
		*start = b >= size ? 0 : size - b;
		*end = size - 1;
		return 1;
	}
	if (!open && a > b)
		return 0;                               /* invalid: ignore */
	if (a >= size)
		return -1;
	*start = a;
	*end = open || b >= size ? size - 1 : b;
	return 1;
}

/* ------------------------------------------------------------------ */
/* Entity tags                                                         */

void http_etag(char *out, size_t cap, uint64_t size, int64_t mtime_ns)
{
	if (!cap)
		return;
	snprintf(out, cap, "\"%llx-%llx\"", (unsigned long long)size,
		 (unsigned long long)mtime_ns);
}

/* etagc = %x21 / %x23-7E / obs-text */
static bool is_etagc(int c) { return c == 0x21 || (c >= 0x23 && c != 0x7f); }

bool http_etag_matches(const char *list, size_t n, const char *etag)
{
	const char *mine = etag;
	size_t ml, i = 0;

	if (mine[0] == 'W' && mine[1] == '/')
		mine += 2;
	ml = strlen(mine);
	for (;;) {
		size_t j;

		while (i < n && (is_ows((unsigned char)list[i]) || list[i] == ','))
			i++;
		if (i == n)
			return false;
		if (list[i] == '*') {
			i++;
			skip_ows(list, n, &i);
			return i == n || list[i] == ',';
		}
		if (n - i >= 2 && list[i] == 'W' && list[i + 1] == '/')
			i += 2;                         /* weak comparison */
		if (i == n || list[i] != '"')
			return false;
		for (j = i + 1; j < n && list[j] != '"'; j++)
			if (!is_etagc((unsigned char)list[j]))
				return false;
		if (j == n)
			return false;
		if (j + 1 - i == ml && !memcmp(list + i, mine, ml))
			return true;
		i = j + 1;
		skip_ows(list, n, &i);
		if (i < n && list[i] != ',')
			return false;
	}
}

/* ------------------------------------------------------------------ */
/* Dates                                                               */

static const char day_short[7][4] = { "Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat" };
static const char *const day_long[7] = { "Sunday", "Monday", "Tuesday", "Wednesday",
					 "Thursday", "Friday", "Saturday" };
static const char month_name[12][4] = { "Jan", "Feb", "Mar", "Apr", "May", "Jun",
					"Jul", "Aug", "Sep", "Oct", "Nov", "Dec" };

static void put_digits(char *p, unsigned v, int k)
{
	while (k--) {
		p[k] = (char)('0' + v % 10);
		v /= 10;
	}
}

/* 0000-01-01T00:00:00Z .. 9999-12-31T23:59:59Z: four-digit years. */
#define DATE_MIN (-62167219200LL)
#define DATE_MAX 253402300799LL

void http_date(char out[30], time_t t)
{
	int64_t v = (int64_t)t;
	time_t tt;
	struct tm tm;

	if (v < DATE_MIN)
		v = DATE_MIN;
	if (v > DATE_MAX)
		v = DATE_MAX;
	tt = (time_t)v;
	if (!gmtime_r(&tt, &tm)) {
		tt = 0;
		gmtime_r(&tt, &tm);
	}
	memcpy(out, day_short[tm.tm_wday % 7], 3);
	out[3] = ',';
	out[4] = ' ';
	put_digits(out + 5, (unsigned)tm.tm_mday, 2);
	out[7] = ' ';
	memcpy(out + 8, month_name[tm.tm_mon % 12], 3);
	out[11] = ' ';
	put_digits(out + 12, (unsigned)(tm.tm_year + 1900), 4);
	out[16] = ' ';
	put_digits(out + 17, (unsigned)tm.tm_hour, 2);
	out[19] = ':';
	put_digits(out + 20, (unsigned)tm.tm_min, 2);
	out[22] = ':';
	put_digits(out + 23, (unsigned)tm.tm_sec, 2);
	memcpy(out + 25, " GMT", 5);                    /* with the NUL: 30 bytes */
}

struct cursor { const char *s; size_t n, i; };

static bool lit(struct cursor *c, const char *l)
{
	size_t k = strlen(l);

	if (c->n - c->i < k || memcmp(c->s + c->i, l, k))
		return false;
	c->i += k;
	return true;
}

static bool digits(struct cursor *c, int k, int *v)
{
	*v = 0;
	if (c->n - c->i < (size_t)k)
		return false;
	for (int j = 0; j < k; j++) {
		int d = (unsigned char)c->s[c->i + (size_t)j];

		if (!is_digit(d))
			return false;
		*v = *v * 10 + (d - '0');
	}
	c->i += (size_t)k;
	return true;
}

static bool month(struct cursor *c, int *m)
{
	for (int j = 0; j < 12; j++)
		if (lit(c, month_name[j])) {
			*m = j;
			return true;
		}
	return false;
}

/* time-of-day = hour ":" minute ":" second; second 60 is a leap second. */
static bool time_of_day(struct cursor *c, struct tm *tm)
{
	return digits(c, 2, &tm->tm_hour) && lit(c, ":") && digits(c, 2, &tm->tm_min) &&
	       lit(c, ":") && digits(c, 2, &tm->tm_sec) && tm->tm_hour < 24 && tm->tm_min < 60 &&
	       tm->tm_sec <= 60;
}

static bool leap(int y) { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }

static bool valid_mday(int y, int m, int d)
{
	static const int mdays[12] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };

	return d >= 1 && d <= mdays[m] + (m == 1 && leap(y));
}

time_t http_parse_date(const char *s, size_t n)
{
	struct cursor c;
	struct tm tm;
	int year = 0, mday = 0, mon = 0, form = 0;
	size_t w;
	time_t t;

	while (n && is_ows((unsigned char)*s)) {
		s++;
		n--;
	}
	while (n && is_ows((unsigned char)s[n - 1]))
		n--;
	c = (struct cursor){ s, n, 0 };
	memset(&tm, 0, sizeof(tm));

	for (w = 0; w < n && is_alpha((unsigned char)s[w]); w++)
		;
	for (int d = 0; d < 7 && !form; d++) {
		if (w == 3 && !memcmp(s, day_short[d], 3))
			form = w < n && s[w] == ',' ? 1 : 3;    /* IMF-fixdate / asctime */
		else if (w == strlen(day_long[d]) && !memcmp(s, day_long[d], w))
			form = 2;                               /* RFC 850 */
	}
	c.i = w;
	switch (form) {
	case 1:         /* Sun, 06 Nov 1994 08:49:37 GMT */
		if (!lit(&c, ", ") || !digits(&c, 2, &mday) || !lit(&c, " ") || !month(&c, &mon) ||
		    !lit(&c, " ") || !digits(&c, 4, &year) || !lit(&c, " ") ||
		    !time_of_day(&c, &tm) || !lit(&c, " GMT"))
			return -1;
		break;
	case 2:         /* Sunday, 06-Nov-94 08:49:37 GMT */
		if (!lit(&c, ", ") || !digits(&c, 2, &mday) || !lit(&c, "-") || !month(&c, &mon) ||
		    !lit(&c, "-") || !digits(&c, 2, &year) || !lit(&c, " ") ||
		    !time_of_day(&c, &tm) || !lit(&c, " GMT"))
			return -1;
		year += year < 70 ? 2000 : 1900;
		break;
	case 3:         /* Sun Nov  6 08:49:37 1994 */
		if (!lit(&c, " ") || !month(&c, &mon) || !lit(&c, " "))
			return -1;
		if (lit(&c, " ") ? !digits(&c, 1, &mday) : !digits(&c, 2, &mday))
			return -1;                      /* " 6" or "16" */
		if (!lit(&c, " ") || !time_of_day(&c, &tm) ||
		    !lit(&c, " ") || !digits(&c, 4, &year))
			return -1;
		break;
	default:
		return -1;
	}
	if (c.i != n || !valid_mday(year, mon, mday))
		return -1;
	tm.tm_mday = mday;
	tm.tm_mon = mon;
	tm.tm_year = year - 1900;
	t = timegm(&tm);
	/* Only what http_date can write back: 23:59:60 on 9999-12-31 is out. */
	return (int64_t)t > DATE_MAX ? -1 : t;
}

/* ------------------------------------------------------------------ */
/* Content types and reason phrases                                    */

const char *http_content_type(const char *path)
{
	static const struct { const char *ext, *type; } types[] = {
		{ "ipxe", "text/plain; charset=utf-8" },
		{ "txt",  "text/plain; charset=utf-8" },
		{ "cfg",  "text/plain; charset=utf-8" },
		{ "conf", "text/plain; charset=utf-8" },
		{ "html", "text/html; charset=utf-8" },
		{ "htm",  "text/html; charset=utf-8" },
		{ "json", "application/json" },
		/* .efi .kpxe .pxe .0 .img .iso .gz .xz .zst .cpio .sig .asc,
		 * kernels and initrds without an extension: the default. */
	};
	const char *base = strrchr(path, '/'), *dot;

	base = base ? base + 1 : path;
	dot = strrchr(base, '.');
	if (dot && dot[1]) {
		size_t n = strlen(dot + 1);

		for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++)
			if (ieq(dot + 1, n, types[i].ext))
				return types[i].type;
	}
	return "application/octet-stream";
}

const char *http_reason(int status)
{
	switch (status) {
	case 200: return "OK";
	case 206: return "Partial Content";
	case 304: return "Not Modified";
	case 400: return "Bad Request";
	case 403: return "Forbidden";
	case 404: return "Not Found";
	case 405: return "Method Not Allowed";
	case 408: return "Request Timeout";
	case 414: return "URI Too Long";
	case 416: return "Range Not Satisfiable";
	case 431: return "Request Header Fields Too Large";
	case 500: return "Internal Server Error";
	case 501: return "Not Implemented";
	case 503: return "Service Unavailable";
	case 505: return "HTTP Version Not Supported";
	default:  return "Unknown";
	}
}
