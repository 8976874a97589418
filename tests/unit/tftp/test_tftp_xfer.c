/* Unit tests for the transfer state machines (user/tftp_xfer.c).
 *
 * Three kinds of tests:
 *  - tables: wire mapping rows, and scripts (one row per scenario: a list of
 *    events - start, ACK, timeout, ... - each with the step the machine must
 *    answer). The driver reacts like the event loop in tftp_server.c: after
 *    XA_SEND it calls sender_sent(from + count - 1), after XA_OACK
 *    sender_sent(0), after any ACK the receiver sends, receiver_sent().
 *  - long loops past block 65535 with rollover 0 and 1, with wire numbers
 *    computed by an independent 16-bit counter model.
 *  - a small discrete-event network simulation (delay, jitter, loss,
 *    duplication) connecting a sender to a receiver or to a classic RFC 1350
 *    client that ACKs every DATA it gets, to check end-to-end delivery and
 *    that duplicates never double the stream (Sorcerer's Apprentice). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "table.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "tftp/tftp_xfer.h"

#define T_US   1000000u          /* base timeout used by the scripts */
#define GAP_US 250000u           /* duplicate gap: max(T/4, 10 ms) */

static const char *act_name(enum xfer_action a)
{
	switch (a) {
	case XA_NONE: return "NONE";
	case XA_SEND: return "SEND";
	case XA_OACK: return "OACK";
	case XA_WRITE_ACK: return "WRITE_ACK";
	case XA_DONE: return "DONE";
	case XA_FAIL: return "FAIL";
	}
	return "?";
}

/* Wire numbers from a 16-bit counter, as a client keeps them: +1 per block,
 * and after 65535 comes `rollover`. Independent of tftp_wire_block(). */
struct wire_counter {
	uint16_t w;
	uint16_t rollover;
};

static uint16_t wire_next(struct wire_counter *c)
{
	c->w = c->w == 65535 ? c->rollover : (uint16_t)(c->w + 1);
	return c->w;
}

/* ------------------------------------------------------------------ */
/* Wire mapping                                                        */

static const struct {
	const char *why;
	uint64_t abs;
	uint16_t rollover;
	uint16_t wire;
} wire_rows[] = {
	{"block 0 (OACK ack)", 0, 0, 0},
	{"block 1", 1, 0, 1},
	{"block 65535 is itself", 65535, 0, 65535},
	{"rollover 0: 65536 -> 0", 65536, 0, 0},
	{"rollover 0: 65537 -> 1", 65537, 0, 1},
	{"rollover 0: 131071 -> 65535", 131071, 0, 65535},
	{"rollover 0: 131072 -> 0 (second wrap)", 131072, 0, 0},
	{"rollover 1: 65535 is itself", 65535, 1, 65535},
	{"rollover 1: 65536 -> 1", 65536, 1, 1},
	{"rollover 1: 65537 -> 2", 65537, 1, 2},
	{"rollover 1: 131070 -> 65535", 131070, 1, 65535},
	{"rollover 1: 131071 -> 1 (second wrap skips 0)", 131071, 1, 1},
	{"rollover 1 does not change blocks below 65536", 100, 1, 100},
	{"rollover 1000: 65536 -> 1000", 65536, 1000, 1000},
	{"rollover 65535: stays at 65535", 70000, 65535, 65535},
	{"far beyond: 2^32 blocks, rollover 0", 4294967296ull, 0, 0},
};

static void test_wire_table(void **state)
{
	int failed = 0;

	(void)state;
	for (size_t i = 0; i < sizeof(wire_rows) / sizeof(wire_rows[0]); i++) {
		uint16_t w = tftp_wire_block(wire_rows[i].abs, wire_rows[i].rollover);
		if (w != wire_rows[i].wire) {
			print_error("row \"%s\": wire %u, want %u\n", wire_rows[i].why, w,
				    wire_rows[i].wire);
			failed++;
		}
	}
	assert_int_equal(failed, 0);
}

/* The mapping agrees with a 16-bit counter for 300000 blocks. */
static void test_wire_matches_counter(void **state)
{
	static const uint16_t rollovers[] = {0, 1, 2, 1000, 65534};

	(void)state;
	for (size_t r = 0; r < sizeof(rollovers) / sizeof(rollovers[0]); r++) {
		struct wire_counter c = {0, rollovers[r]};
		for (uint64_t b = 1; b <= 300000; b++) {
			uint16_t w = wire_next(&c);
			if (tftp_wire_block(b, rollovers[r]) != w)
				fail_msg("rollover %u block %" PRIu64 ": wire %u, counter %u",
					 rollovers[r], b, tftp_wire_block(b, rollovers[r]), w);
		}
	}
}

/* ------------------------------------------------------------------ */
/* Sender scripts                                                      */

enum ev_kind { EV_END, EV_START, EV_ACK, EV_TIMEOUT, EV_WINDOW, EV_SETLAST, EV_RESUME };

struct sev {
	enum ev_kind kind;
	uint64_t t;
	uint64_t arg;                /* ACK: wire number; SETLAST: block; RESUME: acked */
	enum xfer_action act;
	uint64_t from;
	unsigned count;
};

#define SEND(f, c) XA_SEND, (f), (c)
#define NONE XA_NONE, 0, 0
#define DONE XA_DONE, 0, 0
#define FAIL XA_FAIL, 0, 0
#define OACK XA_OACK, 0, 0
#define START(t, r) {EV_START, (t), 0, r}
#define ACK(t, w, r) {EV_ACK, (t), (w), r}
#define TMO(t, r) {EV_TIMEOUT, (t), 0, r}
#define WIN(r) {EV_WINDOW, 0, 0, r}
#define SETLAST(b) {EV_SETLAST, 0, (b), NONE}
/* the kernel's fast path gives the transfer back: acked, highest sent,
 * whether ACK 0 of the OACK came (in `count`) */
#define RESUME(t, a, hi, ack0) {EV_RESUME, (t), (a), XA_NONE, (hi), (ack0)}

struct sscript {
	const char *why;
	unsigned window;
	uint16_t rollover;
	uint64_t last;
	bool oack;
	uint64_t acked;              /* expected at the end */
	struct sev ev[24];
};

