#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""A Fashion-MNIST model quantized and exported by another tool: PyTorch.

    examples/fashion/fashion-torch.py DIR [--data DIR] [--batch B] [--epochs N]

Trains a small MLP 784-128-10 (ReLU) with PyTorch (Debian's python3-torch,
1.13), quantizes it with PyTorch's eager-mode post-training static
quantization (QuantStub/DeQuantStub, observers calibrated
on training images 58,000..59,999, which training does not use, the QNNPACK
configuration: uint8 activations, int8 weights per tensor; fc1 and its
ReLU fused first, unfused when the exporter refuses the fused op) and exports it
with torch.onnx.export (opset 13, batch fixed at B) as DIR/torch-mlp-qdq.onnx:
the QDQ graph PyTorch's exporter writes for a quantized model.  Prints
PyTorch's own float and int8 test accuracy and the ops of the exported
graph; ONNX Runtime's accuracy and outputs come from fashion-ort.js, the
accelerator's from fashion-onnx-infer (docs/fashion-cnn.md).
"""
import argparse
import copy
import gzip
import os
import time

import numpy as np
import onnx
import torch
import torch.nn as nn
from torch.ao import quantization as tq

TRAIN_USED, CALIB_N = 58000, 2000


def idx(path, images):
    with (gzip.open(path + ".gz") if os.path.exists(path + ".gz") else open(path, "rb")) as f:
        b = f.read()
    if images:
        return np.frombuffer(b, np.uint8, offset=16).reshape(-1, 784)
    return np.frombuffer(b, np.uint8, offset=8)


class MLP(nn.Module):
    def __init__(self):
        super().__init__()
        self.quant = tq.QuantStub()
        self.fc1 = nn.Linear(784, 128)
        self.relu = nn.ReLU()
        self.fc2 = nn.Linear(128, 10)
        self.dequant = tq.DeQuantStub()

    def forward(self, x):
        return self.dequant(self.fc2(self.relu(self.fc1(self.quant(x)))))


def accuracy(model, x, y):
    with torch.no_grad():
        return 100.0 * (model(x).argmax(1) == y).float().mean().item()


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("dir")
    ap.add_argument("--data", default="/usr/share/datasets/fashion-mnist")
    ap.add_argument("--batch", type=int, default=100)
    ap.add_argument("--epochs", type=int, default=3)
    a = ap.parse_args()
    torch.manual_seed(1)
    torch.set_num_threads(1)
    tx = torch.from_numpy(idx(os.path.join(a.data, "train-images-idx3-ubyte"), True)
                          .astype(np.float32) / 255)
    ty = torch.from_numpy(idx(os.path.join(a.data, "train-labels-idx1-ubyte"), False)
                          .astype(np.int64))
    ex = torch.from_numpy(idx(os.path.join(a.data, "t10k-images-idx3-ubyte"), True)
                          .astype(np.float32) / 255)
    ey = torch.from_numpy(idx(os.path.join(a.data, "t10k-labels-idx1-ubyte"), False)
                          .astype(np.int64))
    model = MLP()
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    t0 = time.time()
    for ep in range(a.epochs):
        perm = torch.randperm(TRAIN_USED)
        model.train()
        for s in range(0, TRAIN_USED, 64):
            i = perm[s:s + 64]
            opt.zero_grad()
            loss = nn.functional.cross_entropy(model(tx[i]), ty[i])
            loss.backward()
            opt.step()
        model.eval()
        print("fashion-torch: epoch %d, test accuracy %.2f%% (%.0f s)" %
              (ep + 1, accuracy(model, ex, ey), time.time() - t0))
    facc = accuracy(model, ex, ey)

    # Post-training static quantization, eager mode, first with fc1 + ReLU
    # fused (what PyTorch's recipe does), then, when the exporter cannot
    # write the fused op, with the ReLU as its own quantized op.
    torch.backends.quantized.engine = "qnnpack"
    path = os.path.join(a.dir, "torch-mlp-qdq.onnx")
    for fuse in (True, False):
        q = copy.deepcopy(model)
        q.qconfig = tq.get_default_qconfig("qnnpack")
        if fuse:
            tq.fuse_modules(q, [["fc1", "relu"]], inplace=True)
        tq.prepare(q, inplace=True)
        with torch.no_grad():
            q(tx[TRAIN_USED:TRAIN_USED + CALIB_N])
        tq.convert(q, inplace=True)
        qacc = accuracy(q, ex, ey)
        print("fashion-torch: PyTorch's own accuracy: float %.2f%%, int8 (QNNPACK%s) %.2f%%" %
              (facc, ", fc1+ReLU fused" if fuse else "", qacc))
        try:
            torch.onnx.export(q, ex[:a.batch], path, opset_version=13,
                              input_names=["image"], output_names=["logits"])
            break
        except torch.onnx.errors.UnsupportedOperatorError as e:
            print("fashion-torch: torch.onnx.export refuses the fused model: %s" %
                  str(e).split(". Please")[0])
    m = onnx.load(path)
    onnx.checker.check_model(m)
    ops = {}
    for nd in m.graph.node:
        ops[nd.op_type] = ops.get(nd.op_type, 0) + 1
    print("fashion-torch: %s: %d bytes, %s" % (path, os.path.getsize(path),
                                              ", ".join("%d %s" % (v, k) for k, v in ops.items())))


if __name__ == "__main__":
    main()
