# bench/bench.mk: benchmarks (not part of `all` or `check`).
#
#   make bench         everything in one run (docs/performance.md): the RTL
#                      GEMM suite (bench-hw), the CPU comparison (bench-cpu),
#                      the submission path in the guest (bench-submit), then
#                      $(BUILD)/bench/results.json, summary.md and *.png
#                      (bench/bench_report.c).  BENCH_QUICK=1: a fast
#                      pass (small shapes, fewer jobs); BENCH_BIG=1: every
#                      shape at every array size (over an hour).
#   make bench-cpu     the suite's int8 GEMMs on the host CPU: qaccel_ref,
#                      gemmlowp, oneDNN (one thread); fails on any result
#                      that differs from qaccel_ref_gemm()
#   make bench-submit  tools/qaccel-bench --json in the guest (qaccel-vm)
#
#   make bench-hw      GEMMs on the RTL of every size in BENCH_ARRAYS, on the
#                      host; writes $(BUILD)/bench/hw.json (one object per run)
#                      and $(BUILD)/bench/hw.txt (the summary table)
#
#   make sweep         design-space sweep on the RTL: every array size x
#                      memory bandwidth x memory latency of the grid runs the
#                      workload list (one bench_hw per grid point, GNU
#                      parallel over the local cores or SWEEP_SSHLOGINFILE's
#                      machines); $(BUILD)/sweep/sweep.json, summary.md and
#                      *.png (bench/sweep.sh, docs/performance.md)
#
# BENCH_HW_ARGS goes to every bench_hw (e.g. --quick, --big, --out int8,
# --shapes 96x96x96); see `bench_hw --help`.  BENCH_REQUANT=gemmlowp|single|fp32
# runs int8 outputs with that requantization family (--out int8 --requant F).  The 32x32 model is built here
# even when ARRAYS leaves it out (it is too slow for every `make check`).

BENCH_DIR	:= $(BUILD)/bench
BENCH_ARRAYS	?= 4x4 16x16 32x32
BENCH_QUICK	?=
BENCH_BIG	?=
BENCH_REQUANT	?=
BENCH_HW_ARGS	?= $(if $(BENCH_QUICK),--quick,$(if $(BENCH_BIG),--big)) \
		   $(if $(BENCH_REQUANT),--out int8 --requant $(BENCH_REQUANT))
BENCH_CPU_ARGS	?= $(if $(BENCH_QUICK),--quick)
BENCH_SUBMIT_ARGS ?= $(if $(BENCH_QUICK),--quick)
# The submission benchmark's device: the fastest model to simulate (a NOP
# or a tiny GEMM does not need a big array, and the simulator's speed bounds
# the jobs per second; docs/performance.md).
BENCH_SUBMIT_ARRAY ?= 4x4
BENCH_CMD	= make bench$(if $(BENCH_QUICK), BENCH_QUICK=1)$(if $(BENCH_BIG), BENCH_BIG=1)

# The design-space sweep (bench/sweep.sh): the grid's axes and the workload
# list.  The default workload is bench_hw's default set (bench_hw.c's
# default_shapes: 64^3 to 512^3, the Fashion-MNIST MLP's layers at batch
# 256, the transformer projection, batch-1) and the Fashion-MNIST CNN's two
# convolutions as their im2col GEMMs at batch 64 (conv 1->8 5x5 on 28x28:
# M = 576 x 64, N = 8, K = 25; conv 8->16 5x5 on 12x12: M = 64 x 64, N = 16,
# K = 200; at batch 256 the first would exceed QACCEL_MAX_DIM).  About 7
# minutes on 2 quiet cores (401 s measured, docs/performance.md); SWEEP_QUICK=1
# is a tiny grid for a smoke test.
SWEEP_QUICK	?=
ifneq ($(SWEEP_QUICK),)
SWEEP_ARRAYS	?= 4x4 8x8
SWEEP_BANDWIDTHS ?= 16 64
SWEEP_LATENCIES	?= 200
SWEEP_SHAPES	?= 64x64x64,256x10x128
else
SWEEP_ARRAYS	?= 4x4 8x8 16x16
SWEEP_BANDWIDTHS ?= 8 16 32 64
SWEEP_LATENCIES	?= 50 200 800
SWEEP_SHAPES	?= 64x64x64,128x128x128,256x256x256,512x512x512,256x256x784,256x128x256,$\
		   256x10x128,128x768x3072,1x1024x1024,1x4096x4096,36864x8x25,4096x16x200
