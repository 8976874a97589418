/* rackboot-storm's I/O layer: the one io_uring and what every protocol
 * step shares on it. Below the steps and the engine, it knows nothing of
 * either: it owns the ring, the provided-buffer rings, the per-node timers,
 * the clock, deferred closes and frees, and a node's UDP socket.
 *
 *   storm_io.c      ring, buffer rings, SQEs, timers, deferred close/free
 *   storm_io_udp.c  a node's UDP socket (TFTP, port 4011)
 *
 * Above it, each step (storm_step_*.h) drives one protocol for a node and
 * reports how that went through the three outcome calls at the end of this
 * header; the engine (storm_engine.c) implements them, starts the steps and
 * dispatches completions and timers to them. */
#ifndef RACKBOOT_STORM_IO_H
#define RACKBOOT_STORM_IO_H

#include <liburing.h>
#include <stdbool.h>
#include <stdint.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/uio.h>

#include "storm/storm_args.h"
#include "storm/storm_node.h"
#include "lib/timer_heap.h"

/* user_data of every SQE: node index, its socket generation, the op. */
enum storm_op {
	OP_PKT_RECV = 1, OP_UDP_RECV, OP_UDP_SEND, OP_TCP_CONNECT, OP_TCP_SEND,
	OP_TCP_RECV, OP_CANCEL,
};
#define UD_PKT       0xffffffffu   /* "node index" of the AF_PACKET socket */
#define UD_MAKE(idx, gen, op) ((uint64_t)(idx) << 32 | (uint64_t)((gen) & 0xfffu) << 4 | (op))
#define UD_IDX(ud)   ((uint32_t)((ud) >> 32))
#define UD_GEN(ud)   ((uint16_t)(((ud) >> 4) & 0xfffu))
#define UD_OP(ud)    ((unsigned)((ud) & 0xfu))

/* Provided-buffer groups: small for datagrams (DHCP frames, TFTP), big for
 * TCP streams. */
enum { BG_SMALL = 1, BG_BIG = 2 };
#define SMALL_BUF 2048
#define BIG_BUF   16384

struct storm_bufring {
	struct io_uring_buf_ring *br;
	uint8_t *base;
	unsigned n, size;
	uint16_t bgid;
};

/* Counters the steps and the loop bump and the report prints. */
struct storm_stats {
	uint64_t frames_tx, frames_rx, frames_stray, frames_bad, frames_tx_err;
	uint64_t dhcp_offers, dhcp_proxy_offers, dhcp_acks, dhcp_naks;
	uint64_t proxy_tx, proxy_acks, proxy_stray;   /* port 4011 */
	uint64_t tftp_strays, tftp_retx, tftp_pkts;
	uint64_t http_requests, http_reconnects;
	uint64_t enobufs, rearms, send_errors, submits;
	uint64_t addr_added, addr_failed;
	int last_errno;
};

struct storm_io {
	const struct storm_cfg *cfg;
	struct storm_node *nodes;
	unsigned n;

	struct io_uring ring;
	struct storm_bufring small, big;
	struct msghdr rmsg_udp;            /* multishot recvmsg template */
	uint32_t batch;                     /* bumped at every submit */

	struct timer_heap timers;
	uint64_t now;                       /* ns since the run started */

	/* closes and frees that must wait until the SQEs naming them were
	 * submitted (a queued send still reads the buffer, uses the fd) */
	int *defer_fd;
	void **defer_mem;
	unsigned defer_fd_n, defer_mem_n, defer_cap;

	struct storm_stats st;
};

/* On a zeroed struct: the configuration and the deferred lists. 0, or
 * -1 out of memory. The nodes are the engine's to allocate. */
int storm_io_init(struct storm_io *s, const struct storm_cfg *cfg);
/* The ring and both buffer rings, sized for s->n nodes. 0, or -1 with
 * err set. */
int storm_io_open(struct storm_io *s, char *err, size_t errlen);
/* Exit the ring (cancelling what is in flight), run the deferred closes
 * and frees, free what storm_io_init and storm_io_open made. */
void storm_io_close(struct storm_io *s);

uint64_t storm_mono_ns(void);                                          /* CLOCK_MONOTONIC */
uint64_t storm_scaled_ms(const struct storm_io *s, double ms);         /* -> ns */

struct io_uring_sqe *storm_sqe(struct storm_io *s);
/* A multishot receive on fd for (idx, gen, op): OP_PKT_RECV only polls
 * (the owner reads the socket itself), OP_TCP_RECV draws big buffers,
 * anything else is a recvmsg into small ones. */
void storm_arm_recv(struct storm_io *s, int fd, uint32_t idx, uint16_t gen, unsigned op);
void storm_buf_return(struct storm_bufring *r, unsigned bid);
/* Close n->fd (and cancel what is pending on it) after the next submit. */
void storm_close_later(struct storm_io *s, struct storm_node *n);
void storm_free_later(struct storm_io *s, void *p);
/* Run the deferred closes and frees: after every submit. */
void storm_io_run_deferred(struct storm_io *s);

/* One timer per node: at `at` (ns since start), 0 = none. */
void storm_timer(struct storm_io *s, struct storm_node *n, uint64_t at);
/* The next active node whose timer is due at s->now (its timer is then
 * cleared), or NULL when none is. */
struct storm_node *storm_timer_due(struct storm_io *s);

/* storm_io_udp.c: a node's UDP socket (TFTP, port 4011). A send slot is
 * per kind of message: a second send of the same slot within one batch
 * only rewrites what the first will send. */
struct storm_udp_tx {
	struct sockaddr_in to;
	struct iovec iov;
	struct msghdr msg;
	uint32_t queued_batch;         /* submit batch + 1 it is queued in, 0 none */
	uint16_t queued_gen;           /* on which socket (node generation) */
};
/* Bind to the node's address, port `port` (0: ephemeral), arm the
 * receive; n->fd and n->gen are the new socket's. 0, or -errno. */
int storm_udp_open(struct storm_io *s, struct storm_node *n, uint16_t port);
void storm_udp_send(struct storm_io *s, struct storm_node *n, struct storm_udp_tx *t,
		    const void *buf, size_t len, uint32_t ip, uint16_t port);

/* ------------------------------------------------------------ outcomes
 * How a step reports where a node stands. Declared here, below the
 * steps, and implemented by the engine (storm_engine.c), which owns the
 * node's lifecycle: a step says how its part ended and never starts
 * another step; the engine decides what runs next.
 *
 * Calls rather than an outcome returned from each step function: outcomes
 * arise deep inside a step and for many nodes per event (one netlink
 * batch answers hundreds of address adds, one frame batch carries replies
 * for many nodes, one receive buffer can end an HTTP response and start
 * the next request), and a step must see the effect at once (a failed
 * node's I/O released, its timer stopped) before it looks at the node
 * again. Threading returned outcomes through every level would say the
 * same less plainly. */

/* The node's current phase is over: its time in the report ends now. */
void storm_phase_end(struct storm_io *s, struct storm_node *n);
/* The step is through and has released its I/O: the engine starts what
 * follows (the port-4011 step after a DORA that needs it, else the next
 * phase) or, past the last phase, finishes the node. */
void storm_step_done(struct storm_io *s, struct storm_node *n);
/* The node failed (enum storm_reason, code for the report): the engine
 * aborts the running step, which releases its I/O, and stops the timer. */
void storm_node_fail(struct storm_io *s, struct storm_node *n, int reason, unsigned code);

#endif
