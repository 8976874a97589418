/* rackboot.ko's kfuncs (kern/rackboot.c; the interface in
 * kern/rackboot_abi.h, found with -Ikern): only programs built for the
 * module (-DRB_KMOD: the objects of bpf/kmod/, the module's tests) include this,
 * since a program that calls them loads only where the module is. libbpf
 * resolves the externs against the module's BTF (/sys/kernel/btf/rackboot)
 * and the loaded program then holds the module: rmmod waits for it.
 *
 *   rb_kmod_read(c, rd)  rd->len bytes of registered file rd->id from
 *                        rd->file_off into the frame at rd->pkt_off (zeros
 *                        past the end of the file); rd->copied, rd->csum
 *                        and rd->size come back. 0 or -errno.
 *   rb_kmod_emit(c)      XDP: send a copy of the frame as it is now out of
 *                        the device it came in on (TC has bpf_clone_redirect)
 *   rb_kmod_fill(...)    a TFTP block from a registered file (lib/tftp.h) */
#ifndef RACKBOOT_BPF_LIB_KMOD_H
#define RACKBOOT_BPF_LIB_KMOD_H

#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include "rackboot_abi.h"

extern int bpf_rb_skb_read(struct __sk_buff *ctx, struct rb_kmod_read *rd) __ksym;
extern int bpf_rb_xdp_read(struct xdp_md *ctx, struct rb_kmod_read *rd) __ksym;
extern int bpf_rb_xdp_emit(struct xdp_md *ctx) __ksym;

#if defined(RB_XDP)
static __always_inline int rb_kmod_read(struct xdp_md *c, struct rb_kmod_read *rd)
{
	return bpf_rb_xdp_read(c, rd);
}
static __always_inline int rb_kmod_emit(struct xdp_md *c)
{
	return bpf_rb_xdp_emit(c);
}
#elif defined(RB_TC)
static __always_inline int rb_kmod_read(struct __sk_buff *c, struct rb_kmod_read *rd)
{
	return bpf_rb_skb_read(c, rd);
}
#endif

#if defined(RB_XDP) || defined(RB_TC)
/* A TFTP block's `len` bytes of file `id` from `off`, into the frame (of
 * `flen` bytes) at `pkt_off`, their sum added to *sum: 0; or
 * RB_KMOD_FILL_PASS when the file no longer has them all (truncated) or
 * they are not in the page cache: nothing before pkt_off changed, and the
 * request can still go up to the daemon. Packet pointers are invalid
 * after it (TC: the skb is made the program's own first: after
 * bpf_clone_redirect the copy in flight shares its data). */
#define RB_KMOD_FILL_PASS (-2)
static __always_inline int rb_kmod_fill(
#if defined(RB_XDP)
	struct xdp_md *c,
#else
	struct __sk_buff *c,
#endif
	__u32 id, __u64 off, __u32 pkt_off, __u32 len, __u32 flen, __u64 *sum)
{
#if defined(RB_TC)
	if (bpf_skb_pull_data(c, flen))
		return -1;
#endif
	struct rb_kmod_read rd = { .file_off = off, .id = id, .pkt_off = pkt_off, .len = len };
	if (rb_kmod_read(c, &rd) || rd.copied != len)
		return RB_KMOD_FILL_PASS;
	*sum += rd.csum;
	return 0;
}
#endif

#endif
