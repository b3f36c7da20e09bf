# Guest tests: kselftest programs built on the host against libqaccel.a,
# run inside the QEMU guest by tests/guest/run.sh (sim/qaccel-vm).

GUEST_TEST_NAMES := gem query submit uring errors
GUEST_TEST_DIR	:= $(BUILD)/tests/guest
GUEST_TEST_PROGS := $(addprefix $(GUEST_TEST_DIR)/,$(GUEST_TEST_NAMES))

$(GUEST_TEST_DIR)/%: $(TOP)/tests/guest/%.c $(TOP)/tests/guest/guest_common.h $(LIB_A) $(LIB_HDRS)
	@mkdir -p $(@D)
	$(CC) $(LIB_CFLAGS) -isystem $(KSFT) -o $@ $< $(LIB_LINK)
