/* HTTP as iPXE does it, for one node: GET the script named by the iPXE
 * DHCP, then each kernel/initrd it names, one after the other on one
 * keep-alive connection (a new one only when the server closes or the URL
 * names another server). A 503 waits its Retry-After, then asks again.
 * Bodies are counted and checked against Content-Length, never stored
 * (except the script). The socket is bound to the node's leased address:
 * the server renders /boot.ipxe for the node it sees by that address.
 *
 * I/O: connect and send are ring operations; receiving is one multishot
 * recv per connection drawing 16 KiB buffers from the shared ring. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "storm/storm_step_http.h"
#include "storm/storm_http.h"
#include "storm/storm_ipxe.h"

#define HEAD_MAX   2048            /* a response head larger than this is refused */
#define SCRIPT_MAX (256 * 1024)
#define HTTP_IDLE_MS      30000     /* no byte for this long: http-timeout (before --timeout-scale) */
#define HTTP_RETRY_DEF_S  1         /* a 503 without Retry-After */

struct storm_http_io {
	struct shttp_url *urls;        /* [0] the script, then the images it names */
	unsigned nurls, cur;
	struct sockaddr_in dst;        /* where fd is connected (or connecting) */
	bool connected, served, resent, waiting, in_body;
	struct shttp_resp resp;
	uint64_t body_left;
	size_t head_len, req_len;
	char head[HEAD_MAX];
	char req[SHTTP_MAX_PATH + 256];
	char *script;
	size_t script_len;
};

static void idle_timer(struct storm_io *s, struct storm_node *n)
{
	storm_timer(s, n, s->now + storm_scaled_ms(s, HTTP_IDLE_MS));
}

static void release(struct storm_io *s, struct storm_node *n)
{
	struct storm_http_io *io = n->http;
	if (!io)
		return;
	storm_close_later(s, n);
	free(io->urls);
	free(io->script);
	storm_free_later(s, io);       /* the request buffer may still be queued */
	n->http = NULL;
}

static void fail(struct storm_io *s, struct storm_node *n, int reason, unsigned code)
{
	storm_node_fail(s, n, reason, code);
}

static void send_request(struct storm_io *s, struct storm_node *n)
{
	struct storm_http_io *io = n->http;
	io->req_len = shttp_build_get(io->req, sizeof(io->req), &io->urls[io->cur]);
	if (!io->req_len) {
		fail(s, n, R_HTTP_URL, 0);
		return;
	}
	io->head_len = 0;
	io->in_body = false;
	struct io_uring_sqe *q = storm_sqe(s);
	io_uring_prep_send(q, n->fd, io->req, io->req_len, MSG_NOSIGNAL);
	io_uring_sqe_set_data64(q, UD_MAKE(n->idx, n->gen, OP_TCP_SEND));
	s->st.http_requests++;
	idle_timer(s, n);
}

static void connect_to(struct storm_io *s, struct storm_node *n)
{
	struct storm_http_io *io = n->http;
	const struct shttp_url *u = &io->urls[io->cur];
	int one = 1;

	if (n->fd >= 0)
		storm_close_later(s, n);
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	struct sockaddr_in me = { .sin_family = AF_INET, .sin_addr.s_addr = n->ip };
	/* the port is chosen at connect, per 4-tuple: no ephemeral-port
	 * exhaustion with tens of thousands of nodes on one server port */
	if (fd >= 0)
		setsockopt(fd, IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, &one, sizeof(one));
	if (fd < 0 || bind(fd, (struct sockaddr *)&me, sizeof(me)) < 0) {
		s->st.last_errno = errno;
		if (fd >= 0)
			close(fd);
		fail(s, n, R_SOCKET, (unsigned)s->st.last_errno);
		return;
	}
	if (io->served || io->resent)
		s->st.http_reconnects++;
	n->fd = fd;
	n->gen++;
	io->dst = (struct sockaddr_in){ .sin_family = AF_INET, .sin_port = htons(u->port),
					.sin_addr.s_addr = u->ip };
	io->connected = io->served = false;
	struct io_uring_sqe *q = storm_sqe(s);
	io_uring_prep_connect(q, fd, (struct sockaddr *)&io->dst, sizeof(io->dst));
	io_uring_sqe_set_data64(q, UD_MAKE(n->idx, n->gen, OP_TCP_CONNECT));
	idle_timer(s, n);
}

/* The current request: on the open connection when it goes to the same
 * server, else on a new one (sent once connected). */