static const struct sscript sscripts[] = {
	{"lockstep, 3 blocks (file of 2.5 blocks)", 1, 0, 3, false, 3,
	 {START(0, SEND(1, 1)), ACK(1000, 1, SEND(2, 1)), ACK(2000, 2, SEND(3, 1)),
	  ACK(3000, 3, DONE)}},
	{"lockstep, empty file: one empty block", 1, 0, 1, false, 1,
	 {START(0, SEND(1, 1)), ACK(1000, 1, DONE)}},
	{"lockstep, file a multiple of blksize: final empty block", 1, 0, 3, false, 3,
	 {START(0, SEND(1, 1)), ACK(10, 1, SEND(2, 1)), ACK(20, 2, SEND(3, 1)), ACK(30, 3, DONE)}},
	{"lockstep, lost DATA: timeout resends it", 1, 0, 2, false, 2,
	 {START(0, SEND(1, 1)), TMO(T_US, SEND(1, 1)), ACK(T_US + 100, 1, SEND(2, 1)),
	  ACK(T_US + 200, 2, DONE)}},
	{"lockstep, stale ACK 0 ignored (even after the gap)", 1, 0, 4, false, 1,
	 {START(0, SEND(1, 1)), ACK(10, 1, SEND(2, 1)), ACK(20, 0, NONE),
	  ACK(10 + GAP_US + 1, 0, NONE)}},
	{"ACK for a block never sent is ignored", 1, 0, 9, false, 1,
	 {START(0, SEND(1, 1)), ACK(10, 5, NONE), ACK(20, 2, NONE), ACK(30, 1, SEND(2, 1))}},
	{"ACK 0 without OACK (client quirk) within the gap: nothing", 1, 0, 3, false, 0,
	 {START(0, SEND(1, 1)), ACK(100, 0, NONE)}},

	{"OACK: wrong ACK ignored, ACK 0 starts the data", 1, 0, 2, true, 2,
	 {START(0, OACK), ACK(10, 1, NONE), ACK(20, 2, NONE), ACK(30, 0, SEND(1, 1)),
	  ACK(40, 1, SEND(2, 1)), ACK(50, 2, DONE)}},
	{"OACK lost: timeout resends the OACK", 4, 0, 10, true, 0,
	 {START(0, OACK), TMO(T_US, OACK), TMO(3 * T_US, OACK), ACK(3 * T_US + 10, 0, SEND(1, 4))}},
	{"OACK then client repeats ACK 0: dup gap applies", 4, 0, 10, true, 0,
	 {START(0, OACK), ACK(100, 0, SEND(1, 4)), ACK(200, 0, NONE),
	  ACK(100 + GAP_US, 0, SEND(1, 4))}},
	{"OACK fails after TFTP_RETRIES timeouts", 1, 0, 2, true, 0,
	 {START(0, OACK), TMO(1, OACK), TMO(2, OACK), TMO(3, OACK), TMO(4, OACK), TMO(5, OACK),
	  TMO(6, FAIL)}},

	{"windowed: full-window ACK -> next window", 4, 0, 12, false, 12,
	 {START(0, SEND(1, 4)), ACK(10, 4, SEND(5, 4)), ACK(20, 8, SEND(9, 4)), ACK(30, 12, DONE)}},
	{"windowed: partial ACK -> go back to the gap", 4, 0, 10, false, 10,
	 {START(0, SEND(1, 4)), ACK(10, 4, SEND(5, 4)), ACK(20, 6, SEND(7, 4)),
	  ACK(30, 5, NONE), ACK(40, 10, DONE)}},
	{"windowed: stale ACK below acked ignored even after the gap", 4, 0, 20, false, 8,
	 {START(0, SEND(1, 4)), ACK(10, 4, SEND(5, 4)), ACK(20, 8, SEND(9, 4)),
	  ACK(20 + GAP_US * 4, 5, NONE), ACK(20 + GAP_US * 4, 3, NONE)}},
	{"windowed: ACK of a block inside the outstanding window", 8, 0, 100, false, 11,
	 {START(0, SEND(1, 8)), ACK(10, 8, SEND(9, 8)), ACK(20, 11, SEND(12, 8))}},
	{"windowed: ACK beyond the sent window ignored", 4, 0, 100, false, 4,
	 {START(0, SEND(1, 4)), ACK(10, 4, SEND(5, 4)), ACK(20, 9, NONE), ACK(30, 12, NONE)}},
	{"windowed: last window clipped to the final block", 8, 0, 5, false, 5,
	 {START(0, SEND(1, 5)), ACK(10, 3, SEND(4, 2)), ACK(20, 5, DONE)}},
	{"windowed: timeout resends the window from acked+1", 4, 0, 10, false, 10,
	 {START(0, SEND(1, 4)), TMO(T_US, SEND(1, 4)), ACK(T_US + 10, 2, SEND(3, 4)),
	  ACK(T_US + 20, 6, SEND(7, 4)), TMO(2 * T_US + 20, SEND(7, 4)), ACK(2 * T_US + 30, 10, DONE)}},
	{"windowed: duplicate ACK inside the gap -> nothing; at the gap -> resend", 4, 0, 40, false, 4,
	 {START(0, SEND(1, 4)), ACK(10000, 4, SEND(5, 4)), ACK(20000, 4, NONE),
	  ACK(10000 + GAP_US - 1, 4, NONE), ACK(10000 + GAP_US, 4, SEND(5, 4)),
	  ACK(10000 + GAP_US + 100, 4, NONE)}},
	{"sender_window resumes the window after the last ACK", 4, 0, 10, false, 4,
	 {START(0, SEND(1, 4)), ACK(10, 4, SEND(5, 4)), WIN(SEND(5, 4))}},

	{"lockstep duplicate ACK (Sorcerer's Apprentice) -> nothing", 1, 0, 5, false, 2,
	 {START(0, SEND(1, 1)), ACK(100, 1, SEND(2, 1)), ACK(200, 1, NONE), ACK(300, 1, NONE),
	  ACK(400, 2, SEND(3, 1)), ACK(500, 2, NONE)}},
	{"lockstep duplicate ACK after the gap: the peer timed out, resend", 1, 0, 5, false, 1,
	 {START(0, SEND(1, 1)), ACK(100, 1, SEND(2, 1)), ACK(100 + GAP_US, 1, SEND(2, 1))}},

	{"timeouts: 5 retransmissions then FAIL", 1, 0, 3, false, 0,
	 {START(0, SEND(1, 1)), TMO(1, SEND(1, 1)), TMO(2, SEND(1, 1)), TMO(3, SEND(1, 1)),
	  TMO(4, SEND(1, 1)), TMO(5, SEND(1, 1)), TMO(6, FAIL)}},
	{"an advancing ACK resets the retry count", 1, 0, 3, false, 1,
	 {START(0, SEND(1, 1)), TMO(1, SEND(1, 1)), TMO(2, SEND(1, 1)), TMO(3, SEND(1, 1)),
	  TMO(4, SEND(1, 1)), TMO(5, SEND(1, 1)), ACK(6, 1, SEND(2, 1)), TMO(7, SEND(2, 1)),
	  TMO(8, SEND(2, 1)), TMO(9, SEND(2, 1)), TMO(10, SEND(2, 1)), TMO(11, SEND(2, 1)),
	  TMO(12, FAIL)}},
	{"a duplicate ACK does not reset the retry count", 1, 0, 3, false, 1,
	 {START(0, SEND(1, 1)), ACK(1, 1, SEND(2, 1)), TMO(2, SEND(2, 1)), TMO(3, SEND(2, 1)),
	  TMO(4, SEND(2, 1)), ACK(4 + GAP_US, 1, SEND(2, 1)), TMO(5 + GAP_US, SEND(2, 1)),
	  TMO(6 + GAP_US, SEND(2, 1)), TMO(7 + GAP_US, FAIL)}},

	{"resume after the kernel served blocks 1-8: a timeout resends 9-12", 4, 0, 20, false, 12,
	 {START(0, SEND(1, 4)), RESUME(T_US, 8, 12, 1), TMO(2 * T_US, SEND(9, 4)),
	  ACK(2 * T_US + 10, 12, SEND(13, 4))}},
	{"resume: an ACK of a block the kernel sent is taken", 4, 0, 20, false, 10,
	 {START(0, SEND(1, 4)), RESUME(10, 4, 8, 1), ACK(20, 6, SEND(7, 4)), ACK(30, 10, SEND(11, 4))}},
	{"resume after an OACK the client never ACKed: the OACK again", 4, 0, 10, true, 0,
	 {START(0, OACK), RESUME(T_US, 0, 0, 0), TMO(2 * T_US, OACK), ACK(2 * T_US + 5, 0, SEND(1, 4))}},
	{"resume after ACK 0 reached the kernel: data, not the OACK", 4, 0, 10, true, 4,
	 {START(0, OACK), RESUME(T_US, 0, 4, 1), TMO(2 * T_US, SEND(1, 4)), ACK(2 * T_US + 5, 4, SEND(5, 4))}},
	{"resume never moves acked back", 1, 0, 10, false, 3,
	 {START(0, SEND(1, 1)), ACK(10, 1, SEND(2, 1)), ACK(20, 2, SEND(3, 1)), ACK(30, 3, SEND(4, 1)),
	  RESUME(40, 1, 1, 1), TMO(T_US + 40, SEND(4, 1))}},
	{"resume of a finished transfer's last block: its ACK ends it", 1, 0, 3, false, 3,
	 {START(0, SEND(1, 1)), RESUME(10, 2, 3, 1), ACK(20, 3, DONE)}},

	{"sender_set_last: netascii end found early (window 4)", 4, 0, 0, false, 6,
	 {START(0, SEND(1, 4)), ACK(10, 4, SEND(5, 4)), SETLAST(6), ACK(20, 5, SEND(6, 1)),
	  SETLAST(9), TMO(T_US + 20, SEND(6, 1)), ACK(T_US + 30, 6, DONE)}},
	{"sender_set_last: lockstep, unknown length", 1, 0, 0, false, 2,
	 {START(0, SEND(1, 1)), SETLAST(2), ACK(10, 1, SEND(2, 1)), ACK(20, 2, DONE)}},
	{"sender_set_last: file shrank below last", 4, 0, 100, false, 3,
	 {START(0, SEND(1, 4)), SETLAST(3), ACK(10, 2, SEND(3, 1)), ACK(20, 3, DONE)}},
	{"sender_set_last: a larger value never raises last", 4, 0, 5, false, 5,
	 {START(0, SEND(1, 4)), SETLAST(50), ACK(10, 4, SEND(5, 1)), ACK(20, 5, DONE)}},

};

