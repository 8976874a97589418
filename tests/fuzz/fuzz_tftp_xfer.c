/* libFuzzer target for the transfer state machines (user/tftp_xfer.c).
 *
 * Input layout:
 *   byte 0   window - 1 (low 6 bits), bit 6 rollover 1 (else 0), bit 7 OACK
 *   byte 1   bit 0 linked mode, bit 1 last unknown (netascii), bit 2 start
 *            near block 65535 (last += 65500), bits 3-4 timeout base
 *            (10 ms, 100 ms, 1 s, 3 s)
 *   byte 2   last block (low 8 bits; 0 -> 1)
 *   then     events: one opcode byte, then its argument bytes.
 *
 * A sender and a receiver run side by side, fed ACK wire numbers, DATA
 * blocks with lengths, timeouts and time advances. In linked mode they are
 * connected through two in-flight queues (sender -> receiver DATA carrying
 * the true absolute block, receiver -> sender ACKs) that the input delivers,
 * drops, duplicates and reorders; in free mode the input also injects raw
 * wire numbers on both sides.
 *
 * Invariants (trap on violation):
 *  sender   - a window starts at acked + 1, holds 1..window blocks and never
 *             goes beyond `last`; acked never decreases and is never above
 *             the highest block sent; DONE only once acked >= last;
 *             OACK only while the OACK is pending.
 *  receiver - received never decreases; a write is always received + 1; an
 *             ACK names a block already received; no more than window - 1
 *             writes without an ACK; final only on a short block; after
 *             done, only re-ACKs of the final block.
 *  linked   - every block written is the true block sent with that number,
 *             final exactly at `last`; the sender's acked never exceeds the
 *             receiver's received; sender DONE implies receiver done. */
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "tftp/tftp_xfer.h"

#define CHECK(c) do { if (!(c)) __builtin_trap(); } while (0)

#define BLKSIZE 8
#define QMAX 512

struct pkt {
	uint64_t abs;                /* DATA: true block; ACK: unused */
	uint16_t wire;
	unsigned len;
	bool oack;                   /* an OACK (towards the receiver side) */
};

struct state {
	const uint8_t *p, *end;
	uint64_t now;
	bool linked;
	unsigned window;
	uint16_t rollover;
	struct tftp_sender s;
	struct tftp_receiver r;
	bool s_live, r_live;
	uint64_t s_prev_acked, r_prev_received;
	unsigned writes_since_ack;
	struct pkt fl[QMAX];         /* towards the receiver */
	unsigned nfl;
	struct pkt ak[QMAX];         /* towards the sender */
	unsigned nak;
};

static unsigned next(struct state *st)
{
	return st->p < st->end ? *st->p++ : 0;
}

static void push(struct pkt *q, unsigned *n, struct pkt p)
{
	if (*n < QMAX)               /* else the network drops it */
		q[(*n)++] = p;
}

static struct pkt take(struct pkt *q, unsigned *n, unsigned i, bool keep)
{
	struct pkt p = q[i];

	if (!keep) {
		memmove(q + i, q + i + 1, (*n - i - 1) * sizeof(*q));
		(*n)--;
	}
	return p;
}

/* ---- sender side ---- */

static void sender_apply(struct state *st, struct xfer_step x)
{
	struct tftp_sender *s = &st->s;

	CHECK(s->acked >= st->s_prev_acked);
	st->s_prev_acked = s->acked;
	CHECK(s->acked <= (s->sent_hi > s->acked ? s->sent_hi : s->acked));
	CHECK(s->acked <= s->sent_hi || (s->acked == 0 && s->sent_hi == 0));
	if (st->linked)
		CHECK(s->acked <= st->r.received);
	switch (x.action) {
	case XA_SEND:
		CHECK(!s->oack_pending);
		CHECK(x.from == s->acked + 1);
		CHECK(x.count >= 1 && x.count <= st->window);
		if (s->last)
			CHECK(x.from + x.count - 1 <= s->last);
		for (uint64_t b = x.from; b < x.from + x.count; b++)
			push(st->fl, &st->nfl, (struct pkt){
				.abs = b, .wire = tftp_wire_block(b, st->rollover),
				.len = b == s->last ? (unsigned)(b % BLKSIZE) : BLKSIZE});
		sender_sent(s, x.from + x.count - 1, st->now);
		CHECK(s->sent_hi >= x.from + x.count - 1);
		break;
	case XA_OACK:
		CHECK(s->oack_pending);
		push(st->fl, &st->nfl, (struct pkt){.oack = true});
		sender_sent(s, 0, st->now);
		break;
	case XA_DONE:
		CHECK(s->last && s->acked >= s->last);
		if (st->linked)
			CHECK(st->r.done && st->r.received == s->last);
		st->s_live = false;
		break;
	case XA_FAIL:
		CHECK(s->t.retries == TFTP_RETRIES);
		st->s_live = false;
		break;
	case XA_NONE:
		break;
	default:
		CHECK(0);
	}
}

