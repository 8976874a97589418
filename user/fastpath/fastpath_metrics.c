/* See fastpath_metrics.h. */
#include "fastpath/fastpath_metrics.h"

#include <stdio.h>

#include "fastpath/loader.h"
#include "lib/metrics.h"

static const char *const labels[RB_CNT__N] = {
	[RB_CNT_PASS_NOT_OURS]     = "kind=\"other\",verdict=\"passed\"",
	[RB_CNT_PASS_MALFORMED]    = "kind=\"malformed\",verdict=\"passed\"",
	[RB_CNT_TFTP_DATA_SENT]    = "kind=\"tftp_data\",verdict=\"sent\"",
	[RB_CNT_TFTP_ACK_ANSWERED] = "kind=\"tftp_ack\",verdict=\"answered\"",
	[RB_CNT_TFTP_ACK_DUP]      = "kind=\"tftp_ack\",verdict=\"duplicate_dropped\"",
	[RB_CNT_TFTP_ACK_RESENT]   = "kind=\"tftp_ack\",verdict=\"window_resent\"",
	[RB_CNT_TFTP_DONE]         = "kind=\"tftp_ack\",verdict=\"final\"",
	[RB_CNT_TFTP_ERROR]        = "kind=\"tftp_error\",verdict=\"session_ended\"",
	[RB_CNT_TFTP_PASS]         = "kind=\"tftp\",verdict=\"passed\"",
	[RB_CNT_TFTP_ACK_STRAY]    = "kind=\"tftp_ack\",verdict=\"stray_dropped\"",
	[RB_CNT_TFTP_TO_TC]        = "kind=\"tftp_ack\",verdict=\"left_to_tc\"",
	[RB_CNT_TFTP_TX_FAIL]      = "kind=\"tftp_data\",verdict=\"build_failed\"",
	[RB_CNT_DHCP_OFFER]        = "kind=\"dhcp_discover\",verdict=\"offered\"",
	[RB_CNT_DHCP_PROXY_OFFER]  = "kind=\"dhcp_discover\",verdict=\"proxy_offered\"",
	[RB_CNT_DHCP_PROXY_ACK]    = "kind=\"dhcp_request_4011\",verdict=\"acked\"",
	[RB_CNT_DHCP_PASS]         = "kind=\"dhcp\",verdict=\"passed\"",
	[RB_CNT_DHCP_STOCK_TAKEN]  = "kind=\"dhcp_discover\",verdict=\"stock_address_taken\"",
	[RB_CNT_DHCP_STOCK_EMPTY]  = "kind=\"dhcp_discover\",verdict=\"stock_empty_passed\"",
	[RB_CNT_DHCP_TX_FAIL]      = "kind=\"dhcp\",verdict=\"build_failed\"",
	[RB_CNT_EVENT_LOST]        = "kind=\"event\",verdict=\"lost\"",
};

const char *fastpath_counter_labels(enum rb_counter c)
{
	return (unsigned)c < RB_CNT__N && labels[c] ? labels[c] : "kind=\"unknown\"";
}

void fastpath_metrics(struct mbuf *b, const struct fastpath *fp)
{
	metric_family(b, "rackboot_fastpath_info", "gauge",
		      "The eBPF fast path: 1 with how it is attached, 0 when off.");
	char l[64];
	snprintf(l, sizeof(l), "mode=\"%s\"", fp ? fastpath_mode(fp) : "off");
	metric_sample(b, "rackboot_fastpath_info", l, fp ? 1 : 0);
	if (!fp)
		return;
	uint64_t v[RB_CNT__N];
	fastpath_counters(fp, v);
	metric_family(b, "rackboot_fastpath_packets_total", "counter",
		      "Packets the eBPF fast path saw, by kind and what it did with them.");
	for (unsigned i = 0; i < RB_CNT__N; i++)
		metric_sample(b, "rackboot_fastpath_packets_total", fastpath_counter_labels(i), v[i]);
}
