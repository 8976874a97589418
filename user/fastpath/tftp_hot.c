/* The TFTP fast path's maps from userspace; see tftp_hot.h. */
#include "tftp_hot.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <bpf/bpf.h>

#include "rackboot_abi.h"

static int fail(int err)
{
	errno = err;
	return -err;
}

/* libbpf's low-level calls return -1 with errno, or -errno: either way. */
static int syserr(int r)
{
	int e = r < -1 ? -r : errno;

	return fail(e ? e : EIO);
}

uint64_t tftp_hot_last_block(uint64_t size, unsigned blksize)
{
	return size / blksize + 1;
}

int tftp_hot_meta(int meta_fd, uint32_t slot, struct rb_tftp_file_meta *out)
{
	if (slot >= RB_TFTP_FILE_SLOTS)
		return fail(EINVAL);
	if (bpf_map_lookup_elem(meta_fd, &slot, out))
		return syserr(-1);
	return 0;
}

static int free_slot(int meta_fd, uint32_t *slot, struct rb_tftp_file_meta *m)
{
	for (uint32_t i = 0; i < RB_TFTP_FILE_SLOTS; i++) {
		int r = tftp_hot_meta(meta_fd, i, m);
		if (r)
			return r;
		if (m->gen == 0) {
			*slot = i;
			return 0;
		}
	}
	return fail(ENOSPC);
}

/* Chunk i: the file's bytes [i*CHUNK, i*CHUNK + CHUNK_BYTES), zeros past
 * the end of the file. */
static int fill_chunks(int map_fd, const uint8_t *data, uint64_t size, uint32_t nchunks)
{
	struct rb_tftp_chunk *c = malloc(sizeof(*c));
	int r = 0;

	if (!c)
		return fail(ENOMEM);
	for (uint32_t i = 0; i < nchunks && !r; i++) {
		uint64_t off = (uint64_t)i * RB_TFTP_CHUNK;
		uint64_t n = size - off < sizeof(c->data) ? size - off : sizeof(c->data);

		memset(c->data, 0, sizeof(c->data));
		if (n)
			memcpy(c->data, data + off, n);
		if (bpf_map_update_elem(map_fd, &i, c, BPF_ANY))
			r = syserr(-1);
	}
	free(c);
	return r;
}

int tftp_hot_load(int files_fd, int meta_fd, const void *data, uint64_t size,
		  struct tftp_hot_file *out)
{
	uint64_t nchunks = size ? (size + RB_TFTP_CHUNK - 1) / RB_TFTP_CHUNK : 1;
	struct rb_tftp_file_meta m;
	uint32_t slot;
	int r;

	if (!data && size)
		return fail(EINVAL);
	if (nchunks > RB_TFTP_MAX_CHUNKS)
		return fail(EFBIG);
	r = free_slot(meta_fd, &slot, &m);
	if (r)
		return r;

	LIBBPF_OPTS(bpf_map_create_opts, opts, .map_flags = BPF_F_INNER_MAP);
	int map_fd = bpf_map_create(BPF_MAP_TYPE_ARRAY, "rb_tftp_file", sizeof(uint32_t),
				    sizeof(struct rb_tftp_chunk), (uint32_t)nchunks, &opts);
	if (map_fd < 0)
		return syserr(map_fd);
	r = fill_chunks(map_fd, data, size, (uint32_t)nchunks);
	if (r)
		goto out;

	/* A generation this slot never had, so no session of an earlier
	 * file in it can match the new contents. */
	uint32_t gen = m.last_gen + 1 ? m.last_gen + 1 : 1;
	struct rb_tftp_file_meta nm = {
		.size = size, .gen = gen, .nchunks = (uint32_t)nchunks, .last_gen = gen,
	};
	if (bpf_map_update_elem(meta_fd, &slot, &nm, BPF_ANY)) {
		r = syserr(-1);
		goto out;
	}
	if (bpf_map_update_elem(files_fd, &slot, &map_fd, BPF_ANY)) {
		r = syserr(-1);
		int e = errno;
		struct rb_tftp_file_meta empty = { .last_gen = gen };
		bpf_map_update_elem(meta_fd, &slot, &empty, BPF_ANY);
		errno = e;
		goto out;
	}
	*out = (struct tftp_hot_file){ .slot = slot, .gen = gen, .size = size };
out:
	close(map_fd);                      /* the outer map holds its own reference */
	if (r)
		errno = -r;
	return r;
}

