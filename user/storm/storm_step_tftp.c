/* TFTP of the boot program for one node over its UDP socket
 * (storm_io_udp.c: bound to the leased address, sends queued on the
 * ring). What to send is decided by storm_tftp.c; for EDK2's real request
 * after the size probe it asks for a new socket (a new port), as EDK2
 * does. */
#include <errno.h>
#include <netinet/in.h>
#include <stdlib.h>

#include "storm/storm_step_tftp.h"
#include "storm/storm_tftp.h"

#define TFTP_PORT 69
#define TFTP_TIMEOUT_MS   4000      /* EDK2 and PXE ROMs: 4 s per try (before --timeout-scale) */
#define TFTP_RETRIES      6         /* consecutive timeouts before tftp-timeout */

struct storm_tftp_io {
	struct stftp m;
	struct storm_udp_tx tx[3];
};

enum { TX_ERR, TX_RRQ, TX_ACK };

/* Queue send `k` to the TFTP server (only the newest ACK of a batch goes
 * out: see storm_udp_send). */
static void tx(struct storm_io *s, struct storm_node *n, int k, const void *buf, size_t len,
	       uint16_t port)
{
	storm_udp_send(s, n, &n->tftp->tx[k], buf, len, n->next_server, port);
}

/* End the phase's I/O: the socket closes and the state is freed after the
 * submit that carries the last ACK. */
static void release(struct storm_io *s, struct storm_node *n)
{
	if (!n->tftp)
		return;
	n->tftp_bytes = n->tftp->m.bytes;
	n->tftp_tsize = n->tftp->m.tsize > 0 ? (uint64_t)n->tftp->m.tsize : 0;
	n->tftp_blksize = n->tftp->m.blksize;
	n->tftp_window = n->tftp->m.window;
	n->span[PH_TFTP].retries = n->tftp->m.retransmits;
	s->st.tftp_strays += n->tftp->m.strays;
	s->st.tftp_retx += n->tftp->m.retransmits;
	storm_close_later(s, n);
	storm_free_later(s, n->tftp);
	n->tftp = NULL;
}

static void act(struct storm_io *s, struct storm_node *n, unsigned a)
{
	struct stftp *m = &n->tftp->m;

	if (a & STFTP_SEND_ERR)
		tx(s, n, TX_ERR, m->err, m->err_len, m->err_port);
	if (a & STFTP_NEW_PORT) {
		/* the ERROR above leaves on the old socket (queued first); the
		 * real request goes out from a new one */
		storm_close_later(s, n);
		int e = storm_udp_open(s, n, 0);
		if (e < 0) {
			storm_node_fail(s, n, R_SOCKET, (unsigned)-e);
			return;
		}
	}
	if (a & STFTP_SEND_RRQ)
		tx(s, n, TX_RRQ, m->rrq, m->rrq_len, TFTP_PORT);
	if (a & STFTP_SEND_ACK)
		tx(s, n, TX_ACK, m->ack, sizeof(m->ack), m->peer_port);
	if (a & STFTP_FAIL) {
		static const int reason[] = {
			[STFTP_F_NONE] = R_TFTP_PROTOCOL, [STFTP_F_TIMEOUT] = R_TFTP_TIMEOUT,
			[STFTP_F_ERROR] = R_TFTP_ERROR, [STFTP_F_SIZE] = R_TFTP_SIZE,
			[STFTP_F_PROTOCOL] = R_TFTP_PROTOCOL,
		};
		storm_node_fail(s, n, reason[m->fail], m->fail == STFTP_F_ERROR ? m->errcode : 0);
		return;
	}
	if (a & STFTP_DONE) {
		storm_phase_end(s, n);
		release(s, n);
		storm_step_done(s, n);
		return;
	}
	if (a & STFTP_PROGRESS)
		storm_timer(s, n, s->now + storm_scaled_ms(s, TFTP_TIMEOUT_MS));
}

void stt_begin(struct storm_io *s, struct storm_node *n)
{
	n->tftp = calloc(1, sizeof(*n->tftp));
	if (!n->tftp) {
		storm_node_fail(s, n, R_SOCKET, ENOMEM);
		return;
	}
	/* BIOS ROMs differ: about half ask 1432 (iPXE's, fits a VLAN), half 1456 */
	if (stftp_init(&n->tftp->m, n->kind == SK_UEFI ? STFTP_UEFI : STFTP_BIOS, n->bootfile,
		       storm_node_coin(n->idx) ? 1456 : 1432) < 0) {
		storm_node_fail(s, n, R_TFTP_PROTOCOL, 0);
		return;
	}
	int e = storm_udp_open(s, n, 0);
	if (e < 0) {
		storm_node_fail(s, n, R_SOCKET, (unsigned)-e);
		return;
	}
	act(s, n, stftp_start(&n->tftp->m) | STFTP_PROGRESS);
}

void stt_on_recv(struct storm_io *s, struct storm_node *n, const struct sockaddr_in *src,
		 const uint8_t *p, size_t len)
{
	if (!n->tftp)
		return;
	if (src->sin_addr.s_addr != n->next_server) {
		n->tftp->m.strays++;
		return;
	}
	s->st.tftp_pkts++;
	act(s, n, stftp_input(&n->tftp->m, ntohs(src->sin_port), p, len));
}

void stt_on_timer(struct storm_io *s, struct storm_node *n)
{
	if (!n->tftp)
		return;
	unsigned a = stftp_timeout(&n->tftp->m, TFTP_RETRIES);
	act(s, n, a);
	if (!(a & (STFTP_FAIL | STFTP_DONE)))
		storm_timer(s, n, s->now + storm_scaled_ms(s, TFTP_TIMEOUT_MS));
}

void stt_abort(struct storm_io *s, struct storm_node *n)
{
	release(s, n);
}
