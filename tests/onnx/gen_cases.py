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
    print("gen_cases: %d conformance cases, %d random cases in %s" % (n, r, outdir))


if __name__ == "__main__":
    main()
