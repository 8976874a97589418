/* TFTP packet parsing and building; see tftp_proto.h for the contract. */
#include "proto/tftp_proto.h"

#include <errno.h>
#include <string.h>

static uint16_t get16(const uint8_t *p) { return (uint16_t)(p[0] << 8 | p[1]); }
static void put16(uint8_t *p, uint16_t v) { p[0] = v >> 8; p[1] = v & 0xff; }

/* Next NUL-terminated string starting at *pos, or NULL if unterminated. */
static const char *next_string(const uint8_t *buf, size_t len, size_t *pos)
{
	const uint8_t *start = buf + *pos;
	const uint8_t *nul = memchr(start, 0, len - *pos);

	if (!nul)
		return NULL;
	*pos = (size_t)(nul - buf) + 1;
	return (const char *)start;
}

int tftp_parse_request(const uint8_t *buf, size_t len,
		       struct tftp_request *req, const char **why)
{
	size_t pos = 2;

	memset(req, 0, sizeof(*req));
	if (len < 2) {
		*why = "Packet too short";
		return -EBADMSG;
	}
	req->opcode = get16(buf);
	if (req->opcode != TFTP_RRQ && req->opcode != TFTP_WRQ) {
		*why = "Not a request";
		return -EBADMSG;
	}
	/* tftpd-hpa reads strings until an empty one or the end of the
	 * packet; whatever stops it before the mode is "Missing mode". */
	if (len == 2) {
		*why = "Missing mode";
		return -EBADMSG;
	}
	req->filename = next_string(buf, len, &pos);
	/* tftpd-hpa stops at an empty first string: same answer here. */
	if (req->filename && !*req->filename) {
		*why = "Missing mode";
		return -EBADMSG;
	}
	if (!req->filename) {
		*why = "Request not null-terminated";
		return -EBADMSG;
	}
	if (pos == len) {
		*why = "Missing mode";
		return -EBADMSG;
	}
	req->mode = next_string(buf, len, &pos);
	if (!req->mode) {
		*why = "Request not null-terminated";
		return -EBADMSG;
	}
	if (!*req->mode) {
		*why = "Missing mode";
		return -EBADMSG;
	}
	/* Options: name/value pairs. Trailing padding NULs (some ROMs send
	 * them) end the list, as does a name without a value. */
	while (pos < len && buf[pos] != 0) {
		const char *name = next_string(buf, len, &pos);
		const char *value;

		if (!name) {
			*why = "Request not null-terminated";
			return -EBADMSG;
		}
		if (pos == len)
			break;          /* a name with no value is ignored */
		value = next_string(buf, len, &pos);
		if (!value) {
			*why = "Request not null-terminated";
			return -EBADMSG;
		}
		if (req->n_opts < TFTP_MAX_OPTIONS) {
			req->opts[req->n_opts].name = name;
			req->opts[req->n_opts].value = value;
			req->n_opts++;
		}
	}
	return 0;
}

int tftp_parse_packet(const uint8_t *buf, size_t len,
		      struct tftp_packet *pkt, const char **why)
{
	memset(pkt, 0, sizeof(*pkt));
	pkt->errmsg = "";
	if (len < 2) {
		*why = "Packet too short";
		return -EBADMSG;
	}
	pkt->opcode = get16(buf);
	switch (pkt->opcode) {
	case TFTP_DATA:
	case TFTP_ACK:
		if (len < TFTP_HDR_LEN) {
			*why = "Packet too short";
			return -EBADMSG;
		}
		pkt->block = get16(buf + 2);
		pkt->data = buf + TFTP_HDR_LEN;
		pkt->data_len = pkt->opcode == TFTP_DATA ? len - TFTP_HDR_LEN : 0;
		return 0;
	case TFTP_ERROR:
		if (len < TFTP_HDR_LEN) {
			*why = "Packet too short";
			return -EBADMSG;
		}
		pkt->errcode = get16(buf + 2);
		/* The message is advisory: accept a missing terminator. */
		if (len > TFTP_HDR_LEN && memchr(buf + 4, 0, len - 4))
			pkt->errmsg = (const char *)buf + 4;
		return 0;
	case TFTP_OACK:
		pkt->data = buf + 2;
		pkt->data_len = len - 2;
		return 0;
	default:
		*why = "Illegal TFTP operation";
		return -EBADMSG;
	}
}

const char *tftp_errstr(uint16_t code)
{
	static const char *const msgs[] = {
		[TFTP_EUNDEF] = "Undefined error code",
		[TFTP_ENOTFOUND] = "File not found",
		[TFTP_EACCESS] = "Access violation",
		[TFTP_ENOSPACE] = "Disk full or allocation exceeded",
		[TFTP_EBADOP] = "Illegal TFTP operation",
		[TFTP_EBADID] = "Unknown transfer ID",
		[TFTP_EEXISTS] = "File already exists",
		[TFTP_ENOUSER] = "No such user",
		[TFTP_EOPTNEG] = "Failure to negotiate RFC2347 options",
	};
	return code < sizeof(msgs) / sizeof(msgs[0]) ? msgs[code] : msgs[0];
}

size_t tftp_build_error(uint8_t *buf, size_t cap, uint16_t code, const char *msg)
{
	size_t mlen;

	if (!msg)
		msg = tftp_errstr(code);
	mlen = strlen(msg);
	if (cap < TFTP_HDR_LEN + 1)
		return 0;
	if (mlen > cap - TFTP_HDR_LEN - 1)
		mlen = cap - TFTP_HDR_LEN - 1;   /* a truncated message beats none */
	put16(buf, TFTP_ERROR);
	put16(buf + 2, code);
	memcpy(buf + 4, msg, mlen);
	buf[4 + mlen] = 0;
	return TFTP_HDR_LEN + mlen + 1;
}

size_t tftp_build_ack(uint8_t *buf, size_t cap, uint16_t block)
{
	if (cap < TFTP_HDR_LEN)
		return 0;
	put16(buf, TFTP_ACK);
	put16(buf + 2, block);
	return TFTP_HDR_LEN;
}

void tftp_put_data_header(uint8_t hdr[TFTP_HDR_LEN], uint16_t block)
{
	put16(hdr, TFTP_DATA);
	put16(hdr + 2, block);
}

int tftp_oack_append(uint8_t *buf, size_t cap, size_t *len,
		     const char *name, const char *value)
{
	size_t nl = strlen(name) + 1, vl = strlen(value) + 1;

	if (*len == 0) {
		if (cap < 2)
			return -ENOSPC;
		put16(buf, TFTP_OACK);
		*len = 2;
	}
	if (*len + nl + vl > cap)
		return -ENOSPC;
	memcpy(buf + *len, name, nl);
	memcpy(buf + *len + nl, value, vl);
	*len += nl + vl;
	return 0;
}
