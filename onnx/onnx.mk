# onnx/onnx.mk: qaccel_onnx, the ONNX model runtime (onnx/README.md,
# docs/models.md): libqaccel_onnx.a on top of libqaccel, qaccel-run, the
# host tests, and the ONNX test cases with ONNX Runtime's outputs that the
# guest test tests/guest/onnx_models.c checks the device against.

ONNX_DIR	:= $(BUILD)/onnx
# onnx.proto as Debian's libonnx-dev ships it; protoc-c generates the
# parser into build/ (never committed).
ONNX_PROTO	?= $(firstword $(shell dpkg -L libonnx-dev 2>/dev/null | grep '/onnx\.proto$$') \
			   /usr/include/onnx/onnx.proto)
ONNX_GEN_C	:= $(ONNX_DIR)/gen/onnx.pb-c.c
ONNX_GEN_H	:= $(ONNX_DIR)/gen/onnx.pb-c.h
ONNX_PKG_CFLAGS	:= $(shell pkg-config --cflags libprotobuf-c 2>/dev/null)
ONNX_PKG_LIBS	:= $(shell pkg-config --libs libprotobuf-c 2>/dev/null || echo -lprotobuf-c) -lm
ONNX_CFLAGS	:= $(LIB_CFLAGS) $(ONNX_PKG_CFLAGS) -I$(TOP)/onnx -I$(ONNX_DIR)/gen
ONNX_SRCS	:= $(TOP)/onnx/qaccel_onnx.c $(TOP)/onnx/qaccel_onnx_ops.c $(TOP)/onnx/qaccel_onnx_qdq.c
ONNX_OBJS	:= $(patsubst $(TOP)/onnx/%.c,$(ONNX_DIR)/obj/%.o,$(ONNX_SRCS)) \
		   $(ONNX_DIR)/obj/onnx.pb-c.o
ONNX_A		:= $(ONNX_DIR)/libqaccel_onnx.a
# The shared library, like libqaccel's: its own soname and version script
# (onnx/libqaccel_onnx.map), linked against libqaccel.so.
ONNX_VERSION	:= $(LIB_VERSION)
ONNX_SONAME	:= libqaccel_onnx.so.0
ONNX_SO		:= $(ONNX_DIR)/libqaccel_onnx.so
ONNX_PIC_OBJS	:= $(patsubst $(TOP)/onnx/%.c,$(ONNX_DIR)/pic/%.o,$(ONNX_SRCS)) \
		   $(ONNX_DIR)/pic/onnx.pb-c.o
# How a program in the tree links the runtime (static, like libqaccel).
ONNX_LINK	:= $(ONNX_A) $(LIB_LINK) $(ONNX_PKG_LIBS)
QRUN		:= $(ONNX_DIR)/qaccel-run
ONNX_CASES	:= $(ONNX_DIR)/cases
ORT_NODE_DIR	:= $(BUILD)/onnxruntime-node
ORT_NODE	:= $(ORT_NODE_DIR)/node_modules/onnxruntime-node/package.json

.PHONY: onnx
onnx: $(ONNX_A) $(ONNX_SO) $(QRUN)
all: onnx

$(ONNX_GEN_H): $(ONNX_GEN_C)
$(ONNX_GEN_C): $(ONNX_PROTO)
	@mkdir -p $(@D)
	cd $(dir $(ONNX_PROTO)) && protoc-c --c_out=$(@D) $(notdir $(ONNX_PROTO))

$(ONNX_DIR)/obj/onnx.pb-c.o: $(ONNX_GEN_C)
	@mkdir -p $(@D)
	$(CC) $(filter-out -Wextra,$(ONNX_CFLAGS)) -Wno-unused-parameter -c $< -o $@

$(ONNX_DIR)/obj/%.o: $(TOP)/onnx/%.c $(ONNX_GEN_H)
	@mkdir -p $(@D)
	$(CC) $(ONNX_CFLAGS) $(DEPFLAGS) -c $< -o $@

$(ONNX_DIR)/pic/onnx.pb-c.o: $(ONNX_GEN_C)
	@mkdir -p $(@D)
	$(CC) $(filter-out -Wextra,$(ONNX_CFLAGS)) -Wno-unused-parameter -fPIC -c $< -o $@

$(ONNX_DIR)/pic/%.o: $(TOP)/onnx/%.c $(ONNX_GEN_H)
	@mkdir -p $(@D)
	$(CC) $(ONNX_CFLAGS) $(DEPFLAGS) -fPIC -c $< -o $@

$(ONNX_A): $(ONNX_OBJS)
	@rm -f $@
	ar rcs $@ $^

