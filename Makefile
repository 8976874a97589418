# rackboot — plain Makefile. `make` builds everything into build/.
# Library modules: user/*.c (one job each). Programs: user/cmd/*.c, bench/*.c.
# Tests: tests/unit/test_*.c (cmocka), tests/fuzz/fuzz_*.c (libFuzzer),
#        tests/integration/*.sh (network namespaces, real clients).

CC       ?= gcc
CLANG    ?= clang
B        := build
CSTD     := -std=gnu17
WARN     := -Wall -Wextra -Werror -Wshadow -Wformat=2 -Wno-unused-parameter
CPPFLAGS := -D_GNU_SOURCE -Iuser
CFLAGS   ?= -O2 -g
CFLAGS   += $(CSTD) $(WARN) -fno-strict-aliasing -MMD -MP
LDLIBS   := -luring -lsqlite3 -lpthread
SAN      := -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined

LIB_SRC  := $(wildcard user/*.c)
CMD_SRC  := $(wildcard user/cmd/*.c)
BENCH_SRC:= $(wildcard bench/*.c)
UNIT_SRC := $(wildcard tests/unit/test_*.c)
FUZZ_SRC := $(wildcard tests/fuzz/fuzz_*.c)

LIB_OBJ      := $(LIB_SRC:%.c=$(B)/obj/%.o)
LIB_OBJ_SAN  := $(LIB_SRC:%.c=$(B)/san/%.o)
PROGS        := $(CMD_SRC:user/cmd/%.c=$(B)/%) $(BENCH_SRC:bench/%.c=$(B)/%)
PROGS_SAN    := $(CMD_SRC:user/cmd/%.c=$(B)/san/bin/%)
UNIT_BIN     := $(UNIT_SRC:tests/unit/%.c=$(B)/tests/%)
UNIT_BIN_SAN := $(UNIT_SRC:tests/unit/%.c=$(B)/tests-san/%)
FUZZ_BIN     := $(FUZZ_SRC:tests/fuzz/%.c=$(B)/fuzz/%)

.PHONY: all deps test demo bench bench-peers clean tests fuzz images e2e
all: $(PROGS) $(PROGS_SAN) $(UNIT_BIN) $(UNIT_BIN_SAN) $(FUZZ_BIN)

deps:
	@bash scripts/deps.sh

$(B)/obj/%.o: %.c
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) $(CFLAGS) -c $< -o $@

$(B)/san/%.o: %.c
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) $(CFLAGS) $(SAN) -c $< -o $@

$(B)/librackboot.a: $(LIB_OBJ)
	@mkdir -p $(@D)
	ar rcs $@ $^

$(B)/librackboot-san.a: $(LIB_OBJ_SAN)
	@mkdir -p $(@D)
	ar rcs $@ $^

$(B)/%: $(B)/obj/user/cmd/%.o $(B)/librackboot.a
	$(CC) $(CFLAGS) -o $@ $^ $(LDLIBS)

$(B)/%: $(B)/obj/bench/%.o $(B)/librackboot.a
	$(CC) $(CFLAGS) -o $@ $^ $(LDLIBS) -lm

# The daemons under ASan/UBSan, for integration tests with hostile input.
$(B)/san/bin/%: $(B)/san/user/cmd/%.o $(B)/librackboot-san.a
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(SAN) -o $@ $^ $(LDLIBS)

$(B)/tests/%: $(B)/obj/tests/unit/%.o $(B)/librackboot.a
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -o $@ $^ -lcmocka $(LDLIBS)

$(B)/tests-san/%: $(B)/san/tests/unit/%.o $(B)/librackboot-san.a
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(SAN) -o $@ $^ -lcmocka $(LDLIBS)

# libFuzzer targets: clang, the library sources compiled in with coverage.
$(B)/fuzz/%: tests/fuzz/%.c $(LIB_SRC)
	@mkdir -p $(@D)
	$(CLANG) $(CPPFLAGS) $(CSTD) -O1 -g -Wall -Wextra -Werror -Wno-unused-parameter \
	  -fsanitize=fuzzer,address,undefined -o $@ $< $(LIB_SRC) $(LDLIBS)

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
