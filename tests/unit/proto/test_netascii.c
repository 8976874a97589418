/* Unit tests for the netascii converters (user/netascii.c).
 *
 * Tables of file bytes <-> wire bytes (RFC 764: LF <-> CR LF, CR <-> CR NUL),
 * then the streaming properties: for random data, every block size
 * (outcap) and every input chunking, decode(encode(x)) == x and the wire
 * stream is the same whatever the split. Outputs are written flush
 * against a PROT_NONE guard page so a write past outcap faults. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "proto/netascii.h"

#include "guard_page.h"

#define S(s) (s), sizeof(s) - 1

/* ------------------------------------------------------------------ */
/* Whole-buffer tables                                                 */

struct enc_row {
	const char *why;
	const char *in;
	size_t in_len;
	const char *out;
	size_t out_len;
};

static const struct enc_row enc_rows[] = {
	{"empty", S(""), S("")},
	{"plain text unchanged", S("hello"), S("hello")},
	{"LF -> CR LF", S("a\nb"), S("a\r\nb")},
	{"CR -> CR NUL", S("a\rb"), S("a\r\0b")},
	{"CR LF in the file -> CR NUL CR LF", S("a\r\nb"), S("a\r\0\r\nb")},
	{"LF CR -> CR LF CR NUL", S("\n\r"), S("\r\n\r\0")},
	{"trailing CR", S("x\r"), S("x\r\0")},
	{"trailing LF", S("x\n"), S("x\r\n")},
	{"NUL unchanged", S("\0a\0"), S("\0a\0")},
	{"high bytes unchanged", S("\x80\xff\x0d\x0a"), S("\x80\xff\r\0\r\n")},
	{"runs of CR and LF", S("\r\r\n\n"), S("\r\0\r\0\r\n\r\n")},
};

struct dec_row {
	const char *why;
	const char *in;
	size_t in_len;
	const char *out;             /* including what decode_finish adds */
	size_t out_len;
};

static const struct dec_row dec_rows[] = {
	{"empty", S(""), S("")},
	{"plain text unchanged", S("hello"), S("hello")},
	{"CR LF -> LF", S("a\r\nb"), S("a\nb")},
	{"CR NUL -> CR", S("a\r\0b"), S("a\rb")},
	{"bare LF kept (lenient, as tftpd-hpa)", S("a\nb"), S("a\nb")},
	{"lone CR followed by a byte: both kept", S("a\rb"), S("a\rb")},
	{"CR CR LF -> CR LF", S("\r\r\n"), S("\r\n")},
	{"CR CR NUL -> CR CR", S("\r\r\0"), S("\r\r")},
	{"CR at end of stream is data", S("x\r"), S("x\r")},
	{"CR CR at end of stream", S("\r\r"), S("\r\r")},
	{"only CR", S("\r"), S("\r")},
	{"NUL not after CR kept", S("\0a\0"), S("\0a\0")},
	{"CR NUL CR LF", S("\r\0\r\n"), S("\r\n")},
};

static void test_encode_table(void **state)
{
	int failed = 0;

	(void)state;
	for (size_t i = 0; i < sizeof(enc_rows) / sizeof(enc_rows[0]); i++) {
		const struct enc_row *t = &enc_rows[i];
		struct netascii_enc e;
		size_t cap = 2 * t->in_len + 1, used = 99, n;
		uint8_t *out = guard_out(cap);

		netascii_enc_init(&e);
		n = netascii_encode(&e, (const uint8_t *)t->in, t->in_len, &used, out, cap);
		if (n != t->out_len || memcmp(out, t->out, n) || used != t->in_len || e.pending != -1) {
			print_error("row \"%s\": %zu bytes (used %zu, pending %d), want %zu\n", t->why, n,
				    used, e.pending, t->out_len);
			failed++;
		}
	}
	assert_int_equal(failed, 0);
}

