/* Firmware-like TFTP client state machine (see storm_tftp.h). Packets are
 * parsed with tftp_proto.c; block numbers are kept as 64-bit absolute
 * counts and only compared with the 16-bit wire numbers as differences,
 * so files past block 65535 need no special case. */
#include "storm/storm_tftp.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "proto/tftp_proto.h"

#define UEFI_BLKSIZE 1468          /* what EDK2 asks for on a 1500-byte MTU */
#define UEFI_WINDOW  4             /* EDK2 PcdPxeTftpWindowSize default */

/* Append "name\0value\0" to the request being built. */
static bool rrq_put(struct stftp *t, const char *s)
{
	size_t n = strlen(s) + 1;
	if (t->rrq_len + n > sizeof(t->rrq))
		return false;
	memcpy(t->rrq + t->rrq_len, s, n);
	t->rrq_len = (uint16_t)(t->rrq_len + n);
	return true;
}

/* RRQ for the current state: the size probe, or the real request. */
static bool build_rrq(struct stftp *t, bool probe)
{
	char num[16];
	bool ok;

	t->rrq[0] = 0;
	t->rrq[1] = TFTP_RRQ;
	t->rrq_len = 2;
	ok = rrq_put(t, t->file) && rrq_put(t, "octet");
	if (!probe) {
		snprintf(num, sizeof(num), "%u", t->want_blksize);
		ok = ok && rrq_put(t, "blksize") && rrq_put(t, num);
		if (t->want_window > 1) {
			snprintf(num, sizeof(num), "%u", t->want_window);
			ok = ok && rrq_put(t, "windowsize") && rrq_put(t, num);
		}
	}
	return ok && rrq_put(t, "tsize") && rrq_put(t, "0");
}

int stftp_init(struct stftp *t, enum stftp_style style, const char *file, uint16_t blksize)
{
	memset(t, 0, sizeof(*t));
	if (strlen(file) >= sizeof(t->file))
		return -1;
	strcpy(t->file, file);
	t->style = (uint8_t)style;
	t->want_blksize = style == STFTP_UEFI ? UEFI_BLKSIZE : blksize;
	t->want_window = style == STFTP_UEFI ? UEFI_WINDOW : 1;
	t->blksize = TFTP_DEFAULT_BLKSIZE;
	t->window = 1;
	t->tsize = -1;
	t->next = 1;
	t->state = style == STFTP_UEFI ? STFTP_PROBE : STFTP_RRQ;
	return build_rrq(t, t->state == STFTP_PROBE) ? 0 : -1;
}

unsigned stftp_start(struct stftp *t)
{
	return STFTP_SEND_RRQ;
}

static unsigned fail(struct stftp *t, enum stftp_fail why)
{
	t->state = STFTP_FAILED;
	t->fail = (uint8_t)why;
	return STFTP_FAIL;
}

static unsigned ack(struct stftp *t, uint64_t block)
{
	tftp_build_ack(t->ack, sizeof(t->ack), (uint16_t)block);
	return STFTP_SEND_ACK;
}

static void set_err(struct stftp *t, uint16_t port, uint16_t code, const char *msg)
{
	t->err_len = (uint16_t)tftp_build_error(t->err, sizeof(t->err), code, msg);
	t->err_port = port;
}

/* OACK options: name/value pairs; each value must be what we allow. */
static int parse_oack(struct stftp *t, const uint8_t *p, size_t len, bool probe)
{
	size_t i = 0;
	unsigned blk = TFTP_DEFAULT_BLKSIZE, win = 1;
	int64_t tsize = -1;

	while (i < len) {
		const char *name = (const char *)p + i;
		size_t nl = strnlen(name, len - i);
		if (i + nl >= len)
			return -1;
		i += nl + 1;
		const char *val = (const char *)p + i;
		size_t vl = strnlen(val, len - i);
		if (i + vl >= len)
			return -1;
		i += vl + 1;
		char *end;
		unsigned long long v = strtoull(val, &end, 10);
		if (end == val || *end)
			return -1;
		if (!strcasecmp(name, "blksize")) {
			if (probe || v < TFTP_MIN_BLKSIZE || v > t->want_blksize)
				return -1;
			blk = (unsigned)v;
		} else if (!strcasecmp(name, "windowsize")) {
			if (probe || v < 1 || v > t->want_window)
				return -1;
			win = (unsigned)v;
		} else if (!strcasecmp(name, "tsize")) {
			if (v > INT64_MAX)
				return -1;
			tsize = (int64_t)v;
		}
		/* options we did not ask for are ignored, as firmware does */
	}
	t->blksize = (uint16_t)blk;
	t->window = (uint16_t)win;
	if (tsize >= 0)
		t->tsize = tsize;
	return 0;
}