int tftp_hot_release(int files_fd, int meta_fd, uint32_t slot)
{
	struct rb_tftp_file_meta m;
	int r = tftp_hot_meta(meta_fd, slot, &m);

	if (r)
		return r;
	if (m.gen == 0)
		return fail(ENOENT);
	struct rb_tftp_file_meta empty = { .last_gen = m.last_gen > m.gen ? m.last_gen : m.gen };
	if (bpf_map_update_elem(meta_fd, &slot, &empty, BPF_ANY))
		return syserr(-1);
	if (bpf_map_delete_elem(files_fd, &slot) && errno != ENOENT)
		return syserr(-1);
	return 0;
}

void tftp_hot_session_init(struct rb_tftp_session *s, const struct tftp_hot_file *f,
			   unsigned blksize, unsigned windowsize, uint16_t rollover,
			   uint64_t dup_gap_ns)
{
	*s = (struct rb_tftp_session){
		.slot = f->slot,
		.file_gen = f->gen,
		.size = f->size,
		.dup_gap_ns = dup_gap_ns,
		.blksize = (uint16_t)blksize,
		.windowsize = (uint16_t)windowsize,
		.rollover = rollover,
		.state = RB_TFTP_ACTIVE,
	};
}

static bool session_ok(const struct rb_tftp_session *s)
{
	/* (a file of rackboot.ko has its id as slot: kern/rackboot_abi.h) */
	return s->state == RB_TFTP_ACTIVE && s->file_gen != 0 &&
	       (s->slot < RB_TFTP_FILE_SLOTS || s->file_gen == RB_KMOD_SESSION_GEN) &&
	       s->blksize >= RB_TFTP_MIN_BLKSIZE && s->blksize <= RB_TFTP_MAX_BLKSIZE &&
	       s->windowsize >= 1 && s->windowsize <= RB_TFTP_MAX_WINDOW &&
	       (s->sent == 0 ? s->acked == 0 : s->acked <= s->sent) &&
	       s->sent - s->acked <= s->windowsize &&
	       s->sent <= tftp_hot_last_block(s->size, s->blksize);
}

int tftp_hot_session_insert(int sessions_fd, const struct rb_tftp_key *k,
			    const struct rb_tftp_session *s)
{
	if (!session_ok(s))
		return fail(EINVAL);
	if (bpf_map_update_elem(sessions_fd, k, s, BPF_NOEXIST))
		return syserr(-1);
	return 0;
}

int tftp_hot_session_get(int sessions_fd, const struct rb_tftp_key *k,
			 struct rb_tftp_session *out)
{
	if (bpf_map_lookup_elem_flags(sessions_fd, k, out, BPF_F_LOCK))
		return syserr(-1);
	return 0;
}

int tftp_hot_session_take(int sessions_fd, const struct rb_tftp_key *k,
			  struct rb_tftp_session *out)
{
	struct rb_tftp_session tmp;

	if (bpf_map_lookup_and_delete_elem_flags(sessions_fd, k, out ? out : &tmp, BPF_F_LOCK))
		return syserr(-1);
	return 0;
}

int tftp_hot_session_delete(int sessions_fd, const struct rb_tftp_key *k)
{
	if (bpf_map_delete_elem(sessions_fd, k))
		return syserr(-1);
	return 0;
}

int tftp_hot_session_foreach(int sessions_fd, tftp_hot_session_fn fn, void *arg)
{
	struct rb_tftp_key cur, next;
	struct rb_tftp_session s;
	bool have_next;
	int n = 0;

	if (bpf_map_get_next_key(sessions_fd, NULL, &cur))
		return errno == ENOENT ? 0 : syserr(-1);
	for (;;) {
		/* the next key first: fn may delete the current one */
		have_next = !bpf_map_get_next_key(sessions_fd, &cur, &next);
		if (!have_next && errno != ENOENT)
			return syserr(-1);
		if (tftp_hot_session_get(sessions_fd, &cur, &s) == 0) {
			n++;
			int r = fn(&cur, &s, arg);
			if (r)
				return r;
		} else if (errno != ENOENT) {
			return -errno;
		}
		if (!have_next)
			return n;
		cur = next;
	}
}
