/* TFTP wire format (RFC 1350, 2347): pure parsing and building of packets.
 * Parsers never read past `len`, never allocate, and return strings as
 * pointers into the caller's buffer (each is NUL-terminated inside it). */
#ifndef RACKBOOT_TFTP_PROTO_H
#define RACKBOOT_TFTP_PROTO_H

#include <stddef.h>
#include <stdint.h>

enum tftp_opcode {
	TFTP_RRQ = 1, TFTP_WRQ = 2, TFTP_DATA = 3,
	TFTP_ACK = 4, TFTP_ERROR = 5, TFTP_OACK = 6,
};

enum tftp_errcode {
	TFTP_EUNDEF = 0, TFTP_ENOTFOUND = 1, TFTP_EACCESS = 2, TFTP_ENOSPACE = 3,
	TFTP_EBADOP = 4, TFTP_EBADID = 5, TFTP_EEXISTS = 6, TFTP_ENOUSER = 7,
	TFTP_EOPTNEG = 8,
};

#define TFTP_HDR_LEN        4
#define TFTP_DEFAULT_BLKSIZE 512
#define TFTP_MIN_BLKSIZE    8
#define TFTP_MAX_BLKSIZE    65464
#define TFTP_MAX_PACKET     (TFTP_MAX_BLKSIZE + TFTP_HDR_LEN)
/* More options than any client sends; the rest of a request is ignored. */
#define TFTP_MAX_OPTIONS    32

struct tftp_option {
	const char *name;
	const char *value;
};

struct tftp_request {
	uint16_t opcode;              /* TFTP_RRQ or TFTP_WRQ */
	const char *filename;
	const char *mode;             /* as sent; compare case-insensitively */
	unsigned n_opts;
	struct tftp_option opts[TFTP_MAX_OPTIONS];
};

/* A parsed non-request packet (DATA, ACK, ERROR, OACK). */
struct tftp_packet {
	uint16_t opcode;
	uint16_t block;               /* DATA, ACK */
	const uint8_t *data;          /* DATA payload */
	size_t data_len;
	uint16_t errcode;             /* ERROR */
	const char *errmsg;           /* ERROR; "" when the client sent none */
};

/* Parse an RRQ or WRQ. Returns 0, or -EBADMSG with *why naming the fault
 * (the caller answers with TFTP_EBADOP and *why as the message). */
int tftp_parse_request(const uint8_t *buf, size_t len,
		       struct tftp_request *req, const char **why);

/* Parse DATA/ACK/ERROR/OACK. Returns 0 or -EBADMSG with *why set. */
int tftp_parse_packet(const uint8_t *buf, size_t len,
		      struct tftp_packet *pkt, const char **why);

/* The standard message for an error code (tftpd-hpa's wording). */
const char *tftp_errstr(uint16_t code);

/* Builders return the packet length, or 0 if it does not fit in cap. */
size_t tftp_build_error(uint8_t *buf, size_t cap, uint16_t code, const char *msg);
size_t tftp_build_ack(uint8_t *buf, size_t cap, uint16_t block);
void tftp_put_data_header(uint8_t hdr[TFTP_HDR_LEN], uint16_t block);
/* Append "name\0value\0" to an OACK under construction at buf[*len]. */
int tftp_oack_append(uint8_t *buf, size_t cap, size_t *len,
		     const char *name, const char *value);

#endif
