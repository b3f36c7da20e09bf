# qaccel top-level Makefile.
#
#   make            build everything (RTL models, qaccel-sim, driver, library, tests)
#   make run        set up, build, train + quantize Fashion-MNIST, run it on the simulated accelerator
#   make check      set up, build and run every test; ends with "N passed, N failed"
#   make setup      install what is missing (Debian packages, guest kernel)
#   make lint       verilator lint, checkpatch and sparse
#   make debug-kernel  build the KASAN/lockdep/kmemleak guest kernel (once, cached)
#
# Everything generated goes under build/.  Each layer's rules live next to it:
# hw/hw.mk, sim/sim.mk and sim/server.mk, driver/driver.mk, lib/lib.mk,
# tools/tools.mk, examples/examples.mk and examples/fashion/fashion.mk,
# tests/tests.mk (with each test area's .mk), onnx/onnx.mk, bench/bench.mk.  This file holds
# what they share (paths, flags) and the commands that span layers (setup,
# run, clean); it has no build rules of its own.

TOP	:= $(abspath .)
BUILD	:= $(TOP)/build
ARRAYS	?= 4x4 16x16

CC	?= cc
CXX	?= c++
CFLAGS_COMMON := -O2 -g -Wall -Wextra -Werror -std=gnu11 -D_GNU_SOURCE \
		 -I$(TOP)/include -I$(TOP)/lib
# Header dependencies: every user-space C/C++ rule of lib, tools, examples,
# tests and bench compiles with DEPFLAGS, which writes OUTPUT.d beside its
# output, and its .mk includes those files.
DEPFLAGS = -MMD -MP -MF $@.d
# The outputs among $(1) that have no .d yet; each .mk makes them depend on
# FORCE, so that one built before its rule tracked headers is rebuilt once.
without_deps = $(filter-out $(patsubst %.d,%,$(wildcard $(addsuffix .d,$(1)))),$(1))
.PHONY: FORCE
FORCE:
# JSON in the programs that read or write it (bench, tools, examples).
JSON_CFLAGS := $(shell pkg-config --cflags jansson 2>/dev/null)
JSON_LIBS := $(shell pkg-config --libs jansson 2>/dev/null)
# Guest kernel release, resolved by scripts/setup.sh from linux-headers-amd64.
KREL_FILE := $(BUILD)/guest/kernel-release
KREL	?= $(shell cat $(KREL_FILE) 2>/dev/null)
KDIR	?= /usr/src/linux-headers-$(KREL)
KSRC	:= $(BUILD)/src/linux-source-6.1
KSFT	:= $(KSRC)/tools/testing/selftests

SUDO	:= $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: all setup run check lint clean
all:

setup:
	$(SUDO) $(TOP)/scripts/setup.sh

# The debug guest kernel (KASAN, KFENCE, lockdep, kmemleak, UBSAN, fault
# injection), built once into build/guest-debug: scripts/debug-kernel.sh.
.PHONY: debug-kernel
debug-kernel: setup
	$(SUDO) $(TOP)/scripts/debug-kernel.sh

include hw/hw.mk
include sim/sim.mk
include sim/server.mk
include driver/driver.mk
include lib/lib.mk
include tools/tools.mk
include examples/examples.mk
include examples/fashion/fashion.mk
include tests/tests.mk
# After tests/tests.mk: it adds its host tests to LIB_TEST_PROGS.
include onnx/onnx.mk
include bench/bench.mk

# Every test program, once all the .mk files have added theirs: a rule's
# prerequisites are expanded when make reads it, so tests/tests.mk's own
# `tests:` line misses any program appended later (test_exports_onnx was,
# and a clean checkout's make check then ran a script that was never built).
tests: $(HW_TEST_PROGS) $(LIB_TEST_PROGS) $(GUEST_TEST_PROGS) $(SIM_TEST_PROGS)

# --- make run: Fashion-MNIST int8 inference in the simulated machine ------
# make run [ARRAY=RxC] [IMAGES=N] [BATCH=B] [RUN_ARGS="--no-reference ..."]
#          [CNN_ARRAY=RxC] [CNN_IMAGES=N]
# (docs/quantization.md, docs/fashion-cnn.md).  Two simulated machines run
# side by side, one per core:
#  - the MLP through libqaccel's GEMMs on ARRAY (batches of BATCH; 64 keep
#    each job to a fraction of a second of simulation, far inside the
#    driver's job timeout), then, in a machine on qaccel-sim's functional
#    model (the device's bit-exact C model), the QDQ CNN and PyTorch's
#    exported MLP, every output byte against ONNX Runtime's;
#  - the int8 CNN (QOperator layout) through qaccel_onnx on CNN_ARRAY, its
#    first CNN_IMAGES images (all by default): accuracy, per-layer cycles and
#    utilization, every output byte against ONNX Runtime's.
# The CNN on the RTL is the longer half (docs/fashion-cnn.md has the times).
IMAGES	?= 10000
BATCH	?= 64
ARRAY	?= 16x16
CNN_ARRAY ?= 16x16
CNN_IMAGES ?= $(IMAGES)
RUN_ARGS ?=
RUN_TIMEOUT ?= 3600
run: setup
	@echo "== building everything (libqaccel, driver, qaccel-sim, the examples; trains the models once)"
	$(MAKE) all fashion-torch
	@mkdir -p $(BUILD)/run
	@echo "== booting two simulated machines side by side: the MLP on the $(ARRAY) RTL ($(IMAGES) test images), then the QDQ CNN and PyTorch's MLP on the functional model; the int8 CNN on the $(CNN_ARRAY) RTL ($(CNN_IMAGES) images)"
	@( $(TOP)/sim/qaccel-vm --array $(CNN_ARRAY) --timeout $(RUN_TIMEOUT) -- \
		$(FASHION_SRC)/run-onnx.sh $(BUILD) $(CNN_IMAGES) RTL cnn-qop-u8 \
		>$(BUILD)/run/onnx-rtl.log 2>&1; echo $$? >$(BUILD)/run/onnx-rtl.status ) & \
	$(TOP)/sim/qaccel-vm --array $(ARRAY) --timeout $(RUN_TIMEOUT) -- \
		$(FASHION_INFER) --model-dir $(FASHION_DIR) --images $(IMAGES) \
		--batch $(BATCH) --report $(BUILD)/run/report.json $(RUN_ARGS); mlp=$$?; \
	echo; \
	$(TOP)/sim/qaccel-vm --functional --array $(CNN_ARRAY) --timeout $(RUN_TIMEOUT) -- \
		$(FASHION_SRC)/run-onnx.sh $(BUILD) $(IMAGES) functional cnn-qdq torch-mlp-qdq; \
	func=$$?; \
	wait; cat $(BUILD)/run/onnx-rtl.log; rtl=$$(cat $(BUILD)/run/onnx-rtl.status); \
	[ $$mlp -eq 0 ] && [ $$func -eq 0 ] && [ "$$rtl" = 0 ]

# Keeps what set-up downloaded and unpacked (build/dl, build/guest, build/src).
clean:
	find $(BUILD) -mindepth 1 -maxdepth 1 ! -name dl ! -name guest ! -name src \
		-exec rm -rf {} +
