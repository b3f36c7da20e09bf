# Reliability and security: the guest fuzzer, libFuzzer targets of
# the library, the soak test.  See docs/reliability.md.
#
#   make fuzz FUZZ_CALLS=1000000     qaccel-fuzz in the VM
#   make soak SOAK_SECONDS=180       N processes x M threads of checked GEMMs in the VM
#   make fuzz-lib FUZZ_SECONDS=10    the libFuzzer targets on the host
#   make check-debug                 on the debug kernel (make debug-kernel): the
#                                    fuzzer with failing allocations, a soak, the
#                                    guest suite, kmemleak, the kernel log
#
# The guest tests tests/guest/fuzz_slice.c and rel_*.c are ordinary guest
# test programs (tests/guest/guest-tests.mk), as is rel_soak_slice (the soak
# for 10 s); the libFuzzer runs
# (build/tests/lib/test_libfuzz) are added to LIB_TEST_PROGS, the host tests.
# qaccel-fuzz builds its jobs from the uapi (tests/guest/uapi_job.h);
# qaccel-soak is a library user (tests/guest/lib_common.h, public API only).

FUZZ_DIR	:= $(BUILD)/fuzz
FUZZ_BIN	:= $(FUZZ_DIR)/qaccel-fuzz
SOAK_BIN	:= $(FUZZ_DIR)/qaccel-soak
FUZZ_CALLS	?= 1000000
FUZZ_SEED	?= 1
SOAK_SECONDS	?= 180
SOAK_PROCS	?= 3
SOAK_THREADS	?= 2
FUZZ_VM_TIMEOUT	?= 3600

$(FUZZ_BIN) $(SOAK_BIN): $(FUZZ_DIR)/qaccel-%: $(TOP)/fuzz/qaccel-%.c $(LIB_A)
	@mkdir -p $(@D)
	$(CC) $(LIB_CFLAGS) $(DEPFLAGS) -o $@ $< $(LIB_LINK) -lpthread

-include $(wildcard $(FUZZ_BIN).d $(SOAK_BIN).d)
$(call without_deps,$(FUZZ_BIN) $(SOAK_BIN)): FORCE

# The slices in make check (tests/guest/fuzz_slice.c, rel_soak_slice.c) are
# the fuzzer and the soak themselves, compiled into KTAP programs: their .d
# files name fuzz/qaccel-*.c.

all: $(FUZZ_BIN) $(SOAK_BIN)

.PHONY: fuzz soak fuzz-lib check-debug
fuzz: all
	$(TOP)/sim/qaccel-vm --array $(GUEST_ARRAY) --timeout $(FUZZ_VM_TIMEOUT) \
		--dmesg-file $(FUZZ_DIR)/fuzz.dmesg \
		-- $(FUZZ_BIN) --calls $(FUZZ_CALLS) --seed $(FUZZ_SEED) -v

# The VM gets the soak's duration plus room for boot and the final drain.
soak: all
	$(TOP)/sim/qaccel-vm --array $(GUEST_ARRAY) --timeout $$(($(SOAK_SECONDS) + 300)) \
		--dmesg-file $(FUZZ_DIR)/soak.dmesg \
		-- $(SOAK_BIN) --seconds $(SOAK_SECONDS) --procs $(SOAK_PROCS) \
		--threads $(SOAK_THREADS) --seed $(FUZZ_SEED)

# The debug kernel's run (tests/guest/run-debug.sh; not part of make check):
# build/kmod-debug's module on build/guest-debug's kernel, in a 1 GiB guest.
# DEBUG_FAIL_PERCENT of the fuzzer's slab and page allocations fail.
DEBUG_FUZZ_CALLS	?= 20000
DEBUG_FAIL_PERCENT	?= 5
DEBUG_SOAK_SECONDS	?= 60
DEBUG_TIMEOUT		?= 7200
check-debug: all $(KMOD_DEBUG)
	$(TOP)/tests/run-tests.sh --debug-kernel --array $(GUEST_ARRAY) --timeout $(DEBUG_TIMEOUT) \
		-- --fuzz-calls $(DEBUG_FUZZ_CALLS) --fuzz-seed $(FUZZ_SEED) \
		--fail-percent $(DEBUG_FAIL_PERCENT) --soak-seconds $(DEBUG_SOAK_SECONDS)

# libFuzzer targets of the library (fuzz/lib_*.c) with the library's
# sources, under ASan + UBSan; clang's libFuzzer runtime comes with
# libclang-rt-14-dev (scripts/setup.sh).  test_libfuzz runs each for
# FUZZ_SECONDS in the host tests (make check).
LIBFUZZ_CC	?= clang
FUZZ_SECONDS	?= 10
LIBFUZZ_NAMES	:= $(sort $(basename $(notdir $(wildcard $(TOP)/fuzz/lib_*.c))))
LIBFUZZ_BINS	:= $(addprefix $(FUZZ_DIR)/,$(LIBFUZZ_NAMES))
LIBFUZZ_TEST	:= $(LIB_TEST_DIR)/test_libfuzz

LIBFUZZ_CFLAGS	:= -g -O1 -Wall -Wextra -Werror -std=gnu11 -D_GNU_SOURCE \
		   -I$(TOP)/include -I$(TOP)/lib $(LIB_PRIV_CFLAGS) $(LIB_PKG_CFLAGS) -fno-sanitize-recover=all
# The library's objects, instrumented for coverage and sanitized like the targets.
LIBFUZZ_OBJS	:= $(patsubst $(TOP)/lib/%.c,$(LIB_DIR)/fuzz/%.o,$(LIB_SRCS))

$(LIB_DIR)/fuzz/%.o: $(TOP)/lib/%.c
	@mkdir -p $(@D)
	$(LIBFUZZ_CC) $(LIBFUZZ_CFLAGS) -fsanitize=fuzzer-no-link,address,undefined \
		$(DEPFLAGS) -c $< -o $@

$(LIBFUZZ_BINS): $(FUZZ_DIR)/lib_%: $(TOP)/fuzz/lib_%.c $(LIBFUZZ_OBJS)
	@mkdir -p $(@D)
	$(LIBFUZZ_CC) $(LIBFUZZ_CFLAGS) -fsanitize=fuzzer,address,undefined $(DEPFLAGS) \
		-o $@ $< $(LIBFUZZ_OBJS) $(LIB_PKG_LIBS) -lm

-include $(wildcard $(LIBFUZZ_OBJS:=.d) $(LIBFUZZ_BINS:=.d))
$(call without_deps,$(LIBFUZZ_OBJS) $(LIBFUZZ_BINS)): FORCE

$(LIBFUZZ_TEST): $(TOP)/fuzz/test_libfuzz.sh $(LIBFUZZ_BINS)
	@mkdir -p $(@D)
	sed 's|^top=.*|top=$(TOP)|' $< > $@
	chmod +x $@

LIB_TEST_PROGS	+= $(LIBFUZZ_TEST)
all: $(LIBFUZZ_TEST)
check-lib: $(LIBFUZZ_TEST)

fuzz-lib: $(LIBFUZZ_TEST)
	FUZZ_SECONDS=$(FUZZ_SECONDS) $(LIBFUZZ_TEST)

$(GUEST_TEST_DIR)/rel_soak_slice: LIB_LINK += -lpthread
