/* The userspace side of the TFTP fast path's maps (bpf/lib/tftp.h), and
 * nothing else: no policy, no daemon logic. Whoever owns the BPF objects
 * (the loader, or a test's skeletons) passes the map fds:
 *
 *   files_fd     rb_tftp_files      ARRAY_OF_MAPS, slot -> a file's chunk map
 *   meta_fd      rb_tftp_file_meta  ARRAY, slot -> struct rb_tftp_file_meta
 *   sessions_fd  rb_tftp_sessions   HASH, struct rb_tftp_key -> struct rb_tftp_session
 *
 * Slots: a file's bytes go into a free slot (its own chunk map, sized to
 * the file) under a generation never used before in that slot; a file
 * that changes is loaded into another slot, and the old one is released
 * once no session uses it. One owner manages the slots (not thread-safe
 * between two loaders); the kernel reads them concurrently.
 *
 * Every function returns 0 (or a count) on success and -errno on failure,
 * with errno set to the same value. */
#ifndef RACKBOOT_FASTPATH_TFTP_HOT_H
#define RACKBOOT_FASTPATH_TFTP_HOT_H

#include <stdint.h>
#include <linux/types.h>

#include "fastpath_abi.h"

/* A loaded file: where it is and which contents (the session names both). */
struct tftp_hot_file {
	uint32_t slot;
	uint32_t gen;
	uint64_t size;
};

/* Copy `size` bytes into a free slot. -EFBIG above RB_TFTP_MAX_CHUNKS
 * chunks, -ENOSPC when every slot is taken, or what the kernel said
 * (-ENOMEM...). Nothing is left behind on failure. */
int tftp_hot_load(int files_fd, int meta_fd, const void *data, uint64_t size,
		  struct tftp_hot_file *out);
/* Empty a slot: its meta first (sessions on it then pass up), then the
 * file map. -ENOENT if it was empty, -EINVAL past the last slot. */
int tftp_hot_release(int files_fd, int meta_fd, uint32_t slot);
/* The slot's meta (gen 0: empty). */
int tftp_hot_meta(int meta_fd, uint32_t slot, struct rb_tftp_file_meta *out);

/* A session ready to hand over, for a transfer of `f` (state ACTIVE,
 * everything moving zero): the caller sets the key's transfer fields it
 * negotiated and `sent`/`last_send_ns` as the ABI header says
 * (fastpath_abi.h, struct rb_tftp_session). */
void tftp_hot_session_init(struct rb_tftp_session *s, const struct tftp_hot_file *f,
			   unsigned blksize, unsigned windowsize, uint16_t rollover,
			   uint64_t dup_gap_ns);
/* Hand a transfer over. -EINVAL for a session the kernel could not serve
 * (blksize, windowsize, slot out of range, not ACTIVE, acked > sent, or
 * more than a window outstanding); -EEXIST if the key is taken. */
int tftp_hot_session_insert(int sessions_fd, const struct rb_tftp_key *k,
			    const struct rb_tftp_session *s);
/* A consistent copy (read under the session's lock). -ENOENT if absent. */
int tftp_hot_session_get(int sessions_fd, const struct rb_tftp_key *k,
			 struct rb_tftp_session *out);
/* Remove it, reading its last state (when `out` is not NULL) in the same
 * step: from then on its packets go up to the daemon. A CPU that looked it
 * up just before may still send one window from the removed entry: to the
 * client that is a duplicate, which TFTP tolerates. -ENOENT if absent. */
int tftp_hot_session_take(int sessions_fd, const struct rb_tftp_key *k,
			  struct rb_tftp_session *out);
int tftp_hot_session_delete(int sessions_fd, const struct rb_tftp_key *k);

/* Call fn for every session (a copy, read under its lock); fn may delete
 * the session it is given, and nothing else. A nonzero return from fn
 * stops the walk and is returned; else the number of sessions seen. */
typedef int (*tftp_hot_session_fn)(const struct rb_tftp_key *k,
				   const struct rb_tftp_session *s, void *arg);
int tftp_hot_session_foreach(int sessions_fd, tftp_hot_session_fn fn, void *arg);

/* The last block of a file (the first one shorter than blksize). */
uint64_t tftp_hot_last_block(uint64_t size, unsigned blksize);

#endif
