/* Hot TFTP blocks in the kernel: the ACKs of a transfer the daemon handed
 * over (a session in rb_tftp_sessions) are answered here with the next
 * DATA block, or the next RFC 7440 window of blocks, read from the file's
 * chunks in rb_tftp_files. The daemon keeps the RRQ, the OACK, the timers
 * and every transfer it did not hand over; this code is a cache of the
 * decisions user/tftp/tftp_xfer.c's sender makes, and passes up anything
 * it cannot answer exactly as that sender would:
 *
 *   - an ACK that advances (or the ACK of block 0 after the OACK) gets the
 *     window that follows it at once, never past the last block;
 *   - a repeated or old ACK resends the outstanding window only if nothing
 *     was sent for dup_gap_ns, so a duplicate never doubles the stream
 *     (Sorcerer's Apprentice); an ACK naming no outstanding block is
 *     ignored, as userspace ignores it;
 *   - the ACK of the last block ends the session (FINISHED, an event) and
 *     goes up to the transfer's socket: that wakes the daemon, which
 *     closes the transfer at once instead of at its next sweep; a client
 *     ERROR ends it too (FAILED, an event) and goes up the same way;
 *   - a wrong TID is simply another key: no session, passed up, and the
 *     daemon answers it with ERROR 5 as RFC 1350 says;
 *   - a session whose slot no longer holds its generation or size, or that
 *     is not ACTIVE, is passed up and userspace takes it back.
 *
 * XDP answers only windows of one frame, and only where the frame can
 * grow into the reply; everything else it leaves, untouched, to the TC
 * program, which sends a window by building each block in the skb, sending
 * a copy (bpf_clone_redirect) and rebuilding the next, the last block
 * leaving as the program's verdict.
 *
 * RB_KMOD (bpf/kmod/, with rackboot.ko): a session whose file_gen is
 * RB_KMOD_SESSION_GEN names a file registered with the module by its id
 * (in `slot`), and its blocks come from the page cache (rb_kmod_fill)
 * instead of the chunk maps; other sessions are served from the maps as
 * above. A block the module cannot give whole (file truncated, page not
 * cached) passes the ACK up untouched when it is the window's first, and
 * the daemon takes the transfer back. XDP sends whole windows too, every
 * block of a window of more than one as a copy (bpf_rb_xdp_emit) and the
 * frame dropped, so that the copies queued to the device leave in order.
 *
 * Concurrency: ACKs of one session may be handled on two CPUs at once (a
 * client's retransmission, XDP and TC of different frames). Every read
 * and write of the session's moving fields (acked, sent, times, frames,
 * ip_id, state) happens under the session's spin lock, and the window a
 * CPU sends is decided there; the fields set at hand-over never change. */
#ifndef RACKBOOT_BPF_LIB_TFTP_H
#define RACKBOOT_BPF_LIB_TFTP_H

#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>
#include "fastpath_abi.h"
#include "ctx.h"
#include "net.h"
#include "maps.h"

#define RB_ETH_ALEN        6
#define RB_TFTP_OP_DATA    3
#define RB_TFTP_OP_ACK     4
#define RB_TFTP_OP_ERROR   5
#define RB_TFTP_HLEN       4           /* opcode + block (or error code) */
#define RB_TFTP_IP_DF      0x4000      /* Linux sets DF on UDP (path MTU discovery) */
#define RB_TFTP_TTL        64          /* Linux's default, as the daemon's packets */
#define RB_CSUM_DIFF_MAX   512         /* bytes bpf_csum_diff sums in one call */
#define RB_CSUM_PIECES     ((RB_TFTP_MAX_BLKSIZE + RB_CSUM_DIFF_MAX - 1) / RB_CSUM_DIFF_MAX)

/* A file's chunks: one map per hot file, each with as many entries as its
 * file needs (BPF_F_INNER_MAP lets max_entries differ from this template). */
