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
ARRAY	?= 4x4

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

# --- make run: Fashion-MNIST int8 inference in the simulated machine ------
# make run [ARRAY=RxC] [IMAGES=N] [BATCH=B] [RUN_ARGS="--no-reference ..."]
#          [CNN_ARRAY=RxC] [CNN_IMAGES=N]
# (docs/quantization.md, docs/fashion-cnn.md).  Two simulated machines run
# side by side, one per core: the MLP through libqaccel's GEMMs on ARRAY
# (10,000 images in about 2.5 minutes), and the ONNX models through
# qaccel_onnx on CNN_ARRAY: the int8 CNN, every output byte against ONNX
# Runtime's, then the QDQ CNN (skipped if the runtime refuses it) and
# PyTorch's MLP, which must match too.  The CNN costs the 16x16 RTL simulation about 0.2 s of CPU per
# image, so the RTL runs the first CNN_IMAGES (cycles, utilization, bytes
# against ONNX Runtime) and then qaccel-sim's functional model, the device's
# bit-exact C model, all IMAGES (bytes against ONNX Runtime, accuracy) in
# about a minute.
# Batches of 64 keep each MLP job to a couple of seconds of simulation, far
# inside the driver's job timeout.
IMAGES	?= 10000
BATCH	?= 64
CNN_ARRAY ?= 16x16
CNN_IMAGES ?= 500
RUN_ARGS ?=
RUN_TIMEOUT ?= 3600
run: setup
	@echo "== building everything (libqaccel, driver, qaccel-sim, the examples; trains the models once)"
	$(MAKE) all fashion-torch
	@mkdir -p $(BUILD)/run
	@echo "== booting simulated machines side by side: the MLP on $(ARRAY) ($(IMAGES) test images); the ONNX models on $(CNN_ARRAY) ($(CNN_IMAGES) images on the RTL, then $(IMAGES) on the functional model)"
	@( $(TOP)/sim/qaccel-vm --array $(CNN_ARRAY) --timeout $(RUN_TIMEOUT) -- \
		$(FASHION_SRC)/run-onnx.sh $(BUILD) $(CNN_IMAGES) >$(BUILD)/run/onnx.log 2>&1; rtl=$$?; \
		echo "== the int8 CNN on qaccel-sim's functional model (the device's bit-exact C model)" \
			>>$(BUILD)/run/onnx.log; \
		$(TOP)/sim/qaccel-vm --functional --array $(CNN_ARRAY) --timeout $(RUN_TIMEOUT) -- \
			$(FASHION_ONNX_INFER) --model $(FASHION_DIR)/cnn-qop-u8.onnx \
			--expect $(FASHION_DIR)/ort/cnn-qop-u8.out --model-dir $(FASHION_DIR) \
			--images $(IMAGES) --float-pred $(FASHION_DIR)/cnn-float-predictions \
			--report $(BUILD)/run/cnn-functional.json >>$(BUILD)/run/onnx.log 2>&1; \
		echo $$(( rtl || $$? )) >$(BUILD)/run/onnx.status ) & \
	$(TOP)/sim/qaccel-vm --array $(ARRAY) --timeout $(RUN_TIMEOUT) -- \
		$(FASHION_INFER) --model-dir $(FASHION_DIR) --images $(IMAGES) \
		--batch $(BATCH) --report $(BUILD)/run/report.json $(RUN_ARGS); mlp=$$?; \
	wait; echo; cat $(BUILD)/run/onnx.log; onnx=$$(cat $(BUILD)/run/onnx.status); \
	[ $$mlp -eq 0 ] && [ "$$onnx" = 0 ]

# Keeps what set-up downloaded and unpacked (build/dl, build/guest, build/src).
clean:
	find $(BUILD) -mindepth 1 -maxdepth 1 ! -name dl ! -name guest ! -name src \
		-exec rm -rf {} +
