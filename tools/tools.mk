# tools/tools.mk: qaccel-info and qaccel-bench (tools/README.md), linked
# statically against libqaccel like the tests; installed by `make install`.

TOOLS		:= $(BUILD)/tools/qaccel-info $(BUILD)/tools/qaccel-bench

$(TOOLS): $(BUILD)/tools/%: $(TOP)/tools/%.c $(LIB_A)
	@mkdir -p $(@D)
	$(CC) $(LIB_CFLAGS) $(JSON_CFLAGS) $(DEPFLAGS) -o $@ $< $(LIB_LINK) $(JSON_LIBS) -lm

-include $(wildcard $(TOOLS:=.d))
$(call without_deps,$(TOOLS)): FORCE

.PHONY: tools
tools: $(TOOLS)
all: tools
