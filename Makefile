# rackboot — plain Makefile. `make` builds everything into build/.
#
# Layout (docs/ARCHITECTURE.md): user/<part>/ is one part of the program,
# built into its own build/lib<part>.a; a binary links only the parts it
# uses, so in.tftpd holds no DHCP code and rackboot-storm no server code.
# PART_DEPS says which parts each part may use (its #includes are checked
# against it by tests/tools/check_layers.sh, part of `make test`).
#
# To add a module: put foo.c and foo.h in the folder of its part and a
# tests/unit/<part>/test_foo.c beside its siblings; nothing here changes.
# To add a part: add it to PARTS (top-down order: a part before the parts
# it uses) and give it a PART_DEPS line. A new libFuzzer target
# tests/fuzz/fuzz_x.c lists the modules it exercises in FUZZ_MODS_fuzz_x.

CC       ?= gcc
CLANG    ?= clang
B        := build
CSTD     := -std=gnu17
WARN     := -Wall -Wextra -Werror -Wshadow -Wformat=2 -Wno-unused-parameter
CPPFLAGS := -D_GNU_SOURCE -Iuser -Ibpf -I$(B)/bpf
CFLAGS   ?= -O2 -g
CFLAGS   += $(CSTD) $(WARN) -fno-strict-aliasing -MMD -MP
LDLIBS   := -luring -lsqlite3 -lbpf -lpthread
SAN      := -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined

# Parts, top-down: each may use only the parts listed after its name.
PARTS := storm http dhcp tftp fastpath core proto lib
PART_DEPS_lib   :=
PART_DEPS_proto := lib
PART_DEPS_core  := proto lib
PART_DEPS_fastpath := lib
PART_DEPS_tftp  := fastpath proto lib
PART_DEPS_dhcp  := fastpath core proto lib
PART_DEPS_http  := core proto lib
PART_DEPS_storm := proto lib
# a part and everything below it, in link order
closure = $(filter $(1) $(PART_DEPS_$(1)),$(PARTS))

# What each program links.
PROG_PARTS_rackbootd      := http dhcp tftp fastpath core proto lib
PROG_PARTS_in.tftpd       := tftp fastpath proto lib
PROG_PARTS_rackboot-storm := storm proto lib
PROG_PARTS_tftp-load      :=

# The modules each libFuzzer target exercises (compiled in with coverage).
FUZZ_MODS_fuzz_dhcp_parse   := proto/dhcp_proto
FUZZ_MODS_fuzz_http_request := proto/http_proto
FUZZ_MODS_fuzz_netascii     := proto/netascii
FUZZ_MODS_fuzz_remap        := tftp/remap
FUZZ_MODS_fuzz_tftp_request := tftp/tftp_options proto/tftp_proto
FUZZ_MODS_fuzz_tftp_xfer    := tftp/tftp_xfer

CMD_SRC  := $(wildcard user/cmd/*.c)
BENCH_SRC:= $(wildcard bench/*.c)
UNIT_SRC := $(wildcard tests/unit/*/test_*.c)
FUZZ_SRC := $(wildcard tests/fuzz/fuzz_*.c)

PROGS        := $(CMD_SRC:user/cmd/%.c=$(B)/%) $(BENCH_SRC:bench/%.c=$(B)/%)
PROGS_SAN    := $(CMD_SRC:user/cmd/%.c=$(B)/san/bin/%)
UNIT_BIN     := $(foreach t,$(UNIT_SRC),$(B)/tests/$(notdir $(t:.c=)))
UNIT_BIN_SAN := $(foreach t,$(UNIT_SRC),$(B)/tests-san/$(notdir $(t:.c=)))
FUZZ_BIN     := $(FUZZ_SRC:tests/fuzz/%.c=$(B)/fuzz/%)

part_libs     = $(foreach p,$(1),$(B)/lib$(p).a)
part_libs_san = $(foreach p,$(1),$(B)/san/lib$(p).a)