static void test_decode_table(void **state)
{
	int failed = 0;

	(void)state;
	for (size_t i = 0; i < sizeof(dec_rows) / sizeof(dec_rows[0]); i++) {
		const struct dec_row *t = &dec_rows[i];
		struct netascii_dec d;
		uint8_t buf[64];
		uint8_t *out = guard_out(t->in_len + 1);
		size_t n;

		netascii_dec_init(&d);
		n = netascii_decode(&d, (const uint8_t *)t->in, t->in_len, out);
		memcpy(buf, out, n);
		out = guard_out(1);
		if (netascii_decode_finish(&d, out))
			buf[n++] = out[0];
		if (n != t->out_len || memcmp(buf, t->out, n)) {
			print_error("row \"%s\": %zu bytes, want %zu\n", t->why, n, t->out_len);
			failed++;
		}
		if (netascii_decode_finish(&d, out) != 0) {
			print_error("row \"%s\": finish is not idempotent\n", t->why);
			failed++;
		}
	}
	assert_int_equal(failed, 0);
}

/* ------------------------------------------------------------------ */
/* Block boundaries                                                    */

/* Encoder steps with a tiny outcap: the pending second byte of a pair. */
struct enc_step {
	const char *in;              /* NULL: no input (flush the pending byte) */
	size_t in_len;
	size_t outcap;
	const char *out;
	size_t out_len;
	size_t consumed;
	int pending;                 /* after the call */
};

struct enc_seq {
	const char *why;
	int n;
	struct enc_step steps[6];
};

static const struct enc_seq enc_seqs[] = {
	{"LF with outcap 1: CR now, LF pending, then flushed", 2,
	 {{S("\n"), 1, S("\r"), 1, '\n'}, {NULL, 0, 1, S("\n"), 0, -1}}},
	{"CR with outcap 1: NUL pending", 2,
	 {{S("\r"), 1, S("\r"), 1, '\0'}, {NULL, 0, 1, S("\0"), 0, -1}}},
	{"pending byte goes first, then new input", 2,
	 {{S("a\n"), 2, S("a\r"), 2, '\n'}, {S("bc"), 3, S("\nbc"), 2, -1}}},
	{"pending byte blocks further input when the block is full", 3,
	 {{S("\nxyz"), 1, S("\r"), 1, '\n'}, {S("xyz"), 1, S("\n"), 0, -1},
	  {S("xyz"), 2, S("xy"), 2, -1}}},
	{"outcap 0 does nothing", 2,
	 {{S("\n"), 0, S(""), 0, -1}, {S("\n"), 2, S("\r\n"), 1, -1}}},
	{"outcap 0 keeps the pending byte", 3,
	 {{S("\r"), 1, S("\r"), 1, '\0'}, {NULL, 0, 0, S(""), 0, '\0'}, {NULL, 0, 3, S("\0"), 0, -1}}},
	{"pair exactly fills the block: nothing pending", 1,
	 {{S("a\n"), 3, S("a\r\n"), 2, -1}}},
	{"outcap 2, CR CR", 2,
	 {{S("\r\r"), 2, S("\r\0"), 1, -1}, {S("\r"), 2, S("\r\0"), 1, -1}}},
	{"outcap 3, LF LF: second pair split", 2,
	 {{S("\n\n"), 3, S("\r\n\r"), 2, '\n'}, {NULL, 0, 3, S("\n"), 0, -1}}},
};

static void test_encode_steps(void **state)
{
	int failed = 0;

	(void)state;
	for (size_t i = 0; i < sizeof(enc_seqs) / sizeof(enc_seqs[0]); i++) {
		const struct enc_seq *q = &enc_seqs[i];
		struct netascii_enc e;

		netascii_enc_init(&e);
		for (int k = 0; k < q->n; k++) {
			const struct enc_step *s = &q->steps[k];
			uint8_t *out = guard_out(s->outcap);
			size_t used = 99;
			size_t n = netascii_encode(&e, (const uint8_t *)(s->in ? s->in : ""), s->in_len,
						   &used, out, s->outcap);
			if (n != s->out_len || memcmp(out, s->out, n) || used != s->consumed ||
			    e.pending != s->pending) {
				print_error("seq \"%s\" step %d: wrote %zu, used %zu, pending %d; want %zu %zu %d\n",
					    q->why, k, n, used, e.pending, s->out_len, s->consumed,
					    s->pending);
				failed++;
				break;
			}
		}
	}
	assert_int_equal(failed, 0);
}

/* Decoder across blocks: a CR at the end of one block pairs with the first
 * byte of the next. */
