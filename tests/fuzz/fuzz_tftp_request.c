/* libFuzzer target for request parsing and option negotiation
 * (user/tftp_proto.c, user/tftp_options.c).
 *
 * Input: a datagram as received on port 69 (or on a transfer port). It is
 * copied into an exact-size heap buffer so ASan catches any over-read.
 *
 * Checks:
 *  - tftp_parse_request: 0 or -EBADMSG with a reason; on success every
 *    string is NUL-terminated inside the buffer, n_opts <= TFTP_MAX_OPTIONS.
 *  - tftp_negotiate under several server settings: 0 or -ENOSPC; the OACK
 *    fits cap, is well formed (opcode 6, name/value pairs), each echoed
 *    value is decimal; parameters stay inside the limits; reject_all gives
 *    no OACK and defaults; deterministic.
 *  - tftp_parse_packet on the same bytes: 0 or -EBADMSG; payload pointers
 *    inside the buffer; errmsg is "" or a terminated string inside it. */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>

#include "fuzz_copy.h"
#include <stdlib.h>
#include <string.h>

#include "tftp/tftp_options.h"
#include "proto/tftp_proto.h"

#define CHECK(c) do { if (!(c)) __builtin_trap(); } while (0)

static bool str_inside(const char *s, const uint8_t *buf, size_t len)
{
	const uint8_t *p = (const uint8_t *)s;

	return p >= buf && p < buf + len && memchr(p, 0, (size_t)(buf + len - p));
}

static bool all_digits(const char *s)
{
	if (!*s)
		return false;
	for (; *s; s++)
		if (*s < '0' || *s > '9')
			return false;
	return true;
}

static void check_oack(const uint8_t *oack, size_t len, size_t cap, unsigned n_req)
{
	size_t pos = 2;
	unsigned pairs = 0;

	CHECK(len <= cap);
	if (len == 0)
		return;
	CHECK(len >= 2 && oack[0] == 0 && oack[1] == TFTP_OACK);
	while (pos < len) {
		const uint8_t *nul = memchr(oack + pos, 0, len - pos);
		CHECK(nul);                                 /* name terminated */
		CHECK(nul > oack + pos);                    /* names are never empty */
		CHECK(tftp_option_id((const char *)oack + pos) >= 0);
		pos = (size_t)(nul - oack) + 1;
		CHECK(pos < len);
		nul = memchr(oack + pos, 0, len - pos);
		CHECK(nul);                                 /* value terminated */
		CHECK(all_digits((const char *)oack + pos));
		pos = (size_t)(nul - oack) + 1;
		pairs++;
	}
	CHECK(pos == len);
	/* One per accepted request option, plus at most one windowsize. */
	CHECK(pairs <= n_req + 1);
}

static void negotiate_one(const struct tftp_request *req, const struct tftp_limits *lim,
			  bool tsize_known, uint64_t fsize, size_t cap)
{
	static uint8_t oack[TFTP_MAX_PACKET + 1], oack2[TFTP_MAX_PACKET + 1];
	struct tftp_params p, p2;
	size_t len = 0, len2 = 0;
	int rc, rc2;

	oack[cap] = 0xA5;
	rc = tftp_negotiate(req, lim, tsize_known, fsize, &p, oack, cap, &len);
	CHECK(oack[cap] == 0xA5);
	CHECK(rc == 0 || rc == -ENOSPC || rc == -EPROTO);
	if (rc)
		return;
	check_oack(oack, len, cap, req->n_opts);

	CHECK(p.blksize >= TFTP_MIN_BLKSIZE && p.blksize <= lim->max_blksize);
	CHECK(p.windowsize >= 1 && p.windowsize <= lim->max_windowsize);
	if (p.windowsize > 1 && lim->max_window_bytes)
		CHECK((uint64_t)p.windowsize * p.blksize <= lim->max_window_bytes);
	CHECK(p.timeout_us == lim->timeout_us ||
	      (p.timeout_us >= 10000 && p.timeout_us <= 255000000));
	if (!tsize_known)
		CHECK(!p.tsize_sent);
	if (lim->reject_all) {
		CHECK(len == 0);
		CHECK(p.blksize == TFTP_DEFAULT_BLKSIZE && p.windowsize == 1 && p.rollover == 0 &&
		      p.timeout_us == lim->timeout_us && !p.tsize_sent);
	}
	if (len == 0)
		CHECK(p.blksize == TFTP_DEFAULT_BLKSIZE && p.windowsize == 1 &&
		      p.timeout_us == lim->timeout_us && p.rollover == 0);

	/* Pure function: the same answer twice. */
	rc2 = tftp_negotiate(req, lim, tsize_known, fsize, &p2, oack2, cap, &len2);
	CHECK(rc2 == 0 && len2 == len && !memcmp(oack, oack2, len));
	CHECK(p.blksize == p2.blksize && p.windowsize == p2.windowsize &&
	      p.timeout_us == p2.timeout_us && p.rollover == p2.rollover &&
	      p.tsize_sent == p2.tsize_sent && p.tsize == p2.tsize);
}