static int run_sender_script(const struct sscript *sc)
{
	struct tftp_sender s;
	uint64_t prev_acked = 0;

	sender_init(&s, sc->window, sc->rollover, T_US, sc->last, sc->oack, 0);
	for (int i = 0; i < 24 && sc->ev[i].kind != EV_END; i++) {
		const struct sev *e = &sc->ev[i];
		struct xfer_step st;

		switch (e->kind) {
		case EV_START: st = sender_start(&s, e->t); break;
		case EV_ACK: st = sender_on_ack(&s, (uint16_t)e->arg, e->t); break;
		case EV_TIMEOUT: st = sender_on_timeout(&s, e->t); break;
		case EV_WINDOW: st = sender_window(&s); break;
		case EV_SETLAST: sender_set_last(&s, e->arg); continue;
		case EV_RESUME: sender_resume(&s, e->arg, e->from, e->count, e->t); continue;
		default: return 1;
		}
		if (st.action != e->act ||
		    (st.action == XA_SEND && (st.from != e->from || st.count != e->count))) {
			print_error("script \"%s\" event %d: got %s from %" PRIu64 " count %u, "
				    "want %s from %" PRIu64 " count %u\n", sc->why, i,
				    act_name(st.action), st.from, st.count, act_name(e->act), e->from,
				    e->count);
			return 1;
		}
		if (s.acked < prev_acked) {
			print_error("script \"%s\" event %d: acked went back\n", sc->why, i);
			return 1;
		}
		prev_acked = s.acked;
		if (st.action == XA_SEND && st.count)
			sender_sent(&s, st.from + st.count - 1, e->t);
		else if (st.action == XA_OACK)
			sender_sent(&s, 0, e->t);
	}
	if (s.acked != sc->acked) {
		print_error("script \"%s\": acked %" PRIu64 " at the end, want %" PRIu64 "\n", sc->why,
			    s.acked, sc->acked);
		return 1;
	}
	return 0;
}

static void test_sender_scripts(void **state)
{
	(void)state;
	RUN_TABLE(sscripts, run_sender_script, "sender scripts");
}

/* Backoff: each timeout doubles the retransmission timeout (the deadline
 * the loop arms after the resend), and the timeout never shrinks. */
static const struct {
	const char *why;
	unsigned base_us;
	unsigned want[TFTP_RETRIES];  /* cur_us after each timeout; 0 = only check growth */
} backoff_rows[] = {
	{"1 s doubles: 2 4 8 16 32", 1000000, {2000000, 4000000, 8000000, 16000000, 32000000}},
	{"10 ms doubles", 10000, {20000, 40000, 80000, 160000, 320000}},
	{"20 s: 40 then capped at 60", 20000000, {40000000, 60000000, 60000000, 60000000, 60000000}},
	{"60 s stays 60", 60000000, {0}},
	{"255 s (timeout 255): backoff must not shrink the timeout", 255000000, {0}},
	{"100 s (-T 100000000): backoff must not shrink the timeout", 100000000, {0}},
};