struct rb_tftp_file_map {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(map_flags, BPF_F_INNER_MAP);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u8[RB_TFTP_CHUNK_BYTES]);   /* struct rb_tftp_chunk: named here, clang
						     * would leave it a FWD in BTF */
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY_OF_MAPS);
	__uint(max_entries, RB_TFTP_FILE_SLOTS);
	__type(key, __u32);
	__array(values, struct rb_tftp_file_map);
} rb_tftp_files SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, RB_TFTP_FILE_SLOTS);
	__type(key, __u32);
	__type(value, struct rb_tftp_file_meta);
} rb_tftp_file_meta SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, RB_TFTP_SESSIONS);
	__type(key, struct rb_tftp_key);
	__type(value, struct rb_tftp_session);
} rb_tftp_sessions SEC(".maps");

/* tftp_wire_block() of user/tftp/tftp_xfer.c: the 16-bit number of
 * absolute block b; after 65535 comes `rollover`. */
static __always_inline __u16 rb_tftp_wire(__u64 b, __u16 rollover)
{
	if (b <= 65535)
		return (__u16)b;
	return (__u16)(rollover + (b - 65536) % (__u64)(65536u - rollover));
}

/* map_ack() of tftp_xfer.c: the newest block in [acked, max(sent, acked)]
 * whose wire number the ACK carries. The kernel never lets `sent` run more
 * than a window (RB_TFTP_MAX_WINDOW) ahead of `acked`, so looking that far
 * back is the whole search. */
static __always_inline bool rb_tftp_map_ack(__u64 acked, __u64 sent, __u16 rollover,
					    __u16 wire, __u64 *abs)
{
	__u64 hi = sent > acked ? sent : acked;

	for (__u32 i = 0; i <= RB_TFTP_MAX_WINDOW; i++) {
		if (hi - acked < i)
			break;
		if (rb_tftp_wire(hi - i, rollover) == wire) {
			*abs = hi - i;
			return true;
		}
	}
	return false;
}

/* One window to send: what the reply's headers need, saved before the
 * frame is rewritten, and where the blocks come from. */
struct rb_tftp_tx {
	__u8 client_mac[RB_ETH_ALEN];
	__u8 server_mac[RB_ETH_ALEN];
	struct rb_tftp_key key;
	__u64 size;                  /* of the file */
	__u64 from;                  /* first block of the window */
	__u32 slot;                  /* the file's slot in rb_tftp_files */
	__u32 blksize;
	__u16 rollover;
	__u16 ip_id;                 /* of the window's first frame */
#if defined(RB_KMOD)
	__u32 kmod;                  /* RB_KMOD: slot is a rackboot.ko file id */
#else
	__u32 pad;
#endif
};

/* A 64-bit one's-complement sum folded to the 32 bits of a __wsum. */
static __always_inline __u32 rb_csum_fold32(__u64 sum)
{
	sum = (sum & 0xffffffff) + (sum >> 32);
	sum = (sum & 0xffffffff) + (sum >> 32);
	return (__u32)sum;
}

/* The one's-complement sum (unfolded, memory-order words, like
 * bpf_csum_diff's) of a block's `len` data bytes at c->data[co...]:
 * whole words with bpf_csum_diff in pieces of at most 512 bytes, the last
 * 1-3 bytes by hand (a full block of an odd blksize is followed by the
 * next block's bytes, not zeros). The caller bounds co < RB_TFTP_CHUNK and
 * 1 <= len <= RB_TFTP_MAX_BLKSIZE, which keeps every read inside the
 * chunk: 65535 + 1468 < RB_TFTP_CHUNK_BYTES. */
static __always_inline __u64 rb_tftp_data_sum(struct rb_tftp_chunk *c, __u32 co, __u32 len)
{
	__u32 words = len & ~3u;
	__u64 sum = 0;

#pragma unroll
	for (int i = 0; i < RB_CSUM_PIECES; i++) {
		__u32 at = i * RB_CSUM_DIFF_MAX;
		if (words <= at)
			break;
		__u32 n = words - at;
		if (n > RB_CSUM_DIFF_MAX)
			n = RB_CSUM_DIFF_MAX;
		__s64 r = bpf_csum_diff(NULL, 0, (__be32 *)(c->data + co + at), n, 0);
		sum += (__u32)r;
	}
	__u32 tail = len & 3;
	if (tail) {
		union {
			__u8 b[4];
			__u32 w;
		} t = { .w = 0 };
		__u32 i = co + words;
		t.b[0] = c->data[i];
		if (tail > 1)
			t.b[1] = c->data[i + 1];
		if (tail > 2)
			t.b[2] = c->data[i + 2];
		sum += t.w;
	}
	return sum;
}