endif
SWEEP_JOBS	?=
SWEEP_SSHLOGINFILE ?=

# Models sim/sim.mk does not already build for ARRAYS (with assertions, for
# the tests), and the models bench_hw runs: without them (sim/sim.mk), for
# every size the GEMM suite or the sweep runs.
BENCH_MODEL_ARRAYS := $(BENCH_ARRAYS) $(filter-out $(BENCH_ARRAYS),$(SWEEP_ARRAYS))
$(foreach a,$(filter-out $(ARRAYS),$(BENCH_ARRAYS)),$(eval $(call qsim_model_rules,$(a),$(a),$(QSIM_ASSERT),)))

# Profile feedback (QSIM_PGO=1, the default for the benchmark models only):
# the model's C++ is built once instrumented (RxC-pgogen), a bench_hw linked
# with it runs QSIM_PGO_SHAPES, and the benchmark model is built with that
# profile (gcc -fprofile-use; -fprofile-prefix-path makes the profile's file
# names relative, so the two builds can live in different directories).
# The training shapes are kept out of bench_hw's default set.  The models of
# the tests and the guest are built without it (it doubles a model's build
# time); docs/performance.md, "Simulator speed", has the figures.
QSIM_PGO	?= 1
QSIM_PGO_SHAPES	?= 96x96x96,200x40x300,160x160x520,1x1000x1000
qsim_pgo_dir = $(BUILD)/sim/$(1)-bench/prof
qsim_pgo_gen = -fprofile-generate -fprofile-update=single -fprofile-dir=$(call qsim_pgo_dir,$(1)) \
	       -fprofile-prefix-path=$(BUILD)/sim/$(1)-pgogen
qsim_pgo_use = -fprofile-use -fprofile-partial-training -fprofile-dir=$(call qsim_pgo_dir,$(1)) \
	       -fprofile-prefix-path=$(BUILD)/sim/$(1)-bench -Wno-missing-profile

define bench_pgo_rules
$(call qsim_model_rules,$(1),$(1)-pgogen,,,$(call qsim_pgo_gen,$(1)),)
$(call qsim_model_rules,$(1),$(1)-bench,,,$(call qsim_pgo_use,$(1)),$(call qsim_pgo_dir,$(1))/stamp)

$(BUILD)/sim/$(1)-pgogen/bench_train: $(TOP)/bench/bench_hw.c $(BUILD)/sim/$(1)-pgogen/libqsim.a
	$$(CC) $$(CFLAGS_COMMON) $$(JSON_CFLAGS) -I$(TOP)/sim $(TOP)/bench/bench_hw.c $$(JSON_LIBS) \
		$(BUILD)/sim/$(1)-pgogen/libqsim.a $$(QSIM_LDLIBS) -lgcov -o $$@

$(call qsim_pgo_dir,$(1))/stamp: $(BUILD)/sim/$(1)-pgogen/bench_train
	@rm -rf $$(@D)
	@mkdir -p $$(@D)
	$$< --shapes $$(QSIM_PGO_SHAPES) >$$(@D)/train.log || { cat $$(@D)/train.log; exit 1; }
	@touch $$@
endef
ifeq ($(QSIM_PGO),1)
$(foreach a,$(BENCH_MODEL_ARRAYS),$(eval $(call bench_pgo_rules,$(a))))
else
$(foreach a,$(BENCH_MODEL_ARRAYS),$(eval $(call qsim_model_rules,$(a),$(a)-bench,,)))
endif

# bench_hw.c's object comes before jansson on the link line, then the model.
define bench_hw_rules
$(BENCH_DIR)/$(1)/bench_hw: $(TOP)/bench/bench_hw.c $(call qsim_bench_lib,$(1))
	@mkdir -p $$(@D)
	$$(CC) $$(CFLAGS_COMMON) $$(JSON_CFLAGS) $$(DEPFLAGS) -I$(TOP)/sim \
		$(TOP)/bench/bench_hw.c $$(JSON_LIBS) \
		$(call qsim_bench_lib,$(1)) $$(QSIM_LDLIBS) -o $$@
endef
$(foreach a,$(BENCH_MODEL_ARRAYS),$(eval $(call bench_hw_rules,$(a))))