static void test_sender_backoff(void **state)
{
	int failed = 0;

	(void)state;
	for (size_t i = 0; i < sizeof(backoff_rows) / sizeof(backoff_rows[0]); i++) {
		struct tftp_sender s;
		uint64_t now = 0;
		unsigned prev;
		int bad = 0;

		sender_init(&s, 1, 0, backoff_rows[i].base_us, 10, false, 0);
		sender_start(&s, 0);
		sender_sent(&s, 1, 0);
		if (s.t.deadline_us != backoff_rows[i].base_us) {
			print_error("row \"%s\": first deadline %" PRIu64 "\n", backoff_rows[i].why,
				    s.t.deadline_us);
			bad = 1;
		}
		prev = s.t.cur_us;
		for (int k = 0; k < TFTP_RETRIES && !bad; k++) {
			struct xfer_step st;
			now = s.t.deadline_us;
			st = sender_on_timeout(&s, now);
			if (st.action != XA_SEND) {
				print_error("row \"%s\": timeout %d -> %s\n", backoff_rows[i].why, k + 1,
					    act_name(st.action));
				bad = 1;
				break;
			}
			sender_sent(&s, 1, now);
			unsigned want = backoff_rows[i].want[k];
			if ((want && s.t.cur_us != want) || s.t.cur_us < prev ||
			    s.t.cur_us < backoff_rows[i].base_us ||
			    s.t.deadline_us != now + s.t.cur_us) {
				print_error("row \"%s\": after timeout %d cur_us %u (was %u, base %u), "
					    "deadline +%" PRIu64 ", want %u (0: any value >= both)\n",
					    backoff_rows[i].why, k + 1, s.t.cur_us, prev,
					    backoff_rows[i].base_us, s.t.deadline_us - now, want);
				bad = 1;
			}
			prev = s.t.cur_us;
		}
		if (!bad && sender_on_timeout(&s, s.t.deadline_us).action != XA_FAIL) {
			print_error("row \"%s\": no FAIL after %d retries\n", backoff_rows[i].why,
				    TFTP_RETRIES);
			bad = 1;
		}
		failed += bad;
	}
	if (failed)
		fail_msg("%d backoff rows failed", failed);
}

/* After an advancing ACK the timeout is back to the base. */
static void test_sender_backoff_reset(void **state)
{
	struct tftp_sender s;
	struct xfer_step st;

	(void)state;
	sender_init(&s, 1, 0, T_US, 10, false, 0);
	sender_start(&s, 0);
	sender_sent(&s, 1, 0);
	st = sender_on_timeout(&s, T_US);
	assert_int_equal(st.action, XA_SEND);
	sender_sent(&s, 1, T_US);
	assert_int_equal(s.t.cur_us, 2 * T_US);
	assert_int_equal(s.t.retries, 1);
	st = sender_on_ack(&s, 1, T_US + 5);
	assert_int_equal(st.action, XA_SEND);
	assert_int_equal(s.t.cur_us, T_US);
	assert_int_equal(s.t.retries, 0);
	sender_sent(&s, 2, T_US + 5);
	assert_int_equal(s.t.deadline_us, 2 * T_US + 5);
}

/* A whole transfer past block 65535: ACKs given as wire numbers from an
 * independent 16-bit counter; it completes with the right absolute count
 * and no block is sent twice. */
static void run_long_transfer(unsigned window, uint16_t rollover, uint64_t last, bool oack)
{
	struct tftp_sender s;
	struct xfer_step st;
	struct wire_counter c = {0, rollover};
	uint64_t sent = 0, expect_from = 1, t = 0;

	sender_init(&s, window, rollover, T_US, last, oack, 0);
	st = sender_start(&s, 0);
	if (oack) {
		assert_int_equal(st.action, XA_OACK);
		sender_sent(&s, 0, 0);
		st = sender_on_ack(&s, 0, ++t);
	}
	while (st.action == XA_SEND) {
		uint16_t w = 0;
		if (st.from != expect_from || st.count == 0 || st.count > window ||
		    st.from + st.count - 1 > last)
			fail_msg("window %u rollover %u: bad window from %" PRIu64 " count %u (acked %"
				 PRIu64 ")", window, rollover, st.from, st.count, s.acked);
		sent += st.count;
		sender_sent(&s, st.from + st.count - 1, ++t);
		for (unsigned k = 0; k < st.count; k++)
			w = wire_next(&c);
		expect_from = st.from + st.count;
		st = sender_on_ack(&s, w, ++t);
	}
	if (st.action != XA_DONE)
		fail_msg("window %u rollover %u: ended with %s at acked %" PRIu64, window, rollover,
			 act_name(st.action), s.acked);
	assert_int_equal(s.acked, last);
	assert_int_equal(sent, last);
}

static void test_sender_past_65535(void **state)
{
	(void)state;
	run_long_transfer(1, 0, 70000, false);
	run_long_transfer(1, 1, 70000, true);
	run_long_transfer(8, 0, 140000, false);
	run_long_transfer(8, 1, 140000, true);
	run_long_transfer(64, 0, 65536, false);
	run_long_transfer(64, 1, 131071, false);
	run_long_transfer(7, 0, 65535, false);
	run_long_transfer(3, 1, 65537, false);
}

/* Near the wrap, a partial ACK whose wire number was already used 65536
 * blocks ago names the new block, not the old one. */
static void test_sender_ack_mapping_at_wrap(void **state)
{
	struct tftp_sender s;
	struct xfer_step st;

	(void)state;
	sender_init(&s, 8, 0, T_US, 200000, false, 0);
	sender_start(&s, 0);
	/* Drive to acked = 65532 quickly. */
	for (uint64_t b = 8; b <= 65528; b += 8) {
		sender_sent(&s, b, 0);
		st = sender_on_ack(&s, (uint16_t)b, 0);
		assert_int_equal(st.action, XA_SEND);
	}
	assert_int_equal(s.acked, 65528);
	sender_sent(&s, 65536, 0);           /* 65529..65536 in flight */
	st = sender_on_ack(&s, 0, 0);        /* wire 0 = block 65536 (rollover 0) */
	assert_int_equal(st.action, XA_SEND);
	assert_int_equal(s.acked, 65536);
	assert_int_equal(st.from, 65537);
	sender_sent(&s, 65544, 0);
	st = sender_on_ack(&s, 3, 0);        /* block 65539 */
	assert_int_equal(s.acked, 65539);
	assert_int_equal(st.from, 65540);
}

/* ------------------------------------------------------------------ */
/* Receiver scripts                                                    */

enum rev_kind { RV_END, RV_DATA, RV_TIMEOUT };

struct rev {
	enum rev_kind kind;
	uint64_t t;
	uint16_t wire;
	unsigned len;
	enum xfer_action act;
	uint64_t from;
	bool ack, final;
};

#define WACK(f, a, fin) XA_WRITE_ACK, (f), (a), (fin)
#define RSEND(f) XA_SEND, (f), false, false
#define RNONE XA_NONE, 0, false, false
#define RDONE XA_DONE, 0, false, false
#define RFAIL XA_FAIL, 0, false, false
#define ROACK XA_OACK, 0, false, false
#define DATA(t, w, l, r) {RV_DATA, (t), (w), (l), r}
#define RTMO(t, r) {RV_TIMEOUT, (t), 0, 0, r}

