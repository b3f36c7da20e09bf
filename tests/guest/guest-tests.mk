# Guest tests: kselftest programs built on the host against libqaccel.a,
# run inside the QEMU guest by tests/guest/run.sh (sim/qaccel-vm).

# Every tests/guest/*.c is one program; run.sh runs them, those that take
# the device away for good last (its list "last").
GUEST_TEST_NAMES := $(sort $(basename $(notdir $(wildcard $(TOP)/tests/guest/*.c))))
GUEST_TEST_DIR	:= $(BUILD)/tests/guest
GUEST_TEST_PROGS := $(addprefix $(GUEST_TEST_DIR)/,$(GUEST_TEST_NAMES))

$(GUEST_TEST_PROGS): $(GUEST_TEST_DIR)/%: $(TOP)/tests/guest/%.c $(LIB_A)
	@mkdir -p $(@D)
	$(CC) $(LIB_CFLAGS) -isystem $(KSFT) $(DEPFLAGS) -o $@ $< $(LIB_LINK)

-include $(wildcard $(GUEST_TEST_PROGS:=.d))
$(call without_deps,$(GUEST_TEST_PROGS)): FORCE
