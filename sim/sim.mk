# sim/sim.mk: the device model library, one per array size.
#
# For every RxC in $(ARRAYS) this builds $(BUILD)/sim/RxC/libqsim.a: the
# Verilated qaccel_top (hw/rtl/*.sv with -GRows=R -GCols=C), Verilator's
# runtime, the C++ shim (qsim_model.cpp), the clock and bus model (qsim.c),
# the functional model (QSIM_FUNC_SRCS: sim/qsim_func*.c, one file per RTL
# block, with lib/qaccel_ref.c, the reference it computes with) and the
# host-side driver for programs without a kernel (qsim_host.c).  Host programs take the reference from the archive too
# (one that links lib/qaccel_ref.c itself, e.g. sanitized, keeps its own: the
# archive's copy is then never pulled in).  Other
# .mk files name a library with
#     $(QSIM_LIB_4x4)            or   $(call qsim_lib,4x4)
# and link a C program against it with
#     $(CC) ... $(call qsim_lib,4x4) $(QSIM_LDLIBS)
# Include sim/qsim.h, sim/qsim_host.h (-I$(TOP)/sim).
#
# These models check the RTL's assertions (verilator --assert, QSIM_ASSERT):
# a failed one stops the simulation (abort), so the test or guest run fails.
#
# Tracing variant (not part of `all`): `make sim-trace` builds
# $(BUILD)/sim/RxC-trace/libqsim.a with FST tracing (qsim_config.trace_path);
# link it with $(QSIM_TRACE_LDLIBS).  Name it with $(call qsim_trace_lib,RxC).
#
# Benchmark variant: $(BUILD)/sim/RxC-bench/libqsim.a, the same model
# without the assertions, named $(call qsim_bench_lib,RxC); bench/bench.mk
# makes its rules and links bench_hw with it.

