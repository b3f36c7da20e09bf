# qaccel top-level Makefile.
#
#   make            build everything (RTL models, qaccel-sim, driver, library, tests)
#   make run        set up, build, train + quantize Fashion-MNIST, run it on the simulated accelerator
#   make check      set up, build and run every test; ends with "N passed, N failed"
#   make setup      install what is missing (Debian packages, guest kernel)
#   make lint       verilator lint, checkpatch and sparse
#
# Everything generated goes under build/.  Each layer's rules live next to it
# (hw/hw.mk, sim/sim.mk, lib/lib.mk, tests/tests.mk); this file ties them up.

TOP	:= $(abspath .)
BUILD	:= $(TOP)/build
ARRAYS	?= 4x4 16x16
ARRAY	?= 4x4

CC	?= cc
CXX	?= c++
CFLAGS_COMMON := -O2 -g -Wall -Wextra -Werror -std=gnu11 -D_GNU_SOURCE \
		 -I$(TOP)/include -I$(TOP)/lib
# Guest kernel release, resolved by scripts/setup.sh from linux-headers-amd64.
KREL_FILE := $(BUILD)/guest/kernel-release
KREL	?= $(shell cat $(KREL_FILE) 2>/dev/null)
KDIR	?= /usr/src/linux-headers-$(KREL)
KSRC	:= $(BUILD)/src/linux-source-6.1
KSFT	:= $(KSRC)/tools/testing/selftests

SUDO	:= $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: all setup run check lint clean driver
all:

setup:
	$(SUDO) $(TOP)/scripts/setup.sh

include hw/hw.mk
include sim/sim.mk
include sim/server.mk
include lib/lib.mk
include tests/tests.mk
include bench/bench.mk
include examples/fashion/fashion.mk

# --- driver: built out of tree, outputs under build/kmod ------------------
KMOD_DIR := $(BUILD)/kmod
DRIVER_SRCS := $(wildcard $(TOP)/driver/*.c $(TOP)/driver/*.h) $(TOP)/driver/Kbuild

driver: $(KMOD_DIR)/driver/qaccel.ko
$(KMOD_DIR)/driver/qaccel.ko: $(DRIVER_SRCS) $(TOP)/Kbuild $(wildcard $(TOP)/include/*.h $(TOP)/include/uapi/drm/*.h)
	@mkdir -p $(KMOD_DIR)/driver
	@ln -sfn $(TOP)/include $(KMOD_DIR)/include
	@ln -sf $(TOP)/Kbuild $(KMOD_DIR)/Kbuild
	@for f in $(DRIVER_SRCS); do ln -sf $$f $(KMOD_DIR)/driver/; done
	$(MAKE) -C $(KDIR) M=$(KMOD_DIR) modules

all: driver

# --- make run: Fashion-MNIST int8 inference in the simulated machine ------
# make run [ARRAY=RxC] [IMAGES=N] [BATCH=B] [RUN_ARGS="--no-reference ..."]
# (docs/quantization.md).  The default 4x4 model classifies the 10,000
# test images in about 2 minutes; the 16x16 one simulates about 10x fewer
# cycles per second and takes about 11.  Batches of 64 keep each job to a
# couple of seconds of simulation, far inside the driver's job timeout.
IMAGES	?= 10000
BATCH	?= 64
RUN_ARGS ?=
RUN_TIMEOUT ?= 3600
run: setup
	@echo "== building everything (libqaccel, driver, qaccel-sim, the example; trains the model once)"
	$(MAKE) all
	@mkdir -p $(BUILD)/run
	@echo "== booting the simulated machine ($(ARRAY) array) and classifying $(IMAGES) test images on the accelerator"
	$(TOP)/sim/qaccel-vm --array $(ARRAY) --timeout $(RUN_TIMEOUT) -- \
		$(FASHION_INFER) --model-dir $(FASHION_DIR) --images $(IMAGES) \
		--batch $(BATCH) --report $(BUILD)/run/report.json $(RUN_ARGS)

# --- style checks ----------------------------------------------------------
CHECKPATCH := $(KSRC)/scripts/checkpatch.pl
.PHONY: driver-lint
# The two shared headers are also compiled in user space (lib/, sim/, tests,
# the RTL interface check), where BIT() and u32 do not exist: checkpatch
# skips exactly those checks (and _Static_assert's "CamelCase") there.
driver-lint:
	$(CHECKPATCH) --no-tree --strict --terse -f $(wildcard $(TOP)/driver/*.c $(TOP)/driver/*.h)
	$(CHECKPATCH) --no-tree --strict --terse --ignore BIT_MACRO,PREFER_KERNEL_TYPES,CAMELCASE \
		-f $(TOP)/include/qaccel_hw.h $(TOP)/include/uapi/drm/qaccel_drm.h
	@mkdir -p $(KMOD_DIR)
	$(MAKE) -C $(KDIR) M=$(KMOD_DIR) C=2 CHECK="sparse -Wno-decl" modules 2>&1 | tee $(BUILD)/sparse.log; \
		! grep -E 'warning:|error:' $(BUILD)/sparse.log
lint: driver-lint

# Keeps what set-up downloaded and unpacked (build/dl, build/guest, build/src).
clean:
	find $(BUILD) -mindepth 1 -maxdepth 1 ! -name dl ! -name guest ! -name src \
		-exec rm -rf {} +
