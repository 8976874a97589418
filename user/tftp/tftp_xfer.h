/* Transfer state machines for one TFTP session, free of I/O and clocks:
 * the event loop feeds them packets and the current time, and they answer
 * with what to send. Block numbers are kept as 64-bit absolute counts and
 * mapped to 16-bit wire numbers (with tftpd-hpa's rollover option) only at
 * the edges, so transfers past block 65535 need no special cases.
 *
 * Sorcerer's Apprentice: a duplicate ACK never doubles the stream. Only an
 * ACK that advances starts new data at once; a repeated ACK resends the
 * outstanding window only if nothing was sent for `dup_gap_us`, i.e. when
 * the client evidently timed out waiting. */
#ifndef RACKBOOT_TFTP_XFER_H
#define RACKBOOT_TFTP_XFER_H

#include <stdbool.h>
#include <stdint.h>

#define TFTP_RETRIES 5               /* retransmissions before giving up */

uint16_t tftp_wire_block(uint64_t abs, uint16_t rollover);

enum xfer_action {
	XA_NONE,        /* nothing to do */
	XA_SEND,        /* (sender) send blocks [from, from+count); (receiver) send ACK */
	XA_OACK,        /* resend the OACK (or, for a receiver, ACK 0) */
	XA_WRITE_ACK,   /* (receiver) store the block, then ACK if `ack` */
	XA_DONE,        /* transfer complete */
	XA_FAIL,        /* retries exhausted */
};

struct xfer_timer {
	unsigned base_us;            /* negotiated timeout */
	unsigned cur_us;             /* with backoff */
	unsigned retries;
	uint64_t deadline_us;        /* when to call *_on_timeout */
	uint64_t last_send_us;
};

struct tftp_sender {
	uint64_t acked;              /* highest block acknowledged; 0 = none */
	uint64_t sent_hi;            /* highest block sent */
	uint64_t last;               /* final block number; 0 while unknown */
	unsigned window;
	uint16_t rollover;
	bool oack_pending;           /* OACK sent, ACK 0 awaited */
	struct xfer_timer t;
};

struct xfer_step {
	enum xfer_action action;
	uint64_t from;               /* first block to send / block to ACK */
	unsigned count;              /* blocks to send */
	bool ack;                    /* XA_WRITE_ACK: ACK after writing */
	bool final;                  /* XA_WRITE_ACK: this was the last block */
};

void sender_init(struct tftp_sender *s, unsigned window, uint16_t rollover,
		 unsigned timeout_us, uint64_t last, bool oack, uint64_t now);
/* First step after init: OACK (if any) or the first window. */
struct xfer_step sender_start(struct tftp_sender *s, uint64_t now);
struct xfer_step sender_on_ack(struct tftp_sender *s, uint16_t wire, uint64_t now);
struct xfer_step sender_on_timeout(struct tftp_sender *s, uint64_t now);
/* The window that follows the last ACK (to resume a deferred send). */
struct xfer_step sender_window(struct tftp_sender *s);
/* The data source found the end earlier than `last` said (netascii, or a
 * file that shrank): block `b` is the final one. */
void sender_set_last(struct tftp_sender *s, uint64_t b);
/* The loop actually sent blocks up to `hi` at `now`. */
void sender_sent(struct tftp_sender *s, uint64_t hi, uint64_t now);
/* Take the transfer over from where someone else (the kernel's fast path)
 * left it: blocks up to `acked` acknowledged, up to `sent_hi` sent, and
 * whether ACK 0 of an OACK arrived. The next timeout resends from there. */
void sender_resume(struct tftp_sender *s, uint64_t acked, uint64_t sent_hi, bool oack_acked,
		   uint64_t now);
/* How long after a send a duplicate ACK resends the window (see above). */
unsigned sender_dup_gap_us(const struct tftp_sender *s);

struct tftp_receiver {
	uint64_t received;           /* highest in-order block stored */
	unsigned window;
	unsigned in_window;          /* blocks since the last ACK */
	uint16_t rollover;
	unsigned blksize;
	bool gap_acked;              /* an out-of-order ACK already went out */
	bool done;
	struct xfer_timer t;
};

void receiver_init(struct tftp_receiver *r, unsigned window, uint16_t rollover,
		   unsigned blksize, unsigned timeout_us, uint64_t now);
struct xfer_step receiver_on_data(struct tftp_receiver *r, uint16_t wire,
				  unsigned len, uint64_t now);
struct xfer_step receiver_on_timeout(struct tftp_receiver *r, uint64_t now);
/* The loop sent an ACK (or OACK) at `now`. */
void receiver_sent(struct tftp_receiver *r, uint64_t now);

#endif
