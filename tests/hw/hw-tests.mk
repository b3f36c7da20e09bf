# tests/hw/hw-tests.mk: RTL tests on the host (Verilator, no VM).
#
#   $(BUILD)/tests/hw/iface_check        C header and SV package agree
#   $(BUILD)/tests/hw/RxC/test_gemm      GEMMs, NOPs, errors, reset on the RxC model
#
# HW_TEST_PROGS lists the programs tests/run-tests.sh runs.  test_gemm takes
# QACCEL_TEST_ITERS=N (more random GEMMs) and QACCEL_TEST_SEED=S.

HW_TEST_DIR	:= $(BUILD)/tests/hw
HW_TEST_CFLAGS	= $(CFLAGS_COMMON) -isystem $(KSFT) -I$(TOP)/sim

# iface_dump prints the package constants; verilator --binary builds it.
$(HW_TEST_DIR)/iface_dump/Viface_dump: $(TOP)/hw/rtl/qaccel_pkg.sv $(TOP)/tests/hw/iface_dump.sv
	@rm -rf $(@D)
	@mkdir -p $(@D)
	+$(VERILATOR) --binary -Wall --top-module iface_dump --Mdir $(@D) \
		-CFLAGS -O1 $^ >$(@D)/build.log || { cat $(@D)/build.log; exit 1; }

$(HW_TEST_DIR)/iface_check: $(TOP)/tests/hw/iface_check.c $(TOP)/include/qaccel_hw.h \
		$(HW_TEST_DIR)/iface_dump/Viface_dump
	@mkdir -p $(@D)
	$(CC) $(HW_TEST_CFLAGS) -DIFACE_DUMP='"$(HW_TEST_DIR)/iface_dump/Viface_dump"' \
		-DQACCEL_PKG='"$(TOP)/hw/rtl/qaccel_pkg.sv"' $< -o $@

define hw_test_gemm_rules
$(HW_TEST_DIR)/$(1)/test_gemm: $(TOP)/tests/hw/test_gemm.c $(TOP)/lib/qaccel_ref.c \
		$(TOP)/lib/qaccel_ref.h $(TOP)/include/qaccel_hw.h $(TOP)/sim/qsim.h \
		$(TOP)/sim/qsim_host.h \
		$(call qsim_lib,$(1))
	@mkdir -p $$(@D)
	$$(CC) $$(HW_TEST_CFLAGS) $(TOP)/tests/hw/test_gemm.c $(TOP)/lib/qaccel_ref.c \
		$(call qsim_lib,$(1)) $$(QSIM_LDLIBS) -o $$@
endef
$(foreach a,$(ARRAYS),$(eval $(call hw_test_gemm_rules,$(a))))

HW_TEST_PROGS := $(HW_TEST_DIR)/iface_check \
		 $(foreach a,$(ARRAYS),$(HW_TEST_DIR)/$(a)/test_gemm)
