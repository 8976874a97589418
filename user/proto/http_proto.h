/* HTTP/1.1 wire format (RFC 9110/9112) for a static file server: parse a
 * request head, percent-decode and normalise its path, evaluate Range and
 * conditional headers, format dates and response heads. Pure functions,
 * no I/O; every byte of network input is bounds-checked here. */
#ifndef RACKBOOT_HTTP_PROTO_H
#define RACKBOOT_HTTP_PROTO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#define HTTP_MAX_HEAD    8192      /* request line + headers, bytes */
#define HTTP_MAX_PATH    1024      /* decoded path */
#define HTTP_MAX_QUERY   256
#define HTTP_MAX_HEADERS 64

enum http_method { HTTP_GET = 1, HTTP_HEAD };

/* Values point into the caller's buffer (not NUL-terminated), except path
 * and query which are copied (decoded / raw). */
struct http_str { const char *p; size_t n; };

struct http_request {
	enum http_method method;
	int minor;                   /* HTTP/1.minor: 0 or 1 */
	bool keep_alive;             /* after Connection and the version default */
	char path[HTTP_MAX_PATH];    /* percent-decoded, '/'-led, dot segments
					removed; never contains NUL or "/../" */
	char query[HTTP_MAX_QUERY];  /* raw, without '?'; "" if none */
	struct http_str host, range, if_none_match, if_modified_since, if_range, user_agent;
	size_t head_len;             /* bytes of the head including the final CRLFCRLF */
};

/* Result of parsing: > 0 head complete (value = head_len); 0 incomplete,
 * read more; < 0 a status code to answer with and then close:
 * -400 malformed, -414 target too long, -431 head too large,
 * -501 method not implemented, -505 version not supported. A request with
 * a body (Content-Length > 0 or Transfer-Encoding) is -400 for GET/HEAD
 * here: this server takes none. */
int http_parse_request(const char *buf, size_t len, struct http_request *r);

/* Percent-decode `in` (n bytes) into out (cap bytes), then remove dot
 * segments (RFC 3986 5.2.4) and collapse repeated '/'. Rejects (-1) %00,
 * bad escapes, a decoded path not starting with '/', control characters,
 * a backslash, or a result longer than cap-1. */
int http_decode_path(const char *in, size_t n, char *out, size_t cap);

/* Value of `key` in a query string ("a=1&mac=52:54:..."), percent-decoded
 * into out. Returns the length, or -1 if absent or too long. */
int http_query_get(const char *query, const char *key, char *out, size_t cap);

/* Range (RFC 9110 14): a single "bytes=" range against a file of `size`.
 * Returns 1 with [*start, *end] inclusive for a satisfiable range, 0 to
 * ignore the header and send the whole file (several ranges, other units,
 * syntax errors: RFC 9110 allows ignoring), -1 for unsatisfiable (416). */
int http_range(const char *spec, size_t n, uint64_t size, uint64_t *start, uint64_t *end);

/* Strong validator for a file: "\"<size hex>-<mtime ns hex>\"". */
void http_etag(char *out, size_t cap, uint64_t size, int64_t mtime_ns);
/* If-None-Match: true when the list (or "*") matches etag (weak comparison). */
bool http_etag_matches(const char *list, size_t n, const char *etag);
/* IMF-fixdate ("Sun, 06 Nov 1994 08:49:37 GMT"), 30 bytes with NUL. */
void http_date(char out[30], time_t t);
/* Parse IMF-fixdate, RFC 850 and asctime forms; -1 if invalid. */
time_t http_parse_date(const char *s, size_t n);

/* Content-Type by file name extension (iPXE scripts, EFI binaries, kernels). */
const char *http_content_type(const char *path);
/* Reason phrase of a status code. */
const char *http_reason(int status);

#endif
