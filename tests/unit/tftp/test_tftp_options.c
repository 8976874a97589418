/* Unit tests for option negotiation (user/tftp_options.c).
 *
 * Table driven: each row is {why, server limits, request options, expected
 * OACK option list (in order, as the bytes go on the wire) and transfer
 * parameters}. Expected behaviour follows tftpd-hpa's do_opt() and
 * set_*() handlers: options echoed with the client's spelling, windowsize
 * appended last as "windowsize" once blksize is final (negotiate_windowsize),
 * strict decimal values. All rows run; each failing row is printed. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "table.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "tftp/tftp_options.h"

#define MAX_PAIRS 12

/* Limits as a delta from tftp_limits_default(): 0 = default. */
struct lim_delta {
	unsigned max_blksize;
	unsigned max_windowsize;
	uint64_t max_window_bytes;
	unsigned refused;
	bool reject_all;
	unsigned timeout_us;
};

struct neg_row {
	const char *why;
	struct lim_delta lim;
	bool wrq;                  /* tsize_known=true, file_size=0, as setup_writer */
	bool netascii;             /* RRQ in netascii: tsize not known */
	uint64_t file_size;        /* RRQ octet */
	const char *req[MAX_PAIRS][2];
	const char *oack[MAX_PAIRS][2];   /* expected, in order; none = no OACK */
	/* Expected params; 0 means the default (512, 1, limit's timeout). */
	unsigned blksize, windowsize, timeout_us;
	uint16_t rollover;
	bool tsize_sent;
	uint64_t tsize;
	size_t cap;                /* 0 = TFTP_MAX_PACKET */
	int rc;
};

#define REFUSE(id) (1u << (id))

