/* Maps every fast-path program shares: per-CPU counters and the event ring
 * buffer. Protocol maps live beside their protocol (lib/tftp.h,
 * lib/dhcp.h). No map is pinned from here: the loader (user/fastpath/)
 * sets each map's pin path under /sys/fs/bpf/rackboot/<interface>/ before
 * loading, so the XDP and TC objects share one instance of every map and a
 * restarted daemon adopts them; the tests load them unpinned. */
#ifndef RACKBOOT_BPF_LIB_MAPS_H
#define RACKBOOT_BPF_LIB_MAPS_H

#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include "fastpath_abi.h"

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, RB_CNT__N);
	__type(key, __u32);
	__type(value, __u64);
} rb_counters SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 1 << 20);
} rb_events SEC(".maps");

static __always_inline void rb_count(enum rb_counter c)
{
	__u32 k = c;
	__u64 *v = bpf_map_lookup_elem(&rb_counters, &k);
	if (v)
		*v += 1;
}

/* Reserve an event record of `size` bytes with its header filled in, or
 * count the loss and return NULL. Submit with bpf_ringbuf_submit(p, 0). */
static __always_inline void *rb_event_reserve(__u32 size, enum rb_event_kind kind)
{
	struct rb_event_hdr *h = bpf_ringbuf_reserve(&rb_events, size, 0);
	if (!h) {
		rb_count(RB_CNT_EVENT_LOST);
		return NULL;
	}
	h->kind = kind;
	h->len = size;
	h->ts_ns = bpf_ktime_get_ns();
	return h;
}

/* What a protocol handler asks its entry program to do with the frame. */
enum rb_action {
	RB_PASS = 0,                 /* up the stack to the daemon, untouched */
	RB_TX,                       /* the frame now holds the reply: send it back out */
	RB_DROP,                     /* consumed (an ignored duplicate, or a window already sent) */
};

#endif