.PHONY: all deps test demo bench bench-peers clean tests fuzz images e2e layers
all: $(PROGS) $(PROGS_SAN) $(UNIT_BIN) $(UNIT_BIN_SAN) $(FUZZ_BIN)

deps:
	@bash scripts/deps.sh

$(B)/obj/%.o: %.c
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) $(CFLAGS) -c $< -o $@

$(B)/san/%.o: %.c
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) $(CFLAGS) $(SAN) -c $< -o $@

# eBPF fast path: bpf/<attach point>.bpf.c -> build/bpf/<name>.bpf.o (clang,
# CO-RE against build/vmlinux.h, dumped from the running kernel's BTF) ->
# build/bpf/<name>.skel.h (bpftool gen skeleton), which user/fastpath/
# and its tests include. Nothing generated is committed.
BPF_SRC    := $(wildcard bpf/*.bpf.c)
BPF_OBJ    := $(BPF_SRC:bpf/%.bpf.c=$(B)/bpf/%.bpf.o)
BPF_SKEL   := $(BPF_SRC:bpf/%.bpf.c=$(B)/bpf/%.skel.h)
BPF_CFLAGS := -g -O2 -target bpf -mcpu=v3 -D__TARGET_ARCH_x86 -Wall -Wextra -Werror \
              -Wno-unused-parameter -I$(B) -Ibpf
VMLINUX_BTF ?= /sys/kernel/btf/vmlinux

$(B)/vmlinux.h:
	@mkdir -p $(@D)
	bpftool btf dump file $(VMLINUX_BTF) format c > $@.tmp && mv $@.tmp $@

$(B)/bpf/%.bpf.o: bpf/%.bpf.c $(B)/vmlinux.h
	@mkdir -p $(@D)
	$(CLANG) $(BPF_CFLAGS) -MMD -MP -c $< -o $@

$(B)/bpf/%.skel.h: $(B)/bpf/%.bpf.o
	bpftool gen skeleton $< name rb_$(subst -,_,$*) > $@.tmp && mv $@.tmp $@

all: $(BPF_OBJ) $(BPF_SKEL)

# Whatever may include a skeleton (the fast path's userspace, the DHCP
# server's side of it, any unit test) waits for all of them.
SKEL_USERS := $(wildcard user/fastpath/*.c user/dhcp/*.c tests/unit/*/*.c)
$(patsubst %.c,$(B)/obj/%.o,$(SKEL_USERS)) $(patsubst %.c,$(B)/san/%.o,$(SKEL_USERS)): | $(BPF_SKEL)

