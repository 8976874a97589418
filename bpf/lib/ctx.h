/* What protocol code in lib/ needs of a program's context, for XDP and TC
 * alike. The entry program defines RB_XDP or RB_TC before including this;
 * protocol handlers are then written once against:
 *
 *   RB_CTX               the context type
 *   rb_data/rb_data_end  packet pointers (re-derive after every resize)
 *   rb_len               frame length
 *   rb_resize(c, len)    grow or shrink the frame to `len` bytes; 0 or <0
 *                        (XDP on veth cannot grow: the handler then passes
 *                        and the TC program answers instead)
 *   rb_store(c, off, from, len)  copy from BPF memory (a map value) into the frame
 *   rb_emit_copy(c)      TC only: send a copy of the frame as it is now out
 *                        of the device it came in on, keep the original
 *                        (RFC 7440 windows); RB_CAN_EMIT_COPY says if it exists
 *                        (RB_KMOD: XDP too, with rackboot.ko's bpf_rb_xdp_emit;
 *                        RB_KMOD_XDP is then 1)
 *   rb_ifindex(c)        the device the frame arrived on */
#ifndef RACKBOOT_BPF_LIB_CTX_H
#define RACKBOOT_BPF_LIB_CTX_H

#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#if defined(RB_KMOD)    /* RB_KMOD: the variant for rackboot.ko (kern/), lib/kmod.h */
#include "kmod.h"
#endif

#if defined(RB_XDP)
#define RB_CTX struct xdp_md
#if defined(RB_KMOD)    /* RB_KMOD: bpf_rb_xdp_emit sends the copies of a window */
#define RB_CAN_EMIT_COPY 1
#define RB_KMOD_XDP 1
#else
#define RB_CAN_EMIT_COPY 0
#endif
static __always_inline void *rb_data(RB_CTX *c) { return (void *)(long)c->data; }
#if defined(RB_KMOD)    /* RB_KMOD: clang would keep the field's offset in a spilled
			 * register there ("dereference of modified ctx ptr") */
static __always_inline void *rb_data_end(RB_CTX *c)
{
	void *e;
	asm volatile("%0 = *(u32 *)(%1 + %2)" : "=r"(e)
		     : "r"(c), "i"(__builtin_offsetof(struct xdp_md, data_end)));
	return e;
}
#else
static __always_inline void *rb_data_end(RB_CTX *c) { return (void *)(long)c->data_end; }
#endif
static __always_inline __u32 rb_len(RB_CTX *c) { return c->data_end - c->data; }
static __always_inline __u32 rb_ifindex(RB_CTX *c) { return c->ingress_ifindex; }
static __always_inline int rb_resize(RB_CTX *c, __u32 len)
{
	return bpf_xdp_adjust_tail(c, (int)len - (int)rb_len(c));
}
static __always_inline int rb_store(RB_CTX *c, __u32 off, const void *from, __u32 len)
{
	return bpf_xdp_store_bytes(c, off, (void *)from, len);
}
#if defined(RB_KMOD)    /* RB_KMOD */
static __always_inline int rb_emit_copy(RB_CTX *c) { return rb_kmod_emit(c); }
#else
static __always_inline int rb_emit_copy(RB_CTX *c) { return -95; /* EOPNOTSUPP */ }
#endif
#elif defined(RB_TC)
#define RB_CTX struct __sk_buff
#define RB_CAN_EMIT_COPY 1
#define TC_ACT_OK       0            /* linux/pkt_cls.h: macros, not in vmlinux.h */
#define TC_ACT_SHOT     2
#define TC_ACT_REDIRECT 7
static __always_inline void *rb_data(RB_CTX *c) { return (void *)(long)c->data; }
static __always_inline void *rb_data_end(RB_CTX *c) { return (void *)(long)c->data_end; }
static __always_inline __u32 rb_len(RB_CTX *c) { return c->len; }
static __always_inline __u32 rb_ifindex(RB_CTX *c) { return c->ifindex; }
static __always_inline int rb_resize(RB_CTX *c, __u32 len)
{
	int err = bpf_skb_change_tail(c, len, 0);
	if (err)
		return err;
	/* direct packet access needs the whole frame linear */
	return bpf_skb_pull_data(c, len);
}
static __always_inline int rb_store(RB_CTX *c, __u32 off, const void *from, __u32 len)
{
	return bpf_skb_store_bytes(c, off, from, len, 0);
}
static __always_inline int rb_emit_copy(RB_CTX *c)
{
	return bpf_clone_redirect(c, c->ifindex, 0);
}
#else
#error "define RB_XDP or RB_TC before including lib/ctx.h"
#endif
#ifndef RB_KMOD_XDP     /* RB_KMOD: XDP sends windows of emitted copies */
#define RB_KMOD_XDP 0
#endif

/* The frame length as a plain number, and a resize relative to it. For
 * XDP the length is computed in 64 bits behind a compiler barrier: clang
 * may otherwise narrow `data_end - data` (and rb_resize's
 * `len - (data_end - data)`) to 32-bit ALU on packet pointers, which the
 * verifier rejects ("32-bit pointer arithmetic prohibited"). */
static __always_inline __u32 rb_frame_len(RB_CTX *c)
{
#if defined(RB_XDP)
	long n = (long)rb_data_end(c) - (long)rb_data(c);
	asm volatile("" : "+r"(n));
	return (__u32)n;
#else
	return rb_len(c);
#endif
}

static __always_inline int rb_set_len(RB_CTX *c, __u32 len)
{
	__u32 cur = rb_frame_len(c);
	if (cur == len)
		return 0;
#if defined(RB_XDP)
	return bpf_xdp_adjust_tail(c, (int)len - (int)cur);
#else
	return rb_resize(c, len);
#endif
}

/* Copy `len` bytes of the frame at `off` into BPF memory (a map value):
 * how lib/dhcp.h reads a request whole, and its reply back for the UDP
 * checksum, with offsets and lengths the verifier need not follow. */
static __always_inline int rb_load(RB_CTX *c, __u32 off, void *to, __u32 len)
{
#if defined(RB_XDP)
	return bpf_xdp_load_bytes(c, off, to, len);
#else
	return bpf_skb_load_bytes(c, off, to, len);
#endif
}

#endif
