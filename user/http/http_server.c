/* HTTP/1.1 server (see http_server.h).
 *
 * One io_uring per loop drives accept (multishot), request reads, a 250 ms
 * tick for timeouts, and writability polls. Responses are written from the
 * loop with non-blocking send() for the head and sendfile() for file
 * bodies: the kernel moves file pages to the socket, nothing is copied
 * through userspace. A body is sent at most PUMP_BUDGET bytes per turn, so
 * one fast client cannot starve the others; on EAGAIN the connection waits
 * for POLLOUT through the ring. Each connection has at most one operation
 * in flight; closing one with an operation pending shuts the socket down
 * first and frees it when that operation completes.
 * docs/ARCHITECTURE.md ("HTTP") says why sendfile rather than splice. */
#include "http/http_server.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <liburing.h>
#include <linux/openat2.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/sendfile.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "core/boot_script.h"
#include "core/config.h"
#include "proto/http_proto.h"
#include "lib/log.h"
#include "core/node_table.h"

#define MAX_LISTEN    8
#define PUMP_BUDGET   (4u << 20)     /* body bytes per connection per turn */
#define TICK_MS       250
#define LINGER_MS     2000           /* after a final response: drain this long */

enum op { OP_ACCEPT = 1, OP_RECV, OP_POLLOUT, OP_TICK, OP_WAKE };

struct conn {
	int fd;
	uint32_t idx, gen;
	bool busy;                 /* an operation is in flight */
	bool closing;              /* close once it completes */
	bool keep_alive, stream, head_only;
	bool draining;             /* final response sent, write side shut */
	char in[HTTP_MAX_HEAD];
	size_t in_len;
	struct mbuf out;           /* response head (+ generated body) */
	size_t out_off;
	int file_fd;
	off_t file_off;
	uint64_t file_left;
	uint64_t deadline_us;
	uint64_t req_us;           /* when the request head was complete */
	uint64_t body_len;         /* of the response, for the node timeline */
	char path[96];             /* of the request, for the node timeline */
	int status;
	struct sockaddr_in peer, local;
};

struct http_server {
	struct io_uring ring;
	struct http_server_opts o;
	struct http_shared *sh;
	int lfd[MAX_LISTEN], nl;
	int wake_fd;
	uint64_t wake_buf;
	atomic_bool stop;
	_Atomic(struct rb_config *) offered;
	struct rb_config *cfg;
	struct conn **c;
	uint32_t nc, cap, *free_idx, nfree, gen;
	struct __kernel_timespec tick;
	uint64_t now;
};

void http_shared_init(struct http_shared *sh)
{
	memset(sh, 0, sizeof(*sh));
	sh->max_conns = 4096;
	sh->max_streams = 256;
	sh->large_bytes = 1 << 20;
	sh->retry_after_s = 5;
	sh->header_timeout_ms = 10000;
	sh->idle_timeout_ms = 30000;
	sh->send_timeout_ms = 60000;
}

