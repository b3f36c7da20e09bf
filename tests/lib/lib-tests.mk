# Host tests of libqaccel and its CPU reference (no device needed).  Each
# program is built twice: against the static library as shipped, and with
# AddressSanitizer + UndefinedBehaviorSanitizer over the library sources.

# Every tests/lib/*.c is one program; test_requant_oracles has its own
# rules below.
LIB_TEST_NAMES	:= $(filter-out test_requant_oracles, \
		     $(sort $(basename $(notdir $(wildcard $(TOP)/tests/lib/*.c)))))
LIB_TEST_DIR	:= $(BUILD)/tests/lib
LIB_TEST_CFLAGS	:= $(LIB_CFLAGS) -isystem $(KSFT)
LIB_SAN_FLAGS	:= -O1 -fsanitize=address,undefined -fno-sanitize-recover=all \
		   -fno-omit-frame-pointer

LIB_TEST_PROGS	:= $(addprefix $(LIB_TEST_DIR)/,$(LIB_TEST_NAMES)) \
		   $(addprefix $(LIB_TEST_DIR)/asan/,$(LIB_TEST_NAMES))

# The library's objects for the sanitized programs, built with them.
LIB_ASAN_OBJS	:= $(patsubst $(TOP)/lib/%.c,$(LIB_DIR)/asan/%.o,$(LIB_SRCS))

$(addprefix $(LIB_TEST_DIR)/,$(LIB_TEST_NAMES)): $(LIB_TEST_DIR)/%: $(TOP)/tests/lib/%.c $(LIB_A)
	@mkdir -p $(@D)
	$(CC) $(LIB_TEST_CFLAGS) $(DEPFLAGS) -o $@ $< $(LIB_LINK)

$(LIB_DIR)/asan/%.o: $(TOP)/lib/%.c
	@mkdir -p $(@D)
	$(CC) $(LIB_CFLAGS) $(LIB_SAN_FLAGS) $(DEPFLAGS) -c $< -o $@

$(addprefix $(LIB_TEST_DIR)/asan/,$(LIB_TEST_NAMES)): $(LIB_TEST_DIR)/asan/%: $(TOP)/tests/lib/%.c \
		$(LIB_ASAN_OBJS)
	@mkdir -p $(@D)
	$(CC) $(LIB_TEST_CFLAGS) $(LIB_SAN_FLAGS) $(DEPFLAGS) -o $@ $< $(LIB_ASAN_OBJS) \
		$(LIB_PKG_LIBS)

-include $(wildcard $(LIB_TEST_PROGS:=.d) $(LIB_ASAN_OBJS:=.d))
$(call without_deps,$(LIB_TEST_PROGS) $(LIB_ASAN_OBJS)): FORCE

.PHONY: check-lib
check-lib: $(LIB_TEST_PROGS)
	$(TOP)/tests/run-tests.sh --no-guest $(LIB_TEST_PROGS)

# `make install` into a temporary DESTDIR (a KTAP shell script; it needs the
# tools and man pages, so it is not one of the C programs above).
LIB_TEST_PROGS	+= $(LIB_TEST_DIR)/test_install
$(LIB_TEST_DIR)/test_install: $(TOP)/tests/lib/test_install.sh $(LIB_SO) $(LIB_A) $(TOOLS)
	@mkdir -p $(@D)
	sed 's|^top=.*|top=$(TOP)|' $< > $@
	chmod +x $@

# The exported symbols against lib/libqaccel.map and the public headers'
# declarations (a KTAP shell script, like test_install).
LIB_TEST_PROGS	+= $(LIB_TEST_DIR)/test_exports
$(LIB_TEST_DIR)/test_exports: $(TOP)/tests/lib/test_exports.sh $(LIB_SO)
	@mkdir -p $(@D)
	sed -e 's|^top=.*|top=$(TOP)|' -e 's|^headers=.*|headers="$(LIB_PUBLIC_HDRS)"|' \
	    -e 's|^so=.*|so=$(LIB_SO)|' $< > $@
	chmod +x $@

# The requantization families against outside implementations: gemmlowp
# (one C++ file, built with -fwrapv like gemmlowp's SIMD paths wrap),
# XNNPACK (Debian's libXNNPACK.so) and ONNX Runtime (npm onnxruntime-node in
# $(BUILD)/onnxruntime-node, run by node; scripts/setup.sh installs it).
ORT_DIR		:= $(BUILD)/onnxruntime-node
RQO_DEFS	:= -DORT_DIR='"$(ORT_DIR)"' \
		   -DORT_SCRIPT='"$(TOP)/tests/lib/requant_oracle_ort.js"'
RQO_GEMMLOWP_O	:= $(LIB_TEST_DIR)/requant_oracle_gemmlowp.o
RQO_PROGS	:= $(LIB_TEST_DIR)/test_requant_oracles $(LIB_TEST_DIR)/asan/test_requant_oracles
LIB_TEST_PROGS	+= $(RQO_PROGS)

$(RQO_GEMMLOWP_O): $(TOP)/tests/lib/requant_oracle_gemmlowp.cpp
	@mkdir -p $(@D)
	$(CXX) -O2 -g -Wall -Wextra -Werror -fwrapv -I$(TOP)/tests/lib $(DEPFLAGS) -c -o $@ $<

$(LIB_TEST_DIR)/test_requant_oracles: $(TOP)/tests/lib/test_requant_oracles.c $(RQO_GEMMLOWP_O) $(LIB_A)
	@mkdir -p $(@D)
	$(CC) $(LIB_TEST_CFLAGS) $(RQO_DEFS) $(DEPFLAGS) -o $@ $< $(RQO_GEMMLOWP_O) $(LIB_LINK) \
		-lXNNPACK -lstdc++ -lm

$(LIB_TEST_DIR)/asan/test_requant_oracles: $(TOP)/tests/lib/test_requant_oracles.c \
		$(RQO_GEMMLOWP_O) $(LIB_ASAN_OBJS)
	@mkdir -p $(@D)
	$(CC) $(LIB_TEST_CFLAGS) $(LIB_SAN_FLAGS) $(RQO_DEFS) $(DEPFLAGS) -o $@ $< \
		$(LIB_ASAN_OBJS) $(RQO_GEMMLOWP_O) $(LIB_PKG_LIBS) -lXNNPACK -lstdc++ -lm

-include $(wildcard $(RQO_PROGS:=.d) $(RQO_GEMMLOWP_O:=.d))
$(call without_deps,$(RQO_PROGS) $(RQO_GEMMLOWP_O)): FORCE