static void request(struct storm_io *s, struct storm_node *n)
{
	struct storm_http_io *io = n->http;
	const struct shttp_url *u = &io->urls[io->cur];
	if (n->fd >= 0 && io->connected && io->dst.sin_addr.s_addr == u->ip &&
	    io->dst.sin_port == htons(u->port))
		send_request(s, n);
	else
		connect_to(s, n);
}

void sth_begin(struct storm_io *s, struct storm_node *n)
{
	struct storm_http_io *io = calloc(1, sizeof(*io));
	n->http = io;
	if (io)
		io->urls = malloc(sizeof(*io->urls));
	if (!io || !io->urls) {
		fail(s, n, R_SOCKET, ENOMEM);
		return;
	}
	io->nurls = 1;
	if (!n->bootfile || shttp_parse_url(n->bootfile, NULL, &io->urls[0]) < 0) {
		fail(s, n, R_HTTP_URL, 0);
		return;
	}
	connect_to(s, n);
}

/* The script arrived: the images it names become the next requests. */
static int take_script(struct storm_io *s, struct storm_node *n)
{
	struct storm_http_io *io = n->http;
	struct sipxe_images *im = malloc(sizeof(*im));
	int rc = R_HTTP_SCRIPT;

	if (!im)
		return R_SOCKET;
	if (sipxe_parse(io->script ? io->script : "", io->script_len, im) == 0 && im->kernel >= 0) {
		struct shttp_url *u = realloc(io->urls, (1 + im->n) * sizeof(*u));
		rc = u ? 0 : R_SOCKET;
		if (u)
			io->urls = u;
		for (unsigned i = 0; !rc && i < im->n; i++)
			if (shttp_parse_url(im->url[i], &io->urls[0], &io->urls[1 + i]) < 0)
				rc = R_HTTP_URL;   /* https, a host name: iPXE would need DNS/TLS */
		if (!rc)
			io->nurls = 1 + im->n;
	}
	free(im);
	return rc;
}

/* A whole response (head and Content-Length bytes) is in. */
static void response_done(struct storm_io *s, struct storm_node *n)
{
	struct storm_http_io *io = n->http;
	const struct shttp_resp *r = &io->resp;

	io->in_body = false;
	io->served = true;
	io->resent = false;
	io->head_len = 0;
	if (r->status == 503) {
		/* admission control: wait as told (the server's number, not
		 * scaled), on the same connection if it stays open */
		n->http_503++;
		n->span[PH_HTTP].retries++;
		if (r->close)
			storm_close_later(s, n);
		io->waiting = true;
		int64_t wait = r->retry_after >= 0 ? r->retry_after : HTTP_RETRY_DEF_S;
		storm_timer(s, n, s->now + (uint64_t)wait * 1000000000ull);
		return;
	}
	if (r->status != 200) {
		fail(s, n, R_HTTP_STATUS, (unsigned)r->status);
		return;
	}
	if (io->cur == 0) {
		int e = take_script(s, n);
		if (e) {
			fail(s, n, e, 0);
			return;
		}
	}
	if (++io->cur == io->nurls) {
		storm_phase_end(s, n);         /* kernel and initrds in: "booted" */
		release(s, n);
		storm_step_done(s, n);
		return;
	}
	if (r->close)
		storm_close_later(s, n);
	request(s, n);
}

/* Body bytes of the current response. */
static int body(struct storm_io *s, struct storm_node *n, const uint8_t *p, size_t k)
{
	struct storm_http_io *io = n->http;
	io->body_left -= k;
	if (io->resp.status != 200)
		return 0;
	if (io->cur > 0) {
		n->http_bytes += k;
		return 0;
	}
	if (io->script_len + k > SCRIPT_MAX)
		return -1;
	if (!io->script) {
		io->script = malloc(io->resp.content_length < SCRIPT_MAX ? (size_t)io->resp.content_length + 1 : SCRIPT_MAX);
		if (!io->script)
			return -1;
	}
	memcpy(io->script + io->script_len, p, k);
	io->script_len += k;
	n->script_bytes += k;
	return 0;
}