static const struct {
	const char *why;
	const char *a;
	size_t a_len;
	const char *b;
	size_t b_len;
	const char *out;
	size_t out_len;
} dec_splits[] = {
	{"CR | LF -> LF", S("x\r"), S("\ny"), S("x\ny")},
	{"CR | NUL -> CR", S("x\r"), S("\0y"), S("x\ry")},
	{"CR | other -> CR other", S("x\r"), S("y"), S("x\ry")},
	{"CR | CR LF -> CR LF", S("\r"), S("\r\n"), S("\r\n")},
	{"CR | empty block: CR at end of stream", S("\r"), S(""), S("\r")},
	{"CR | CR (end)", S("\r"), S("\r"), S("\r\r")},
};

static void test_decode_splits(void **state)
{
	int failed = 0;

	(void)state;
	for (size_t i = 0; i < sizeof(dec_splits) / sizeof(dec_splits[0]); i++) {
		struct netascii_dec d;
		uint8_t buf[64], *out;
		size_t n;

		netascii_dec_init(&d);
		out = guard_out(dec_splits[i].a_len + 1);
		n = netascii_decode(&d, (const uint8_t *)dec_splits[i].a, dec_splits[i].a_len, out);
		memcpy(buf, out, n);
		out = guard_out(dec_splits[i].b_len + 1);
		size_t m = netascii_decode(&d, (const uint8_t *)dec_splits[i].b, dec_splits[i].b_len, out);
		memcpy(buf + n, out, m);
		n += m;
		out = guard_out(1);
		if (netascii_decode_finish(&d, out))
			buf[n++] = out[0];
		if (n != dec_splits[i].out_len || memcmp(buf, dec_splits[i].out, n)) {
			print_error("split \"%s\": %zu bytes, want %zu\n", dec_splits[i].why, n,
				    dec_splits[i].out_len);
			failed++;
		}
	}
	assert_int_equal(failed, 0);
}

/* ------------------------------------------------------------------ */
/* Round trips                                                         */

/* Reference encoder: the whole buffer at once, no state. */
static size_t ref_encode(const uint8_t *in, size_t n, uint8_t *out)
{
	size_t o = 0;

	for (size_t i = 0; i < n; i++) {
		if (in[i] == '\n') {
			out[o++] = '\r';
			out[o++] = '\n';
		} else if (in[i] == '\r') {
			out[o++] = '\r';
			out[o++] = '\0';
		} else {
			out[o++] = in[i];
		}
	}
	return o;
}

/* The server's way: fill blocks of `outcap` wire bytes, feeding the file in
 * reads of `chunk` bytes; a block shorter than outcap ends the stream. Each
 * block is written flush against the guard page. Returns the wire length. */
static size_t encode_blocks(const uint8_t *in, size_t n, size_t outcap, size_t chunk,
			    uint8_t *wire, size_t *blocks, size_t *block_len)
{
	struct netascii_enc e;
	size_t off = 0, w = 0, nb = 0;

	netascii_enc_init(&e);
	for (;;) {
		uint8_t *out = guard_out(outcap);
		size_t len = 0;
		while (len < outcap) {
			size_t avail = n - off < chunk ? n - off : chunk, used;
			size_t k = netascii_encode(&e, in + off, avail, &used, out + len, outcap - len);
			assert_true(used <= avail);
			assert_true(k <= outcap - len);
			off += used;
			len += k;
			if (avail == 0 && e.pending < 0)
				break;
			if (k == 0 && used == 0 && avail != 0)
				fail_msg("encoder made no progress");
		}
		memcpy(wire + w, out, len);
		w += len;
		block_len[nb++] = len;
		if (len < outcap)
			break;
	}
	assert_int_equal(off, n);
	*blocks = nb;
	return w;
}

static uint64_t rng_state = 0x1234567887654321ull;

static uint8_t rnd_byte(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	/* Mostly CR, LF, NUL and a few letters, so pairs meet block edges. */
	switch (rng_state % 8) {
	case 0: case 1: return '\r';
	case 2: case 3: return '\n';
	case 4: return '\0';
	case 5: return (uint8_t)(rng_state >> 32);
	default: return (uint8_t)('a' + (rng_state >> 40) % 26);
	}
}

