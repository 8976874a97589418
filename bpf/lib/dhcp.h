/* TEMPORARY pass-through until the DHCP fast path lands (not to be committed) */
#ifndef RACKBOOT_BPF_LIB_DHCP_H
#define RACKBOOT_BPF_LIB_DHCP_H
static __always_inline bool rb_dhcp_port(const struct rb_pkt *p) { return p->udp->dest == bpf_htons(67) || p->udp->dest == bpf_htons(4011); }
static __always_inline enum rb_action rb_dhcp_handle(RB_CTX *ctx, struct rb_pkt *p) { return RB_PASS; }
#endif
