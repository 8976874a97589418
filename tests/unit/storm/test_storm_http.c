/* Unit tests for rackboot-storm's HTTP client pieces (user/storm_http.c):
 * URLs (absolute, relative to the script's, refused kinds), the GET it
 * sends, and response heads (complete, incomplete, malformed; the
 * headers that steer the client). Heads are parsed flush against a guard
 * page, every prefix too. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "table.h"
#include "guard_page.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>

#include "storm/storm_http.h"

struct url_row {
	const char *why, *in;
	bool with_base;
	int rc;
	const char *ip;
	uint16_t port;
	const char *path;
};

static const struct url_row url_rows[] = {
	{ "script URL from DHCP", "http://198.18.0.1:8080/boot.ipxe", false, 0, "198.18.0.1", 8080, "/boot.ipxe" },
	{ "default port, query kept", "http://10.0.0.1/boot.ipxe?mac=52:54:00:00:00:01", false, 0,
	  "10.0.0.1", 80, "/boot.ipxe?mac=52:54:00:00:00:01" },
	{ "no path", "http://10.0.0.1:81", false, 0, "10.0.0.1", 81, "/" },
	{ "scheme case-insensitive", "HTTP://10.0.0.1/x", false, 0, "10.0.0.1", 80, "/x" },
	{ "absolute path against the base", "/images/vmlinuz", true, 0, "198.18.0.1", 8080, "/images/vmlinuz" },
	{ "relative path replaces the last segment", "initrd.img", true, 0, "198.18.0.1", 8080, "/ipxe/initrd.img" },
	{ "relative path, base query dropped", "k/vmlinuz", true, 0, "198.18.0.1", 8080, "/ipxe/k/vmlinuz" },
	{ "https: iPXE would need TLS", "https://10.0.0.1/x", false, -1, NULL, 0, NULL },
	{ "tftp scheme", "tftp://10.0.0.1/x", true, -1, NULL, 0, NULL },
	{ "a host name needs DNS", "http://boot.example/x", false, -1, NULL, 0, NULL },
	{ "userinfo", "http://u@10.0.0.1/x", false, -1, NULL, 0, NULL },
	{ "port 0", "http://10.0.0.1:0/x", false, -1, NULL, 0, NULL },
	{ "port too big", "http://10.0.0.1:65536/x", false, -1, NULL, 0, NULL },
	{ "port not a number", "http://10.0.0.1:8o/x", false, -1, NULL, 0, NULL },
	{ "empty port", "http://10.0.0.1:/x", false, -1, NULL, 0, NULL },
	{ "relative without a base", "vmlinuz", false, -1, NULL, 0, NULL },
	{ "empty", "", true, -1, NULL, 0, NULL },
	{ "a space would break the request line", "http://10.0.0.1/a b", false, -1, NULL, 0, NULL },
};

static int check_url(const struct url_row *t)
{
	struct shttp_url base, u;
	char ip[INET_ADDRSTRLEN];
	assert_int_equal(shttp_parse_url("http://198.18.0.1:8080/ipxe/boot.ipxe?x=1", NULL, &base), 0);
	int rc = shttp_parse_url(t->in, t->with_base ? &base : NULL, &u);
	if (rc != t->rc) {
		print_error("row \"%s\": rc %d, want %d\n", t->why, rc, t->rc);
		return 1;
	}
	if (rc)
		return 0;
	inet_ntop(AF_INET, &u.ip, ip, sizeof(ip));
	if (strcmp(ip, t->ip) || u.port != t->port || strcmp(u.path, t->path)) {
		print_error("row \"%s\": %s:%u%s\n", t->why, ip, u.port, u.path);
		return 1;
	}
	return 0;
}

static void test_url_table(void **state)
{
	RUN_TABLE(url_rows, check_url, "URL rows");
}

static void test_url_in_place(void **state)
{
	/* resolving into the base itself (how the engine reuses storage) */
	struct shttp_url u;
	assert_int_equal(shttp_parse_url("http://1.2.3.4:5/a/b", NULL, &u), 0);
	assert_int_equal(shttp_parse_url("c", &u, &u), 0);
	assert_string_equal(u.path, "/a/c");
	assert_int_equal(u.port, 5);
}

static void test_build_get(void **state)
{
	struct shttp_url u;
	char out[512];
	assert_int_equal(shttp_parse_url("http://198.18.0.1:8080/vmlinuz", NULL, &u), 0);
	size_t n = shttp_build_get(out, sizeof(out), &u);
	assert_true(n > 0);
	assert_int_equal(strlen(out), n);
	assert_true(!strncmp(out, "GET /vmlinuz HTTP/1.1\r\n", 23));
	assert_non_null(strstr(out, "\r\nHost: 198.18.0.1:8080\r\n"));
	assert_non_null(strstr(out, "\r\nConnection: keep-alive\r\n"));
	assert_non_null(strstr(out, "User-Agent: iPXE/"));
	assert_int_equal(memcmp(out + n - 4, "\r\n\r\n", 4), 0);
	assert_int_equal(shttp_build_get(out, 30, &u), 0);
}

