/* libFuzzer target for the netascii converters (user/netascii.c).
 *
 * Input layout:
 *   byte 0   block size (outcap) selector: 1 + byte % 64, or 512 if 255
 *   byte 1   file read size (input chunk): 1 + byte % 64
 *   bytes 2.. the data
 *
 * Checks (trap on violation):
 *  - encoding the data as the server does (blocks of outcap wire bytes,
 *    file read in chunks, a short block ends the stream) gives exactly the
 *    reference encoding (LF -> CR LF, CR -> CR NUL), never writes past
 *    outcap (exact-size heap buffers: ASan), always makes progress;
 *  - decoding those blocks one by one and finishing gives the data back:
 *    decode(encode(x)) == x for any split;
 *  - decoding the raw data as wire bytes gives the same output whatever
 *    the chunking, at most inlen + 1 bytes per call. */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "proto/netascii.h"

#define CHECK(c) do { if (!(c)) __builtin_trap(); } while (0)

static size_t ref_encode(const uint8_t *in, size_t n, uint8_t *out)
{
	size_t o = 0;

	for (size_t i = 0; i < n; i++) {
		if (in[i] == '\n' || in[i] == '\r') {
			out[o++] = '\r';
			out[o++] = in[i] == '\n' ? '\n' : '\0';
		} else {
			out[o++] = in[i];
		}
	}
	return o;
}

static size_t decode_chunked(const uint8_t *in, size_t n, size_t chunk, uint8_t *out)
{
	struct netascii_dec d;
	size_t o = 0;
	uint8_t *tmp;

	netascii_dec_init(&d);
	for (size_t p = 0; p < n; p += chunk) {
		size_t len = n - p < chunk ? n - p : chunk;
		tmp = malloc(len + 1);
		CHECK(tmp);
		size_t k = netascii_decode(&d, in + p, len, tmp);
		CHECK(k <= len + 1);
		memcpy(out + o, tmp, k);
		o += k;
		free(tmp);
	}
	tmp = malloc(1);
	CHECK(tmp);
	if (netascii_decode_finish(&d, tmp))
		out[o++] = tmp[0];
	CHECK(netascii_decode_finish(&d, tmp) == 0);
	free(tmp);
	return o;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	size_t outcap, chunk, n, rlen, w = 0, off = 0;
	const uint8_t *in;
	uint8_t *ref, *wire, *back, *back2;
	struct netascii_enc e;
	struct netascii_dec d;
	size_t o = 0;

	if (size < 2 || size > 8192)
		return 0;
	outcap = data[0] == 255 ? 512 : 1 + data[0] % 64;
	chunk = 1 + data[1] % 64;
	in = data + 2;
	n = size - 2;

	ref = malloc(2 * n + 1);
	wire = malloc(2 * n + outcap + 1);
	back = malloc(2 * n + 2);
	back2 = malloc(2 * n + 2);
	CHECK(ref && wire && back && back2);
	rlen = ref_encode(in, n, ref);

	/* Encode block by block; decode each block as it "arrives". */
	netascii_enc_init(&e);
	netascii_dec_init(&d);
	for (;;) {
		uint8_t *blk = malloc(outcap);
		size_t len = 0;
		CHECK(blk);
		while (len < outcap) {
			size_t avail = n - off < chunk ? n - off : chunk, used = (size_t)-1;
			size_t k = netascii_encode(&e, in + off, avail, &used, blk + len, outcap - len);
			CHECK(used <= avail && k <= outcap - len);
			CHECK(k > 0 || used > 0 || (avail == 0 && e.pending < 0));
			off += used;
			len += k;
			if (avail == 0 && e.pending < 0)
				break;
		}
		CHECK(w + len <= rlen);
		memcpy(wire + w, blk, len);
		w += len;
		uint8_t *dec = malloc(len + 1);
		CHECK(dec);
		size_t k = netascii_decode(&d, blk, len, dec);
		CHECK(k <= len + 1);
		memcpy(back + o, dec, k);
		o += k;
		free(dec);
		free(blk);
		if (len < outcap)
			break;
	}
	CHECK(off == n && e.pending < 0);
	CHECK(w == rlen && !memcmp(wire, ref, rlen));
	{
		uint8_t cr;
		if (netascii_decode_finish(&d, &cr))
			back[o++] = cr;
	}
	CHECK(o == n && !memcmp(back, in, n));

	/* Arbitrary bytes as wire data: chunking does not matter. */
	size_t whole = decode_chunked(in, n, n ? n : 1, back);
	size_t parts = decode_chunked(in, n, chunk, back2);
	CHECK(whole == parts && !memcmp(back, back2, whole));
	CHECK(whole <= n);

	free(ref);
	free(wire);
	free(back);
	free(back2);
	return 0;
}