static const struct neg_row rows[] = {
	/* No options at all. */
	{"no options: no OACK, defaults", .file_size = 100},

	/* blksize (RFC 2348), tftpd-hpa's set_blksize */
	{"blksize 7 is below the minimum: request refused (ERROR 8)", .req = {{"blksize", "7"}}, .rc = -EPROTO},
	{"blksize 8 is the minimum", .req = {{"blksize", "8"}},
	 .oack = {{"blksize", "8"}}, .blksize = 8},
	{"blksize 1468 (Ethernet MTU)", .req = {{"blksize", "1468"}},
	 .oack = {{"blksize", "1468"}}, .blksize = 1468},
	{"blksize 512 echoed even though default", .req = {{"blksize", "512"}},
	 .oack = {{"blksize", "512"}}, .blksize = 512},
	{"blksize 65464 is the maximum", .req = {{"blksize", "65464"}},
	 .oack = {{"blksize", "65464"}}, .blksize = 65464},
	{"blksize 70000 clamped to 65464", .req = {{"blksize", "70000"}},
	 .oack = {{"blksize", "65464"}}, .blksize = 65464},
	{"blksize 70000 clamped to the -B limit", .lim = {.max_blksize = 1024},
	 .req = {{"blksize", "70000"}}, .oack = {{"blksize", "1024"}}, .blksize = 1024},
	{"blksize 1024 under -B 1024 unchanged", .lim = {.max_blksize = 1024},
	 .req = {{"blksize", "1024"}}, .oack = {{"blksize", "1024"}}, .blksize = 1024},
	{"blksize 1025 under -B 1024 clamped", .lim = {.max_blksize = 1024},
	 .req = {{"blksize", "1025"}}, .oack = {{"blksize", "1024"}}, .blksize = 1024},
	{"blksize 0: request refused", .req = {{"blksize", "0"}}, .rc = -EPROTO},

	/* blksize2: power of two at or below the request */
	{"blksize2 1468 -> 1024", .req = {{"blksize2", "1468"}},
	 .oack = {{"blksize2", "1024"}}, .blksize = 1024},
	{"blksize2 8 stays 8", .req = {{"blksize2", "8"}}, .oack = {{"blksize2", "8"}}, .blksize = 8},
	{"blksize2 4096 stays 4096", .req = {{"blksize2", "4096"}},
	 .oack = {{"blksize2", "4096"}}, .blksize = 4096},
	{"blksize2 4095 -> 2048", .req = {{"blksize2", "4095"}},
	 .oack = {{"blksize2", "2048"}}, .blksize = 2048},
	{"blksize2 7: request refused", .req = {{"blksize2", "7"}}, .rc = -EPROTO},
	{"blksize2 above -B: clamped to -B as tftpd-hpa (not rounded)",
	 .lim = {.max_blksize = 1000}, .req = {{"blksize2", "4096"}},
	 .oack = {{"blksize2", "1000"}}, .blksize = 1000},

	/* tsize (RFC 2349) */
	{"tsize 0 on an octet RRQ reports the file size", .file_size = 123456,
	 .req = {{"tsize", "0"}}, .oack = {{"tsize", "123456"}}, .tsize_sent = true, .tsize = 0},
	{"tsize 0 on an empty file", .file_size = 0,
	 .req = {{"tsize", "0"}}, .oack = {{"tsize", "0"}}, .tsize_sent = true},
	{"tsize on a 5 GB file (64-bit)", .file_size = 5000000000ull,
	 .req = {{"tsize", "0"}}, .oack = {{"tsize", "5000000000"}}, .tsize_sent = true},
	{"tsize on WRQ echoes the client's value", .wrq = true,
	 .req = {{"tsize", "987654"}}, .oack = {{"tsize", "987654"}},
	 .tsize_sent = true, .tsize = 987654},
	{"tsize 0 on WRQ echoes 0", .wrq = true,
	 .req = {{"tsize", "0"}}, .oack = {{"tsize", "0"}}, .tsize_sent = true},
	{"tsize on a netascii RRQ: request refused, as tftpd-hpa", .netascii = true, .file_size = 100,
	 .req = {{"tsize", "0"}}, .rc = -EPROTO},
	{"tsize on a netascii RRQ refuses even with other good options", .netascii = true, .file_size = 100,
	 .req = {{"tsize", "0"}, {"blksize", "1024"}}, .rc = -EPROTO},

	/* timeout (RFC 2349), seconds 1..255 */
	{"timeout 0: request refused", .req = {{"timeout", "0"}}, .rc = -EPROTO},
	{"timeout 1", .req = {{"timeout", "1"}}, .oack = {{"timeout", "1"}}, .timeout_us = 1000000},
	{"timeout 255", .req = {{"timeout", "255"}}, .oack = {{"timeout", "255"}},
	 .timeout_us = 255000000},
	{"timeout 256: request refused", .req = {{"timeout", "256"}}, .rc = -EPROTO},
	{"timeout 0 refused even with -T set", .lim = {.timeout_us = 300000},
	 .req = {{"timeout", "0"}}, .rc = -EPROTO},

	/* utimeout (tftpd-hpa), microseconds 10000..255000000 */
	{"utimeout 9999: request refused", .req = {{"utimeout", "9999"}}, .rc = -EPROTO},
	{"utimeout 10000", .req = {{"utimeout", "10000"}}, .oack = {{"utimeout", "10000"}},
	 .timeout_us = 10000},
	{"utimeout 255000000", .req = {{"utimeout", "255000000"}},
	 .oack = {{"utimeout", "255000000"}}, .timeout_us = 255000000},
	{"utimeout 255000001: request refused", .req = {{"utimeout", "255000001"}}, .rc = -EPROTO},
	{"timeout then utimeout: the later one wins", .req = {{"timeout", "3"}, {"utimeout", "50000"}},
	 .oack = {{"timeout", "3"}, {"utimeout", "50000"}}, .timeout_us = 50000},

	/* rollover (tftpd-hpa) */
	{"rollover 0", .req = {{"rollover", "0"}}, .oack = {{"rollover", "0"}}, .rollover = 0},
	{"rollover 1", .req = {{"rollover", "1"}}, .oack = {{"rollover", "1"}}, .rollover = 1},
	{"rollover 65535", .req = {{"rollover", "65535"}}, .oack = {{"rollover", "65535"}},
	 .rollover = 65535},
	{"rollover 65536: request refused", .req = {{"rollover", "65536"}}, .rc = -EPROTO},

	/* windowsize (RFC 7440), tftpd-hpa's negotiate_windowsize */
	{"windowsize 0: request refused", .req = {{"windowsize", "0"}}, .rc = -EPROTO},
	{"windowsize 1: not echoed, lockstep", .req = {{"windowsize", "1"}}},
	{"windowsize 2", .req = {{"windowsize", "2"}}, .oack = {{"windowsize", "2"}}, .windowsize = 2},
	{"windowsize 4", .req = {{"windowsize", "4"}}, .oack = {{"windowsize", "4"}}, .windowsize = 4},
	{"windowsize 64", .req = {{"windowsize", "64"}}, .oack = {{"windowsize", "64"}},
	 .windowsize = 64},
	{"windowsize 1000 capped at the default max (64)", .req = {{"windowsize", "1000"}},
	 .oack = {{"windowsize", "64"}}, .windowsize = 64},
	{"windowsize capped at -W 16", .lim = {.max_windowsize = 16},
	 .req = {{"windowsize", "1000"}}, .oack = {{"windowsize", "16"}}, .windowsize = 16},
	{"-W 1: windowsize never echoed", .lim = {.max_windowsize = 1},
	 .req = {{"windowsize", "8"}}},
	{"window-bytes caps the window by the final blksize",
	 .lim = {.max_window_bytes = 65536}, .req = {{"windowsize", "64"}, {"blksize", "8192"}},
	 .oack = {{"blksize", "8192"}, {"windowsize", "8"}}, .blksize = 8192, .windowsize = 8},
	{"window-bytes with default blksize", .lim = {.max_window_bytes = 4096},
	 .req = {{"windowsize", "64"}}, .oack = {{"windowsize", "8"}}, .windowsize = 8},
	{"window-bytes rounds down", .lim = {.max_window_bytes = 10000},
	 .req = {{"windowsize", "64"}, {"blksize", "1468"}},
	 .oack = {{"blksize", "1468"}, {"windowsize", "6"}}, .blksize = 1468, .windowsize = 6},
	{"window-bytes below 2 blocks: windowsize not echoed", .lim = {.max_window_bytes = 2000},
	 .req = {{"windowsize", "64"}, {"blksize", "1024"}},
	 .oack = {{"blksize", "1024"}}, .blksize = 1024},
	{"window-bytes below 1 block: windowsize not echoed, lockstep",
	 .lim = {.max_window_bytes = 100}, .req = {{"windowsize", "4"}}},
	{"window-bytes larger than needed: no effect", .lim = {.max_window_bytes = 1 << 30},
	 .req = {{"windowsize", "32"}}, .oack = {{"windowsize", "32"}}, .windowsize = 32},
	{"windowsize echoed last even if requested first",
	 .file_size = 42, .req = {{"windowsize", "8"}, {"tsize", "0"}, {"blksize", "1428"}},
	 .oack = {{"tsize", "42"}, {"blksize", "1428"}, {"windowsize", "8"}},
	 .blksize = 1428, .windowsize = 8, .tsize_sent = true},
	{"windowsize echoed as \"windowsize\" whatever the client's spelling",
	 .req = {{"WindowSize", "4"}}, .oack = {{"windowsize", "4"}}, .windowsize = 4},
	{"windowsize requested twice: the last request counts",
	 .req = {{"windowsize", "4"}, {"windowsize", "6"}}, .oack = {{"windowsize", "6"}},
	 .windowsize = 6},
	{"windowsize 0 after 4 refuses the request",
	 .req = {{"windowsize", "4"}, {"windowsize", "0"}}, .rc = -EPROTO},

	/* Refused options (-r) and --reject-all */
	{"-r blksize: blksize ignored, others kept", .lim = {.refused = REFUSE(TFTP_OPT_BLKSIZE)},
	 .file_size = 7, .req = {{"blksize", "1024"}, {"tsize", "0"}}, .oack = {{"tsize", "7"}},
	 .tsize_sent = true},
	{"-r blksize does not refuse blksize2", .lim = {.refused = REFUSE(TFTP_OPT_BLKSIZE)},
	 .req = {{"blksize2", "1024"}}, .oack = {{"blksize2", "1024"}}, .blksize = 1024},
	{"-r tsize", .lim = {.refused = REFUSE(TFTP_OPT_TSIZE)}, .file_size = 7,
	 .req = {{"tsize", "0"}}},
	{"-r windowsize", .lim = {.refused = REFUSE(TFTP_OPT_WINDOWSIZE)},
	 .req = {{"windowsize", "8"}}},
	{"-r timeout,utimeout,rollover",
	 .lim = {.refused = REFUSE(TFTP_OPT_TIMEOUT) | REFUSE(TFTP_OPT_UTIMEOUT) |
			    REFUSE(TFTP_OPT_ROLLOVER)},
	 .req = {{"timeout", "5"}, {"utimeout", "20000"}, {"rollover", "0"}, {"blksize", "600"}},
	 .oack = {{"blksize", "600"}}, .blksize = 600},
	{"--reject-all: no OACK, defaults", .lim = {.reject_all = true}, .file_size = 7,
	 .req = {{"blksize", "1024"}, {"tsize", "0"}, {"windowsize", "8"}, {"timeout", "3"}}},

	/* Strict decimal values */
	{"value \"12a\" ignored", .req = {{"blksize", "12a"}}},
	{"value \"-1\" ignored", .req = {{"blksize", "-1"}}},
	{"value \"+1024\" ignored", .req = {{"blksize", "+1024"}}},
	{"empty value ignored", .req = {{"blksize", ""}}},
	{"value \" 5\" (leading space) ignored", .req = {{"timeout", " 5"}}},
	{"value \"5 \" (trailing space) ignored", .req = {{"timeout", "5 "}}},
	{"value \"0x10\" ignored", .req = {{"timeout", "0x10"}}},
	{"value over 2^64 ignored", .req = {{"blksize", "99999999999999999999999"}}},
	{"tsize 18446744073709551615 (UINT64_MAX) echoed on WRQ", .wrq = true,
	 .req = {{"tsize", "18446744073709551615"}}, .oack = {{"tsize", "18446744073709551615"}},
	 .tsize_sent = true, .tsize = UINT64_MAX},
	{"tsize 18446744073709551616 (2^64) ignored", .wrq = true,
	 .req = {{"tsize", "18446744073709551616"}}},
	{"leading zeros accepted, echoed canonically", .req = {{"blksize", "01024"}},
	 .oack = {{"blksize", "1024"}}, .blksize = 1024},
	{"blksize 2^32+512 is clamped, not truncated", .req = {{"blksize", "4294967808"}},
	 .oack = {{"blksize", "65464"}}, .blksize = 65464},
	{"timeout 2^32+1 refused, not truncated to 1", .req = {{"timeout", "4294967297"}}, .rc = -EPROTO},
	{"rollover 65536+1 refused, not truncated to 1", .req = {{"rollover", "65537"}}, .rc = -EPROTO},
	{"bad value does not stop later options",
	 .req = {{"blksize", "abc"}, {"timeout", "2"}}, .oack = {{"timeout", "2"}},
	 .timeout_us = 2000000},

	/* Names */
	{"unknown options ignored", .req = {{"foo", "1"}, {"multicast", ""}, {"blksize", "1024"}},
	 .oack = {{"blksize", "1024"}}, .blksize = 1024},
	{"name prefix is not the option", .req = {{"blk", "1024"}, {"blksizex", "1024"}}},
	{"case-insensitive names, client's spelling echoed", .file_size = 9,
	 .req = {{"BLKSIZE", "1024"}, {"TSize", "0"}, {"TimeOut", "2"}},
	 .oack = {{"BLKSIZE", "1024"}, {"TSize", "9"}, {"TimeOut", "2"}},
	 .blksize = 1024, .tsize_sent = true, .timeout_us = 2000000},
	{"option order of the request kept in the OACK", .file_size = 1,
	 .req = {{"timeout", "2"}, {"tsize", "0"}, {"rollover", "0"}, {"blksize", "1024"}},
	 .oack = {{"timeout", "2"}, {"tsize", "1"}, {"rollover", "0"}, {"blksize", "1024"}},
	 .blksize = 1024, .timeout_us = 2000000, .tsize_sent = true},
	{"typical PXE request (tsize, blksize)", .file_size = 26140,
	 .req = {{"tsize", "0"}, {"blksize", "1468"}},
	 .oack = {{"tsize", "26140"}, {"blksize", "1468"}}, .blksize = 1468, .tsize_sent = true},

	/* OACK space */
	{"OACK overflow -> -ENOSPC", .cap = 12, .req = {{"blksize", "1468"}}, .rc = -ENOSPC},
	{"OACK exact fit", .cap = 15, .req = {{"blksize", "1468"}},
	 .oack = {{"blksize", "1468"}}, .blksize = 1468},
	{"OACK overflow on the windowsize append", .cap = 15,
	 .req = {{"blksize", "1468"}, {"windowsize", "4"}}, .rc = -ENOSPC},
	{"OACK overflow on the second option", .cap = 20, .file_size = 5,
	 .req = {{"blksize", "1468"}, {"tsize", "0"}}, .rc = -ENOSPC},
	{"a rejected value refuses before any OACK space is needed", .cap = 2,
	 .req = {{"foo", "1"}, {"blksize", "1"}}, .rc = -EPROTO},
};

