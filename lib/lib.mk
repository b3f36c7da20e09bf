# libqaccel: shared and static library, pkg-config file.  See docs/libqaccel.md.

LIB_VERSION	:= 0.1.0
LIB_SONAME	:= libqaccel.so.0
LIB_DIR		:= $(BUILD)/lib
LIB_SRCS	:= $(wildcard $(TOP)/lib/*.c)
LIB_HDRS	:= $(wildcard $(TOP)/lib/*.h) \
		   $(TOP)/include/uapi/drm/qaccel_drm.h
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

$(LIB_DIR)/pic/%.o: $(TOP)/lib/%.c $(LIB_HDRS)
	@mkdir -p $(@D)
	$(CC) $(LIB_CFLAGS) -fPIC -c $< -o $@

$(LIB_DIR)/obj/%.o: $(TOP)/lib/%.c $(LIB_HDRS)
	@mkdir -p $(@D)
	$(CC) $(LIB_CFLAGS) -c $< -o $@

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

# --- examples ---------------------------------------------------------------
EXAMPLES	:= $(BUILD)/examples/qaccel-demo

$(BUILD)/examples/%: $(TOP)/examples/%.c $(LIB_A) $(LIB_HDRS)
	@mkdir -p $(@D)
	$(CC) $(LIB_CFLAGS) -o $@ $< $(LIB_LINK)

all: $(EXAMPLES)
