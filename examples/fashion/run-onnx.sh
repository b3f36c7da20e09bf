#!/bin/sh
# SPDX-License-Identifier: MIT
# The ONNX half of make run, in the guest (docs/fashion-cnn.md):
#
#   examples/fashion/run-onnx.sh BUILD IMAGES
#
# The int8 CNN (QOperator layout, uint8 in and out) on the accelerator
# through qaccel_onnx, every output byte against ONNX Runtime's; then the
# QDQ CNN (skipped, with the runtime's reason, if it refuses it) and
# PyTorch's exported MLP (which must run: the loader folds its constants).
# Exit status: the first failure's.
build=$1
images=$2
dir=$build/fashion
infer=$build/examples/fashion-onnx-infer
status=0

echo "== the int8 CNN (QOperator, ONNX) on the accelerator"
$infer --model "$dir/cnn-qop-u8.onnx" --expect "$dir/ort/cnn-qop-u8.out" --model-dir "$dir" \
	--images "$images" --float-pred "$dir/cnn-float-predictions" \
	--report "$build/run/cnn.json" || status=$?
for m in cnn-qdq torch-mlp-qdq; do
	echo
	echo "== $m.onnx on the accelerator"
	if [ ! -f "$dir/$m.onnx" ]; then
		echo "$m.onnx: SKIPPED, not built (make fashion-torch needs python3-torch)"
		continue
	fi
	skip=--skip-unsupported
	[ "$m" != torch-mlp-qdq ] || skip=
	$infer --model "$dir/$m.onnx" --expect "$dir/ort/$m.out" --model-dir "$dir" \
		--images "$images" $skip --report "$build/run/$m.json" ||
		{ r=$?; [ $status -ne 0 ] || status=$r; }
done
exit $status
