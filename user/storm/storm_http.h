/* The HTTP/1.1 client side of rackboot-storm, as iPXE speaks it: http://
 * URLs with a dotted-quad host, a GET request, and the head of a response
 * (status, Content-Length, Retry-After, Connection). Pure functions. */
#ifndef RACKBOOT_STORM_HTTP_H
#define RACKBOOT_STORM_HTTP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SHTTP_MAX_PATH 1024

struct shttp_url {
	uint32_t ip;               /* network order */
	uint16_t port;             /* host order */
	char path[SHTTP_MAX_PATH]; /* from the first '/', query included */
};

/* Parse "http://A.B.C.D[:port]/path". A relative reference ("/x", "x")
 * is resolved against `base` when given (iPXE resolves relative URIs
 * against the script's). 0, or -1 for anything else (https, host names,
 * userinfo, overlong paths). */
int shttp_parse_url(const char *s, const struct shttp_url *base, struct shttp_url *u);

/* "GET path HTTP/1.1" with Host, User-Agent and keep-alive. Returns the
 * length, 0 if it does not fit. */
size_t shttp_build_get(char *out, size_t cap, const struct shttp_url *u);

struct shttp_resp {
	int status;
	int64_t content_length;    /* -1 when absent */
	int64_t retry_after;       /* seconds; -1 when absent or an HTTP date */
	bool close;                /* Connection: close, or HTTP/1.0 without keep-alive */
	bool chunked;              /* Transfer-Encoding present: not supported */
	size_t head_len;           /* bytes up to and including the blank line */
};

/* Parse a response head at buf[0, len). > 0: complete, the head length;
 * 0: incomplete, read more; -1: malformed. */
int shttp_parse_head(const char *buf, size_t len, struct shttp_resp *r);

#endif