VERILATOR	?= verilator
QSIM_VROOT	:= $(shell $(VERILATOR) --getenv VERILATOR_ROOT 2>/dev/null)
QSIM_RTL_DIR	?= $(TOP)/hw/rtl
# The package first: every other file imports it.
QSIM_RTL	= $(QSIM_RTL_DIR)/qaccel_pkg.sv \
		  $(sort $(filter-out %/qaccel_pkg.sv,$(wildcard $(QSIM_RTL_DIR)/*.sv)))
QSIM_VFLAGS	:= --cc -O3 --x-assign fast --x-initial fast --top-module qaccel_top \
		   --prefix Vqaccel_top
QSIM_ASSERT	:= --assert
# C++ optimisation of the generated model; see sim/README.md for the
# measurements behind the choice (compile time against simulation speed).
QSIM_OPT	?= -O3
QSIM_LDLIBS	:= -lstdc++ -pthread -lm
QSIM_TRACE_LDLIBS := $(QSIM_LDLIBS) -lz
QSIM_CXXFLAGS	:= -O2 -g -Wall -Wextra -Werror -isystem $(QSIM_VROOT)/include \
		   -isystem $(QSIM_VROOT)/include/vltstd

# The functional model: every sim/qsim_func*.c, behind its private header.
QSIM_FUNC_SRCS	:= $(sort $(wildcard $(TOP)/sim/qsim_func*.c))
QSIM_FUNC_HDRS	:= $(TOP)/sim/qsim_func.h $(TOP)/sim/qsim_func_priv.h
qsim_func_objs = $(patsubst $(TOP)/sim/%.c,$(BUILD)/sim/$(1)/%.o,$(QSIM_FUNC_SRCS))

qsim_lib = $(BUILD)/sim/$(1)/libqsim.a
qsim_trace_lib = $(BUILD)/sim/$(1)-trace/libqsim.a
qsim_bench_lib = $(BUILD)/sim/$(1)-bench/libqsim.a
qsim_rows = $(word 1,$(subst x, ,$(1)))
qsim_cols = $(word 2,$(subst x, ,$(1)))

# $(1) array size RxC, $(2) output directory name, $(3) extra Verilator
# flags (--trace-fst adds the tracing runtime), $(4) extra C/C++ flags,
# $(5) extra flags for the model's fast-path C++ (profile feedback,
# bench/bench.mk), $(6) more prerequisites of the model's objects (the
# profile they are built with).
# A model depends on this file too: its Verilator flags live here.
define qsim_model_rules
$(BUILD)/sim/$(2)/obj/Vqaccel_top.mk: $$(QSIM_RTL) $(TOP)/sim/sim.mk
	@rm -rf $$(@D)
	@mkdir -p $$(@D)
	$$(VERILATOR) $$(QSIM_VFLAGS) $(3) -GRows=$(call qsim_rows,$(1)) \
		-GCols=$(call qsim_cols,$(1)) --Mdir $$(@D) $$(QSIM_RTL)

# Verilator's own makefile knows how to compile the model and its runtime.
$(BUILD)/sim/$(2)/obj/Vqaccel_top__ALL.a: $(BUILD)/sim/$(2)/obj/Vqaccel_top.mk $(6)
	$$(MAKE) -C $$(@D) -f Vqaccel_top.mk OPT_FAST="$$(QSIM_OPT) $(5)" \
		OPT_SLOW=-O1 OPT_GLOBAL=-O2 VM_PARALLEL_BUILDS=1 \
		Vqaccel_top__ALL.a verilated.o verilated_threads.o $(if $(findstring --trace-fst,$(3)),verilated_fst_c.o)

$(BUILD)/sim/$(2)/qsim_model.o: $(TOP)/sim/qsim_model.cpp $(TOP)/sim/qsim_model.h \
		$(BUILD)/sim/$(2)/obj/Vqaccel_top__ALL.a
	$$(CXX) $$(QSIM_CXXFLAGS) $(4) -I$(BUILD)/sim/$(2)/obj -I$(TOP)/sim \
		-c $$< -o $$@

$(BUILD)/sim/$(2)/qsim.o: $(TOP)/sim/qsim.c $(TOP)/sim/qsim.h $(TOP)/sim/qsim_model.h \
		$(TOP)/sim/qsim_func.h $(TOP)/include/qaccel_hw.h
	@mkdir -p $$(@D)
	$$(CC) $$(CFLAGS_COMMON) -I$(TOP)/sim -DQSIM_ROWS=$(call qsim_rows,$(1)) \
		-DQSIM_COLS=$(call qsim_cols,$(1)) -c $$< -o $$@

$(call qsim_func_objs,$(2)): $(BUILD)/sim/$(2)/%.o: $(TOP)/sim/%.c $$(QSIM_FUNC_HDRS) \
		$(TOP)/sim/qsim.h $(TOP)/lib/qaccel_ref.h $(TOP)/include/qaccel_hw.h
	@mkdir -p $$(@D)
	$$(CC) $$(CFLAGS_COMMON) -I$(TOP)/sim -c $$< -o $$@

$(BUILD)/sim/$(2)/qaccel_ref.o: $(TOP)/lib/qaccel_ref.c $(TOP)/lib/qaccel_ref.h
	@mkdir -p $$(@D)
	$$(CC) $$(CFLAGS_COMMON) -c $$< -o $$@

$(BUILD)/sim/$(2)/qsim_host.o: $(TOP)/sim/qsim_host.c $(TOP)/sim/qsim_host.h \
		$(TOP)/sim/qsim.h $(TOP)/include/qaccel_hw.h
	@mkdir -p $$(@D)
	$$(CC) $$(CFLAGS_COMMON) -I$(TOP)/sim -c $$< -o $$@

$(BUILD)/sim/$(2)/libqsim.a: $(BUILD)/sim/$(2)/obj/Vqaccel_top__ALL.a \
		$(BUILD)/sim/$(2)/qsim_model.o $(BUILD)/sim/$(2)/qsim.o \
		$(call qsim_func_objs,$(2)) $(BUILD)/sim/$(2)/qaccel_ref.o \
		$(BUILD)/sim/$(2)/qsim_host.o
	@rm -f $$@
	cd $(BUILD)/sim/$(2) && $$(AR) rcs libqsim.a qsim.o \
		$(notdir $(call qsim_func_objs,$(2))) qaccel_ref.o \
		qsim_host.o qsim_model.o \
		$$$$($$(AR) t obj/Vqaccel_top__ALL.a | sed 's|^|obj/|') \
		obj/verilated.o obj/verilated_threads.o $(if $(findstring --trace-fst,$(3)),obj/verilated_fst_c.o)
endef

$(foreach a,$(ARRAYS),$(eval QSIM_LIB_$(a) := $(call qsim_lib,$(a))))
$(foreach a,$(ARRAYS),$(eval $(call qsim_model_rules,$(a),$(a),$(QSIM_ASSERT),)))
$(foreach a,$(ARRAYS),$(eval $(call qsim_model_rules,$(a),$(a)-trace,$(QSIM_ASSERT) --trace-fst --trace-structs,-DQSIM_TRACE)))

.PHONY: sim-models sim-trace
sim-models: $(foreach a,$(ARRAYS),$(call qsim_lib,$(a)))
sim-trace: $(foreach a,$(ARRAYS),$(call qsim_trace_lib,$(a)))
all: sim-models
