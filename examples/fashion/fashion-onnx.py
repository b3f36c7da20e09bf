#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""Write the Fashion-MNIST CNN as ONNX models (docs/fashion-cnn.md).

    examples/fashion/fashion-onnx.py DIR [--batch B]

Reads what fashion-prep wrote into DIR: cnn-fp32.bin (the float CNN) and
cnn-int8.bin (its post-training quantization by libqaccel's toolkit:
calibrated uint8 activation scales and zero points, per-channel symmetric
int8 weights, int32 biases at in_scale * w_scale).  Nothing is quantized
here: every integer and scale comes from those files.  Writes, with the
batch fixed at B (static shapes):

  cnn-fp32.onnx    Conv, Relu, MaxPool, Reshape, MatMul: the float model
  cnn-qdq.onnx     the QDQ layout of onnxruntime.quantization.quantize_static
                   (QuantizeLinear/DequantizeLinear around each tensor, int8
                   weights per channel and int32 biases behind
                   DequantizeLinear, the ReLUs removed into output ranges that
                   start at 0, as ONNX Runtime's quantizer removes them)
  cnn-qop.onnx     the QOperator layout: QuantizeLinear, QLinearConv, MaxPool
                   on uint8, Reshape, QLinearMatMul, DequantizeLinear
  cnn-qop-u8.onnx  cnn-qop.onnx without its two edge nodes: uint8 pixels in
                   (scale 1/255, zero point 0: the pixel bytes themselves),
                   uint8 logits out; what qaccel-run runs today
"""
import argparse
import os
import struct

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

F_MAGIC, Q_MAGIC, VERSION = 0x32334346, 0x38514346, 1
NAMES = ["conv1", "conv2", "fc1", "fc2"]
# The tensor each layer writes; the ReLU's name where the float model has one.
OUTS = ["relu1", "relu2", "relu3", "logits"]


def fan_in(cin, k):
    return cin * k * k if k else cin


def read_float(path):
    buf = open(path, "rb").read()
    magic, version, layers, epochs, acc = struct.unpack_from("<4If", buf, 0)
    if (magic, version, layers) != (F_MAGIC, VERSION, 4):
        raise SystemExit("%s: not a float CNN of this version" % path)
    return buf, epochs, acc


def read_q(path):
    buf = open(path, "rb").read()
    magic, version, layers, epochs, facc, qacc = struct.unpack_from("<4I2f", buf, 0)
    if (magic, version, layers) != (Q_MAGIC, VERSION, 4):
        raise SystemExit("%s: not an int8 CNN of this version" % path)
    off = 32
    out = []
    for _ in range(layers):
        cin, cout, k, in_hw, has_bias, in_s, in_zp, out_s, out_zp, _r = \
            struct.unpack_from("<5IfifiI", buf, off)
        off += 40
        n = cout * fan_in(cin, k)
        w = np.frombuffer(buf, np.int8, n, off).reshape(cout, fan_in(cin, k))
        off += n
        ws = np.frombuffer(buf, np.float32, cout, off)
        off += 4 * cout
        b = np.frombuffer(buf, np.int32, cout, off)
        off += 4 * cout
        out.append(dict(cin=cin, cout=cout, k=k, has_bias=bool(has_bias),
                        in_scale=np.float32(in_s), in_zp=np.uint8(in_zp),
                        out_scale=np.float32(out_s), out_zp=np.uint8(out_zp),
                        w=w, w_scales=ws, bias=b))
    if off != len(buf):
        raise SystemExit("%s: %d bytes left over" % (path, len(buf) - off))
    return out, epochs, facc, qacc


def float_layers(buf, q):
    off, out = 32, []
    for l in q:
        n = l["cout"] * fan_in(l["cin"], l["k"])
        w = np.frombuffer(buf, np.float32, n, off).reshape(l["cout"], -1)
        off += 4 * n
        b = None
        if l["has_bias"]:
            b = np.frombuffer(buf, np.float32, l["cout"], off)
            off += 4 * l["cout"]
        out.append((w, b))
    if off != len(buf):
        raise SystemExit("cnn-fp32.bin: %d bytes left over" % (len(buf) - off))
    return out


def conv_w(l, w):
    """cout x fan_in rows -> OIHW (convolutions) or K x N (MatMul's B)."""
    if l["k"]:
        return w.reshape(l["cout"], l["cin"], l["k"], l["k"])
    return np.ascontiguousarray(w.T)


def model(nodes, inits, inp, out, name):
    g = helper.make_graph(nodes, name, [inp], [out], initializer=inits)
    m = helper.make_model(g, opset_imports=[helper.make_operatorsetid("", 13)],
                          producer_name="qaccel fashion-onnx.py")
    m.ir_version = 8
    onnx.checker.check_model(m)
    return m


def pool(src, dst):
    return helper.make_node("MaxPool", [src], [dst], name=dst, kernel_shape=[2, 2],
                            strides=[2, 2])


def float_model(fl, q, batch):
    nodes, inits, x = [], [], "image"
    for i, (l, (w, b)) in enumerate(zip(q, fl)):
        n = NAMES[i]
        inits.append(numpy_helper.from_array(conv_w(l, w), n + ".weight"))
        y = n if i < 3 else "logits"
        if l["k"]:
            inits.append(numpy_helper.from_array(b, n + ".bias"))
            nodes.append(helper.make_node("Conv", [x, n + ".weight", n + ".bias"], [y],
                                          name=n, kernel_shape=[l["k"], l["k"]]))
        else:
            nodes.append(helper.make_node("MatMul", [x, n + ".weight"], [y], name=n))
        if i < 3:
            nodes.append(helper.make_node("Relu", [y], [OUTS[i]], name=OUTS[i]))
            x = OUTS[i]
        if i < 2:
            nodes.append(pool(x, "pool%d" % (i + 1)))
            x = "pool%d" % (i + 1)
        if i == 1:
            inits.append(numpy_helper.from_array(np.array([batch, 256], np.int64),
                                                 "flat_shape"))
            nodes.append(helper.make_node("Reshape", [x, "flat_shape"], ["flat"],
                                          name="flat"))
            x = "flat"
    return model(nodes, inits,
                 helper.make_tensor_value_info("image", TensorProto.FLOAT, [batch, 1, 28, 28]),
                 helper.make_tensor_value_info("logits", TensorProto.FLOAT, [batch, 10]),
                 "fashion_cnn_fp32")


def qparams(inits, tensor, scale, zp):
    inits.append(numpy_helper.from_array(np.array(scale, np.float32), tensor + "_scale"))
    inits.append(numpy_helper.from_array(np.array(zp, np.uint8), tensor + "_zero_point"))
    return [tensor + "_scale", tensor + "_zero_point"]


def weight_inits(inits, n, l):
    """int8 weights, per-channel scales and zero points; the bias at in * w."""
    inits.append(numpy_helper.from_array(conv_w(l, l["w"]), n + ".weight_quantized"))
    inits.append(numpy_helper.from_array(l["w_scales"], n + ".weight_scale"))
    inits.append(numpy_helper.from_array(np.zeros(l["cout"], np.int8),
                                         n + ".weight_zero_point"))
    names = [n + ".weight_quantized", n + ".weight_scale", n + ".weight_zero_point"]
    if l["has_bias"]:
        # The bias's scale as ONNX Runtime's quantizer computes it: in binary32.
        inits.append(numpy_helper.from_array(l["bias"], n + ".bias_quantized"))
        inits.append(numpy_helper.from_array(
            (l["in_scale"] * l["w_scales"]).astype(np.float32), n + ".bias_scale"))
        inits.append(numpy_helper.from_array(np.zeros(l["cout"], np.int32),
                                             n + ".bias_zero_point"))
    return names


def qdq_model(q, batch):
    nodes, inits = [], []

    def qdq(t, scale, zp):
        """Q then DQ of tensor t: returns the dequantized tensor's name."""
        qp = qparams(inits, t, scale, zp)
        nodes.append(helper.make_node("QuantizeLinear", [t] + qp, [t + "_quantized"],
                                      name=t + "_QuantizeLinear"))
        nodes.append(helper.make_node("DequantizeLinear", [t + "_quantized"] + qp,
                                      [t + "_dequantized"], name=t + "_DequantizeLinear"))
        return t + "_dequantized"

    x = qdq("image", q[0]["in_scale"], q[0]["in_zp"])
    for i, l in enumerate(q):
        n = NAMES[i]
        wn = weight_inits(inits, n, l)
        axis = 0 if l["k"] else 1
        nodes.append(helper.make_node("DequantizeLinear", wn, [n + ".weight_dequantized"],
                                      name=n + ".weight_DequantizeLinear", axis=axis))
        # The ReLU is gone: the layer writes the ReLU's tensor, whose range starts at 0.
        y = OUTS[i] if i < 3 else "logits_float"
        if l["k"]:
            nodes.append(helper.make_node(
                "DequantizeLinear", [n + ".bias_quantized", n + ".bias_scale",
                                     n + ".bias_zero_point"],
                [n + ".bias_dequantized"], name=n + ".bias_DequantizeLinear", axis=0))
            nodes.append(helper.make_node("Conv", [x, n + ".weight_dequantized",
                                                   n + ".bias_dequantized"], [y], name=n,
                                          kernel_shape=[l["k"], l["k"]]))
        else:
            nodes.append(helper.make_node("MatMul", [x, n + ".weight_dequantized"], [y],
                                          name=n))
        x = qdq(y, l["out_scale"], l["out_zp"])
        if i < 2:
            # MaxPool and Reshape keep their input's scale and zero point.
            p = "pool%d" % (i + 1)
            nodes.append(pool(x, p))
            x = qdq(p, l["out_scale"], l["out_zp"])
        if i == 1:
            inits.append(numpy_helper.from_array(np.array([batch, 256], np.int64),
                                                 "flat_shape"))
            nodes.append(helper.make_node("Reshape", [x, "flat_shape"], ["flat"],
                                          name="flat"))
            x = qdq("flat", l["out_scale"], l["out_zp"])
    # The last DequantizeLinear writes the graph output.
    nodes[-1].output[0] = "logits"
    return model(nodes, inits,
                 helper.make_tensor_value_info("image", TensorProto.FLOAT, [batch, 1, 28, 28]),
                 helper.make_tensor_value_info("logits", TensorProto.FLOAT, [batch, 10]),
                 "fashion_cnn_qdq")


def qop_model(q, batch, edges):
    nodes, inits = [], []
    x = "image_quantized"
    inq = qparams(inits, "image", q[0]["in_scale"], q[0]["in_zp"])
    if edges:
        nodes.append(helper.make_node("QuantizeLinear", ["image"] + inq, [x],
                                      name="image_QuantizeLinear"))
    for i, l in enumerate(q):
        n = NAMES[i]
        wn = weight_inits(inits, n, l)
        y = (OUTS[i] if i < 3 else "logits") + "_quantized"
        yq = qparams(inits, y[:-len("_quantized")], l["out_scale"], l["out_zp"])
        ins = [x] + inq + wn + yq
        if l["k"]:
            nodes.append(helper.make_node("QLinearConv", ins + [n + ".bias_quantized"], [y],
                                          name=n + "_quant", kernel_shape=[l["k"], l["k"]]))
        else:
            nodes.append(helper.make_node("QLinearMatMul", ins, [y], name=n + "_quant"))
        x, inq = y, yq
        if i < 2:
            p = "pool%d_quantized" % (i + 1)
            nodes.append(pool(x, p))
            x = p
        if i == 1:
            inits.append(numpy_helper.from_array(np.array([batch, 256], np.int64),
                                                 "flat_shape"))
            nodes.append(helper.make_node("Reshape", [x, "flat_shape"], ["flat_quantized"],
                                          name="flat"))
            x = "flat_quantized"
    if edges:
        nodes.append(helper.make_node("DequantizeLinear", [x] + inq, ["logits"],
                                      name="logits_DequantizeLinear"))
        inp = helper.make_tensor_value_info("image", TensorProto.FLOAT, [batch, 1, 28, 28])
        out = helper.make_tensor_value_info("logits", TensorProto.FLOAT, [batch, 10])
    else:
        inp = helper.make_tensor_value_info(
            "image_quantized", TensorProto.UINT8, [batch, 1, 28, 28])
        out = helper.make_tensor_value_info("logits_quantized", TensorProto.UINT8, [batch, 10])
    # The edge-less model carries the now unused input scale and zero point.
    used = {i for nd in nodes for i in nd.input}
    inits = [t for t in inits if t.name in used]
    return model(nodes, inits, inp, out, "fashion_cnn_qop" + ("" if edges else "_u8"))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("dir")
    ap.add_argument("--batch", type=int, default=100)
    a = ap.parse_args()
    q, epochs, facc, qacc = read_q(os.path.join(a.dir, "cnn-int8.bin"))
    fbuf, _, _ = read_float(os.path.join(a.dir, "cnn-fp32.bin"))
    fl = float_layers(fbuf, q)
    for name, m in (("cnn-fp32.onnx", float_model(fl, q, a.batch)),
                    ("cnn-qdq.onnx", qdq_model(q, a.batch)),
                    ("cnn-qop.onnx", qop_model(q, a.batch, True)),
                    ("cnn-qop-u8.onnx", qop_model(q, a.batch, False))):
        path = os.path.join(a.dir, name)
        onnx.save(m, path)
        ops = {}
        for nd in m.graph.node:
            ops[nd.op_type] = ops.get(nd.op_type, 0) + 1
        print("fashion-onnx: %s: %d bytes, batch %d, %s" % (
            path, os.path.getsize(path), a.batch,
            ", ".join("%d %s" % (v, k) for k, v in ops.items())))
    print("fashion-onnx: from fashion-prep's CNN (%u epochs, float %.2f%%, int8 on the CPU "
          "reference %.2f%%)" % (epochs, facc, qacc))


if __name__ == "__main__":
    main()