static uint64_t now_us(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

static uint64_t ud(enum op op, const struct conn *c)
{
	return (uint64_t)op << 56 | (c ? (uint64_t)(c->gen & 0xffffff) << 32 | c->idx : 0);
}

static struct io_uring_sqe *get_sqe(struct http_server *s)
{
	struct io_uring_sqe *sqe = io_uring_get_sqe(&s->ring);
	if (!sqe) {
		io_uring_submit(&s->ring);
		sqe = io_uring_get_sqe(&s->ring);
	}
	return sqe;
}

/* ---- connections ---------------------------------------------------- */

static struct conn *conn_new(struct http_server *s, int fd)
{
	uint32_t idx;
	if (s->nfree) {
		idx = s->free_idx[--s->nfree];
	} else {
		if (s->nc == s->cap) {
			uint32_t cap = s->cap ? s->cap * 2 : 256;
			struct conn **v = realloc(s->c, cap * sizeof(*v));
			uint32_t *f = realloc(s->free_idx, cap * sizeof(*f));
			if (v)
				s->c = v;
			if (f)
				s->free_idx = f;
			if (!v || !f)
				return NULL;
			for (uint32_t i = s->cap; i < cap; i++)
				s->c[i] = NULL;
			s->cap = cap;
		}
		idx = s->nc++;
	}
	struct conn *c = calloc(1, sizeof(*c));
	if (!c) {
		s->free_idx[s->nfree++] = idx;
		return NULL;
	}
	c->fd = fd;
	c->idx = idx;
	c->gen = ++s->gen;
	c->file_fd = -1;
	s->c[idx] = c;
	return c;
}

static void response_reset(struct http_server *s, struct conn *c)
{
	mbuf_free(&c->out);
	c->out_off = 0;
	if (c->file_fd >= 0)
		close(c->file_fd);
	c->file_fd = -1;
	c->file_left = 0;
	if (c->stream) {
		atomic_fetch_sub(&s->sh->streams, 1);
		c->stream = false;
	}
}

static void conn_close(struct http_server *s, struct conn *c)
{
	if (c->busy) {
		/* the pending operation completes (with an error or 0) and
		 * brings us back here */
		c->closing = true;
		shutdown(c->fd, SHUT_RDWR);
		return;
	}
	response_reset(s, c);
	close(c->fd);
	s->c[c->idx] = NULL;
	s->free_idx[s->nfree++] = c->idx;
	atomic_fetch_sub(&s->sh->conns, 1);
	free(c);
}

static void post_recv(struct http_server *s, struct conn *c)
{
	struct io_uring_sqe *sqe = get_sqe(s);
	io_uring_prep_recv(sqe, c->fd, c->in + c->in_len, sizeof(c->in) - c->in_len, 0);
	io_uring_sqe_set_data64(sqe, ud(OP_RECV, c));
	c->busy = true;
}

static void post_pollout(struct http_server *s, struct conn *c)
{
	struct io_uring_sqe *sqe = get_sqe(s);
	io_uring_prep_poll_add(sqe, c->fd, POLLOUT);
	io_uring_sqe_set_data64(sqe, ud(OP_POLLOUT, c));
	c->busy = true;
}

/* ---- responses ------------------------------------------------------ */

static void head_start(struct conn *c, int status, bool keep_alive)
{
	char date[30];
	http_date(date, time(NULL));
	c->status = status;
	c->keep_alive = keep_alive;
	mbuf_printf(&c->out, "HTTP/1.1 %d %s\r\nServer: rackbootd\r\nDate: %s\r\n", status,
		    http_reason(status), date);
}

static void head_end(struct conn *c, const char *type, uint64_t length)
{
	c->body_len = c->head_only ? 0 : length;
	if (type)
		mbuf_printf(&c->out, "Content-Type: %s\r\n", type);
	mbuf_printf(&c->out, "Content-Length: %" PRIu64 "\r\nConnection: %s\r\n\r\n", length,
		    c->keep_alive ? "keep-alive" : "close");
}

/* A complete small response: status, optional extra header lines, body. */
static void respond_text(struct conn *c, int status, bool keep_alive, const char *extra,
			 const char *type, const char *body, size_t len, bool head_only)
{
	head_start(c, status, keep_alive);
	if (extra)
		mbuf_printf(&c->out, "%s", extra);
	head_end(c, type, len);
	if (!head_only && len)
		mbuf_printf(&c->out, "%.*s", (int)len, body);
}

static void respond_error(struct conn *c, int status, bool keep_alive, bool head_only)
{
	char body[96];
	int n = snprintf(body, sizeof(body), "%d %s\n", status, http_reason(status));
	respond_text(c, status, keep_alive, NULL, "text/plain; charset=utf-8", body, (size_t)n,
		     head_only);
}

static void process_input(struct http_server *s, struct conn *c);

/* RFC 9112 9.6: close in stages. Closing with the client's bytes unread
 * (the rest of an oversized head, a request body, pipelined requests)
 * makes the kernel answer with a reset, which can destroy the response
 * before the client has read it. Half-close, discard what still comes,
 * close on EOF or after LINGER_MS. */
static void linger(struct http_server *s, struct conn *c)
{
	if (shutdown(c->fd, SHUT_WR) < 0) {
		conn_close(s, c);
		return;
	}
	c->draining = true;
	c->in_len = 0;
	c->deadline_us = s->now + LINGER_MS * 1000ull;
	post_recv(s, c);
}

static void response_done(struct http_server *s, struct conn *c)
{
	struct http_shared *sh = s->sh;
	atomic_fetch_add_explicit(&sh->status[c->status / 100 % 6], 1, memory_order_relaxed);
	uint64_t took = now_us() - c->req_us;
	hist_observe(&sh->latency, took);
	if (s->o.nodes && c->path[0] && strcmp(c->path, "/metrics") && strcmp(c->path, "/nodes")) {
		struct node_event e = { .kind = NEV_HTTP, .ok = c->status < 400,
					.status = (uint16_t)c->status, .bytes = c->body_len,
					.dur_ms = (uint32_t)(took / 1000) };
		struct timespec ts;
		clock_gettime(CLOCK_REALTIME, &ts);
		e.t_ms = (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000 - e.dur_ms;
		snprintf(e.what, sizeof(e.what), "%.71s", c->path);
		node_table_event_ip(s->o.nodes, ntohl(c->peer.sin_addr.s_addr), &e);
	}
	bool keep = c->keep_alive;
	response_reset(s, c);
	if (!keep) {
		linger(s, c);
		return;
	}
	c->deadline_us = s->now + sh->idle_timeout_ms * 1000ull;
	process_input(s, c);
}

/* Write what can be written now; come back on POLLOUT for the rest. */
static void pump(struct http_server *s, struct conn *c)
{
	uint64_t budget = PUMP_BUDGET;
	while (c->out_off < c->out.len) {
		int more = c->file_left ? MSG_MORE : 0;
		ssize_t n = send(c->fd, c->out.p + c->out_off, c->out.len - c->out_off,
				 MSG_DONTWAIT | MSG_NOSIGNAL | more);
		if (n < 0) {
			if (errno == EAGAIN)
				goto wait;
			conn_close(s, c);
			return;
		}
		c->out_off += (size_t)n;
		atomic_fetch_add_explicit(&s->sh->bytes, (uint64_t)n, memory_order_relaxed);
	}
	while (c->file_left) {
		size_t want = c->file_left < budget ? (size_t)c->file_left : budget;
		ssize_t n = sendfile(c->fd, c->file_fd, &c->file_off, want);
		if (n < 0 && errno == EAGAIN)
			goto wait;
		if (n <= 0) {
			/* an error, or the file shrank under us: the client sees a
			 * short body and a closed connection, never wrong bytes */
			if (n == 0)
				log_msg(LOG_WARNING, "http: file truncated while being sent");
			conn_close(s, c);
			return;
		}
		c->file_left -= (uint64_t)n;
		budget -= (uint64_t)n;
		atomic_fetch_add_explicit(&s->sh->bytes, (uint64_t)n, memory_order_relaxed);
		c->deadline_us = s->now + s->sh->send_timeout_ms * 1000ull;
		if (!budget && c->file_left)
			goto wait;          /* let the other connections have a turn */
	}
	response_done(s, c);
	return;
wait:
	c->deadline_us = s->now + s->sh->send_timeout_ms * 1000ull;
	post_pollout(s, c);
}

/* Open a path beneath the root; the kernel keeps every component inside
 * it (RESOLVE_IN_ROOT: "..", absolute symlinks and magic links cannot
 * leave), whatever the client's encoding was. */
static int open_beneath(int root_fd, const char *path, struct stat *st)
{
	/* O_NONBLOCK: opening a FIFO (or a device) must not block the loop;
	 * it is refused below, and sendfile from a regular file ignores it */
	struct open_how how = { .flags = O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK,
				.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS };
	while (*path == '/')
		path++;
	if (!*path)
		return -EISDIR;
	int fd = (int)syscall(SYS_openat2, root_fd, path, &how, sizeof(how));
	if (fd < 0)
		return -errno;
	if (fstat(fd, st) < 0 || !S_ISREG(st->st_mode)) {
		close(fd);
		return -EISDIR;
	}
	return fd;
}

static bool not_modified(const struct http_request *r, const char *etag, time_t mtime)
{
	if (r->if_none_match.p)    /* RFC 9110 13.1.3: it takes precedence */
		return http_etag_matches(r->if_none_match.p, r->if_none_match.n, etag);
	if (r->if_modified_since.p) {
		time_t t = http_parse_date(r->if_modified_since.p, r->if_modified_since.n);
		return t >= 0 && mtime <= t;
	}
	return false;
}

/* If-Range: the range applies only if the validator still matches. */
static bool range_applies(const struct http_request *r, const char *etag, time_t mtime)
{
	if (!r->if_range.p)
		return true;
	if (r->if_range.n && r->if_range.p[0] == '"')
		return r->if_range.n == strlen(etag) && !memcmp(r->if_range.p, etag, r->if_range.n);
	time_t t = http_parse_date(r->if_range.p, r->if_range.n);
	return t >= 0 && t == mtime;
}

static void serve_file(struct http_server *s, struct conn *c, const struct http_request *r,
		       const char *path)
{
	struct stat st;
	bool head = r->method == HTTP_HEAD;
	int fd = open_beneath(s->o.root_fd, path, &st);
	if (fd < 0) {
		int status = fd == -EACCES || fd == -EPERM ? 403 : 404;
		if (fd == -EXDEV || fd == -ELOOP)
			status = 403;   /* tried to leave the root */
		respond_error(c, status, r->keep_alive, head);
		return;
	}
	char etag[64], lm[30];
	int64_t mtime_ns = (int64_t)st.st_mtim.tv_sec * 1000000000 + st.st_mtim.tv_nsec;
	http_etag(etag, sizeof(etag), (uint64_t)st.st_size, mtime_ns);
	http_date(lm, st.st_mtim.tv_sec);
	if (not_modified(r, etag, st.st_mtim.tv_sec)) {
		close(fd);
		head_start(c, 304, r->keep_alive);
		mbuf_printf(&c->out, "ETag: %s\r\nLast-Modified: %s\r\n\r\n", etag, lm);
		return;
	}
	uint64_t size = (uint64_t)st.st_size, start = 0, end = size ? size - 1 : 0;
	int rr = r->range.p && range_applies(r, etag, st.st_mtim.tv_sec)
		 ? http_range(r->range.p, r->range.n, size, &start, &end) : 0;
	if (rr < 0) {
		close(fd);
		char extra[64];
		snprintf(extra, sizeof(extra), "Content-Range: bytes */%" PRIu64 "\r\n", size);
		respond_text(c, 416, r->keep_alive, extra, "text/plain; charset=utf-8",
			     "416 Range Not Satisfiable\n", 26, head);
		return;
	}
	uint64_t len = rr > 0 ? end - start + 1 : size;
	/* Admission: beyond the cap a node is told when to come back, which
	 * iPXE honours, instead of every stream slowing until they all time out. */
	if (!head && s->sh->max_streams && len >= s->sh->large_bytes) {
		if (atomic_fetch_add(&s->sh->streams, 1) >= s->sh->max_streams) {
			atomic_fetch_sub(&s->sh->streams, 1);
			close(fd);
			char extra[48];
			snprintf(extra, sizeof(extra), "Retry-After: %u\r\n", s->sh->retry_after_s);
			respond_text(c, 503, r->keep_alive, extra, "text/plain; charset=utf-8",
				     "503 Service Unavailable: too many downloads, retry later\n", 57,
				     false);
			atomic_fetch_add(&s->sh->rejected_streams, 1);
			return;
		}
		c->stream = true;
	}
	head_start(c, rr > 0 ? 206 : 200, r->keep_alive);
	mbuf_printf(&c->out, "Last-Modified: %s\r\nETag: %s\r\nAccept-Ranges: bytes\r\n", lm, etag);
	if (rr > 0)
		mbuf_printf(&c->out, "Content-Range: bytes %" PRIu64 "-%" PRIu64 "/%" PRIu64 "\r\n",
			    start, end, size);
	head_end(c, http_content_type(path), len);
	if (head || !len) {
		close(fd);
		return;
	}
	c->file_fd = fd;
	c->file_off = (off_t)start;
	c->file_left = len;
}

static const char *ip4(uint32_t host_order, char *buf)
{
	struct in_addr a = { htonl(host_order) };
	return inet_ntop(AF_INET, &a, buf, INET_ADDRSTRLEN);
}

/* /boot.ipxe: the script of this node's profile. The node is who asks
 * (its address, as leased) or, behind a relay or NAT, ?mac=. */
static void serve_boot_script(struct http_server *s, struct conn *c, const struct http_request *r)
{
	struct node_info ni;
	bool known = false;
	char macq[32];
	uint8_t mac[6];
	memset(&ni, 0, sizeof(ni));
	if (http_query_get(r->query, "mac", macq, sizeof(macq)) > 0) {
		if (rb_parse_mac(macq, mac)) {
			respond_error(c, 400, r->keep_alive, r->method == HTTP_HEAD);
			return;
		}
		if (!(s->o.nodes && node_table_by_mac(s->o.nodes, mac, &ni)))
			memcpy(ni.mac, mac, 6);
		known = true;
	} else if (s->o.nodes && node_table_by_ip(s->o.nodes, ntohl(c->peer.sin_addr.s_addr), &ni)) {
		known = true;
	}
	const struct rb_host *h = known ? rb_host_by_mac(s->cfg, ni.mac) : NULL;
	const struct rb_profile *p = rb_profile_for(s->cfg, h);
	if (!p) {                   /* no profile: the root's own boot.ipxe */
		serve_file(s, c, r, "/boot.ipxe");
		return;
	}
	char macs[24] = "", ips[INET_ADDRSTRLEN] = "", server[40], lip[INET_ADDRSTRLEN];
	if (known)
		snprintf(macs, sizeof(macs), "%02x:%02x:%02x:%02x:%02x:%02x", ni.mac[0], ni.mac[1],
			 ni.mac[2], ni.mac[3], ni.mac[4], ni.mac[5]);
	ip4(ni.ip ? ni.ip : ntohl(c->peer.sin_addr.s_addr), ips);
	snprintf(server, sizeof(server), "%s:%u", ip4(ntohl(c->local.sin_addr.s_addr), lip),
		 ntohs(c->local.sin_port));
	struct boot_vars v = { .mac = macs, .ip = ips, .hostname = h ? h->name : ni.hostname,
			       .arch = ni.arch, .server = server, .profile = p->name };
	/* room for the script and what its variables expand to */
	size_t cap = (p->script ? strlen(p->script) * 4 : 0) + 65536;
	char *out = malloc(cap);
	int n = out ? boot_script_render(p, &v, out, cap) : -1;
	if (n < 0) {
		log_msg(LOG_ERR, "http: profile '%s' (%s): script does not render for %s", p->name,
			p->where, macs[0] ? macs : ips);
		respond_error(c, 500, r->keep_alive, r->method == HTTP_HEAD);
	} else {
		respond_text(c, 200, r->keep_alive, "Cache-Control: no-store\r\n",
			     "text/plain; charset=utf-8", out, (size_t)n, r->method == HTTP_HEAD);
	}
	free(out);
}

static void serve_metrics(struct http_server *s, struct conn *c, const struct http_request *r)
{
	struct http_shared *sh = s->sh;
	struct mbuf b = { 0 };
	static const char *const cls[6] = { "", "1xx", "2xx", "3xx", "4xx", "5xx" };
	if (sh->metrics)
		sh->metrics(&b, sh->metrics_arg);
	metric_counter(&b, "rackboot_http_requests_total", "HTTP requests parsed.", sh->requests);
	metric_family(&b, "rackboot_http_responses_total", "counter", "HTTP responses by status class.");
	for (int i = 1; i < 6; i++) {
		char l[24];
		snprintf(l, sizeof(l), "code=\"%s\"", cls[i]);
		metric_sample(&b, "rackboot_http_responses_total", l, sh->status[i]);
	}
	metric_counter(&b, "rackboot_http_sent_bytes_total", "Bytes written to HTTP clients.", sh->bytes);
	metric_gauge(&b, "rackboot_http_connections", "Open HTTP connections.", sh->conns);
	metric_gauge(&b, "rackboot_http_streams", "Large-file bodies being sent.", sh->streams);
	metric_counter(&b, "rackboot_http_rejected_streams_total",
		       "Large-file requests answered 503 by admission control.", sh->rejected_streams);
	metric_counter(&b, "rackboot_http_rejected_connections_total",
		       "Connections refused over the connection cap.", sh->rejected_conns);
	metric_counter(&b, "rackboot_http_timeouts_total",
		       "Connections closed for header, idle or send timeouts.", sh->timeouts);
	metric_hist(&b, "rackboot_http_response_seconds",
		    "Request head complete to response fully sent.", &sh->latency);
	if (b.oom)
		respond_error(c, 500, r->keep_alive, r->method == HTTP_HEAD);
	else
		respond_text(c, 200, r->keep_alive, NULL, "text/plain; version=0.0.4; charset=utf-8",
			     b.p, b.len, r->method == HTTP_HEAD);
	mbuf_free(&b);
}

/* Every node's boot timeline, from the daemon's own events. */
static void serve_nodes(struct http_server *s, struct conn *c, const struct http_request *r)
{
	struct mbuf b = { 0 };
	if (s->o.nodes)
		node_table_render(s->o.nodes, &b);
	else
		mbuf_printf(&b, "# no node table\n");
	if (b.oom)
		respond_error(c, 500, r->keep_alive, r->method == HTTP_HEAD);
	else
		respond_text(c, 200, r->keep_alive, "Cache-Control: no-store\r\n",
			     "text/plain; charset=utf-8", b.p, b.len, r->method == HTTP_HEAD);
	mbuf_free(&b);
}

static void handle(struct http_server *s, struct conn *c, const struct http_request *r)
{
	atomic_fetch_add_explicit(&s->sh->requests, 1, memory_order_relaxed);
	c->req_us = s->now;
	c->head_only = r->method == HTTP_HEAD;
	c->body_len = 0;
	snprintf(c->path, sizeof(c->path), "%.95s", r->path);
	if (s->o.verbosity >= 2) {
		char a[INET_ADDRSTRLEN];
		inet_ntop(AF_INET, &c->peer.sin_addr, a, sizeof(a));
		log_msg(LOG_INFO, "http: %s %s from %s", r->method == HTTP_HEAD ? "HEAD" : "GET",
			r->path, a);
	}
	if (!strcmp(r->path, "/metrics"))
		serve_metrics(s, c, r);
	else if (!strcmp(r->path, "/nodes"))
		serve_nodes(s, c, r);
	else if (!strcmp(r->path, "/boot.ipxe"))
		serve_boot_script(s, c, r);
	else
		serve_file(s, c, r, r->path);
}

/* Parse what has arrived; answer one request at a time (pipelined ones
 * wait in the buffer until the previous response has gone). */
static void process_input(struct http_server *s, struct conn *c)
{
	struct http_request r;
	int n = c->in_len ? http_parse_request(c->in, c->in_len, &r) : 0;
	if (n == 0) {
		if (c->in_len)      /* a head has begun: it must finish in time */
			c->deadline_us = c->deadline_us < s->now + s->sh->header_timeout_ms * 1000ull
					 ? c->deadline_us : s->now + s->sh->header_timeout_ms * 1000ull;
		post_recv(s, c);
		return;
	}
	if (n < 0) {
		atomic_fetch_add(&s->sh->bad_requests, 1);
		c->path[0] = 0;
		c->head_only = false;
		c->req_us = s->now;
		respond_error(c, -n, false, false);
		c->in_len = 0;
		pump(s, c);
		return;
	}
	handle(s, c, &r);
	memmove(c->in, c->in + n, c->in_len - (size_t)n);
	c->in_len -= (size_t)n;
	pump(s, c);
}

/* ---- loop ------------------------------------------------------------ */

static void post_accept(struct http_server *s, int i)
{
	struct io_uring_sqe *sqe = get_sqe(s);
	io_uring_prep_multishot_accept(sqe, s->lfd[i], NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
	io_uring_sqe_set_data64(sqe, (uint64_t)OP_ACCEPT << 56 | (unsigned)i);
}

static void post_tick(struct http_server *s)
{
	struct io_uring_sqe *sqe = get_sqe(s);
	s->tick = (struct __kernel_timespec){ .tv_nsec = TICK_MS * 1000000L };
	io_uring_prep_timeout(sqe, &s->tick, 0, 0);
	io_uring_sqe_set_data64(sqe, (uint64_t)OP_TICK << 56);
}

static void post_wake(struct http_server *s)
{
	struct io_uring_sqe *sqe = get_sqe(s);
	io_uring_prep_read(sqe, s->wake_fd, &s->wake_buf, sizeof(s->wake_buf), 0);
	io_uring_sqe_set_data64(sqe, (uint64_t)OP_WAKE << 56);
}

static void on_accept(struct http_server *s, int fd)
{
	struct http_shared *sh = s->sh;
	if (atomic_fetch_add(&sh->conns, 1) >= sh->max_conns) {
		/* over the cap: say so in one write and go (never wait on it) */
		char busy[128];
		int n = snprintf(busy, sizeof(busy), "HTTP/1.1 503 Service Unavailable\r\n"
				 "Retry-After: %u\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
				 sh->retry_after_s);
		atomic_fetch_sub(&sh->conns, 1);
		atomic_fetch_add(&sh->rejected_conns, 1);
		if (send(fd, busy, (size_t)n, MSG_DONTWAIT | MSG_NOSIGNAL) < 0)
			(void)0;   /* it was a courtesy */
		close(fd);
		return;
	}
	struct conn *c = conn_new(s, fd);
	if (!c) {
		atomic_fetch_sub(&sh->conns, 1);
		close(fd);
		return;
	}
	int one = 1;
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	socklen_t l = sizeof(c->peer);
	getpeername(fd, (struct sockaddr *)&c->peer, &l);
	l = sizeof(c->local);
	getsockname(fd, (struct sockaddr *)&c->local, &l);
	c->deadline_us = s->now + sh->header_timeout_ms * 1000ull;
	post_recv(s, c);
}

static void sweep(struct http_server *s)
{
	for (uint32_t i = 0; i < s->nc; i++) {
		struct conn *c = s->c[i];
		if (c && !c->closing && c->deadline_us <= s->now) {
			if (!c->draining)
				atomic_fetch_add(&s->sh->timeouts, 1);
			conn_close(s, c);
		}
	}
}

static void take_config(struct http_server *s)
{
	struct rb_config *n = atomic_exchange(&s->offered, NULL);
	if (!n)
		return;
	rb_config_free(s->cfg);
	free(s->cfg);
	s->cfg = n;
}

static void dispatch(struct http_server *s, struct io_uring_cqe *cqe)
{
	uint64_t d = cqe->user_data;
	enum op op = (enum op)(d >> 56);
	int res = cqe->res;
	if (op == OP_ACCEPT) {
		if (res >= 0)
			on_accept(s, res);
		else if (res != -EAGAIN && res != -ECONNABORTED && s->o.verbosity)
			log_msg(LOG_WARNING, "http: accept: %s", strerror(-res));
		if (!(cqe->flags & IORING_CQE_F_MORE) && !atomic_load(&s->stop))
			post_accept(s, (int)(d & 0xff));
		return;
	}
	if (op == OP_TICK) {
		sweep(s);
		if (!atomic_load(&s->stop))
			post_tick(s);
		return;
	}
	if (op == OP_WAKE) {
		take_config(s);
		if (!atomic_load(&s->stop))
			post_wake(s);
		return;
	}
	uint32_t idx = (uint32_t)d, gen = (uint32_t)(d >> 32) & 0xffffff;
	struct conn *c = idx < s->nc ? s->c[idx] : NULL;
	if (!c || (c->gen & 0xffffff) != gen)
		return;
	c->busy = false;
	if (c->closing) {
		conn_close(s, c);
		return;
	}
	if (op == OP_RECV) {
		if (res <= 0) {
			conn_close(s, c);   /* peer closed, or an error */
			return;
		}
		if (c->draining) {      /* discard until EOF or the deadline */
			post_recv(s, c);
			return;
		}
		c->in_len += (size_t)res;
		process_input(s, c);
	} else if (op == OP_POLLOUT) {
		if (res < 0 || (res & (POLLERR | POLLHUP))) {
			conn_close(s, c);
			return;
		}
		pump(s, c);
	}
}

struct http_server *http_server_new(const struct http_server_opts *o, const int *fds, int nfds,
				    char *err, size_t errlen)
{
	struct http_server *s = calloc(1, sizeof(*s));
	if (!s || nfds > MAX_LISTEN) {
		snprintf(err, errlen, "http: %s", s ? "too many listeners" : "out of memory");
		free(s);
		return NULL;
	}
	s->o = *o;
	s->sh = o->shared;
	s->cfg = o->cfg;
	s->nl = nfds;
	memcpy(s->lfd, fds, (size_t)nfds * sizeof(int));
	s->wake_fd = eventfd(0, EFD_CLOEXEC);
	struct io_uring_params p = { .flags = IORING_SETUP_SUBMIT_ALL | IORING_SETUP_COOP_TASKRUN,
				     .cq_entries = 16384 };
	p.flags |= IORING_SETUP_CQSIZE;
	int ret = s->wake_fd < 0 ? -errno : io_uring_queue_init_params(4096, &s->ring, &p);
	if (ret < 0) {
		snprintf(err, errlen, "http: io_uring: %s", strerror(-ret));
		if (s->wake_fd >= 0)
			close(s->wake_fd);
		free(s);
		return NULL;
	}
	return s;
}

int http_server_run(struct http_server *s)
{
	for (int i = 0; i < s->nl; i++)
		post_accept(s, i);
	post_tick(s);
	post_wake(s);
	while (!atomic_load(&s->stop)) {
		struct io_uring_cqe *cqe;
		int ret = io_uring_submit_and_wait(&s->ring, 1);
		if (ret < 0 && ret != -EINTR && ret != -EAGAIN && ret != -EBUSY)
			return ret;
		s->now = now_us();
		unsigned head, n = 0;
		io_uring_for_each_cqe(&s->ring, head, cqe) {
			dispatch(s, cqe);
			n++;
		}
		io_uring_cq_advance(&s->ring, n);
	}
	return 0;
}

void http_server_stop(struct http_server *s)
{
	uint64_t one = 1;
	atomic_store(&s->stop, true);
	if (write(s->wake_fd, &one, sizeof(one)) < 0)
		log_msg(LOG_ERR, "http: eventfd: %s", strerror(errno));
}

void http_server_offer_config(struct http_server *s, struct rb_config *cfg)
{
	uint64_t one = 1;
	struct rb_config *old = atomic_exchange(&s->offered, cfg);
	if (old) {                  /* never taken up: superseded */
		rb_config_free(old);
		free(old);
	}
	if (write(s->wake_fd, &one, sizeof(one)) < 0)
		log_msg(LOG_ERR, "http: eventfd: %s", strerror(errno));
}

void http_server_free(struct http_server *s)
{
	if (!s)
		return;
	io_uring_queue_exit(&s->ring);   /* cancels what is in flight */
	for (uint32_t i = 0; i < s->nc; i++) {
		struct conn *c = s->c[i];
		if (!c)
			continue;
		response_reset(s, c);
		close(c->fd);
		atomic_fetch_sub(&s->sh->conns, 1);
		free(c);
	}
	for (int i = 0; i < s->nl; i++)
		close(s->lfd[i]);
	close(s->wake_fd);
	take_config(s);
	rb_config_free(s->cfg);
	free(s->cfg);
	free(s->c);
	free(s->free_idx);
	free(s);
}
