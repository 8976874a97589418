/* Netascii streaming conversion; see netascii.h. */
#include "proto/netascii.h"

void netascii_enc_init(struct netascii_enc *e)
{
	e->pending = -1;
}

size_t netascii_encode(struct netascii_enc *e, const uint8_t *in, size_t inlen,
		       size_t *consumed, uint8_t *out, size_t outcap)
{
	size_t o = 0, i = 0;

	if (e->pending >= 0 && o < outcap) {
		out[o++] = (uint8_t)e->pending;
		e->pending = -1;
	}
	while (i < inlen && o < outcap && e->pending < 0) {
		uint8_t c = in[i++];

		if (c == '\n' || c == '\r') {
			out[o++] = '\r';
			int second = c == '\n' ? '\n' : '\0';
			if (o < outcap)
				out[o++] = (uint8_t)second;
			else
				e->pending = second;
		} else {
			out[o++] = c;
		}
	}
	*consumed = i;
	return o;
}

void netascii_dec_init(struct netascii_dec *d)
{
	d->prev_cr = 0;
}

size_t netascii_decode(struct netascii_dec *d, const uint8_t *in, size_t inlen, uint8_t *out)
{
	size_t o = 0;

	for (size_t i = 0; i < inlen; i++) {
		uint8_t c = in[i];

		if (d->prev_cr) {
			d->prev_cr = 0;
			if (c == '\n') {
				out[o++] = '\n';
				continue;
			}
			out[o++] = '\r';
			if (c == '\0')
				continue;
		}
		if (c == '\r')
			d->prev_cr = 1;
		else
			out[o++] = c;
	}
	return o;
}

size_t netascii_decode_finish(struct netascii_dec *d, uint8_t *out)
{
	if (!d->prev_cr)
		return 0;
	d->prev_cr = 0;
	out[0] = '\r';
	return 1;
}
