/* What a TFTP server needs of the fast path to hand transfers of hot files
 * to the kernel: which files are hot (loaded into the file maps once, by
 * identity, and reloaded into a new slot when the file changes, so
 * transfers in flight finish on the old contents), and the session
 * operations: hand over, look, take back. Thread-safe: every TFTP loop of
 * the daemon shares one.
 *
 * The server keeps everything that needs judgement (the RRQ, remap,
 * permissions, option negotiation, the OACK, timers); the kernel answers
 * each ACK with the next window. See docs/ARCHITECTURE.md, "TFTP in the
 * kernel". */
#ifndef RACKBOOT_FASTPATH_TFTP_KERNEL_H
#define RACKBOOT_FASTPATH_TFTP_KERNEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>
#include <linux/types.h>

#include "fastpath_abi.h"

struct fastpath;
struct fp_tftp;
struct fp_hot;

struct fp_tftp_opts {
	/* Hot files: those whose name (as requested, after remap, without a
	 * leading '/') is in `names`, or every file when `all` is set; and
	 * only up to `max_size` bytes. */
	const char *const *names;
	size_t nnames;
	bool all;
	uint64_t max_size;
};
#define FP_TFTP_DEFAULT_MAX_SIZE (64ull << 20)

struct fp_tftp *fp_tftp_new(struct fastpath *fp, const struct fp_tftp_opts *o);
void fp_tftp_free(struct fp_tftp *t);

/* The hot copy of this file (`data`, `size` bytes, identified by `st`'s
 * device, inode, size and mtime), loading it on first use; NULL when the
 * file is not hot or cannot be loaded (no free slot, no memory: the
 * transfer simply stays in userspace). Each successful get is paired with
 * one fp_tftp_hot_put. */
struct fp_hot *fp_tftp_hot_get(struct fp_tftp *t, const char *name, const void *data,
			       uint64_t size, const struct stat *st);
void fp_tftp_hot_put(struct fp_tftp *t, struct fp_hot *h);

/* Hand a transfer to the kernel. Addresses and ports in network order, as
 * the key has them. `acked`/`sent` are absolute block numbers: after an
 * OACK, 0/0 (the kernel answers ACK 0 with the first window); without
 * options, 0 and the blocks of the first window the server sent itself. */
struct fp_tftp_handover {
	struct rb_tftp_key key;
	unsigned blksize, windowsize;
	uint16_t rollover;
	uint64_t acked, sent;
	unsigned dup_gap_us;
};
int fp_tftp_handover(struct fp_tftp *t, struct fp_hot *h, const struct fp_tftp_handover *a);

/* A kernel session as it stands. `acked_any` says whether any ACK (even of
 * block 0) reached the kernel. */
struct fp_tftp_status {
	enum rb_tftp_state state;
	uint64_t acked, sent, frames;
	uint64_t last_ack_ns;
	bool acked_any;
};
/* 0, or -ENOENT when the kernel holds no such session. */
int fp_tftp_status(struct fp_tftp *t, const struct rb_tftp_key *k, struct fp_tftp_status *out);
/* Remove the session from the kernel (atomically reading its last state
 * into `out`, when not NULL): from now on its packets reach the socket. */
int fp_tftp_take_back(struct fp_tftp *t, const struct rb_tftp_key *k,
		      struct fp_tftp_status *out);

/* The server stops watching the session (it is closing the transfer):
 * removed from the kernel, unless fp_tftp_keep_sessions was called. */
int fp_tftp_abandon(struct fp_tftp *t, const struct rb_tftp_key *k);
/* Stopping for a restart or upgrade (SIGQUIT): sessions in the kernel
 * run on to their end; the next daemon adopts and cleans them up. */
void fp_tftp_keep_sessions(struct fp_tftp *t);

/* CLOCK_MONOTONIC in ns, the clock of the kernel's timestamps. */
uint64_t fp_tftp_now_ns(void);

struct fp_tftp_stats {
	uint64_t hot_files, hot_bytes, loads, load_failures;
};
void fp_tftp_stats(struct fp_tftp *t, struct fp_tftp_stats *out);

#endif