static unsigned on_data(struct stftp *t, uint16_t blk, size_t len)
{
	uint16_t d = (uint16_t)(blk - (uint16_t)t->next);

	if (d == 0) {
		if (len > t->blksize)
			return fail(t, STFTP_F_PROTOCOL);
		t->bytes += len;
		t->next++;
		t->win_count++;
		t->retries = 0;
		if (t->tsize >= 0 && t->bytes > (uint64_t)t->tsize)
			return fail(t, STFTP_F_SIZE);
		if (len < t->blksize) {
			/* the short block ends the file: ACK it and check the size */
			unsigned a = ack(t, t->next - 1);
			if (t->tsize >= 0 && t->bytes != (uint64_t)t->tsize)
				return a | fail(t, STFTP_F_SIZE);
			t->state = STFTP_DONE;
			return a | STFTP_PROGRESS | STFTP_DONE;
		}
		if (t->win_count >= t->window) {
			t->win_count = 0;
			return ack(t, t->next - 1) | STFTP_PROGRESS;
		}
		return STFTP_PROGRESS;
	}
	if (d < 0x8000) {
		/* a block beyond the next one: some were lost. RFC 7440: ACK the
		 * last block received in order, once per gap. */
		t->gaps++;
		if (t->gap_acked_for != t->next) {
			t->gap_acked_for = t->next;
			t->win_count = 0;
			return ack(t, t->next - 1);
		}
		return 0;
	}
	/* an old block: the server missed our ACK and went back */
	t->dups++;
	if (t->window == 1 || t->dup_acked_for != t->next) {
		t->dup_acked_for = t->next;
		t->win_count = 0;
		return ack(t, t->next - 1);
	}
	return 0;
}

unsigned stftp_input(struct stftp *t, uint16_t port, const uint8_t *p, size_t len)
{
	struct tftp_packet pkt;
	const char *why;

	if (t->state == STFTP_DONE || t->state == STFTP_FAILED)
		return 0;
	if (t->peer_port && port != t->peer_port) {
		t->strays++;               /* another TID (a duplicate session): ignore */
		return 0;
	}
	if (tftp_parse_packet(p, len, &pkt, &why) < 0)
		return t->peer_port ? fail(t, STFTP_F_PROTOCOL) : 0;
	if (pkt.opcode == TFTP_ERROR) {
		t->errcode = pkt.errcode;
		return fail(t, STFTP_F_ERROR);
	}
	if (!t->peer_port)
		t->peer_port = port;       /* RFC 1350: the first answer names the TID */

	switch (t->state) {
	case STFTP_PROBE:
		if (pkt.opcode != TFTP_OACK && pkt.opcode != TFTP_DATA)
			return fail(t, STFTP_F_PROTOCOL);
		if (pkt.opcode == TFTP_OACK && parse_oack(t, pkt.data, pkt.data_len, true) < 0)
			return fail(t, STFTP_F_PROTOCOL);
		/* EDK2 wanted the size only: abort this session, ask for real
		 * from a new port (see storm_tftp.h) */
		set_err(t, port, TFTP_EOPTNEG, "aborted");
		t->peer_port = 0;
		t->state = STFTP_RRQ;
		t->retries = 0;
		if (!build_rrq(t, false))
			return fail(t, STFTP_F_PROTOCOL);
		return STFTP_SEND_ERR | STFTP_NEW_PORT | STFTP_SEND_RRQ | STFTP_PROGRESS;
	case STFTP_RRQ:
		if (pkt.opcode == TFTP_OACK) {
			if (parse_oack(t, pkt.data, pkt.data_len, false) < 0) {
				set_err(t, port, TFTP_EOPTNEG, "bad option");
				return STFTP_SEND_ERR | fail(t, STFTP_F_PROTOCOL);
			}
			t->state = STFTP_DATA;
			t->retries = 0;
			return ack(t, 0) | STFTP_PROGRESS;
		}
		if (pkt.opcode == TFTP_DATA) {
			/* no OACK: the server ignored the options (RFC 2347) */
			t->blksize = TFTP_DEFAULT_BLKSIZE;
			t->window = 1;
			t->state = STFTP_DATA;
			return on_data(t, pkt.block, pkt.data_len);
		}
		return fail(t, STFTP_F_PROTOCOL);
	case STFTP_DATA:
		if (pkt.opcode == TFTP_OACK) {
			if (t->next == 1)      /* our ACK 0 was lost */
				return ack(t, 0);
			return 0;
		}
		if (pkt.opcode != TFTP_DATA)
			return fail(t, STFTP_F_PROTOCOL);
		return on_data(t, pkt.block, pkt.data_len);
	default:
		return 0;
	}
}

unsigned stftp_timeout(struct stftp *t, unsigned max_retries)
{
	if (t->state == STFTP_DONE || t->state == STFTP_FAILED)
		return 0;
	if (++t->retries > max_retries)
		return fail(t, STFTP_F_TIMEOUT);
	t->retransmits++;
	if (t->state == STFTP_PROBE || t->state == STFTP_RRQ)
		return STFTP_SEND_RRQ;
	t->win_count = 0;
	t->gap_acked_for = t->dup_acked_for = 0;
	return ack(t, t->next - 1);
}
