/* TFTP sender/receiver state machines; see tftp_xfer.h. */
#include "tftp/tftp_xfer.h"

uint16_t tftp_wire_block(uint64_t abs, uint16_t rollover)
{
	if (abs <= 65535)
		return (uint16_t)abs;
	return (uint16_t)(rollover + (abs - 65536) % (65536u - rollover));
}

static void timer_arm(struct xfer_timer *t, uint64_t now)
{
	t->last_send_us = now;
	t->deadline_us = now + t->cur_us;
}

static void timer_reset(struct xfer_timer *t, unsigned base_us)
{
	t->base_us = t->cur_us = base_us;
	t->retries = 0;
}

/* Exponential backoff, as tftpd-hpa: 1x, 2x, 4x ... of the base timeout. */
static bool timer_backoff(struct xfer_timer *t)
{
	if (t->retries >= TFTP_RETRIES)
		return false;
	t->retries++;
	/* Double, up to a minute, but never below what was negotiated. */
	if (t->cur_us < 30000000u)
		t->cur_us *= 2;
	else if (t->cur_us < 60000000u)
		t->cur_us = 60000000u;
	return true;
}

/* A duplicate gets an answer only once the peer has had time to give up
 * on what we last sent: a quarter of the timeout, at least 10 ms. */
static unsigned dup_gap(const struct xfer_timer *t)
{
	return t->base_us / 4 > 10000 ? t->base_us / 4 : 10000;
}

static bool dup_due(const struct xfer_timer *t, uint64_t now)
{
	return now - t->last_send_us >= dup_gap(t);
}

unsigned sender_dup_gap_us(const struct tftp_sender *s)
{
	return dup_gap(&s->t);
}

void sender_init(struct tftp_sender *s, unsigned window, uint16_t rollover,
		 unsigned timeout_us, uint64_t last, bool oack, uint64_t now)
{
	*s = (struct tftp_sender){
		.last = last, .window = window ? window : 1,
		.rollover = rollover, .oack_pending = oack,
	};
	timer_reset(&s->t, timeout_us);
	timer_arm(&s->t, now);
}

struct xfer_step sender_window(struct tftp_sender *s)
{
	struct xfer_step st = { .action = XA_SEND, .from = s->acked + 1, .count = s->window };

	if (s->last && st.from + st.count - 1 > s->last)
		st.count = (unsigned)(s->last - s->acked);
	return st;
}

struct xfer_step sender_start(struct tftp_sender *s, uint64_t now)
{
	timer_arm(&s->t, now);
	if (s->oack_pending)
		return (struct xfer_step){ .action = XA_OACK };
	return sender_window(s);
}

void sender_set_last(struct tftp_sender *s, uint64_t b)
{
	if (!s->last || b < s->last)
		s->last = b;
}

void sender_sent(struct tftp_sender *s, uint64_t hi, uint64_t now)
{
	if (hi > s->sent_hi)
		s->sent_hi = hi;
	timer_arm(&s->t, now);
}

void sender_resume(struct tftp_sender *s, uint64_t acked, uint64_t sent_hi, bool oack_acked,
		   uint64_t now)
{
	if (oack_acked)
		s->oack_pending = false;
	if (acked > s->acked)
		s->acked = acked;
	if (sent_hi > s->sent_hi)
		s->sent_hi = sent_hi;
	timer_arm(&s->t, now);
}

/* Which outstanding block does a 16-bit ACK name? The newest match wins. */
static bool map_ack(const struct tftp_sender *s, uint16_t wire, uint64_t *abs)
{
	uint64_t hi = s->sent_hi > s->acked ? s->sent_hi : s->acked;

	for (uint64_t b = hi + 1; b-- > s->acked;) {
		if (tftp_wire_block(b, s->rollover) == wire) {
			*abs = b;
			return true;
		}
		if (hi - b > 65536)
			break;
	}
	return false;
}