static void test_round_trip_all_splits(void **state)
{
	enum { N = 61 };
	uint8_t in[N], wire[2 * N + 8], ref[2 * N], back[2 * N + 8];
	size_t block_len[2 * N + 4];

	(void)state;
	for (int round = 0; round < 40; round++) {
		size_t n = (size_t)round * 3 % N + (round > 20 ? 40 : 0);
		if (n > N)
			n = N;
		for (size_t i = 0; i < n; i++)
			in[i] = rnd_byte();
		if (round == 1 && n)
			in[n - 1] = '\r';    /* CR at end of stream */
		size_t rlen = ref_encode(in, n, ref);

		for (size_t outcap = 1; outcap <= 9; outcap++) {
			for (size_t chunk = 1; chunk <= n + 1; chunk++) {
				size_t nb, w = encode_blocks(in, n, outcap, chunk, wire, &nb, block_len);
				if (w != rlen || memcmp(wire, ref, w))
					fail_msg("round %d outcap %zu chunk %zu: wire differs from reference",
						 round, outcap, chunk);
				/* Decode block by block, as the receiver does. */
				struct netascii_dec d;
				size_t o = 0, p = 0;
				netascii_dec_init(&d);
				for (size_t b = 0; b < nb; b++) {
					uint8_t *out = guard_out(block_len[b] + 1);
					size_t k = netascii_decode(&d, wire + p, block_len[b], out);
					memcpy(back + o, out, k);
					o += k;
					p += block_len[b];
				}
				uint8_t *out = guard_out(1);
				if (netascii_decode_finish(&d, out))
					back[o++] = out[0];
				if (o != n || memcmp(back, in, n))
					fail_msg("round %d outcap %zu chunk %zu: round trip differs", round,
						 outcap, chunk);
			}
		}
	}
}

/* Decoding any wire bytes gives the same result whatever the split point
 * (two blocks), including lone CRs and CR at the end of the stream. */
static void test_decode_every_split_point(void **state)
{
	enum { N = 40 };
	uint8_t wire[N], whole[N + 2], parts[N + 2];

	(void)state;
	for (int round = 0; round < 200; round++) {
		size_t n = (size_t)round % N + 1, wlen = 0;
		struct netascii_dec d;

		for (size_t i = 0; i < n; i++)
			wire[i] = rnd_byte();
		netascii_dec_init(&d);
		wlen = netascii_decode(&d, wire, n, whole);
		wlen += netascii_decode_finish(&d, whole + wlen);
		for (size_t cut = 0; cut <= n; cut++) {
			size_t plen;
			uint8_t *out;
			netascii_dec_init(&d);
			out = guard_out(cut + 1);
			plen = netascii_decode(&d, wire, cut, out);
			memcpy(parts, out, plen);
			out = guard_out(n - cut + 1);
			size_t k = netascii_decode(&d, wire + cut, n - cut, out);
			memcpy(parts + plen, out, k);
			plen += k;
			plen += netascii_decode_finish(&d, parts + plen);
			if (plen != wlen || memcmp(parts, whole, wlen))
				fail_msg("round %d: split at %zu of %zu differs", round, cut, n);
		}
	}
}

/* The decoder's output bound: never more than inlen + 1 bytes. */
static void test_decode_output_bound(void **state)
{
	struct netascii_dec d;
	uint8_t *out;

	(void)state;
	netascii_dec_init(&d);
	out = guard_out(2);
	assert_int_equal(netascii_decode(&d, (const uint8_t *)"\r", 1, out), 0);
	/* prev CR + "x" -> "\rx": 2 bytes out of 1 in. */
	out = guard_out(2);
	assert_int_equal(netascii_decode(&d, (const uint8_t *)"x", 1, out), 2);
	assert_memory_equal(out, "\rx", 2);
	out = guard_out(1);
	assert_int_equal(netascii_decode(&d, (const uint8_t *)"", 0, out), 0);
	assert_int_equal(netascii_decode_finish(&d, out), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_encode_table),
		cmocka_unit_test(test_decode_table),
		cmocka_unit_test(test_encode_steps),
		cmocka_unit_test(test_decode_splits),
		cmocka_unit_test(test_round_trip_all_splits),
		cmocka_unit_test(test_decode_every_split_point),
		cmocka_unit_test(test_decode_output_bound),
	};

	return cmocka_run_group_tests(tests, guard_setup, guard_teardown);
}
