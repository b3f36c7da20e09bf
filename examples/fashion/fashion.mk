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

# --- the CNN through ONNX (docs/fashion-cnn.md) ------------------------------
# fashion-prep trains and quantizes it (C, libqaccel's toolkit); fashion-onnx.py
# writes the ONNX models from those numbers (Debian's python3-onnx, as the
# ONNX test cases use); fashion-ort.js runs them through ONNX Runtime over the
# test set (accuracy, and the outputs the guest compares with).  Paths of
# onnx/onnx.mk are spelled out: it is included after this file.
FASHION_CNN_EPOCHS ?= 6
# Images per model run: the models' fixed batch.  16 keeps conv1 to one
# job of 9,216 x 8 x 25, a second or so of RTL simulation (100 made it one
# job of 57,600 rows, which outlasted the driver's job timeout on a loaded host).
FASHION_CNN_BATCH ?= 16
FASHION_CNN_FP32 := $(FASHION_DIR)/cnn-fp32.bin
FASHION_CNN_INT8 := $(FASHION_DIR)/cnn-int8.bin
FASHION_CNN_ONNX := $(FASHION_DIR)/cnn-qop-u8.onnx
FASHION_ORT	:= $(FASHION_DIR)/ort/summary.json
FASHION_ONNX_INFER := $(BUILD)/examples/fashion-onnx-infer
FASHION_ORT_NODE := $(BUILD)/onnxruntime-node/node_modules/onnxruntime-node/package.json
FASHION_ORT_RUN	= NODE_PATH=$(BUILD)/onnxruntime-node/node_modules node $(FASHION_SRC)/fashion-ort.js

$(FASHION_CNN_FP32): $(FASHION_SRC)/fashion-prep.c | $(FASHION_PREP)
	@echo "== training the float CNN on the host ($(FASHION_CNN_EPOCHS) epochs, cached in $(FASHION_DIR))"
	$(FASHION_PREP) train-cnn --data $(FASHION_DATA) --out $(FASHION_DIR) --epochs $(FASHION_CNN_EPOCHS)

$(FASHION_CNN_INT8): $(FASHION_CNN_FP32) $(FASHION_PREP)
	@echo "== quantizing the CNN to int8 on the host (checked on the CPU reference)"
	$(FASHION_PREP) quantize-cnn --data $(FASHION_DATA) --out $(FASHION_DIR)

$(FASHION_CNN_ONNX): $(FASHION_CNN_INT8) $(FASHION_SRC)/fashion-onnx.py
	/usr/bin/python3 $(FASHION_SRC)/fashion-onnx.py $(FASHION_DIR) --batch $(FASHION_CNN_BATCH)

# The test set's uncompressed copies come with model-int8.bin.
$(FASHION_ORT): $(FASHION_CNN_ONNX) $(FASHION_INT8) $(FASHION_SRC)/fashion-ort.js $(FASHION_ORT_NODE)
	@echo "== ONNX Runtime (onnxruntime-node, CPU) over the 10,000 test images: accuracy, outputs for the guest"
	$(FASHION_ORT_RUN) $(FASHION_DIR) --reference cnn-reference-logits:cnn-qop-u8.onnx \
		float:cnn-fp32.onnx float:cnn-qdq.onnx float:cnn-qop.onnx uint8:cnn-qop-u8.onnx

$(FASHION_ONNX_INFER): $(FASHION_SRC)/fashion-onnx-infer.c $(BUILD)/onnx/libqaccel_onnx.a $(LIB_A)
	@mkdir -p $(@D)
	$(CC) $(ONNX_CFLAGS) $(JSON_CFLAGS) $(DEPFLAGS) -I$(FASHION_SRC) -o $@ $< $(ONNX_LINK) \
		$(JSON_LIBS)

-include $(wildcard $(FASHION_ONNX_INFER).d)
$(call without_deps,$(FASHION_ONNX_INFER)): FORCE

.PHONY: fashion-cnn
fashion-cnn: $(FASHION_ORT) $(FASHION_ONNX_INFER)
all: fashion-cnn

# A model from another tool: PyTorch's post-training quantization, exported
# by torch.onnx (Debian's python3-torch; not part of all, make run builds it).
FASHION_TORCH	:= $(FASHION_DIR)/torch-mlp-qdq.onnx
FASHION_TORCH_ORT := $(FASHION_DIR)/ort/torch.json

$(FASHION_TORCH): $(FASHION_SRC)/fashion-torch.py
	@echo "== PyTorch: training an MLP, quantizing it (eager-mode static PTQ) and exporting it to ONNX"
	/usr/bin/python3 -W ignore $(FASHION_SRC)/fashion-torch.py $(FASHION_DIR) \
		--data $(FASHION_DATA) --batch $(FASHION_CNN_BATCH)

$(FASHION_TORCH_ORT): $(FASHION_TORCH) $(FASHION_INT8) $(FASHION_SRC)/fashion-ort.js $(FASHION_ORT_NODE)
	$(FASHION_ORT_RUN) $(FASHION_DIR) --summary torch.json float:torch-mlp-qdq.onnx

.PHONY: fashion-torch
fashion-torch:
	@if /usr/bin/python3 -c 'import torch' 2>/dev/null; then \
		$(MAKE) --no-print-directory $(FASHION_TORCH_ORT); \
	else \
		echo "== no PyTorch model: python3-torch is not installed (apt-get install python3-torch)"; \
	fi