struct rscript {
	const char *why;
	unsigned window;
	uint64_t received;           /* expected at the end */
	bool done;
	struct rev ev[24];
};

#define BS 512

static const struct rscript rscripts[] = {
	{"lockstep in order, short final block", 1, 3, true,
	 {DATA(10, 1, BS, WACK(1, 1, 0)), DATA(20, 2, BS, WACK(2, 1, 0)),
	  DATA(30, 3, 100, WACK(3, 1, 1)), RTMO(40, RDONE)}},
	{"lockstep, final empty block (size a multiple of blksize)", 1, 2, true,
	 {DATA(10, 1, BS, WACK(1, 1, 0)), DATA(20, 2, 0, WACK(2, 1, 1))}},
	{"lockstep, empty file", 1, 1, true, {DATA(10, 1, 0, WACK(1, 1, 1))}},
	{"lockstep, duplicate of the last block inside the gap: nothing", 1, 1, false,
	 {DATA(1000, 1, BS, WACK(1, 1, 0)), DATA(2000, 1, BS, RNONE),
	  DATA(1000 + GAP_US - 1, 1, BS, RNONE)}},
	{"lockstep, duplicate of an old block after the gap: re-ACK", 1, 2, false,
	 {DATA(1000, 1, BS, WACK(1, 1, 0)), DATA(2000, 2, BS, WACK(2, 1, 0)),
	  DATA(2000 + GAP_US, 1, BS, RSEND(2)), DATA(2000 + GAP_US + 10, 2, BS, RNONE),
	  DATA(2000 + 2 * GAP_US + 10, 2, BS, RSEND(2))}},
	{"lockstep, block 2 before block 1: ACK 0", 1, 0, false,
	 {DATA(10, 2, BS, RSEND(0)), DATA(20, 2, BS, RSEND(0))}},
	{"windowed 4: ACK every window, final short block ACKed", 4, 9, true,
	 {DATA(1, 1, BS, WACK(1, 0, 0)), DATA(2, 2, BS, WACK(2, 0, 0)), DATA(3, 3, BS, WACK(3, 0, 0)),
	  DATA(4, 4, BS, WACK(4, 1, 0)), DATA(5, 5, BS, WACK(5, 0, 0)), DATA(6, 6, BS, WACK(6, 0, 0)),
	  DATA(7, 7, BS, WACK(7, 0, 0)), DATA(8, 8, BS, WACK(8, 1, 0)),
	  DATA(9, 9, 1, WACK(9, 1, 1))}},
	{"windowed 4: short block mid-window is final and ACKed", 4, 2, true,
	 {DATA(1, 1, BS, WACK(1, 0, 0)), DATA(2, 2, 7, WACK(2, 1, 1)), DATA(3, 3, BS, RNONE)}},
	{"windowed 4: gap -> one ACK, then silence until in order", 4, 6, false,
	 {DATA(1, 1, BS, WACK(1, 0, 0)), DATA(2, 2, BS, WACK(2, 0, 0)), DATA(3, 4, BS, RSEND(2)),
	  DATA(4, 5, BS, RNONE), DATA(5, 6, BS, RNONE), DATA(6, 3, BS, WACK(3, 0, 0)),
	  DATA(7, 4, BS, WACK(4, 0, 0)), DATA(8, 5, BS, WACK(5, 0, 0)), DATA(9, 6, BS, WACK(6, 1, 0))}},
	{"windowed 4: a second gap in a later window gets its own ACK", 4, 5, false,
	 {DATA(1, 1, BS, WACK(1, 0, 0)), DATA(2, 3, BS, RSEND(1)), DATA(3, 4, BS, RNONE),
	  DATA(4, 2, BS, WACK(2, 0, 0)), DATA(5, 3, BS, WACK(3, 0, 0)), DATA(6, 5, BS, RSEND(3)),
	  DATA(7, 4, BS, WACK(4, 0, 0)), DATA(8, 5, BS, WACK(5, 0, 0))}},
	{"windowed 4: whole window resent after a timeout (our ACK lost): one re-ACK", 4, 5, false,
	 {DATA(1, 1, BS, WACK(1, 0, 0)), DATA(2, 2, BS, WACK(2, 0, 0)), DATA(3, 3, BS, WACK(3, 0, 0)),
	  DATA(4, 4, BS, WACK(4, 1, 0)), DATA(T_US + 4, 1, BS, RSEND(4)),
	  DATA(T_US + 5, 2, BS, RNONE), DATA(T_US + 6, 3, BS, RNONE), DATA(T_US + 7, 4, BS, RNONE),
	  DATA(T_US + 8, 5, BS, WACK(5, 0, 0))}},
	{"done: the final block again is re-ACKed, anything else ignored", 1, 1, true,
	 {DATA(10, 1, 10, WACK(1, 1, 1)), DATA(20, 1, 10, RSEND(1)), DATA(30, 1, 10, RSEND(1)),
	  DATA(40, 2, BS, RNONE), DATA(50, 0, BS, RNONE), RTMO(60, RDONE)}},
	{"done (windowed): final block re-ACKed, older ones ignored", 4, 3, true,
	 {DATA(1, 1, BS, WACK(1, 0, 0)), DATA(2, 2, BS, WACK(2, 0, 0)), DATA(3, 3, 5, WACK(3, 1, 1)),
	  DATA(4, 1, BS, RNONE), DATA(5, 3, 5, RSEND(3))}},
	{"timeouts before any data: ACK 0/OACK again, FAIL after 5", 1, 0, false,
	 {RTMO(1, ROACK), RTMO(2, ROACK), RTMO(3, ROACK), RTMO(4, ROACK), RTMO(5, ROACK),
	  RTMO(6, RFAIL)}},
	{"timeouts after data re-ACK the last block; in-order data resets retries", 1, 2, false,
	 {DATA(1, 1, BS, WACK(1, 1, 0)), RTMO(2, RSEND(1)), RTMO(3, RSEND(1)), RTMO(4, RSEND(1)),
	  RTMO(5, RSEND(1)), RTMO(6, RSEND(1)), DATA(7, 2, BS, WACK(2, 1, 0)), RTMO(8, RSEND(2)),
	  RTMO(9, RSEND(2)), RTMO(10, RSEND(2)), RTMO(11, RSEND(2)), RTMO(12, RSEND(2)),
	  RTMO(13, RFAIL)}},
	{"duplicates do not reset the retry count", 1, 1, false,
	 {DATA(1, 1, BS, WACK(1, 1, 0)), RTMO(2, RSEND(1)), RTMO(3, RSEND(1)), RTMO(4, RSEND(1)),
	  DATA(4 + GAP_US, 1, BS, RSEND(1)), RTMO(5 + GAP_US, RSEND(1)), RTMO(6 + GAP_US, RSEND(1)),
	  RTMO(7 + GAP_US, RFAIL)}},
	{"windowed: a timeout restarts the window count", 4, 6, false,
	 {DATA(1, 1, BS, WACK(1, 0, 0)), DATA(2, 2, BS, WACK(2, 0, 0)), RTMO(3, RSEND(2)),
	  DATA(4, 3, BS, WACK(3, 0, 0)), DATA(5, 4, BS, WACK(4, 0, 0)), DATA(6, 5, BS, WACK(5, 0, 0)),
	  DATA(7, 6, BS, WACK(6, 1, 0))}},
};

