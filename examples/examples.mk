# examples/examples.mk: the small libqaccel programs (examples/README.md).
# The Fashion-MNIST example has its own rules (examples/fashion/fashion.mk).

EXAMPLES	:= $(BUILD)/examples/qaccel-demo $(BUILD)/examples/qaccel-batch

$(EXAMPLES): $(BUILD)/examples/%: $(TOP)/examples/%.c $(LIB_A)
	@mkdir -p $(@D)
	$(CC) $(LIB_CFLAGS) $(DEPFLAGS) -o $@ $< $(LIB_LINK)

-include $(wildcard $(EXAMPLES:=.d))
$(call without_deps,$(EXAMPLES)): FORCE

.PHONY: examples
examples: $(EXAMPLES)
all: examples
