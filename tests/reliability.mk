# Reliability and security: the guest fuzzer, libFuzzer targets of
# the library, the soak test.  See docs/reliability.md.
#
#   make fuzz FUZZ_CALLS=1000000     qaccel-fuzz in the VM
#   make soak SOAK_SECONDS=180       N processes x M threads of checked GEMMs in the VM
#   make fuzz-lib FUZZ_SECONDS=10    the libFuzzer targets on the host
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

$(FUZZ_DIR)/qaccel-%: $(TOP)/fuzz/qaccel-%.c $(wildcard $(TOP)/tests/guest/*.h) $(LIB_A) $(LIB_HDRS)
	@mkdir -p $(@D)
	$(CC) $(LIB_CFLAGS) -o $@ $< $(LIB_LINK) -lpthread

# The slice in make check is the fuzzer itself, compiled into a KTAP program.
$(GUEST_TEST_DIR)/fuzz_slice: $(TOP)/fuzz/qaccel-fuzz.c

all: $(FUZZ_BIN) $(SOAK_BIN)

.PHONY: fuzz soak fuzz-lib
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

# libFuzzer targets of the library (fuzz/lib_*.c) with the library's
# sources, under ASan + UBSan; clang's libFuzzer runtime comes with
# libclang-rt-14-dev (scripts/setup.sh).  test_libfuzz runs each for
# FUZZ_SECONDS in the host tests (make check).
LIBFUZZ_CC	?= clang
FUZZ_SECONDS	?= 10
LIBFUZZ_NAMES	:= $(sort $(basename $(notdir $(wildcard $(TOP)/fuzz/lib_*.c))))
LIBFUZZ_BINS	:= $(addprefix $(FUZZ_DIR)/,$(LIBFUZZ_NAMES))
LIBFUZZ_TEST	:= $(LIB_TEST_DIR)/test_libfuzz

$(FUZZ_DIR)/lib_%: $(TOP)/fuzz/lib_%.c $(TOP)/fuzz/lib_fuzz_input.h $(LIB_SRCS) $(LIB_HDRS)
	@mkdir -p $(@D)
	$(LIBFUZZ_CC) -g -O1 -Wall -Wextra -Werror -std=gnu11 -D_GNU_SOURCE \
		-I$(TOP)/include -I$(TOP)/lib $(LIB_PKG_CFLAGS) \
		-fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all \
		-o $@ $< $(LIB_SRCS) $(LIB_PKG_LIBS) -lm

$(LIBFUZZ_TEST): $(TOP)/fuzz/test_libfuzz.sh $(LIBFUZZ_BINS)
	@mkdir -p $(@D)
	sed 's|^top=.*|top=$(TOP)|' $< > $@
	chmod +x $@

LIB_TEST_PROGS	+= $(LIBFUZZ_TEST)
all: $(LIBFUZZ_TEST)
check-lib: $(LIBFUZZ_TEST)

fuzz-lib: $(LIBFUZZ_TEST)
	FUZZ_SECONDS=$(FUZZ_SECONDS) $(LIBFUZZ_TEST)

# The soak slice in make check is the soak itself, compiled into a KTAP program.
$(GUEST_TEST_DIR)/rel_soak_slice: $(TOP)/fuzz/qaccel-soak.c
$(GUEST_TEST_DIR)/rel_soak_slice: LIB_LINK += -lpthread
