#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""Write the ONNX test cases qaccel-run is checked on (docs/models.md).

    tests/onnx/gen_cases.py OUTDIR

Each case is OUTDIR/NAME/model.onnx plus test_data_set_0/input_N.pb (and,
for ONNX's own conformance cases, ONNX's expected output_N.pb), the layout
of ONNX's backend test data.  The expected outputs the device is held to
are ONNX Runtime's, written next to them by tests/onnx/ort_run.js.

Cases:
  - ONNX's conformance cases (onnx.backend.test.case.node, Debian's
    python3-onnx) of the ops in OPS.  Inputs that give a shape or axes
    (Reshape's shape, Squeeze's and Unsqueeze's axes) are turned into
    initializers: qaccel_onnx needs static shapes, and ONNX Runtime runs the
    same rewritten model.
  - random cases (fixed seed): MatMulInteger and ConvInteger with random
    shapes, types, zero points, strides, pads and dilations, weights as
    initializers, and small chains through the data-movement ops.
"""
import importlib
import os
import sys

import numpy as np
import onnx
from onnx import helper, numpy_helper, TensorProto
from onnx.backend.test.case import node as case_node

OPS = {"MatMulInteger", "ConvInteger", "QLinearMatMul", "QLinearConv",
       "Reshape", "Flatten", "Transpose", "Squeeze", "Unsqueeze", "Concat",
       "MaxPool", "AveragePool", "GlobalAveragePool", "QuantizeLinear",
       "DequantizeLinear", "Add", "Relu", "Clip"}
MODULES = ["matmulinteger", "convinteger", "qlinearmatmul", "qlinearconv",
           "reshape", "flatten", "transpose", "squeeze", "unsqueeze", "concat",
           "maxpool", "averagepool", "globalaveragepool", "quantizelinear",
           "dequantizelinear", "add", "relu", "clip"]
# (op, input index) of inputs that carry a shape or axes, not data.
# So are QLinear*'s scales, zero points and bias: a quantized model has
# them as initializers, and qaccel_onnx computes the requantization scales
# at load.
FREEZE = {("Reshape", 1), ("Squeeze", 1), ("Unsqueeze", 1)} | \
    {("QLinearMatMul", i) for i in (1, 2, 4, 5, 6, 7)} | \
    {("QLinearConv", i) for i in (1, 2, 4, 5, 6, 7, 8)} | \
    {(op, i) for op in ("QuantizeLinear", "DequantizeLinear", "Clip") for i in (1, 2)}


def write_case(outdir, name, model, inputs, outputs=None, expect=None):
    """expect: None (must run and match ONNX Runtime) or "reject" (qaccel_onnx
    must refuse it at load, as ONNX Runtime would run it in float)."""
    d = os.path.join(outdir, name)
    ds = os.path.join(d, "test_data_set_0")
    os.makedirs(ds, exist_ok=True)
    if outputs is None:
        # Random cases declare their outputs without a shape: let ONNX's
        # shape inference fill it in (and so check the model).
        model = onnx.shape_inference.infer_shapes(model, strict_mode=True)
        known = {v.name: v for v in model.graph.value_info}
        for o in model.graph.output:
            if o.name in known:
                o.type.CopyFrom(known[o.name].type)
    onnx.checker.check_model(model)
    # The ops of the case, for the guest test's per-op counts.
    ops = []
    for x in model.graph.node:
        if x.op_type not in ops:
            ops.append(x.op_type)
    with open(os.path.join(d, "ops"), "w") as f:
        f.write("+".join(ops) + "\n")
    if expect:
        with open(os.path.join(d, "expect"), "w") as f:
            f.write(expect + "\n")
    with open(os.path.join(d, "model.onnx"), "wb") as f:
        f.write(model.SerializeToString())
    names = [i.name for i in model.graph.input]
    for i, (n, a) in enumerate(zip(names, inputs)):
        with open(os.path.join(ds, "input_%d.pb" % i), "wb") as f:
            f.write(numpy_helper.from_array(a, n).SerializeToString())
    if outputs is not None:
        onames = [o.name for o in model.graph.output]
        for i, (n, a) in enumerate(zip(onames, outputs)):
            with open(os.path.join(ds, "output_%d.pb" % i), "wb") as f:
                f.write(numpy_helper.from_array(a, n).SerializeToString())


def freeze(model, inputs):
    """Move FREEZE inputs of the single node into initializers."""
    g = model.graph
    node = g.node[0]
    frozen = set()
    for (op, idx) in FREEZE:
        if node.op_type == op and len(node.input) > idx and node.input[idx]:
            frozen.add(node.input[idx])
    if not frozen:
        return model, inputs
    keep_vi, keep_in = [], []
    for vi, a in zip(g.input, inputs):
        if vi.name in frozen:
            g.initializer.append(numpy_helper.from_array(a, vi.name))
        else:
            keep_vi.append(vi)
            keep_in.append(a)
    del g.input[:]
    g.input.extend(keep_vi)
    return model, keep_in


def conformance(outdir):
    n = 0
    # Only the modules of these ops: importing every generator (what
    # collect_testcases() does) fails on some with this numpy.
    case_node._TargetOpType = None
    for mod in MODULES:
        importlib.import_module("onnx.backend.test.case.node." + mod)
    for tc in case_node._NodeTestCases:
        if tc.kind != "node" or tc.name.endswith("_expanded"):
            continue
        ops = {x.op_type for x in tc.model.graph.node}
        if len(ops) != 1 or not ops <= OPS:
            continue
        inputs, outputs = tc.data_sets[0]
        model = onnx.ModelProto()
        model.CopyFrom(tc.model)
        model, inputs = freeze(model, list(inputs))
        write_case(outdir, tc.name, model, inputs, list(outputs))
        n += 1
    return n


def rand_q(rng, dtype, shape):
    if dtype == np.uint8:
        return rng.integers(0, 256, shape, dtype=np.uint8)
    return rng.integers(-128, 128, shape, dtype=np.int8)


def zp_tensor(rng, dtype, name):
    lo, hi = (0, 256) if dtype == np.uint8 else (-128, 128)
    return numpy_helper.from_array(np.array(rng.integers(lo, hi), dtype=dtype), name)


ELEM = {np.uint8: TensorProto.UINT8, np.int8: TensorProto.INT8}


def mk_model(nodes, inputs, outputs, inits, opset=13, ms=False):
    g = helper.make_graph(nodes, "g", inputs, outputs, initializer=inits)
    imports = [helper.make_operatorsetid("", opset)]
    if ms:
        imports.append(helper.make_operatorsetid("com.microsoft", 1))
    m = helper.make_model(g, opset_imports=imports, producer_name="qaccel-gen")
    m.ir_version = 8
    return m


def random_matmul(outdir, rng, i):
    # The type pairs ONNX Runtime's CPU provider implements.
    ta, tb = [(np.uint8, np.uint8), (np.uint8, np.int8),
              (np.int8, np.int8)][rng.integers(3)]
    batch = [int(rng.integers(1, 4))] if rng.integers(2) else []
    m, k, n = (int(x) for x in rng.integers(1, 70, 3))
    a = rand_q(rng, ta, batch + [m, k])
    b = rand_q(rng, tb, [k, n])
    inits = [numpy_helper.from_array(b, "B"), zp_tensor(rng, ta, "a_zp"),
             zp_tensor(rng, tb, "b_zp")]
    node = helper.make_node("MatMulInteger", ["A", "B", "a_zp", "b_zp"], ["Y"],
                            name="mm")
    model = mk_model([node],
                     [helper.make_tensor_value_info("A", ELEM[ta], a.shape)],
                     [helper.make_tensor_value_info("Y", TensorProto.INT32, None)],
                     inits, opset=10)
    write_case(outdir, "random_matmulinteger_%d" % i, model, [a])


def random_conv(outdir, rng, i, pool=False):
    # ONNX Runtime's CPU provider implements ConvInteger for uint8 only.
    tx = tw = np.uint8
    nb = int(rng.integers(1, 3))
    c = int(rng.integers(1, 6))
    h, w = (int(x) for x in rng.integers(5, 14, 2))
    kh, kw = (int(x) for x in rng.integers(1, 4, 2))
    co = int(rng.integers(1, 9))
    strides = [int(x) for x in rng.integers(1, 3, 2)]
    dil = [int(x) for x in rng.integers(1, 3, 2)]
    pads = [int(x) for x in rng.integers(0, 3, 4)]
    x = rand_q(rng, tx, [nb, c, h, w])
    wt = rand_q(rng, tw, [co, c, kh, kw])
    inits = [numpy_helper.from_array(wt, "W"), zp_tensor(rng, tx, "x_zp"),
             zp_tensor(rng, tw, "w_zp")]
    nodes = []
    src = "X"
    if pool:
        nodes.append(helper.make_node("MaxPool", ["X"], ["P"], name="pool",
                                      kernel_shape=[2, 2], strides=[1, 1]))
        src = "P"
    nodes.append(helper.make_node("ConvInteger", [src, "W", "x_zp", "w_zp"], ["Y"],
                                  name="conv", strides=strides, dilations=dil,
                                  pads=pads))
    outs = "Y"
    if pool:
        inits.append(numpy_helper.from_array(np.array([0, 2, 3, 1], np.int64), "perm_unused"))
        nodes.append(helper.make_node("Transpose", ["Y"], ["T"], name="nhwc",
                                      perm=[0, 2, 3, 1]))
        nodes.append(helper.make_node("Flatten", ["T"], ["F"], name="flat", axis=1))
        inits.pop()
        outs = "F"
    model = mk_model(nodes,
                     [helper.make_tensor_value_info("X", ELEM[tx], x.shape)],
                     [helper.make_tensor_value_info(outs, TensorProto.INT32, None)],
                     inits, opset=13)
    write_case(outdir, "random_%s_%d" % ("chain" if pool else "convinteger", i),
               model, [x])


def random_qlinear(outdir, rng, i, conv):
    """QLinearMatMul / QLinearConv, uint8 activations, int8 or uint8 weights."""
    tw = [np.uint8, np.int8][rng.integers(2)]
    f32 = lambda lo, hi: numpy_helper.from_array(
        np.array(rng.uniform(lo, hi), dtype=np.float32))
    if conv:
        nb, c, co = 1, int(rng.integers(1, 5)), int(rng.integers(1, 9))
        h, w = (int(x) for x in rng.integers(4, 12, 2))
        x = rand_q(rng, np.uint8, [nb, c, h, w])
        wt = rand_q(rng, tw, [co, c, 3, 3])
        ch = co
    else:
        m, k, n = (int(x) for x in rng.integers(1, 40, 3))
        x = rand_q(rng, np.uint8, [m, k])
        wt = rand_q(rng, tw, [k, n])
        ch = n
    inits = []
    for name, t in (("xs", f32(0.001, 0.1)), ("ws", f32(0.001, 0.1)), ("ys", f32(0.05, 2.0))):
        t.name = name
        inits.append(t)
    inits += [numpy_helper.from_array(wt, "W"), zp_tensor(rng, np.uint8, "xzp"),
              numpy_helper.from_array(np.array(0, dtype=tw), "wzp"),
              zp_tensor(rng, np.uint8, "yzp")]
    ins = ["X", "xs", "xzp", "W", "ws", "wzp", "ys", "yzp"]
    if conv:
        inits.append(numpy_helper.from_array(
            rng.integers(-5000, 5000, [ch], dtype=np.int32), "B"))
        ins.append("B")
        node = helper.make_node("QLinearConv", ins, ["Y"], name="qconv",
                                pads=[1, 1, 1, 1], strides=[1, 1])
    else:
        node = helper.make_node("QLinearMatMul", ins, ["Y"], name="qmm")
    model = mk_model([node], [helper.make_tensor_value_info("X", TensorProto.UINT8, x.shape)],
                     [helper.make_tensor_value_info("Y", TensorProto.UINT8, None)],
                     inits, opset=13)
    write_case(outdir, "random_%s_%d" % ("qlinearconv" if conv else "qlinearmatmul", i),
               model, [x])


# --- cases of the QDQ format, the contrib ops and the float glue ops ---------

MS = "com.microsoft"
QRANGE = {np.uint8: (0, 255), np.int8: (-128, 127)}


def f32(x):
    return np.array(x, dtype=np.float32)


def scalar_init(name, value, dtype):
    # quantize_static writes scales and zero points as rank-0 initializers.
    return numpy_helper.from_array(np.array(value, dtype=dtype), name)


def act_qparams(rng, dtype, tie):
    """An activation's (scale, zero point); tie: a power of two, so that
    rescaled values land on .5 ties often."""
    scale = 2.0 ** -int(rng.integers(3, 8)) if tie else float(rng.uniform(0.005, 0.08))
    lo, hi = QRANGE[dtype]
    zp = int(rng.integers(lo, hi + 1))
    return np.float32(scale), zp


def random_qlinearadd(outdir, rng, i):
    dt = [np.uint8, np.int8][i % 2]
    tie = i % 3 == 0
    rank = int(rng.integers(1, 5))
    shape = [int(x) for x in rng.integers(1, 9, rank)]
    a = rand_q(rng, dt, shape)
    mode = ["same", "b_scalar", "a_scalar"][i % 3 if i < 6 else 0]
    b = rand_q(rng, dt, shape if mode == "same" else [1])
    if mode == "a_scalar":
        a, b = b, a
    inits = []
    for n in "abc":
        s, z = act_qparams(rng, dt, tie)
        inits += [scalar_init(n + "_s", s, np.float32), scalar_init(n + "_zp", z, dt)]
    node = helper.make_node("QLinearAdd", ["A", "a_s", "a_zp", "B", "b_s", "b_zp", "c_s", "c_zp"],
                            ["C"], name="qadd", domain=MS)
    model = mk_model([node], [helper.make_tensor_value_info("A", ELEM[dt], a.shape),
                              helper.make_tensor_value_info("B", ELEM[dt], b.shape)],
                     [helper.make_tensor_value_info("C", ELEM[dt], (a if a.size >= b.size else b).shape)],
                     inits, ms=True)
    write_case(outdir, "random_qlinearadd_%d" % i, model, [a, b])


def exhaustive_qlinearadd(outdir, rng, i):
    """Every pair of input values (or every value with one scalar) under
    non-tie scales: the outputs near .5 tell ONNX Runtime's fused
    multiply-add arithmetic apart from a plain float rescale."""
    dt = [np.uint8, np.int8][i % 2]
    lo, hi = QRANGE[dt]
    vals = np.arange(lo, hi + 1).astype(dt)
    if i < 2:
        a, b = np.repeat(vals, 256).reshape(256, 256), np.tile(vals, 256).reshape(256, 256)
    else:
        a, b = vals.reshape(1, 256), rand_q(rng, dt, [1])
    inits = []
    for n, near_tie in zip("abc", (0.45, 0.45, 0.3)):
        s, z = act_qparams(rng, dt, False)
        if i % 2 == 0:
            # fl(0.45 / 0.3) is 1.5 - 2^-23: every sum lies next to a .5.
            s = np.float32(near_tie)
        inits += [scalar_init(n + "_s", s, np.float32), scalar_init(n + "_zp", z, dt)]
    node = helper.make_node("QLinearAdd", ["A", "a_s", "a_zp", "B", "b_s", "b_zp", "c_s", "c_zp"],
                            ["C"], name="qadd", domain=MS)
    model = mk_model([node], [helper.make_tensor_value_info("A", ELEM[dt], a.shape),
                              helper.make_tensor_value_info("B", ELEM[dt], b.shape)],
                     [helper.make_tensor_value_info("C", ELEM[dt], a.shape)], inits, ms=True)
    write_case(outdir, "exhaustive_qlinearadd_%d" % i, model, [a, b])


def random_qgemm(outdir, rng, i):
    ta = [np.uint8, np.int8][i % 2]
    tb = np.int8 if ta == np.int8 else [np.uint8, np.int8][int(rng.integers(2))]
    m, k, n = (int(x) for x in rng.integers(1, 40, 3))
    trans_a, trans_b = (i >> 1) & 1, ((i >> 2) & 1) ^ (i & 1)
    alpha = 1.0 if i % 3 else float(np.float32(rng.uniform(0.25, 2.0)))
    float_out = i % 4 == 3
    a = rand_q(rng, ta, [k, m] if trans_a else [m, k])
    b = rand_q(rng, tb, [n, k] if trans_b else [k, n])
    per_col = i % 2 == 0
    bs = rng.uniform(0.001, 0.02, [n] if per_col else []).astype(np.float32)
    sa, za = act_qparams(rng, ta, i % 5 == 0)
    inits = [scalar_init("a_s", sa, np.float32), scalar_init("a_zp", za, ta),
             numpy_helper.from_array(b, "B"), numpy_helper.from_array(bs, "b_s"),
             numpy_helper.from_array(np.zeros(bs.shape, tb) if tb == np.int8 else
                                     np.full(bs.shape, int(rng.integers(0, 256)), np.uint8), "b_zp")]
    ins = ["A", "a_s", "a_zp", "B", "b_s", "b_zp"]
    cshape = [[n], [1, n], [], None][i % 4]
    if cshape is not None:
        inits.append(numpy_helper.from_array(
            rng.integers(-20000, 20000, cshape).astype(np.int32), "C"))
        ins.append("C")
    elif not float_out:
        ins.append("")
    if not float_out:
        sy, zy = act_qparams(rng, ta, i % 5 == 0)
        sy = np.float32(sy * 8)
        inits += [scalar_init("y_s", sy, np.float32), scalar_init("y_zp", zy, ta)]
        ins += ["y_s", "y_zp"]
    node = helper.make_node("QGemm", ins, ["Y"], name="qgemm", domain=MS, alpha=alpha,
                            transA=trans_a, transB=trans_b)
    model = mk_model([node], [helper.make_tensor_value_info("A", ELEM[ta], a.shape)],
                     [helper.make_tensor_value_info(
                         "Y", TensorProto.FLOAT if float_out else ELEM[ta], [m, n])],
                     inits, ms=True)
    write_case(outdir, "random_qgemm_%d" % i, model, [a])


def random_quantize(outdir, rng, i):
    dt = [np.uint8, np.int8][i % 2]
    shape = [int(x) for x in rng.integers(1, 7, 3)]
    axis = int(rng.integers(0, 3)) if i % 4 >= 2 else None
    cnt = shape[axis] if axis is not None else 1
    scale = (2.0 ** -rng.integers(0, 6, cnt)).astype(np.float32)
    lo, hi = QRANGE[dt]
    zp = rng.integers(lo, hi + 1, cnt).astype(dt)
    bshape = [1] * 3
    if axis is not None:
        bshape[axis] = cnt
    # Exact .5 ties, values beyond the range both ways, and plain values.
    k = rng.integers(-400, 400, shape).astype(np.float32)
    x = ((k + 0.5 * rng.integers(0, 2, shape)) * scale.reshape(bshape)).astype(np.float32)
    x[..., 0] += np.float32(0.1) * scale.reshape(bshape)[..., 0]
    sv = scale if axis is not None else scale.reshape([])
    zv = zp if axis is not None else zp.reshape([])
    inits = [numpy_helper.from_array(sv, "s"), numpy_helper.from_array(zv, "zp")]
    kw = {"axis": axis} if axis is not None else {}
    node = helper.make_node("QuantizeLinear", ["X", "s", "zp"], ["Y"], name="q", **kw)
    model = mk_model([node], [helper.make_tensor_value_info("X", TensorProto.FLOAT, x.shape)],
                     [helper.make_tensor_value_info("Y", ELEM[dt], None)], inits)
    write_case(outdir, "random_quantizelinear_%d" % i, model, [x])
    # The way back.
    q = rand_q(rng, dt, shape)
    dsc = rng.uniform(0.001, 3.0, cnt).astype(np.float32)
    inits = [numpy_helper.from_array(dsc if axis is not None else dsc.reshape([]), "s"),
             numpy_helper.from_array(zv, "zp")]
    node = helper.make_node("DequantizeLinear", ["X", "s", "zp"], ["Y"], name="dq", **kw)
    model = mk_model([node], [helper.make_tensor_value_info("X", ELEM[dt], q.shape)],
                     [helper.make_tensor_value_info("Y", TensorProto.FLOAT, None)], inits)
    write_case(outdir, "random_dequantizelinear_%d" % i, model, [q])


def random_add(outdir, rng, i):
    shape = [int(x) for x in rng.integers(1, 6, 4)]
    bshape = [d if rng.integers(2) else 1 for d in shape][int(rng.integers(0, 3)):]
    if i % 2:
        a = rng.normal(0, 10, shape).astype(np.float32)
        b = rng.normal(0, 10, bshape).astype(np.float32)
        t = TensorProto.FLOAT
    else:
        a = rng.integers(-2**31, 2**31, shape, dtype=np.int64).astype(np.int32)
        b = rng.integers(-2**31, 2**31, bshape, dtype=np.int64).astype(np.int32)
        t = TensorProto.INT32
    node = helper.make_node("Add", ["A", "B"], ["Y"], name="add")
    model = mk_model([node], [helper.make_tensor_value_info("A", t, a.shape),
                              helper.make_tensor_value_info("B", t, b.shape)],
                     [helper.make_tensor_value_info("Y", t, None)], [])
    write_case(outdir, "random_add_%d" % i, model, [a, b])


class QDQ:
    """A QDQ graph as onnxruntime.quantization.quantize_static writes it:
    Q -> DQ on every activation, weights stored quantized with a DQ, int32
    biases at scale x_scale * w_scale with a DQ, rank-0 scales and zero
    points named <tensor>_scale / <tensor>_zero_point."""

    def __init__(self, rng, act):
        self.rng, self.act = rng, act
        self.nodes, self.inits = [], []

    def qdq(self, x, scale, zp, dtype=None):
        dtype = dtype or self.act
        self.inits += [scalar_init(x + "_scale", scale, np.float32),
                       scalar_init(x + "_zero_point", zp, dtype)]
        self.nodes.append(helper.make_node("QuantizeLinear", [x, x + "_scale", x + "_zero_point"],
                                           [x + "_QuantizeLinear_Output"], name=x + "_QuantizeLinear"))
        self.nodes.append(helper.make_node("DequantizeLinear",
                                           [x + "_QuantizeLinear_Output", x + "_scale", x + "_zero_point"],
                                           [x + "_DequantizeLinear_Output"], name=x + "_DequantizeLinear"))
        return x + "_DequantizeLinear_Output"

    def weight(self, name, w, axis, per_channel):
        """Symmetric int8 weights (per channel along axis, or per tensor)."""
        wt = np.int8
        if per_channel:
            red = tuple(d for d in range(w.ndim) if d != axis)
            scale = (np.abs(w).max(axis=red) / 127).astype(np.float32)
            shape = [1] * w.ndim
            shape[axis] = -1
            q = np.clip(np.round(w / scale.reshape(shape)), -127, 127).astype(wt)
            zp = np.zeros(scale.shape, wt)
        else:
            scale = np.float32(np.abs(w).max() / 127)
            q = np.clip(np.round(w / scale), -127, 127).astype(wt)
            zp = np.array(0, wt)
        self.inits += [numpy_helper.from_array(q, name + "_quantized"),
                       numpy_helper.from_array(np.asarray(scale, np.float32), name + "_scale"),
                       numpy_helper.from_array(zp, name + "_zero_point")]
        kw = {"axis": axis} if per_channel else {}
        self.nodes.append(helper.make_node("DequantizeLinear", [name + "_quantized", name + "_scale",
                                                                name + "_zero_point"],
                                           [name + "_DequantizeLinear_Output"],
                                           name=name + "_DequantizeLinear", **kw))
        return name + "_DequantizeLinear_Output", scale

    def bias(self, name, b, x_scale, w_scale):
        scale = (np.float32(x_scale) * np.asarray(w_scale, np.float32)).astype(np.float32)
        scale = np.broadcast_to(scale, b.shape).astype(np.float32)
        q = np.round(b / scale).astype(np.int32)
        self.inits += [numpy_helper.from_array(q, name + "_quantized"),
                       numpy_helper.from_array(scale, name + "_quantized_scale"),
                       numpy_helper.from_array(np.zeros(b.shape, np.int32),
                                               name + "_quantized_zero_point")]
        self.nodes.append(helper.make_node("DequantizeLinear",
                                           [name + "_quantized", name + "_quantized_scale",
                                            name + "_quantized_zero_point"],
                                           [name + "_quantized_DequantizeLinear_Output"],
                                           name=name + "_quantized_DequantizeLinear", axis=0))
        return name + "_quantized_DequantizeLinear_Output"

    def out_qparams(self, relu, tie):
        lo, hi = QRANGE[self.act]
        scale = np.float32(2.0 ** -int(self.rng.integers(2, 6)) if tie
                           else self.rng.uniform(0.02, 0.2))
        zp = lo if relu else int(self.rng.integers(lo + 60, hi - 60))
        return scale, zp

    def write(self, outdir, name, inputs, out, out_type=TensorProto.FLOAT, expect=None,
              opset=13):
        model = mk_model(self.nodes, [helper.make_tensor_value_info(n, TensorProto.FLOAT, a.shape)
                                      for n, a in inputs],
                         [helper.make_tensor_value_info(out, out_type, None)], self.inits,
                         opset=opset)
        write_case(outdir, name, model, [a for _, a in inputs], expect=expect)


def qdq_conv(outdir, rng, i, act_kind):
    """X -> Q/DQ -> Conv (DQ weights and bias) [-> Relu / Clip] -> Q/DQ -> Y.
    act_kind: none, relu (removable: zero point at the type's lowest),
    clip (0..6 covering the output range: removable), relu_kept (zero point
    not the lowest: ONNX Runtime keeps Relu and runs Conv in float)."""
    act = np.int8 if i % 2 else np.uint8
    g = QDQ(rng, act)
    c, co = int(rng.integers(1, 5)), int(rng.integers(1, 9))
    h, w = (int(x) for x in rng.integers(5, 12, 2))
    x = rng.normal(0, 1, [1, c, h, w]).astype(np.float32)
    xs, xz = np.float32(rng.uniform(0.01, 0.04)), 0 if act == np.int8 else 128
    if i % 3 == 0:
        xs = np.float32(2.0 ** -5)
    xd = g.qdq("X", xs, xz)
    wf = rng.normal(0, 0.3, [co, c, 3, 3]).astype(np.float32)
    wd, ws = g.weight("W", wf, 0, per_channel=i % 4 != 1)
    bd = g.bias("B", rng.normal(0, 0.5, [co]).astype(np.float32), xs, ws)
    g.nodes.append(helper.make_node("Conv", [xd, wd, bd], ["conv_out"], name="conv",
                                    pads=[1, 1, 1, 1], strides=[1 + i % 2, 1]))
    src = "conv_out"
    relu = act_kind in ("relu", "clip")
    ys, yz = g.out_qparams(relu, i % 3 == 0)
    expect = None
    if act_kind in ("relu", "relu_kept"):
        g.nodes.append(helper.make_node("Relu", [src], ["act_out"], name="relu"))
        src = "act_out"
        if act_kind == "relu_kept":
            expect = "reject"
    elif act_kind == "clip":
        ys = np.float32(min(ys, 6.0 / 255))
        g.inits += [numpy_helper.from_array(f32(0.0), "clip_min"),
                    numpy_helper.from_array(f32(6.0), "clip_max")]
        g.nodes.append(helper.make_node("Clip", [src, "clip_min", "clip_max"], ["act_out"],
                                        name="clip"))
        src = "act_out"
    yd = g.qdq(src, ys, yz)
    g.write(outdir, "qdq_conv_%s_%d" % (act_kind, i), [("X", x)], yd, expect=expect)


def qdq_matmul(outdir, rng, i, with_q=True, per_row=False):
    act = np.int8 if i % 2 else np.uint8
    g = QDQ(rng, act)
    m, k, n = (int(v) for v in rng.integers(1, 40, 3))
    if per_row:
        k = n
    x = rng.normal(0, 1, [m, k]).astype(np.float32)
    xs = np.float32(rng.uniform(0.01, 0.04))
    xd = g.qdq("X", xs, 0 if act == np.int8 else 128)
    wd, _ = g.weight("W", rng.normal(0, 0.3, [k, n]).astype(np.float32), 0 if per_row else 1,
                     per_channel=per_row or i % 3 == 0)
    g.nodes.append(helper.make_node("MatMul", [xd, wd], ["mm_out"], name="matmul"))
    if per_row:
        # Scales per row of B (K of them, K == N): not QLinearMatMul's per column.
        ys, yz = g.out_qparams(False, False)
        g.write(outdir, "qdq_matmul_per_row_%d" % i, [("X", x)], g.qdq("mm_out", ys, yz),
                expect="reject")
    elif with_q:
        ys, yz = g.out_qparams(False, i % 4 == 0)
        g.write(outdir, "qdq_matmul_%d" % i, [("X", x)], g.qdq("mm_out", ys, yz))
    else:
        g.write(outdir, "qdq_matmul_float_out_%d" % i, [("X", x)], "mm_out", expect="reject")


def qdq_gemm(outdir, rng, i, with_q=True):
    """PyTorch's Linear as exported: Gemm with transB=1 and a bias."""
    act = np.int8 if i % 2 else np.uint8
    g = QDQ(rng, act)
    m, k, n = (int(v) for v in rng.integers(1, 40, 3))
    x = rng.normal(0, 1, [m, k]).astype(np.float32)
    xs = np.float32(rng.uniform(0.01, 0.04))
    xd = g.qdq("X", xs, 0 if act == np.int8 else 128)
    wd, ws = g.weight("W", rng.normal(0, 0.3, [n, k]).astype(np.float32), 0,
                      per_channel=i % 3 != 2)
    bd = g.bias("B", rng.normal(0, 0.5, [n]).astype(np.float32), xs, ws)
    g.nodes.append(helper.make_node("Gemm", [xd, wd, bd], ["gemm_out"], name="gemm",
                                    transB=1, alpha=1.0, beta=1.0))
    if with_q:
        ys, yz = g.out_qparams(False, i % 4 == 0)
        g.write(outdir, "qdq_gemm_%d" % i, [("X", x)], g.qdq("gemm_out", ys, yz))
    else:
        g.write(outdir, "qdq_gemm_float_out_%d" % i, [("X", x)], "gemm_out")


def qdq_add(outdir, rng, i):
    act = np.int8 if i % 2 else np.uint8
    g = QDQ(rng, act)
    shape = [1, int(rng.integers(1, 6)), int(rng.integers(1, 9)), int(rng.integers(1, 9))]
    tie = i % 2 == 0
    ins = []
    ds = []
    for nme in ("X1", "X2"):
        s, z = act_qparams(rng, act, tie)
        a = rng.normal(0, 2, shape).astype(np.float32)
        ins.append((nme, a))
        ds.append(g.qdq(nme, s, z))
    g.nodes.append(helper.make_node("Add", ds, ["add_out"], name="add"))
    s, z = act_qparams(rng, act, tie)
    g.write(outdir, "qdq_add_%d" % i, ins, g.qdq("add_out", s, z))


def qdq_cnn(outdir, rng, i):
    """A small CNN in QDQ form: Conv -> Relu -> MaxPool -> Reshape -> Gemm, the
    data movement between Q/DQ pairs of equal parameters (dropped), the Relu
    folded, the Gemm a QGemm."""
    act = np.int8 if i % 2 else np.uint8
    g = QDQ(rng, act)
    x = rng.uniform(0, 1, [2, 1, 12, 12]).astype(np.float32)
    xs = np.float32(1 / 255) if act == np.uint8 else np.float32(1 / 127)
    xd = g.qdq("input", xs, 0)
    wd, ws = g.weight("conv_w", rng.normal(0, 0.4, [4, 1, 3, 3]).astype(np.float32), 0, True)
    bd = g.bias("conv_b", rng.normal(0, 0.1, [4]).astype(np.float32), xs, ws)
    g.nodes.append(helper.make_node("Conv", [xd, wd, bd], ["conv"], name="conv", pads=[1, 1, 1, 1]))
    g.nodes.append(helper.make_node("Relu", ["conv"], ["relu"], name="relu"))
    rs, rz = np.float32(rng.uniform(0.01, 0.03)), QRANGE[act][0]
    rd = g.qdq("relu", rs, rz)
    g.nodes.append(helper.make_node("MaxPool", [rd], ["pool"], name="pool", kernel_shape=[2, 2],
                                    strides=[2, 2]))
    pd = g.qdq("pool", rs, rz)
    g.inits.append(numpy_helper.from_array(np.array([2, -1], np.int64), "flat_shape"))
    g.nodes.append(helper.make_node("Reshape", [pd, "flat_shape"], ["flat"], name="flatten"))
    fd = g.qdq("flat", rs, rz)
    w2, ws2 = g.weight("fc_w", rng.normal(0, 0.1, [10, 144]).astype(np.float32), 0, True)
    b2 = g.bias("fc_b", rng.normal(0, 0.1, [10]).astype(np.float32), rs, ws2)
    g.nodes.append(helper.make_node("Gemm", [fd, w2, b2], ["logits"], name="fc", transB=1,
                                    alpha=1.0, beta=1.0))
    ls, lz = np.float32(rng.uniform(0.05, 0.2)), 0 if act == np.int8 else 128
    g.write(outdir, "qdq_cnn_%d" % i, [("input", x)], g.qdq("logits", ls, lz))


def qdq_reshape_requant(outdir, rng, i):
    """DQ -> Reshape -> Q with different parameters: not dropped, it runs as
    DQ, a float Reshape, Q."""
    act = np.int8 if i % 2 else np.uint8
    g = QDQ(rng, act)
    x = rng.normal(0, 1, [2, 3, 4]).astype(np.float32)
    s, z = act_qparams(rng, act, True)
    xd = g.qdq("X", s, z)
    g.inits.append(numpy_helper.from_array(np.array([6, 4], np.int64), "shape"))
    g.nodes.append(helper.make_node("Reshape", [xd, "shape"], ["r"], name="reshape"))
    s2, z2 = act_qparams(rng, act, True)
    g.write(outdir, "qdq_reshape_requant_%d" % i, [("X", x)], g.qdq("r", np.float32(s2 * 3), z2))


def pool_axis(n, k, s, pb, pe, ceil, auto):
    """ONNX Runtime's output size and pads of one axis, or None where
    qaccel_onnx refuses the geometry (SAME with a kernel shorter than the
    stride: negative pads; a window in the padding only)."""
    if auto == "VALID":
        pb = pe = 0
    elif auto in ("SAME_UPPER", "SAME_LOWER"):
        t = (n + s - 1) // s
        need = (t - 1) * s + k - n
        if need < 0:
            return None
        pb = (need + 1) // 2 if auto == "SAME_LOWER" else need // 2
        pe = need - pb
    span = n + pb + pe - k
    if span < 0:
        return None
    o = (-(-span // s) if ceil else span // s) + 1
    if (o - 1) * s - pb >= n or k - pb <= 0:
        return None
    return o, pb, pe


def pool_attrs(rng, h, w, i):
    """Random AveragePool attributes that qaccel_onnx takes for an h x w
    input; variant i % 8 steers towards each of MLAS's kernels and modes."""
    while True:
        v = i % 8
        k = [int(rng.integers(1, min(h, 6) + 1)), int(rng.integers(1, min(w, 6) + 1))]
        s = [int(rng.integers(1, 3)), int(rng.integers(1, 3))]
        if v == 1:      # the whole image: MLAS's global kernel
            k, s = [h, w], [1, 1]
        elif v == 2:    # stride along W above 2: the generic kernel
            s[1] = 3
        elif v == 3 and w > 33:     # a kernel wider than 32: generic too
            k[1] = 33
        pads = [int(rng.integers(0, k[j % 2])) if rng.integers(2) else 0 for j in range(4)]
        if v == 1:
            pads = [0, 0, 0, 0]
        auto = None
        if v == 4:
            auto = ["VALID", "SAME_UPPER", "SAME_LOWER"][int(rng.integers(3))]
            pads = [0, 0, 0, 0]
        ceil, cip = int(rng.integers(2)), int(rng.integers(2))
        if v in (5, 6):
            ceil = 1
        ga = [pool_axis(h, k[0], s[0], pads[0], pads[2], ceil, auto),
              pool_axis(w, k[1], s[1], pads[1], pads[3], ceil, auto)]
        if None in ga:
            continue
        kw = dict(kernel_shape=k, strides=s, ceil_mode=ceil, count_include_pad=cip)
        if auto:
            kw["auto_pad"] = auto
        else:
            kw["pads"] = pads
        return kw, [ga[0][0], ga[1][0]]


def random_avgpool(outdir, rng, i):
    """Float AveragePool: channels not a multiple of 8 (ONNX Runtime's NCHWc
    kernels take those), odd sizes, pads, strides, ceil_mode,
    count_include_pad, auto_pad."""
    c = int(rng.choice([1, 2, 3, 5, 7, 12]))
    h, w = (int(x) for x in rng.integers(1, 24, 2))
    if i % 8 == 3:
        w = int(rng.integers(34, 60))
    x = rng.normal(0, 3, [int(rng.integers(1, 3)), c, h, w]).astype(np.float32)
    kw, out = pool_attrs(rng, h, w, i)
    node = helper.make_node("AveragePool", ["X"], ["Y"], name="pool", **kw)
    model = mk_model([node], [helper.make_tensor_value_info("X", TensorProto.FLOAT, x.shape)],
                     [helper.make_tensor_value_info("Y", TensorProto.FLOAT, None)], [],
                     opset=[11, 13, 17][i % 3])
    write_case(outdir, "random_averagepool_%d" % i, model, [x])


def random_globalavgpool(outdir, rng, i):
    c = int(rng.choice([1, 3, 6, 9, 30]))
    h, w = (int(x) for x in rng.integers(1, 30, 2))
    x = rng.normal(0, 3, [int(rng.integers(1, 3)), c, h, w]).astype(np.float32)
    node = helper.make_node("GlobalAveragePool", ["X"], ["Y"], name="gap")
    model = mk_model([node], [helper.make_tensor_value_info("X", TensorProto.FLOAT, x.shape)],
                     [helper.make_tensor_value_info("Y", TensorProto.FLOAT, None)], [])
    write_case(outdir, "random_globalaveragepool_%d" % i, model, [x])


def avgpool_refused(outdir, rng):
    """Float average pools qaccel_onnx must refuse: 16 channels (ONNX
    Runtime's NCHWc kernels, in a CPU-dependent order), a window in the
    padding only (ceil_mode)."""
    for name, c, h, kw in (("nchwc", 16, 6, dict(kernel_shape=[3, 3])),
                           ("padding_window", 3, 2, dict(kernel_shape=[1, 1], strides=[3, 3],
                                                         ceil_mode=1))):
        x = rng.normal(0, 1, [1, c, h, h]).astype(np.float32)
        node = helper.make_node("AveragePool", ["X"], ["Y"], name="pool", **kw)
        model = mk_model([node], [helper.make_tensor_value_info("X", TensorProto.FLOAT, x.shape)],
                         [helper.make_tensor_value_info("Y", TensorProto.FLOAT, None)], [])
        write_case(outdir, "averagepool_refused_%s" % name, model, [x], expect="reject")


def random_qlinear_avgpool(outdir, rng, i):
    """QLinearAveragePool (com.microsoft): uint8 and int8, the attributes of
    random_avgpool, ONNX Runtime's fallback to its global kernel (kernel =
    image, no pads), and without zero points."""
    dt = [np.uint8, np.int8][i % 2]
    c = int(rng.integers(1, 20))
    h, w = (int(x) for x in rng.integers(1, 16, 2))
    x = rand_q(rng, dt, [int(rng.integers(1, 3)), c, h, w])
    kw, out = pool_attrs(rng, h, w, i // 2)
    if i % 6 == 5:
        kw = dict(kernel_shape=[h, w], strides=[int(rng.integers(1, 3))] * 2)
        out = [1, 1]
    inits = []
    for n in "xy":
        s, z = act_qparams(rng, dt, i % 3 == 0)
        inits += [scalar_init(n + "_s", s, np.float32), scalar_init(n + "_zp", z, dt)]
    node = helper.make_node("QLinearAveragePool", ["X", "x_s", "x_zp", "y_s", "y_zp"], ["Y"],
                            name="qpool", domain=MS, **kw)
    model = mk_model([node], [helper.make_tensor_value_info("X", ELEM[dt], x.shape)],
                     [helper.make_tensor_value_info("Y", ELEM[dt], list(x.shape[:2]) + out)],
                     inits, ms=True)
    write_case(outdir, "random_qlinearaveragepool_%d" % i, model, [x])


def exhaustive_pairs(dt, zp):
    """Every pair of dt values, one pair per channel of a 1 x 2 image."""
    lo, hi = QRANGE[dt]
    a, b = np.meshgrid(np.arange(lo, hi + 1), np.arange(lo, hi + 1))
    return np.stack([a.ravel(), b.ravel()], axis=1).reshape(1, -1, 1, 2).astype(dt)


def random_qlinear_gap(outdir, rng, i):
    """QLinearGlobalAveragePool: random, and (i >= 4) every pair of values
    under scales whose ratio rounds near .5 often."""
    dt = [np.uint8, np.int8][i % 2]
    if i < 4:
        x = rand_q(rng, dt, [int(rng.integers(1, 3)), int(rng.integers(1, 40))] +
                   [int(v) for v in rng.integers(1, 20, 2)])
        qp = [act_qparams(rng, dt, i % 3 == 0) for _ in "xy"]
    else:
        x = exhaustive_pairs(dt, 0)
        qp = [(np.float32(0.45), int(rng.integers(-20, 20)) + (128 if dt == np.uint8 else 0)),
              (np.float32(0.3), int(rng.integers(-20, 20)) + (128 if dt == np.uint8 else 0))]
    inits = []
    for n, (s, z) in zip("xy", qp):
        inits += [scalar_init(n + "_s", s, np.float32), scalar_init(n + "_zp", z, dt)]
    node = helper.make_node("QLinearGlobalAveragePool", ["X", "x_s", "x_zp", "y_s", "y_zp"], ["Y"],
                            name="qgap", domain=MS)
    model = mk_model([node], [helper.make_tensor_value_info("X", ELEM[dt], x.shape)],
                     [helper.make_tensor_value_info("Y", ELEM[dt], list(x.shape[:2]) + [1, 1])],
                     inits, ms=True)
    write_case(outdir, "%s_qlinearglobalaveragepool_%d" % ("random" if i < 4 else "exhaustive", i),
               model, [x])


def qdq_pool(outdir, rng, i, op):
    """X -> Q/DQ -> AveragePool / GlobalAveragePool -> Q/DQ: ONNX Runtime
    fuses the uint8 unit into QLinear(Global)AveragePool and runs the int8
    one the same way when its Q -> DQ pairs all turn uint8 (ONNX Runtime's
    int8 -> uint8 conversion), else (i >= 6: the Q is the graph's output) as
    DQ, the float pool, Q.  i in 4, 5, 7: every pair of values in the 1 x 2
    images of 65,535 channels, under scales where the fused and unfused
    arithmetic differ in thousands of outputs."""
    act = np.int8 if i % 2 else np.uint8
    g = QDQ(rng, act)
    z0 = 0 if act == np.int8 else 128
    if i in (0, 1, 2, 3, 6):
        c = int(rng.choice([1, 3, 5, 6, 12]))
        h, w = (int(v) for v in rng.integers(2, 14, 2))
        x = rng.normal(0, 1, [1, c, h, w]).astype(np.float32)
        xs, ys = np.float32(rng.uniform(0.01, 0.04)), np.float32(rng.uniform(0.005, 0.04))
        xz, yz = z0 + int(rng.integers(-10, 10)), z0 + int(rng.integers(-10, 10))
    else:
        xs, ys, xz, yz = np.float32(0.45), np.float32(0.3), z0 + 3, z0 - 7
        x = ((exhaustive_pairs(act, 0)[:, :-1].astype(np.float32) - xz) * xs).astype(np.float32)
    xd = g.qdq("X", xs, xz)
    kw = {}
    if op == "AveragePool":
        kw, _ = pool_attrs(rng, x.shape[2], x.shape[3], i)
    g.nodes.append(helper.make_node(op, [xd], ["pool_out"], name="pool", **kw))
    if i < 6:
        g.write(outdir, "qdq_%s_%d" % (op.lower(), i), [("X", x)], g.qdq("pool_out", ys, yz))
        return
    # The Q is the graph's output: ONNX Runtime keeps it int8 while the
    # input's pair turns uint8, so the int8 unit stays unfused.
    g.inits += [scalar_init("Y_scale", ys, np.float32), scalar_init("Y_zero_point", yz, act)]
    g.nodes.append(helper.make_node("QuantizeLinear", ["pool_out", "Y_scale", "Y_zero_point"], ["Y"],
                                    name="Y_QuantizeLinear"))
    g.write(outdir, "qdq_%s_q_output_%d" % (op.lower(), i), [("X", x)], "Y", out_type=ELEM[act])


def random_new(outdir, rng):
    n = 0
    for i in range(8):
        random_qlinearadd(outdir, rng, i)
        random_qgemm(outdir, rng, i)
        random_add(outdir, rng, i)
        n += 3
    for i in range(6):
        random_quantize(outdir, rng, i)
        n += 2
    for i in range(4):
        exhaustive_qlinearadd(outdir, rng, i)
        n += 1
    for i in range(4):
        for kind in ("none", "relu", "clip"):
            qdq_conv(outdir, rng, i, kind)
            n += 1
        qdq_matmul(outdir, rng, i)
        qdq_gemm(outdir, rng, i)
        qdq_add(outdir, rng, i)
        n += 3
    for i in range(2):
        qdq_conv(outdir, rng, i, "relu_kept")
        qdq_matmul(outdir, rng, i, with_q=False)
        qdq_matmul(outdir, rng, i, per_row=True)
        qdq_gemm(outdir, rng, i, with_q=False)
        qdq_cnn(outdir, rng, i)
        qdq_reshape_requant(outdir, rng, i)
        n += 6
    for i in range(24):
        random_avgpool(outdir, rng, i)
        n += 1
    for i in range(6):
        random_globalavgpool(outdir, rng, i)
        random_qlinear_gap(outdir, rng, i)
        n += 2
    avgpool_refused(outdir, rng)
    n += 2
    for i in range(16):
        random_qlinear_avgpool(outdir, rng, i)
        n += 1
    for i in range(8):
        for op in ("AveragePool", "GlobalAveragePool"):
            qdq_pool(outdir, rng, i, op)
            n += 1
    return n


class Exported:
    """A QDQ graph the way PyTorch 1.13's torch.onnx.export writes a model
    quantized in eager mode (examples/fashion/fashion-torch.py): no
    initializers, every weight, scale and zero point a Constant node, a
    Cast(to=its own type) between every QuantizeLinear and the
    DequantizeLinear that reads it, an int32 bias behind a DequantizeLinear
    whose zero point is ConstantOfShape(int32 0) -> Cast(to=INT32), each
    Linear a Gemm(transB=1), a quantized ReLU as DQ -> Relu -> Q with the
    same scale and zero point on both sides."""

    def __init__(self, rng):
        self.rng, self.nodes, self.n = rng, [], 0

    def const(self, scope, value):
        name = "/%s/Constant_%d_output_0" % (scope, self.n)
        self.n += 1
        self.nodes.append(helper.make_node("Constant", [], [name], name=name[:-9],
                                           value=numpy_helper.from_array(np.asarray(value))))
        return name

    def q(self, scope, x, scale, zp):
        s, z = self.const(scope, np.float32(scale)), self.const(scope, np.uint8(zp))
        out = "/%s/QuantizeLinear_output_0" % scope
        self.nodes.append(helper.make_node("QuantizeLinear", [x, s, z], [out],
                                           name="/%s/QuantizeLinear" % scope))
        return out

    def dq(self, scope, qx, scale, zp):
        cast = "/%s/Cast_output_0" % scope
        self.nodes.append(helper.make_node("Cast", [qx], [cast], name="/%s/Cast" % scope,
                                           to=TensorProto.UINT8))
        s, z = self.const(scope, np.float32(scale)), self.const(scope, np.uint8(zp))
        out = "/%s/DequantizeLinear_output_0" % scope
        self.nodes.append(helper.make_node("DequantizeLinear", [cast, s, z], [out],
                                           name="/%s/DequantizeLinear" % scope))
        return out

    def linear(self, scope, xd, x_scale, k, n, per_channel):
        w = self.rng.normal(0, 0.3, [n, k]).astype(np.float32)
        if per_channel:
            ws = (np.abs(w).max(axis=1) / 127).astype(np.float32)
            wq = np.clip(np.round(w / ws[:, None]), -127, 127).astype(np.int8)
        else:
            ws = np.array([np.abs(w).max() / 127], np.float32)
            wq = np.clip(np.round(w / ws[0]), -127, 127).astype(np.int8)
        kw = {"axis": 0} if per_channel else {}
        wd = "/%s/DequantizeLinear_1_output_0" % scope
        self.nodes.append(helper.make_node(
            "DequantizeLinear", [self.const(scope, wq), self.const(scope, ws),
                                 self.const(scope, np.zeros(ws.shape, np.int8))], [wd],
            name="/%s/DequantizeLinear_1" % scope, **kw))
        bs = (np.float32(x_scale) * ws).astype(np.float32)
        bq = np.round(self.rng.normal(0, 0.3, [n]) / bs).astype(np.int32)
        shape = self.const(scope, np.array([1], np.int64))
        zeros, zp = "/%s/ConstantOfShape_output_0" % scope, "/%s/Cast_1_output_0" % scope
        self.nodes.append(helper.make_node("ConstantOfShape", [shape], [zeros],
                                           name="/%s/ConstantOfShape" % scope,
                                           value=numpy_helper.from_array(np.zeros(1, np.int32))))
        self.nodes.append(helper.make_node("Cast", [zeros], [zp], name="/%s/Cast_1" % scope,
                                           to=TensorProto.INT32))
        bd = "/%s/DequantizeLinear_2_output_0" % scope
        self.nodes.append(helper.make_node(
            "DequantizeLinear", [self.const(scope, bq), self.const(scope, bs), zp], [bd],
            name="/%s/DequantizeLinear_2" % scope))
        out = "/%s/Gemm_output_0" % scope
        self.nodes.append(helper.make_node("Gemm", [xd, wd, bd], [out], name="/%s/Gemm" % scope,
                                           alpha=1.0, beta=1.0, transB=1))
        return out


def exported_mlp(outdir, rng, i):
    """X -> Q -> fc1 (Gemm) -> Q -> DQ -> Relu -> Q (zero point not 0: the
    Relu stays, in float, as in ONNX Runtime) -> fc2 -> Q -> DQ -> Y, per
    tensor (1-element 1-D scales) or, odd i, per output channel (axis 0)."""
    g = Exported(rng)
    b, k, h, n = 4, int(rng.integers(8, 40)), int(rng.integers(4, 24)), int(rng.integers(2, 12))
    x = rng.uniform(0, 1, [b, k]).astype(np.float32)
    xs = np.float32(1 / 255.0)
    xd = g.dq("fc1", g.q("quant", "image", xs, 0), xs, 0)
    y1 = g.linear("fc1", xd, xs, k, h, per_channel=i % 2 == 1)
    hs, hz = np.float32(rng.uniform(0.02, 0.1)), int(rng.integers(60, 200))
    rd = g.dq("relu", g.q("fc1", y1, hs, hz), hs, hz)
    g.nodes.append(helper.make_node("Relu", [rd], ["/relu/Relu_output_0"], name="/relu/Relu"))
    fd = g.dq("fc2", g.q("relu", "/relu/Relu_output_0", hs, hz), hs, hz)
    y2 = g.linear("fc2", fd, hs, h, n, per_channel=i % 2 == 1)
    ys, yz = np.float32(rng.uniform(0.05, 0.2)), int(rng.integers(100, 160))
    qy = g.q("fc2", y2, ys, yz)
    g.nodes.append(helper.make_node("Cast", [qy], ["/dequant/Cast_output_0"],
                                    name="/dequant/Cast", to=TensorProto.UINT8))
    g.nodes.append(helper.make_node(
        "DequantizeLinear", ["/dequant/Cast_output_0", g.const("dequant", ys),
                             g.const("dequant", np.uint8(yz))], ["logits"],
        name="/dequant/DequantizeLinear"))
    model = mk_model(g.nodes, [helper.make_tensor_value_info("image", TensorProto.FLOAT, x.shape)],
                     [helper.make_tensor_value_info("logits", TensorProto.FLOAT, None)], [])
    model.ir_version = 7
    write_case(outdir, "exported_mlp_%d" % i, model, [x])


def fold_shape(outdir, rng, i):
    """Shapes computed in the graph, all folded at load: Shape of the graph
    input (opset 15's start / end) concatenated with a Constant's value_ints
    into a Reshape's shape; Shape of a computed value (folded while the
    nodes load) into ConstantOfShape, Cast to float and an Add."""
    d = [int(v) for v in rng.integers(1, 5, 3)]
    x = rng.normal(0, 1, d).astype(np.float32)
    nodes = [
        helper.make_node("Shape", ["X"], ["lead"], name="shape_x", start=0, end=1),
        helper.make_node("Constant", [], ["rest"], name="minus_one", value_ints=[-1]),
        helper.make_node("Concat", ["lead", "rest"], ["shape"], name="concat", axis=0),
        helper.make_node("Reshape", ["X", "shape"], ["flat"], name="reshape"),
        helper.make_node("Relu", ["flat"], ["r"], name="relu"),
        helper.make_node("Shape", ["r"], ["rshape"], name="shape_r"),
        helper.make_node("ConstantOfShape", ["rshape"], ["fill"], name="fill",
                         value=numpy_helper.from_array(np.array([3 + i], np.int32))),
        helper.make_node("Cast", ["fill"], ["fillf"], name="cast_fill", to=TensorProto.FLOAT),
        helper.make_node("Constant", [], ["half"], name="half", value_float=0.5),
        helper.make_node("Add", ["fillf", "half"], ["offset"], name="offset"),
        helper.make_node("Add", ["r", "offset"], ["Y"], name="add"),
    ]
    model = mk_model(nodes, [helper.make_tensor_value_info("X", TensorProto.FLOAT, x.shape)],
                     [helper.make_tensor_value_info("Y", TensorProto.FLOAT, [d[0], d[1] * d[2]])],
                     [], opset=15)
    write_case(outdir, "fold_shape_%d" % i, model, [x])


def cast_ints(outdir, rng, i):
    """Casts of computed values: to the input's own type (removed, as ONNX
    Runtime removes it), integers to float and to a wider integer type."""
    a = rand_q(rng, np.uint8, [3, 5])
    b = rand_q(rng, np.int8, [3, 5])
    c = rng.integers(-2**31, 2**31, [3, 5], dtype=np.int64).astype(np.int32)
    nodes = [
        helper.make_node("Cast", ["A"], ["a_same"], name="cast_same", to=TensorProto.UINT8),
        helper.make_node("Cast", ["a_same"], ["af"], name="cast_u8_f", to=TensorProto.FLOAT),
        helper.make_node("Constant", [], ["k"], name="k",
                         value=numpy_helper.from_array(rng.normal(0, 10, [5]).astype(np.float32))),
        helper.make_node("Add", ["af", "k"], ["Y"], name="add_f"),
        helper.make_node("Cast", ["B"], ["bi"], name="cast_s8_i32", to=TensorProto.INT32),
        helper.make_node("Add", ["bi", "C"], ["Z"], name="add_i"),
        helper.make_node("Cast", ["C"], ["W"], name="cast_i32_f", to=TensorProto.FLOAT),
    ]
    model = mk_model(nodes, [helper.make_tensor_value_info("A", TensorProto.UINT8, a.shape),
                             helper.make_tensor_value_info("B", TensorProto.INT8, b.shape),
                             helper.make_tensor_value_info("C", TensorProto.INT32, c.shape)],
                     [helper.make_tensor_value_info(n, t, None) for n, t in
                      (("Y", TensorProto.FLOAT), ("Z", TensorProto.INT32),
                       ("W", TensorProto.FLOAT))], [])
    write_case(outdir, "cast_ints_%d" % i, model, [a, b, c])


def fold_dq_unit(outdir, rng, i):
    """A constant int8 weight through DQ -> Transpose -> Q with another scale:
    ONNX Runtime folds that whole unit into a requantized constant, then fuses
    the MatMul that reads it into a QLinearMatMul."""
    g = QDQ(rng, np.uint8)
    m, k, n = (int(v) for v in rng.integers(2, 20, 3))
    x = rng.normal(0, 1, [m, k]).astype(np.float32)
    xs = np.float32(rng.uniform(0.01, 0.04))
    xd = g.qdq("X", xs, 128)
    wt = rng.integers(-127, 128, [n, k]).astype(np.int8)
    w1, w2 = np.float32(rng.uniform(0.002, 0.01)), np.float32(rng.uniform(0.002, 0.01))
    g.inits += [numpy_helper.from_array(wt, "Wt"), scalar_init("Wt_scale", w1, np.float32),
                scalar_init("W_zero_point", 0, np.int8), scalar_init("W_scale", w2, np.float32)]
    g.nodes += [
        helper.make_node("DequantizeLinear", ["Wt", "Wt_scale", "W_zero_point"], ["wt_f"],
                         name="wt_dq"),
        helper.make_node("Transpose", ["wt_f"], ["w_f"], name="transpose", perm=[1, 0]),
        helper.make_node("QuantizeLinear", ["w_f", "W_scale", "W_zero_point"], ["Wq"],
                         name="w_q"),
        helper.make_node("DequantizeLinear", ["Wq", "W_scale", "W_zero_point"], ["w_d"],
                         name="w_dq"),
        helper.make_node("MatMul", [xd, "w_d"], ["mm_out"], name="matmul"),
    ]
    ys, yz = g.out_qparams(False, False)
    g.write(outdir, "fold_dq_unit_%d" % i, [("X", x)], g.qdq("mm_out", ys, yz))


def fold_refused(outdir, rng):
    """What must be refused at load, with the node, op and reason: a float
    Cast to int8 of a computed value (ONNX leaves out-of-range values
    undefined), and a Gather of constants (ONNX Runtime folds it; there is
    no kernel here to fold it with)."""
    x = rng.normal(0, 100, [2, 6]).astype(np.float32)
    model = mk_model([helper.make_node("Cast", ["X"], ["Y"], name="cast", to=TensorProto.INT8)],
                     [helper.make_tensor_value_info("X", TensorProto.FLOAT, x.shape)],
                     [helper.make_tensor_value_info("Y", TensorProto.INT8, None)], [])
    write_case(outdir, "cast_float_to_int8_0", model, [x], expect="reject")
    nodes = [
        helper.make_node("Constant", [], ["dims"], name="dims", value_ints=[3, 4, -1]),
        helper.make_node("Constant", [], ["pick"], name="pick", value_ints=[0, 2]),
        helper.make_node("Gather", ["dims", "pick"], ["shape"], name="gather", axis=0),
        helper.make_node("Reshape", ["X", "shape"], ["Y"], name="reshape"),
    ]
    model = mk_model(nodes, [helper.make_tensor_value_info("X", TensorProto.FLOAT, x.shape)],
                     [helper.make_tensor_value_info("Y", TensorProto.FLOAT, [3, 4])], [])
    write_case(outdir, "fold_gather_0", model, [x], expect="reject")


def torch_exported(outdir, rng):
    """Small models quantized and exported by PyTorch itself (Debian's
    python3-torch), when it is installed: an MLP (Linear -> ReLU -> Linear,
    the ReLU unfused) and a CNN (Conv + ReLU fused, Flatten, Linear), static
    post-training quantization with the QNNPACK configuration."""
    try:
        import torch
        import torch.nn as nn
        from torch.ao import quantization as tq
    except ImportError:
        print("gen_cases: no PyTorch (python3-torch): the torch_* cases are skipped")
        return 0
    import io
    import warnings
    warnings.filterwarnings("ignore")
    torch.manual_seed(int(rng.integers(1 << 30)))
    torch.backends.quantized.engine = "qnnpack"

    class MLP(nn.Module):
        def __init__(self):
            super().__init__()
            self.quant, self.dequant = tq.QuantStub(), tq.DeQuantStub()
            self.fc1, self.relu, self.fc2 = nn.Linear(20, 12), nn.ReLU(), nn.Linear(12, 5)

        def forward(self, x):
            return self.dequant(self.fc2(self.relu(self.fc1(self.quant(x)))))

    class CNN(nn.Module):
        def __init__(self):
            super().__init__()
            self.quant, self.dequant = tq.QuantStub(), tq.DeQuantStub()
            self.conv, self.relu, self.fc = nn.Conv2d(1, 3, 3), nn.ReLU(), nn.Linear(3 * 6 * 6, 4)

        def forward(self, x):
            return self.dequant(self.fc(torch.flatten(self.relu(self.conv(self.quant(x))), 1)))

    n = 0
    for name, net, shape, fuse in (("torch_mlp_0", MLP(), [3, 20], None),
                                   ("torch_cnn_0", CNN(), [2, 1, 8, 8], [["conv", "relu"]])):
        net.eval()
        net.qconfig = tq.get_default_qconfig("qnnpack")
        if fuse:
            tq.fuse_modules(net, fuse, inplace=True)
        tq.prepare(net, inplace=True)
        with torch.no_grad():
            net(torch.rand([64] + shape[1:]))
        tq.convert(net, inplace=True)
        x = torch.rand(shape)
        buf = io.BytesIO()
        torch.onnx.export(net, x, buf, opset_version=13, input_names=["x"], output_names=["y"])
        model = onnx.load_from_string(buf.getvalue())
        write_case(outdir, name, model, [x.numpy()])
        n += 1
    return n


# --- QLinearAdd with numpy broadcasting ---------------------------------------
# Their own generator (seed), so that cases added elsewhere in this file do
# not change them.

# (A's shape, B's shape): the path ONNX Runtime's broadcast looper takes
# (docs/models.md, "QLinearAdd's arithmetic") in the comment.
QADD_BCAST = [
    ([2, 3, 4, 5], [1, 3, 1, 1]),   # per-channel bias: B scalar per span
    ([1, 3, 1, 1], [2, 3, 4, 5]),   # the same, A scalar
    ([4, 6], [6]),                  # a row on every row: two vectors
    ([6], [4, 6]),
    ([1, 1, 4, 5], [2, 3, 4, 5]),   # one plane on every plane: two vectors
    ([2, 1, 5], [1, 4, 1]),         # both sides broadcast: B scalar
    ([1, 4, 1], [2, 1, 5]),         # A scalar
    ([3, 1, 1], [2, 3, 4, 5]),      # rank difference, A scalar
    ([2, 3, 4, 5], [5]),            # rank difference, two vectors
    ([2, 1, 3], [3]),               # an axis of 1 past the common rank
    ([2, 3, 4, 1], [1, 3, 1, 1]),   # innermost axis 1 everywhere: H decides
    ([], [2, 3]),                   # rank 0 A
    ([1, 1], [1]),                  # one element each: A scalar
]


def qlinearadd_bcast(outdir, rng, i, ashape, bshape):
    dt = [np.uint8, np.int8][i % 2]
    tie = i % 3 != 2
    a, b = rand_q(rng, dt, ashape), rand_q(rng, dt, bshape)
    inits = []
    for n in "abc":
        s, z = act_qparams(rng, dt, tie)
        inits += [scalar_init(n + "_s", s, np.float32), scalar_init(n + "_zp", z, dt)]
    node = helper.make_node("QLinearAdd", ["A", "a_s", "a_zp", "B", "b_s", "b_zp", "c_s", "c_zp"],
                            ["C"], name="qadd", domain=MS)
    model = mk_model([node], [helper.make_tensor_value_info("A", ELEM[dt], a.shape),
                              helper.make_tensor_value_info("B", ELEM[dt], b.shape)],
                     [helper.make_tensor_value_info("C", ELEM[dt], np.broadcast(a, b).shape)],
                     inits, ms=True)
    write_case(outdir, "qlinearadd_bcast_%d" % i, model, [a, b])


def qlinearadd_bcast_all_values(outdir, a_scalar):
    """Every (a, b) pair as [256, 1] + [1, 256] (A scalar per span) or
    [1, 256] + [256, 1] (B scalar), scales 0.45, 0.45, 0.3 and zero points
    16, 22, 128: MLAS computes the fixed part with its own first input's
    product fused, fl(zC - fma(rX, zX, rY * zY)), and with B passed first
    on the A-scalar path that differs from fma(rA, zA, rB * zB) by an ulp,
    which moves 1,018 of the 65,536 outputs."""
    vals = np.arange(256).astype(np.uint8)
    a, b = vals.reshape(256, 1), vals.reshape(1, 256)
    if not a_scalar:
        a, b = b, a
    inits = []
    for n, s, z in (("a", 0.45, 16), ("b", 0.45, 22), ("c", 0.3, 128)):
        inits += [scalar_init(n + "_s", np.float32(s), np.float32),
                  scalar_init(n + "_zp", z, np.uint8)]
    node = helper.make_node("QLinearAdd", ["A", "a_s", "a_zp", "B", "b_s", "b_zp", "c_s", "c_zp"],
                            ["C"], name="qadd", domain=MS)
    model = mk_model([node], [helper.make_tensor_value_info("A", TensorProto.UINT8, a.shape),
                              helper.make_tensor_value_info("B", TensorProto.UINT8, b.shape)],
                     [helper.make_tensor_value_info("C", TensorProto.UINT8, [256, 256])],
                     inits, ms=True)
    write_case(outdir, "qlinearadd_bcast_all_values_%s" % ("a" if a_scalar else "b"), model,
               [a, b])


def qdq_add_bcast(outdir, rng, i):
    """DQ(x) + DQ(per-channel y) -> Q: fused to a broadcasting QLinearAdd."""
    act = np.int8 if i % 2 else np.uint8
    g = QDQ(rng, act)
    ins, ds = [], []
    for nme, shape in (("X1", [1, 4, 5, 6]), ("X2", [1, 4, 1, 1])):
        s, z = act_qparams(rng, act, True)
        ins.append((nme, rng.normal(0, 2, shape).astype(np.float32)))
        ds.append(g.qdq(nme, s, z))
    g.nodes.append(helper.make_node("Add", ds, ["add_out"], name="add"))
    s, z = act_qparams(rng, act, True)
    g.write(outdir, "qdq_add_bcast_%d" % i, ins, g.qdq("add_out", s, z))


def broadcast_cases(outdir):
    rng = np.random.default_rng(20261206)
    n = 0
    for i, (ashape, bshape) in enumerate(QADD_BCAST):
        qlinearadd_bcast(outdir, rng, i, ashape, bshape)
        n += 1
    for a_scalar in (True, False):
        qlinearadd_bcast_all_values(outdir, a_scalar)
        n += 1
    for i in range(2):
        qdq_add_bcast(outdir, rng, i)
        n += 1
    return n


# --- grouped and depthwise convolutions ----------------------------------------
# Their own generator (seed), so that cases added elsewhere in this file do
# not change them.

# (N, C, H, W, group, M, kernel, stride, pads)
GROUP_CONVS = [
    (1, 4, 7, 7, 4, 4, 3, 1, [1, 1, 1, 1]),     # depthwise
    (2, 6, 9, 8, 6, 6, 3, 2, [1, 1, 1, 1]),     # depthwise, stride 2
    (1, 3, 8, 8, 3, 6, 3, 2, [0, 1, 1, 0]),     # depthwise, multiplier 2, uneven pads
    (1, 4, 6, 6, 2, 6, 3, 1, [1, 1, 1, 1]),     # group 2
    (2, 8, 5, 7, 4, 8, 3, 1, [0, 0, 0, 0]),     # group 4
    (1, 8, 6, 6, 4, 12, 1, 1, [0, 0, 0, 0]),    # group 4, 1x1
]


def group_convinteger(outdir, rng, i, geo):
    # ONNX Runtime's CPU provider implements ConvInteger for uint8 only.
    nb, c, h, w, group, co, k, stride, pads = geo
    x = rand_q(rng, np.uint8, [nb, c, h, w])
    wt = rand_q(rng, np.uint8, [co, c // group, k, k])
    inits = [numpy_helper.from_array(wt, "W"), zp_tensor(rng, np.uint8, "x_zp"),
             zp_tensor(rng, np.uint8, "w_zp")]
    node = helper.make_node("ConvInteger", ["X", "W", "x_zp", "w_zp"], ["Y"], name="conv",
                            group=group, strides=[stride, stride], pads=pads)
    model = mk_model([node], [helper.make_tensor_value_info("X", TensorProto.UINT8, x.shape)],
                     [helper.make_tensor_value_info("Y", TensorProto.INT32, None)], inits)
    write_case(outdir, "group_convinteger_%d" % i, model, [x])


def group_qlinearconv(outdir, rng, i, geo):
    """uint8 activations; int8 weights with per-channel scales, or uint8 per tensor."""
    nb, c, h, w, group, co, k, stride, pads = geo
    tw = np.int8 if i % 3 else np.uint8
    per_channel = tw == np.int8
    x = rand_q(rng, np.uint8, [nb, c, h, w])
    wt = rand_q(rng, tw, [co, c // group, k, k])
    ws = rng.uniform(0.002, 0.05, [co] if per_channel else []).astype(np.float32)
    inits = [scalar_init("xs", rng.uniform(0.005, 0.05), np.float32),
             zp_tensor(rng, np.uint8, "xzp"), numpy_helper.from_array(wt, "W"),
             numpy_helper.from_array(ws, "ws"),
             numpy_helper.from_array(np.zeros(ws.shape, tw), "wzp"),
             scalar_init("ys", rng.uniform(0.02, 0.3), np.float32),
             zp_tensor(rng, np.uint8, "yzp"),
             numpy_helper.from_array(rng.integers(-3000, 3000, [co], dtype=np.int32), "B")]
    node = helper.make_node("QLinearConv", ["X", "xs", "xzp", "W", "ws", "wzp", "ys", "yzp", "B"],
                            ["Y"], name="qconv", group=group, strides=[stride, stride], pads=pads)
    model = mk_model([node], [helper.make_tensor_value_info("X", TensorProto.UINT8, x.shape)],
                     [helper.make_tensor_value_info("Y", TensorProto.UINT8, None)], inits)
    write_case(outdir, "group_qlinearconv_%d" % i, model, [x])


def qdq_conv_depthwise(outdir, rng, i):
    """A depthwise Conv in QDQ form (MobileNet's): fused to a grouped QLinearConv."""
    act = np.int8 if i % 2 else np.uint8
    g = QDQ(rng, act)
    c = 4
    x = rng.normal(0, 1, [1, c, 8, 8]).astype(np.float32)
    xs = np.float32(2.0 ** -5)
    xd = g.qdq("X", xs, 0 if act == np.int8 else 128)
    wd, ws = g.weight("W", rng.normal(0, 0.3, [c, 1, 3, 3]).astype(np.float32), 0, True)
    bd = g.bias("B", rng.normal(0, 0.5, [c]).astype(np.float32), xs, ws)
    g.nodes.append(helper.make_node("Conv", [xd, wd, bd], ["conv_out"], name="conv",
                                    group=c, pads=[1, 1, 1, 1], strides=[1 + i % 2, 1 + i % 2]))
    ys, yz = g.out_qparams(False, True)
    g.write(outdir, "qdq_conv_depthwise_%d" % i, [("X", x)], g.qdq("conv_out", ys, yz))


def group_conv_cases(outdir):
    rng = np.random.default_rng(20261207)
    n = 0
    for i, geo in enumerate(GROUP_CONVS):
        group_convinteger(outdir, rng, i, geo)
        group_qlinearconv(outdir, rng, i, geo)
        n += 2
    for i in range(2):
        qdq_conv_depthwise(outdir, rng, i)
        n += 1
    return n


def main():
    if len(sys.argv) != 2:
        sys.exit("usage: gen_cases.py OUTDIR")
    outdir = sys.argv[1]
    n = conformance(outdir)
    rng = np.random.default_rng(20261205)
    for i in range(12):
        random_matmul(outdir, rng, i)
    for i in range(12):
        random_conv(outdir, rng, i)
    for i in range(4):
        random_conv(outdir, rng, i, pool=True)
    for i in range(6):
        random_qlinear(outdir, rng, i, conv=False)
        random_qlinear(outdir, rng, i, conv=True)
    r = 40 + random_new(outdir, rng)
    # The graphs of other exporters (constant folding, Casts), with their own
    # generator so that the cases above keep their numbers.
    rng = np.random.default_rng(20261206)
    for i in range(4):
        exported_mlp(outdir, rng, i)
        r += 1
    for i in range(2):
        fold_shape(outdir, rng, i)
        cast_ints(outdir, rng, i)
        fold_dq_unit(outdir, rng, i)
        r += 3
    fold_refused(outdir, rng)
    r += 2 + torch_exported(outdir, rng)
    r += broadcast_cases(outdir)
    r += group_conv_cases(outdir)
    print("gen_cases: %d conformance cases, %d random cases in %s" % (n, r, outdir))


if __name__ == "__main__":
    main()
