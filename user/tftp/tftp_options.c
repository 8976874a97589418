/* Option negotiation; rules follow tftpd-hpa so replies are identical. */
#include "tftp/tftp_options.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <strings.h>

static const char *const opt_names[TFTP_OPT_COUNT] = {
	[TFTP_OPT_BLKSIZE] = "blksize", [TFTP_OPT_BLKSIZE2] = "blksize2",
	[TFTP_OPT_TSIZE] = "tsize", [TFTP_OPT_TIMEOUT] = "timeout",
	[TFTP_OPT_UTIMEOUT] = "utimeout", [TFTP_OPT_ROLLOVER] = "rollover",
	[TFTP_OPT_WINDOWSIZE] = "windowsize",
};

void tftp_limits_default(struct tftp_limits *lim)
{
	*lim = (struct tftp_limits){
		.max_blksize = TFTP_MAX_BLKSIZE,
		.max_windowsize = TFTP_MAX_WINDOW,
		.timeout_us = TFTP_DEFAULT_TIMEOUT_US,
	};
}

int tftp_option_id(const char *name)
{
	for (int i = 0; i < TFTP_OPT_COUNT; i++)
		if (!strcasecmp(name, opt_names[i]))
			return i;
	return -1;
}

const char *tftp_option_name(enum tftp_opt_id id)
{
	return id < TFTP_OPT_COUNT ? opt_names[id] : "?";
}

/* Strict decimal: digits only, no sign, no overflow. */
static bool parse_u64(const char *s, uint64_t *v)
{
	char *end;

	if (*s < '0' || *s > '9')
		return false;
	errno = 0;
	*v = strtoumax(s, &end, 10);
	return !*end && errno != ERANGE;
}

static unsigned pow2_floor(uint64_t v)
{
	unsigned p = 1;

	while (v >>= 1)
		p <<= 1;
	return p;
}

/* Apply one option; returns true if accepted, with *v the value to echo. */
static bool apply_option(int id, uint64_t *v, const struct tftp_limits *lim,
			 bool tsize_known, uint64_t file_size,
			 struct tftp_params *p, uint64_t *window_req)
{
	switch (id) {
	case TFTP_OPT_BLKSIZE:
	case TFTP_OPT_BLKSIZE2:
		if (*v < TFTP_MIN_BLKSIZE)
			return false;
		if (*v > lim->max_blksize)
			*v = lim->max_blksize;
		else if (id == TFTP_OPT_BLKSIZE2)
			*v = pow2_floor(*v);
		p->blksize = (unsigned)*v;
		return true;
	case TFTP_OPT_TSIZE:
		if (!tsize_known)
			return false;
		p->tsize_sent = true;
		p->tsize = *v;
		if (*v == 0)
			*v = file_size;
		return true;
	case TFTP_OPT_TIMEOUT:
		if (*v < 1 || *v > 255)
			return false;
		p->timeout_us = (unsigned)*v * 1000000u;
		return true;
	case TFTP_OPT_UTIMEOUT:
		if (*v < 10000 || *v > 255000000)
			return false;
		p->timeout_us = (unsigned)*v;
		return true;
	case TFTP_OPT_ROLLOVER:
		if (*v > 65535)
			return false;
		p->rollover = (uint16_t)*v;
		return true;
	case TFTP_OPT_WINDOWSIZE:
		/* Echoed last: its cap depends on the final blksize. */
		if (*v >= 1)
			*window_req = *v;
		return false;
	}
	return false;
}

static int append_number(uint8_t *oack, size_t cap, size_t *len,
			 const char *name, uint64_t v)
{
	char num[24];

	snprintf(num, sizeof(num), "%" PRIu64, v);
	return tftp_oack_append(oack, cap, len, name, num);
}

int tftp_negotiate(const struct tftp_request *req, const struct tftp_limits *lim,
		   bool tsize_known, uint64_t file_size, struct tftp_params *p,
		   uint8_t *oack, size_t cap, size_t *oack_len)
{
	uint64_t window_req = 0;

	*p = (struct tftp_params){
		.blksize = TFTP_DEFAULT_BLKSIZE,
		.windowsize = 1,
		.timeout_us = lim->timeout_us,
	};
	*oack_len = 0;
	for (unsigned i = 0; i < req->n_opts && !lim->reject_all; i++) {
		const struct tftp_option *o = &req->opts[i];
		int id = tftp_option_id(o->name);
		uint64_t v;

		if (id < 0 || (lim->refused & (1u << id)) || !parse_u64(o->value, &v))
			continue;
		/* A known option with a value we cannot honour refuses the whole
		 * request, as tftpd-hpa does (windowsize is decided below). */
		if (!apply_option(id, &v, lim, tsize_known, file_size, p, &window_req)) {
			if (id == TFTP_OPT_WINDOWSIZE && v >= 1)
				continue;
			return -EPROTO;
		}
		/* Echo with the client's spelling of the name, as tftpd-hpa does. */
		if (append_number(oack, cap, oack_len, o->name, v))
			return -ENOSPC;
	}
	if (window_req) {
		uint64_t w = window_req;

		if (w > lim->max_windowsize)
			w = lim->max_windowsize;
		if (lim->max_window_bytes && w > lim->max_window_bytes / p->blksize)
			w = lim->max_window_bytes / p->blksize;
		if (w >= 2) {
			p->windowsize = (unsigned)w;
			if (append_number(oack, cap, oack_len, "windowsize", w))
				return -ENOSPC;
		}
	}
	return 0;
}
