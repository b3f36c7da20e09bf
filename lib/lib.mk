# libqaccel: shared and static library, pkg-config file.  See docs/libqaccel.md.

LIB_VERSION	:= 0.1.0
LIB_SONAME	:= libqaccel.so.0
LIB_DIR		:= $(BUILD)/lib
LIB_SRCS	:= $(wildcard $(TOP)/lib/*.c)
LIB_PKG_CFLAGS	:= $(shell pkg-config --cflags libdrm liburing)
LIB_PKG_LIBS	:= $(shell pkg-config --libs libdrm liburing)
LIB_CFLAGS	:= $(CFLAGS_COMMON) $(LIB_PKG_CFLAGS)

LIB_SO		:= $(LIB_DIR)/libqaccel.so
LIB_A		:= $(LIB_DIR)/libqaccel.a
LIB_PC		:= $(LIB_DIR)/qaccel.pc
LIB_PIC_OBJS	:= $(patsubst $(TOP)/lib/%.c,$(LIB_DIR)/pic/%.o,$(LIB_SRCS))
LIB_OBJS	:= $(patsubst $(TOP)/lib/%.c,$(LIB_DIR)/obj/%.o,$(LIB_SRCS))

# How a program in the tree links libqaccel (static: no rpath games in the guest).
LIB_LINK	:= $(LIB_A) $(LIB_PKG_LIBS)

.PHONY: lib
lib: $(LIB_SO) $(LIB_A) $(LIB_PC)
all: lib

$(LIB_DIR)/pic/%.o: $(TOP)/lib/%.c
	@mkdir -p $(@D)
	$(CC) $(LIB_CFLAGS) $(DEPFLAGS) -fPIC -c $< -o $@

$(LIB_DIR)/obj/%.o: $(TOP)/lib/%.c
	@mkdir -p $(@D)
	$(CC) $(LIB_CFLAGS) $(DEPFLAGS) -c $< -o $@

-include $(wildcard $(LIB_PIC_OBJS:=.d) $(LIB_OBJS:=.d))
$(call without_deps,$(LIB_PIC_OBJS) $(LIB_OBJS)): FORCE

$(LIB_SO): $(LIB_PIC_OBJS) $(TOP)/lib/libqaccel.map
	$(CC) -shared -Wl,-soname,$(LIB_SONAME) -Wl,--version-script=$(TOP)/lib/libqaccel.map \
		-Wl,--no-undefined -o $@.$(LIB_VERSION) $(LIB_PIC_OBJS) $(LIB_PKG_LIBS)
	ln -sf libqaccel.so.$(LIB_VERSION) $(LIB_DIR)/$(LIB_SONAME)
	ln -sf $(LIB_SONAME) $@

$(LIB_A): $(LIB_OBJS)
	@rm -f $@
	ar rcs $@ $^

# The in-tree .pc points at the source headers (qaccel.h needs only lib/)
# and the build directory.
$(LIB_PC): $(TOP)/lib/qaccel.pc.in $(TOP)/lib/lib.mk
	@mkdir -p $(@D)
	sed -e 's|@PREFIX@|$(TOP)|' -e 's|@LIBDIR@|$(LIB_DIR)|' \
	    -e 's|@INCLUDEDIR@|$(TOP)/lib|' \
	    -e 's|@VERSION@|$(LIB_VERSION)|' $< > $@

# --- install -----------------------------------------------------------------
# make install [PREFIX=/usr/local] [LIBDIR=$(PREFIX)/lib] [DESTDIR=staging]
# The library (shared, with its soname links, and static), the public
# headers, qaccel.pc pointing at the installed paths, the tools and the
# man pages (one per function group, plus a .so link page per function).
PREFIX		?= /usr/local
LIBDIR		?= $(PREFIX)/lib
INCLUDEDIR	?= $(PREFIX)/include
BINDIR		?= $(PREFIX)/bin
MANDIR		?= $(PREFIX)/share/man
LIB_PUBLIC_HDRS	:= $(filter $(TOP)/lib/qaccel.h $(TOP)/lib/qaccel_ref.h $(TOP)/lib/qaccel_quant.h, \
		     $(wildcard $(TOP)/lib/qaccel*.h))
MAN_PAGES	:= $(wildcard $(TOP)/man/*.1 $(TOP)/man/*.3)
# function:page for every function that has no page of its own.
MAN_LINKS	:= qaccel_open_index:qaccel_open qaccel_close:qaccel_open \
		   qaccel_device_count:qaccel_open qaccel_device_path:qaccel_open \
		   qaccel_dev_path:qaccel_open qaccel_fd:qaccel_open \
		   qaccel_poll_fd:qaccel_open qaccel_get_caps:qaccel_open \
		   qaccel_get_counters:qaccel_open qaccel_get_stats:qaccel_open \
		   qaccel_set_path:qaccel_open qaccel_get_path:qaccel_open \
		   qaccel_strerror:qaccel_open \
		   qaccel_buf_map:qaccel_buf_alloc qaccel_buf_size:qaccel_buf_alloc \
		   qaccel_buf_handle:qaccel_buf_alloc qaccel_buf_export:qaccel_buf_alloc \
		   qaccel_buf_import:qaccel_buf_alloc qaccel_buf_free:qaccel_buf_alloc \
		   qaccel_submit_nop:qaccel_submit qaccel_flush:qaccel_submit \
		   qaccel_inflight:qaccel_submit qaccel_gemm_run:qaccel_submit \
		   qaccel_gemm_params_check:qaccel_ref_gemm qaccel_requant:qaccel_ref_gemm \
		   qaccel_srdhm:qaccel_ref_gemm qaccel_rdbypot:qaccel_ref_gemm \
		   qaccel_requant_single:qaccel_ref_gemm qaccel_requant_fp32:qaccel_ref_gemm \
		   qaccel_qparams_from_range:qaccel_quant \
		   qaccel_quantize_multiplier:qaccel_quant qaccel_quantize:qaccel_quant \
		   qaccel_dequantize:qaccel_quant qaccel_quantize_per_channel:qaccel_quant \
		   qaccel_calib_minmax:qaccel_quant qaccel_calib_percentile:qaccel_quant \
		   qaccel_quantize_bias:qaccel_quant qaccel_gemm_requant:qaccel_quant \
		   qaccel_scale_onnxruntime:qaccel_quant qaccel_scale_xnnpack:qaccel_quant \
		   qaccel_scale_pytorch_qnnpack:qaccel_quant qaccel_fp32_multiplier:qaccel_quant

.PHONY: install
install: $(LIB_SO) $(LIB_A) tools
	install -d $(DESTDIR)$(LIBDIR)/pkgconfig $(DESTDIR)$(INCLUDEDIR) \
		$(DESTDIR)$(BINDIR) $(DESTDIR)$(MANDIR)/man1 $(DESTDIR)$(MANDIR)/man3
	install -m 0755 $(LIB_SO).$(LIB_VERSION) $(DESTDIR)$(LIBDIR)/
	ln -sf libqaccel.so.$(LIB_VERSION) $(DESTDIR)$(LIBDIR)/$(LIB_SONAME)
	ln -sf $(LIB_SONAME) $(DESTDIR)$(LIBDIR)/libqaccel.so
	install -m 0644 $(LIB_A) $(DESTDIR)$(LIBDIR)/
	install -m 0644 $(LIB_PUBLIC_HDRS) $(DESTDIR)$(INCLUDEDIR)/
	sed -e 's|@PREFIX@|$(PREFIX)|' -e 's|@LIBDIR@|$(LIBDIR)|' \
	    -e 's|@INCLUDEDIR@|$(INCLUDEDIR)|' -e 's|@VERSION@|$(LIB_VERSION)|' \
	    $(TOP)/lib/qaccel.pc.in > $(DESTDIR)$(LIBDIR)/pkgconfig/qaccel.pc
	install -m 0755 $(TOOLS) $(DESTDIR)$(BINDIR)/
	install -m 0644 $(filter %.1,$(MAN_PAGES)) $(DESTDIR)$(MANDIR)/man1/
	install -m 0644 $(filter %.3,$(MAN_PAGES)) $(DESTDIR)$(MANDIR)/man3/
	@for l in $(MAN_LINKS); do \
		echo ".so man3/$${l#*:}.3" > $(DESTDIR)$(MANDIR)/man3/$${l%%:*}.3; \
	done

.PHONY: uninstall
uninstall:
	rm -f $(DESTDIR)$(LIBDIR)/libqaccel.so* $(DESTDIR)$(LIBDIR)/libqaccel.a \
	      $(DESTDIR)$(LIBDIR)/pkgconfig/qaccel.pc \
	      $(addprefix $(DESTDIR)$(INCLUDEDIR)/,$(notdir $(LIB_PUBLIC_HDRS))) \
	      $(addprefix $(DESTDIR)$(BINDIR)/,$(notdir $(TOOLS))) \
	      $(addprefix $(DESTDIR)$(MANDIR)/man1/,$(notdir $(filter %.1,$(MAN_PAGES)))) \
	      $(addprefix $(DESTDIR)$(MANDIR)/man3/,$(notdir $(filter %.3,$(MAN_PAGES)))) \
	      $(foreach l,$(MAN_LINKS),$(DESTDIR)$(MANDIR)/man3/$(firstword $(subst :, ,$(l))).3)