static void sender_ack(struct state *st, uint16_t wire)
{
	if (st->s_live)
		sender_apply(st, sender_on_ack(&st->s, wire, st->now));
}

/* ---- receiver side ---- */

static void receiver_ack(struct state *st, uint64_t from)
{
	CHECK(from <= st->r.received);
	st->writes_since_ack = 0;
	push(st->ak, &st->nak, (struct pkt){.wire = tftp_wire_block(from, st->rollover)});
	receiver_sent(&st->r, st->now);
}

/* `abs` is the true block (linked mode), or 0 when unknown. */
static void receiver_data(struct state *st, uint16_t wire, unsigned len, uint64_t abs)
{
	struct tftp_receiver *r = &st->r;
	bool was_done = r->done;
	uint64_t before = r->received;
	struct xfer_step x;

	if (!st->r_live)
		return;
	x = receiver_on_data(r, wire, len, st->now);
	CHECK(r->received >= st->r_prev_received);
	st->r_prev_received = r->received;
	switch (x.action) {
	case XA_WRITE_ACK:
		CHECK(!was_done);
		CHECK(x.from == before + 1 && r->received == x.from);
		CHECK(wire == tftp_wire_block(x.from, st->rollover));
		if (abs)
			CHECK(abs == x.from);
		CHECK(x.final == (len < BLKSIZE));
		if (x.final)
			CHECK(x.ack && r->done);
		if (st->linked)
			CHECK(x.final == (x.from == st->s.last));
		if (x.ack) {
			receiver_ack(st, x.from);
		} else {
			st->writes_since_ack++;
			CHECK(st->writes_since_ack < st->window);
		}
		break;
	case XA_SEND:
		if (was_done)
			CHECK(x.from == r->received && wire == tftp_wire_block(r->received, st->rollover));
		receiver_ack(st, x.from);
		break;
	case XA_NONE:
		CHECK(r->received == before);
		break;
	default:
		CHECK(0);
	}
}

static void receiver_tick(struct state *st)
{
	struct xfer_step x;

	if (!st->r_live)
		return;
	if (st->now < st->r.t.deadline_us)
		st->now = st->r.t.deadline_us;
	x = receiver_on_timeout(&st->r, st->now);
	switch (x.action) {
	case XA_DONE:
		CHECK(st->r.done);
		st->r_live = false;
		break;
	case XA_FAIL:
		CHECK(!st->r.done && st->r.t.retries == TFTP_RETRIES);
		st->r_live = false;
		break;
	case XA_OACK:
		CHECK(st->r.received == 0);
		st->writes_since_ack = 0;
		push(st->ak, &st->nak, (struct pkt){.wire = 0});
		receiver_sent(&st->r, st->now);
		break;
	case XA_SEND:
		CHECK(x.from == st->r.received && x.from > 0);
		receiver_ack(st, x.from);
		break;
	default:
		CHECK(0);
	}
}

/* The receiver side gets a packet from the flight queue. */
static void deliver_to_receiver(struct state *st, struct pkt p)
{
	if (p.oack) {
		/* A client answers an OACK with ACK 0 until data flows. */
		if (st->r_live && st->r.received == 0) {
			push(st->ak, &st->nak, (struct pkt){.wire = 0});
			receiver_sent(&st->r, st->now);
		}
		return;
	}
	receiver_data(st, p.wire, p.len, st->linked ? p.abs : 0);
}

