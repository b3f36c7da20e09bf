# tests/hw/hw-tests.mk: RTL tests on the host (Verilator, no VM).
#
#   $(BUILD)/tests/hw/iface_check        C header and SV package agree, and the
#                                        uapi's and library's copies with them
#   $(BUILD)/tests/hw/RxC/test_gemm      GEMMs, NOPs, errors, reset on the RxC model
#   $(BUILD)/tests/hw/RxC/test_func      the functional model against the RTL, on 4x4,
#                                        every RxC in ARRAYS and 32x32
#                                        (QACCEL_TEST_JOBS=N: length of its job stream);
#                                        asan/test_func: the same under ASan and UBSan
#
# HW_TEST_PROGS lists the programs tests/run-tests.sh runs: one test_gemm per
# array in ARRAYS, and on 32x32.  test_gemm takes QACCEL_TEST_ITERS=N (more random GEMMs),
# QACCEL_TEST_JOBS=N (jobs of random_jobs_500_*, default 500, 112 on 32x32)
# and QACCEL_TEST_SEED=S.  QACCEL_TEST_CYCLES_OUT=FILE (test_gemm, test_func)
# appends every completion record's timing fields, for diffing two RTL versions.
# The models carry the RTL's assertions (sim/sim.mk): a failed one aborts the
# test program, so its test fails.
#
#   make check-hw        build and run the RTL tests (ARRAYS and 32x32)
#   make check-hw-full   the same on 4x4, 16x16 and 32x32 with 500 random jobs
#                        each (32x32 alone takes minutes: see tests/README.md)

HW_TEST_DIR	:= $(BUILD)/tests/hw
HW_TEST_CFLAGS	= $(CFLAGS_COMMON) -isystem $(KSFT) -I$(TOP)/sim
HW_FULL_ARRAYS	?= 4x4 16x16 32x32
HW_FULL_JOBS	?= 500

# iface_dump prints the package constants; verilator --binary builds it.
$(HW_TEST_DIR)/iface_dump/Viface_dump: $(TOP)/hw/rtl/qaccel_pkg.sv $(TOP)/tests/hw/iface_dump.sv
	@rm -rf $(@D)
	@mkdir -p $(@D)
	+$(VERILATOR) --binary -Wall --top-module iface_dump --Mdir $(@D) \
		-CFLAGS -O1 $^ >$(@D)/build.log || { cat $(@D)/build.log; exit 1; }

$(HW_TEST_DIR)/iface_check: $(TOP)/tests/hw/iface_check.c $(TOP)/include/qaccel_hw.h \
		$(TOP)/include/uapi/drm/qaccel_drm.h $(TOP)/lib/qaccel.h $(TOP)/lib/qaccel_ref.h \
		$(HW_TEST_DIR)/iface_dump/Viface_dump
	@mkdir -p $(@D)
	$(CC) $(HW_TEST_CFLAGS) $(LIB_PKG_CFLAGS) -DIFACE_DUMP='"$(HW_TEST_DIR)/iface_dump/Viface_dump"' \
		-DQACCEL_PKG='"$(TOP)/hw/rtl/qaccel_pkg.sv"' $< -o $@

define hw_test_gemm_rules
$(HW_TEST_DIR)/$(1)/test_gemm: $(TOP)/tests/hw/test_gemm.c \
		$(TOP)/lib/qaccel_ref.h $(TOP)/include/qaccel_hw.h $(TOP)/sim/qsim.h \
		$(TOP)/sim/qsim_host.h $(TOP)/tests/hw/hw_test_common.h \
		$(call qsim_lib,$(1))
	@mkdir -p $$(@D)
	$$(CC) $$(HW_TEST_CFLAGS) $(TOP)/tests/hw/test_gemm.c \
		$(call qsim_lib,$(1)) $$(QSIM_LDLIBS) -o $$@
endef