static int run_receiver_script(const struct rscript *sc)
{
	struct tftp_receiver r;
	uint64_t prev = 0;

	receiver_init(&r, sc->window, 0, BS, T_US, 0);
	for (int i = 0; i < 24 && sc->ev[i].kind != RV_END; i++) {
		const struct rev *e = &sc->ev[i];
		struct xfer_step st;

		if (e->kind == RV_DATA)
			st = receiver_on_data(&r, e->wire, e->len, e->t);
		else
			st = receiver_on_timeout(&r, e->t);
		if (st.action != e->act ||
		    ((st.action == XA_SEND || st.action == XA_WRITE_ACK) && st.from != e->from) ||
		    (st.action == XA_WRITE_ACK && (st.ack != e->ack || st.final != e->final))) {
			print_error("script \"%s\" event %d: got %s from %" PRIu64 " ack %d final %d, "
				    "want %s from %" PRIu64 " ack %d final %d\n", sc->why, i,
				    act_name(st.action), st.from, st.ack, st.final, act_name(e->act),
				    e->from, e->ack, e->final);
			return 1;
		}
		if (r.received < prev) {
			print_error("script \"%s\" event %d: received went back\n", sc->why, i);
			return 1;
		}
		prev = r.received;
		if (st.action == XA_SEND || st.action == XA_OACK ||
		    (st.action == XA_WRITE_ACK && st.ack))
			receiver_sent(&r, e->t);
	}
	if (r.received != sc->received || r.done != sc->done) {
		print_error("script \"%s\": received %" PRIu64 " done %d at the end, want %" PRIu64
			    " %d\n", sc->why, r.received, r.done, sc->received, sc->done);
		return 1;
	}
	return 0;
}

static void test_receiver_scripts(void **state)
{
	(void)state;
	RUN_TABLE(rscripts, run_receiver_script, "receiver scripts");
}

static void test_receiver_backoff(void **state)
{
	struct tftp_receiver r;
	uint64_t now = 0;

	(void)state;
	receiver_init(&r, 1, 0, BS, T_US, 0);
	assert_int_equal(r.t.deadline_us, T_US);
	for (int k = 0; k < TFTP_RETRIES; k++) {
		now = r.t.deadline_us;
		assert_int_equal(receiver_on_timeout(&r, now).action, XA_OACK);
		receiver_sent(&r, now);
		assert_int_equal(r.t.cur_us, T_US << (k + 1));
		assert_int_equal(r.t.deadline_us, now + (T_US << (k + 1)));
	}
	assert_int_equal(receiver_on_timeout(&r, r.t.deadline_us).action, XA_FAIL);
}

/* Receiving past block 65535 with the client's wire numbers. */
static void run_long_receive(unsigned window, uint16_t rollover, uint64_t last)
{
	struct tftp_receiver r;
	struct wire_counter c = {0, rollover};

	receiver_init(&r, window, rollover, 8, T_US, 0);
	for (uint64_t b = 1; b <= last; b++) {
		uint16_t w = wire_next(&c);
		unsigned len = b == last ? 3 : 8;
		struct xfer_step st = receiver_on_data(&r, w, len, b);
		bool want_ack = b == last || b % window == 0;

		if (st.action != XA_WRITE_ACK || st.from != b || st.ack != want_ack ||
		    st.final != (b == last))
			fail_msg("window %u rollover %u block %" PRIu64 " (wire %u): %s from %" PRIu64
				 " ack %d final %d", window, rollover, b, w, act_name(st.action), st.from,
				 st.ack, st.final);
		if (st.ack)
			receiver_sent(&r, b);
	}
	assert_true(r.done);
	assert_int_equal(r.received, last);
}

static void test_receiver_past_65535(void **state)
{
	(void)state;
	run_long_receive(1, 0, 70000);
	run_long_receive(1, 1, 70000);
	run_long_receive(8, 0, 140000);
	run_long_receive(8, 1, 140000);
}

/* With rollover 1 negotiated, a client that wraps to 0 is out of order. */
static void test_receiver_wrong_rollover(void **state)
{
	struct tftp_receiver r;
	struct wire_counter c = {0, 1};
	struct xfer_step st;

	(void)state;
	receiver_init(&r, 1, 1, 8, T_US, 0);
	for (uint64_t b = 1; b <= 65535; b++) {
		st = receiver_on_data(&r, wire_next(&c), 8, 0);
		assert_int_equal(st.action, XA_WRITE_ACK);
	}
	st = receiver_on_data(&r, 0, 8, 0);
	assert_int_equal(st.action, XA_NONE);     /* duplicate-like, inside the gap */
	st = receiver_on_data(&r, 0, 8, GAP_US);
	assert_int_equal(st.action, XA_SEND);
	assert_int_equal(st.from, 65535);
	st = receiver_on_data(&r, 1, 8, GAP_US);
	assert_int_equal(st.action, XA_WRITE_ACK);
	assert_int_equal(st.from, 65536);
}

/* ------------------------------------------------------------------ */
/* Network simulation                                                  */

enum { M_DATA, M_ACK, M_OACK };

struct net_msg {
	uint64_t at, seq;
	int type;
	bool to_client;
	uint64_t abs;                /* DATA: the true block (hidden from the machines) */
	uint16_t wire;
	unsigned len;
};

struct sim_cfg {
	const char *why;
	unsigned window;
	uint16_t rollover;
	unsigned blksize;
	uint64_t file_size;
	bool oack;
	bool naive_client;           /* ACK every DATA received, RFC 1350 style */
	unsigned drop_permille, dup_permille;
	uint64_t delay_us, jitter_us;
	uint64_t slow_block, slow_us;   /* first copy of this DATA is late */
	uint64_t dup_block;          /* this DATA block is duplicated once by the network */
	uint64_t max_sends;          /* the DATA sends may not exceed this; 0 = no check */
};

#define QMAX 8192

