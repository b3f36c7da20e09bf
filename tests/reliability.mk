# Reliability and security (issue 8): the guest fuzzer, libFuzzer targets of
# the library, the soak test.  See docs/reliability.md.
#
#   make fuzz FUZZ_CALLS=1000000     qaccel-fuzz in the VM
#   make soak SOAK_SECONDS=180       N processes x M threads of checked GEMMs in the VM
#   make fuzz-lib FUZZ_SECONDS=10    the libFuzzer targets on the host
#
# The guest tests tests/guest/fuzz_slice.c and rel_*.c are ordinary guest
# test programs (tests/guest/guest-tests.mk); the libFuzzer runs are listed
# in RELIABILITY_TEST_PROGS for the host test list.

FUZZ_DIR	:= $(BUILD)/fuzz
FUZZ_BIN	:= $(FUZZ_DIR)/qaccel-fuzz
SOAK_BIN	:= $(FUZZ_DIR)/qaccel-soak
FUZZ_CALLS	?= 1000000
FUZZ_SEED	?= 1
SOAK_SECONDS	?= 180
SOAK_PROCS	?= 3
SOAK_THREADS	?= 2
FUZZ_VM_TIMEOUT	?= 3600

$(FUZZ_DIR)/qaccel-%: $(TOP)/fuzz/qaccel-%.c $(TOP)/tests/guest/guest_common.h $(LIB_A) $(LIB_HDRS)
	@mkdir -p $(@D)
	$(CC) $(LIB_CFLAGS) -o $@ $< $(LIB_LINK) -lpthread

# The slice in make check is the fuzzer itself, compiled into a KTAP program.
$(GUEST_TEST_DIR)/fuzz_slice: $(TOP)/fuzz/qaccel-fuzz.c

all: $(FUZZ_BIN)

.PHONY: fuzz soak fuzz-lib
fuzz: all
	$(TOP)/sim/qaccel-vm --array $(GUEST_ARRAY) --timeout $(FUZZ_VM_TIMEOUT) \
		--dmesg-file $(FUZZ_DIR)/fuzz.dmesg \
		-- $(FUZZ_BIN) --calls $(FUZZ_CALLS) --seed $(FUZZ_SEED) -v
$(GUEST_TEST_DIR)/rel_%: $(TOP)/tests/guest/rel_common.h $(TOP)/tests/guest/drv_common.h
$(GUEST_TEST_DIR)/zz_rel_%: $(TOP)/tests/guest/rel_common.h $(TOP)/tests/guest/drv_common.h