# 32x32 is tested whatever ARRAYS says: every array size is tested.
# sim.mk makes model rules for ARRAYS only; the 32x32 model's rules come
# from bench/bench.mk (BENCH_ARRAYS), which is read after this file.  Its
# model costs ~1 min of CPU per RTL change, its test ~1 min.
# HW_TEST_ARRAYS= (empty) on the command line leaves it out.
HW_TEST_ARRAYS	?= 32x32
HW_EXTRA_ARRAYS	:= $(filter-out $(ARRAYS),$(HW_TEST_ARRAYS))

$(foreach a,$(ARRAYS) $(HW_EXTRA_ARRAYS),$(eval $(call hw_test_gemm_rules,$(a))))

HW_TEST_PROGS := $(HW_TEST_DIR)/iface_check \
		 $(foreach a,$(ARRAYS) $(HW_EXTRA_ARRAYS),$(HW_TEST_DIR)/$(a)/test_gemm)

# The functional model against the RTL: 4x4, whatever ARRAYS says.  The
# asan/ build compiles every C source of the device (the model, the bus and
# clock code, qsim_host, the reference) with the sanitizers and takes only
# the Verilated objects from the library.
HW_FUNC_DEPS	:= $(TOP)/tests/hw/test_func.c $(TOP)/tests/hw/hw_test_common.h \
		   $(TOP)/lib/qaccel_ref.h $(TOP)/include/qaccel_hw.h \
		   $(TOP)/sim/qsim.h $(TOP)/sim/qsim_host.h $(call qsim_lib,4x4)
HW_FUNC_SAN_SRCS := $(TOP)/sim/qsim.c $(QSIM_FUNC_SRCS) $(TOP)/sim/qsim_host.c \
		   $(TOP)/lib/qaccel_ref.c
HW_SAN_FLAGS	:= -O1 -fsanitize=address,undefined -fno-sanitize-recover=all \
		   -fno-omit-frame-pointer

define hw_test_func_rules
$(HW_TEST_DIR)/$(1)/test_func: $(filter-out $(call qsim_lib,4x4),$(HW_FUNC_DEPS)) $(call qsim_lib,$(1))
	@mkdir -p $$(@D)
	$$(CC) $$(HW_TEST_CFLAGS) $$< $(call qsim_lib,$(1)) $$(QSIM_LDLIBS) -o $$@
endef
$(foreach a,$(sort 4x4 $(ARRAYS) $(HW_EXTRA_ARRAYS)),$(eval $(call hw_test_func_rules,$(a))))

$(HW_TEST_DIR)/4x4/asan/test_func: $(HW_FUNC_DEPS) $(HW_FUNC_SAN_SRCS) $(QSIM_FUNC_HDRS)
	@mkdir -p $(@D)
	$(CC) $(HW_TEST_CFLAGS) $(HW_SAN_FLAGS) -DQSIM_ROWS=4 -DQSIM_COLS=4 $< \
		$(HW_FUNC_SAN_SRCS) $(call qsim_lib,4x4) $(QSIM_LDLIBS) -o $@
# 4x4 has no GEMV datapath: the functional model's GEMV tiles are checked
# at every other size in ARRAYS (16x16 by default); its paired C rows on
# 32x32 (HW_TEST_ARRAYS).
HW_TEST_PROGS += $(foreach a,$(sort 4x4 $(ARRAYS) $(HW_EXTRA_ARRAYS)),$(HW_TEST_DIR)/$(a)/test_func) \
		 $(HW_TEST_DIR)/4x4/asan/test_func

.PHONY: hw-tests check-hw check-hw-full
hw-tests: $(HW_TEST_PROGS)

check-hw: hw-tests
	$(TOP)/tests/run-tests.sh --no-guest $(HW_TEST_PROGS)

# A sub-make, so the models of HW_FULL_ARRAYS get their rules (sim.mk makes
# them for ARRAYS only).
check-hw-full:
	QACCEL_TEST_JOBS=$(HW_FULL_JOBS) $(MAKE) ARRAYS="$(HW_FULL_ARRAYS)" check-hw
