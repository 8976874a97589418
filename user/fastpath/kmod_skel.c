/* The fast path's module variant (bpf/kmod/, kmod.h) opened into the
 * skeleton types of the objects of bpf/, so the loader handles both alike:
 * the same programs and maps, other ELF bytes. libbpf binds each of the
 * skeleton's maps and programs by name when it opens the object, and fails
 * there if the variant ever lacked one. */
#include "fastpath/kmod.h"

#include <errno.h>
#include <stdlib.h>

#include "tc.skel.h"
#include "xdp.skel.h"
#include "tc_kmod.skel.h"
#include "xdp_kmod.skel.h"

#define KMOD_OPEN(base, variant)                                                          \
	static struct base *open_##base(void)                                             \
	{                                                                                 \
		struct base *o = calloc(1, sizeof(*o));                                   \
		int err = o ? base##__create_skeleton(o) : -ENOMEM;                       \
		if (!err) {                                                               \
			o->skeleton->data = (void *)variant##__elf_bytes(&o->skeleton->data_sz); \
			err = bpf_object__open_skeleton(o->skeleton, NULL);               \
		}                                                                         \
		if (err) {                                                                \
			base##__destroy(o);                                               \
			errno = err < 0 ? -err : err;                                     \
			return NULL;                                                      \
		}                                                                         \
		return o;                                                                 \
	}

/* open_rb_tc, open_rb_xdp */
KMOD_OPEN(rb_tc, rb_tc_kmod)
KMOD_OPEN(rb_xdp, rb_xdp_kmod)

struct rb_tc *fp_kmod_tc_open(void) { return open_rb_tc(); }
struct rb_xdp *fp_kmod_xdp_open(void) { return open_rb_xdp(); }