struct head_row {
	const char *why, *in;
	int rc;                 /* 1: complete (head length = strlen up to the blank line) */
	int status;
	int64_t cl, ra;
	bool close, chunked;
};

static const struct head_row head_rows[] = {
	{ "200 with length", "HTTP/1.1 200 OK\r\nContent-Length: 2097152\r\nConnection: keep-alive\r\n\r\n",
	  1, 200, 2097152, -1, false, false },
	{ "503 with Retry-After", "HTTP/1.1 503 Service Unavailable\r\nRetry-After: 5\r\nContent-Length: 57\r\n\r\n",
	  1, 503, 57, 5, false, false },
	{ "Retry-After as a date is ignored", "HTTP/1.1 503 x\r\nRetry-After: Fri, 07 Nov 2025 08:49:37 GMT\r\nContent-Length: 0\r\n\r\n",
	  1, 503, 0, -1, false, false },
	{ "close", "HTTP/1.1 404 Not Found\r\nconnection: Close\r\ncontent-length: 10\r\n\r\n",
	  1, 404, 10, -1, true, false },
	{ "HTTP/1.0 closes by default", "HTTP/1.0 200 OK\r\nContent-Length: 1\r\n\r\n", 1, 200, 1, -1, true, false },
	{ "HTTP/1.0 keep-alive", "HTTP/1.0 200 OK\r\nConnection: keep-alive\r\nContent-Length: 1\r\n\r\n",
	  1, 200, 1, -1, false, false },
	{ "chunked flagged", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n", 1, 200, -1, -1, false, true },
	{ "no length", "HTTP/1.1 200 OK\r\nServer: x\r\n\r\n", 1, 200, -1, -1, false, false },
	{ "blanks around values", "HTTP/1.1 200 OK\r\nContent-Length:  \t42 \r\n\r\n", 1, 200, 42, -1, false, false },
	{ "same length twice is fine", "HTTP/1.1 200 OK\r\nContent-Length: 3\r\nContent-Length: 3\r\n\r\n",
	  1, 200, 3, -1, false, false },
	{ .why = "conflicting lengths", .in = "HTTP/1.1 200 OK\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\n", .rc = -1 },
	{ .why = "negative length", .in = "HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n", .rc = -1 },
	{ .why = "length with junk", .in = "HTTP/1.1 200 OK\r\nContent-Length: 12a\r\n\r\n", .rc = -1 },
	{ .why = "not HTTP", .in = "ICY 200 OK\r\n\r\n", .rc = -1 },
	{ .why = "status not 3 digits", .in = "HTTP/1.1 20 OK\r\n\r\n", .rc = -1 },
	{ .why = "HTTP/2 status line", .in = "HTTP/2 200 OK\r\n\r\n", .rc = -1 },
	{ .why = "incomplete head", .in = "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n", .rc = 0 },
	{ .why = "nothing yet", .in = "", .rc = 0 },
};

static int check_head(const struct head_row *t)
{
	struct shttp_resp r;
	size_t n = strlen(t->in);
	int rc = shttp_parse_head((const char *)guard_flush(t->in, n), n, &r);
	int want = t->rc == 1 ? (int)n : t->rc;
	if (rc != want) {
		print_error("row \"%s\": rc %d, want %d\n", t->why, rc, want);
		return 1;
	}
	if (rc <= 0)
		return 0;
	if (r.status != t->status || r.content_length != t->cl || r.retry_after != t->ra ||
	    r.close != t->close || r.chunked != t->chunked || r.head_len != n) {
		print_error("row \"%s\": status %d cl %lld ra %lld close %d chunked %d\n", t->why,
			    r.status, (long long)r.content_length, (long long)r.retry_after, r.close, r.chunked);
		return 1;
	}
	return 0;
}

static void test_head_table(void **state)
{
	RUN_TABLE(head_rows, check_head, "head rows");
}

static void test_head_with_body_and_prefixes(void **state)
{
	static const char in[] = "HTTP/1.1 200 OK\r\nContent-Length: 6\r\n\r\n#!ipxe";
	size_t head = sizeof(in) - 1 - 6;
	struct shttp_resp r;
	assert_int_equal(shttp_parse_head(in, sizeof(in) - 1, &r), (int)head);   /* body bytes after it */
	for (size_t cut = 0; cut < head; cut++)
		assert_int_equal(shttp_parse_head((const char *)guard_flush(in, cut), cut, &r), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_url_table),
		cmocka_unit_test(test_url_in_place),
		cmocka_unit_test(test_build_get),
		cmocka_unit_test(test_head_table),
		cmocka_unit_test(test_head_with_body_and_prefixes),
	};
	return cmocka_run_group_tests(tests, guard_setup, guard_teardown);
}
