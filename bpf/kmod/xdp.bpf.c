// SPDX-License-Identifier: GPL-2.0
/* The XDP program for rackboot.ko (kern/): ../xdp.bpf.c built with RB_KMOD:
 * blocks of registered files from the page cache, and whole RFC 7440
 * windows sent from one ACK with bpf_rb_xdp_emit (lib/ctx.h, lib/tftp.h). */
#define RB_KMOD 1
#include "../xdp.bpf.c"
