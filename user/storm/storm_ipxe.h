/* What an iPXE script makes iPXE download: the URL of each `kernel` and
 * `initrd` (or `module`) line, in script order. Pure function. */
#ifndef RACKBOOT_STORM_IPXE_H
#define RACKBOOT_STORM_IPXE_H

#include <stddef.h>

#define SIPXE_MAX_URLS 8
#define SIPXE_MAX_URL  1024

struct sipxe_images {
	unsigned n;                          /* URLs found, at most SIPXE_MAX_URLS */
	int kernel;                          /* index of the kernel in url[], -1 if none */
	char url[SIPXE_MAX_URLS][SIPXE_MAX_URL];
};

/* Parse `len` bytes of script. The first token after the keyword that is
 * not an option is the URL: options start with '-' ("--name=x", "-a");
 * --name/-n and --timeout/-t take the next token as their value. Returns
 * 0, or -1 when the text is not an iPXE script (no "#!ipxe" first line).
 * Every image is listed in script order (iPXE downloads each as its line
 * runs); `kernel` is the index of the first kernel line. */
int sipxe_parse(const char *script, size_t len, struct sipxe_images *out);

#endif