/* Deliver everything in flight, in order, both ways; `rounds` times. */
static void pump(struct state *st, unsigned rounds)
{
	static struct pkt batch[QMAX];

	for (unsigned k = 0; k < rounds && (st->nfl || st->nak); k++) {
		unsigned n = st->nfl;
		memcpy(batch, st->fl, n * sizeof(*batch));
		st->nfl = 0;
		for (unsigned i = 0; i < n; i++)
			deliver_to_receiver(st, batch[i]);
		n = st->nak;
		memcpy(batch, st->ak, n * sizeof(*batch));
		st->nak = 0;
		for (unsigned i = 0; i < n; i++)
			sender_ack(st, batch[i].wire);
		st->now += 1000;
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct state st;
	static const unsigned timeouts[4] = {10000, 100000, 1000000, 3000000};
	unsigned b0, b1, b2;
	uint64_t last;

	if (size < 3 || size > 4096)
		return 0;
	memset(&st, 0, sizeof(st));
	st.p = data;
	st.end = data + size;
	b0 = next(&st);
	b1 = next(&st);
	b2 = next(&st);
	st.window = (b0 & 63) + 1;
	st.rollover = (b0 >> 6) & 1;
	st.linked = b1 & 1;
	last = b2 ? b2 : 1;
	if (b1 & 4)
		last += 65500;
	if (b1 & 2)
		last = 0;
	sender_init(&st.s, st.window, st.rollover, timeouts[(b1 >> 3) & 3], last, b0 >> 7, 0);
	receiver_init(&st.r, st.window, st.rollover, BLKSIZE, timeouts[(b1 >> 3) & 3], 0);
	st.s_live = st.r_live = true;
	sender_apply(&st, sender_start(&st.s, 0));

	while (st.p < st.end) {
		unsigned op = next(&st) & 15, a;

		switch (op) {
		case 0:                 /* raw ACK */
			a = next(&st) << 8;
			a |= next(&st);
			if (!st.linked)
				sender_ack(&st, (uint16_t)a);
			break;
		case 1:                 /* ACK relative to acked */
			a = next(&st);
			if (!st.linked)
				sender_ack(&st, tftp_wire_block(st.s.acked + (uint64_t)(int8_t)a, st.rollover));
			break;
		case 2:                 /* sender timeout */
			if (st.s_live) {
				if (st.now < st.s.t.deadline_us)
					st.now = st.s.t.deadline_us;
				sender_apply(&st, sender_on_timeout(&st.s, st.now));
			}
			break;
		case 3:                 /* time passes */
			a = next(&st);
			st.now += (uint64_t)(a & 127) * ((a & 128) ? 50000 : 1000);
			break;
		case 4: {               /* the data source ends early */
			a = next(&st);
			uint64_t base = st.linked ? st.s.sent_hi : st.s.acked;
			if (st.s_live)
				sender_set_last(&st.s, base + 1 + a % 32);
			break;
		}
		case 5:                 /* deferred send resumes */
			if (st.s_live && !st.s.oack_pending)
				sender_apply(&st, sender_window(&st.s));
			break;
		case 6:                 /* fast forward */
			a = next(&st);
			if (st.linked) {
				pump(&st, a * 4 + 1);
			} else {
				for (unsigned k = 0; k < a * 4 + 1 && st.s_live; k++) {
					if (st.s.oack_pending)
						sender_ack(&st, 0);
					else
						sender_ack(&st, tftp_wire_block(st.s.sent_hi, st.rollover));
					st.now += 100;
				}
				st.nfl = 0;
			}
			break;
		case 7:                 /* raw DATA */
			a = next(&st) << 8;
			a |= next(&st);
			if (!st.linked)
				receiver_data(&st, (uint16_t)a, next(&st) % (BLKSIZE + 1), 0);
			break;
		case 8:                 /* DATA relative to received */
			a = next(&st);
			if (!st.linked)
				receiver_data(&st, tftp_wire_block(st.r.received + (uint64_t)(int8_t)a, st.rollover),
					      (a & 1) ? BLKSIZE : (unsigned)(a % BLKSIZE), 0);
			break;
		case 9:
			receiver_tick(&st);
			break;
		case 10:                /* receiver fast forward: in-order full blocks */
			a = next(&st);
			if (!st.linked)
				for (unsigned k = 0; k < a * 16 + 1; k++)
					receiver_data(&st, tftp_wire_block(st.r.received + 1, st.rollover),
						      BLKSIZE, 0);
			break;
		case 11:                /* deliver one DATA (maybe keep a duplicate) */
			a = next(&st);
			if (st.nfl)
				deliver_to_receiver(&st, take(st.fl, &st.nfl, (a & 127) % st.nfl, a & 128));
			break;
		case 12:                /* deliver one ACK (maybe keep a duplicate) */
			a = next(&st);
			if (st.nak)
				sender_ack(&st, take(st.ak, &st.nak, (a & 127) % st.nak, a & 128).wire);
			break;
		case 13:                /* the network drops a packet */
			a = next(&st);
			if ((a & 128) && st.nak)
				take(st.ak, &st.nak, (a & 127) % st.nak, false);
			else if (st.nfl)
				take(st.fl, &st.nfl, (a & 127) % st.nfl, false);
			break;
		case 14:
			pump(&st, 1);
			break;
		case 15:                /* everything in flight, newest first */
			while (st.nfl)
				deliver_to_receiver(&st, take(st.fl, &st.nfl, st.nfl - 1, false));
			while (st.nak)
				sender_ack(&st, take(st.ak, &st.nak, st.nak - 1, false).wire);
			break;
		}
	}
	return 0;
}
