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
	RB_CNT_DHCP_STOCK_TAKEN,    /* a free address taken from rb_dhcp_stock */
	RB_CNT_DHCP_STOCK_EMPTY,    /* a new client found the stock empty: passed up */
	RB_CNT_DHCP_TX_FAIL,        /* a reply could not be written once the frame changed: dropped */
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
	RB_EV_DHCP_STOCK_RETURN,     /* struct rb_ev_dhcp: a stock address taken but not offered */
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

/* ---- DHCP: see bpf/lib/dhcp.h ------------------------------------------
 * The program answers DISCOVERs (proxy and full server) and port-4011
 * REQUESTs by copying pieces of replies the daemon built with its own
 * reply builder (user/dhcp/dhcp_fastpath.c) and patching in what belongs
 * to the request. A reply's option area is, in this order:
 *
 *   pset.opts   rb_dhcp_psets[set * RB_DHCP_PSETS + id]: 53, 54 and the
 *               lease parameters (full server); empty otherwise
 *   option 12   the client entry's host name (full server, hosts only)
 *   boot.b      rb_dhcp_boot[{set, reply, class}]: boot options
 *   option 97   echoed from the request, when boot.echo_uuid
 *   boot.t      what the daemon puts after the 97 echo
 *   option 61   echoed from the request
 *   END, zeros to 300 bytes
 *
 * Templates are double-buffered: the daemon writes the set not named by
 * rb_dhcp_active[0], then flips it, so the program never reads a set
 * being written. */
#define RB_DHCP_FIXED        240         /* BOOTP header + magic cookie */
#define RB_DHCP_REQ_MAX      1024        /* longest request (UDP payload) answered */
#define RB_DHCP_REPLY_MAX    548         /* longest reply: every client takes 576 - 28 */
#define RB_DHCP_MIN_LEN      300         /* BOOTP minimum: replies are padded to it */
#define RB_DHCP_MAX_OPTS     96          /* options (PADs included) walked in a request */
/* Sizes of the pieces: powers of two, so that the program's copies have
 * lengths the verifier can bound by a mask. */
#define RB_DHCP_PSET_MAX     512         /* option bytes of a parameter set */
#define RB_DHCP_BOOT_MAX     256         /* boot option bytes before the 97 echo */
#define RB_DHCP_TAIL_MAX     32          /* after it */
#define RB_DHCP_HOST_MAX     64          /* host name bytes (option 12 takes up to 63) */
#define RB_DHCP_ARCH_MAX     47          /* option 93 values that can have templates */
#define RB_DHCP_PSETS        256         /* parameter sets per template set */
#define RB_DHCP_BOOTS        2048        /* boot templates, both sets */
#define RB_DHCP_CLIENTS      65536       /* client entries (rb_dhcp_clients) */
#define RB_DHCP_STOCK_MAX    4096        /* free addresses set aside (rb_dhcp_stock) */
#define RB_DHCP_NO_PSET      0xffffffffu

enum rb_dhcp_mode {
	RB_DHCP_OFF = 0,             /* pass everything */
	RB_DHCP_PROXY,               /* proxyDHCP on 67, boot server on 4011 */
	RB_DHCP_FULL,                /* addresses on 67, boot server on 4011 */
};

enum rb_dhcp_conf_flags {
	RB_DHCP_F_XDP = 1,           /* the XDP program may answer (a NIC whose XDP_TX
	                              * delivers; never veth): else XDP passes to TC */
	RB_DHCP_F_BINL_UNICAST = 2,  /* 4011 replies to an on-link client leave from
	                              * server_ip (the route's source): answer them */
};

/* rb_dhcp_conf[set] */
struct rb_dhcp_conf {
	__u32 server_ip_be;          /* the daemon's address: server id, reply source */
	__u32 onlink_net_be;         /* the interface's subnet: where 4011 unicast */
	__u32 onlink_mask_be;        /*   replies go straight to the requester's MAC */
	__u8 server_mac[6];          /* the interface's address: replies' source */
	__u8 mode;                   /* enum rb_dhcp_mode */
	__u8 flags;                  /* enum rb_dhcp_conf_flags */
	__u8 ttl;                    /* the daemon's sockets' (ip_default_ttl) */
	__u8 pad0[3];
	__u32 new_pset;              /* full: parameter set of clients without an entry
	                              * (RB_DHCP_NO_PSET: pass them) */
	__u64 offer_hold_ns;         /* full: how long a kernel offer holds its address */
	__u32 gen;                   /* bumped by every fill */
	__u32 pad1;
};

