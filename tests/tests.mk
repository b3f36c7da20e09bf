# Test wiring.  Each area's .mk defines how to build its programs and lists
# them: HW_TEST_PROGS (host, Verilator), LIB_TEST_PROGS (host, library),
# GUEST_TEST_PROGS (built on the host, run in the QEMU guest by
# tests/guest/run.sh).  tests/run-tests.sh runs them all and prints the
# closing "N passed, N failed, N skipped" line.

include tests/hw/hw-tests.mk
include tests/lib/lib-tests.mk
include tests/guest/guest-tests.mk
include tests/sim/sim-tests.mk

GUEST_ARRAY ?= 4x4
GUEST_TIMEOUT ?= 900

# `tests` depends on every program of these lists in the top-level Makefile,
# after all the .mk files have added theirs.
.PHONY: check check-host check-guest tests
all: tests

check: setup
	$(MAKE) all
	$(TOP)/tests/run-tests.sh --array $(GUEST_ARRAY) --timeout $(GUEST_TIMEOUT) \
		$(HW_TEST_PROGS) $(LIB_TEST_PROGS) $(SIM_TEST_PROGS)

check-host: all
	$(TOP)/tests/run-tests.sh --no-guest $(HW_TEST_PROGS) $(LIB_TEST_PROGS)

check-guest: all
	$(TOP)/tests/run-tests.sh --array $(GUEST_ARRAY) --timeout $(GUEST_TIMEOUT) $(SIM_TEST_PROGS)
include tests/reliability.mk
