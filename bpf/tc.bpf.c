// SPDX-License-Identifier: GPL-2.0
/* The TC (clsact ingress) entry point of the fast path: works on any
 * device, veth included, because bpf_skb_change_tail can grow a 46-byte
 * ACK into a 1.5 KB DATA frame and bpf_clone_redirect can send a whole
 * RFC 7440 window for one ACK. A reply leaves with bpf_redirect out of the
 * device the request came in on. */
#define RB_TC 1
#include "lib/ctx.h"
#include "lib/net.h"
#include "lib/maps.h"
#include "lib/dhcp.h"
#include "lib/tftp.h"

char LICENSE[] SEC("license") = "GPL";

SEC("tc")
int rb_tc(struct __sk_buff *ctx)
{
	/* Direct access sees only the linear part: make a frame of the size
	 * the fast path answers linear whole (a short one is judged by the
	 * parser); leave big ones (GSO, jumbo) alone, they are not ours. */
	bpf_skb_pull_data(ctx, ctx->len <= RB_MAX_FRAME ? ctx->len : RB_HDRS_LEN);
	struct rb_pkt p;
	enum rb_parse r = rb_parse_udp4(rb_data(ctx), rb_data_end(ctx), &p);
	if (r != RB_PARSE_OK) {
		rb_count(r == RB_PARSE_MALFORMED ? RB_CNT_PASS_MALFORMED : RB_CNT_PASS_NOT_OURS);
		return TC_ACT_OK;
	}
	enum rb_action a;
	if (rb_dhcp_port(&p))
		a = rb_dhcp_handle(ctx, &p);
	else
		a = rb_tftp_handle(ctx, &p);
	if (a == RB_TX)
		return bpf_redirect(rb_ifindex(ctx), 0);
	return a == RB_DROP ? TC_ACT_SHOT : TC_ACT_OK;
}