/* What a request says about its firmware (user/core/boot_policy.c's
 * boot_client), as a template key. */
enum rb_dhcp_class {
	RB_DHCP_C_PXE = 1,           /* option 60 starts "PXEClient" */
	RB_DHCP_C_HTTP = 2,          /* option 60 starts "HTTPClient" */
	RB_DHCP_C_IPXE = 4,          /* user class "iPXE" or option 175 */
	RB_DHCP_C_ARCH = 8,          /* option 93 present: arch is its first type */
};

enum rb_dhcp_reply {
	RB_DHCP_R_PROXY_OFFER = 1,   /* port 67, proxy mode */
	RB_DHCP_R_BINL_ACK,          /* port 4011 */
	RB_DHCP_R_OFFER,             /* port 67, full server */
};

struct rb_dhcp_boot_key {
	__u8 set;                    /* template set */
	__u8 reply;                  /* enum rb_dhcp_reply */
	__u8 cls;                    /* enum rb_dhcp_class bits */
	__u8 pad;
	__u16 arch;                  /* option 93 (host order) when RB_DHCP_C_ARCH, else 0 */
	__u16 pad1;
};

/* rb_dhcp_boot[key]: a class's reply, less what the request and the
 * client's entry supply. No entry: the daemon decides (it may not answer). */
struct rb_dhcp_boot {
	__u32 siaddr_be;             /* next-server */
	__u16 b_len;                 /* bytes of b */
	__u16 t_len;                 /* bytes of t */
	__u8 echo_uuid;              /* the request's option 97 is echoed */
	__u8 pad[7];
	__u8 fields[RB_DHCP_FIXED - 44]; /* reply bytes 44..239: sname, file, cookie */
	__u8 b[RB_DHCP_BOOT_MAX];
	__u8 t[RB_DHCP_TAIL_MAX];
};

/* rb_dhcp_psets[set * RB_DHCP_PSETS + id] */
struct rb_dhcp_pset {
	__u16 len;                   /* bytes of opts; 0 = unused */
	__u16 pad[3];
	__u8 opts[RB_DHCP_PSET_MAX];
};

/* rb_dhcp_clients: what the full server offers a client, by MAC, mirrored
 * from the daemon's address pool and reservations. */
struct rb_dhcp_client_key {
	__u8 mac[6];
	__u16 pad;
};

enum rb_dhcp_client_kind {
	RB_DHCP_CL_PASS = 0,         /* the daemon decides (e.g. a remembered address
	                              * that another client may be given) */
	RB_DHCP_CL_ADDR,             /* offer ip_be (until expires_ns) */
	RB_DHCP_CL_NEW,              /* no address of its own: one from the stock */
	RB_DHCP_CL_KOFFER,           /* the program gave it ip_be from the stock */
};

enum rb_dhcp_client_flags {
	RB_DHCP_CLF_CLIENT_NAME = 1, /* a host without a name: its reply carries the
	                              * request's option 12, so such requests pass */
};

/* Written by the daemon with BPF_F_LOCK, read and claimed by the program
 * under `lock`. mac repeats the key: an entry deleted and reused while the
 * program held it is recognised. */
struct rb_dhcp_client {
	struct bpf_spin_lock lock;
	__u8 kind;                   /* enum rb_dhcp_client_kind */
	__u8 flags;                  /* enum rb_dhcp_client_flags */
	__u8 host_len;               /* option 12 to send: host[0, host_len); 0 = none */
	__u8 pad0;
	__u32 ip_be;
	__u32 pset;                  /* parameter set id */
	__u64 expires_ns;            /* CLOCK_MONOTONIC; 0 = never (reservation) */
	__u8 mac[6];
	__u8 pad1[2];
	__u8 host[RB_DHCP_HOST_MAX];
};

/* RB_EV_DHCP_* records */
struct rb_ev_dhcp {
	struct rb_event_hdr h;
	__u32 ip_be;                 /* OFFER: yiaddr; PROXY_ACK: ciaddr; STOCK_RETURN: the address */
	__u32 xid;                   /* host order */
	__u8 mac[6];
	__u8 reply;                  /* enum rb_dhcp_reply */
	__u8 cls;                    /* enum rb_dhcp_class bits */
	__u16 arch;
	__u8 from_stock;             /* OFFER: the address came from rb_dhcp_stock */
	__u8 pad0;
	__u32 ifindex;
	__u32 pad1;
};

#endif