$(ONNX_SO): $(ONNX_PIC_OBJS) $(TOP)/onnx/libqaccel_onnx.map $(LIB_SO)
	$(CC) -shared -Wl,-soname,$(ONNX_SONAME) \
		-Wl,--version-script=$(TOP)/onnx/libqaccel_onnx.map -Wl,--no-undefined \
		-o $@.$(ONNX_VERSION) $(ONNX_PIC_OBJS) -L$(LIB_DIR) -lqaccel $(ONNX_PKG_LIBS)
	ln -sf libqaccel_onnx.so.$(ONNX_VERSION) $(ONNX_DIR)/$(ONNX_SONAME)
	ln -sf $(ONNX_SONAME) $@

$(QRUN): $(TOP)/onnx/qaccel-run.c $(ONNX_A) $(LIB_A)
	$(CC) $(ONNX_CFLAGS) $(JSON_CFLAGS) $(DEPFLAGS) -o $@ $< $(ONNX_LINK) $(JSON_LIBS)

# qaccel-run is installed with the other tools (lib/lib.mk's install), the
# libraries, header and qaccel-onnx.pc next to libqaccel's, a man link per
# function.
TOOLS		+= $(QRUN)
MAN_LINKS	+= $(foreach f,load_file free error input_count output_count node_count \
			input_info output_info set_input run output node_stats \
			tensor_parse tensor_serialize tensor_release dtype_size, \
			qaccel_onnx_$(f):qaccel_onnx) qaccel_onnx_load:qaccel_onnx

.PHONY: install-onnx uninstall-onnx
install: install-onnx
install-onnx: $(ONNX_A) $(ONNX_SO) $(QRUN)
	install -d $(DESTDIR)$(LIBDIR)/pkgconfig $(DESTDIR)$(INCLUDEDIR)
	install -m 0755 $(ONNX_SO).$(ONNX_VERSION) $(DESTDIR)$(LIBDIR)/
	ln -sf libqaccel_onnx.so.$(ONNX_VERSION) $(DESTDIR)$(LIBDIR)/$(ONNX_SONAME)
	ln -sf $(ONNX_SONAME) $(DESTDIR)$(LIBDIR)/libqaccel_onnx.so
	install -m 0644 $(ONNX_A) $(DESTDIR)$(LIBDIR)/
	install -m 0644 $(TOP)/onnx/qaccel_onnx.h $(DESTDIR)$(INCLUDEDIR)/
	sed -e 's|@PREFIX@|$(PREFIX)|' -e 's|@LIBDIR@|$(LIBDIR)|' \
	    -e 's|@INCLUDEDIR@|$(INCLUDEDIR)|' -e 's|@VERSION@|$(ONNX_VERSION)|' \
	    $(TOP)/onnx/qaccel-onnx.pc.in > $(DESTDIR)$(LIBDIR)/pkgconfig/qaccel-onnx.pc
uninstall: uninstall-onnx
uninstall-onnx:
	rm -f $(DESTDIR)$(LIBDIR)/libqaccel_onnx.so* $(DESTDIR)$(LIBDIR)/libqaccel_onnx.a \
	      $(DESTDIR)$(LIBDIR)/pkgconfig/qaccel-onnx.pc $(DESTDIR)$(INCLUDEDIR)/qaccel_onnx.h

