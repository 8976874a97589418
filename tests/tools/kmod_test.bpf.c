// SPDX-License-Identifier: GPL-2.0
/* The BPF side of tests/tools/kmod_test.c: each program calls one of
 * rackboot.ko's kfuncs with what the test put in kt.in, through
 * BPF_PROG_TEST_RUN on a crafted frame, and leaves the results in kt. */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include "lib/kmod.h"
#include "kmod_test.h"

char LICENSE[] SEC("license") = "GPL";

struct kt_io kt;

SEC("tc")
int kt_skb_read(struct __sk_buff *ctx)
{
	struct rb_kmod_read rd = kt.in;

	kt.ret = bpf_rb_skb_read(ctx, &rd);
	kt.out = rd;
	return 0;                    /* TC_ACT_OK */
}

SEC("xdp")
int kt_xdp_read(struct xdp_md *ctx)
{
	struct rb_kmod_read rd = kt.in;

	kt.ret = bpf_rb_xdp_read(ctx, &rd);
	kt.out = rd;
	return XDP_PASS;
}

/* Copy k of kt.emits carries k in frame byte KT_EMIT_MARK: each copy is
 * the frame as it was when emitted. */
SEC("xdp")
int kt_xdp_emit(struct xdp_md *ctx)
{
	for (__u32 k = 0; k < KT_EMIT_MAX; k++) {
		if (k >= kt.emits)
			break;
		__u8 *mark = (void *)(long)ctx->data + KT_EMIT_MARK;
		if ((void *)(mark + 1) > (void *)(long)ctx->data_end)
			return XDP_ABORTED;
		*mark = k;
		kt.emit_ret[k] = bpf_rb_xdp_emit(ctx);
	}
	return XDP_DROP;
}
