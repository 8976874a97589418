// SPDX-License-Identifier: GPL-2.0
/* The XDP entry point of the fast path: the earliest place a frame can be
 * answered, on drivers that give the frame tailroom to grow into a reply
 * (real NICs with page-sized buffers; not veth). Whatever it cannot answer
 * in place it passes on, and the TC program (tc.bpf.c), which runs the same
 * protocol code on the skb, gets its turn. */
#define RB_XDP 1
#include "lib/ctx.h"
#include "lib/net.h"
#include "lib/maps.h"
#include "lib/dhcp.h"
#include "lib/tftp.h"

char LICENSE[] SEC("license") = "GPL";

SEC("xdp")
int rb_xdp(struct xdp_md *ctx)
{
	struct rb_pkt p;
	enum rb_parse r = rb_parse_udp4(rb_data(ctx), rb_data_end(ctx), &p);
	if (r != RB_PARSE_OK) {
		rb_count(r == RB_PARSE_MALFORMED ? RB_CNT_PASS_MALFORMED : RB_CNT_PASS_NOT_OURS);
		return XDP_PASS;
	}
	enum rb_action a;
	if (rb_dhcp_port(&p))
		a = rb_dhcp_handle(ctx, &p);
	else
		a = rb_tftp_handle(ctx, &p);
	return a == RB_TX ? XDP_TX : a == RB_DROP ? XDP_DROP : XDP_PASS;
}
