/* Shared read-only mappings of served files; see file_cache.h. */
#include "lib/file_cache.h"

#include <errno.h>
#include <stdlib.h>
#include <sys/mman.h>

static unsigned bucket_of(dev_t dev, ino_t ino)
{
	uint64_t h = (uint64_t)ino * 0x9e3779b97f4a7c15ull ^ (uint64_t)dev;

	return (unsigned)(h >> 32) % FILE_CACHE_BUCKETS;
}

static int same_version(const struct mapped_file *m, const struct stat *st)
{
	return m->dev == st->st_dev && m->ino == st->st_ino && m->size == st->st_size &&
	       m->mtime.tv_sec == st->st_mtim.tv_sec && m->mtime.tv_nsec == st->st_mtim.tv_nsec;
}

struct mapped_file *file_cache_get(struct file_cache *c, int fd, const struct stat *st, int *err)
{
	unsigned b = bucket_of(st->st_dev, st->st_ino);
	struct mapped_file *m;

	for (m = c->bucket[b]; m; m = m->next) {
		if (same_version(m, st)) {
			m->refs++;
			return m;
		}
	}
	m = calloc(1, sizeof(*m));
	if (!m) {
		*err = -ENOMEM;
		return NULL;
	}
	if (st->st_size > 0) {
		void *p = mmap(NULL, (size_t)st->st_size, PROT_READ, MAP_SHARED, fd, 0);
		if (p == MAP_FAILED) {
			*err = -errno;
			free(m);
			return NULL;
		}
		m->data = p;
	}
	m->dev = st->st_dev;
	m->ino = st->st_ino;
	m->size = st->st_size;
	m->mtime = st->st_mtim;
	m->refs = 1;
	m->next = c->bucket[b];
	c->bucket[b] = m;
	c->entries++;
	return m;
}

static void unmap(struct mapped_file *m)
{
	if (m->data)
		munmap((void *)m->data, (size_t)m->size);
	free(m);
}

void file_cache_put(struct file_cache *c, struct mapped_file *m)
{
	struct mapped_file **pp;

	if (--m->refs)
		return;
	for (pp = &c->bucket[bucket_of(m->dev, m->ino)]; *pp; pp = &(*pp)->next) {
		if (*pp == m) {
			*pp = m->next;
			break;
		}
	}
	c->entries--;
	unmap(m);
}

void file_cache_clear(struct file_cache *c)
{
	for (unsigned b = 0; b < FILE_CACHE_BUCKETS; b++) {
		while (c->bucket[b]) {
			struct mapped_file *m = c->bucket[b];
			c->bucket[b] = m->next;
			unmap(m);
		}
	}
	c->entries = 0;
}
