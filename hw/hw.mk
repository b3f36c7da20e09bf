# hw/hw.mk: the RTL's own targets.
#
#   make hw-lint    verilator --lint-only -Wall on qaccel_top at every size in
#                   HW_LINT_ARRAYS (a stamp per size under build/hw/lint/);
#                   8x8 is there because `make sweep` simulates it
#
# HW_RTL lists the sources, package first (every other file imports it);
# sim/sim.mk builds the simulation models from the same directory.

VERILATOR	?= verilator
HW_RTL		:= $(TOP)/hw/rtl/qaccel_pkg.sv \
		   $(sort $(filter-out %/qaccel_pkg.sv,$(wildcard $(TOP)/hw/rtl/*.sv)))
HW_LINT_CFG	:= $(TOP)/hw/lint.vlt
HW_LINT_ARRAYS	?= 4x4 8x8 16x16 32x32

hw_rows = $(word 1,$(subst x, ,$(1)))
hw_cols = $(word 2,$(subst x, ,$(1)))

$(BUILD)/hw/lint/%.ok: $(HW_RTL) $(HW_LINT_CFG)
	@mkdir -p $(@D)
	$(VERILATOR) --lint-only -Wall --top-module qaccel_top \
		-GRows=$(call hw_rows,$*) -GCols=$(call hw_cols,$*) \
		$(HW_LINT_CFG) $(HW_RTL)
	@touch $@

.PHONY: hw-lint lint
hw-lint: $(foreach a,$(HW_LINT_ARRAYS),$(BUILD)/hw/lint/$(a).ok)
lint: hw-lint