static void on_bytes(struct storm_io *s, struct storm_node *n, const uint8_t *p, size_t len)
{
	struct storm_http_io *io = n->http;

	idle_timer(s, n);
	while (len && n->http == io && n->state == NS_ACTIVE) {
		if (io->waiting) {
			fail(s, n, R_HTTP_PROTOCOL, 0);   /* bytes nobody asked for */
			return;
		}
		if (!io->in_body) {
			size_t k = len < HEAD_MAX - io->head_len ? len : HEAD_MAX - io->head_len;
			memcpy(io->head + io->head_len, p, k);
			io->head_len += k;
			int r = shttp_parse_head(io->head, io->head_len, &io->resp);
			if (r == 0 && io->head_len < HEAD_MAX)
				return;                   /* k == len: all taken, need more */
			if (r <= 0 || io->resp.chunked || io->resp.content_length < 0) {
				fail(s, n, R_HTTP_PROTOCOL, 0);
				return;
			}
			/* bytes past the head in what was copied are body */
			size_t extra = io->head_len - io->resp.head_len;
			p += k;
			len -= k;
			io->in_body = true;
			io->body_left = (uint64_t)io->resp.content_length;
			if (extra > io->body_left) {
				fail(s, n, R_HTTP_PROTOCOL, 0);
				return;
			}
			if (body(s, n, (const uint8_t *)io->head + io->resp.head_len, extra) < 0) {
				fail(s, n, R_HTTP_PROTOCOL, 0);
				return;
			}
		} else {
			size_t k = len < io->body_left ? len : (size_t)io->body_left;
			if (body(s, n, p, k) < 0) {
				fail(s, n, R_HTTP_PROTOCOL, 0);
				return;
			}
			p += k;
			len -= k;
		}
		if (io->body_left == 0)
			response_done(s, n);
	}
}

/* The connection ended (EOF or an error) with `res`. */
static void conn_lost(struct storm_io *s, struct storm_node *n, int res)
{
	struct storm_http_io *io = n->http;
	bool got_some = io->head_len > 0 || io->in_body;

	storm_close_later(s, n);
	io->connected = false;
	if (io->waiting)
		return;                        /* reconnect when the wait is over */
	if (io->in_body) {
		fail(s, n, R_HTTP_SHORT, 0);
		return;
	}
	if (io->served && !got_some && !io->resent) {
		/* a kept-alive connection the server had just closed: ask again
		 * on a new one, once (RFC 9112 9.3.1: GET is idempotent) */
		io->resent = true;
		connect_to(s, n);
		return;
	}
	fail(s, n, res < 0 ? R_HTTP_CONNECT : R_HTTP_SHORT, res < 0 ? (unsigned)-res : 0);
}

void sth_on_cqe(struct storm_io *s, struct storm_node *n, unsigned op, int res,
		const uint8_t *data, size_t len, bool more)
{
	struct storm_http_io *io = n->http;
	if (!io)
		return;
	switch (op) {
	case OP_TCP_CONNECT:
		if (res < 0) {
			fail(s, n, R_HTTP_CONNECT, (unsigned)-res);
			return;
		}
		io->connected = true;
		storm_arm_recv(s, n->fd, n->idx, n->gen, OP_TCP_RECV);
		send_request(s, n);
		return;
	case OP_TCP_SEND:
		if (res < 0)
			conn_lost(s, n, res);
		else if ((size_t)res < io->req_len)
			fail(s, n, R_HTTP_PROTOCOL, 0);   /* a 200-byte request does not split */
		return;
	case OP_TCP_RECV: {
		int fd = n->fd;
		uint16_t gen = n->gen;
		if (res > 0 && data)
			on_bytes(s, n, data, len);
		else if (res == 0 || (res < 0 && res != -ENOBUFS))
			conn_lost(s, n, res);
		/* the multishot ended (no buffers) on a connection still in use */
		if (!more && res != 0 && n->http && n->state == NS_ACTIVE && n->fd == fd && n->gen == gen) {
			s->st.rearms++;
			storm_arm_recv(s, n->fd, n->idx, n->gen, OP_TCP_RECV);
		}
		return;
	}
	}
}

void sth_on_timer(struct storm_io *s, struct storm_node *n)
{
	struct storm_http_io *io = n->http;
	if (!io)
		return;
	if (io->waiting) {
		io->waiting = false;
		request(s, n);
		return;
	}
	fail(s, n, R_HTTP_TIMEOUT, 0);
}

void sth_abort(struct storm_io *s, struct storm_node *n)
{
	release(s, n);
}

void sth_free(struct storm_node *n)
{
	if (!n->http)
		return;
	free(n->http->urls);
	free(n->http->script);
	free(n->http);
	n->http = NULL;
}