static void limits_for(const struct neg_row *t, struct tftp_limits *lim)
{
	tftp_limits_default(lim);
	if (t->lim.max_blksize)
		lim->max_blksize = t->lim.max_blksize;
	if (t->lim.max_windowsize)
		lim->max_windowsize = t->lim.max_windowsize;
	if (t->lim.timeout_us)
		lim->timeout_us = t->lim.timeout_us;
	lim->max_window_bytes = t->lim.max_window_bytes;
	lim->refused = t->lim.refused;
	lim->reject_all = t->lim.reject_all;
}

/* The OACK the row expects, as bytes (0 length when it lists none). */
static size_t expected_oack(const struct neg_row *t, uint8_t *buf, size_t cap)
{
	size_t len = 0;

	for (int i = 0; i < MAX_PAIRS && t->oack[i][0]; i++) {
		if (len == 0) {
			buf[0] = 0;
			buf[1] = TFTP_OACK;
			len = 2;
		}
		size_t nl = strlen(t->oack[i][0]) + 1, vl = strlen(t->oack[i][1]) + 1;
		assert_true(len + nl + vl <= cap);
		memcpy(buf + len, t->oack[i][0], nl);
		memcpy(buf + len + nl, t->oack[i][1], vl);
		len += nl + vl;
	}
	return len;
}

