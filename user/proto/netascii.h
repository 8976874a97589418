/* Netascii (RFC 764 via RFC 1350) as streaming converters: LF <-> CR LF,
 * CR <-> CR NUL. State crosses block boundaries, so a block may end in the
 * middle of a two-byte sequence. */
#ifndef RACKBOOT_NETASCII_H
#define RACKBOOT_NETASCII_H

#include <stddef.h>
#include <stdint.h>

/* File -> wire. `pending` is the second byte of a pair that did not fit
 * (0 = none; it can only be '\n' or '\0', so use -1 for "none"). */
struct netascii_enc {
	int pending;
};

void netascii_enc_init(struct netascii_enc *e);
/* Convert up to `inlen` file bytes into at most `outcap` wire bytes.
 * Returns bytes written; *consumed = file bytes used. */
size_t netascii_encode(struct netascii_enc *e, const uint8_t *in, size_t inlen,
		       size_t *consumed, uint8_t *out, size_t outcap);

/* Wire -> file. */
struct netascii_dec {
	int prev_cr;
};

void netascii_dec_init(struct netascii_dec *d);
/* Convert `inlen` wire bytes; `out` must hold inlen + 1 bytes. */
size_t netascii_decode(struct netascii_dec *d, const uint8_t *in, size_t inlen, uint8_t *out);
/* End of stream: a trailing lone CR is data. Returns 0 or 1 byte in out. */
size_t netascii_decode_finish(struct netascii_dec *d, uint8_t *out);

#endif
