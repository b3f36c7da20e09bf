#!/bin/sh
# SPDX-License-Identifier: MIT
# The ONNX half of make run, in the guest (docs/fashion-cnn.md):
#
#   examples/fashion/run-onnx.sh BUILD IMAGES DEVICE MODEL...
#
# Each MODEL (cnn-qop-u8: the int8 CNN in QOperator layout; cnn-qdq: the
# same CNN in QDQ layout; torch-mlp-qdq: PyTorch's exported MLP) classifies
# the first IMAGES test images on the accelerator through qaccel_onnx, every
# output byte against ONNX Runtime's.  DEVICE ("RTL" or "functional")
# names the device the VM serves, for the headings and the reports
# (BUILD/run/MODEL-DEVICE.json).  A model that was not built (PyTorch's
# needs python3-torch) is skipped with a message.  Exit status: the first
# failure's.
build=$1
images=$2
device=$3
shift 3
dir=$build/fashion
infer=$build/examples/fashion-onnx-infer
status=0

for m in "$@"; do
	echo "== $m.onnx on the $device device, $images images"
	if [ ! -f "$dir/$m.onnx" ]; then
		echo "$m.onnx: SKIPPED, not built (make fashion-torch needs python3-torch)"
		echo
		continue
	fi
	# The CNNs' float model has per-image classes for its accuracy.
	float=
	case $m in cnn-*) float="--float-pred $dir/cnn-float-predictions" ;; esac
	$infer --model "$dir/$m.onnx" --expect "$dir/ort/$m.out" --model-dir "$dir" \
		--images "$images" $float --report "$build/run/$m-$device.json" ||
		{ r=$?; [ $status -ne 0 ] || status=$r; }
	echo
done
exit $status
