/* RFC 2347 option negotiation (blksize, blksize2, tsize, timeout, utimeout,
 * rollover, windowsize) with tftpd-hpa's acceptance rules: a pure function
 * from a request and the server's limits to transfer parameters and OACK. */
#ifndef RACKBOOT_TFTP_OPTIONS_H
#define RACKBOOT_TFTP_OPTIONS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "proto/tftp_proto.h"

enum tftp_opt_id {
	TFTP_OPT_BLKSIZE, TFTP_OPT_BLKSIZE2, TFTP_OPT_TSIZE, TFTP_OPT_TIMEOUT,
	TFTP_OPT_UTIMEOUT, TFTP_OPT_ROLLOVER, TFTP_OPT_WINDOWSIZE, TFTP_OPT_COUNT
};

struct tftp_limits {
	unsigned max_blksize;        /* -B: 512..65464 */
	unsigned max_windowsize;     /* -W: 1..TFTP_MAX_WINDOW */
	uint64_t max_window_bytes;   /* --window-bytes; 0 = no limit */
	unsigned refused;            /* -r: bit (1 << enum tftp_opt_id) */
	bool reject_all;             /* --reject-all */
	unsigned timeout_us;         /* -T: default retransmit timeout */
};

#define TFTP_MAX_WINDOW 64           /* blocks in flight per transfer */
#define TFTP_DEFAULT_TIMEOUT_US 1000000u

struct tftp_params {
	unsigned blksize;
	unsigned windowsize;
	unsigned timeout_us;
	uint16_t rollover;           /* block number after 65535 */
	bool tsize_sent;             /* client sent tsize */
	uint64_t tsize;              /* WRQ: the size the client announced */
};

void tftp_limits_default(struct tftp_limits *lim);

/* Name -> id (case-insensitive); -1 if unknown. */
int tftp_option_id(const char *name);
const char *tftp_option_name(enum tftp_opt_id id);

/* Negotiate. `file_size` is reported for tsize when `tsize_known`
 * (octet RRQ). Builds the OACK into oack (length in oack_len, 0 if no option was
 * accepted: the transfer then starts without OACK). Returns 0;
 * -EPROTO if a known option has a value out of range (blksize < 8, timeout
 * 0 or > 255, tsize on a netascii read, ...): tftpd-hpa then refuses the
 * request with TFTP_EOPTNEG "Unsupported option(s) requested"; or
 * -ENOSPC if the OACK does not fit (TFTP_EOPTNEG as well). */
int tftp_negotiate(const struct tftp_request *req, const struct tftp_limits *lim,
		   bool tsize_known, uint64_t file_size, struct tftp_params *p,
		   uint8_t *oack, size_t cap, size_t *oack_len);

#endif
