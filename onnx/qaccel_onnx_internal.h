/* SPDX-License-Identifier: MIT */
/*
 * Internals of qaccel_onnx shared by the loader (qaccel_onnx.c) and the
 * ops (qaccel_onnx_ops.c).  Not installed.
 */
#ifndef QACCEL_ONNX_INTERNAL_H
#define QACCEL_ONNX_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>

#include "onnx.pb-c.h"
#include "qaccel_onnx.h"

/* Largest tensor (elements) and model file the runtime takes. */
#define QO_MAX_ELEMS	(1ull << 30)
#define QO_MAX_FILE	(1ull << 30)
/* Inputs or outputs of one node (Concat may have more: rejected). */
#define QO_MAX_IO	16

/* One tensor of the graph: static type and shape, a host buffer. */
struct qo_value {
	const char *name;	/* points into the parsed model */
	int32_t dtype;
	uint32_t rank;
	int64_t dims[QACCEL_ONNX_MAX_RANK];
	size_t count;
	void *data;		/* count elements (owned) */
	bool is_const;		/* an initializer */
	bool set;		/* a graph input given since load */
};

/*
 * A node lowered to device GEMMs: C (m x n) = out(A (m x k) . B (n x k)^T):
 * int32 C, or with gemm_requant() int8/uint8 C requantized on the device
 * (FP32 family: + bias, binary32 scale per tensor or per channel, + zero
 * point, clamp).  m, n and k are one group's.
 */
struct qo_gemm {
	bool on_device;
	uint32_t m, n, k;
	/*
	 * Independent GEMMs of m x n x k side by side (a grouped convolution):
	 * group g's A, B, C, bias and per-channel records follow group g - 1's
	 * in their buffers.  0 is one.
	 */
	uint32_t groups;
	uint32_t flags;		/* QACCEL_GEMM_*: operand and output types, requantization */
	int32_t a_zp, b_zp;
	int32_t c_zp, clamp_min, clamp_max, out_multiplier;
	size_t c_size;		/* bytes of one C element: 4 or 1 */
	bool b_const;		/* B uploaded at load */
	struct qaccel_buf *a, *b, *c, *bias, *quant;
	void *pa, *pb, *pc;
	uint64_t cycles, macs, im2col_ns;
};

struct qo_op;

struct qo_node {
	const Onnx__NodeProto *proto;
	const char *name, *op_type;
	unsigned int index;	/* in the graph: names an unnamed node */
	const struct qo_op *op;
	unsigned int n_in, n_out;
	int in[QO_MAX_IO];	/* value index, -1 for an absent optional input */
	int out[QO_MAX_IO];
	/* Op parameters worked out at load. */
	int64_t axis;
	int64_t perm[QACCEL_ONNX_MAX_RANK];
	int64_t kernel[2], stride[2], dilation[2], pad[4];	/* pad: top, left, bottom, right */
	struct qo_gemm gemm;
	const unsigned int *gio;	/* A, B, A zp, B zp among the inputs */
	/*
	 * Host-side arithmetic: scales (QGemm's float output, Q / DQ, QLinearAdd's
	 * ratios, Clip's bounds), the element stride between channels (Q / DQ
	 * per axis) or QLinearAdd's span, broadcast strides of two inputs (Add,
	 * QLinearAdd).
	 */
	float *scale;
	size_t n_scale, chan_div;
	size_t bstride[2][QACCEL_ONNX_MAX_RANK];
	bool folded;		/* computed once at load (constant inputs): not run */
	uint64_t runs, host_ns;
};

struct qo_op {
	const char *name;
	unsigned int min_in, max_in, n_out;
	const char *const *attrs;	/* NULL-terminated names it accepts */
	/* Check types and attributes, set the outputs' types and shapes. */
	int (*prepare)(struct qaccel_onnx_model *m, struct qo_node *n);
	int (*run)(struct qaccel_onnx_model *m, struct qo_node *n);
	int domain;	/* 0: ai.onnx; QO_MS: com.microsoft (ONNX Runtime's contrib ops) */
};

#define QO_MS	1

struct qaccel_onnx_model {
	struct qaccel_dev *dev;
	struct qaccel_caps caps;
	Onnx__ModelProto *proto;
	int64_t opset;
	struct qo_value *values;
	unsigned int n_values, cap_values;
	struct qo_node *nodes;
	unsigned int n_nodes;
	int *inputs, *outputs;
	unsigned int n_inputs, n_outputs;
	void *qdq_nodes;	/* the nodes QDQ fusion rewrote (qaccel_onnx_qdq.c) */
	bool *folded;		/* per graph node: folded into constants before QDQ fusion */
};

int qo_fail(int err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
int qo_node_fail(const struct qo_node *n, int err, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
const char *qo_dtype_name(int32_t dtype);
/* Decode a TensorProto into t (data malloc); what names it in the message. */
int qo_tensor_from_proto(const Onnx__TensorProto *p, struct qaccel_onnx_tensor *t,
			 const char *what);
uint64_t qo_now_ns(void);
int qo_count(const int64_t *dims, uint32_t rank, size_t *count);
int qo_value_find(const struct qaccel_onnx_model *m, const char *name);
int qo_value_alloc(struct qo_value *v);

const struct qo_op *qo_op_find(const char *name, bool ms_domain);
/* Clip's min and max (attributes or initializers, by opset), or -errno. */
int qo_clip_bounds(const struct qaccel_onnx_model *m, const struct qo_node *n, float *lo, float *hi);
/* Why a known op is not supported yet, or NULL. */
const char *qo_op_later(const char *name);
int qo_attrs_check(struct qo_node *n);
/*
 * QDQ fusion as ONNX Runtime does it (qaccel_onnx_qdq.c): the list of
 * NodeProtos to load, in order (malloc; rewritten ones owned by m).
 */
int qo_qdq_rewrite(struct qaccel_onnx_model *m, const Onnx__NodeProto ***out, size_t *count);
void qo_gemm_release(struct qo_node *n);
/*
 * The attribute QDQ fusion gives a QLinearAveragePool whose int8 Q/DQ
 * pairs ONNX Runtime converts to uint8 (its requantization then adds the
 * zero point + 128); recognized by address, never taken from a model.
 */
extern const Onnx__AttributeProto qo_s8_as_u8;

/*
 * im2col of one NCHW image batch for a 2-D convolution: A row
 * (b * oh + y) * ow + x, column (c * kh + i) * kw + j holds the input
 * under kernel tap (i, j) of output pixel (y, x), or pad_value outside the
 * input.  Exposed for the host test that checks it against a direct
 * convolution.
 */
void qo_im2col(const uint8_t *x, uint32_t batch, uint32_t ch, uint32_t h, uint32_t w,
	       uint32_t kh, uint32_t kw, uint32_t oh, uint32_t ow,
	       const int64_t stride[2], const int64_t dilation[2], const int64_t pad[4],
	       uint8_t pad_value, uint8_t *a);

#endif /* QACCEL_ONNX_INTERNAL_H */