struct sim {
	const struct sim_cfg *cfg;
	struct net_msg q[QMAX];
	unsigned nq;
	uint64_t seq, now, rng;
	struct tftp_sender s;
	struct tftp_receiver r;
	uint64_t last;
	bool sender_done, failed, slow_done, dup_done;
	const char *fail_why;
	/* client */
	uint64_t stored;
	bool client_done;
	uint16_t naive_expect;       /* naive client: next wire number */
	uint64_t naive_next;
	/* counters */
	uint64_t data_sends, acks;
};

static uint32_t sim_rand(struct sim *m)
{
	m->rng = m->rng * 6364136223846793005ull + 1442695040888963407ull;
	return (uint32_t)(m->rng >> 33);
}

static void sim_fail(struct sim *m, const char *why)
{
	if (!m->failed) {
		m->failed = true;
		m->fail_why = why;
	}
}

static void sim_push(struct sim *m, struct net_msg msg)
{
	const struct sim_cfg *c = m->cfg;
	int copies = 1;

	if (c->drop_permille && sim_rand(m) % 1000 < c->drop_permille)
		return;
	if (c->dup_permille && sim_rand(m) % 1000 < c->dup_permille)
		copies = 2;
	if (msg.type == M_DATA && msg.abs == c->dup_block && !m->dup_done) {
		m->dup_done = true;
		copies = 2;
	}
	for (int k = 0; k < copies; k++) {
		struct net_msg x = msg;
		x.at = m->now + c->delay_us + (c->jitter_us ? sim_rand(m) % c->jitter_us : 0);
		if (x.type == M_DATA && x.abs == c->slow_block && !m->slow_done) {
			m->slow_done = true;
			x.at = m->now + c->slow_us;
		}
		x.seq = m->seq++;
		if (m->nq == QMAX) {
			sim_fail(m, "queue full");
			return;
		}
		m->q[m->nq++] = x;
	}
}

static unsigned block_len(const struct sim *m, uint64_t b)
{
	return b < m->last ? m->cfg->blksize : (unsigned)(m->cfg->file_size % m->cfg->blksize);
}

static void sim_sender_step(struct sim *m, struct xfer_step st)
{
	switch (st.action) {
	case XA_SEND:
		if (st.from <= m->s.acked || st.count > m->cfg->window ||
		    st.from + st.count - 1 > m->last)
			sim_fail(m, "sender window out of bounds");
		for (uint64_t b = st.from; b < st.from + st.count; b++) {
			sim_push(m, (struct net_msg){.type = M_DATA, .to_client = true, .abs = b,
						     .wire = tftp_wire_block(b, m->cfg->rollover),
						     .len = block_len(m, b)});
			m->data_sends++;
		}
		if (st.count)
			sender_sent(&m->s, st.from + st.count - 1, m->now);
		break;
	case XA_OACK:
		sim_push(m, (struct net_msg){.type = M_OACK, .to_client = true});
		sender_sent(&m->s, 0, m->now);
		break;
	case XA_DONE:
		m->sender_done = true;
		break;
	case XA_FAIL:
		sim_fail(m, "sender gave up");
		break;
	default:
		break;
	}
}

/* The client's wire number for a block (closed form of the 16-bit counter
 * checked in test_wire_matches_counter). */
static void client_ack(struct sim *m, uint64_t abs)
{
	uint16_t ro = m->cfg->rollover;
	uint16_t w = abs < 65536 ? (uint16_t)abs : (uint16_t)(ro + (abs - 65536) % (65536u - ro));

	sim_push(m, (struct net_msg){.type = M_ACK, .to_client = false, .wire = w});
	m->acks++;
}

static void client_on_msg(struct sim *m, const struct net_msg *msg)
{
	struct xfer_step st;

	if (msg->type == M_OACK) {
		if (m->cfg->naive_client || m->r.received == 0) {
			client_ack(m, 0);
			if (!m->cfg->naive_client)
				receiver_sent(&m->r, m->now);
		}
		return;
	}
	if (m->cfg->naive_client) {
		/* RFC 1350 client: store the expected block, ACK whatever came. */
		if (msg->wire == m->naive_expect && !m->client_done) {
			if (msg->abs != m->naive_next)
				sim_fail(m, "naive client stored a wrong block");
			m->naive_next++;
			m->stored++;
			m->naive_expect = tftp_wire_block(m->naive_next, m->cfg->rollover);
			if (msg->len < m->cfg->blksize)
				m->client_done = true;
		}
		client_ack(m, msg->abs);  /* ACK the block received */
		return;
	}
	st = receiver_on_data(&m->r, msg->wire, msg->len, m->now);
	switch (st.action) {
	case XA_WRITE_ACK:
		if (st.from != m->stored + 1 || msg->abs != st.from)
			sim_fail(m, "receiver stored a wrong block");
		m->stored = st.from;
		if (st.final) {
			if (st.from != m->last)
				sim_fail(m, "receiver finished early");
			m->client_done = true;
		}
		if (st.ack) {
			client_ack(m, st.from);
			receiver_sent(&m->r, m->now);
		}
		break;
	case XA_SEND:
		if (st.from > m->stored)
			sim_fail(m, "receiver ACKs a block it does not have");
		client_ack(m, st.from);
		receiver_sent(&m->r, m->now);
		break;
	case XA_NONE:
		break;
	default:
		sim_fail(m, "unexpected receiver action on DATA");
	}
}

static void run_sim(const struct sim_cfg *cfg, struct sim *m)
{
	memset(m, 0, sizeof(*m));
	m->cfg = cfg;
	m->rng = 0x9e3779b97f4a7c15ull ^ cfg->window ^ ((uint64_t)cfg->drop_permille << 20);
	m->last = cfg->file_size / cfg->blksize + 1;
	m->naive_expect = 1;
	m->naive_next = 1;
	sender_init(&m->s, cfg->window, cfg->rollover, T_US, m->last, cfg->oack, 0);
	receiver_init(&m->r, cfg->window, cfg->rollover, cfg->blksize, T_US, 0);
	sim_sender_step(m, sender_start(&m->s, 0));

	for (uint64_t iter = 0; !m->sender_done && !m->failed; iter++) {
		uint64_t tq = UINT64_MAX, ts = m->s.t.deadline_us, tr = UINT64_MAX;
		unsigned qi = 0;

		if (iter > 50000000) {
			sim_fail(m, "no progress");
			break;
		}
		for (unsigned i = 0; i < m->nq; i++) {
			if (m->q[i].at < tq || (m->q[i].at == tq && m->q[i].seq < m->q[qi].seq)) {
				tq = m->q[i].at;
				qi = i;
			}
		}
		if (!cfg->naive_client && !m->r.done)
			tr = m->r.t.deadline_us;
		if (tq <= ts && tq <= tr) {
			struct net_msg msg = m->q[qi];
			m->q[qi] = m->q[--m->nq];
			m->now = tq;
			if (msg.to_client)
				client_on_msg(m, &msg);
			else
				sim_sender_step(m, sender_on_ack(&m->s, msg.wire, m->now));
		} else if (ts <= tr) {
			m->now = ts;
			sim_sender_step(m, sender_on_timeout(&m->s, m->now));
		} else {
			struct xfer_step st;
			m->now = tr;
			st = receiver_on_timeout(&m->r, m->now);
			if (st.action == XA_OACK) {
				client_ack(m, 0);
				receiver_sent(&m->r, m->now);
			} else if (st.action == XA_SEND) {
				client_ack(m, st.from);
				receiver_sent(&m->r, m->now);
			} else if (st.action == XA_FAIL) {
				sim_fail(m, "receiver gave up");
			}
		}
	}
}

