/* rackboot-storm's engine: one thread, one io_uring, every simulated node
 * a small state machine driven by completions and one timer each.
 *
 *   storm_engine.c       ring, buffers, timers, the loop, node lifecycle
 *   storm_engine_dhcp.c  DORA over one AF_PACKET socket, leased addresses
 *   storm_engine_proxy.c the ProxyDHCPREQUEST on port 4011 after a proxy offer
 *   storm_engine_udp.c   a node's UDP socket (TFTP, port 4011)
 *   storm_engine_tftp.c  TFTP over it (storm_tftp.c decides)
 *   storm_engine_http.c  a TCP connection per node in HTTP
 *
 * Sends of one loop iteration go to the kernel with one io_uring_enter
 * (DHCP frames with one sendmmsg, address changes with one netlink
 * sendmsg per 256); every receive is a multishot operation drawing from
 * a provided-buffer ring, so a datagram costs no system call of its own. */
#ifndef RACKBOOT_STORM_ENGINE_H
#define RACKBOOT_STORM_ENGINE_H

#include <liburing.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/uio.h>

#include "storm/storm_args.h"
#include "storm/storm_dhcp.h"
#include "storm/storm_netlink.h"
#include "storm/storm_node.h"
#include "lib/timer_heap.h"

/* Firmware timing, before --timeout-scale. */
#define DHCP_RETX_MS      4000      /* PXE spec: waits of 4, 8, 16, 32 s after each send */
#define DHCP_TRANSMITS    4         /* transmissions of one message before dhcp-timeout */
#define DHCP_NAK_PAUSE_MS 1000      /* iPXE: DISCOVER again 1 s after a NAK */
#define TFTP_TIMEOUT_MS   4000      /* EDK2 and PXE ROMs: 4 s per try */
#define TFTP_RETRIES      6         /* consecutive timeouts before tftp-timeout */
#define HTTP_IDLE_MS      30000     /* no byte for this long: http-timeout */
#define HTTP_RETRY_DEF_S  1         /* a 503 without Retry-After */

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

struct storm {
	const struct storm_cfg *cfg;
	struct storm_node *nodes;
	unsigned n;

	struct io_uring ring;
	struct storm_bufring small, big;
	struct msghdr rmsg_udp;            /* multishot recvmsg template */
	uint32_t batch;                     /* bumped at every submit */

	struct timer_heap timers;
	uint64_t t0_abs;                    /* CLOCK_MONOTONIC ns at start */
	uint64_t now;                       /* ns since t0 */
	uint64_t end_at;                    /* --max-time, ns since t0 */
	uint64_t last_progress;
	unsigned next_start;                /* first node not started yet */
	volatile sig_atomic_t *stop;        /* set by a signal handler */

	unsigned running[PH__N], done, failed;

	/* DHCP over AF_PACKET */
	int ifindex;
	int pkt_fd;
	uint16_t ip_id;
	uint64_t rng;
	struct mmsghdr *tx_msgs;
	struct iovec *tx_iov;
	uint8_t *tx_frames;
	unsigned tx_n;

	/* leased addresses: every one added, removed again at the end */
	struct snl nl;
	uint32_t *added_ip;
	uint8_t *added_prefix;
	unsigned added_n, added_cap;

	/* closes and frees that must wait until the SQEs naming them were
	 * submitted (a queued send still reads the buffer, uses the fd) */
	int *defer_fd;
	void **defer_mem;
	unsigned defer_fd_n, defer_mem_n, defer_cap;

	struct storm_stats st;
};

/* storm_engine.c */
int storm_init(struct storm *s, const struct storm_cfg *cfg, volatile sig_atomic_t *stop,
	       char *err, size_t errlen);
void storm_run(struct storm *s);
/* Remove every address added, close everything. */
void storm_fini(struct storm *s);

struct io_uring_sqe *storm_sqe(struct storm *s);
void storm_timer(struct storm *s, struct storm_node *n, uint64_t at);   /* 0 = none */
uint64_t storm_scaled_ms(const struct storm *s, double ms);            /* -> ns */
void storm_phase_begin(struct storm *s, struct storm_node *n, int ph);
void storm_phase_end(struct storm *s, struct storm_node *n);
/* The node is through its current phase (ended): start the next or finish. */
void storm_node_next(struct storm *s, struct storm_node *n);
void storm_node_fail(struct storm *s, struct storm_node *n, int reason, unsigned code);
/* Close fd (and cancel what is pending on it) after the next submit. */
void storm_close_later(struct storm *s, struct storm_node *n);
void storm_free_later(struct storm *s, void *p);
void storm_arm_recv(struct storm *s, int fd, uint32_t idx, uint16_t gen, unsigned op);
void storm_buf_return(struct storm_bufring *r, unsigned bid);

/* storm_engine_dhcp.c */
int sdh_open(struct storm *s, char *err, size_t errlen);
void sdh_close(struct storm *s);
void sdh_begin(struct storm *s, struct storm_node *n, int ph);
void sdh_on_frame(struct storm *s, const uint8_t *frame, size_t len);
void sdh_drain(struct storm *s);
void sdh_on_timer(struct storm *s, struct storm_node *n);
void sdh_flush_frames(struct storm *s);
void sdh_flush_addrs(struct storm *s);
void sdh_remove_addrs(struct storm *s);
void sdh_abort(struct storm *s, struct storm_node *n);

/* storm_engine_dhcp.c, for the port-4011 step */
void sdh_fill_req(const struct storm *s, const struct storm_node *n, uint8_t type,
		  struct sdhcp_req *r);
void sdh_take_boot(struct storm_node *n, const struct sdhcp_reply *r, uint32_t src_ip, int from);
uint64_t sdh_retx_after(const struct storm *s, unsigned k);

/* storm_engine_proxy.c: the ProxyDHCPREQUEST once the leased address is
 * on the interface; ends the DHCP phase at the ProxyDHCPACK. */
void spx_begin(struct storm *s, struct storm_node *n);
void spx_on_recv(struct storm *s, struct storm_node *n, const struct sockaddr_in *src,
		 const uint8_t *p, size_t len);
void spx_on_timer(struct storm *s, struct storm_node *n);
void spx_abort(struct storm *s, struct storm_node *n);

/* storm_engine_udp.c: a node's UDP socket (TFTP, port 4011). A send slot
 * is per kind of message: a second send of the same slot within one batch
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
int storm_udp_open(struct storm *s, struct storm_node *n, uint16_t port);
void storm_udp_send(struct storm *s, struct storm_node *n, struct storm_udp_tx *t,
		    const void *buf, size_t len, uint32_t ip, uint16_t port);

/* storm_engine_tftp.c */
void stt_begin(struct storm *s, struct storm_node *n);
void stt_on_recv(struct storm *s, struct storm_node *n, const struct sockaddr_in *src,
		 const uint8_t *p, size_t len);
void stt_on_timer(struct storm *s, struct storm_node *n);
void stt_abort(struct storm *s, struct storm_node *n);

/* storm_engine_http.c */
void sth_begin(struct storm *s, struct storm_node *n);
void sth_on_cqe(struct storm *s, struct storm_node *n, unsigned op, int res,
		const uint8_t *data, size_t len, bool more);
void sth_on_timer(struct storm *s, struct storm_node *n);
void sth_abort(struct storm *s, struct storm_node *n);
void sth_free(struct storm_node *n);                 /* at exit: no I/O */

#endif
