/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/* The interface of rackboot.ko (kern/rackboot.c), in one header shared by
 * the module, the BPF programs that call its kfuncs (bpf/lib/kmod.h) and
 * userspace (user/fastpath/kmod.c, tests/tools/kmod_test.c).
 *
 * /dev/rackboot (misc device, root only) registers open files for the
 * fast path:
 *
 *   RB_IOC_REGISTER    struct rb_kmod_file: fd in; id and size out. The
 *                      module holds its own reference to the open file
 *                      (not to the descriptor) until it is unregistered
 *                      or the /dev/rackboot descriptor that registered it
 *                      is closed. Needs CAP_NET_ADMIN or CAP_BPF.
 *   RB_IOC_UNREGISTER  __u32 id: only the descriptor that registered it.
 *   RB_IOC_VERSION     returns RB_KMOD_ABI_VERSION.
 *
 * The BPF programs (sched_cls and xdp) then read the files' bytes from
 * the page cache straight into the frame they build, by id:
 *
 *   int bpf_rb_skb_read(struct __sk_buff *ctx, struct rb_kmod_read *rd);
 *   int bpf_rb_xdp_read(struct xdp_md *ctx, struct rb_kmod_read *rd);
 *   int bpf_rb_xdp_emit(struct xdp_md *ctx);
 *
 * and XDP sends a copy of its frame as it is now out of the device it came
 * in on (an RFC 7440 window from one ACK: build block k, emit, build k+1).
 * Each returns 0 or a negative errno; see rackboot.c. */
#ifndef RACKBOOT_KERN_RACKBOOT_ABI_H
#define RACKBOOT_KERN_RACKBOOT_ABI_H

#if !defined(__VMLINUX_H__)
#include <linux/types.h>
#include <linux/ioctl.h>
#endif

#define RB_KMOD_ABI_VERSION  1
#define RB_KMOD_DEV          "/dev/rackboot"
#define RB_KMOD_BTF          "/sys/kernel/btf/rackboot"
#define RB_KMOD_READ_MAX     4096        /* bytes one read fills, at most */
#define RB_KMOD_FILES_MAX    65536       /* files one descriptor may register */

struct rb_kmod_file {
	__s32 fd;                    /* in: an open, readable regular file */
	__u32 id;                    /* out: its id for the kfuncs (never 0) */
	__u64 size;                  /* out: its size when registered */
};

/* The fast path's TFTP sessions (bpf/fastpath_abi.h, struct rb_tftp_session)
 * whose file is registered here carry this file_gen, and the file's id in
 * `slot`; the map-based programs never match it (their generations count
 * from 1 in one of 64 slots) and pass such a session up. */
#define RB_KMOD_SESSION_GEN 0xffffffffu

#define RB_IOC_MAGIC      0xb5
#define RB_IOC_VERSION    _IO(RB_IOC_MAGIC, 0x00)
#define RB_IOC_REGISTER   _IOWR(RB_IOC_MAGIC, 0x01, struct rb_kmod_file)
#define RB_IOC_UNREGISTER _IOW(RB_IOC_MAGIC, 0x02, __u32)

/* One read, on the BPF program's stack: `len` bytes of the frame at
 * `pkt_off` get the file's bytes from `file_off` on; those past the end
 * of the file are zero. Errors (nothing useful written):
 *   -ENOENT  no file registered under `id`
 *   -EINVAL  len 0 or above RB_KMOD_READ_MAX
 *   -ERANGE  file_off beyond the file's size (file_off == size is a read
 *            of zero file bytes: `len` zeros)
 *   -EFAULT  [pkt_off, pkt_off + len) is not inside the frame's linear,
 *            writable data (TC: bpf_skb_pull_data first)
 *   -EAGAIN  a page is not in the page cache, or not up to date: the read
 *            would have to sleep, so it is not done (userspace serves) */
struct rb_kmod_read {
	__u64 file_off;              /* in */
	__u32 id;                    /* in */
	__u32 pkt_off;               /* in */
	__u32 len;                   /* in */
	__u32 copied;                /* out: file bytes written (< len at the end) */
	__u32 csum;                  /* out: the 32-bit one's-complement sum of the
	                              * len bytes written, as bpf_csum_diff() gives */
	__u32 pad;
	__u64 size;                  /* out: the file's size when read */
};

#endif