static const struct sim_cfg sims[] = {
	/* Sorcerer's Apprentice (RFC 1123 4.2.3.1): DATA 3 is delayed past the
	 * sender's timeout, so the client gets it twice and ACKs it twice. A
	 * vulnerable sender answers both ACKs and sends every later block
	 * twice (about 2N sends); here the only extra send is the timeout's. */
	{"classic Sorcerer's Apprentice, naive client, dup ACK inside the gap", 1, 0, 512,
	 40 * 512 + 100, .naive_client = true, .delay_us = 50000, .slow_block = 3,
	 .slow_us = 1200000, .max_sends = 41 + 1},
	{"classic Sorcerer's Apprentice, naive client, dup ACK long after (stale)", 1, 0, 512,
	 40 * 512 + 100, .naive_client = true, .delay_us = 50000, .slow_block = 3,
	 .slow_us = 1500000, .max_sends = 41 + 1},
	{"Sorcerer's Apprentice with our own receiver as the client", 1, 0, 512, 40 * 512 + 100,
	 .delay_us = 50000, .slow_block = 3, .slow_us = 1200000, .max_sends = 41 + 1},
	{"network duplicates every DATA and ACK once (lockstep, naive client)", 1, 0, 512,
	 40 * 512, .naive_client = true, .delay_us = 20000, .dup_permille = 1000,
	 .max_sends = 41 + 2},
	{"one duplicated DATA (lockstep, receiver)", 1, 0, 512, 200 * 512, .delay_us = 20000,
	 .dup_block = 5, .max_sends = 201 + 2},
	/* Windowed: one DATA duplicated by the network. The receiver ACKs the
	 * duplicate and the sender goes back N; that costs at most a window or
	 * two, it must not double every later window. */
	{"one duplicated DATA (window 8): no lasting doubling", 8, 0, 512, 1000 * 512,
	 .delay_us = 20000, .dup_block = 5, .max_sends = 1001 + 2 * 8},
	{"one late DATA (window 8): no lasting doubling", 8, 0, 512, 1000 * 512,
	 .delay_us = 20000, .slow_block = 5, .slow_us = 30000, .max_sends = 1001 + 2 * 8},
	{"clean channel, window 16: every block sent once", 16, 0, 1024, 5000 * 1024 + 1,
	 .delay_us = 1000, .max_sends = 5001},
	{"clean channel with OACK, window 4", 4, 0, 512, 100 * 512 + 7, .oack = true,
	 .delay_us = 1000, .max_sends = 101},

	/* Lossy channels: delivery must be exact (verified per block). */
	{"lockstep, 3% loss, jitter", 1, 0, 8, 3000 * 8 + 5, .drop_permille = 30,
	 .delay_us = 5000, .jitter_us = 3000},
	{"lockstep, 3% loss, OACK", 1, 0, 8, 3000 * 8, .oack = true, .drop_permille = 30,
	 .delay_us = 5000, .jitter_us = 3000},
	{"window 8, 3% loss, reordering", 8, 0, 8, 20000 * 8 + 1, .drop_permille = 30,
	 .delay_us = 5000, .jitter_us = 8000},
	{"window 64, 1% loss, reordering", 64, 0, 8, 20000 * 8 + 1, .drop_permille = 10,
	 .delay_us = 5000, .jitter_us = 8000},
	{"window 4, 2% loss + 2% duplication", 4, 0, 8, 20000 * 8 + 3, .drop_permille = 20,
	 .dup_permille = 20, .delay_us = 5000, .jitter_us = 4000},
	{"window 8 past 65535, rollover 0, 1% loss", 8, 0, 8, 70000 * 8 + 1, .drop_permille = 10,
	 .delay_us = 5000, .jitter_us = 2000},
	{"window 8 past 65535, rollover 1, 1% loss", 8, 1, 8, 140000 * 8 + 1, .drop_permille = 10,
	 .delay_us = 5000, .jitter_us = 2000},
	{"lockstep past 65535, rollover 1, OACK", 1, 1, 8, 70000 * 8, .oack = true,
	 .delay_us = 100},
};

static void test_simulations(void **state)
{
	static struct sim m;
	int failed = 0;

	(void)state;
	for (size_t i = 0; i < sizeof(sims) / sizeof(sims[0]); i++) {
		const struct sim_cfg *c = &sims[i];
		int bad = 0;

		run_sim(c, &m);
		if (m.failed) {
			print_error("sim \"%s\": %s at t=%" PRIu64 " (acked %" PRIu64 ", stored %" PRIu64
				    ")\n", c->why, m.fail_why, m.now, m.s.acked, m.stored);
			bad = 1;
		} else if (!m.client_done || m.stored != m.last || m.s.acked != m.last) {
			print_error("sim \"%s\": ended with stored %" PRIu64 " acked %" PRIu64 " of %"
				    PRIu64 "\n", c->why, m.stored, m.s.acked, m.last);
			bad = 1;
		}
		if (c->max_sends && m.data_sends > c->max_sends) {
			print_error("sim \"%s\": %" PRIu64 " DATA sends for %" PRIu64 " blocks, at most %"
				    PRIu64 " expected\n", c->why, m.data_sends, m.last, c->max_sends);
			bad = 1;
		}
		failed += bad;
	}
	if (failed)
		fail_msg("%d of %zu simulations failed", failed, sizeof(sims) / sizeof(sims[0]));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_wire_table),
		cmocka_unit_test(test_wire_matches_counter),
		cmocka_unit_test(test_sender_scripts),
		cmocka_unit_test(test_sender_backoff),
		cmocka_unit_test(test_sender_backoff_reset),
		cmocka_unit_test(test_sender_past_65535),
		cmocka_unit_test(test_sender_ack_mapping_at_wrap),
		cmocka_unit_test(test_receiver_scripts),
		cmocka_unit_test(test_receiver_backoff),
		cmocka_unit_test(test_receiver_past_65535),
		cmocka_unit_test(test_receiver_wrong_rollover),
		cmocka_unit_test(test_simulations),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
