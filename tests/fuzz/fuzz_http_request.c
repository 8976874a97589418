/* libFuzzer target for HTTP request heads (user/http_proto.c).
 *
 * Input: bytes as read from a client connection, copied into an exact-size
 * heap buffer so ASan catches any over-read.
 *
 * Checks:
 *  - http_parse_request: > 0, 0 or one of the documented statuses; on
 *    failure the request is cleared; 0 only below HTTP_MAX_HEAD bytes.
 *  - On success: head_len == rc <= len and <= HTTP_MAX_HEAD, the head ends
 *    with an empty line, GET/HEAD, HTTP/1.0 or 1.1, the path is terminated
 *    inside its array, '/'-led, without "/../", "/./", "//", a trailing
 *    "/.." or "/.", a backslash or control characters; the query is
 *    terminated; every header slice lies inside the head, has no CR/LF/NUL
 *    and no surrounding whitespace; the same head alone parses the same,
 *    and one byte short of it is "incomplete".
 *  - http_range, http_etag_matches and http_parse_date on the Range,
 *    If-None-Match and If-Modified-Since slices (and on the raw input):
 *    ranges inside the file, dates that round-trip through http_date.
 *  - http_decode_path on the raw input: a clean path, a fixed point when
 *    it holds no '%'. http_query_get on the query: bounded, terminated. */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_copy.h"
#include "proto/http_proto.h"

#define CHECK(c) do { if (!(c)) __builtin_trap(); } while (0)

static bool all_zero(const void *p, size_t n)
{
	const uint8_t *b = p;

	for (size_t i = 0; i < n; i++)
		if (b[i])
			return false;
	return true;
}

static bool ends_with(const char *s, const char *tail)
{
	size_t n = strlen(s), k = strlen(tail);

	return n >= k && !strcmp(s + n - k, tail);
}

static void check_path(const char *p, size_t cap)
{
	CHECK(memchr(p, 0, cap));
	CHECK(p[0] == '/');
	CHECK(!strstr(p, "/../") && !strstr(p, "/./") && !strstr(p, "//"));
	CHECK(!ends_with(p, "/..") && !ends_with(p, "/."));
	CHECK(!strchr(p, '\\'));
	for (const char *c = p; *c; c++)
		CHECK((unsigned char)*c >= 0x20 && *c != 0x7f);
}

static void check_slice(struct http_str s, const char *head, size_t head_len)
{
	if (!s.p) {
		CHECK(s.n == 0);
		return;
	}
	CHECK(s.p >= head && s.p + s.n <= head + head_len);
	CHECK(!memchr(s.p, '\r', s.n) && !memchr(s.p, '\n', s.n) && !memchr(s.p, 0, s.n));
	if (s.n)
		CHECK(s.p[0] != ' ' && s.p[0] != '\t' && s.p[s.n - 1] != ' ' && s.p[s.n - 1] != '\t');
}

static void check_range(const char *spec, size_t n)
{
	static const uint64_t sizes[] = { 0, 1, 2, 1000, 9223372036854775808ull, UINT64_MAX };

	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		uint64_t s = 0, e = 0;
		int rc = http_range(spec, n, sizes[i], &s, &e);

		CHECK(rc >= -1 && rc <= 1);
		if (rc == 1)
			CHECK(s <= e && e < sizes[i]);
	}
}

static void check_date(const char *s, size_t n)
{
	time_t t = http_parse_date(s, n);
	char out[30];

	if (t == -1)
		return;
	http_date(out, t);
	CHECK(strlen(out) == 29);
	CHECK(http_parse_date(out, 29) == t);
}

static void check_etag(const char *list, size_t n, size_t len)
{
	char tag[64];
	bool m;

	http_etag(tag, sizeof(tag), len, (int64_t)len * 1000000007);
	m = http_etag_matches(list, n, tag);
	/* Weak comparison: the W/ form of our tag answers the same. */
	{
		char weak[70] = "W/";

		strcpy(weak + 2, tag);
		CHECK(http_etag_matches(list, n, weak) == m);
	}
	if (n == strlen(tag) && !memcmp(list, tag, n))
		CHECK(m);
}