struct xfer_step sender_on_ack(struct tftp_sender *s, uint16_t wire, uint64_t now)
{
	uint64_t abs;

	if (s->oack_pending) {
		if (wire != 0)
			return (struct xfer_step){ .action = XA_NONE };
		s->oack_pending = false;
		timer_reset(&s->t, s->t.base_us);
		return sender_window(s);
	}
	if (!map_ack(s, wire, &abs))
		return (struct xfer_step){ .action = XA_NONE };
	if (abs > s->acked) {
		s->acked = abs;
		timer_reset(&s->t, s->t.base_us);
		if (s->last && s->acked >= s->last)
			return (struct xfer_step){ .action = XA_DONE };
		/* Full window acked: next window. Partial: go back to the gap. */
		return sender_window(s);
	}
	if (!dup_due(&s->t, now))
		return (struct xfer_step){ .action = XA_NONE };
	return sender_window(s);
}

struct xfer_step sender_on_timeout(struct tftp_sender *s, uint64_t now)
{
	(void)now;
	if (!timer_backoff(&s->t))
		return (struct xfer_step){ .action = XA_FAIL };
	if (s->oack_pending)
		return (struct xfer_step){ .action = XA_OACK };
	return sender_window(s);
}

void receiver_init(struct tftp_receiver *r, unsigned window, uint16_t rollover,
		   unsigned blksize, unsigned timeout_us, uint64_t now)
{
	*r = (struct tftp_receiver){
		.window = window ? window : 1, .rollover = rollover, .blksize = blksize,
	};
	timer_reset(&r->t, timeout_us);
	timer_arm(&r->t, now);
}

void receiver_sent(struct tftp_receiver *r, uint64_t now)
{
	timer_arm(&r->t, now);
}

struct xfer_step receiver_on_data(struct tftp_receiver *r, uint16_t wire,
				  unsigned len, uint64_t now)
{
	struct xfer_step st = { .action = XA_NONE };

	if (r->done) {
		/* Our final ACK was lost: the client resends its last block. */
		if (wire == tftp_wire_block(r->received, r->rollover))
			return (struct xfer_step){ .action = XA_SEND, .from = r->received };
		return st;
	}
	if (wire == tftp_wire_block(r->received + 1, r->rollover)) {
		r->received++;
		r->in_window++;
		r->gap_acked = false;
		timer_reset(&r->t, r->t.base_us);
		st = (struct xfer_step){ .action = XA_WRITE_ACK, .from = r->received };
		if (len < r->blksize) {
			st.final = st.ack = true;
			r->done = true;
		} else if (r->in_window >= r->window) {
			st.ack = true;
		}
		if (st.ack)
			r->in_window = 0;
		return st;
	}
	/* Out of order. A block from ahead of us is a gap in the window: ACK
	 * the last in-order block at once (RFC 7440), once per gap. A block we
	 * already have means our ACK was lost or the network duplicated it:
	 * re-ACK only once the sender has had time to miss our ACK, or a late
	 * duplicate would make a windowed sender resend blocks still in
	 * flight, and every window after would go out twice. */
	bool behind = (uint16_t)(tftp_wire_block(r->received, r->rollover) - wire) < 2 * r->window;
	bool too_soon = !dup_due(&r->t, now) && r->received;

	if (r->window == 1 ? too_soon : behind ? too_soon : r->gap_acked)
		return st;
	r->gap_acked = true;
	r->in_window = 0;
	return (struct xfer_step){ .action = XA_SEND, .from = r->received };
}

struct xfer_step receiver_on_timeout(struct tftp_receiver *r, uint64_t now)
{
	(void)now;
	if (r->done)
		return (struct xfer_step){ .action = XA_DONE };
	if (!timer_backoff(&r->t))
		return (struct xfer_step){ .action = XA_FAIL };
	r->in_window = 0;
	if (r->received == 0)
		return (struct xfer_step){ .action = XA_OACK };
	return (struct xfer_step){ .action = XA_SEND, .from = r->received };
}
