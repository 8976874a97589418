/* The HTTP/1.1 server of rackbootd: files beneath the root (bodies by
 * sendfile, never through userspace), per-node iPXE scripts at
 * /boot.ipxe, admission control for large streams, and /metrics. One
 * io_uring loop per thread; see docs/ARCHITECTURE.md, "HTTP". */
#ifndef RACKBOOT_HTTP_SERVER_H
#define RACKBOOT_HTTP_SERVER_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lib/metrics.h"

struct rb_config;
struct node_table;
struct http_server;
struct mbuf;

/* Shared by every HTTP loop of the process: limits, counters, admission. */
struct http_shared {
	/* limits */
	unsigned max_conns;          /* open connections, all loops */
	unsigned max_streams;        /* concurrent large-file bodies; 0 = no cap */
	uint64_t large_bytes;        /* a body this big counts as a stream */
	unsigned retry_after_s;      /* Retry-After of a 503 */
	unsigned header_timeout_ms;  /* to receive a whole request head */
	unsigned idle_timeout_ms;    /* keep-alive wait for the next request */
	unsigned send_timeout_ms;    /* no progress sending a response */
	/* state */
	_Atomic unsigned conns, streams;
	/* counters */
	_Atomic uint64_t requests, bytes, status[6];   /* status[k]: kxx responses */
	_Atomic uint64_t rejected_conns, rejected_streams, timeouts, bad_requests;
	struct hist latency;         /* request head complete -> response sent */
	/* /metrics: the daemon appends its other families here (may be NULL) */
	void (*metrics)(struct mbuf *b, void *arg);
	void *metrics_arg;
};

void http_shared_init(struct http_shared *sh);

struct http_server_opts {
	struct http_shared *shared;
	int root_fd;                 /* directory served; resolution stays beneath it */
	struct node_table *nodes;    /* client address -> node, for /boot.ipxe */
	struct rb_config *cfg;       /* profiles and hosts; the server owns it */
	int verbosity;
};

/* Serve the listening TCP socket(s) fds (ownership passes). */
struct http_server *http_server_new(const struct http_server_opts *o, const int *fds, int nfds,
				    char *err, size_t errlen);
int http_server_run(struct http_server *s);
void http_server_stop(struct http_server *s);
/* From another thread: use this configuration (ownership passes) from the
 * loop's next iteration on; the loop frees the one it replaces. */
void http_server_offer_config(struct http_server *s, struct rb_config *cfg);
void http_server_free(struct http_server *s);

#endif