# --- host tests (LIB_TEST_PROGS: run by make check-host and make check) -------
# Each tests/onnx/*.c is one program, built plain and with ASan + UBSan over
# the runtime's sources (as tests/lib/lib-tests.mk does for libqaccel).
ONNX_TEST_NAMES	:= $(sort $(basename $(notdir $(wildcard $(TOP)/tests/onnx/*.c))))
ONNX_TEST_DIR	:= $(BUILD)/tests/onnx
ONNX_TEST_PROGS	:= $(addprefix $(ONNX_TEST_DIR)/,$(ONNX_TEST_NAMES)) \
		   $(addprefix $(ONNX_TEST_DIR)/asan/,$(ONNX_TEST_NAMES))
ONNX_SAN_FLAGS	:= -O1 -fsanitize=address,undefined -fno-sanitize-recover=all \
		   -fno-omit-frame-pointer
ONNX_ASAN_OBJS	:= $(patsubst $(TOP)/onnx/%.c,$(ONNX_DIR)/asan/%.o,$(ONNX_SRCS)) \
		   $(ONNX_DIR)/asan/onnx.pb-c.o

$(ONNX_DIR)/asan/onnx.pb-c.o: $(ONNX_GEN_C)
	@mkdir -p $(@D)
	$(CC) $(filter-out -Wextra,$(ONNX_CFLAGS)) $(ONNX_SAN_FLAGS) -c $< -o $@

$(ONNX_DIR)/asan/%.o: $(TOP)/onnx/%.c $(ONNX_GEN_H)
	@mkdir -p $(@D)
	$(CC) $(ONNX_CFLAGS) $(ONNX_SAN_FLAGS) $(DEPFLAGS) -c $< -o $@

$(addprefix $(ONNX_TEST_DIR)/,$(ONNX_TEST_NAMES)): $(ONNX_TEST_DIR)/%: $(TOP)/tests/onnx/%.c \
		$(ONNX_A) $(LIB_A)
	@mkdir -p $(@D)
	$(CC) $(ONNX_CFLAGS) $(ONNX_TEST_DEFS) -isystem $(KSFT) $(DEPFLAGS) -o $@ $< $(ONNX_LINK)

$(addprefix $(ONNX_TEST_DIR)/asan/,$(ONNX_TEST_NAMES)): $(ONNX_TEST_DIR)/asan/%: \
		$(TOP)/tests/onnx/%.c $(ONNX_ASAN_OBJS) $(LIB_A)
	@mkdir -p $(@D)
	$(CC) $(ONNX_CFLAGS) $(ONNX_TEST_DEFS) $(ONNX_SAN_FLAGS) -isystem $(KSFT) $(DEPFLAGS) -o $@ $< \
		$(ONNX_ASAN_OBJS) $(LIB_LINK) $(ONNX_PKG_LIBS)

# Included after tests/tests.mk (which sets LIB_TEST_PROGS), so that make
# check and check-host, which expand it when they run, run these too; the
# top-level Makefile's `tests:` builds them.
LIB_TEST_PROGS	+= $(ONNX_TEST_PROGS)
# The loader tests take their models from the generated cases.
ONNX_TEST_DEFS	= -DQO_CASES='"$(ONNX_CASES)"'
$(ONNX_TEST_PROGS): $(ONNX_CASES)/.stamp

-include $(wildcard $(ONNX_OBJS:=.d) $(ONNX_PIC_OBJS:=.d) $(ONNX_ASAN_OBJS:=.d) $(QRUN).d \
	$(ONNX_TEST_PROGS:=.d))
$(call without_deps,$(filter-out %/onnx.pb-c.o,$(ONNX_OBJS) $(ONNX_PIC_OBJS) $(ONNX_ASAN_OBJS)) \
	$(QRUN) $(ONNX_TEST_PROGS)): FORCE

# The runtime's exported symbols against onnx/libqaccel_onnx.map and
# qaccel_onnx.h (the same script as libqaccel's).
LIB_TEST_PROGS	+= $(LIB_TEST_DIR)/test_exports_onnx
$(LIB_TEST_DIR)/test_exports_onnx: $(TOP)/tests/lib/test_exports.sh $(ONNX_SO)
	@mkdir -p $(@D)
	sed -e 's|^top=.*|top=$(TOP)|' -e 's|^headers=.*|headers="$(TOP)/onnx/qaccel_onnx.h"|' \
	    -e 's|^map=.*|map=$(TOP)/onnx/libqaccel_onnx.map|' -e 's|^so=.*|so=$(ONNX_SO)|' \
	    -e 's|^cflags=.*|cflags="-I$(TOP)/lib"|' $< > $@
	chmod +x $@

# --- the cases and their oracle ---------------------------------------------------
# ONNX's conformance cases (Debian's python3-onnx; /usr/bin/python3, which
# has it) and random ones, then ONNX Runtime's outputs for every case
# (onnxruntime-node under Debian's nodejs, in build/onnxruntime-node like
# scripts/setup.sh installs it).

$(ORT_NODE):
	ONNXRUNTIME_NODE_INSTALL_CUDA=skip npm install --prefix $(ORT_NODE_DIR) \
		onnxruntime-node@1.20.1

$(ONNX_CASES)/.stamp: $(TOP)/tests/onnx/gen_cases.py $(TOP)/tests/onnx/ort_run.js $(ORT_NODE)
	rm -rf $(ONNX_CASES)
	/usr/bin/python3 $(TOP)/tests/onnx/gen_cases.py $(ONNX_CASES)
	NODE_PATH=$(ORT_NODE_DIR)/node_modules node $(TOP)/tests/onnx/ort_run.js \
		$(ONNX_CASES)/*/ | tee $(ONNX_DIR)/ort_run.log
	touch $@

.PHONY: onnx-cases
onnx-cases: $(ONNX_CASES)/.stamp
all: onnx-cases

# The guest test runs qaccel-run on the cases.
$(BUILD)/tests/guest/onnx_models: $(QRUN) $(ONNX_CASES)/.stamp
