# driver/driver.mk: qaccel.ko, built out of tree by the guest kernel's
# kbuild (KDIR), outputs under build/kmod; and its style checks.
#
#   make driver        build/kmod/driver/qaccel.ko
#   make driver-lint   checkpatch --strict and sparse (part of make lint)
#
# Kbuild tracks the module's header dependencies itself; the two shared
# headers are listed so that a change to the interface rebuilds it.

KMOD_DIR := $(BUILD)/kmod
DRIVER_SRCS := $(wildcard $(TOP)/driver/*.c $(TOP)/driver/*.h) $(TOP)/driver/Kbuild
DRIVER_SHARED_HDRS := $(TOP)/include/qaccel_hw.h $(TOP)/include/uapi/drm/qaccel_drm.h

.PHONY: driver driver-lint
driver: $(KMOD_DIR)/driver/qaccel.ko
all: driver

$(KMOD_DIR)/driver/qaccel.ko: $(DRIVER_SRCS) $(TOP)/Kbuild $(DRIVER_SHARED_HDRS)
	@mkdir -p $(KMOD_DIR)/driver
	@ln -sfn $(TOP)/include $(KMOD_DIR)/include
	@ln -sf $(TOP)/Kbuild $(KMOD_DIR)/Kbuild
	@for f in $(DRIVER_SRCS); do ln -sf $$f $(KMOD_DIR)/driver/; done
	$(MAKE) -C $(KDIR) M=$(KMOD_DIR) modules

CHECKPATCH := $(KSRC)/scripts/checkpatch.pl
# The two shared headers are also compiled in user space (lib/, sim/, tests,
# the RTL interface check), where BIT() and u32 do not exist: checkpatch
# skips exactly those checks (and _Static_assert's "CamelCase") there.
# Sparse runs over the module's tree as the build laid it out (C=2 checks
# every file, built or not); a failing build fails the check as well.
driver-lint: $(KMOD_DIR)/driver/qaccel.ko
	$(CHECKPATCH) --no-tree --strict --terse -f $(wildcard $(TOP)/driver/*.c $(TOP)/driver/*.h)
	$(CHECKPATCH) --no-tree --strict --terse --ignore BIT_MACRO,PREFER_KERNEL_TYPES,CAMELCASE \
		-f $(DRIVER_SHARED_HDRS)
	$(MAKE) -C $(KDIR) M=$(KMOD_DIR) C=2 CHECK="sparse -Wno-decl" modules >$(BUILD)/sparse.log 2>&1; \
		status=$$?; cat $(BUILD)/sparse.log; \
		[ $$status = 0 ] && ! grep -E 'warning:|error:' $(BUILD)/sparse.log
lint: driver-lint
