# bench/bench.mk: benchmarks (not part of `all` or `check`).
#
#   make bench-hw      GEMMs on the RTL of every size in BENCH_ARRAYS, on the
#                      host; writes $(BUILD)/bench/hw.json (one object per run)
#                      and $(BUILD)/bench/hw.txt (the summary table)
#
# BENCH_HW_ARGS goes to every bench_hw (e.g. --quick, --big, --out int8,
# --shapes 96x96x96); see `bench_hw --help`.  The 32x32 model is built here
# even when ARRAYS leaves it out (it is too slow for every `make check`).

BENCH_DIR	:= $(BUILD)/bench
BENCH_ARRAYS	?= 4x4 16x16 32x32
BENCH_HW_ARGS	?=

# Models sim/sim.mk does not already build for ARRAYS.
$(foreach a,$(filter-out $(ARRAYS),$(BENCH_ARRAYS)),$(eval $(call qsim_model_rules,$(a),$(a),,)))

define bench_hw_rules
$(BENCH_DIR)/$(1)/bench_hw: $(TOP)/bench/bench_hw.c $(TOP)/lib/qaccel_ref.c \
		$(TOP)/lib/qaccel_ref.h $(TOP)/include/qaccel_hw.h $(TOP)/sim/qsim.h \
		$(TOP)/sim/qsim_host.h $(call qsim_lib,$(1))
	@mkdir -p $$(@D)
	$$(CC) $$(CFLAGS_COMMON) -I$(TOP)/sim $(TOP)/bench/bench_hw.c $(TOP)/lib/qaccel_ref.c \
		$(call qsim_lib,$(1)) $$(QSIM_LDLIBS) -o $$@
endef
$(foreach a,$(BENCH_ARRAYS),$(eval $(call bench_hw_rules,$(a))))

BENCH_HW_PROGS := $(foreach a,$(BENCH_ARRAYS),$(BENCH_DIR)/$(a)/bench_hw)

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
