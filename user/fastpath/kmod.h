/* rackboot.ko (kern/) from userspace: whether the fast path uses it, the
 * program variant that calls its kfuncs, and its file registry.
 *
 * With the module, the loader (loader.c) loads the objects of bpf/kmod/
 * instead of those of bpf/: the same programs, whose TFTP sessions of
 * registered files read their blocks from the page cache (bpf/lib/tftp.h,
 * RB_KMOD), and whose XDP program sends whole windows. tftp_kernel.c then registers hot
 * files with the module instead of copying them into BPF maps, and every
 * file is hot, of any size. Without it, nothing changes.
 *
 * Whether to use it: RACKBOOT_KMOD in the environment (of rackbootd or
 * in.tftpd), "auto" (the default: when the kernel has the module's kfuncs),
 * "require" (no fast path at all without it) or "forbid". */
#ifndef RACKBOOT_FASTPATH_KMOD_H
#define RACKBOOT_FASTPATH_KMOD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>

enum fp_kmod_use {
	FP_KMOD_AUTO,
	FP_KMOD_REQUIRE,
	FP_KMOD_FORBID,
};

/* "auto", "require", "forbid" -> 0, or -1. */
int fp_kmod_use_parse(const char *s, enum fp_kmod_use *out);
/* RACKBOOT_KMOD, or FP_KMOD_AUTO when unset; -1 when it says something else. */
int fp_kmod_use_env(enum fp_kmod_use *out);

/* Does the running kernel have the module's kfuncs? (Its BTF,
 * /sys/kernel/btf/rackboot, names all three.) When not, `why` says so. */
bool fp_kmod_available(char *why, size_t whylen);

struct fp_kmod;

/* /dev/rackboot, open for registering files (its ABI version checked). */
struct fp_kmod *fp_kmod_open(char *err, size_t errlen);
void fp_kmod_close(struct fp_kmod *k);

/* Register the file whose contents are mapped at `data` (`size` bytes, a
 * read-only shared mapping of the whole file, as user/lib/file_cache.c
 * makes; `st` its stat): the module gets its own open file of the very
 * inode mapped (through /proc/self/map_files, which needs
 * CAP_SYS_ADMIN or CAP_CHECKPOINT_RESTORE and a /proc), and *id its id.
 * An empty file needs no registration: id 0. 0 or -errno. */
int fp_kmod_register_mapped(struct fp_kmod *k, const void *data, uint64_t size,
			    const struct stat *st, uint32_t *id);
/* 0 or -errno; id 0 is nothing. */
int fp_kmod_unregister(struct fp_kmod *k, uint32_t id);

/* The program variant, as the loader's skeleton types: the objects of
 * bpf/kmod/ opened into the skeletons of bpf/ (kmod_skel.c). NULL with
 * errno set when they cannot be opened. */
struct rb_tc;
struct rb_xdp;
struct rb_tc *fp_kmod_tc_open(void);
struct rb_xdp *fp_kmod_xdp_open(void);

#endif
