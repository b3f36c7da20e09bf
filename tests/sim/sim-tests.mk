# tests/sim: the simulator and launcher as their users drive them.
#
#   test_qaccel_vm.sh    the guest shell through tmux, tracepoint recording
#   test_trace_window    waveform trace windows on the 4x4 RTL built with
#                        tracing (make sim-trace builds the same model)

SIM_TEST_DIR	:= $(BUILD)/tests/sim
SIM_TEST_PROGS	:= $(TOP)/tests/sim/test_qaccel_vm.sh

# The trace model is built per size in ARRAYS; the test wants 4x4's.
ifneq ($(filter 4x4,$(ARRAYS)),)

$(SIM_TEST_DIR)/test_trace_window: $(TOP)/tests/sim/test_trace_window.c $(TOP)/hw/gtkwave/qaccel.gtkw \
		$(TOP)/sim/qsim.h $(TOP)/sim/qsim_host.h $(TOP)/include/qaccel_hw.h \
		$(call qsim_trace_lib,4x4)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS_COMMON) -isystem $(KSFT) -I$(TOP)/sim \
		-DQACCEL_GTKW='"$(TOP)/hw/gtkwave/qaccel.gtkw"' -o $@ $< \
		$(call qsim_trace_lib,4x4) $(QSIM_TRACE_LDLIBS)

SIM_TEST_PROGS	+= $(SIM_TEST_DIR)/test_trace_window
endif