/* Renders an OACK as "name=value name=value" for readable failures. */
static void render_oack(const uint8_t *p, size_t len, char *out, size_t cap)
{
	size_t o = 0;

	for (size_t i = 2; i < len && o + 1 < cap; i++)
		out[o++] = p[i] ? (char)p[i] : '|';
	out[o] = 0;
}

static int check_row(const struct neg_row *t)
{
	struct tftp_request req = {.opcode = t->wrq ? TFTP_WRQ : TFTP_RRQ, .filename = "f",
				   .mode = t->netascii ? "netascii" : "octet"};
	struct tftp_limits lim;
	struct tftp_params p;
	uint8_t oack[TFTP_MAX_PACKET + 16], want[TFTP_MAX_PACKET];
	size_t cap = t->cap ? t->cap : TFTP_MAX_PACKET;
	size_t oack_len = 12345, want_len;
	char got_s[512], want_s[512];
	bool tsize_known = t->wrq || !t->netascii;
	uint64_t fsize = t->wrq ? 0 : t->file_size;
	int rc, bad = 0;

	limits_for(t, &lim);
	for (int i = 0; i < MAX_PAIRS && t->req[i][0]; i++) {
		req.opts[i].name = t->req[i][0];
		req.opts[i].value = t->req[i][1];
		req.n_opts++;
	}
	memset(oack, 0xA5, sizeof(oack));
	rc = tftp_negotiate(&req, &lim, tsize_known, fsize, &p, oack, cap, &oack_len);
	if (oack[cap] != 0xA5) {
		print_error("row \"%s\": wrote past cap %zu\n", t->why, cap);
		bad = 1;
	}
	if (rc != t->rc) {
		print_error("row \"%s\": rc %d, want %d\n", t->why, rc, t->rc);
		return 1;
	}
	if (rc)
		return bad;

	want_len = expected_oack(t, want, sizeof(want));
	if (oack_len != want_len || memcmp(oack, want, want_len)) {
		render_oack(oack, oack_len <= cap ? oack_len : 0, got_s, sizeof(got_s));
		render_oack(want, want_len, want_s, sizeof(want_s));
		print_error("row \"%s\": OACK (%zu bytes) \"%s\", want (%zu bytes) \"%s\"\n", t->why,
			    oack_len, got_s, want_len, want_s);
		bad = 1;
	}
	unsigned w_bs = t->blksize ? t->blksize : TFTP_DEFAULT_BLKSIZE;
	unsigned w_ws = t->windowsize ? t->windowsize : 1;
	unsigned w_to = t->timeout_us ? t->timeout_us : lim.timeout_us;
	if (p.blksize != w_bs || p.windowsize != w_ws || p.timeout_us != w_to ||
	    p.rollover != t->rollover || p.tsize_sent != t->tsize_sent || p.tsize != t->tsize) {
		print_error("row \"%s\": params blksize %u window %u timeout %u rollover %u "
			    "tsize_sent %d tsize %" PRIu64 "; want %u %u %u %u %d %" PRIu64 "\n",
			    t->why, p.blksize, p.windowsize, p.timeout_us, p.rollover, p.tsize_sent,
			    p.tsize, w_bs, w_ws, w_to, t->rollover, t->tsize_sent, t->tsize);
		bad = 1;
	}
	return bad;
}