static void check_query(const char *q)
{
	static const char *const keys[] = { "mac", "uuid", "a", "" };

	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		char out[HTTP_MAX_QUERY];
		int rc = http_query_get(q, keys[i], out, sizeof(out));

		CHECK(rc >= -1 && rc < (int)sizeof(out));
		if (rc >= 0)
			CHECK(strlen(out) == (size_t)rc);
		rc = http_query_get(q, keys[i], out, 4);
		CHECK(rc >= -1 && rc < 4);
	}
}

static void fuzz_parse(const char *buf, size_t len)
{
	static struct http_request r, r2;
	int rc = http_parse_request(buf, len, &r);

	if (rc <= 0) {
		CHECK(rc == 0 || rc == -400 || rc == -414 || rc == -431 || rc == -501 ||
		      rc == -505);
		CHECK(all_zero(&r, sizeof(r)));
		if (rc == 0)
			CHECK(len < HTTP_MAX_HEAD);
		return;
	}
	CHECK(r.head_len == (size_t)rc && r.head_len <= len && r.head_len <= HTTP_MAX_HEAD);
	CHECK(r.head_len >= 2 && buf[r.head_len - 1] == '\n' &&
	      (buf[r.head_len - 2] == '\n' ||
	       (r.head_len >= 3 && buf[r.head_len - 2] == '\r' && buf[r.head_len - 3] == '\n')));
	CHECK(r.method == HTTP_GET || r.method == HTTP_HEAD);
	CHECK(r.minor == 0 || r.minor == 1);
	check_path(r.path, sizeof(r.path));
	CHECK(memchr(r.query, 0, sizeof(r.query)));
	if (r.minor == 1)
		CHECK(r.host.p);
	check_slice(r.host, buf, r.head_len);
	check_slice(r.range, buf, r.head_len);
	check_slice(r.if_none_match, buf, r.head_len);
	check_slice(r.if_modified_since, buf, r.head_len);
	check_slice(r.if_range, buf, r.head_len);
	check_slice(r.user_agent, buf, r.head_len);

	/* The head alone: the same request; one byte short: incomplete. */
	CHECK(http_parse_request(buf, r.head_len, &r2) == rc);
	CHECK(r2.method == r.method && r2.minor == r.minor && r2.keep_alive == r.keep_alive &&
	      !strcmp(r2.path, r.path) && !strcmp(r2.query, r.query) &&
	      r2.host.p == r.host.p && r2.host.n == r.host.n);
	CHECK(http_parse_request(buf, r.head_len - 1, &r2) == 0);

	if (r.range.p)
		check_range(r.range.p, r.range.n);
	if (r.if_none_match.p)
		check_etag(r.if_none_match.p, r.if_none_match.n, len);
	if (r.if_modified_since.p)
		check_date(r.if_modified_since.p, r.if_modified_since.n);
	check_query(r.query);
	CHECK(http_content_type(r.path) != NULL);
}

static void fuzz_decode(const char *buf, size_t len)
{
	static const size_t caps[] = { 1, 2, 8, HTTP_MAX_PATH };
	char out[HTTP_MAX_PATH], again[HTTP_MAX_PATH];

	for (size_t i = 0; i < sizeof(caps) / sizeof(caps[0]); i++) {
		int rc = http_decode_path(buf, len, out, caps[i]);

		CHECK(rc == 0 || rc == -1);
		if (rc)
			continue;
		CHECK(strlen(out) < caps[i]);
		check_path(out, caps[i]);
		if (!strchr(out, '%')) {
			CHECK(http_decode_path(out, strlen(out), again, sizeof(again)) == 0);
			CHECK(!strcmp(out, again));
		}
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t *buf = fuzz_copy(data, size, HTTP_MAX_HEAD + 2048);

	if (!buf)
		return 0;
	fuzz_parse((const char *)buf, size);
	fuzz_decode((const char *)buf, size);
	if (size <= 512) {
		check_range((const char *)buf, size);
		check_date((const char *)buf, size);
		check_etag((const char *)buf, size, size);
	}
	free(buf);
	return 0;
}
