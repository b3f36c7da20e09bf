# sim/server.mk: qaccel-sim, the device process, one per array size.
#
# For every RxC in $(ARRAYS): $(BUILD)/sim/RxC/qaccel-sim, linked against
# that size's libqsim.a (sim/sim.mk), which holds both the Verilated RTL and
# the functional model (qaccel-sim --functional).  `make sim-trace-server` also builds
# $(BUILD)/sim/RxC-trace/qaccel-sim with FST tracing (--trace FILE.fst).
# Include after sim/sim.mk.

QACCEL_SIM_SRCS := $(TOP)/sim/qaccel-sim.c $(TOP)/sim/server_ivshmem.c
QACCEL_SIM_DEPS := $(QACCEL_SIM_SRCS) $(TOP)/sim/server_ivshmem.h $(TOP)/sim/qsim.h \
		   $(TOP)/include/qaccel_hw.h

# $(1) output directory name (RxC or RxC-trace), $(2) libqsim.a, $(3) libraries
define qaccel_sim_rules
$(BUILD)/sim/$(1)/qaccel-sim: $$(QACCEL_SIM_DEPS) $(2)
	@mkdir -p $$(@D)
	$$(CC) $$(CFLAGS_COMMON) -I$(TOP)/sim -o $$@ $$(QACCEL_SIM_SRCS) $(2) $(3)
endef

$(foreach a,$(ARRAYS),$(eval $(call qaccel_sim_rules,$(a),$(call qsim_lib,$(a)),$$(QSIM_LDLIBS))))
$(foreach a,$(ARRAYS),$(eval $(call qaccel_sim_rules,$(a)-trace,$(call qsim_trace_lib,$(a)),$$(QSIM_TRACE_LDLIBS))))

.PHONY: sim-servers sim-trace-server
sim-servers: $(foreach a,$(ARRAYS),$(BUILD)/sim/$(a)/qaccel-sim)
sim-trace-server: $(foreach a,$(ARRAYS),$(BUILD)/sim/$(a)-trace/qaccel-sim)
all: sim-servers