# One static library per part (and its ASan/UBSan twin).
define part_rules
$(B)/lib$(1).a: $(patsubst %.c,$(B)/obj/%.o,$(wildcard user/$(1)/*.c))
	rm -f $$@ && ar rcs $$@ $$^
$(B)/san/lib$(1).a: $(patsubst %.c,$(B)/san/%.o,$(wildcard user/$(1)/*.c))
	rm -f $$@ && ar rcs $$@ $$^
endef
$(foreach p,$(PARTS),$(eval $(call part_rules,$(p))))

# Programs link only their own parts.
define prog_rules
$(B)/$(1): $(2) $(call part_libs,$(PROG_PARTS_$(1)))
	$(CC) $(CFLAGS) -o $$@ $$^ $(LDLIBS) -lm
endef
$(foreach c,$(CMD_SRC),$(eval $(call prog_rules,$(notdir $(c:.c=)),$(B)/obj/$(c:.c=.o))))
$(foreach c,$(BENCH_SRC),$(eval $(call prog_rules,$(notdir $(c:.c=)),$(B)/obj/$(c:.c=.o))))

# The daemons under ASan/UBSan, for integration tests with hostile input.
define prog_san_rules
$(B)/san/bin/$(1): $(B)/san/user/cmd/$(1).o $(call part_libs_san,$(PROG_PARTS_$(1)))
	@mkdir -p $$(@D)
	$(CC) $(CFLAGS) $(SAN) -o $$@ $$^ $(LDLIBS)
endef
$(foreach c,$(CMD_SRC),$(eval $(call prog_san_rules,$(notdir $(c:.c=)))))

# A unit test links its part and the parts below it.
define unit_rules
$(B)/tests/$(1): $(B)/obj/$(2:.c=.o) $(call part_libs,$(call closure,$(3)))
	@mkdir -p $$(@D)
	$(CC) $(CFLAGS) -o $$@ $$^ -lcmocka $(LDLIBS)
$(B)/tests-san/$(1): $(B)/san/$(2:.c=.o) $(call part_libs_san,$(call closure,$(3)))
	@mkdir -p $$(@D)
	$(CC) $(CFLAGS) $(SAN) -o $$@ $$^ -lcmocka $(LDLIBS)
endef
$(foreach t,$(UNIT_SRC),$(eval $(call unit_rules,$(notdir $(t:.c=)),$(t),$(notdir $(patsubst %/,%,$(dir $(t)))))))
$(B)/obj/tests/unit/%.o $(B)/san/tests/unit/%.o: CPPFLAGS += -Itests/unit

# libFuzzer targets: clang, only the modules each exercises compiled in with coverage.
define fuzz_rules
$(B)/fuzz/$(1): tests/fuzz/$(1).c $(patsubst %,user/%.c,$(FUZZ_MODS_$(1)))
	@mkdir -p $$(@D)
	$(CLANG) $(CPPFLAGS) $(CSTD) -O1 -g -Wall -Wextra -Werror -Wno-unused-parameter \
	  -fsanitize=fuzzer,address,undefined -o $$@ $$^
endef
$(foreach f,$(FUZZ_SRC),$(eval $(call fuzz_rules,$(notdir $(f:.c=)))))

# "part: parts it may use", one line each, for tests/tools/check_layers.sh.
layers:
	@$(foreach p,$(PARTS),echo "$(p): $(PART_DEPS_$(p))";)

test: deps all
	@bash tests/run.sh

images: deps
	@bash images/build.sh

# tests/e2e/*.sh: real firmware in QEMU (SeaBIOS + iPXE ROMs, OVMF) boots from
# rackbootd to the kernel and initramfs of `make images`; tests/run.sh counts.
e2e: deps $(B)/rackbootd images
	@TESTS=$${TESTS:-e2e/} bash tests/run.sh

demo: deps all images
	@bash scripts/demo.sh

bench: deps all
	@bash bench/tftp-bench.sh

# the same boot storm against rackbootd, dnsmasq + nginx and Kea + tftpd-hpa
# + nginx (docs/BENCHMARKS.md, "Boot storms")
bench-peers: deps all
	@bash bench/peers.sh

clean:
	rm -rf $(B)

-include $(shell find $(B) -name '*.d' 2>/dev/null)
.SECONDARY:

# --- tests/e2e/bpf_verifier.sh: the BPF verifier check (issue 12) ---------------
# build/tools/bpf_verify loads every program of the BPF objects it is given
# and prints one TAP line per program (tests/tools/bpf_verify.c). Static
# (libbpf, libelf, zlib) so the same binary runs on the host and in the
# busybox initramfs of the Debian 12 (6.1) guest.
$(B)/tools/bpf_verify: tests/tools/bpf_verify.c
	@mkdir -p $(@D)
	$(CC) $(CSTD) $(WARN) -O2 -g -static -o $@ $< -lbpf -lelf -lz
all: $(B)/tools/bpf_verify
e2e: $(B)/tools/bpf_verify $(BPF_OBJ)
# --- end of tests/e2e/bpf_verifier.sh -------------------------------------------

# --- kern/: the kernel module rackboot.ko (issue 13) -----------------------------
# make module [KDIR=<kernel tree>]: build/kern/rackboot.ko, with module BTF for its
# kfuncs (kern/build.sh; any warning fails it). Default KDIR: the headers of the
# Debian 12 kernel in build/images (MANIFEST), fetched by kern/fetch-headers.sh
# into build/kern with the vmlinux and resolve_btfids its BTF needs.
# The BPF programs that call the kfuncs build with -DRB_KMOD -Ikern: the module's
# test programs (tests/tools/kmod_test.bpf.c, run by the static
# build/tools/kmod_test in tests/e2e/kmod_module.sh's guest).
.PHONY: module
module:
	@bash kern/build.sh $(KDIR)

KMOD_BPF_CFLAGS = $(BPF_CFLAGS) -DRB_KMOD -Ikern -Itests/tools
# The fast path's module variant: bpf/kmod/<x>.bpf.c is ../<x>.bpf.c with RB_KMOD;
# its skeletons build/bpf/kmod/<x>_kmod.skel.h are named rb_<x>_kmod. (More
# specific than the bpf/% rules.)
KMOD_BPF_SRC  := $(wildcard bpf/kmod/*.bpf.c)
KMOD_BPF_OBJ  := $(KMOD_BPF_SRC:bpf/kmod/%.bpf.c=$(B)/bpf/kmod/%.bpf.o)
KMOD_BPF_SKEL := $(KMOD_BPF_SRC:bpf/kmod/%.bpf.c=$(B)/bpf/kmod/%_kmod.skel.h)
$(B)/bpf/kmod/%.bpf.o: bpf/kmod/%.bpf.c $(B)/vmlinux.h
	@mkdir -p $(@D)
	$(CLANG) $(KMOD_BPF_CFLAGS) -MMD -MP -c $< -o $@
$(B)/bpf/kmod/%_kmod.skel.h: $(B)/bpf/kmod/%.bpf.o
	bpftool gen skeleton $< name rb_$*_kmod > $@.tmp && mv $@.tmp $@
all: $(KMOD_BPF_OBJ) $(KMOD_BPF_SKEL)
e2e: $(KMOD_BPF_OBJ)
# user/fastpath/ speaks the module's ABI (kern/rackboot_abi.h) and opens the
# variant from its skeletons (kmod_skel.c).
CPPFLAGS += -Ikern -I$(B)/bpf/kmod
$(patsubst %.c,$(B)/obj/%.o,$(wildcard user/fastpath/*.c tests/unit/fastpath/*.c)) \
$(patsubst %.c,$(B)/san/%.o,$(wildcard user/fastpath/*.c tests/unit/fastpath/*.c)): | $(KMOD_BPF_SKEL)
$(B)/tools/kmod_test.bpf.o: tests/tools/kmod_test.bpf.c $(B)/vmlinux.h
	@mkdir -p $(@D)
	$(CLANG) $(KMOD_BPF_CFLAGS) -MMD -MP -c $< -o $@
$(B)/tools/kmod_test: tests/tools/kmod_test.c
	@mkdir -p $(@D)
	$(CC) $(CSTD) $(WARN) -Ikern -Itests/tools -MMD -MP -O2 -g -static -o $@ $< -lbpf -lelf -lz
# rackbootd linked static, for the busybox initramfs of tests/e2e/kmod_tftp.sh's guest
$(B)/tools/rackbootd-static: $(B)/obj/user/cmd/rackbootd.o $(call part_libs,$(PROG_PARTS_rackbootd))
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -static -o $@ $^ $(LDLIBS) -lelf -lz -lm 2>$@.log || { cat $@.log; rm -f $@; exit 1; }
	@grep -v "dlopen' in statically linked\|unixDlOpen" $@.log || true   # (sqlite's; never called)
all: $(B)/tools/kmod_test $(B)/tools/kmod_test.bpf.o $(B)/tools/rackbootd-static
e2e: $(B)/tools/kmod_test $(B)/tools/kmod_test.bpf.o $(B)/tools/rackbootd-static
# --- end of kern/ -------------------------------------------------------------------
