# driver/driver.mk: qaccel.ko, built out of tree by each guest kernel's
# kbuild, and its style checks.
#
#   make driver        build/kmod/driver/qaccel.ko for the default kernel
#                      (KREL, KDIR), build/kmod-REL/driver/qaccel.ko for each
#                      other release in build/guest/kernel-releases
#   make driver-lint   checkpatch --strict, and sparse over every build
#                      (part of make lint)
#   make kmod-debug    build/kmod-debug/driver/qaccel.ko for the debug kernel
#                      (build/guest-debug, make debug-kernel)
#
# Kbuild tracks the module's header dependencies itself; the two shared
# headers are listed so that a change to the interface rebuilds it.  One
# source builds on every release: what differs lives in qaccel_compat.h.

KMOD_DIR := $(BUILD)/kmod
DRIVER_SRCS := $(wildcard $(TOP)/driver/*.c $(TOP)/driver/*.h) $(TOP)/driver/Kbuild
DRIVER_SHARED_HDRS := $(TOP)/include/qaccel_hw.h $(TOP)/include/uapi/drm/qaccel_drm.h
# The releases scripts/setup.sh prepared (the default first).  With KDIR
# given on the command line only that tree is built.
KRELS_FILE := $(BUILD)/guest/kernel-releases
KRELS ?= $(if $(filter command line,$(origin KDIR)),$(KREL),$(shell cat $(KRELS_FILE) 2>/dev/null))
KRELS_OTHER := $(filter-out $(KREL),$(KRELS))
KMOD_OTHER := $(foreach r,$(KRELS_OTHER),$(BUILD)/kmod-$(r)/driver/qaccel.ko)

.PHONY: driver driver-lint
driver: $(KMOD_DIR)/driver/qaccel.ko $(KMOD_OTHER)
all: driver

# kmod_build DIR KDIR: the module tree under DIR (links to the sources),
# built by KDIR's kbuild.
define kmod_build
	@mkdir -p $(1)/driver
	@ln -sfn $(TOP)/include $(1)/include
	@ln -sf $(TOP)/Kbuild $(1)/Kbuild
	@for f in $(DRIVER_SRCS); do ln -sf $$f $(1)/driver/; done
	+$(MAKE) -C $(2) M=$(1) modules
endef

$(KMOD_DIR)/driver/qaccel.ko: $(DRIVER_SRCS) $(TOP)/Kbuild $(DRIVER_SHARED_HDRS)
	$(call kmod_build,$(KMOD_DIR),$(KDIR))

$(BUILD)/kmod-%/driver/qaccel.ko: $(DRIVER_SRCS) $(TOP)/Kbuild $(DRIVER_SHARED_HDRS)
	$(call kmod_build,$(BUILD)/kmod-$*,/usr/src/linux-headers-$*)

# The module for the debug kernel (make debug-kernel, scripts/debug-kernel.sh):
# built by that kernel's own build tree, for sim/qaccel-vm --debug-kernel and
# make check-debug (tests/reliability.mk).
KDIR_DEBUG := $(BUILD)/guest-debug/obj
KMOD_DEBUG := $(BUILD)/kmod-debug/driver/qaccel.ko
.PHONY: kmod-debug
kmod-debug: $(KMOD_DEBUG)
$(KMOD_DEBUG): $(DRIVER_SRCS) $(TOP)/Kbuild $(DRIVER_SHARED_HDRS) $(BUILD)/guest-debug/vmlinux
	$(call kmod_build,$(BUILD)/kmod-debug,$(KDIR_DEBUG))
$(BUILD)/guest-debug/vmlinux:
	@echo "no debug kernel in $(@D): make debug-kernel (about an hour)" >&2; exit 1

CHECKPATCH := $(KSRC)/scripts/checkpatch.pl
# The two shared headers are also compiled in user space (lib/, sim/, tests,
# the RTL interface check), where BIT() and u32 do not exist: checkpatch
# skips exactly those checks (and _Static_assert's "CamelCase") there.
# Sparse runs over each release's module tree as its build laid it out
# (C=2 checks every file, built or not): what qaccel_compat.h selects differs
# between them.  A failing build fails the check as well.
# qaccel_compat.h is the one file that must test the kernel version, so the
# version checks are allowed there and nowhere else.
COMPAT_HDR := $(TOP)/driver/qaccel_compat.h
driver-lint: driver
	$(CHECKPATCH) --no-tree --strict --terse \
		-f $(filter-out $(COMPAT_HDR),$(wildcard $(TOP)/driver/*.c $(TOP)/driver/*.h))
	$(CHECKPATCH) --no-tree --strict --terse --ignore LINUX_VERSION_CODE,CONSTANT_COMPARISON \
		-f $(COMPAT_HDR)
	$(CHECKPATCH) --no-tree --strict --terse --ignore BIT_MACRO,PREFER_KERNEL_TYPES,CAMELCASE \
		-f $(DRIVER_SHARED_HDRS)
	@set -e; for r in default $(KRELS_OTHER); do \
		if [ $$r = default ]; then kdir=$(KDIR); mdir=$(KMOD_DIR); log=$(BUILD)/sparse.log; \
		else kdir=/usr/src/linux-headers-$$r; mdir=$(BUILD)/kmod-$$r; log=$(BUILD)/sparse-$$r.log; fi; \
		echo "sparse: $$r"; \
		status=0; $(MAKE) -C $$kdir M=$$mdir C=2 CHECK="sparse -Wno-decl" modules >$$log 2>&1 || status=$$?; \
		cat $$log; [ $$status = 0 ] || exit 1; \
		if grep -qE 'warning:|error:' $$log; then exit 1; fi; \
	done
lint: driver-lint
