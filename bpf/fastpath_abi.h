/* The ABI between the eBPF fast path and userspace, in one header: map names' key
 * and value layouts, the events the programs stream to the daemon, and the
 * counters they keep. BPF programs include it after vmlinux.h; userspace
 * (user/fastpath/, the tests) after <linux/types.h>. Every struct here is
 * laid out with explicit padding so both compilers agree byte for byte.
 *
 * Byte order: fields named *_be are in network order exactly as they
 * appear on the wire (addresses, ports), so the programs compare them
 * without swapping; every other field is host order. */
#ifndef RACKBOOT_BPF_FASTPATH_ABI_H
#define RACKBOOT_BPF_FASTPATH_ABI_H

#ifndef __VMLINUX_H__
#include <linux/types.h>
#endif

/* ---- Counters: one per-CPU array, indexed by enum rb_counter ---------- */
enum rb_counter {
	RB_CNT_PASS_NOT_OURS,       /* not IPv4/UDP to a port the fast path serves */
	RB_CNT_PASS_MALFORMED,      /* cut short, IP options, fragment, bad lengths */
	RB_CNT_TFTP_DATA_SENT,      /* DATA frames built in the kernel */
	RB_CNT_TFTP_ACK_ANSWERED,   /* ACKs answered with new DATA */
	RB_CNT_TFTP_ACK_DUP,        /* duplicate/old ACKs ignored (Sorcerer's Apprentice) */
	RB_CNT_TFTP_ACK_RESENT,     /* duplicate ACK after the gap: window resent */
	RB_CNT_TFTP_DONE,           /* final ACK: session ended in the kernel */
	RB_CNT_TFTP_ERROR,          /* client ERROR ended a session */
	RB_CNT_TFTP_PASS,           /* TFTP to a session port, but passed up */
	RB_CNT_TFTP_ACK_STRAY,      /* ACK of no outstanding block: ignored, as userspace does */
	RB_CNT_TFTP_TO_TC,          /* XDP could not build the reply (window, no tailroom): left to TC */
	RB_CNT_TFTP_TX_FAIL,        /* a DATA frame could not be built (resize/store failed) */
	RB_CNT_DHCP_OFFER,          /* DISCOVER -> OFFER (full server) */
	RB_CNT_DHCP_PROXY_OFFER,    /* PXE DISCOVER -> proxy OFFER */
	RB_CNT_DHCP_PROXY_ACK,      /* port-4011 REQUEST -> ACK */
	RB_CNT_DHCP_PASS,           /* DHCP passed up to the daemon */
	RB_CNT_EVENT_LOST,          /* ring buffer full: an event was dropped */
	RB_CNT__N
};

/* ---- TFTP: hot files ---------------------------------------------------
 * A hot file lives in one inner BPF_MAP_TYPE_ARRAY ("file map") of chunks,
 * referenced from the outer ARRAY_OF_MAPS rb_tftp_files by slot. Chunk i
 * holds the file's bytes [i*CHUNK, i*CHUNK + CHUNK + SLACK): consecutive
 * chunks overlap by SLACK bytes, so any block (at most RB_TFTP_MAX_BLKSIZE
 * bytes) that starts in chunk i lies wholly inside chunk i, and the program
 * copies it with one bounded read the verifier can check. Bytes past the
 * end of the file are zero. File maps are created with BPF_F_INNER_MAP, so
 * each has as many chunks as its file needs (user/fastpath/tftp_hot.c).
 *
 * A file that changes on disk gets a new slot (and a new generation);
 * sessions keep the slot they started on, so transfers in flight finish on
 * the old contents, and userspace frees the old slot when none uses it. A
 * session whose slot no longer holds its generation (or its size) is
 * passed up untouched: userspace takes it back. */
#ifndef __VMLINUX_H__
#include <linux/bpf.h>               /* struct bpf_spin_lock */
#endif

#define RB_TFTP_CHUNK        65536
#define RB_TFTP_CHUNK_SLACK  1536
#define RB_TFTP_CHUNK_BYTES  (RB_TFTP_CHUNK + RB_TFTP_CHUNK_SLACK)
#define RB_TFTP_MIN_BLKSIZE  8           /* RFC 2348 */
#define RB_TFTP_MAX_BLKSIZE  1468        /* EDK2's; the largest that fits 1500 MTU */
#define RB_TFTP_MAX_WINDOW   16
#define RB_TFTP_FILE_SLOTS   64
#define RB_TFTP_MAX_CHUNKS   4096        /* 256 MiB per hot file */
#define RB_TFTP_SESSIONS     16384