static void test_negotiate_table(void **state)
{
	(void)state;
	RUN_TABLE(rows, check_row, "negotiation rows");
}

/* An OACK as large as a request can make it still fits the server's own
 * buffer: the maximum request (32 options in one datagram) never yields
 * -ENOSPC with cap TFTP_MAX_PACKET. */
static void test_negotiate_many_options_fit(void **state)
{
	static char values[TFTP_MAX_OPTIONS][32];
	struct tftp_request req = {.opcode = TFTP_WRQ, .filename = "f", .mode = "octet"};
	struct tftp_limits lim;
	struct tftp_params p;
	static uint8_t oack[TFTP_MAX_PACKET];
	size_t oack_len;

	(void)state;
	tftp_limits_default(&lim);
	for (int i = 0; i < TFTP_MAX_OPTIONS; i++) {
		snprintf(values[i], sizeof(values[i]), "%d", 1000 + i);
		req.opts[i].name = "tsize";
		req.opts[i].value = values[i];
	}
	req.n_opts = TFTP_MAX_OPTIONS;
	assert_int_equal(tftp_negotiate(&req, &lim, true, 0, &p, oack, sizeof(oack), &oack_len), 0);
	assert_int_equal(oack_len, 2 + TFTP_MAX_OPTIONS * (6 + 5));
	/* The last tsize counts. */
	assert_int_equal(p.tsize, 1000 + TFTP_MAX_OPTIONS - 1);
}