static void fuzz_request(const uint8_t *buf, size_t len)
{
	struct tftp_request req;
	struct tftp_limits lim;
	const char *why = NULL;
	int rc = tftp_parse_request(buf, len, &req, &why);

	CHECK(rc == 0 || rc == -EBADMSG);
	if (rc) {
		CHECK(why && *why);
		return;
	}
	CHECK(req.opcode == TFTP_RRQ || req.opcode == TFTP_WRQ);
	CHECK(str_inside(req.filename, buf, len) && *req.filename);
	CHECK(str_inside(req.mode, buf, len));
	CHECK(req.n_opts <= TFTP_MAX_OPTIONS);
	for (unsigned i = 0; i < req.n_opts; i++) {
		CHECK(str_inside(req.opts[i].name, buf, len) && *req.opts[i].name);
		CHECK(str_inside(req.opts[i].value, buf, len));
		CHECK(req.opts[i].name > req.mode);
		if (i)
			CHECK(req.opts[i].name > req.opts[i - 1].value);
	}

	/* Defaults, as the server starts. */
	tftp_limits_default(&lim);
	negotiate_one(&req, &lim, true, (uint64_t)len * 1000003u, TFTP_MAX_PACKET);
	negotiate_one(&req, &lim, false, 0, TFTP_MAX_PACKET);
	/* Tight limits: -B 1024 -W 8 --window-bytes 4096 -r tsize -T 300000, small cap. */
	lim.max_blksize = 1024;
	lim.max_windowsize = 8;
	lim.max_window_bytes = 4096;
	lim.refused = 1u << TFTP_OPT_TSIZE;
	lim.timeout_us = 300000;
	negotiate_one(&req, &lim, true, UINT64_MAX, 64);
	negotiate_one(&req, &lim, true, 0, 2);
	/* -B 512 -W 1, everything but blksize refused. */
	lim.max_blksize = 512;
	lim.max_windowsize = 1;
	lim.max_window_bytes = 0;
	lim.refused = ~(1u << TFTP_OPT_BLKSIZE) & ((1u << TFTP_OPT_COUNT) - 1);
	negotiate_one(&req, &lim, true, 1, TFTP_MAX_PACKET);
	/* --reject-all. */
	tftp_limits_default(&lim);
	lim.reject_all = true;
	negotiate_one(&req, &lim, true, 5, TFTP_MAX_PACKET);
}

static void fuzz_packet(const uint8_t *buf, size_t len)
{
	struct tftp_packet p;
	const char *why = NULL;
	int rc = tftp_parse_packet(buf, len, &p, &why);

	CHECK(rc == 0 || rc == -EBADMSG);
	CHECK(p.errmsg != NULL);
	if (rc) {
		CHECK(why && *why);
		return;
	}
	switch (p.opcode) {
	case TFTP_DATA:
		CHECK(len >= TFTP_HDR_LEN && p.data == buf + 4 && p.data_len == len - 4);
		break;
	case TFTP_ACK:
		CHECK(len >= TFTP_HDR_LEN && p.data_len == 0);
		break;
	case TFTP_ERROR:
		CHECK(len >= TFTP_HDR_LEN);
		CHECK(!*p.errmsg || str_inside(p.errmsg, buf, len));
		break;
	case TFTP_OACK:
		CHECK(p.data == buf + 2 && p.data_len == len - 2);
		break;
	default:
		CHECK(0);
	}
	if (p.data_len)
		CHECK(p.data >= buf && p.data + p.data_len <= buf + len);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t *buf;

	buf = fuzz_copy(data, size, TFTP_MAX_PACKET);
	if (!buf)
		return 0;
	fuzz_request(buf, size);
	fuzz_packet(buf, size);
	free(buf);
	return 0;
}