/* Rewrite the frame into block from+k of a window: Ethernet, IP and UDP
 * headers answering the ACK's, opcode, wire number, data. 0, or <0 when
 * the frame could not be resized or written (it may be half built).
 *
 * A global function, so the verifier checks it once and not once per
 * block of a window; it therefore trusts nothing it is given (6.1 and
 * 6.18 both verify a global function against any argument values). */
__attribute__((noinline)) int rb_tftp_build_data(RB_CTX *ctx, const struct rb_tftp_tx *tx, __u32 k)
{
	if (!tx)
		return -1;
	__u32 slot = tx->slot, blksize = tx->blksize;
	__u64 size = tx->size, block = tx->from + k;
	if (blksize < RB_TFTP_MIN_BLKSIZE || blksize > RB_TFTP_MAX_BLKSIZE || block == 0)
		return -1;
	__u64 off = (block - 1) * blksize;
	if (off > size)
		return -1;
	__u32 len = size - off < blksize ? (__u32)(size - off) : blksize;
	if (len > RB_TFTP_MAX_BLKSIZE)
		return -1;                      /* known to the verifier too */
	__u32 co = off & (RB_TFTP_CHUNK - 1);
	struct rb_tftp_chunk *c = NULL;
	__u64 sum = 0;

#if defined(RB_KMOD)
	if (len > 0 && !tx->kmod) {  /* RB_KMOD: a file in the maps */
#else
	if (len > 0) {
#endif
		void *file = bpf_map_lookup_elem(&rb_tftp_files, &slot);
		if (!file)
			return -1;
		__u32 ci = off / RB_TFTP_CHUNK;
		c = bpf_map_lookup_elem(file, &ci);
		if (!c)
			return -1;
		sum = rb_tftp_data_sum(c, co, len);
	}

	__u16 ulen = RB_UDP_HLEN + RB_TFTP_HLEN + len;
	__u32 flen = RB_ETH_HLEN + RB_IP_HLEN + ulen;
	if (rb_set_len(ctx, flen))
		return -1;
#if defined(RB_KMOD)
	/* RB_KMOD: the data from the page cache, before any header is written */
	if (len > 0 && tx->kmod) {
		int r = rb_kmod_fill(ctx, slot, off, RB_HDRS_LEN + RB_TFTP_HLEN, len, flen, &sum);
		if (r)
			return r;
	}
#endif
	void *data = rb_data(ctx), *end = rb_data_end(ctx);
	if (data + RB_HDRS_LEN + RB_TFTP_HLEN > end)
		return -1;

	struct ethhdr *eth = data;
	__builtin_memcpy(eth->h_dest, tx->client_mac, RB_ETH_ALEN);
	__builtin_memcpy(eth->h_source, tx->server_mac, RB_ETH_ALEN);
	eth->h_proto = bpf_htons(RB_ETH_P_IP);

	struct iphdr *ip = data + RB_ETH_HLEN;
	*(__u8 *)ip = 0x45;                     /* version 4, 20-byte header */
	ip->tos = 0;
	ip->tot_len = bpf_htons(RB_IP_HLEN + ulen);
	ip->id = bpf_htons((__u16)(tx->ip_id + k));
	ip->frag_off = bpf_htons(RB_TFTP_IP_DF);
	ip->ttl = RB_TFTP_TTL;
	ip->protocol = IPPROTO_UDP;
	ip->check = 0;
	ip->saddr = tx->key.server_ip_be;
	ip->daddr = tx->key.client_ip_be;
	ip->check = rb_ip_csum(ip);

	struct udphdr *udp = data + RB_ETH_HLEN + RB_IP_HLEN;
	__u16 *tftp = data + RB_HDRS_LEN;
	__u16 op_be = bpf_htons(RB_TFTP_OP_DATA);
	__u16 wire_be = bpf_htons(rb_tftp_wire(block, tx->rollover));
	udp->source = tx->key.server_port_be;
	udp->dest = tx->key.client_port_be;
	udp->len = bpf_htons(ulen);
	tftp[0] = op_be;
	tftp[1] = wire_be;
	sum += (__u32)tx->key.server_port_be + tx->key.client_port_be + bpf_htons(ulen);
	sum += (__u32)op_be + wire_be;
	__u64 pseudo = rb_udp_pseudo_sum(tx->key.server_ip_be, tx->key.client_ip_be, ulen);
#if defined(RB_TC)
	udp->check = 0xffff;                    /* -0: the sums below start from nothing */
#else
	udp->check = rb_udp_csum_final(pseudo + sum);
#endif

	/* 6.1's verifier learns no lower bound from len != 0, and a store of
	 * maybe 0 bytes is refused: test len - 1 instead, hidden from the
	 * compiler so that it cannot hand the unbounded len back. */
	__u64 len_m1 = (__u64)len - 1;
	asm volatile("" : "+r"(len_m1));
	if (c && len_m1 < RB_TFTP_MAX_BLKSIZE &&
	    rb_store(ctx, RB_HDRS_LEN + RB_TFTP_HLEN, c->data + co, (__u32)len_m1 + 1))
		return -1;
#if defined(RB_TC)
	/* An ACK from a local sender (a client on veth) carries
	 * CHECKSUM_PARTIAL, and so does the reply made of its skb: then the
	 * field must hold only the pseudo header's sum, and whatever sends the
	 * frame on (offload, or skb_checksum_help) adds the rest. Otherwise
	 * the field gets the whole checksum. bpf_l4_csum_replace knows which:
	 * the pseudo header goes in with BPF_F_PSEUDO_HDR (applied either way),
	 * the rest without (skipped for CHECKSUM_PARTIAL). */
	const __u32 at = RB_ETH_HLEN + RB_IP_HLEN + offsetof(struct udphdr, check);
	if (bpf_l4_csum_replace(ctx, at, 0, rb_csum_fold32(pseudo), BPF_F_PSEUDO_HDR) ||
	    bpf_l4_csum_replace(ctx, at, 0, rb_csum_fold32(sum),
				BPF_F_MARK_MANGLED_0 | BPF_F_MARK_ENFORCE))
		return -1;
#endif
	return 0;
}

static __always_inline void rb_tftp_event(enum rb_event_kind kind, const struct rb_tftp_key *key,
					  __u64 blocks, __u64 frames, __u16 error_code)
{
	struct rb_ev_tftp *e = rb_event_reserve(sizeof(*e), kind);
	if (!e)
		return;
	e->key = *key;
	e->pad0 = 0;
	e->blocks = blocks;
	e->frames = frames;
	e->error_code = error_code;
	e->pad[0] = e->pad[1] = e->pad[2] = 0;
	bpf_ringbuf_submit(e, 0);
}

/* A client ERROR ends an ACTIVE session; the packet goes up either way. */
static __always_inline enum rb_action rb_tftp_error(struct rb_tftp_session *s,
						    const struct rb_tftp_key *key, __u16 code)
{
	bpf_spin_lock(&s->lock);
	bool ended = s->state == RB_TFTP_ACTIVE;
	if (ended)
		s->state = RB_TFTP_FAILED;
	__u64 acked = s->acked, frames = s->frames;
	bpf_spin_unlock(&s->lock);
	if (ended) {
		rb_count(RB_CNT_TFTP_ERROR);
		rb_tftp_event(RB_EV_TFTP_ERROR, key, acked, frames, code);
	} else {
		rb_count(RB_CNT_TFTP_PASS);
	}
	return RB_PASS;
}

/* What an ACK makes of the session, decided under its lock. */
enum rb_tftp_verdict {
	RB_TFTP_V_PASS,              /* session no longer ACTIVE: up to the daemon */
	RB_TFTP_V_STRAY,             /* names no outstanding block: ignored */
	RB_TFTP_V_DUP,               /* repeated ACK within the gap: ignored */
	RB_TFTP_V_DONE,              /* final block acknowledged */
	RB_TFTP_V_SEND,              /* advanced: send the next window */
	RB_TFTP_V_RESEND,            /* repeated ACK after the gap: resend the window */
};

struct rb_tftp_plan {
	__u64 from;                  /* first block of the window */
	__u64 acked;                 /* for the event */
	__u64 frames;
	__u32 count;                 /* blocks in the window */
	__u16 ip_id;                 /* of the window's first frame */
	__u16 verdict;               /* enum rb_tftp_verdict */
};

/* sender_on_ack() of tftp_xfer.c over the session, under its lock; claims
 * the window it decides to send (sent, last_send_ns, frames, ip_id). */
static __always_inline void rb_tftp_decide(struct rb_tftp_session *s, __u16 wire, __u64 last,
					   __u32 window, __u64 now, struct rb_tftp_plan *pl)
{
	__u64 abs = 0;

	bpf_spin_lock(&s->lock);
	if (s->state != RB_TFTP_ACTIVE) {
		pl->verdict = RB_TFTP_V_PASS;
	} else if (s->acked == 0 && s->sent == 0) {
		/* OACK out, ACK 0 awaited: only that ACK starts the transfer */
		pl->verdict = wire == 0 ? RB_TFTP_V_SEND : RB_TFTP_V_STRAY;
		if (wire == 0)
			s->last_ack_ns = now;
	} else if (!rb_tftp_map_ack(s->acked, s->sent, s->rollover, wire, &abs)) {
		pl->verdict = RB_TFTP_V_STRAY;
	} else if (abs > s->acked) {
		s->acked = abs;
		s->last_ack_ns = now;
		if (abs >= last) {
			s->state = RB_TFTP_FINISHED;
			pl->verdict = RB_TFTP_V_DONE;
		} else {
			pl->verdict = RB_TFTP_V_SEND;
		}
	} else if (now - s->last_send_ns < s->dup_gap_ns) {
		pl->verdict = RB_TFTP_V_DUP;
	} else {
		pl->verdict = RB_TFTP_V_RESEND;
	}
	if (pl->verdict >= RB_TFTP_V_SEND) {
		__u64 left = last > s->acked ? last - s->acked : 0;
		pl->count = left < window ? (__u32)left : window;
		pl->from = s->acked + 1;
		if (pl->count == 0) {
			pl->verdict = RB_TFTP_V_STRAY;
		} else {
			__u64 hi = pl->from + pl->count - 1;
			if (hi > s->sent)
				s->sent = hi;
			s->last_send_ns = now;
			s->frames += pl->count;
			pl->ip_id = s->ip_id;
			s->ip_id += pl->count;
		}
	}
	pl->acked = s->acked;
	pl->frames = s->frames;
	bpf_spin_unlock(&s->lock);
}

/* Every parsed IPv4/UDP frame that is not DHCP comes here. */
static __always_inline enum rb_action rb_tftp_handle(RB_CTX *ctx, struct rb_pkt *p)
{
	struct rb_tftp_tx tx = {
		.key = {
			.client_ip_be = p->ip->saddr,
			.server_ip_be = p->ip->daddr,
			.client_port_be = p->udp->source,
			.server_port_be = p->udp->dest,
		},
	};
	struct rb_tftp_session *s = bpf_map_lookup_elem(&rb_tftp_sessions, &tx.key);
	if (!s) {
		rb_count(RB_CNT_PASS_NOT_OURS);
		return RB_PASS;
	}
	__u8 *tftp = p->payload;
	if (p->payload_len < RB_TFTP_HLEN || (void *)(tftp + RB_TFTP_HLEN) > rb_data_end(ctx) ||
	    (s->ifindex && s->ifindex != rb_ifindex(ctx)))
		goto pass;
	__u16 op = (__u16)tftp[0] << 8 | tftp[1];
	__u16 arg = (__u16)tftp[2] << 8 | tftp[3];
	if (op == RB_TFTP_OP_ERROR)
		return rb_tftp_error(s, &tx.key, arg);
	if (op != RB_TFTP_OP_ACK || p->payload_len != RB_TFTP_HLEN)
		goto pass;

	/* Fixed since the hand-over: read without the lock. */
	__u32 window = s->windowsize;
	tx.slot = s->slot;
	tx.blksize = s->blksize;
	tx.rollover = s->rollover;
	tx.size = s->size;
	if (tx.blksize < RB_TFTP_MIN_BLKSIZE || tx.blksize > RB_TFTP_MAX_BLKSIZE ||
	    window < 1 || window > RB_TFTP_MAX_WINDOW)
		goto pass;
#if defined(RB_KMOD)
	tx.kmod = s->file_gen == RB_KMOD_SESSION_GEN;   /* RB_KMOD: the module has the file */
	if (!tx.kmod) {
#endif
	struct rb_tftp_file_meta *meta = bpf_map_lookup_elem(&rb_tftp_file_meta, &tx.slot);
	if (!meta || meta->gen == 0 || meta->gen != s->file_gen || meta->size != tx.size ||
	    !bpf_map_lookup_elem(&rb_tftp_files, &tx.slot))
		goto pass;
#if defined(RB_KMOD)
	}
#endif
	__u64 last = tx.size / tx.blksize + 1;

	__builtin_memcpy(tx.client_mac, p->eth->h_source, RB_ETH_ALEN);
	__builtin_memcpy(tx.server_mac, p->eth->h_dest, RB_ETH_ALEN);
	__u32 in_len = rb_frame_len(ctx);
	if (!RB_CAN_EMIT_COPY || RB_KMOD_XDP) {
		/* XDP: one frame per ACK (RB_KMOD: a window), and only if this
		 * frame can hold it */
		if ((window != 1 && !RB_CAN_EMIT_COPY) ||
		    rb_set_len(ctx, RB_HDRS_LEN + RB_TFTP_HLEN + tx.blksize)) {
			rb_count(RB_CNT_TFTP_TO_TC);
			return RB_PASS;
		}
	}

	struct rb_tftp_plan pl = {};
	rb_tftp_decide(s, arg, last, window, bpf_ktime_get_ns(), &pl);
	switch (pl.verdict) {
	case RB_TFTP_V_SEND:
		rb_count(RB_CNT_TFTP_ACK_ANSWERED);
		break;
	case RB_TFTP_V_RESEND:
		rb_count(RB_CNT_TFTP_ACK_RESENT);
		break;
	case RB_TFTP_V_DONE:
		rb_count(RB_CNT_TFTP_DONE);
		rb_tftp_event(RB_EV_TFTP_DONE, &tx.key, pl.acked, pl.frames, 0);
		rb_set_len(ctx, in_len);        /* up to the socket, as it came */
		return RB_PASS;
	case RB_TFTP_V_DUP:
		rb_count(RB_CNT_TFTP_ACK_DUP);
		return RB_DROP;
	case RB_TFTP_V_STRAY:
		rb_count(RB_CNT_TFTP_ACK_STRAY);
		return RB_DROP;
	default:
		rb_set_len(ctx, in_len);        /* XDP grew it: back as it came */
		goto pass;
	}

	/* Block by block: build it, send a copy while more follow; the last
	 * one leaves as the verdict. XDP's window is one frame. */
	tx.from = pl.from;
	tx.ip_id = pl.ip_id;
	for (__u32 k = 0; k < (RB_CAN_EMIT_COPY ? RB_TFTP_MAX_WINDOW : 1); k++) {
		int built = rb_tftp_build_data(ctx, &tx, k);
#if defined(RB_KMOD)
		if (built == RB_KMOD_FILL_PASS && k == 0) {
			rb_set_len(ctx, in_len);    /* RB_KMOD: the ACK, as it came, up */
			goto pass;
		}
#endif
		if (built)
			break;
		if (k + 1 >= pl.count && (!RB_KMOD_XDP || pl.count == 1)) {
			rb_count(RB_CNT_TFTP_DATA_SENT);
			return RB_TX;
		}
		if (rb_emit_copy(ctx))
			break;
		rb_count(RB_CNT_TFTP_DATA_SENT);
		if (RB_KMOD_XDP && k + 1 >= pl.count)
			return RB_DROP;             /* RB_KMOD: the whole window left as copies */
	}
	rb_count(RB_CNT_TFTP_TX_FAIL);
	return RB_DROP;
pass:
	rb_count(RB_CNT_TFTP_PASS);
	return RB_PASS;
}

#endif
