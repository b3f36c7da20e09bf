# Guest tests: kselftest programs built on the host against libqaccel.a,
# run inside the QEMU guest by tests/guest/run.sh (sim/qaccel-vm).

# Every tests/guest/*.c is one program; run.sh runs them, those that take
# the device away for good last (its list "last").
GUEST_TEST_NAMES := $(sort $(basename $(notdir $(wildcard $(TOP)/tests/guest/*.c))))
GUEST_TEST_DIR	:= $(BUILD)/tests/guest
GUEST_TEST_PROGS := $(addprefix $(GUEST_TEST_DIR)/,$(GUEST_TEST_NAMES))

$(GUEST_TEST_DIR)/%: $(TOP)/tests/guest/%.c $(wildcard $(TOP)/tests/guest/*.h) $(LIB_A) $(LIB_HDRS)
	@mkdir -p $(@D)
	$(CC) $(LIB_CFLAGS) -isystem $(KSFT) -o $@ $< $(LIB_LINK)
