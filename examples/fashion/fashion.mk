# The Fashion-MNIST example (docs/quantization.md): host tools that train and
# quantize the MLP, the guest program that runs it on the accelerator.
# The model is part of `all` (tests/guest/fashion_slice needs it); training
# takes about a minute and is cached in build/fashion/ until fashion-prep.c
# changes.

FASHION_DIR	:= $(BUILD)/fashion
FASHION_DATA	?= /usr/share/datasets/fashion-mnist
FASHION_EPOCHS	?= 10
FASHION_SRC	:= $(TOP)/examples/fashion
FASHION_PREP	:= $(FASHION_DIR)/fashion-prep
FASHION_INFER	:= $(BUILD)/examples/fashion-infer
FASHION_FP32	:= $(FASHION_DIR)/model-fp32.bin
FASHION_INT8	:= $(FASHION_DIR)/model-int8.bin
# Training is float-heavy: let the compiler vectorize the dot products.
FASHION_HOST_CFLAGS := $(LIB_CFLAGS) -O3 -fno-math-errno -fassociative-math \
		   -fno-signed-zeros -fno-trapping-math

$(FASHION_PREP): $(FASHION_SRC)/fashion-prep.c $(LIB_A)
	@mkdir -p $(@D)
	$(CC) $(FASHION_HOST_CFLAGS) $(DEPFLAGS) -o $@ $< $(LIB_A) -lz -lm

$(FASHION_INFER): $(FASHION_SRC)/fashion-infer.c $(LIB_A)
	@mkdir -p $(@D)
	$(CC) $(LIB_CFLAGS) $(JSON_CFLAGS) $(DEPFLAGS) -I$(FASHION_SRC) -o $@ $< $(LIB_LINK) \
		$(JSON_LIBS)

-include $(wildcard $(FASHION_PREP).d $(FASHION_INFER).d)
$(call without_deps,$(FASHION_PREP) $(FASHION_INFER)): FORCE

$(FASHION_FP32): $(FASHION_SRC)/fashion-prep.c | $(FASHION_PREP)
	@echo "== training the float MLP 784-256-128-10 on the host ($(FASHION_EPOCHS) epochs, cached in $(FASHION_DIR))"
	$(FASHION_PREP) train --data $(FASHION_DATA) --out $(FASHION_DIR) --epochs $(FASHION_EPOCHS)

$(FASHION_INT8): $(FASHION_FP32) $(FASHION_PREP)
	@echo "== quantizing to int8 on the host (per-channel weights, calibrated uint8 activations)"
	$(FASHION_PREP) quantize --data $(FASHION_DATA) --out $(FASHION_DIR)

.PHONY: fashion
fashion: $(FASHION_INT8) $(FASHION_INFER)
all: fashion