BENCH_HW_PROGS := $(foreach a,$(BENCH_ARRAYS),$(BENCH_DIR)/$(a)/bench_hw)
SWEEP_PROGS := $(foreach a,$(SWEEP_ARRAYS),$(BENCH_DIR)/$(a)/bench_hw)
BENCH_MODEL_PROGS := $(foreach a,$(BENCH_MODEL_ARRAYS),$(BENCH_DIR)/$(a)/bench_hw)
-include $(wildcard $(BENCH_MODEL_PROGS:=.d))
$(call without_deps,$(BENCH_MODEL_PROGS)): FORCE

# The sizes run one after another (each is single-threaded, and a second
# simulation would only steal the core the first one measures on).  A size
# that fails (wrong result, hang) fails the target after the others ran.
.PHONY: bench-hw
bench-hw: $(BENCH_HW_PROGS)
	@rm -f $(BENCH_DIR)/hw.json $(BENCH_DIR)/hw.txt
	@fail=0; for a in $(BENCH_ARRAYS); do \
		{ $(BENCH_DIR)/$$a/bench_hw --array $$a --json $(BENCH_DIR)/hw.json --append \
			$(BENCH_HW_ARGS); echo $$? >$(BENCH_DIR)/$$a/status; } \
			| tee $(BENCH_DIR)/$$a/hw.txt; \
		[ "$$(cat $(BENCH_DIR)/$$a/status)" = 0 ] || fail=1; \
		if [ -f $(BENCH_DIR)/hw.txt ]; then tail -n +2 $(BENCH_DIR)/$$a/hw.txt; \
		else cat $(BENCH_DIR)/$$a/hw.txt; fi >>$(BENCH_DIR)/hw.txt; \
	done; \
	echo "== summary ($(BENCH_DIR)/hw.txt, runs in $(BENCH_DIR)/hw.json)"; \
	cat $(BENCH_DIR)/hw.txt; exit $$fail

# The CPU comparison.  bench_gemmlowp.cpp is the only C++ here: gemmlowp is
# header-only C++, so it needs a thin extern "C" wrapper.
BENCH_CXXFLAGS := $(filter-out -std=gnu11,$(CFLAGS_COMMON)) -std=gnu++17

$(BENCH_DIR)/bench_gemmlowp.o: $(TOP)/bench/bench_gemmlowp.cpp
	@mkdir -p $(@D)
	$(CXX) $(BENCH_CXXFLAGS) $(DEPFLAGS) -c $< -o $@

# The reference GEMM comes from the static library (only qaccel_ref.o is
# linked in: it needs neither libdrm nor liburing).
$(BENCH_DIR)/bench_cpu: $(TOP)/bench/bench_cpu.c $(BENCH_DIR)/bench_gemmlowp.o $(LIB_A)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS_COMMON) $(JSON_CFLAGS) $(DEPFLAGS) $(TOP)/bench/bench_cpu.c \
		$(BENCH_DIR)/bench_gemmlowp.o $(LIB_A) $(JSON_LIBS) -ldnnl -lstdc++ -pthread -o $@

# One thread for oneDNN (its OpenMP runtime reads this at start-up), like
# gemmlowp and the reference.
.PHONY: bench-cpu
bench-cpu: $(BENCH_DIR)/bench_cpu
	OMP_NUM_THREADS=1 $(BENCH_DIR)/bench_cpu --json $(BENCH_DIR)/cpu.jsonl $(BENCH_CPU_ARGS) \
		| tee $(BENCH_DIR)/cpu.txt

# Merges the runs into results.json, summary.md and the plots (gnuplot).
$(BENCH_DIR)/bench_report: $(TOP)/bench/bench_report.c
	@mkdir -p $(@D)
	$(CC) $(CFLAGS_COMMON) $(JSON_CFLAGS) $(DEPFLAGS) $< -o $@ $(JSON_LIBS)

BENCH_HOST_PROGS := $(addprefix $(BENCH_DIR)/,bench_gemmlowp.o bench_cpu bench_report)
-include $(wildcard $(BENCH_HOST_PROGS:=.d))
$(call without_deps,$(BENCH_HOST_PROGS)): FORCE

