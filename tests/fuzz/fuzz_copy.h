/* The fuzz input copied to a heap block of exactly its size, so that
 * AddressSanitizer catches a parser reading one byte past the datagram
 * (libFuzzer's own buffer may have slack). NULL if over `max` or no memory;
 * free() the result. */
#ifndef RACKBOOT_FUZZ_COPY_H
#define RACKBOOT_FUZZ_COPY_H

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static inline uint8_t *fuzz_copy(const uint8_t *data, size_t size, size_t max)
{
	uint8_t *buf;

	if (size > max)
		return NULL;
	buf = malloc(size ? size : 1);
	if (buf && size)
		memcpy(buf, data, size);
	return buf;
}

#endif