struct rb_tftp_chunk {
	__u8 data[RB_TFTP_CHUNK_BYTES];
};

/* rb_tftp_file_meta[slot] */
struct rb_tftp_file_meta {
	__u64 size;                  /* bytes */
	__u32 gen;                   /* 0 = slot empty; else the generation of its contents */
	__u32 nchunks;               /* entries of the slot's file map */
	__u32 last_gen;              /* newest generation the slot ever held: the next load
	                              * takes last_gen + 1, so a generation never names two
	                              * contents, even across a release */
	__u32 pad;
};

/* rb_tftp_sessions key: one transfer, as its ACKs arrive */
struct rb_tftp_key {
	__u32 client_ip_be;
	__u32 server_ip_be;
	__u16 client_port_be;
	__u16 server_port_be;
};

enum rb_tftp_state {
	RB_TFTP_ACTIVE = 1,          /* the kernel answers this session's ACKs */
	RB_TFTP_FINISHED,            /* final ACK seen; userspace removes it */
	RB_TFTP_FAILED,              /* client ERROR; userspace removes it */
};

/* One handed-over transfer (rb_tftp_sessions value). Block numbers are
 * absolute 64-bit counts, as in user/tftp/tftp_xfer.c; the last block is
 * size / blksize + 1 (the first one shorter than blksize, maybe empty).
 *
 * At hand-over: state ACTIVE, lock zero, frames 0, and
 *  - after an OACK: acked = 0, sent = 0 ("OACK out, ACK 0 awaited"), the
 *    ACK of block 0 then starts the first window; last_send_ns = when the
 *    OACK left;
 *  - without options (DATA 1 already sent by the daemon): acked = 0,
 *    sent = 1, last_send_ns = when DATA 1 left.
 * The program updates acked, sent, last_send_ns, last_ack_ns, frames,
 * ip_id and state under `lock`; userspace reads them with BPF_F_LOCK. */
struct rb_tftp_session {
	__u32 slot;                  /* file slot ... */
	__u32 file_gen;              /* ... and the generation it was started on */
	__u64 size;                  /* file size at hand-over (must equal the slot's) */
	__u64 acked;                 /* highest block acknowledged (absolute) */
	__u64 sent;                  /* highest block sent (absolute); 0 = OACK pending */
	__u64 last_send_ns;          /* bpf_ktime_get_ns() of the last window (CLOCK_MONOTONIC) */
	__u64 last_ack_ns;           /* of the last ACK that advanced */
	__u64 dup_gap_ns;            /* a repeated ACK resends after this long:
	                              * tftp_xfer's max(timeout / 4, 10 ms) */
	__u64 frames;                /* DATA frames the kernel sent */
	__u16 blksize;               /* RB_TFTP_MIN_BLKSIZE..RB_TFTP_MAX_BLKSIZE */
	__u16 windowsize;            /* 1..RB_TFTP_MAX_WINDOW */
	__u16 rollover;              /* block after 65535 (tftpd-hpa's option: 0 or 1) */
	__u8 state;                  /* enum rb_tftp_state */
	__u8 pad0;
	__u32 ifindex;               /* the device the ACKs must arrive on (DATA leaves by
	                              * it); 0 = any */
	__u16 ip_id;                 /* IP id of the next DATA frame (host order); any
	                              * start will do, Linux picks a random one per socket */
	__u16 pad1;
	struct bpf_spin_lock lock;
	__u32 pad2;
};

/* ---- Events: one ring buffer, records start with struct rb_event_hdr -- */
enum rb_event_kind {
	RB_EV_TFTP_DONE = 1,         /* struct rb_ev_tftp */
	RB_EV_TFTP_ERROR,            /* struct rb_ev_tftp */
	RB_EV_DHCP_OFFER,            /* struct rb_ev_dhcp */
	RB_EV_DHCP_PROXY_OFFER,      /* struct rb_ev_dhcp */
	RB_EV_DHCP_PROXY_ACK,        /* struct rb_ev_dhcp */
};

struct rb_event_hdr {
	__u32 kind;                  /* enum rb_event_kind */
	__u32 len;                   /* of the whole record */
	__u64 ts_ns;                 /* bpf_ktime_get_ns() */
};

struct rb_ev_tftp {
	struct rb_event_hdr h;
	struct rb_tftp_key key;
	__u32 pad0;
	__u64 blocks;                /* last block acknowledged */
	__u64 frames;                /* DATA frames sent by the kernel */
	__u16 error_code;            /* RB_EV_TFTP_ERROR */
	__u16 pad[3];
};

/* ---- DHCP: see bpf/dhcp.bpf.c ------------------------------------------ */

#endif
