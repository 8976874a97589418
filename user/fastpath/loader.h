/* Loading, attaching and adopting the eBPF fast path on one interface.
 *
 * Both programs (bpf/xdp.bpf.c, bpf/tc.bpf.c) are loaded with every map
 * pinned under PIN_ROOT/<interface>/ (default /sys/fs/bpf/rackboot), so
 * the two share one instance of each map and a restarted or upgraded
 * daemon adopts the maps as they are: hot files, kernel TFTP sessions,
 * DHCP mirrors. bpffs is mounted where it is missing (`ip netns exec`
 * remounts /sys without it).
 *
 * Where the programs attach (FP_ATTACH_AUTO): on veth, TC (clsact ingress)
 * only — XDP there can neither grow a frame nor transmit to a peer without
 * NAPI; on any other device XDP (native, else generic) for what one frame
 * answers, and TC behind it for what XDP passes (windows, frames XDP cannot
 * grow). Any failure is reported to the caller, which logs one line and
 * serves everything from userspace. */
#ifndef RACKBOOT_FASTPATH_LOADER_H
#define RACKBOOT_FASTPATH_LOADER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <linux/types.h>

#include "fastpath_abi.h"

enum fp_attach {
	FP_ATTACH_AUTO,
	FP_ATTACH_XDP,               /* XDP native (else fail) + TC */
	FP_ATTACH_XDP_GENERIC,       /* XDP generic (skb) + TC */
	FP_ATTACH_TC,                /* TC only */
};

/* "auto", "xdp", "xdp-generic", "tc" -> 0, or -1. */
int fp_attach_parse(const char *s, enum fp_attach *out);

struct fastpath_opts {
	const char *ifname;
	enum fp_attach attach;
	const char *pin_root;        /* NULL: /sys/fs/bpf/rackboot */
	/* rackboot.ko (kmod.h): 0 = RACKBOOT_KMOD from the environment, else
	 * 1 + enum fp_kmod_use */
	int kmod;
};

struct fastpath;

/* Load, pin (adopting maps already pinned) and attach. NULL with `err`
 * set (one line, saying what failed) when the fast path cannot run. */
struct fastpath *fastpath_open(const struct fastpath_opts *o, char *err, size_t errlen);

/* What attached, for the log: "xdp-native+tc", "xdp-generic+tc", "tc". */
const char *fastpath_mode(const struct fastpath *fp);
/* True when maps were found pinned and adopted rather than created. */
bool fastpath_adopted(const struct fastpath *fp);
int fastpath_ifindex(const struct fastpath *fp);
/* The open /dev/rackboot when the module variant is loaded, else NULL. */
struct fp_kmod *fastpath_kmod(const struct fastpath *fp);

/* A map of the loaded programs by name (e.g. "rb_tftp_sessions"), or -1. */
int fastpath_map_fd(const struct fastpath *fp, const char *name);

/* Sum of each per-CPU counter, out[RB_CNT__N]. */
void fastpath_counters(const struct fastpath *fp, uint64_t out[RB_CNT__N]);

/* Events from the programs' ring buffer: `fn` gets each record (starting
 * with struct rb_event_hdr) in the thread that calls fastpath_poll_events.
 * A pollable fd, readable when events wait. */
typedef void (*fastpath_event_fn)(void *arg, const void *rec, size_t len);
int fastpath_set_event_handler(struct fastpath *fp, fastpath_event_fn fn, void *arg);
int fastpath_events_fd(const struct fastpath *fp);
/* Consume what is there (timeout_ms 0) or wait; number of records, or -errno. */
int fastpath_poll_events(struct fastpath *fp, int timeout_ms);

/* Stop: detach the programs (keep_attached false) or leave them answering
 * for a restart or upgrade that will adopt them (true). Maps stay pinned
 * either way. */
void fastpath_close(struct fastpath *fp, bool keep_attached);

/* Detach what a previous daemon left attached to `ifname` and remove its
 * pins: `rackbootd --bpf-remove`. 0 or -errno, `err` says what. */
int fastpath_remove(const char *ifname, const char *pin_root, char *err, size_t errlen);

#endif