# The guest sees the tree at the same path, so qaccel-bench writes its JSON
# straight into $(BENCH_DIR).  One guest boot per device: the RTL at each
# memory latency in BENCH_SUBMIT_LATENCIES (200 cycles, the model's default,
# shows the whole stack, bounded by the simulated device at ~35k NOPs/s),
# and qaccel-sim's functional model (BENCH_SUBMIT_FUNCTIONAL=1), which
# answers in microseconds, so that what remains is the software path: this
# run is the one the io_uring vs ioctl comparison is about.  A boot that
# fails before the program runs (status 125: seen under heavy host load as
# an early timer panic) is retried once.
BENCH_SUBMIT_LATENCIES ?= 200
BENCH_SUBMIT_FUNCTIONAL ?= 1
BENCH_SUBMIT_DEVICES := $(foreach l,$(BENCH_SUBMIT_LATENCIES),rtl:$(l)) \
			$(if $(filter 1,$(BENCH_SUBMIT_FUNCTIONAL)),functional:200)

# `all` builds what the guest run needs: qaccel-sim, the module, the tools.
.PHONY: bench-submit
bench-submit: all
	@rm -f $(BENCH_DIR)/submit-*.jsonl $(BENCH_DIR)/submit-*.txt
	@mkdir -p $(BENCH_DIR)
	@fail=0; for dev in $(BENCH_SUBMIT_DEVICES); do \
	    model=$${dev%%:*}; lat=$${dev#*:}; \
	    name=$(BENCH_SUBMIT_ARRAY); vmarg=; \
	    [ $$model = functional ] && { name=$$name-functional; vmarg=--functional; }; \
	    for try in 1 2; do \
		out=$(BENCH_DIR)/submit-$$name-lat$$lat; \
		echo "== qaccel-bench in the guest: $(BENCH_SUBMIT_ARRAY) $$model device, memory latency $$lat"; \
		{ $(TOP)/sim/qaccel-vm --array $(BENCH_SUBMIT_ARRAY) $$vmarg --latency $$lat -- \
			$(BUILD)/tools/qaccel-bench --json $$out.jsonl $(BENCH_SUBMIT_ARGS); \
			echo $$? >$$out.status; } | tee $$out.txt; \
		st=$$(cat $$out.status); \
		[ $$st = 125 ] && [ $$try = 1 ] && { echo "bench-submit: boot failed, retrying"; continue; }; \
		[ $$st = 0 ] || fail=1; break; \
	    done; \
	done; exit $$fail

# Every part runs even when one fails (its records are then missing from
# the report); the target fails if any part did.
.PHONY: bench
bench: $(BENCH_HW_PROGS) $(BENCH_DIR)/bench_cpu $(BENCH_DIR)/bench_report
	@start=$$(date +%s); fail=0; \
	$(MAKE) --no-print-directory bench-hw BENCH_HW_ARGS="$(BENCH_HW_ARGS)" || fail=1; \
	$(MAKE) --no-print-directory bench-cpu || fail=1; \
	$(MAKE) --no-print-directory bench-submit || fail=1; \
	$(BENCH_DIR)/bench_report $(BENCH_DIR) "$(BENCH_CMD)" || fail=1; \
	echo "== make bench: $$(( $$(date +%s) - start )) s; $(BENCH_DIR)/results.json," \
		"summary.md, *.png"; exit $$fail

# The sweep: one bench_hw per grid point, as many at a time as a machine
# has cores (SWEEP_JOBS to choose), on this machine or on the machines of
# SWEEP_SSHLOGINFILE (GNU parallel's --sshloginfile; bench/sweep.sh says what
# they need).  Every point runs even when another fails; a wrong result, a
# hang or a missing point fails the target afterwards (summary.md lists it).
SWEEP_CMD = $(strip make sweep$(if $(SWEEP_QUICK), SWEEP_QUICK=1)$(foreach v,SWEEP_ARRAYS \
	    SWEEP_BANDWIDTHS SWEEP_LATENCIES SWEEP_SHAPES SWEEP_JOBS SWEEP_SSHLOGINFILE,$\
	    $(if $(filter command line environment,$(origin $(v))), $(v)="$($(v))")))

.PHONY: sweep
sweep: $(SWEEP_PROGS) $(BENCH_DIR)/bench_report
	$(TOP)/bench/sweep.sh --build $(BUILD) --arrays "$(SWEEP_ARRAYS)" \
		--bandwidths "$(SWEEP_BANDWIDTHS)" --latencies "$(SWEEP_LATENCIES)" \
		--shapes "$(SWEEP_SHAPES)" $(if $(SWEEP_JOBS),--jobs $(SWEEP_JOBS)) \
		$(if $(SWEEP_SSHLOGINFILE),--sshloginfile $(abspath $(SWEEP_SSHLOGINFILE))) \
		--command '$(SWEEP_CMD)'
