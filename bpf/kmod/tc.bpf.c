// SPDX-License-Identifier: GPL-2.0
/* The TC program for rackboot.ko (kern/): ../tc.bpf.c built with RB_KMOD,
 * so that TFTP sessions of files registered with the module read their
 * blocks from the page cache (lib/kmod.h, lib/tftp.h). Loads only where
 * the module is; user/fastpath/ picks it when the module's kfuncs are in
 * the kernel's BTF. */
#define RB_KMOD 1
#include "../tc.bpf.c"
