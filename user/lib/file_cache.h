/* Files being served, mapped once and shared by every transfer of them.
 *
 * A transfer's DATA is sent straight from the shared read-only mapping
 * (sendmsg iovecs point into it): the kernel copies page-cache pages into
 * the packets, with no per-client buffer and no read per window. Only the
 * kernel touches the mapped bytes, so a file truncated under a transfer
 * makes sendmsg fail with EFAULT (ending that transfer) instead of raising
 * SIGBUS in the server. Keyed by device, inode, size and mtime: a file
 * replaced or rewritten gets a new entry, while transfers of the old
 * version finish from the old one. One cache per event loop; no locking. */
#ifndef RACKBOOT_FILE_CACHE_H
#define RACKBOOT_FILE_CACHE_H

#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>

struct mapped_file {
	dev_t dev;
	ino_t ino;
	off_t size;
	struct timespec mtime;
	const uint8_t *data;         /* NULL for an empty file */
	unsigned refs;
	struct mapped_file *next;
};

#define FILE_CACHE_BUCKETS 256

struct file_cache {
	struct mapped_file *bucket[FILE_CACHE_BUCKETS];
	unsigned entries;
};

/* The mapping of the open file `fd` (described by `st`), shared if it is
 * already mapped. Returns NULL with *err = -errno on failure. The caller
 * keeps ownership of fd and may close it. */
struct mapped_file *file_cache_get(struct file_cache *c, int fd, const struct stat *st, int *err);
/* Drop a reference; the last one unmaps. */
void file_cache_put(struct file_cache *c, struct mapped_file *m);
void file_cache_clear(struct file_cache *c);

#endif
