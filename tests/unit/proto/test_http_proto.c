/* Unit tests for the HTTP/1.1 wire format (user/http_proto.c).
 *
 * Table driven: a parse row is the raw bytes of a request head and the
 * expected verdict (head_len or a negative status), method, version,
 * keep-alive, decoded path, raw query and every header slice. Every input
 * is copied flush against a PROT_NONE guard page, so reading one byte past
 * `len` faults; outputs of bounded writers end at the guard page too. Heads
 * larger than a page use a bigger guarded block of their own. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "table.h"

#include <stdio.h>
#include <string.h>

#include "guard_page.h"
#include "proto/http_proto.h"

/* ------------------------------------------------------------------ */
/* A guarded block for inputs larger than a page                       */

#define BIG_CAP (4 * 4096)

static uint8_t *big_mem;
static size_t big_span;

static int setup(void **state)
{
	if (guard_setup(state))
		return -1;
	big_span = (BIG_CAP + page_size - 1) / page_size * page_size;
	big_mem = mmap(NULL, big_span + page_size, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (big_mem == MAP_FAILED || mprotect(big_mem + big_span, page_size, PROT_NONE))
		return -1;
	return 0;
}

static int teardown(void **state)
{
	munmap(big_mem, big_span + page_size);
	return guard_teardown(state);
}

static const char *big_flush(const void *src, size_t len)
{
	uint8_t *p;

	assert_true(len <= big_span);
	memset(big_mem, 0xA5, big_span);
	p = big_mem + big_span - len;
	memcpy(p, src, len);
	return (const char *)p;
}

/* Anything from a page to BIG_CAP: the right guard either way. */
static const char *flush(const void *src, size_t len)
{
	return len <= page_size ? (const char *)guard_flush(src, len) : big_flush(src, len);
}

/* ------------------------------------------------------------------ */
/* Parsing                                                             */

#define ALL 1             /* rc: the whole input is one head */

struct parse_row {
	const char *why;
	const char *req; size_t len;
	int rc;                 /* ALL, a head_len, 0 or -status */
	enum http_method method;
	int minor;
	bool keep_alive;
	const char *path, *query;
	/* NULL: the header is absent (p == NULL). */
	const char *host, *range, *inm, *ims, *if_range, *ua;
};

#define REQ(s) .req = (s), .len = sizeof(s) - 1
#define LEN(s) ((int)(sizeof(s) - 1))
#define OK11(p) .rc = ALL, .method = HTTP_GET, .minor = 1, .keep_alive = true, .path = (p)
#define HOST "Host: boot\r\n"

#define PIPE1 "GET /first HTTP/1.1\r\nHost: a\r\n\r\n"
#define PIPE2 "HEAD /second HTTP/1.1\r\nHost: b\r\nConnection: close\r\n\r\n"
#define LEADING "\r\n\n\r\nGET /x HTTP/1.1\r\nHost: h\r\n\r\n"

static const struct parse_row parse_rows[] = {
	/* Clients as they are. */
	{"simple GET", REQ("GET /boot.ipxe HTTP/1.1\r\nHost: 10.0.0.1\r\n\r\n"),
	 OK11("/boot.ipxe"), .host = "10.0.0.1"},
	{"iPXE", REQ("GET /boot.ipxe HTTP/1.1\r\nConnection: keep-alive\r\nHost: 10.0.0.1:8080\r\n"
		     "User-Agent: iPXE/1.21.1+ (g3d7b1)\r\n\r\n"),
	 OK11("/boot.ipxe"), .host = "10.0.0.1:8080", .ua = "iPXE/1.21.1+ (g3d7b1)"},
	{"UEFI HTTP boot", REQ("GET /EFI/BOOT/BOOTX64.EFI HTTP/1.1\r\nHost: 10.0.0.1\r\n"
			       "Accept: */*\r\nUser-Agent: UefiHttpBoot/1.0\r\n\r\n"),
	 OK11("/EFI/BOOT/BOOTX64.EFI"), .host = "10.0.0.1", .ua = "UefiHttpBoot/1.0"},
	{"curl with a query", REQ("GET /boot.ipxe?mac=52%3a54%3a00%3a12%3a34%3a56&arch=x86_64 HTTP/1.1\r\n"
				  "Host: server:8080\r\nUser-Agent: curl/7.88.1\r\nAccept: */*\r\n\r\n"),
	 OK11("/boot.ipxe"), .query = "mac=52%3a54%3a00%3a12%3a34%3a56&arch=x86_64",
	 .host = "server:8080", .ua = "curl/7.88.1"},
	{"wrk", REQ("GET / HTTP/1.1\r\nHost: localhost:8080\r\n\r\n"), OK11("/"),
	 .host = "localhost:8080"},
	{"HEAD", REQ("HEAD /vmlinuz HTTP/1.1\r\n" HOST "\r\n"), .rc = ALL, .method = HTTP_HEAD,
	 .minor = 1, .keep_alive = true, .path = "/vmlinuz", .host = "boot"},
	{"HTTP/1.0 without Host", REQ("GET /a HTTP/1.0\r\n\r\n"), .rc = ALL, .method = HTTP_GET,
	 .minor = 0, .keep_alive = false, .path = "/a"},
	{"HTTP/1.0 with Host", REQ("GET /a HTTP/1.0\r\nHost: h\r\n\r\n"), .rc = ALL,
	 .method = HTTP_GET, .minor = 0, .path = "/a", .host = "h"},
	{"every understood header, OWS trimmed",
	 REQ("GET /f HTTP/1.1\r\nHost:boot\r\nRange:   bytes=0-99  \r\nIf-None-Match: \"1-2\", W/\"3-4\"\r\n"
	     "If-Modified-Since:\tSun, 06 Nov 1994 08:49:37 GMT\t\r\nIf-Range: \"1-2\"\r\n"
	     "User-Agent: x y\r\nAccept-Encoding: gzip\r\n\r\n"),
	 OK11("/f"), .host = "boot", .range = "bytes=0-99", .inm = "\"1-2\", W/\"3-4\"",
	 .ims = "Sun, 06 Nov 1994 08:49:37 GMT", .if_range = "\"1-2\"", .ua = "x y"},
	{"header names are case-insensitive",
	 REQ("GET /f HTTP/1.1\r\nhOsT: h\r\nRANGE: bytes=1-2\r\nif-none-match: *\r\n"
	     "IF-MODIFIED-SINCE: x\r\nif-range: y\r\nuser-agent: z\r\nCONNECTION: CLOSE\r\n\r\n"),
	 .rc = ALL, .method = HTTP_GET, .minor = 1, .keep_alive = false, .path = "/f",
	 .host = "h", .range = "bytes=1-2", .inm = "*", .ims = "x", .if_range = "y", .ua = "z"},
	{"empty values", REQ("GET / HTTP/1.1\r\nHost:\r\nX-Empty:   \r\nUser-Agent:\r\n\r\n"),
	 OK11("/"), .host = "", .ua = ""},
	{"HT inside a value and obs-text", REQ("GET / HTTP/1.1\r\n" HOST "User-Agent: a\tb\xc3\xa9\r\n\r\n"),
	 OK11("/"), .host = "boot", .ua = "a\tb\xc3\xa9"},
	{"a second User-Agent is ignored",
	 REQ("GET / HTTP/1.1\r\n" HOST "User-Agent: one\r\nUser-Agent: two\r\n\r\n"),
	 OK11("/"), .host = "boot", .ua = "one"},
	{"Host as IPv6 literal with port", REQ("GET / HTTP/1.1\r\nHost: [fe80::1%25eth0]:8080\r\n\r\n"),
	 OK11("/"), .host = "[fe80::1%25eth0]:8080"},
	{"Content-Length: 0", REQ("GET / HTTP/1.1\r\n" HOST "Content-Length: 0\r\n\r\n"), OK11("/"),
	 .host = "boot"},
	{"Content-Length: 00 and a list of zeros",
	 REQ("GET / HTTP/1.1\r\n" HOST "Content-Length: 00\r\ncontent-length: 0, 0\r\n\r\n"),
	 OK11("/"), .host = "boot"},

	/* Framing. */
	{"pipelined: head_len is the first's", REQ(PIPE1 PIPE2), .rc = LEN(PIPE1),
	 .method = HTTP_GET, .minor = 1, .keep_alive = true, .path = "/first", .host = "a"},
	{"pipelined: the second alone", REQ(PIPE2), .rc = ALL, .method = HTTP_HEAD, .minor = 1,
	 .keep_alive = false, .path = "/second", .host = "b"},
	{"pipelined after a partial second", REQ(PIPE1 "GET /sec"), .rc = LEN(PIPE1),
	 .method = HTTP_GET, .minor = 1, .keep_alive = true, .path = "/first", .host = "a"},
	{"bare LF line endings", REQ("GET /lf HTTP/1.1\nHost: h\nRange: bytes=1-\n\n"), OK11("/lf"),
	 .host = "h", .range = "bytes=1-"},
	{"LF and CRLF mixed", REQ("GET /m HTTP/1.1\nHost: h\r\n\n"), OK11("/m"), .host = "h"},
	{"CRLF then a bare LF ending", REQ("GET /m HTTP/1.1\r\nHost: h\r\n\n"), OK11("/m"), .host = "h"},
	{"leading empty lines are skipped and counted", REQ(LEADING), .rc = LEN(LEADING),
	 .method = HTTP_GET, .minor = 1, .keep_alive = true, .path = "/x", .host = "h"},
	{"bare CR ending the request line", REQ("GET / HTTP/1.1\rHost: h\r\n\r\n"), .rc = -400},
	{"bare CR inside a value", REQ("GET / HTTP/1.1\r\nHost: a\rb\r\n\r\n"), .rc = -400},
	{"bare CR before the request line", REQ("\rGET / HTTP/1.1\r\nHost: h\r\n\r\n"), .rc = -400},
	{"CR CR LF", REQ("GET / HTTP/1.1\r\nHost: h\r\r\n\r\n"), .rc = -400},
	{"bare CR in an incomplete line", REQ("GET / HTTP/1.1\r\nHost: a\rb"), .rc = -400},
	{"bare CR as the empty line", REQ("GET / HTTP/1.1\r\nHost: h\r\n\r\r\n"), .rc = -400},
	{"incomplete: no empty line", REQ("GET / HTTP/1.1\r\nHost: h\r\n"), .rc = 0},
	{"incomplete: CR at the end", REQ("GET / HTTP/1.1\r\nHost: h\r\n\r"), .rc = 0},
	{"empty input", REQ(""), .rc = 0},
	{"only empty lines", REQ("\r\n\r\n\n"), .rc = 0},

	/* Host. */
	{"HTTP/1.1 without Host", REQ("GET / HTTP/1.1\r\nUser-Agent: x\r\n\r\n"), .rc = -400},
	{"two Hosts", REQ("GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n"), .rc = -400},
	{"two identical Hosts", REQ("GET / HTTP/1.1\r\nHost: a\r\nhost: a\r\n\r\n"), .rc = -400},
	{"two Hosts on HTTP/1.0", REQ("GET / HTTP/1.0\r\nHost: a\r\nHost: a\r\n\r\n"), .rc = -400},
	{"Host with a space", REQ("GET / HTTP/1.1\r\nHost: a b\r\n\r\n"), .rc = -400},
	{"Host with a slash", REQ("GET / HTTP/1.1\r\nHost: a/b\r\n\r\n"), .rc = -400},
	{"Host with userinfo", REQ("GET / HTTP/1.1\r\nHost: u@h\r\n\r\n"), .rc = -400},
	{"Host with a quote", REQ("GET / HTTP/1.1\r\nHost: a\"b\r\n\r\n"), .rc = -400},

	/* Connection. */
	{"1.1 Connection: close", REQ("GET / HTTP/1.1\r\n" HOST "Connection: close\r\n\r\n"), .rc = ALL,
	 .method = HTTP_GET, .minor = 1, .keep_alive = false, .path = "/", .host = "boot"},
	{"1.1 Connection: keep-alive", REQ("GET / HTTP/1.1\r\n" HOST "Connection: keep-alive\r\n\r\n"),
	 OK11("/"), .host = "boot"},
	{"1.1 Connection: Upgrade, Close", REQ("GET / HTTP/1.1\r\n" HOST "Connection: Upgrade, Close\r\n\r\n"),
	 .rc = ALL, .method = HTTP_GET, .minor = 1, .keep_alive = false, .path = "/", .host = "boot"},
	{"1.1 close in a second Connection line",
	 REQ("GET / HTTP/1.1\r\n" HOST "Connection: keep-alive\r\nConnection: close\r\n\r\n"),
	 .rc = ALL, .method = HTTP_GET, .minor = 1, .keep_alive = false, .path = "/", .host = "boot"},
	{"1.1 \"closed\" is not close", REQ("GET / HTTP/1.1\r\n" HOST "Connection: closed\r\n\r\n"),
	 OK11("/"), .host = "boot"},
	{"1.0 default close", REQ("GET / HTTP/1.0\r\nConnection: Upgrade\r\n\r\n"), .rc = ALL,
	 .method = HTTP_GET, .minor = 0, .keep_alive = false, .path = "/"},
	{"1.0 Connection: keep-alive", REQ("GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n"),
	 .rc = ALL, .method = HTTP_GET, .minor = 0, .keep_alive = true, .path = "/"},
	{"1.0 Connection: Keep-Alive, Upgrade", REQ("GET / HTTP/1.0\r\nConnection: Keep-Alive, Upgrade\r\n\r\n"),
	 .rc = ALL, .method = HTTP_GET, .minor = 0, .keep_alive = true, .path = "/"},
	{"1.0 keep-alive and close: close wins",
	 REQ("GET / HTTP/1.0\r\nConnection: keep-alive,close\r\n\r\n"),
	 .rc = ALL, .method = HTTP_GET, .minor = 0, .keep_alive = false, .path = "/"},

	/* Request line. */
	{"POST", REQ("POST / HTTP/1.1\r\n" HOST "Content-Length: 0\r\n\r\n"), .rc = -501},
	{"lowercase get is another method", REQ("get / HTTP/1.1\r\n" HOST "\r\n"), .rc = -501},
	{"Head is another method", REQ("Head / HTTP/1.1\r\n" HOST "\r\n"), .rc = -501},
	{"PUT", REQ("PUT /x HTTP/1.1\r\n" HOST "\r\n"), .rc = -501},
	{"OPTIONS *", REQ("OPTIONS * HTTP/1.1\r\n" HOST "\r\n"), .rc = -501},
	{"CONNECT authority", REQ("CONNECT h:443 HTTP/1.1\r\n" HOST "\r\n"), .rc = -501},
	{"GETX", REQ("GETX / HTTP/1.1\r\n" HOST "\r\n"), .rc = -501},
	{"method with a bad character", REQ("GE(T / HTTP/1.1\r\n" HOST "\r\n"), .rc = -400},
	{"HT instead of SP", REQ("GET\t/ HTTP/1.1\r\n" HOST "\r\n"), .rc = -400},
	{"two spaces", REQ("GET  / HTTP/1.1\r\n" HOST "\r\n"), .rc = -400},
	{"space inside the target", REQ("GET /a b HTTP/1.1\r\n" HOST "\r\n"), .rc = -400},
	{"trailing space", REQ("GET / HTTP/1.1 \r\n" HOST "\r\n"), .rc = -400},
	{"leading space", REQ(" GET / HTTP/1.1\r\n" HOST "\r\n"), .rc = -400},
	{"HTTP/0.9 simple request", REQ("GET /\r\n\r\n"), .rc = -400},
	{"only a method", REQ("GET\r\n\r\n"), .rc = -400},
	{"HTTP/2.0", REQ("GET / HTTP/2.0\r\n" HOST "\r\n"), .rc = -505},
	{"HTTP/1.2", REQ("GET / HTTP/1.2\r\n" HOST "\r\n"), .rc = -505},
	{"HTTP/0.9", REQ("GET / HTTP/0.9\r\n" HOST "\r\n"), .rc = -505},
	{"HTTP/2 preface", REQ("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"), .rc = -505},
	{"HTTP/1.1x", REQ("GET / HTTP/1.1x\r\n" HOST "\r\n"), .rc = -400},
	{"HTTP/1", REQ("GET / HTTP/1\r\n" HOST "\r\n"), .rc = -400},
	{"http/1.1 lowercase", REQ("GET / http/1.1\r\n" HOST "\r\n"), .rc = -400},
	{"HTTP/1.a", REQ("GET / HTTP/1.a\r\n" HOST "\r\n"), .rc = -400},
	{"HTTP/11.1", REQ("GET / HTTP/11.1\r\n" HOST "\r\n"), .rc = -400},
	{"NUL in the target", REQ("GET /a\0b HTTP/1.1\r\n" HOST "\r\n"), .rc = -400},
	{"DEL in the target", REQ("GET /a\x7f HTTP/1.1\r\n" HOST "\r\n"), .rc = -400},

	/* Header fields. */
	{"space before the colon", REQ("GET / HTTP/1.1\r\nHost : h\r\n\r\n"), .rc = -400},
	{"HT before the colon", REQ("GET / HTTP/1.1\r\n" HOST "X-A\t: 1\r\n\r\n"), .rc = -400},
	{"obs-fold", REQ("GET / HTTP/1.1\r\n" HOST "User-Agent: a\r\n b\r\n\r\n"), .rc = -400},
	{"obs-fold with HT", REQ("GET / HTTP/1.1\r\n" HOST "X: a\r\n\tb\r\n\r\n"), .rc = -400},
	{"whitespace before the first field", REQ("GET / HTTP/1.1\r\n Host: h\r\n\r\n"), .rc = -400},
	{"no colon", REQ("GET / HTTP/1.1\r\n" HOST "Garbage\r\n\r\n"), .rc = -400},
	{"empty name", REQ("GET / HTTP/1.1\r\n" HOST ": v\r\n\r\n"), .rc = -400},
	{"NUL in a value", REQ("GET / HTTP/1.1\r\n" HOST "User-Agent: a\0b\r\n\r\n"), .rc = -400},
	{"NUL in a name", REQ("GET / HTTP/1.1\r\n" HOST "X\0: b\r\n\r\n"), .rc = -400},
	{"control character in a value", REQ("GET / HTTP/1.1\r\n" HOST "X: \x01\r\n\r\n"), .rc = -400},
	{"ESC in a value", REQ("GET / HTTP/1.1\r\n" HOST "X: \x1b[2J\r\n\r\n"), .rc = -400},
	{"DEL in a value", REQ("GET / HTTP/1.1\r\n" HOST "X: a\x7f\r\n\r\n"), .rc = -400},
	{"Transfer-Encoding", REQ("GET / HTTP/1.1\r\n" HOST "Transfer-Encoding: chunked\r\n\r\n"),
	 .rc = -400},
	{"transfer-encoding: identity", REQ("GET / HTTP/1.1\r\n" HOST "transfer-encoding: identity\r\n\r\n"),
	 .rc = -400},
	{"Content-Length: 5", REQ("GET / HTTP/1.1\r\n" HOST "Content-Length: 5\r\n\r\n"), .rc = -400},
	{"Content-Length: 0 then 5", REQ("GET / HTTP/1.1\r\n" HOST "Content-Length: 0\r\nContent-Length: 5\r\n\r\n"),
	 .rc = -400},
	{"Content-Length: 0, 1", REQ("GET / HTTP/1.1\r\n" HOST "Content-Length: 0, 1\r\n\r\n"), .rc = -400},
	{"Content-Length empty", REQ("GET / HTTP/1.1\r\n" HOST "Content-Length:\r\n\r\n"), .rc = -400},
	{"Content-Length: -0", REQ("GET / HTTP/1.1\r\n" HOST "Content-Length: -0\r\n\r\n"), .rc = -400},
	{"Content-Length: +0", REQ("GET / HTTP/1.1\r\n" HOST "Content-Length: +0\r\n\r\n"), .rc = -400},
	{"Content-Length: 0x0", REQ("GET / HTTP/1.1\r\n" HOST "Content-Length: 0x0\r\n\r\n"), .rc = -400},
	{"Content-Length: 0 0", REQ("GET / HTTP/1.1\r\n" HOST "Content-Length: 0 0\r\n\r\n"), .rc = -400},
	{"Content-Length huge", REQ("GET / HTTP/1.1\r\n" HOST "Content-Length: 99999999999999999999999\r\n\r\n"),
	 .rc = -400},
	{"two Range fields", REQ("GET / HTTP/1.1\r\n" HOST "Range: bytes=0-1\r\nRange: bytes=2-3\r\n\r\n"),
	 .rc = -400},
	{"two If-None-Match fields",
	 REQ("GET / HTTP/1.1\r\n" HOST "If-None-Match: \"a\"\r\nIf-None-Match: \"b\"\r\n\r\n"), .rc = -400},
	{"two If-Modified-Since fields",
	 REQ("GET / HTTP/1.1\r\n" HOST "If-Modified-Since: a\r\nIf-Modified-Since: a\r\n\r\n"), .rc = -400},
	{"two If-Range fields", REQ("GET / HTTP/1.1\r\n" HOST "If-Range: a\r\nIf-Range: b\r\n\r\n"),
	 .rc = -400},

	/* Target forms. */
	{"absolute-form: host and path from the target",
	 REQ("GET http://10.0.0.1:8080/boot.ipxe?x=1 HTTP/1.1\r\nHost: other\r\n\r\n"),
	 OK11("/boot.ipxe"), .query = "x=1", .host = "10.0.0.1:8080"},
	{"absolute-form: scheme case-insensitive, empty path",
	 REQ("GET HTTP://h HTTP/1.1\r\nHost: h\r\n\r\n"), OK11("/"), .host = "h"},
	{"absolute-form: empty path with a query", REQ("GET https://h?q HTTP/1.1\r\nHost: h\r\n\r\n"),
	 OK11("/"), .query = "q", .host = "h"},
	{"absolute-form still needs Host on 1.1", REQ("GET http://h/ HTTP/1.1\r\n\r\n"), .rc = -400},
	{"absolute-form on 1.0", REQ("GET http://h/a/../b HTTP/1.0\r\n\r\n"), .rc = ALL,
	 .method = HTTP_GET, .minor = 0, .path = "/b", .host = "h"},
	{"absolute-form without a host", REQ("GET http:///a HTTP/1.1\r\n" HOST "\r\n"), .rc = -400},
	{"absolute-form with userinfo", REQ("GET http://u:p@h/a HTTP/1.1\r\n" HOST "\r\n"), .rc = -400},
	{"absolute-form with a bad host", REQ("GET http://h\"x/a HTTP/1.1\r\n" HOST "\r\n"), .rc = -400},
	{"ftp scheme", REQ("GET ftp://h/a HTTP/1.1\r\n" HOST "\r\n"), .rc = -400},
	{"http:/a", REQ("GET http:/a HTTP/1.1\r\n" HOST "\r\n"), .rc = -400},
	{"asterisk-form", REQ("GET * HTTP/1.1\r\n" HOST "\r\n"), .rc = -400},
	{"authority-form", REQ("GET boot:80 HTTP/1.1\r\n" HOST "\r\n"), .rc = -400},
	{"relative path", REQ("GET boot.ipxe HTTP/1.1\r\n" HOST "\r\n"), .rc = -400},
	{"fragment", REQ("GET /a#b HTTP/1.1\r\n" HOST "\r\n"), .rc = -400},
	{"fragment after a query", REQ("GET /a?x#b HTTP/1.1\r\n" HOST "\r\n"), .rc = -400},

	/* Paths: decoded and normalised beneath the root. */
	{"/../etc/passwd", REQ("GET /../etc/passwd HTTP/1.1\r\n" HOST "\r\n"), OK11("/etc/passwd"),
	 .host = "boot"},
	{"/a/../../b", REQ("GET /a/../../b HTTP/1.1\r\n" HOST "\r\n"), OK11("/b"), .host = "boot"},
	{"%2e%2e segments", REQ("GET /%2e%2e/%2E%2E/etc/passwd HTTP/1.1\r\n" HOST "\r\n"),
	 OK11("/etc/passwd"), .host = "boot"},
	{"%2e%2e%2f", REQ("GET /%2e%2e%2f%2e%2e%2fetc%2fpasswd HTTP/1.1\r\n" HOST "\r\n"),
	 OK11("/etc/passwd"), .host = "boot"},
	{"..%2f..%2f", REQ("GET /..%2f..%2f..%2fetc/shadow HTTP/1.1\r\n" HOST "\r\n"),
	 OK11("/etc/shadow"), .host = "boot"},
	{"%2f inside a segment", REQ("GET /a%2fb HTTP/1.1\r\n" HOST "\r\n"), OK11("/a/b"), .host = "boot"},
	{"overlong UTF-8 dots stay bytes", REQ("GET /%c0%ae%c0%ae/etc HTTP/1.1\r\n" HOST "\r\n"),
	 OK11("/\xc0\xae\xc0\xae/etc"), .host = "boot"},
	{"raw non-ASCII byte", REQ("GET /caf\xc3\xa9 HTTP/1.1\r\n" HOST "\r\n"), OK11("/caf\xc3\xa9"),
	 .host = "boot"},
	{"dot segments and slashes", REQ("GET //a/./b//.//c/. HTTP/1.1\r\n" HOST "\r\n"),
	 OK11("/a/b/c/"), .host = "boot"},
	{"trailing .. keeps the slash", REQ("GET /a/b/.. HTTP/1.1\r\n" HOST "\r\n"), OK11("/a/"),
	 .host = "boot"},
	{"... is a name", REQ("GET /.../..a/a.. HTTP/1.1\r\n" HOST "\r\n"), OK11("/.../..a/a.."),
	 .host = "boot"},
	{"%00", REQ("GET /a%00.ipxe HTTP/1.1\r\n" HOST "\r\n"), .rc = -400},
	{"backslash", REQ("GET /a\\..\\b HTTP/1.1\r\n" HOST "\r\n"), .rc = -400},
	{"%5c", REQ("GET /..%5c..%5cb HTTP/1.1\r\n" HOST "\r\n"), .rc = -400},
	{"%0a", REQ("GET /a%0aHost:x HTTP/1.1\r\n" HOST "\r\n"), .rc = -400},
	{"truncated escape", REQ("GET /a%2 HTTP/1.1\r\n" HOST "\r\n"), .rc = -400},
	{"truncated escape before the query", REQ("GET /a%?x HTTP/1.1\r\n" HOST "\r\n"), .rc = -400},
	{"bad hex", REQ("GET /a%zz HTTP/1.1\r\n" HOST "\r\n"), .rc = -400},

	/* Queries: raw. */
	{"empty query", REQ("GET /x? HTTP/1.1\r\n" HOST "\r\n"), OK11("/x"), .query = "", .host = "boot"},
	{"query with '?' and '/'", REQ("GET /x?a=1?b=/../c HTTP/1.1\r\n" HOST "\r\n"), OK11("/x"),
	 .query = "a=1?b=/../c", .host = "boot"},
	{"query is not decoded", REQ("GET /x?a=%00%zz+ HTTP/1.1\r\n" HOST "\r\n"), OK11("/x"),
	 .query = "a=%00%zz+", .host = "boot"},
	{"%3f in the path is a name byte, query after", REQ("GET /%3f?q HTTP/1.1\r\n" HOST "\r\n"), OK11("/?"),
	 .query = "q", .host = "boot"},
};

static bool slice_inside(struct http_str s, const char *buf, size_t len)
{
	return s.p >= buf && s.p + s.n <= buf + len;
}

static int check_slice(const struct parse_row *t, const char *name, struct http_str s,
		       const char *want, const char *buf, size_t len)
{
	if (!want) {
		if (s.p || s.n) {
			print_error("row \"%s\": %s present, want absent\n", t->why, name);
			return 1;
		}
		return 0;
	}
	if (!s.p || s.n != strlen(want) || memcmp(s.p, want, s.n) || !slice_inside(s, buf, len)) {
		print_error("row \"%s\": %s \"%.*s\", want \"%s\"\n", t->why, name,
			    s.p ? (int)s.n : 6, s.p ? s.p : "(null)", want);
		return 1;
	}
	return 0;
}

static bool all_zero(const void *p, size_t n)
{
	const uint8_t *b = p;

	for (size_t i = 0; i < n; i++)
		if (b[i])
			return false;
	return true;
}

static int check_parse_row(const struct parse_row *t)
{
	static struct http_request r;
	const char *buf = flush(t->req, t->len);
	int want = t->rc == ALL ? (int)t->len : t->rc;
	int rc, bad = 0;

	memset(&r, 0x5A, sizeof(r));                    /* stale garbage must go */
	rc = http_parse_request(buf, t->len, &r);
	if (rc != want) {
		print_error("row \"%s\": rc %d, want %d\n", t->why, rc, want);
		return 1;
	}
	if (rc <= 0) {
		if (!all_zero(&r, sizeof(r))) {
			print_error("row \"%s\": request not cleared on %d\n", t->why, rc);
			return 1;
		}
		return 0;
	}
	if (r.head_len != (size_t)rc || r.method != t->method || r.minor != t->minor ||
	    r.keep_alive != t->keep_alive) {
		print_error("row \"%s\": head_len %zu method %d minor %d keep_alive %d\n", t->why,
			    r.head_len, r.method, r.minor, r.keep_alive);
		bad = 1;
	}
	if (strcmp(r.path, t->path) || strcmp(r.query, t->query ? t->query : "")) {
		print_error("row \"%s\": path \"%s\" query \"%s\", want \"%s\" \"%s\"\n", t->why,
			    r.path, r.query, t->path, t->query ? t->query : "");
		bad = 1;
	}
	bad |= check_slice(t, "Host", r.host, t->host, buf, t->len);
	bad |= check_slice(t, "Range", r.range, t->range, buf, t->len);
	bad |= check_slice(t, "If-None-Match", r.if_none_match, t->inm, buf, t->len);
	bad |= check_slice(t, "If-Modified-Since", r.if_modified_since, t->ims, buf, t->len);
	bad |= check_slice(t, "If-Range", r.if_range, t->if_range, buf, t->len);
	bad |= check_slice(t, "User-Agent", r.user_agent, t->ua, buf, t->len);
	return bad;
}

static void test_parse_table(void **state)
{
	(void)state;
	RUN_TABLE(parse_rows, check_parse_row, "parse rows");
}

/* A valid head cut anywhere before its end is "read more" (0), whole or
 * with bytes after it, the same head_len. */
static int check_every_prefix(const struct parse_row *t)
{
	static struct http_request r;
	int want = t->rc == ALL ? (int)t->len : t->rc;

	if (want <= 0)
		return 0;
	for (size_t k = 0; k <= t->len; k++) {
		int rc = http_parse_request(flush(t->req, k), k, &r);

		if (rc != (k < (size_t)want ? 0 : want)) {
			print_error("row \"%s\": prefix of %zu bytes gives %d\n", t->why, k, rc);
			return 1;
		}
	}
	return 0;
}

static void test_parse_every_prefix(void **state)
{
	(void)state;
	RUN_TABLE(parse_rows, check_every_prefix, "rows cut short");
}

/* The struct is reused across keep-alive requests: nothing carries over. */
static void test_parse_reinitialises(void **state)
{
	static const char full[] =
		"GET http://h/a?q=1 HTTP/1.1\r\nHost: x\r\nRange: bytes=0-\r\nIf-None-Match: *\r\n"
		"If-Modified-Since: d\r\nIf-Range: e\r\nUser-Agent: u\r\n\r\n";
	static const char bare[] = "HEAD /b HTTP/1.0\r\n\r\n";
	struct http_request r;
	const char *buf;

	(void)state;
	buf = flush(full, sizeof(full) - 1);
	assert_int_equal(http_parse_request(buf, sizeof(full) - 1, &r), (int)sizeof(full) - 1);
	assert_string_equal(r.query, "q=1");
	assert_true(r.keep_alive);
	buf = flush(bare, sizeof(bare) - 1);
	assert_int_equal(http_parse_request(buf, sizeof(bare) - 1, &r), (int)sizeof(bare) - 1);
	assert_int_equal(r.method, HTTP_HEAD);
	assert_int_equal(r.minor, 0);
	assert_false(r.keep_alive);
	assert_string_equal(r.path, "/b");
	assert_string_equal(r.query, "");
	assert_null(r.host.p);
	assert_null(r.range.p);
	assert_null(r.if_none_match.p);
	assert_null(r.if_modified_since.p);
	assert_null(r.if_range.p);
	assert_null(r.user_agent.p);
	assert_int_equal(r.head_len, sizeof(bare) - 1);
}

/* ------------------------------------------------------------------ */
/* Limits: built at run time, some larger than a page                  */

static char big[BIG_CAP];

static size_t cat(size_t at, const char *s)
{
	size_t n = strlen(s);

	assert_true(at + n <= sizeof(big));
	memcpy(big + at, s, n);
	return at + n;
}

static size_t fill(size_t at, char c, size_t n)
{
	assert_true(at + n <= sizeof(big));
	memset(big + at, c, n);
	return at + n;
}

/* "GET <target> HTTP/1.1\r\nHost: h\r\n" + `fields` "X-n: v" lines, padded by
 * one X-Pad field so that the whole head is `total` bytes (0: no pad). */
static size_t build(const char *target, unsigned fields, size_t total)
{
	size_t n = cat(0, "GET ");

	n = cat(n, target);
	n = cat(n, " HTTP/1.1\r\nHost: h\r\n");
	for (unsigned i = 0; i < fields; i++) {
		char line[32];

		snprintf(line, sizeof(line), "X-%u: v\r\n", i);
		n = cat(n, line);
	}
	if (total) {
		size_t pad = total - n - 2 - 9;     /* "X-Pad: " ... "\r\n" and the final CRLF */

		assert_true(total >= n + 11);
		n = cat(n, "X-Pad: ");
		n = fill(n, 'p', pad);
		n = cat(n, "\r\n");
	}
	return cat(n, "\r\n");
}

static int parse_big(size_t len, struct http_request *r)
{
	return http_parse_request(flush(big, len), len, r);
}

static void test_limits_headers(void **state)
{
	static struct http_request r;
	size_t n;

	(void)state;
	/* Host + 63 = 64 field lines: fine; Host + 64: 431. */
	n = build("/", 63, 0);
	assert_int_equal(parse_big(n, &r), (int)n);
	n = build("/", 64, 0);
	assert_int_equal(parse_big(n, &r), -431);
	n = build("/", 200, 0);
	assert_int_equal(parse_big(n, &r), -431);
}

static void test_limits_head_size(void **state)
{
	static struct http_request r;
	size_t n;

	(void)state;
	n = build("/", 0, HTTP_MAX_HEAD);
	assert_int_equal(n, HTTP_MAX_HEAD);
	assert_int_equal(parse_big(n, &r), HTTP_MAX_HEAD);
	/* With a pipelined request after it, still the first. */
	n = cat(n, PIPE1);
	assert_int_equal(parse_big(n, &r), HTTP_MAX_HEAD);
	/* One byte more: the empty line ends past the limit. */
	n = build("/", 0, HTTP_MAX_HEAD + 1);
	assert_int_equal(parse_big(n, &r), -431);
	assert_int_equal(parse_big(HTTP_MAX_HEAD, &r), -431);
	assert_int_equal(parse_big(HTTP_MAX_HEAD - 1, &r), 0);
	n = build("/", 0, 9000);
	assert_int_equal(parse_big(n, &r), -431);
	assert_int_equal(parse_big(HTTP_MAX_HEAD + 100, &r), -431);
	/* Endless empty lines before any request line. */
	for (n = 0; n + 2 <= 9000; n += 2)
		cat(n, "\r\n");
	assert_int_equal(parse_big(n, &r), -431);
	assert_int_equal(parse_big(HTTP_MAX_HEAD - 2, &r), 0);
	/* An endless header value. */
	n = cat(0, "GET / HTTP/1.1\r\nHost: h\r\nX: ");
	n = fill(n, 'v', 9000);
	assert_int_equal(parse_big(n, &r), -431);
	assert_int_equal(parse_big(HTTP_MAX_HEAD - 1, &r), 0);
}

static void test_limits_target(void **state)
{
	static struct http_request r;
	char t[BIG_CAP / 2];
	size_t n, k;

	(void)state;
	/* Decoded path of exactly HTTP_MAX_PATH - 1 bytes from a 3067-byte
	 * escaped one; a 4-byte query makes the target 3072 bytes. */
	k = 0;
	t[k++] = '/';
	for (int i = 0; i < HTTP_MAX_PATH - 2; i++)
		k += (size_t)sprintf(t + k, "%%61");
	memcpy(t + k, "?abcd", 6);
	assert_int_equal(strlen(t), HTTP_MAX_PATH * 3);
	n = build(t, 0, 0);
	assert_int_equal(parse_big(n, &r), (int)n);
	assert_int_equal(strlen(r.path), HTTP_MAX_PATH - 1);
	assert_string_equal(r.query, "abcd");
	/* One more query byte: the target is too long. */
	memcpy(t + k, "?abcde", 7);
	n = build(t, 0, 0);
	assert_int_equal(parse_big(n, &r), -414);
	/* One more path byte: the decoded path is too long. */
	memcpy(t + k, "%61", 4);
	n = build(t, 0, 0);
	assert_int_equal(parse_big(n, &r), -414);
	/* A long segment that a later ".." removes fits. */
	t[0] = '/';
	memset(t + 1, 'a', 2000);
	memcpy(t + 2001, "/../b", 6);
	n = build(t, 0, 0);
	assert_int_equal(parse_big(n, &r), (int)n);
	assert_string_equal(r.path, "/b");
	/* Queries: 255 bytes fine, 256 too long. */
	t[0] = '/';
	t[1] = '?';
	memset(t + 2, 'q', HTTP_MAX_QUERY - 1);
	t[2 + HTTP_MAX_QUERY - 1] = 0;
	n = build(t, 0, 0);
	assert_int_equal(parse_big(n, &r), (int)n);
	assert_int_equal(strlen(r.query), HTTP_MAX_QUERY - 1);
	t[2 + HTTP_MAX_QUERY - 1] = 'q';
	t[2 + HTTP_MAX_QUERY] = 0;
	n = build(t, 0, 0);
	assert_int_equal(parse_big(n, &r), -414);
	/* An incomplete request line whose target is already too long: 414
	 * at once, well before the head limit. */
	n = cat(0, "GET /");
	n = fill(n, 'a', HTTP_MAX_PATH * 3 - 1);
	assert_int_equal(parse_big(n, &r), 0);
	n = fill(n, 'a', 1);
	assert_int_equal(parse_big(n, &r), -414);
	n = fill(n, 'a', 9000 - n);
	assert_int_equal(parse_big(n, &r), -414);
	/* A 9000-byte target that never ends at all. */
	assert_int_equal(parse_big(HTTP_MAX_HEAD, &r), -414);
}

/* ------------------------------------------------------------------ */
/* http_decode_path                                                    */

struct path_row {
	const char *why;
	const char *in; size_t n;
	size_t cap;             /* 0: HTTP_MAX_PATH */
	int rc;
	const char *out;
};

#define P(s) (s), sizeof(s) - 1

static const struct path_row path_rows[] = {
	{"root", P("/"), 0, 0, "/"},
	{"plain", P("/boot.ipxe"), 0, 0, "/boot.ipxe"},
	{"nested with trailing slash", P("/a/b/"), 0, 0, "/a/b/"},
	{"/../etc/passwd", P("/../etc/passwd"), 0, 0, "/etc/passwd"},
	{"/a/../../b", P("/a/../../b"), 0, 0, "/b"},
	{"only ..", P("/.."), 0, 0, "/"},
	{"../..", P("/../.."), 0, 0, "/"},
	{"../ at the end", P("/a/../"), 0, 0, "/"},
	{"/a/b/..", P("/a/b/.."), 0, 0, "/a/"},
	{"/a/.", P("/a/."), 0, 0, "/a/"},
	{"/./", P("/./"), 0, 0, "/"},
	{"//", P("//"), 0, 0, "/"},
	{"collapse", P("///a////b///"), 0, 0, "/a/b/"},
	{"%2e", P("/%2e/a"), 0, 0, "/a"},
	{"%2e%2e", P("/x/%2e%2e/a"), 0, 0, "/a"},
	{".%2e", P("/x/.%2E/a"), 0, 0, "/a"},
	{"%2e%2e%2f all the way", P("/%2e%2e%2f%2e%2e%2f%2e%2e%2fetc%2fpasswd"), 0, 0, "/etc/passwd"},
	{"%2f", P("/a%2Fb"), 0, 0, "/a/b"},
	{"%2f%2f collapses", P("/a%2f%2fb"), 0, 0, "/a/b"},
	{"%c0%ae is not a dot", P("/%c0%ae%c0%ae/x"), 0, 0, "/\xc0\xae\xc0\xae/x"},
	{"%25 is a percent", P("/100%25"), 0, 0, "/100%"},
	{"%252e stays %2e", P("/%252e%252e/x"), 0, 0, "/%2e%2e/x"},
	{"%20", P("/a%20b"), 0, 0, "/a b"},
	{"... and ..a", P("/.../..a/.a./a.."), 0, 0, "/.../..a/.a./a.."},
	{"%00", P("/a%00"), 0, -1, ""},
	{"raw NUL", P("/a\0b"), 0, -1, ""},
	{"%01", P("/a%01"), 0, -1, ""},
	{"%1f", P("/%1f"), 0, -1, ""},
	{"%7f", P("/%7f"), 0, -1, ""},
	{"raw DEL", P("/\x7f"), 0, -1, ""},
	{"raw LF", P("/a\nb"), 0, -1, ""},
	{"backslash", P("/a\\b"), 0, -1, ""},
	{"%5c", P("/a%5Cb"), 0, -1, ""},
	{"truncated %", P("/a%"), 0, -1, ""},
	{"truncated %2", P("/a%2"), 0, -1, ""},
	{"bad hex", P("/a%g0"), 0, -1, ""},
	{"bad hex 2", P("/a%0g"), 0, -1, ""},
	{"empty", P(""), 0, -1, ""},
	{"relative", P("a/b"), 0, -1, ""},
	{"dot first", P("./a"), 0, -1, ""},
	{"%2f first is a slash", P("%2fa"), 0, 0, "/a"},
	{"cap exactly", P("/abc"), 5, 0, "/abc"},
	{"cap one short", P("/abcd"), 5, -1, ""},
	{"trailing slash does not fit", P("/abc/"), 5, -1, ""},
	{"popped overflow fits", P("/abcdefgh/../x"), 5, 0, "/x"},
	{"two overflowing, two pops", P("/abcd/efgh/ijkl/../.."), 7, 0, "/abcd/"},
	{"two overflowing, two pops, no room for the slash", P("/abcd/efgh/ijkl/../.."), 6, -1, ""},
	{"overflow then a fitting segment", P("/abcdefgh/x"), 5, -1, ""},
	{"overflow then dot", P("/abcdefgh/./.."), 5, 0, "/"},
	{"cap 2 holds /", P("/"), 2, 0, "/"},
	{"cap 2 after pops", P("/a/.."), 2, 0, "/"},
	{"cap 1", P("/"), 1, -1, ""},
};

static bool ends_with(const char *s, const char *tail)
{
	size_t n = strlen(s), k = strlen(tail);

	return n >= k && !strcmp(s + n - k, tail);
}

/* The result has none of the forms the server must never see. */
static bool path_clean(const char *p)
{
	return p[0] == '/' && !strstr(p, "/../") && !strstr(p, "/./") && !strstr(p, "//") &&
	       !strchr(p, '\\') && !ends_with(p, "/..") && !ends_with(p, "/.");
}

static int check_path_row(const struct path_row *t)
{
	size_t cap = t->cap ? t->cap : HTTP_MAX_PATH;
	char copy[64], o2[HTTP_MAX_PATH], *out;
	int rc;

	/* The output ending at the guard page (input on the stack)... */
	assert_true(t->n <= sizeof(copy));
	memcpy(copy, t->in, t->n);
	out = (char *)guard_out(cap);
	rc = http_decode_path(copy, t->n, out, cap);
	if (rc != t->rc || (rc == 0 && strcmp(out, t->out)) || (rc && out[0])) {
		print_error("row \"%s\": rc %d \"%s\", want %d \"%s\"\n", t->why, rc,
			    rc ? "" : out, t->rc, t->out);
		return 1;
	}
	if (rc == 0 && !path_clean(out)) {
		print_error("row \"%s\": \"%s\" not normalised\n", t->why, out);
		return 1;
	}
	/* ...then the input flush against it (output on the stack). */
	if (http_decode_path((const char *)guard_flush(t->in, t->n), t->n, o2, cap) != rc ||
	    (rc == 0 && strcmp(o2, t->out))) {
		print_error("row \"%s\": differs with the input at the guard\n", t->why);
		return 1;
	}
	return 0;
}

static void test_decode_path_table(void **state)
{
	(void)state;
	RUN_TABLE(path_rows, check_path_row, "path rows");
}

/* Reference: decode everything, then remove dot segments with an explicit
 * stack and collapse empty segments; compare with the one-pass version
 * over many generated inputs and capacities. */
static int ref_hex(int c)
{
	const char *digits = "0123456789abcdef", *p;

	if (c >= 'A' && c <= 'F')
		c += 'a' - 'A';
	p = c ? strchr(digits, c) : NULL;
	return p ? (int)(p - digits) : -1;
}

static int ref_decode(const char *in, size_t n, char *out, size_t cap)
{
	char dec[512];
	const char *segs[256];
	size_t segl[256], nseg = 0, d = 0, o = 0, i;
	bool trailing = false;

	for (i = 0; i < n;) {
		int c = (unsigned char)in[i];

		if (c == '%') {
			if (n - i < 3 || ref_hex(in[i + 1]) < 0 || ref_hex(in[i + 2]) < 0)
				return -1;
			c = ref_hex(in[i + 1]) * 16 + ref_hex(in[i + 2]);
			i += 3;
		} else {
			i++;
		}
		if (c < 0x20 || c == 0x7f || c == '\\')
			return -1;
		dec[d++] = (char)c;
	}
	if (!d || dec[0] != '/')
		return -1;
	/* Segments after the leading '/'; the last one decides whether the
	 * result ends with '/'. */
	for (i = 1;;) {
		size_t j = i;

		while (j < d && dec[j] != '/')
			j++;
		if (j - i == 0 || (j - i == 1 && dec[i] == '.')) {
			trailing = true;
		} else if (j - i == 2 && dec[i] == '.' && dec[i + 1] == '.') {
			if (nseg)
				nseg--;
			trailing = true;
		} else {
			segs[nseg] = dec + i;
			segl[nseg++] = j - i;
			trailing = false;
		}
		if (j == d)
			break;
		i = j + 1;
	}
	out[o++] = '/';
	for (size_t k = 0; k < nseg; k++) {
		memcpy(out + o, segs[k], segl[k]);
		o += segl[k];
		if (k + 1 < nseg || trailing)
			out[o++] = '/';
	}
	if (o + 1 > cap)
		return -1;
	out[o] = 0;
	return 0;
}

static void test_decode_path_reference(void **state)
{
	static const char *const pieces[] = { "/", "/", "/", ".", ".", "a", "bc", "%2e", "%2E",
					      "%2f", "%41", "%", "%0", "%5c", "%00", "..", "/.." };
	uint32_t seed = 12345;
	unsigned mismatches = 0;

	(void)state;
	for (int iter = 0; iter < 200000; iter++) {
		char in[128], want[1024], got[64];
		size_t n = 0, cap;
		int k, rc_ref, rc;

		seed = seed * 1103515245u + 12345u;
		k = 1 + (int)((seed >> 16) % 12);
		if ((seed >> 8) & 1)
			in[n++] = '/';
		for (int j = 0; j < k; j++) {
			const char *p;

			seed = seed * 1103515245u + 12345u;
			p = pieces[(seed >> 16) % (sizeof(pieces) / sizeof(pieces[0]))];
			memcpy(in + n, p, strlen(p));
			n += strlen(p);
		}
		seed = seed * 1103515245u + 12345u;
		cap = 1 + (seed >> 16) % 20;
		rc_ref = ref_decode(in, n, want, sizeof(want));
		if (rc_ref == 0 && strlen(want) + 1 > cap)
			rc_ref = -1;
		rc = http_decode_path((const char *)guard_flush(in, n), n, got, cap);
		if (rc != rc_ref || (rc == 0 && strcmp(got, want))) {
			if (mismatches++ < 5)
				print_error("\"%.*s\" cap %zu: %d \"%s\", reference %d \"%s\"\n", (int)n,
					    in, cap, rc, rc ? "" : got, rc_ref, rc_ref ? "" : want);
		}
		if (rc == 0 && !path_clean(got))
			mismatches++;
	}
	assert_int_equal(mismatches, 0);
}

/* ------------------------------------------------------------------ */
/* http_query_get                                                      */

struct query_row {
	const char *why, *query, *key;
	size_t cap;             /* 0: 64 */
	int rc;
	const char *out;
};

static const struct query_row query_rows[] = {
	{"first key", "mac=52:54:00:12:34:56&arch=x86_64", "mac", 0, 17, "52:54:00:12:34:56"},
	{"last key", "mac=52:54:00:12:34:56&arch=x86_64", "arch", 0, 6, "x86_64"},
	{"percent-decoded", "mac=52%3a54%3A00", "mac", 0, 8, "52:54:00"},
	{"plus is a space", "name=a+b%20c", "name", 0, 5, "a b c"},
	{"%2b is a plus", "x=1%2b1", "x", 0, 3, "1+1"},
	{"absent", "a=1&b=2", "c", 0, -1, ""},
	{"empty query", "", "a", 0, -1, ""},
	{"exact match only: prefix", "ab=1", "a", 0, -1, ""},
	{"exact match only: longer", "a=1", "ab", 0, -1, ""},
	{"case-sensitive keys", "MAC=1", "mac", 0, -1, ""},
	{"key in a value is not a key", "x=mac=1", "mac", 0, -1, ""},
	{"empty value", "a=&b=2", "a", 0, 0, ""},
	{"key without =", "a&b=2", "a", 0, 0, ""},
	{"first of two", "a=1&a=2", "a", 0, 1, "1"},
	{"empty parameters skipped", "&&a=1&", "a", 0, 1, "1"},
	{"= inside the value", "a=b=c", "a", 0, 3, "b=c"},
	{"bad escape", "a=%zz", "a", 0, -1, ""},
	{"truncated escape", "a=%4", "a", 0, -1, ""},
	{"%00", "a=x%00y", "a", 0, -1, ""},
	{"%0a", "a=x%0ay", "a", 0, -1, ""},
	{"fits exactly", "a=abcd", "a", 5, 4, "abcd"},
	{"one too long", "a=abcde", "a", 5, -1, ""},
	{"cap 1, empty value", "a=", "a", 1, 0, ""},
	{"cap 1, a byte", "a=x", "a", 1, -1, ""},
	{"raw bytes kept", "a=\xc3\xa9", "a", 0, 2, "\xc3\xa9"},
};

static int check_query_row(const struct query_row *t)
{
	size_t cap = t->cap ? t->cap : 64, n = strlen(t->query) + 1;
	char copy[128], o2[64], *out;
	int rc;

	/* The output ending at the guard page (query on the stack)... */
	assert_true(n <= sizeof(copy));
	memcpy(copy, t->query, n);
	out = (char *)guard_out(cap);
	rc = http_query_get(copy, t->key, out, cap);
	if (rc != t->rc || (rc >= 0 && strcmp(out, t->out)) || (rc < 0 && out[0])) {
		print_error("row \"%s\": %d \"%s\", want %d \"%s\"\n", t->why, rc, out, t->rc, t->out);
		return 1;
	}
	/* ...then the query, NUL included, flush against it. */
	if (http_query_get((const char *)guard_flush(t->query, n), t->key, o2, cap) != rc ||
	    (rc >= 0 && strcmp(o2, t->out))) {
		print_error("row \"%s\": differs with the query at the guard\n", t->why);
		return 1;
	}
	return 0;
}

static void test_query_get_table(void **state)
{
	(void)state;
	RUN_TABLE(query_rows, check_query_row, "query rows");
}

/* ------------------------------------------------------------------ */
/* http_range                                                          */

struct range_row {
	const char *spec;
	uint64_t size;
	int rc;
	uint64_t start, end;
};

#define K 1000

static const struct range_row range_rows[] = {
	/* size 1000 */
	{"bytes=0-499", K, 1, 0, 499},
	{"bytes=500-999", K, 1, 500, 999},
	{"bytes=500-", K, 1, 500, 999},
	{"bytes=0-", K, 1, 0, 999},
	{"bytes=-500", K, 1, 500, 999},
	{"bytes=-1", K, 1, 999, 999},
	{"bytes=0-0", K, 1, 0, 0},
	{"bytes=999-999", K, 1, 999, 999},
	{"bytes=999-", K, 1, 999, 999},
	{"bytes=500-5000", K, 1, 500, 999},
	{"bytes=0-999", K, 1, 0, 999},
	{"bytes=0-1000", K, 1, 0, 999},
	{"bytes=-999", K, 1, 1, 999},
	{"bytes=-1000", K, 1, 0, 999},
	{"bytes=-2000", K, 1, 0, 999},
	{"bytes=-0", K, -1, 0, 0},
	{"bytes=1000-", K, -1, 0, 0},
	{"bytes=1000-1000", K, -1, 0, 0},
	{"bytes=1000-2000", K, -1, 0, 0},
	{"bytes=5000-", K, -1, 0, 0},
	{"bytes=500-499", K, 0, 0, 0},
	{"bytes=2000-1000", K, 0, 0, 0},
	/* whitespace and case */
	{" bytes=0-1 ", K, 1, 0, 1},
	{"bytes = 0 - 1", K, 1, 0, 1},
	{"bytes=\t-5\t", K, 1, 995, 999},
	{"BYTES=0-1", K, 1, 0, 1},
	{"Bytes=0-1", K, 1, 0, 1},
	{"bytes=0-1,", K, 1, 0, 1},
	{"bytes=, 0-1 ,,", K, 1, 0, 1},
	/* several ranges: ignored */
	{"bytes=0-1,5-6", K, 0, 0, 0},
	{"bytes=0-1, 5-6", K, 0, 0, 0},
	{"bytes=-1,0-", K, 0, 0, 0},
	{"bytes=0-0,0-0", K, 0, 0, 0},
	{"bytes=5000-,6000-", K, 0, 0, 0},
	/* other units and syntax errors: ignored */
	{"items=0-1", K, 0, 0, 0},
	{"byte=0-1", K, 0, 0, 0},
	{"bytesx=0-1", K, 0, 0, 0},
	{"bytes 0-1", K, 0, 0, 0},
	{"bytes:0-1", K, 0, 0, 0},
	{"bytes", K, 0, 0, 0},
	{"bytes=", K, 0, 0, 0},
	{"bytes=,", K, 0, 0, 0},
	{"bytes=-", K, 0, 0, 0},
	{"bytes=--1", K, 0, 0, 0},
	{"bytes=1--2", K, 0, 0, 0},
	{"bytes=1", K, 0, 0, 0},
	{"bytes=a-b", K, 0, 0, 0},
	{"bytes=1-2x", K, 0, 0, 0},
	{"bytes=1 2-3", K, 0, 0, 0},
	{"bytes=0x10-", K, 0, 0, 0},
	{"bytes=+1-2", K, 0, 0, 0},
	{"bytes=1-+2", K, 0, 0, 0},
	{"bytes=1-2;x", K, 0, 0, 0},
	{"", K, 0, 0, 0},
	{"=0-1", K, 0, 0, 0},
	/* numbers: up to 2^63, leading zeros fine */
	{"bytes=0-9223372036854775808", K, 1, 0, 999},
	{"bytes=0-9223372036854775809", K, 0, 0, 0},
	{"bytes=0-18446744073709551615", K, 0, 0, 0},
	{"bytes=0-18446744073709551616", K, 0, 0, 0},
	{"bytes=99999999999999999999-", K, 0, 0, 0},
	{"bytes=-99999999999999999999", K, 0, 0, 0},
	{"bytes=-9223372036854775808", K, 1, 0, 999},
	{"bytes=9223372036854775808-", K, -1, 0, 0},
	{"bytes=0000000000000000000000000001-0000000000000000000000000002", K, 1, 1, 2},
	{"bytes=9223372036854775808-", UINT64_MAX, 1, 9223372036854775808ull, UINT64_MAX - 1},
	{"bytes=-9223372036854775808", UINT64_MAX, 1, 9223372036854775807ull, UINT64_MAX - 1},
	/* size 0: nothing to send */
	{"bytes=0-", 0, -1, 0, 0},
	{"bytes=0-0", 0, -1, 0, 0},
	{"bytes=0-100", 0, -1, 0, 0},
	{"bytes=-0", 0, -1, 0, 0},
	{"bytes=-1", 0, 0, 0, 0},
	{"bytes=-100", 0, 0, 0, 0},
	{"bytes=5-1", 0, 0, 0, 0},
	{"bytes=0-1,2-3", 0, 0, 0, 0},
	{"items=0-", 0, 0, 0, 0},
	/* size 1 */
	{"bytes=0-0", 1, 1, 0, 0},
	{"bytes=0-", 1, 1, 0, 0},
	{"bytes=0-5", 1, 1, 0, 0},
	{"bytes=-1", 1, 1, 0, 0},
	{"bytes=-5", 1, 1, 0, 0},
	{"bytes=1-", 1, -1, 0, 0},
	{"bytes=1-1", 1, -1, 0, 0},
	{"bytes=-0", 1, -1, 0, 0},
	{"bytes=1-0", 1, 0, 0, 0},
};

static int check_range_row(const struct range_row *t)
{
	size_t n = strlen(t->spec);
	const char *spec = (const char *)guard_flush(t->spec, n);
	uint64_t s = 0xdead, e = 0xbeef;
	int rc = http_range(spec, n, t->size, &s, &e);

	if (rc != t->rc || (rc == 1 && (s != t->start || e != t->end))) {
		print_error("\"%s\" size %llu: %d [%llu, %llu], want %d [%llu, %llu]\n", t->spec,
			    (unsigned long long)t->size, rc, (unsigned long long)s,
			    (unsigned long long)e, t->rc, (unsigned long long)t->start,
			    (unsigned long long)t->end);
		return 1;
	}
	if (rc == 1 && (s > e || e >= t->size)) {
		print_error("\"%s\": range outside the file\n", t->spec);
		return 1;
	}
	return 0;
}

static void test_range_table(void **state)
{
	(void)state;
	RUN_TABLE(range_rows, check_range_row, "range rows");
}

/* ------------------------------------------------------------------ */
/* Entity tags                                                         */

struct etag_row { uint64_t size; int64_t mtime_ns; size_t cap; const char *out; };

static const struct etag_row etag_rows[] = {
	{0, 0, 32, "\"0-0\""},
	{1000, 0x179bc0e1b3a5c015, 48, "\"3e8-179bc0e1b3a5c015\""},
	{0x1234, 0xabcdef, 16, "\"1234-abcdef\""},
	{UINT64_MAX, INT64_MAX, 64, "\"ffffffffffffffff-7fffffffffffffff\""},
	{1, -1, 64, "\"1-ffffffffffffffff\""},
	{1000, 0, 5, "\"3e8"},                          /* truncated, terminated */
	{1000, 0, 1, ""},
};

static int check_etag_row(const struct etag_row *t)
{
	char *out = (char *)guard_out(t->cap);

	http_etag(out, t->cap, t->size, t->mtime_ns);
	if (strcmp(out, t->out)) {
		print_error("etag %llx %llx cap %zu: \"%s\", want \"%s\"\n",
			    (unsigned long long)t->size, (unsigned long long)t->mtime_ns, t->cap,
			    out, t->out);
		return 1;
	}
	return 0;
}

static void test_etag_table(void **state)
{
	(void)state;
	RUN_TABLE(etag_rows, check_etag_row, "etag rows");
	http_etag((char *)guard_out(1) + 1, 0, 1, 1);   /* cap 0 writes nothing */
}

#define TAG "\"1234-abcdef\""

struct match_row { const char *list, *etag; bool match; };

static const struct match_row match_rows[] = {
	{TAG, TAG, true},
	{"W/" TAG, TAG, true},
	{TAG, "W/" TAG, true},
	{"W/" TAG, "W/" TAG, true},
	{"\"x\", " TAG, TAG, true},
	{"\"x\" ,\tW/" TAG " , \"y\"", TAG, true},
	{",," TAG ",,", TAG, true},
	{"  " TAG "  ", TAG, true},
	{"*", TAG, true},
	{" * ", TAG, true},
	{"*, \"x\"", TAG, true},
	{"\"x\"", TAG, false},
	{"\"x\", \"y\"", TAG, false},
	{"", TAG, false},
	{"   ", TAG, false},
	{"\"\"", TAG, false},
	{"1234-abcdef", TAG, false},
	{"\"1234-abcdef", TAG, false},
	{"\"1234-abcde\"", TAG, false},
	{"\"1234-abcdef0\"", TAG, false},
	{"\"1234-ABCDEF\"", TAG, false},
	{"w/" TAG, TAG, false},
	{"W" TAG, TAG, false},
	{"W/", TAG, false},
	{"*x", TAG, false},
	{"**", TAG, false},
	{"\"a b\", " TAG, TAG, false},
	{"\"x\" junk " TAG, TAG, false},
	{"\"x\"" TAG, TAG, false},
	{"\"x\\\"\", " TAG, TAG, false},
};

static int check_match_row(const struct match_row *t)
{
	size_t n = strlen(t->list);
	bool m = http_etag_matches((const char *)guard_flush(t->list, n), n, t->etag);

	if (m != t->match) {
		print_error("'%s' vs '%s': %d\n", t->list, t->etag, m);
		return 1;
	}
	return 0;
}

static void test_etag_matches_table(void **state)
{
	char tag[64];

	(void)state;
	RUN_TABLE(match_rows, check_match_row, "If-None-Match rows");
	/* What http_etag makes, http_etag_matches finds. */
	http_etag(tag, sizeof(tag), 123456789, 1700000000123456789LL);
	assert_true(http_etag_matches(tag, strlen(tag), tag));
	assert_false(http_etag_matches(tag, strlen(tag) - 1, tag));
}

/* ------------------------------------------------------------------ */
/* Dates                                                               */

static void test_date_format(void **state)
{
	static const struct { time_t t; const char *s; } rows[] = {
		{784111777, "Sun, 06 Nov 1994 08:49:37 GMT"},
		{0, "Thu, 01 Jan 1970 00:00:00 GMT"},
		{951782400, "Tue, 29 Feb 2000 00:00:00 GMT"},
		{1483228799, "Sat, 31 Dec 2016 23:59:59 GMT"},
		{-1, "Wed, 31 Dec 1969 23:59:59 GMT"},
		{253402300799, "Fri, 31 Dec 9999 23:59:59 GMT"},
		{253402300800, "Fri, 31 Dec 9999 23:59:59 GMT"},        /* clamped */
		{INT64_MAX, "Fri, 31 Dec 9999 23:59:59 GMT"},
		{INT64_MIN, "Sat, 01 Jan 0000 00:00:00 GMT"},
	};

	(void)state;
	for (size_t i = 0; i < ARRAY_LEN(rows); i++) {
		char *out = (char *)guard_out(30);

		http_date(out, rows[i].t);
		assert_string_equal(out, rows[i].s);
		assert_int_equal(strlen(out), 29);
	}
}

static void test_date_round_trip(void **state)
{
	char out[30];

	(void)state;
	for (int64_t t = 0; t < 4102444800LL; t += 9999991) {   /* 1970 .. 2100 */
		http_date(out, (time_t)t);
		assert_int_equal(http_parse_date((const char *)guard_flush(out, 29), 29), t);
	}
	for (int64_t t = 253402300799LL; t > 253402300799LL - 400 * 86400; t -= 86399) {
		http_date(out, (time_t)t);
		assert_int_equal(http_parse_date(out, 29), t);
	}
}

struct date_row { const char *s; size_t n; time_t t; };

#define D(s, t) { (s), sizeof(s) - 1, (t) }

static const struct date_row date_rows[] = {
	/* The three forms of RFC 9110 5.6.7. */
	D("Sun, 06 Nov 1994 08:49:37 GMT", 784111777),
	D("Sunday, 06-Nov-94 08:49:37 GMT", 784111777),
	D("Sun Nov  6 08:49:37 1994", 784111777),
	D("Sun Nov 06 08:49:37 1994", 784111777),
	D("Wed Nov 16 08:49:37 1994", 784111777 + 10 * 86400),
	D("  Sun, 06 Nov 1994 08:49:37 GMT\t", 784111777),
	D("Thu, 01 Jan 1970 00:00:00 GMT", 0),
	D("Tue, 29 Feb 2000 00:00:00 GMT", 951782400),
	D("Sat, 31 Dec 2016 23:59:60 GMT", 1483228800),         /* leap second */
	D("Fri, 31 Dec 9999 23:59:59 GMT", 253402300799),
	D("Sat, 01 Jan 0000 00:00:00 GMT", -62167219200),
	D("Fri, 31 Dec 9999 23:59:60 GMT", -1),                /* past what http_date writes */
	D("Mon, 06 Nov 1994 08:49:37 GMT", 784111777),          /* weekday not checked */
	/* RFC 850 two-digit years: 1970 .. 2069. */
	D("Thursday, 01-Jan-70 00:00:00 GMT", 0),
	D("Friday, 31-Dec-99 23:59:59 GMT", 946684799),
	D("Saturday, 01-Jan-00 00:00:00 GMT", 946684800),
	D("Tuesday, 01-Jan-69 00:00:00 GMT", 3124224000),
	D("Wednesday, 06-Nov-94 08:49:37 GMT", 784111777),
	/* Invalid. */
	D("", -1),
	D("   ", -1),
	D("Sun", -1),
	D("Sun, 06 Nov 1994 08:49:37", -1),
	D("Sun, 06 Nov 1994 08:49:37 UTC", -1),
	D("Sun, 06 Nov 1994 08:49:37 gmt", -1),
	D("Sun, 06 Nov 1994 08:49:37 GMT; length=1", -1),
	D("Sun, 6 Nov 1994 08:49:37 GMT", -1),
	D("Sun, 06 Nov 94 08:49:37 GMT", -1),
	D("Sun, 06 Nov 19944 08:49:37 GMT", -1),
	D("Sun,  06 Nov 1994 08:49:37 GMT", -1),
	D("Sun 06 Nov 1994 08:49:37 GMT", -1),
	D("sun, 06 Nov 1994 08:49:37 GMT", -1),
	D("Sun, 06 nov 1994 08:49:37 GMT", -1),
	D("Sun, 06 Foo 1994 08:49:37 GMT", -1),
	D("Xyz, 06 Nov 1994 08:49:37 GMT", -1),
	D("Sun, 00 Nov 1994 08:49:37 GMT", -1),
	D("Sun, 31 Nov 1994 08:49:37 GMT", -1),
	D("Sun, 30 Feb 2000 08:49:37 GMT", -1),
	D("Sun, 29 Feb 1900 08:49:37 GMT", -1),
	D("Sun, 29 Feb 1999 08:49:37 GMT", -1),
	D("Sun, 06 Nov 1994 24:00:00 GMT", -1),
	D("Sun, 06 Nov 1994 08:60:00 GMT", -1),
	D("Sun, 06 Nov 1994 08:49:61 GMT", -1),
	D("Sun, 06 Nov 1994 8:49:37 GMT", -1),
	D("Sun, 06 Nov 1994 08-49-37 GMT", -1),
	D("Sunday, 06 Nov 1994 08:49:37 GMT", -1),
	D("Sun, 06-Nov-94 08:49:37 GMT", -1),
	D("Sunday, 06-Nov-1994 08:49:37 GMT", -1),
	D("Sundae, 06-Nov-94 08:49:37 GMT", -1),
	D("Sun Nov 6 08:49:37 1994", -1),
	D("Sun Nov  6 08:49:37 94", -1),
	D("Sun Nov   6 08:49:37 1994", -1),
	D("Sun, Nov  6 08:49:37 1994", -1),
	D("Sun Nov  6 08:49:37 1994 GMT", -1),
	D("Sun Nov 31 08:49:37 1994", -1),
	D("784111777", -1),
	D("Sun, 06 Nov 1994 08:49:37 GMT\0", -1),
};

static int check_date_row(const struct date_row *t)
{
	time_t got = http_parse_date((const char *)guard_flush(t->s, t->n), t->n);

	if (got != t->t) {
		print_error("\"%s\": %lld, want %lld\n", t->s, (long long)got, (long long)t->t);
		return 1;
	}
	/* No prefix of a date is a date (but trailing whitespace is cut). */
	if (t->t != -1)
		for (size_t k = 0; k < t->n && strspn(t->s + k, " \t") < t->n - k; k++)
			if (http_parse_date((const char *)guard_flush(t->s, k), k) != -1) {
				print_error("\"%s\" cut to %zu parses\n", t->s, k);
				return 1;
			}
	return 0;
}

static void test_parse_date_table(void **state)
{
	(void)state;
	RUN_TABLE(date_rows, check_date_row, "date rows");
}

/* ------------------------------------------------------------------ */
/* Content types and reasons                                           */

struct ctype_row { const char *path, *type; };

#define OCTET "application/octet-stream"
#define TEXT  "text/plain; charset=utf-8"

static const struct ctype_row ctype_rows[] = {
	{"/boot.ipxe", TEXT},
	{"/menus/BOOT.IPXE", TEXT},
	{"/EFI/BOOT/BOOTX64.EFI", OCTET},
	{"/ipxe.efi", OCTET},
	{"/undionly.kpxe", OCTET},
	{"/ipxe.pxe", OCTET},
	{"/pxelinux.0", OCTET},
	{"/vmlinuz", OCTET},
	{"/initrd", OCTET},
	{"/initrd.img", OCTET},
	{"/debian.iso", OCTET},
	{"/rootfs.cpio.gz", OCTET},
	{"/initrd.xz", OCTET},
	{"/initrd.zst", OCTET},
	{"/initrd.cpio", OCTET},
	{"/index.html", "text/html; charset=utf-8"},
	{"/index.htm", "text/html; charset=utf-8"},
	{"/README.txt", TEXT},
	{"/grub/grub.cfg", TEXT},
	{"/x.conf", TEXT},
	{"/meta.json", "application/json"},
	{"/vmlinuz.sig", OCTET},
	{"/SHA256SUMS.asc", OCTET},
	{"/pxelinux.cfg/default", OCTET},        /* the extension is the file's, not the dir's */
	{"/a.ipxe/vmlinuz", OCTET},
	{"/file.", OCTET},
	{"/file.unknown", OCTET},
	{"/", OCTET},
	{"boot.ipxe", TEXT},
	{"", OCTET},
};

static int check_ctype_row(const struct ctype_row *t)
{
	const char *got = http_content_type(t->path);

	if (strcmp(got, t->type)) {
		print_error("\"%s\": \"%s\", want \"%s\"\n", t->path, got, t->type);
		return 1;
	}
	return 0;
}

static void test_content_type_table(void **state)
{
	(void)state;
	RUN_TABLE(ctype_rows, check_ctype_row, "content type rows");
}

struct reason_row { int status; const char *reason; };

static const struct reason_row reason_rows[] = {
	{200, "OK"}, {206, "Partial Content"}, {304, "Not Modified"}, {400, "Bad Request"},
	{403, "Forbidden"}, {404, "Not Found"}, {405, "Method Not Allowed"},
	{408, "Request Timeout"}, {414, "URI Too Long"}, {416, "Range Not Satisfiable"},
	{431, "Request Header Fields Too Large"}, {500, "Internal Server Error"},
	{501, "Not Implemented"}, {503, "Service Unavailable"},
	{505, "HTTP Version Not Supported"}, {0, "Unknown"}, {-400, "Unknown"}, {201, "Unknown"},
	{418, "Unknown"}, {999, "Unknown"},
};

static int check_reason_row(const struct reason_row *t)
{
	if (strcmp(http_reason(t->status), t->reason)) {
		print_error("%d: \"%s\"\n", t->status, http_reason(t->status));
		return 1;
	}
	return 0;
}

static void test_reason_table(void **state)
{
	(void)state;
	RUN_TABLE(reason_rows, check_reason_row, "reason rows");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_table),
		cmocka_unit_test(test_parse_every_prefix),
		cmocka_unit_test(test_parse_reinitialises),
		cmocka_unit_test(test_limits_headers),
		cmocka_unit_test(test_limits_head_size),
		cmocka_unit_test(test_limits_target),
		cmocka_unit_test(test_decode_path_table),
		cmocka_unit_test(test_decode_path_reference),
		cmocka_unit_test(test_query_get_table),
		cmocka_unit_test(test_range_table),
		cmocka_unit_test(test_etag_table),
		cmocka_unit_test(test_etag_matches_table),
		cmocka_unit_test(test_date_format),
		cmocka_unit_test(test_date_round_trip),
		cmocka_unit_test(test_parse_date_table),
		cmocka_unit_test(test_content_type_table),
		cmocka_unit_test(test_reason_table),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
