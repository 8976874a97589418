/* What tests/tools/kmod_test.c and its BPF programs (kmod_test.bpf.c)
 * share: the one global the programs read their orders from and write
 * their results to (the object's .bss, mapped by libbpf). */
#ifndef RACKBOOT_TESTS_KMOD_TEST_H
#define RACKBOOT_TESTS_KMOD_TEST_H

#include "rackboot_abi.h"

#define KT_EMIT_MAX     8
#define KT_EMIT_MARK    42          /* frame byte the emit program numbers copies by */

struct kt_io {
	struct rb_kmod_read in;      /* the read to do */
	struct rb_kmod_read out;     /* rd as the kfunc left it */
	__s32 ret;                   /* the kfunc's return */
	__u32 emits;                 /* kt_xdp_emit: copies to send (<= KT_EMIT_MAX) */
	__s32 emit_ret[KT_EMIT_MAX];
};

#endif
