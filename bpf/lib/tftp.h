/* TEMPORARY pass-through until the TFTP fast path lands (not to be committed) */
#ifndef RACKBOOT_BPF_LIB_TFTP_H
#define RACKBOOT_BPF_LIB_TFTP_H
static __always_inline enum rb_action rb_tftp_handle(RB_CTX *ctx, struct rb_pkt *p) { return RB_PASS; }
#endif