static void test_option_names(void **state)
{
	static const struct {
		const char *name;
		int id;
	} names[] = {
		{"blksize", TFTP_OPT_BLKSIZE}, {"BLKSIZE", TFTP_OPT_BLKSIZE},
		{"blksize2", TFTP_OPT_BLKSIZE2}, {"tsize", TFTP_OPT_TSIZE},
		{"Timeout", TFTP_OPT_TIMEOUT}, {"utimeout", TFTP_OPT_UTIMEOUT},
		{"rollover", TFTP_OPT_ROLLOVER}, {"windowSIZE", TFTP_OPT_WINDOWSIZE},
		{"", -1}, {"blk", -1}, {"blksize3", -1}, {"multicast", -1}, {"windowsize ", -1},
	};

	(void)state;
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		if (tftp_option_id(names[i].name) != names[i].id)
			fail_msg("tftp_option_id(\"%s\") = %d, want %d", names[i].name,
				 tftp_option_id(names[i].name), names[i].id);
	}
	for (int id = 0; id < TFTP_OPT_COUNT; id++)
		assert_int_equal(tftp_option_id(tftp_option_name(id)), id);
	assert_string_equal(tftp_option_name(TFTP_OPT_COUNT), "?");
}

static void test_limits_default(void **state)
{
	struct tftp_limits lim;

	(void)state;
	memset(&lim, 0xff, sizeof(lim));
	tftp_limits_default(&lim);
	assert_int_equal(lim.max_blksize, TFTP_MAX_BLKSIZE);
	assert_int_equal(lim.max_windowsize, TFTP_MAX_WINDOW);
	assert_int_equal(lim.max_window_bytes, 0);
	assert_int_equal(lim.refused, 0);
	assert_false(lim.reject_all);
	assert_int_equal(lim.timeout_us, TFTP_DEFAULT_TIMEOUT_US);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_negotiate_table),
		cmocka_unit_test(test_negotiate_many_options_fit),
		cmocka_unit_test(test_option_names),
		cmocka_unit_test(test_limits_default),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
