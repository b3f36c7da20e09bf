// SPDX-License-Identifier: MIT
/*
 * The ops of qaccel_onnx: for each, prepare() (check types, attributes and
 * shapes exactly as ONNX defines them, set the outputs' static shapes, set
 * up device buffers) and run().  MatMulInteger and ConvInteger run their
 * GEMM on the device with int32 output, QLinearMatMul, QLinearConv and
 * QGemm theirs with the FP32 requantization on the device too; the rest
 * (QuantizeLinear, DequantizeLinear, QLinearAdd, float Add / Relu / Clip,
 * Cast, data movement) runs on the host with ONNX Runtime's arithmetic;
 * Shape and ConstantOfShape are computed at load.
 * docs/models.md describes the lowering.
 */
#include <errno.h>
#include <float.h>
#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "qaccel_onnx_internal.h"

/* --- attributes -------------------------------------------------------------- */

static const Onnx__AttributeProto *attr_find(const struct qo_node *n, const char *name)
{
	for (size_t i = 0; i < n->proto->n_attribute; i++) {
		const Onnx__AttributeProto *a = n->proto->attribute[i];

		if (a->name && !strcmp(a->name, name))
			return a;
	}
	return NULL;
}

int qo_attrs_check(struct qo_node *n)
{
	for (size_t i = 0; i < n->proto->n_attribute; i++) {
		const Onnx__AttributeProto *a = n->proto->attribute[i];
		const char *name = a->name ? a->name : "";
		bool known = false;

		if (a == &qo_s8_as_u8)
			continue;
		for (const char *const *k = n->op->attrs; *k; k++)
			known |= !strcmp(*k, name);
		if (!known)
			return qo_node_fail(n, -EOPNOTSUPP, "attribute '%s' not supported", name);
		if (a->ref_attr_name)
			return qo_node_fail(n, -EOPNOTSUPP,
					    "attribute '%s' refers to a function attribute", name);
	}
	if (n->n_in < n->op->min_in || n->n_in > n->op->max_in)
		return qo_node_fail(n, n->n_in > n->op->max_in ? -EOPNOTSUPP : -EINVAL,
				    "%u inputs (takes %u to %u)", n->n_in, n->op->min_in,
				    n->op->max_in);
	for (unsigned int i = 0; i < n->op->min_in; i++)
		if (n->in[i] < 0)
			return qo_node_fail(n, -EINVAL, "required input %u left out", i);
	if (n->n_out != n->op->n_out)
		return qo_node_fail(n, n->n_out > n->op->n_out ? -EOPNOTSUPP : -EINVAL,
				    "%u outputs (supported: %u)", n->n_out, n->op->n_out);
	return 0;
}

static int attr_int(const struct qo_node *n, const char *name, int64_t def, int64_t *out)
{
	const Onnx__AttributeProto *a = attr_find(n, name);

	*out = def;
	if (!a)
		return 0;
	if (a->type != ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__INT || !a->has_i)
		return qo_node_fail(n, -EINVAL, "attribute '%s' is not an int", name);
	*out = a->i;
	return 0;
}

/* An ints attribute of exactly want elements (want 0: any up to max). */
static int attr_ints(const struct qo_node *n, const char *name, int64_t *out,
		     size_t want, size_t max, size_t *got)
{
	const Onnx__AttributeProto *a = attr_find(n, name);

	*got = 0;
	if (!a)
		return 0;
	if (a->type != ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__INTS)
		return qo_node_fail(n, -EINVAL, "attribute '%s' is not a list of ints", name);
	if ((want && a->n_ints != want) || a->n_ints > max)
		return qo_node_fail(n, -EINVAL, "attribute '%s' has %zu values, wants %zu",
				    name, a->n_ints, want ? want : max);
	memcpy(out, a->ints, a->n_ints * sizeof(*out));
	*got = a->n_ints;
	return 0;
}

/* auto_pad: 0 NOTSET, 1 VALID, 2 SAME_UPPER, 3 SAME_LOWER. */
static int attr_auto_pad(const struct qo_node *n, int *mode)
{
	static const char *const modes[] = { "NOTSET", "VALID", "SAME_UPPER", "SAME_LOWER" };
	const Onnx__AttributeProto *a = attr_find(n, "auto_pad");

	*mode = 0;
	if (!a)
		return 0;
	if (a->type != ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__STRING || !a->has_s)
		return qo_node_fail(n, -EINVAL, "attribute 'auto_pad' is not a string");
	for (int i = 0; i < 4; i++)
		if (a->s.len == strlen(modes[i]) && !memcmp(a->s.data, modes[i], a->s.len)) {
			*mode = i;
			return 0;
		}
	return qo_node_fail(n, -EINVAL, "auto_pad '%.*s' is not an ONNX mode",
			    (int)(a->s.len > 32 ? 32 : a->s.len), (const char *)a->s.data);
}

/* --- helpers ------------------------------------------------------------------ */

static struct qo_value *in_val(struct qaccel_onnx_model *m, const struct qo_node *n,
			       unsigned int i)
{
	return i < n->n_in && n->in[i] >= 0 ? &m->values[n->in[i]] : NULL;
}

static struct qo_value *out_val(struct qaccel_onnx_model *m, const struct qo_node *n,
				unsigned int i)
{
	return &m->values[n->out[i]];
}

static bool is_q8(int32_t t)
{
	return t == QACCEL_ONNX_UINT8 || t == QACCEL_ONNX_INT8;
}

static int set_out(struct qaccel_onnx_model *m, struct qo_node *n, unsigned int i,
		   int32_t dtype, uint32_t rank, const int64_t *dims)
{
	struct qo_value *v = out_val(m, n, i);
	int ret;

	if (rank > QACCEL_ONNX_MAX_RANK)
		return qo_node_fail(n, -EOPNOTSUPP, "output rank %u above %d", rank,
				    QACCEL_ONNX_MAX_RANK);
	v->dtype = dtype;
	v->rank = rank;
	memcpy(v->dims, dims, rank * sizeof(*dims));
	ret = qo_count(dims, rank, &v->count);
	if (ret)
		return qo_node_fail(n, ret, "output shape %s", ret == -EINVAL ?
				    "has a negative dimension" : "too large");
	return 0;
}

/* A constant int64 input's values (shape or axes). */
static int const_ints(struct qaccel_onnx_model *m, const struct qo_node *n, unsigned int i,
		      const char *what, int64_t *out, size_t max, size_t *got)
{
	const struct qo_value *v = in_val(m, n, i);

	if (!v->is_const)
		return qo_node_fail(n, -EOPNOTSUPP,
				    "%s '%s' must be an initializer (static shapes only)",
				    what, v->name);
	if (v->dtype != QACCEL_ONNX_INT64 || v->rank > 1)
		return qo_node_fail(n, -EINVAL, "%s '%s' must be a 1-D int64 tensor",
				    what, v->name);
	if (v->count > max)
		return qo_node_fail(n, -EOPNOTSUPP, "%s '%s' has %zu values (at most %zu)",
				    what, v->name, v->count, max);
	memcpy(out, v->data, v->count * sizeof(*out));
	*got = v->count;
	return 0;
}

/*
 * The zero point (input i) of a q8 operand of type dtype: absent means 0;
 * otherwise a tensor of the same type with one element, or one per row /
 * channel that are all equal, since the device takes one zero point per
 * operand.  A constant is read here, at load; a graph input at every run
 * (zp_read()).
 */
static int zp_read(const struct qo_node *n, const struct qo_value *v, int32_t *zp)
{
	for (size_t e = 1; e < v->count; e++)
		if (((const uint8_t *)v->data)[e] != ((const uint8_t *)v->data)[0])
			return qo_node_fail(n, -EOPNOTSUPP,
					    "zero point '%s' differs between channels (the device takes one per operand)",
					    v->name);
	*zp = v->dtype == QACCEL_ONNX_UINT8 ? ((const uint8_t *)v->data)[0]
					    : ((const int8_t *)v->data)[0];
	return 0;
}

static int zero_point(struct qaccel_onnx_model *m, const struct qo_node *n, unsigned int i,
		      int32_t dtype, size_t per_channel, int32_t *zp)
{
	const struct qo_value *v = in_val(m, n, i);

	*zp = 0;
	if (!v)
		return 0;
	if (v->dtype != dtype)
		return qo_node_fail(n, -EINVAL, "zero point '%s' is %s, its operand %s",
				    v->name, qo_dtype_name(v->dtype), qo_dtype_name(dtype));
	if (v->rank > 1 || (v->count != 1 && v->count != per_channel))
		return qo_node_fail(n, -EINVAL, "zero point '%s' has %zu elements (1 or %zu)",
				    v->name, v->count, per_channel);
	return v->is_const ? zp_read(n, v, zp) : 0;
}

/* The zero points of a GEMM node (inputs 2 and 3) that are graph inputs. */
static int zp_update(struct qaccel_onnx_model *m, const struct qo_node *n, struct qo_gemm *g)
{
	const struct qo_value *a = in_val(m, n, n->gio[2]), *b = in_val(m, n, n->gio[3]);
	int ret = 0;

	if (a && !a->is_const)
		ret = zp_read(n, a, &g->a_zp);
	if (!ret && b && !b->is_const)
		ret = zp_read(n, b, &g->b_zp);
	return ret;
}

static int norm_axis(const struct qo_node *n, int64_t axis, int64_t rank, int64_t *out)
{
	if (axis < -rank || axis >= rank)
		return qo_node_fail(n, -EINVAL, "axis %lld out of range for rank %lld",
				    (long long)axis, (long long)rank);
	*out = axis < 0 ? axis + rank : axis;
	return 0;
}

/* --- device GEMM ------------------------------------------------------------- */

static int gemm_alloc(struct qaccel_onnx_model *m, struct qo_node *n, size_t size,
		      struct qaccel_buf **buf, void **ptr)
{
	int ret = qaccel_buf_alloc(m->dev, size, buf);

	if (!ret)
		ret = qaccel_buf_map(*buf, ptr);
	if (ret)
		return qo_node_fail(n, ret, "device buffer of %zu bytes: %s", size,
				    qaccel_strerror(ret));
	return 0;
}

/*
 * Set up C (m x n int32) = A (m x k) . B (n x k)^T, g->groups times: device
 * limits, and with a device its buffers.  M larger than the device's
 * max_dim is run as several jobs of at most max_dim rows.
 */
static int gemm_setup(struct qaccel_onnx_model *m, struct qo_node *n, uint64_t rows,
		      uint64_t cols, uint64_t depth, int32_t ta, int32_t tb)
{
	struct qo_gemm *g = &n->gemm;
	uint64_t max = m->caps.max_dim < QACCEL_GEMM_MAX_DIM ? m->caps.max_dim
							     : QACCEL_GEMM_MAX_DIM;
	uint64_t groups = g->groups ? g->groups : 1;
	uint64_t sizes[3] = { groups * rows * depth, groups * cols * depth, groups * rows * cols * 4 };
	int ret;

	if (!rows || !cols || !depth)
		return qo_node_fail(n, -EOPNOTSUPP, "empty GEMM (%llu x %llu x %llu)",
				    (unsigned long long)rows, (unsigned long long)cols,
				    (unsigned long long)depth);
	if (cols > max || depth > max)
		return qo_node_fail(n, -EOPNOTSUPP,
				    "GEMM N %llu or K %llu above the device's %llu",
				    (unsigned long long)cols, (unsigned long long)depth,
				    (unsigned long long)max);
	for (int i = 0; i < 3; i++)
		if (sizes[i] > UINT32_MAX || sizes[i] > m->caps.max_bo_size)
			return qo_node_fail(n, -EOPNOTSUPP,
					    "GEMM operand of %llu bytes above the device's buffers",
					    (unsigned long long)sizes[i]);
	g->m = (uint32_t)rows;
	g->n = (uint32_t)cols;
	g->k = (uint32_t)depth;
	g->flags = QACCEL_GEMM_OUT_INT32 |
		   (ta == QACCEL_ONNX_UINT8 ? QACCEL_GEMM_A_UINT8 : 0) |
		   (tb == QACCEL_ONNX_UINT8 ? QACCEL_GEMM_B_UINT8 : 0);
	g->c_size = 4;
	g->on_device = true;
	if (!m->dev)
		return 0;
	if ((ret = gemm_alloc(m, n, sizes[0], &g->a, &g->pa)) ||
	    (ret = gemm_alloc(m, n, sizes[1], &g->b, &g->pb)) ||
	    (ret = gemm_alloc(m, n, sizes[2], &g->c, &g->pc)))
		return ret;
	return 0;
}

void qo_gemm_release(struct qo_node *n)
{
	struct qo_gemm *g = &n->gemm;

	if (g->a)
		qaccel_buf_free(g->a);
	if (g->b)
		qaccel_buf_free(g->b);
	if (g->c)
		qaccel_buf_free(g->c);
	if (g->bias)
		qaccel_buf_free(g->bias);
	if (g->quant)
		qaccel_buf_free(g->quant);
	g->a = g->b = g->c = g->bias = g->quant = NULL;
}

/*
 * Make the GEMM's output y_type (uint8 / int8) requantized on the device
 * in the FP32 family: acc (+ bias[j]) times scales[j] (one scale, or one
 * per output column), rounded to even, + zp, clamped to [lo, hi].  The
 * scales are ONNX Runtime's float scales, computed by the caller exactly
 * as ONNX Runtime does; one that is not a positive normal float cannot be
 * a job's scale and is refused.
 */
static int gemm_requant(struct qaccel_onnx_model *m, struct qo_node *n, const float *scales,
			size_t n_scales, const int32_t *bias, int32_t y_type, int32_t zp,
			int32_t lo, int32_t hi)
{
	struct qo_gemm *g = &n->gemm;
	struct qaccel_quant *q = NULL;
	void *pb = NULL;
	int ret;

	if (m->dev && !(m->caps.caps & QACCEL_CAP_RQ_MODES))
		return qo_node_fail(n, -EOPNOTSUPP,
				    "the device has no FP32 requantization (QACCEL_CAP_RQ_MODES)");
	for (size_t c = 0; c < n_scales; c++)
		if (qaccel_fp32_multiplier(scales[c], &g->out_multiplier))
			return qo_node_fail(n, -EOPNOTSUPP,
					    "requantization scale %a of channel %zu is not a positive normal float",
					    (double)scales[c], c);
	g->flags = (g->flags & ~QACCEL_GEMM_OUT_MASK) | QACCEL_GEMM_RQ_FP32 |
		   (y_type == QACCEL_ONNX_UINT8 ? QACCEL_GEMM_OUT_UINT8 : QACCEL_GEMM_OUT_INT8) |
		   (n_scales > 1 ? QACCEL_GEMM_PER_CHANNEL : 0) | (bias ? QACCEL_GEMM_BIAS : 0);
	g->c_size = 1;
	g->c_zp = zp;
	g->clamp_min = lo;
	g->clamp_max = hi;
	if (n_scales > 1)
		g->out_multiplier = 0;
	if (!m->dev)
		return 0;
	if (bias) {
		size_t size = (size_t)(g->groups ? g->groups : 1) * g->n * 4;

		ret = gemm_alloc(m, n, size, &g->bias, &pb);
		if (ret)
			return ret;
		memcpy(pb, bias, size);
	}
	if (n_scales > 1) {
		ret = gemm_alloc(m, n, n_scales * sizeof(*q), &g->quant, (void **)&q);
		if (ret)
			return ret;
		for (size_t c = 0; c < n_scales; c++) {
			qaccel_fp32_multiplier(scales[c], &q[c].multiplier);
			q[c].shift = 0;
		}
	}
	return 0;
}

/* Reap count jobs; every one, even after a failure, so that none is left over for the next run. */
static int gemm_wait(struct qaccel_onnx_model *m, struct qo_node *n, unsigned int count)
{
	struct qaccel_completion done[16];
	int err = 0;

	while (count) {
		int got = qaccel_wait(m->dev, done, count < 16 ? count : 16, 1, -1);

		if (got < 0)
			return qo_node_fail(n, got, "waiting for the device: %s",
					    qaccel_strerror(got));
		for (int i = 0; i < got; i++) {
			if (done[i].status && !err)
				err = qo_node_fail(n, done[i].status, "device job failed: %s",
						   qaccel_strerror(done[i].status));
			n->gemm.cycles += done[i].cycles;
		}
		count -= (unsigned int)got;
	}
	return err;
}

/* Run the GEMM (each group's) whose A (and B unless constant) are in place. */
static int gemm_run(struct qaccel_onnx_model *m, struct qo_node *n)
{
	struct qo_gemm *g = &n->gemm;
	uint32_t max = m->caps.max_dim < QACCEL_GEMM_MAX_DIM ? m->caps.max_dim
							     : QACCEL_GEMM_MAX_DIM;
	uint32_t groups = g->groups ? g->groups : 1, cs = (uint32_t)g->c_size;
	unsigned int outstanding = 0;
	int ret;

	/* Byte offsets fit in 32 bits: gemm_setup() bounds every buffer. */
	for (uint32_t grp = 0; grp < groups; grp++)
		for (uint32_t row = 0; row < g->m; row += max) {
			struct qaccel_gemm job = {
				.params = {
					.m = g->m - row < max ? g->m - row : max,
					.n = g->n, .k = g->k,
					.lda = g->k, .ldb = g->k, .ldc = g->n * cs,
					.flags = g->flags,
					.a_zero_point = g->a_zp, .b_zero_point = g->b_zp,
					.c_zero_point = g->c_zp,
					.clamp_min = g->clamp_min, .clamp_max = g->clamp_max,
					.out_multiplier = g->out_multiplier,
				},
				.a = { g->a, (grp * g->m + row) * g->k },
				.b = { g->b, grp * g->n * g->k },
				.c = { g->c, (grp * g->m + row) * g->n * cs },
				.bias = { g->bias, g->bias ? grp * g->n * 4 : 0 },
				.quant = { g->quant, g->quant ?
					   grp * g->n * (uint32_t)sizeof(struct qaccel_quant) : 0 },
			};

			for (;;) {
				ret = qaccel_submit(m->dev, &job, row);
				if (ret != -EBUSY)
					break;
				outstanding--;
				ret = gemm_wait(m, n, 1);
				if (ret) {
					gemm_wait(m, n, outstanding);
					return ret;
				}
			}
			if (ret) {
				gemm_wait(m, n, outstanding);
				return qo_node_fail(n, ret, "submitting the GEMM: %s",
						    qaccel_strerror(ret));
			}
			outstanding++;
		}
	g->macs += (uint64_t)groups * g->m * g->n * g->k;
	return gemm_wait(m, n, outstanding);
}

/* B (k x n, row-major) into the device's n x k layout. */
static void transpose_b(const uint8_t *b, uint32_t k, uint32_t n, uint8_t *out)
{
	for (uint32_t i = 0; i < k; i++)
		for (uint32_t j = 0; j < n; j++)
			out[(size_t)j * k + i] = b[(size_t)i * n + j];
}

/* --- MatMulInteger ------------------------------------------------------------ */

/*
 * Where a GEMM node's A, B, A's and B's zero points are among its inputs:
 * MatMulInteger / ConvInteger, and QLinearMatMul / QLinearConv.
 */
static const unsigned int integer_io[4] = { 0, 1, 2, 3 };
static const unsigned int qlinear_io[4] = { 0, 3, 2, 5 };

static int matmulinteger_prepare(struct qaccel_onnx_model *m, struct qo_node *n)
{
	const struct qo_value *a, *b;
	int64_t dims[QACCEL_ONNX_MAX_RANK];
	uint64_t rows, k, cols;
	int ret;

	if (!n->gio)
		n->gio = integer_io;
	a = in_val(m, n, n->gio[0]);
	b = in_val(m, n, n->gio[1]);
	if (!is_q8(a->dtype) || !is_q8(b->dtype))
		return qo_node_fail(n, -EINVAL, "inputs are %s and %s (uint8 or int8)",
				    qo_dtype_name(a->dtype), qo_dtype_name(b->dtype));
	if (a->rank < 2)
		return qo_node_fail(n, -EOPNOTSUPP, "A of rank %u not supported (2 or more)",
				    a->rank);
	if (b->rank != 2)
		return qo_node_fail(n, -EOPNOTSUPP,
				    "B of rank %u not supported (2: one weight matrix)", b->rank);
	k = (uint64_t)a->dims[a->rank - 1];
	if ((int64_t)k != b->dims[0])
		return qo_node_fail(n, -EINVAL, "A's last dimension %llu is not B's first %lld",
				    (unsigned long long)k, (long long)b->dims[0]);
	cols = (uint64_t)b->dims[1];
	rows = k ? a->count / k : 0;
	memcpy(dims, a->dims, sizeof(dims));
	dims[a->rank - 1] = (int64_t)cols;
	ret = set_out(m, n, 0, QACCEL_ONNX_INT32, a->rank, dims);
	if (!ret)
		ret = zero_point(m, n, n->gio[2], a->dtype, rows, &n->gemm.a_zp);
	if (!ret)
		ret = zero_point(m, n, n->gio[3], b->dtype, cols, &n->gemm.b_zp);
	if (!ret)
		ret = gemm_setup(m, n, rows, cols, k, a->dtype, b->dtype);
	if (ret)
		return ret;
	n->gemm.b_const = b->is_const;
	if (m->dev && b->is_const)
		transpose_b(b->data, n->gemm.k, n->gemm.n, n->gemm.pb);
	return 0;
}

static int matmulinteger_run(struct qaccel_onnx_model *m, struct qo_node *n)
{
	struct qo_gemm *g = &n->gemm;
	const struct qo_value *b = in_val(m, n, n->gio[1]);
	int ret;

	ret = zp_update(m, n, g);
	if (ret)
		return ret;
	memcpy(g->pa, in_val(m, n, n->gio[0])->data, (size_t)g->m * g->k);
	if (!g->b_const)
		transpose_b(b->data, g->k, g->n, g->pb);
	ret = gemm_run(m, n);
	if (ret)
		return ret;
	memcpy(out_val(m, n, 0)->data, g->pc, (size_t)g->m * g->n * g->c_size);
	return 0;
}

/* --- convolution and pooling geometry ------------------------------------------ */

/*
 * Output size and pads of one spatial axis, as ONNX Runtime computes them
 * (explicit pads, VALID, SAME_UPPER / SAME_LOWER; ceil_mode for pooling).
 */
static int axis_geometry(const struct qo_node *n, int auto_pad, int64_t in, int64_t kernel,
			 int64_t stride, int64_t dilation, int64_t *pad_begin,
			 int64_t *pad_end, bool ceil_mode, int64_t *out)
{
	int64_t dk = dilation * (kernel - 1) + 1, span;

	if (auto_pad == 1) {
		*pad_begin = *pad_end = 0;
	} else if (auto_pad >= 2) {
		int64_t target = (in + stride - 1) / stride;
		int64_t need = (target - 1) * stride + dk - in;

		/*
		 * A kernel shorter than the stride needs negative padding: ONNX
		 * Runtime then pools with negative pads (shifted windows, and in
		 * ceil_mode one output fewer), which nothing here reproduces.
		 */
		if (need < 0)
			return qo_node_fail(n, -EOPNOTSUPP,
					    "auto_pad SAME with kernel %lld shorter than stride %lld: negative pads not supported",
					    (long long)kernel, (long long)stride);
		*pad_begin = auto_pad == 3 ? (need + 1) / 2 : need / 2;
		*pad_end = need - *pad_begin;
	}
	span = in + *pad_begin + *pad_end - dk;
	if (span < 0)
		return qo_node_fail(n, -EINVAL, "kernel %lld (dilated) larger than the padded input %lld",
				    (long long)dk, (long long)(in + *pad_begin + *pad_end));
	*out = (ceil_mode ? (span + stride - 1) / stride : span / stride) + 1;
	return 0;
}

/* kernel_shape / strides / dilations / pads / auto_pad of a 2-D Conv or Pool. */
static int window_attrs(struct qaccel_onnx_model *m, struct qo_node *n, const int64_t *in_hw,
			const int64_t *w_hw, bool ceil_mode, int64_t *out_hw)
{
	size_t got;
	int auto_pad, ret;

	(void)m;
	n->stride[0] = n->stride[1] = 1;
	n->dilation[0] = n->dilation[1] = 1;
	memset(n->pad, 0, sizeof(n->pad));
	if ((ret = attr_ints(n, "kernel_shape", n->kernel, 2, 2, &got)))
		return ret;
	if (w_hw) {
		if (got && (n->kernel[0] != w_hw[0] || n->kernel[1] != w_hw[1]))
			return qo_node_fail(n, -EINVAL, "kernel_shape differs from the weights'");
		n->kernel[0] = w_hw[0];
		n->kernel[1] = w_hw[1];
	} else if (!got) {
		return qo_node_fail(n, -EINVAL, "kernel_shape is required");
	}
	if ((ret = attr_ints(n, "strides", n->stride, 2, 2, &got)) ||
	    (ret = attr_ints(n, "dilations", n->dilation, 2, 2, &got)) ||
	    (ret = attr_ints(n, "pads", n->pad, 4, 4, &got)) ||
	    (ret = attr_auto_pad(n, &auto_pad)))
		return ret;
	for (int i = 0; i < 2; i++) {
		if (n->kernel[i] < 1 || n->stride[i] < 1 || n->dilation[i] < 1 ||
		    n->kernel[i] > 65535 || n->stride[i] > 65535 || n->dilation[i] > 65535)
			return qo_node_fail(n, -EINVAL, "kernel, stride or dilation out of range");
		if (n->pad[i] < 0 || n->pad[i + 2] < 0 || n->pad[i] > 65535 ||
		    n->pad[i + 2] > 65535)
			return qo_node_fail(n, -EINVAL, "pads out of range");
		if (auto_pad && got)
			return qo_node_fail(n, -EINVAL, "both pads and auto_pad given");
		ret = axis_geometry(n, auto_pad, in_hw[i], n->kernel[i], n->stride[i],
				    n->dilation[i], &n->pad[i], &n->pad[i + 2], ceil_mode,
				    &out_hw[i]);
		if (ret)
			return ret;
	}
	return 0;
}

void qo_im2col(const uint8_t *x, uint32_t batch, uint32_t ch, uint32_t h, uint32_t w,
	       uint32_t kh, uint32_t kw, uint32_t oh, uint32_t ow,
	       const int64_t stride[2], const int64_t dilation[2], const int64_t pad[4],
	       uint8_t pad_value, uint8_t *a)
{
	size_t k = (size_t)ch * kh * kw;

	for (uint32_t b = 0; b < batch; b++)
		for (uint32_t y = 0; y < oh; y++)
			for (uint32_t xo = 0; xo < ow; xo++) {
				uint8_t *row = a + (((size_t)b * oh + y) * ow + xo) * k;

				for (uint32_t c = 0; c < ch; c++) {
					const uint8_t *plane = x + ((size_t)b * ch + c) * h * w;

					for (uint32_t i = 0; i < kh; i++) {
						int64_t iy = (int64_t)y * stride[0] - pad[0] +
							     (int64_t)i * dilation[0];

						for (uint32_t j = 0; j < kw; j++) {
							int64_t ix = (int64_t)xo * stride[1] - pad[1] +
								     (int64_t)j * dilation[1];
							bool in = iy >= 0 && iy < h && ix >= 0 && ix < w;

							*row++ = in ? plane[iy * w + ix] : pad_value;
						}
					}
				}
			}
}

/* --- ConvInteger ------------------------------------------------------------- */

static int convinteger_prepare(struct qaccel_onnx_model *m, struct qo_node *n)
{
	const struct qo_value *x, *w;
	int64_t group, out_hw[2], dims[4];
	int ret;

	if (!n->gio)
		n->gio = integer_io;
	x = in_val(m, n, n->gio[0]);
	w = in_val(m, n, n->gio[1]);
	if (!is_q8(x->dtype) || !is_q8(w->dtype))
		return qo_node_fail(n, -EINVAL, "inputs are %s and %s (uint8 or int8)",
				    qo_dtype_name(x->dtype), qo_dtype_name(w->dtype));
	if (x->rank != 4 || w->rank != 4)
		return qo_node_fail(n, x->rank == w->rank ? -EOPNOTSUPP : -EINVAL,
				    "input rank %u, weight rank %u: only 2-D convolutions (rank 4)",
				    x->rank, w->rank);
	if ((ret = attr_int(n, "group", 1, &group)))
		return ret;
	if (group < 1 || group > x->dims[1] || x->dims[1] % group)
		return qo_node_fail(n, -EINVAL, "%lld input channels not divisible by group %lld",
				    (long long)x->dims[1], (long long)group);
	if (w->dims[0] % group)
		return qo_node_fail(n, -EINVAL, "%lld output channels not divisible by group %lld",
				    (long long)w->dims[0], (long long)group);
	if (w->dims[1] * group != x->dims[1])
		return qo_node_fail(n, -EINVAL,
				    "weights have %lld input channels per group, input %lld in %lld groups",
				    (long long)w->dims[1], (long long)x->dims[1], (long long)group);
	ret = window_attrs(m, n, &x->dims[2], &w->dims[2], false, out_hw);
	if (ret)
		return ret;
	dims[0] = x->dims[0];
	dims[1] = w->dims[0];
	dims[2] = out_hw[0];
	dims[3] = out_hw[1];
	/* Each group its own GEMM: M / group output channels from C / group inputs. */
	n->gemm.groups = (uint32_t)group;
	if ((ret = set_out(m, n, 0, QACCEL_ONNX_INT32, 4, dims)) ||
	    (ret = zero_point(m, n, n->gio[2], x->dtype, 1, &n->gemm.a_zp)) ||
	    (ret = zero_point(m, n, n->gio[3], w->dtype, (size_t)w->dims[0], &n->gemm.b_zp)) ||
	    (ret = gemm_setup(m, n, (uint64_t)dims[0] * dims[2] * dims[3],
			      (uint64_t)(dims[1] / group),
			      (uint64_t)w->dims[1] * w->dims[2] * w->dims[3],
			      x->dtype, w->dtype)))
		return ret;
	/*
	 * The weights [M][C / group][kh][kw] are already the device's N x K B,
	 * group after group.
	 */
	n->gemm.b_const = w->is_const;
	if (m->dev && w->is_const)
		memcpy(n->gemm.pb, w->data, w->count);
	return 0;
}

/* Group grp's C [batch][pixel][channel] into its channels of the NCHW output. */
#define NCHW_FROM_GEMM(T)							\
	do {									\
		const T *c = (const T *)g->pc + (size_t)grp * g->m * g->n;	\
		T *out = (T *)y->data + (size_t)grp * g->n * pix;		\
		for (uint32_t b = 0; b < batch; b++)				\
			for (uint32_t p = 0; p < pix; p++)			\
				for (uint32_t ch = 0; ch < g->n; ch++)		\
					out[((size_t)b * groups * g->n + ch) * pix + p] = \
						c[((size_t)b * pix + p) * g->n + ch]; \
	} while (0)

static int convinteger_run(struct qaccel_onnx_model *m, struct qo_node *n)
{
	const struct qo_value *x = in_val(m, n, n->gio[0]), *w = in_val(m, n, n->gio[1]);
	struct qo_value *y = out_val(m, n, 0);
	struct qo_gemm *g = &n->gemm;
	uint32_t batch = (uint32_t)x->dims[0], pix = (uint32_t)(y->dims[2] * y->dims[3]);
	uint32_t groups = g->groups, cg = (uint32_t)x->dims[1] / groups;
	size_t plane = (size_t)x->dims[2] * x->dims[3];
	uint64_t t0;
	int ret = zp_update(m, n, g);

	if (ret)
		return ret;
	t0 = qo_now_ns();
	/* Group grp's A: its C / group input channels of each image, image after image. */
	for (uint32_t grp = 0; grp < groups; grp++)
		for (uint32_t b = 0; b < batch; b++)
			qo_im2col((const uint8_t *)x->data + ((size_t)b * groups + grp) * cg * plane,
				  1, cg, (uint32_t)x->dims[2], (uint32_t)x->dims[3],
				  (uint32_t)n->kernel[0], (uint32_t)n->kernel[1],
				  (uint32_t)y->dims[2], (uint32_t)y->dims[3], n->stride,
				  n->dilation, n->pad, (uint8_t)g->a_zp,
				  (uint8_t *)g->pa + ((size_t)grp * g->m + (size_t)b * pix) * g->k);
	g->im2col_ns += qo_now_ns() - t0;
	if (!g->b_const)
		memcpy(g->pb, w->data, w->count);
	ret = gemm_run(m, n);
	if (ret)
		return ret;
	/* C is [group][batch][pixel][channel]; ONNX wants [batch][channel][pixel]. */
	for (uint32_t grp = 0; grp < groups; grp++) {
		if (g->c_size == 4)
			NCHW_FROM_GEMM(int32_t);
		else
			NCHW_FROM_GEMM(uint8_t);
	}
	return 0;
}

/* --- QLinearMatMul / QLinearConv ---------------------------------------------- */

/* A constant float scale: one value, or per channel (count 1 or channels). */
static int scale_of(struct qaccel_onnx_model *m, const struct qo_node *n, unsigned int i,
		    size_t channels, const float **out, size_t *count)
{
	const struct qo_value *v = in_val(m, n, i);

	if (v->dtype != QACCEL_ONNX_FLOAT)
		return qo_node_fail(n, -EINVAL, "scale '%s' is %s, not float", v->name,
				    qo_dtype_name(v->dtype));
	if (!v->is_const)
		return qo_node_fail(n, -EOPNOTSUPP, "scale '%s' must be an initializer", v->name);
	if (v->rank > 1 || (v->count != 1 && v->count != channels))
		return qo_node_fail(n, -EOPNOTSUPP, "scale '%s' has %zu elements (1 or %zu)",
				    v->name, v->count, channels);
	*out = v->data;
	*count = v->count;
	return 0;
}

/* A one-element initializer zero point of Y (uint8 / int8): its type and value. */
static int y_zero_point(struct qaccel_onnx_model *m, const struct qo_node *n, unsigned int i,
			int32_t *dtype, int32_t *zp)
{
	const struct qo_value *v = in_val(m, n, i);

	if (!is_q8(v->dtype))
		return qo_node_fail(n, -EINVAL, "y_zero_point is %s (uint8 or int8)",
				    qo_dtype_name(v->dtype));
	if (!v->is_const || v->count != 1)
		return qo_node_fail(n, -EOPNOTSUPP, "y_zero_point must be a one-element initializer");
	*dtype = v->dtype;
	*zp = v->dtype == QACCEL_ONNX_UINT8 ? *(const uint8_t *)v->data : *(const int8_t *)v->data;
	return 0;
}

/* An int32 bias initializer of channels elements, or NULL when input i is absent. */
static int bias_of(struct qaccel_onnx_model *m, const struct qo_node *n, unsigned int i,
		   size_t channels, const int32_t **out)
{
	const struct qo_value *b = in_val(m, n, i);

	*out = NULL;
	if (!b)
		return 0;
	if (b->dtype != QACCEL_ONNX_INT32 || b->count != channels || b->rank != 1)
		return qo_node_fail(n, -EINVAL, "bias must be int32 of %zu elements", channels);
	if (!b->is_const)
		return qo_node_fail(n, -EOPNOTSUPP, "bias must be an initializer");
	*out = b->data;
	return 0;
}

/*
 * QLinearMatMul / QLinearConv: the GEMM of MatMulInteger / ConvInteger
 * with the requantization on the device (FP32 family): + bias, ONNX
 * Runtime's scale fl(fl(a_s * b_s[c]) / y_s) (qaccel_scale_onnxruntime(),
 * per tensor or per output channel), rounded to even, + y_zero_point,
 * saturated to Y's type; the same steps as ONNX Runtime's
 * MlasRequantizeOutput.
 */
static int qlinear_prepare(struct qaccel_onnx_model *m, struct qo_node *n, bool conv)
{
	const float *as, *bs, *ys;
	const int32_t *bias;
	size_t na, nb, ny, channels;
	int32_t y_type = 0, y_zp = 0;
	float *scales;
	int ret;

	n->gio = qlinear_io;
	ret = conv ? convinteger_prepare(m, n) : matmulinteger_prepare(m, n);
	if (ret)
		return ret;
	/* Every group's output channels: the bias and per-channel scales span them all. */
	channels = (size_t)n->gemm.n * (n->gemm.groups ? n->gemm.groups : 1);
	if ((ret = scale_of(m, n, 1, 1, &as, &na)) ||
	    (ret = scale_of(m, n, 4, channels, &bs, &nb)) ||
	    (ret = scale_of(m, n, 6, 1, &ys, &ny)) ||
	    (ret = y_zero_point(m, n, 7, &y_type, &y_zp)) ||
	    (ret = bias_of(m, n, conv ? 8 : QO_MAX_IO, channels, &bias)))
		return ret;
	scales = calloc(nb, sizeof(*scales));
	if (!scales)
		return qo_node_fail(n, -ENOMEM, "out of memory");
	for (size_t c = 0; c < nb; c++)
		if (qaccel_scale_onnxruntime(as[0], bs[c], ys[0], &scales[c])) {
			free(scales);
			return qo_node_fail(n, -EOPNOTSUPP,
					    "requantization scale of channel %zu is not a positive normal float",
					    c);
		}
	ret = gemm_requant(m, n, scales, nb, bias, y_type, y_zp,
			   y_type == QACCEL_ONNX_UINT8 ? 0 : -128,
			   y_type == QACCEL_ONNX_UINT8 ? 255 : 127);
	free(scales);
	out_val(m, n, 0)->dtype = y_type;
	return ret;
}

static int qlinearmatmul_prepare(struct qaccel_onnx_model *m, struct qo_node *n)
{
	return qlinear_prepare(m, n, false);
}

static int qlinearconv_prepare(struct qaccel_onnx_model *m, struct qo_node *n)
{
	return qlinear_prepare(m, n, true);
}

/*
 * The window of a 2-D pool on x (rank 4): its ceil_mode, the pool's own
 * integer attribute attr (default 0) into *val, then window_attrs() into
 * out_hw.  MaxPool and the average pools alike.
 */
static int pool2d_window(struct qaccel_onnx_model *m, struct qo_node *n, const struct qo_value *x,
			 const char *attr, int64_t *val, int64_t *out_hw)
{
	int64_t ceil_mode;
	int ret;

	if (x->rank != 4)
		return qo_node_fail(n, -EOPNOTSUPP, "input rank %u: only 2-D pooling (rank 4)",
				    x->rank);
	if ((ret = attr_int(n, "ceil_mode", 0, &ceil_mode)) || (ret = attr_int(n, attr, 0, val)))
		return ret;
	return window_attrs(m, n, &x->dims[2], NULL, ceil_mode != 0, out_hw);
}

/* --- MaxPool ------------------------------------------------------------------ */

static int maxpool_prepare(struct qaccel_onnx_model *m, struct qo_node *n)
{
	const struct qo_value *x = in_val(m, n, 0);
	int64_t order, out_hw[2], dims[4];
	int ret;

	if (!is_q8(x->dtype) && x->dtype != QACCEL_ONNX_FLOAT)
		return qo_node_fail(n, -EOPNOTSUPP, "input is %s (float, uint8 or int8)",
				    qo_dtype_name(x->dtype));
	ret = pool2d_window(m, n, x, "storage_order", &order, out_hw);
	if (ret)
		return ret;
	dims[0] = x->dims[0];
	dims[1] = x->dims[1];
	dims[2] = out_hw[0];
	dims[3] = out_hw[1];
	return set_out(m, n, 0, x->dtype, 4, dims);
}

#define MAXPOOL_LOOP(T, LOWEST)							\
	do {									\
		const T *in = x->data;						\
		T *out = y->data;						\
		for (size_t plane = 0; plane < planes; plane++)			\
			for (int64_t oy = 0; oy < oh; oy++)			\
				for (int64_t ox = 0; ox < ow; ox++) {		\
					T best = LOWEST;			\
					for (int64_t i = 0; i < n->kernel[0]; i++) { \
						int64_t iy = oy * n->stride[0] - n->pad[0] + \
							     i * n->dilation[0]; \
						if (iy < 0 || iy >= h)		\
							continue;		\
						for (int64_t j = 0; j < n->kernel[1]; j++) { \
							int64_t ix = ox * n->stride[1] - \
								     n->pad[1] + j * n->dilation[1]; \
							T v;			\
							if (ix < 0 || ix >= w)	\
								continue;	\
							v = in[(plane * h + iy) * w + ix]; \
							if (v > best)		\
								best = v;	\
						}				\
					}					\
					*out++ = best;				\
				}						\
	} while (0)

static int maxpool_run(struct qaccel_onnx_model *m, struct qo_node *n)
{
	const struct qo_value *x = in_val(m, n, 0);
	struct qo_value *y = out_val(m, n, 0);
	size_t planes = (size_t)(x->dims[0] * x->dims[1]);
	int64_t h = x->dims[2], w = x->dims[3], oh = y->dims[2], ow = y->dims[3];

	if (x->dtype == QACCEL_ONNX_FLOAT)
		MAXPOOL_LOOP(float, -FLT_MAX);
	else if (x->dtype == QACCEL_ONNX_UINT8)
		MAXPOOL_LOOP(uint8_t, 0);
	else
		MAXPOOL_LOOP(int8_t, -128);
	return 0;
}

/* --- AveragePool / GlobalAveragePool (float) ------------------------------------- */

/*
 * ONNX Runtime computes float average pooling with MLAS (MlasPool), which
 * picks one of three kernels; each sums in its own order, so each is
 * reproduced here (docs/models.md, "Average pooling"):
 *  - GLOBAL (kernel = the whole image, strides 1, no pads): four running
 *    sums over the elements i = 0, 4, 8... / 1, 5, 9... / ..., reduced as
 *    (s0 + s2) + (s1 + s3), then the leftover elements one by one;
 *  - VECTOR (2-D, stride along W at most 2, kernel at most 32 each way,
 *    the padded row within MLAS's 2045-float buffer): per input column the
 *    sum down the window's rows, then the window's columns left to right
 *    over those sums (0.0 in the pads);
 *  - GENERIC: row by row from 0.0.
 * then one division by the element count (count_include_pad: the kernel's
 * size, else the window's elements inside the input).
 */
enum { POOL_GENERIC, POOL_VECTOR, POOL_GLOBAL };

/* The NCHWc block ONNX Runtime's AVX2 (8) and AVX-512 (16) CPUs pool in. */
#define ORT_NCHWC_BLOCK	8

/* Every window of one axis overlaps the input (no window of padding only). */
static int windows_inside(const struct qo_node *n, int axis, int64_t in, int64_t out)
{
	int64_t last = (out - 1) * n->stride[axis] - n->pad[axis];

	if (last >= in || n->kernel[axis] - n->pad[axis] <= 0)
		return qo_node_fail(n, -EOPNOTSUPP,
				    "a pooling window lies in the padding only (ceil_mode / pads): not supported");
	return 0;
}

/*
 * Geometry of an average pool on x (rank 4): the output's H and W in
 * out_hw; count_include_pad in n->perm[0].
 */
static int avgpool_geometry(struct qaccel_onnx_model *m, struct qo_node *n,
			    const struct qo_value *x, int64_t *out_hw)
{
	int64_t cip;
	int ret;

	ret = pool2d_window(m, n, x, "count_include_pad", &cip, out_hw);
	if (ret)
		return ret;
	if (n->dilation[0] != 1 || n->dilation[1] != 1)
		return qo_node_fail(n, -EOPNOTSUPP, "dilations other than 1 not supported");
	for (int i = 0; i < 2; i++)
		if ((ret = windows_inside(n, i, x->dims[2 + i], out_hw[i])))
			return ret;
	n->perm[0] = cip != 0;
	return 0;
}

/* Which MLAS kernel ONNX Runtime runs (n->axis), as MlasPool chooses it. */
static void mlas_pool_kind(struct qo_node *n, const struct qo_value *x)
{
	bool global = n->kernel[0] == x->dims[2] && n->kernel[1] == x->dims[3] &&
		      n->stride[0] == 1 && n->stride[1] == 1 && !n->pad[0] && !n->pad[1] &&
		      !n->pad[2] && !n->pad[3];

	if (global)
		n->axis = POOL_GLOBAL;
	else if (n->stride[1] <= 2 && n->kernel[0] <= 32 && n->kernel[1] <= 32 &&
		 n->pad[1] + n->pad[3] + x->dims[3] <= 2045)
		n->axis = POOL_VECTOR;
	else
		n->axis = POOL_GENERIC;
}

static int float_pool_input(struct qo_node *n, const struct qo_value *x)
{
	if (x->dtype != QACCEL_ONNX_FLOAT)
		return qo_node_fail(n, -EOPNOTSUPP, "input is %s (float only)",
				    qo_dtype_name(x->dtype));
	if (x->rank != 4)
		return qo_node_fail(n, -EOPNOTSUPP, "input rank %u: only 2-D pooling (rank 4)",
				    x->rank);
	/*
	 * ONNX Runtime's NCHWc transformer moves a float pool over channels a
	 * multiple of its block (8 with AVX2, 16 with AVX-512) to its NCHWc
	 * kernels, which sum in yet another order: its bytes then depend on
	 * the CPU it runs on.
	 */
	if (x->dims[1] % ORT_NCHWC_BLOCK == 0)
		return qo_node_fail(n, -EOPNOTSUPP,
				    "float average pooling over %lld channels (a multiple of %d): ONNX Runtime runs it in its NCHWc layout, in a CPU-dependent order; not supported",
				    (long long)x->dims[1], ORT_NCHWC_BLOCK);
	return 0;
}

static int avgpool_prepare(struct qaccel_onnx_model *m, struct qo_node *n)
{
	const struct qo_value *x = in_val(m, n, 0);
	int64_t out_hw[2], dims[4];
	int ret;

	if ((ret = float_pool_input(n, x)) || (ret = avgpool_geometry(m, n, x, out_hw)))
		return ret;
	mlas_pool_kind(n, x);
	dims[0] = x->dims[0];
	dims[1] = x->dims[1];
	dims[2] = out_hw[0];
	dims[3] = out_hw[1];
	return set_out(m, n, 0, QACCEL_ONNX_FLOAT, 4, dims);
}

static int globalavgpool_prepare(struct qaccel_onnx_model *m, struct qo_node *n)
{
	const struct qo_value *x = in_val(m, n, 0);
	int64_t dims[4] = { 0, 0, 1, 1 };
	int ret;

	if ((ret = float_pool_input(n, x)))
		return ret;
	n->kernel[0] = x->dims[2];
	n->kernel[1] = x->dims[3];
	n->stride[0] = n->stride[1] = 1;
	memset(n->pad, 0, sizeof(n->pad));
	n->axis = POOL_GLOBAL;
	dims[0] = x->dims[0];
	dims[1] = x->dims[1];
	return set_out(m, n, 0, QACCEL_ONNX_FLOAT, 4, dims);
}

static float mlas_global_sum(const float *p, size_t count)
{
	float lane[4] = { 0.0f, 0.0f, 0.0f, 0.0f }, r;
	size_t i = 0;

	for (; i + 4 <= count; i += 4)
		for (int l = 0; l < 4; l++)
			lane[l] += p[i + l];
	r = (lane[0] + lane[2]) + (lane[1] + lane[3]);
	for (; i < count; i++)
		r += p[i];
	return r;
}

/* One plane through MLAS's VECTOR kernel; colsum holds pad_l + w + pad_r floats. */
static void mlas_vector_plane(const struct qo_node *n, const float *p, int64_t h, int64_t w,
			      int64_t oh, int64_t ow, float *colsum, float *out)
{
	int64_t pl = n->pad[1], kh = n->kernel[0], kw = n->kernel[1];

	for (int64_t oy = 0; oy < oh; oy++) {
		int64_t y0 = oy * n->stride[0] - n->pad[0], y1 = y0 + kh;

		y0 = y0 < 0 ? 0 : y0;
		y1 = y1 > h ? h : y1;
		for (int64_t ix = 0; ix < w; ix++) {
			float s = p[y0 * w + ix];

			for (int64_t iy = y0 + 1; iy < y1; iy++)
				s += p[iy * w + ix];
			colsum[pl + ix] = s;
		}
		for (int64_t ox = 0; ox < ow; ox++) {
			int64_t c0 = ox * n->stride[1];	/* in padded columns */
			float s = colsum[c0], d;

			for (int64_t j = 1; j < kw; j++)
				s += colsum[c0 + j];
			if (n->perm[0]) {
				d = (float)(kh * kw);
			} else {
				int64_t lo = c0 > pl ? c0 : pl, hi = c0 + kw < pl + w ? c0 + kw : pl + w;

				d = (float)((hi - lo) * (y1 - y0));
			}
			*out++ = s / d;
		}
	}
}

static void generic_plane(const struct qo_node *n, const float *p, int64_t h, int64_t w,
			  int64_t oh, int64_t ow, float *out)
{
	for (int64_t oy = 0; oy < oh; oy++) {
		int64_t y0 = oy * n->stride[0] - n->pad[0], y1 = y0 + n->kernel[0];

		y0 = y0 < 0 ? 0 : y0;
		y1 = y1 > h ? h : y1;
		for (int64_t ox = 0; ox < ow; ox++) {
			int64_t x0 = ox * n->stride[1] - n->pad[1], x1 = x0 + n->kernel[1];
			float s = 0.0f;

			x0 = x0 < 0 ? 0 : x0;
			x1 = x1 > w ? w : x1;
			for (int64_t iy = y0; iy < y1; iy++)
				for (int64_t ix = x0; ix < x1; ix++)
					s += p[iy * w + ix];
			*out++ = s / (float)(n->perm[0] ? n->kernel[0] * n->kernel[1] :
					     (y1 - y0) * (x1 - x0));
		}
	}
}

static int avgpool_run(struct qaccel_onnx_model *m, struct qo_node *n)
{
	const struct qo_value *x = in_val(m, n, 0);
	struct qo_value *y = out_val(m, n, 0);
	size_t planes = (size_t)(x->dims[0] * x->dims[1]);
	int64_t h = x->dims[2], w = x->dims[3], oh = y->dims[2], ow = y->dims[3];
	const float *in = x->data;
	float *out = y->data, *colsum = NULL;

	if (n->axis == POOL_VECTOR) {
		/* The pads' columns and MLAS's 3 floats of over-read hold 0.0. */
		colsum = calloc((size_t)(n->pad[1] + w + n->pad[3] + 3), sizeof(*colsum));
		if (!colsum)
			return qo_node_fail(n, -ENOMEM, "out of memory");
	}
	for (size_t pl = 0; pl < planes; pl++, in += h * w, out += oh * ow) {
		if (n->axis == POOL_GLOBAL)
			out[0] = mlas_global_sum(in, (size_t)(h * w)) / (float)(h * w);
		else if (n->axis == POOL_VECTOR)
			mlas_vector_plane(n, in, h, w, oh, ow, colsum, out);
		else
			generic_plane(n, in, h, w, oh, ow, out);
	}
	free(colsum);
	return 0;
}

/* --- data movement -------------------------------------------------------------- */

static int copy_run(struct qaccel_onnx_model *m, struct qo_node *n)
{
	const struct qo_value *x = in_val(m, n, 0);

	memcpy(out_val(m, n, 0)->data, x->data, x->count * qaccel_onnx_dtype_size(x->dtype));
	return 0;
}

static int reshape_prepare(struct qaccel_onnx_model *m, struct qo_node *n)
{
	const struct qo_value *x = in_val(m, n, 0);
	int64_t shape[QACCEL_ONNX_MAX_RANK], allowzero, known = 1;
	int infer = -1;
	size_t rank;
	int ret;

	if ((ret = attr_int(n, "allowzero", 0, &allowzero)) ||
	    (ret = const_ints(m, n, 1, "shape", shape, QACCEL_ONNX_MAX_RANK, &rank)))
		return ret;
	for (size_t i = 0; i < rank; i++) {
		if (shape[i] == 0 && !allowzero) {
			if (i >= x->rank)
				return qo_node_fail(n, -EINVAL, "shape[%zu] = 0 copies no dimension", i);
			shape[i] = x->dims[i];
		} else if (shape[i] == -1) {
			if (infer >= 0)
				return qo_node_fail(n, -EINVAL, "more than one -1 in shape");
			infer = (int)i;
			continue;
		} else if (shape[i] < 0) {
			return qo_node_fail(n, -EINVAL, "shape[%zu] = %lld", i, (long long)shape[i]);
		}
		if (shape[i] > (int64_t)QO_MAX_ELEMS)
			return qo_node_fail(n, -EINVAL, "shape[%zu] too large", i);
		known *= shape[i];
		if (known > (int64_t)QO_MAX_ELEMS)
			return qo_node_fail(n, -EINVAL, "shape too large");
	}
	if (infer >= 0) {
		if (!known || x->count % (size_t)known)
			return qo_node_fail(n, -EINVAL, "cannot infer the -1 dimension");
		shape[infer] = (int64_t)x->count / known;
		known *= shape[infer];
	}
	if ((size_t)known != x->count)
		return qo_node_fail(n, -EINVAL, "shape has %lld elements, input %zu",
				    (long long)known, x->count);
	return set_out(m, n, 0, x->dtype, (uint32_t)rank, shape);
}

static int flatten_prepare(struct qaccel_onnx_model *m, struct qo_node *n)
{
	const struct qo_value *x = in_val(m, n, 0);
	int64_t axis, dims[2] = { 1, 1 };
	int ret;

	if ((ret = attr_int(n, "axis", 1, &axis)))
		return ret;
	if (axis < -(int64_t)x->rank || axis > (int64_t)x->rank)
		return qo_node_fail(n, -EINVAL, "axis %lld out of range for rank %u",
				    (long long)axis, x->rank);
	if (axis < 0)
		axis += x->rank;
	for (uint32_t i = 0; i < x->rank; i++)
		dims[i < axis ? 0 : 1] *= x->dims[i];
	return set_out(m, n, 0, x->dtype, 2, dims);
}

/* Axes of Squeeze / Unsqueeze: an input from opset 13 on, an attribute before. */
static int axes_of(struct qaccel_onnx_model *m, struct qo_node *n, int64_t *axes, size_t *cnt)
{
	if (in_val(m, n, 1)) {
		if (attr_find(n, "axes"))
			return qo_node_fail(n, -EINVAL, "axes given as input and attribute");
		return const_ints(m, n, 1, "axes", axes, QACCEL_ONNX_MAX_RANK, cnt);
	}
	return attr_ints(n, "axes", axes, 0, QACCEL_ONNX_MAX_RANK, cnt);
}

static int squeeze_prepare(struct qaccel_onnx_model *m, struct qo_node *n)
{
	const struct qo_value *x = in_val(m, n, 0);
	int64_t axes[QACCEL_ONNX_MAX_RANK], dims[QACCEL_ONNX_MAX_RANK];
	bool drop[QACCEL_ONNX_MAX_RANK] = { false };
	uint32_t rank = 0;
	size_t cnt;
	int ret = axes_of(m, n, axes, &cnt);

	if (ret)
		return ret;
	for (size_t i = 0; i < cnt; i++) {
		int64_t a = 0;

		if ((ret = norm_axis(n, axes[i], x->rank, &a)))
			return ret;
		if (x->dims[a] != 1)
			return qo_node_fail(n, -EINVAL, "axis %lld has dimension %lld, not 1",
					    (long long)axes[i], (long long)x->dims[a]);
		drop[a] = true;
	}
	for (uint32_t i = 0; i < x->rank; i++)
		if (!(cnt ? drop[i] : x->dims[i] == 1))
			dims[rank++] = x->dims[i];
	return set_out(m, n, 0, x->dtype, rank, dims);
}

static int unsqueeze_prepare(struct qaccel_onnx_model *m, struct qo_node *n)
{
	const struct qo_value *x = in_val(m, n, 0);
	int64_t axes[QACCEL_ONNX_MAX_RANK], dims[QACCEL_ONNX_MAX_RANK];
	bool ins[QACCEL_ONNX_MAX_RANK] = { false };
	uint32_t rank, src = 0;
	size_t cnt;
	int ret = axes_of(m, n, axes, &cnt);

	if (ret)
		return ret;
	if (!cnt)
		return qo_node_fail(n, -EINVAL, "no axes");
	rank = x->rank + (uint32_t)cnt;
	if (rank > QACCEL_ONNX_MAX_RANK)
		return qo_node_fail(n, -EOPNOTSUPP, "output rank %u above %d", rank,
				    QACCEL_ONNX_MAX_RANK);
	for (size_t i = 0; i < cnt; i++) {
		int64_t a = 0;

		if ((ret = norm_axis(n, axes[i], rank, &a)))
			return ret;
		if (ins[a])
			return qo_node_fail(n, -EINVAL, "axis %lld given twice", (long long)axes[i]);
		ins[a] = true;
	}
	for (uint32_t i = 0; i < rank; i++)
		dims[i] = ins[i] ? 1 : x->dims[src++];
	return set_out(m, n, 0, x->dtype, rank, dims);
}

static int transpose_prepare(struct qaccel_onnx_model *m, struct qo_node *n)
{
	const struct qo_value *x = in_val(m, n, 0);
	int64_t dims[QACCEL_ONNX_MAX_RANK];
	bool seen[QACCEL_ONNX_MAX_RANK] = { false };
	size_t cnt;
	int ret = attr_ints(n, "perm", n->perm, 0, QACCEL_ONNX_MAX_RANK, &cnt);

	if (ret)
		return ret;
	if (!cnt) {
		for (uint32_t i = 0; i < x->rank; i++)
			n->perm[i] = x->rank - 1 - i;
		cnt = x->rank;
	}
	if (cnt != x->rank)
		return qo_node_fail(n, -EINVAL, "perm has %zu entries, input rank %u", cnt,
				    x->rank);
	for (uint32_t i = 0; i < x->rank; i++) {
		if (n->perm[i] < 0 || n->perm[i] >= x->rank || seen[n->perm[i]])
			return qo_node_fail(n, -EINVAL, "perm is not a permutation");
		seen[n->perm[i]] = true;
		dims[i] = x->dims[n->perm[i]];
	}
	return set_out(m, n, 0, x->dtype, x->rank, dims);
}

static int transpose_run(struct qaccel_onnx_model *m, struct qo_node *n)
{
	const struct qo_value *x = in_val(m, n, 0);
	struct qo_value *y = out_val(m, n, 0);
	size_t es = qaccel_onnx_dtype_size(x->dtype), in_stride[QACCEL_ONNX_MAX_RANK];
	size_t step[QACCEL_ONNX_MAX_RANK], idx[QACCEL_ONNX_MAX_RANK] = { 0 }, src = 0;
	uint32_t r = x->rank;
	char *out = y->data;

	if (!y->count)
		return 0;
	for (uint32_t i = r; i-- > 0;)
		in_stride[i] = i + 1 < r ? in_stride[i + 1] * (size_t)x->dims[i + 1] : 1;
	/* Walking the output in order, output axis i moves the input by step[i]. */
	for (uint32_t i = 0; i < r; i++)
		step[i] = in_stride[n->perm[i]];
	for (size_t e = 0; e < y->count; e++) {
		memcpy(out + e * es, (const char *)x->data + src * es, es);
		for (uint32_t i = r; i-- > 0;) {
			src += step[i];
			if (++idx[i] < (size_t)y->dims[i])
				break;
			src -= step[i] * idx[i];
			idx[i] = 0;
		}
	}
	return 0;
}

static int concat_prepare(struct qaccel_onnx_model *m, struct qo_node *n)
{
	const struct qo_value *x = in_val(m, n, 0);
	int64_t axis, dims[QACCEL_ONNX_MAX_RANK];
	int ret = attr_int(n, "axis", INT64_MIN, &axis);

	if (ret)
		return ret;
	if (axis == INT64_MIN)
		return qo_node_fail(n, -EINVAL, "attribute 'axis' is required");
	if ((ret = norm_axis(n, axis, x->rank, &n->axis)))
		return ret;
	memcpy(dims, x->dims, sizeof(dims));
	for (unsigned int i = 1; i < n->n_in; i++) {
		const struct qo_value *v = in_val(m, n, i);

		if (!v)
			return qo_node_fail(n, -EINVAL, "input %u left out", i);
		if (v->dtype != x->dtype || v->rank != x->rank)
			return qo_node_fail(n, -EINVAL, "input '%s' differs in type or rank",
					    v->name);
		for (uint32_t d = 0; d < x->rank; d++)
			if (d != n->axis && v->dims[d] != x->dims[d])
				return qo_node_fail(n, -EINVAL,
						    "input '%s' differs in dimension %u", v->name, d);
		dims[n->axis] += v->dims[n->axis];
	}
	return set_out(m, n, 0, x->dtype, x->rank, dims);
}

static int concat_run(struct qaccel_onnx_model *m, struct qo_node *n)
{
	const struct qo_value *x = in_val(m, n, 0);
	size_t es = qaccel_onnx_dtype_size(x->dtype), outer = 1, inner = es;
	char *out = out_val(m, n, 0)->data;

	for (int64_t d = 0; d < n->axis; d++)
		outer *= (size_t)x->dims[d];
	for (uint32_t d = (uint32_t)n->axis + 1; d < x->rank; d++)
		inner *= (size_t)x->dims[d];
	for (size_t o = 0; o < outer; o++)
		for (unsigned int i = 0; i < n->n_in; i++) {
			const struct qo_value *v = in_val(m, n, i);
			size_t len = (size_t)v->dims[n->axis] * inner;

			memcpy(out, (const char *)v->data + o * len, len);
			out += len;
		}
	return 0;
}

/* --- Shape, ConstantOfShape, Cast ---------------------------------------------------- */

/*
 * Every shape is static here, so Shape and ConstantOfShape give constants:
 * their output is computed at load and is a constant from then on (ONNX
 * Runtime's constant folding makes them initializers); their run does nothing.
 */
static int mark_const(struct qaccel_onnx_model *m, struct qo_node *n)
{
	struct qo_value *v = out_val(m, n, 0);

	if (qo_value_alloc(v))
		return qo_node_fail(n, -ENOMEM, "out of memory");
	v->is_const = true;
	return 0;
}

static int const_run(struct qaccel_onnx_model *m, struct qo_node *n)
{
	(void)m;
	(void)n;
	return 0;
}

/* Shape (opset 15's start and end clamped to the rank, as ONNX defines them). */
static int shape_prepare(struct qaccel_onnx_model *m, struct qo_node *n)
{
	const struct qo_value *x = in_val(m, n, 0);
	int64_t rank = x->rank, start, end, len[1];
	int ret;

	if ((ret = attr_int(n, "start", 0, &start)) || (ret = attr_int(n, "end", rank, &end)))
		return ret;
	start = start < 0 ? start + rank : start;
	start = start < 0 ? 0 : start > rank ? rank : start;
	end = end < 0 ? end + rank : end;
	end = end < 0 ? 0 : end > rank ? rank : end;
	len[0] = end > start ? end - start : 0;
	if ((ret = set_out(m, n, 0, QACCEL_ONNX_INT64, 1, len)) || (ret = mark_const(m, n)))
		return ret;
	memcpy(out_val(m, n, 0)->data, x->dims + start, (size_t)len[0] * sizeof(int64_t));
	return 0;
}

/* ConstantOfShape: the shape an initializer, 'value' one element (default float 0). */
static int constantofshape_prepare(struct qaccel_onnx_model *m, struct qo_node *n)
{
	const Onnx__AttributeProto *a = attr_find(n, "value");
	struct qaccel_onnx_tensor t = { .dtype = QACCEL_ONNX_FLOAT };
	int64_t dims[QACCEL_ONNX_MAX_RANK];
	float zero = 0.0f;
	const void *val = &zero;
	struct qo_value *y;
	size_t rank, esize;
	int ret;

	if ((ret = const_ints(m, n, 0, "shape", dims, QACCEL_ONNX_MAX_RANK, &rank)))
		return ret;
	if (a) {
		if (a->type != ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__TENSOR || !a->t)
			return qo_node_fail(n, -EINVAL, "attribute 'value' is not a tensor");
		if ((ret = qo_tensor_from_proto(a->t, &t, "value")))
			return qo_node_fail(n, ret, "%s", qaccel_onnx_error());
		if (t.count != 1) {
			qaccel_onnx_tensor_release(&t);
			return qo_node_fail(n, -EINVAL, "'value' has %zu elements (1)", t.count);
		}
		val = t.data;
	}
	ret = set_out(m, n, 0, t.dtype, (uint32_t)rank, dims);
	if (!ret)
		ret = mark_const(m, n);
	y = out_val(m, n, 0);
	esize = qaccel_onnx_dtype_size(t.dtype);
	for (size_t e = 0; !ret && e < y->count; e++)
		memcpy((uint8_t *)y->data + e * esize, val, esize);
	qaccel_onnx_tensor_release(&t);
	return ret;
}

static bool is_int(int32_t t)
{
	return is_q8(t) || t == QACCEL_ONNX_INT32 || t == QACCEL_ONNX_INT64;
}

/*
 * Cast to the input's own type (a copy), from an integer type to float
 * (rounded to nearest, as C's and ONNX Runtime's static_cast), or to a
 * wider integer type: the Casts whose result ONNX defines for every input.
 * A float to an integer type is refused: ONNX leaves a value out of the
 * type's range undefined, and ONNX Runtime's result then is whatever its
 * compiler's conversion gives.
 */
static int cast_prepare(struct qaccel_onnx_model *m, struct qo_node *n)
{
	const struct qo_value *x = in_val(m, n, 0);
	int64_t to;
	size_t xs, ys;
	int ret;

	if ((ret = attr_int(n, "to", 0, &to)))
		return ret;
	if (!attr_find(n, "to"))
		return qo_node_fail(n, -EINVAL, "attribute 'to' missing");
	xs = qaccel_onnx_dtype_size(x->dtype);
	ys = to > 0 && to < INT32_MAX ? qaccel_onnx_dtype_size((int32_t)to) : 0;
	if (!ys)
		return qo_node_fail(n, -EOPNOTSUPP, "Cast to %s not supported",
				    qo_dtype_name(to > 0 && to < INT32_MAX ? (int32_t)to : 0));
	if (to != x->dtype && !(is_int(x->dtype) && to == QACCEL_ONNX_FLOAT) &&
	    !(is_int(x->dtype) && is_int((int32_t)to) && ys > xs))
		return qo_node_fail(n, -EOPNOTSUPP,
				    "Cast from %s to %s not supported (%s)", qo_dtype_name(x->dtype),
				    qo_dtype_name((int32_t)to), x->dtype == QACCEL_ONNX_FLOAT ?
				    "ONNX leaves a float outside the integer type's range undefined" :
				    "a narrowing or sign-changing integer Cast");
	return set_out(m, n, 0, (int32_t)to, x->rank, x->dims);
}

static int64_t int_at(const struct qo_value *v, size_t i)
{
	switch (v->dtype) {
	case QACCEL_ONNX_UINT8:
		return ((const uint8_t *)v->data)[i];
	case QACCEL_ONNX_INT8:
		return ((const int8_t *)v->data)[i];
	case QACCEL_ONNX_INT32:
		return ((const int32_t *)v->data)[i];
	default:
		return ((const int64_t *)v->data)[i];
	}
}

static int cast_run(struct qaccel_onnx_model *m, struct qo_node *n)
{
	const struct qo_value *x = in_val(m, n, 0);
	struct qo_value *y = out_val(m, n, 0);

	if (x->dtype == y->dtype)
		return copy_run(m, n);
	for (size_t e = 0; e < x->count; e++) {
		int64_t v = int_at(x, e);

		if (y->dtype == QACCEL_ONNX_FLOAT)
			((float *)y->data)[e] = (float)v;
		else if (y->dtype == QACCEL_ONNX_INT32)
			((int32_t *)y->data)[e] = (int32_t)v;
		else
			((int64_t *)y->data)[e] = v;
	}
	return 0;
}

/* --- QGemm (com.microsoft) ------------------------------------------------------ */

static int attr_float(const struct qo_node *n, const char *name, float def, float *out)
{
	const Onnx__AttributeProto *a = attr_find(n, name);

	*out = def;
	if (!a)
		return 0;
	if (a->type != ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__FLOAT || !a->has_f)
		return qo_node_fail(n, -EINVAL, "attribute '%s' is not a float", name);
	*out = a->f;
	return 0;
}

/*
 * QGemm: Y = requant(alpha * A' . B' + C), A' = transA ? A^T : A, B' likewise,
 * as ONNX Runtime's QGemm kernel computes it: C (int32, scalar or per
 * column) is the accumulator's start, the output scale per column is
 * fl(fl(fl(alpha * a_s) * b_s[c]) / y_s) (its ComputeOutputScale, in that
 * order), and the requantization is MlasRequantizeOutput's (the device's
 * FP32 family).  Without y_zero_point Y is float: fl(fl(acc) * scale[c]),
 * on the host from the device's int32 accumulators.
 */
static int qgemm_prepare(struct qaccel_onnx_model *m, struct qo_node *n)
{
	const struct qo_value *a = in_val(m, n, 0), *b = in_val(m, n, 3), *c = in_val(m, n, 6);
	const struct qo_value *ys_v = in_val(m, n, 7), *yzp_v = in_val(m, n, 8);
	int64_t trans_a, trans_b, dims[2];
	const float *as, *bs, *ys = NULL;
	size_t na, nb, ny, rows, depth, cols;
	int32_t *bias = NULL, y_type = QACCEL_ONNX_FLOAT, y_zp = 0;
	float alpha;
	int ret;

	n->gio = qlinear_io;
	if ((ret = attr_int(n, "transA", 0, &trans_a)) || (ret = attr_int(n, "transB", 0, &trans_b)) ||
	    (ret = attr_float(n, "alpha", 1.0f, &alpha)))
		return ret;
	if (!is_q8(a->dtype) || !is_q8(b->dtype))
		return qo_node_fail(n, -EINVAL, "A and B are %s and %s (uint8 or int8)",
				    qo_dtype_name(a->dtype), qo_dtype_name(b->dtype));
	if (a->dtype == QACCEL_ONNX_INT8 && b->dtype != QACCEL_ONNX_INT8)
		return qo_node_fail(n, -EOPNOTSUPP, "int8 A with uint8 B (ONNX Runtime has no such kernel)");
	if (a->rank != 2 || b->rank != 2)
		return qo_node_fail(n, -EINVAL, "A and B must be matrices (ranks %u, %u)", a->rank,
				    b->rank);
	/* transA and transB, kept in fields a QGemm node has no other use for. */
	n->axis = trans_a != 0;
	n->perm[0] = trans_b != 0;
	rows = (size_t)a->dims[trans_a ? 1 : 0];
	depth = (size_t)a->dims[trans_a ? 0 : 1];
	cols = (size_t)b->dims[trans_b ? 0 : 1];
	if ((int64_t)depth != b->dims[trans_b ? 1 : 0])
		return qo_node_fail(n, -EINVAL, "A' is %zu x %zu, B' %lld x %zu", rows, depth,
				    (long long)b->dims[trans_b ? 1 : 0], cols);
	if (!(alpha > 0.0f))
		return qo_node_fail(n, -EOPNOTSUPP, "alpha %g: only positive alphas give a job's scale",
				    (double)alpha);
	if ((ret = scale_of(m, n, 1, 1, &as, &na)) || (ret = scale_of(m, n, 4, cols, &bs, &nb)))
		return ret;
	if (ys_v && (ret = scale_of(m, n, 7, 1, &ys, &ny)))
		return ret;
	if (yzp_v && !ys_v)
		return qo_node_fail(n, -EINVAL, "y_zero_point without y_scale");
	if (ys_v && !yzp_v)
		return qo_node_fail(n, -EOPNOTSUPP, "y_scale without y_zero_point (float output of a scaled-down sum)");
	if (yzp_v && (ret = y_zero_point(m, n, 8, &y_type, &y_zp)))
		return ret;
	if (yzp_v && y_type != a->dtype)
		return qo_node_fail(n, -EINVAL, "Y is %s, A %s (must be the same)",
				    qo_dtype_name(y_type), qo_dtype_name(a->dtype));
	if (c) {
		if (c->dtype != QACCEL_ONNX_INT32)
			return qo_node_fail(n, -EINVAL, "C is %s (int32)", qo_dtype_name(c->dtype));
		if (!c->is_const)
			return qo_node_fail(n, -EOPNOTSUPP, "C must be an initializer");
		if (!(c->count == 1 || (c->count == cols && (c->rank == 1 ||
							     (c->rank == 2 && c->dims[0] == 1)))))
			return qo_node_fail(n, -EOPNOTSUPP,
					    "C of %zu elements: only a scalar or one per column (the device adds one bias per column)",
					    c->count);
	}
	dims[0] = (int64_t)rows;
	dims[1] = (int64_t)cols;
	if ((ret = set_out(m, n, 0, y_type, 2, dims)) ||
	    (ret = zero_point(m, n, 2, a->dtype, 1, &n->gemm.a_zp)) ||
	    (ret = zero_point(m, n, 5, b->dtype, cols, &n->gemm.b_zp)) ||
	    (ret = gemm_setup(m, n, rows, cols, depth, a->dtype, b->dtype)))
		return ret;
	n->n_scale = nb;
	n->scale = calloc(nb, sizeof(*n->scale));
	if (c)
		bias = calloc(cols, sizeof(*bias));
	if (!n->scale || (c && !bias)) {
		free(bias);
		return qo_node_fail(n, -ENOMEM, "out of memory");
	}
	for (size_t i = 0; c && i < cols; i++)
		bias[i] = ((const int32_t *)c->data)[c->count == 1 ? 0 : i];
	for (size_t i = 0; i < nb; i++) {
		/* alpha * a_scale * b_scale[i], then / y_scale: ONNX Runtime's order. */
		float s = alpha * as[0];

		s = s * bs[i];
		if (ys)
			s = s / ys[0];
		n->scale[i] = s;
	}
	if (yzp_v) {
		ret = gemm_requant(m, n, n->scale, nb, bias, y_type, y_zp,
				   y_type == QACCEL_ONNX_UINT8 ? 0 : -128,
				   y_type == QACCEL_ONNX_UINT8 ? 255 : 127);
	} else if (bias) {
		/* Float output: the int32 sum with the bias comes from the device. */
		ret = 0;
		n->gemm.flags |= QACCEL_GEMM_BIAS;
		if (m->dev) {
			void *pb;

			ret = gemm_alloc(m, n, cols * 4, &n->gemm.bias, &pb);
			if (!ret)
				memcpy(pb, bias, cols * 4);
		}
	}
	free(bias);
	if (ret)
		return ret;
	n->gemm.b_const = b->is_const;
	if (m->dev && b->is_const) {
		if (trans_b)
			memcpy(n->gemm.pb, b->data, b->count);
		else
			transpose_b(b->data, n->gemm.k, n->gemm.n, n->gemm.pb);
	}
	return 0;
}

static int qgemm_run(struct qaccel_onnx_model *m, struct qo_node *n)
{
	struct qo_gemm *g = &n->gemm;
	const struct qo_value *a = in_val(m, n, 0), *b = in_val(m, n, 3);
	struct qo_value *y = out_val(m, n, 0);
	int ret = zp_update(m, n, g);

	if (ret)
		return ret;
	if (n->axis)	/* transA: A is K x M */
		transpose_b(a->data, g->k, g->m, g->pa);
	else
		memcpy(g->pa, a->data, (size_t)g->m * g->k);
	if (!g->b_const) {
		if (n->perm[0])
			memcpy(g->pb, b->data, b->count);
		else
			transpose_b(b->data, g->k, g->n, g->pb);
	}
	ret = gemm_run(m, n);
	if (ret)
		return ret;
	if (y->dtype != QACCEL_ONNX_FLOAT) {
		memcpy(y->data, g->pc, y->count);
		return 0;
	}
	for (size_t e = 0; e < y->count; e++) {
		float s = n->scale[n->n_scale == 1 ? 0 : e % g->n];

		((float *)y->data)[e] = (float)((const int32_t *)g->pc)[e] * s;
	}
	return 0;
}

/* --- QuantizeLinear / DequantizeLinear ------------------------------------------- */

/*
 * Scale and zero point of a Q or DQ node: initializers, one element or
 * (opset 13 on) one per index of axis.  n->axis is the normalized axis,
 * n->n_scale the count; the zero point's type is the quantized type.
 */
static int qdq_params(struct qaccel_onnx_model *m, struct qo_node *n, const struct qo_value *x,
		      int32_t *qtype)
{
	const struct qo_value *s = in_val(m, n, 1), *z = in_val(m, n, 2);
	int64_t axis;
	int ret;

	if ((ret = attr_int(n, "axis", 1, &axis)))
		return ret;
	if (s->dtype != QACCEL_ONNX_FLOAT)
		return qo_node_fail(n, -EINVAL, "scale '%s' is %s, not float", s->name,
				    qo_dtype_name(s->dtype));
	if (!s->is_const || (z && !z->is_const))
		return qo_node_fail(n, -EOPNOTSUPP, "scale and zero point must be initializers");
	if (z && (z->count != s->count || z->rank != s->rank))
		return qo_node_fail(n, -EINVAL, "zero point and scale differ in shape");
	*qtype = z ? z->dtype : QACCEL_ONNX_UINT8;
	if (s->count == 1 && s->rank <= 1) {
		n->n_scale = 1;
		n->axis = 0;
		n->chan_div = 1;
		return 0;
	}
	if (s->rank != 1 || m->opset < 13)
		return qo_node_fail(n, -EOPNOTSUPP, "scale of %zu elements: per tensor or per axis (1-D, opset 13) only",
				    s->count);
	if ((ret = norm_axis(n, axis, x->rank, &n->axis)))
		return ret;
	if ((int64_t)s->count != x->dims[n->axis])
		return qo_node_fail(n, -EINVAL, "scale has %zu elements, axis %lld has %lld",
				    s->count, (long long)n->axis, (long long)x->dims[n->axis]);
	n->n_scale = s->count;
	n->chan_div = 1;
	for (uint32_t d = (uint32_t)n->axis + 1; d < x->rank; d++)
		n->chan_div *= (size_t)x->dims[d];
	return 0;
}

static int32_t zp_at(const struct qo_value *z, size_t i)
{
	if (!z)
		return 0;
	if (z->dtype == QACCEL_ONNX_UINT8)
		return ((const uint8_t *)z->data)[i];
	if (z->dtype == QACCEL_ONNX_INT8)
		return ((const int8_t *)z->data)[i];
	return ((const int32_t *)z->data)[i];
}

static int quantize_prepare(struct qaccel_onnx_model *m, struct qo_node *n)
{
	const struct qo_value *x = in_val(m, n, 0);
	int32_t qtype;
	int64_t sat;
	int ret;

	if (x->dtype != QACCEL_ONNX_FLOAT)
		return qo_node_fail(n, -EOPNOTSUPP, "x is %s (float only)", qo_dtype_name(x->dtype));
	if ((ret = attr_int(n, "saturate", 1, &sat)) || (ret = qdq_params(m, n, x, &qtype)))
		return ret;
	if (!is_q8(qtype))
		return qo_node_fail(n, -EOPNOTSUPP, "output type %s (uint8 or int8)",
				    qo_dtype_name(qtype));
	return set_out(m, n, 0, qtype, x->rank, x->dims);
}


/*
 * ONNX Runtime's MlasQuantizeLinear: x / scale (a division, not a
 * multiplication by the reciprocal), clamped to [qmin - zp, qmax - zp]
 * as floats (MAXPS / MINPS: a NaN quotient becomes qmin - zp), rounded to
 * nearest even (CVTPS2DQ), + zp.
 */
static int quantize_run(struct qaccel_onnx_model *m, struct qo_node *n)
{
	const struct qo_value *x = in_val(m, n, 0), *s = in_val(m, n, 1), *z = in_val(m, n, 2);
	struct qo_value *y = out_val(m, n, 0);
	bool u8 = y->dtype == QACCEL_ONNX_UINT8;
	int32_t qmin = u8 ? 0 : -128, qmax = u8 ? 255 : 127;

	for (size_t e = 0; e < x->count; e++) {
		size_t c = n->n_scale == 1 ? 0 : (e / n->chan_div) % n->n_scale;
		int32_t zp = zp_at(z, c);
		float lo = (float)(qmin - zp), hi = (float)(qmax - zp);
		float v = ((const float *)x->data)[e] / ((const float *)s->data)[c];
		int32_t q;

		v = v > lo ? v : lo;	/* MAXPS: the second operand when v is NaN */
		v = v < hi ? v : hi;
		q = (int32_t)nearbyintf(v) + zp;
		if (u8)
			((uint8_t *)y->data)[e] = (uint8_t)q;
		else
			((int8_t *)y->data)[e] = (int8_t)q;
	}
	return 0;
}

static int dequantize_prepare(struct qaccel_onnx_model *m, struct qo_node *n)
{
	const struct qo_value *x = in_val(m, n, 0), *z = in_val(m, n, 2);
	int32_t qtype;
	int ret;

	if (!is_q8(x->dtype) && x->dtype != QACCEL_ONNX_INT32)
		return qo_node_fail(n, -EOPNOTSUPP, "x is %s (uint8, int8 or int32)",
				    qo_dtype_name(x->dtype));
	if ((ret = qdq_params(m, n, x, &qtype)))
		return ret;
	if (z && z->dtype != x->dtype)
		return qo_node_fail(n, -EINVAL, "zero point is %s, x %s", qo_dtype_name(z->dtype),
				    qo_dtype_name(x->dtype));
	return set_out(m, n, 0, QACCEL_ONNX_FLOAT, x->rank, x->dims);
}

/* ONNX Runtime: (float)(x - zp) * scale, one rounding. */
static int dequantize_run(struct qaccel_onnx_model *m, struct qo_node *n)
{
	const struct qo_value *x = in_val(m, n, 0), *s = in_val(m, n, 1), *z = in_val(m, n, 2);
	float *y = out_val(m, n, 0)->data;

	for (size_t e = 0; e < x->count; e++) {
		size_t c = n->n_scale == 1 ? 0 : (e / n->chan_div) % n->n_scale;

		y[e] = (float)(zp_at(x, e) - zp_at(z, c)) * ((const float *)s->data)[c];
	}
	return 0;
}

/* --- Add, Relu, Clip ------------------------------------------------------------- */

/*
 * Multidirectional (numpy) broadcasting of inputs a and b: the output's
 * shape, and for each input the stride of each output axis (0 where the
 * input's dimension is 1), in sa and sb.
 */
static int broadcast(const struct qo_node *n, const struct qo_value *a, const struct qo_value *b,
		     uint32_t *rank, int64_t *dims, size_t *sa, size_t *sb)
{
	uint32_t r = a->rank > b->rank ? a->rank : b->rank;
	size_t ma = 1, mb = 1;

	for (uint32_t i = r; i-- > 0;) {
		int64_t da = i + a->rank >= r ? a->dims[i + a->rank - r] : 1;
		int64_t db = i + b->rank >= r ? b->dims[i + b->rank - r] : 1;

		if (da != db && da != 1 && db != 1)
			return qo_node_fail(n, -EINVAL, "shapes do not broadcast (axis %u: %lld, %lld)",
					    i, (long long)da, (long long)db);
		dims[i] = da == 1 ? db : da;
		sa[i] = da == 1 ? 0 : ma;
		sb[i] = db == 1 ? 0 : mb;
		ma *= (size_t)da;
		mb *= (size_t)db;
	}
	*rank = r;
	return 0;
}

static int add_prepare(struct qaccel_onnx_model *m, struct qo_node *n)
{
	const struct qo_value *a = in_val(m, n, 0), *b = in_val(m, n, 1);
	int64_t dims[QACCEL_ONNX_MAX_RANK];
	uint32_t rank = 0;
	int ret;

	if (a->dtype != b->dtype || (a->dtype != QACCEL_ONNX_FLOAT && a->dtype != QACCEL_ONNX_INT32))
		return qo_node_fail(n, a->dtype != b->dtype ? -EINVAL : -EOPNOTSUPP,
				    "inputs are %s and %s (float or int32, the same)",
				    qo_dtype_name(a->dtype), qo_dtype_name(b->dtype));
	ret = broadcast(n, a, b, &rank, dims, n->bstride[0], n->bstride[1]);
	return ret ? ret : set_out(m, n, 0, a->dtype, rank, dims);
}

static int add_run(struct qaccel_onnx_model *m, struct qo_node *n)
{
	const struct qo_value *a = in_val(m, n, 0), *b = in_val(m, n, 1);
	struct qo_value *y = out_val(m, n, 0);
	size_t idx[QACCEL_ONNX_MAX_RANK] = { 0 }, ia = 0, ib = 0;

	for (size_t e = 0; e < y->count; e++) {
		if (y->dtype == QACCEL_ONNX_FLOAT)
			((float *)y->data)[e] = ((const float *)a->data)[ia] +
						((const float *)b->data)[ib];
		else	/* int32 wraps, as ONNX Runtime's Eigen sum does on x86 */
			((int32_t *)y->data)[e] = (int32_t)((uint32_t)((const int32_t *)a->data)[ia] +
							    (uint32_t)((const int32_t *)b->data)[ib]);
		for (uint32_t i = y->rank; i-- > 0;) {
			ia += n->bstride[0][i];
			ib += n->bstride[1][i];
			if (++idx[i] < (size_t)y->dims[i])
				break;
			ia -= n->bstride[0][i] * idx[i];
			ib -= n->bstride[1][i] * idx[i];
			idx[i] = 0;
		}
	}
	return 0;
}

static int float_unary_prepare(struct qaccel_onnx_model *m, struct qo_node *n)
{
	const struct qo_value *x = in_val(m, n, 0);

	if (x->dtype != QACCEL_ONNX_FLOAT)
		return qo_node_fail(n, -EOPNOTSUPP, "input is %s (float only)", qo_dtype_name(x->dtype));
	return set_out(m, n, 0, x->dtype, x->rank, x->dims);
}

/* Clip's bounds: attributes before opset 11, optional initializer inputs from 11 on. */
int qo_clip_bounds(const struct qaccel_onnx_model *m, const struct qo_node *n, float *lo, float *hi)
{
	int ret;

	*lo = -FLT_MAX;
	*hi = FLT_MAX;
	if (m->opset < 11) {
		if ((ret = attr_float(n, "min", -FLT_MAX, lo)) || (ret = attr_float(n, "max", FLT_MAX, hi)))
			return ret;
		return 0;
	}
	for (unsigned int i = 1; i < 3; i++) {
		const struct qo_value *v = i < n->n_in && n->in[i] >= 0 ? &m->values[n->in[i]] : NULL;

		if (!v)
			continue;
		if (!v->is_const || v->dtype != QACCEL_ONNX_FLOAT || v->count != 1)
			return qo_node_fail(n, -EOPNOTSUPP, "%s must be a one-element float initializer",
					    i == 1 ? "min" : "max");
		*(i == 1 ? lo : hi) = *(const float *)v->data;
	}
	return 0;
}

static int clip_prepare(struct qaccel_onnx_model *m, struct qo_node *n)
{
	float lo, hi;
	int ret = float_unary_prepare(m, n);

	if (!ret)
		ret = qo_clip_bounds(m, n, &lo, &hi);
	if (ret)
		return ret;
	n->n_scale = 2;
	n->scale = calloc(2, sizeof(float));
	if (!n->scale)
		return qo_node_fail(n, -ENOMEM, "out of memory");
	n->scale[0] = lo;
	n->scale[1] = hi;
	return 0;
}

/* min(max(x, lo), hi) and max(x, 0): exact, whoever computes them (NaN stays NaN). */
static int clip_run(struct qaccel_onnx_model *m, struct qo_node *n)
{
	const struct qo_value *x = in_val(m, n, 0);
	float *y = out_val(m, n, 0)->data, lo = n->scale ? n->scale[0] : 0.0f;
	float hi = n->scale ? n->scale[1] : FLT_MAX;

	for (size_t e = 0; e < x->count; e++) {
		float v = ((const float *)x->data)[e];

		y[e] = v < lo ? lo : v > hi ? hi : v;
	}
	return 0;
}

/* --- QLinearAdd (com.microsoft) --------------------------------------------------- */

static int qscalar(struct qaccel_onnx_model *m, const struct qo_node *n, unsigned int si,
		   unsigned int zi, int32_t dtype, float *s, int32_t *zp)
{
	const struct qo_value *sv = in_val(m, n, si), *zv = in_val(m, n, zi);

	if (sv->dtype != QACCEL_ONNX_FLOAT || !sv->is_const || sv->count != 1)
		return qo_node_fail(n, -EOPNOTSUPP, "scale '%s' must be a one-element float initializer",
				    sv->name);
	*s = *(const float *)sv->data;
	*zp = 0;
	if (!zv)
		return 0;
	if (zv->dtype != dtype || !zv->is_const || zv->count != 1)
		return qo_node_fail(n, -EOPNOTSUPP,
				    "zero point '%s' must be a one-element %s initializer", zv->name,
				    qo_dtype_name(dtype));
	*zp = zp_at(zv, 0);
	return 0;
}

/*
 * The path ONNX Runtime's broadcast looper (element_wise_ops.h) takes for
 * QLinearAdd, and its span.  Its Broadcaster walks the axes from the
 * innermost out.  Within the common rank, axes where both inputs are 1 are
 * skipped; the first axis where either is not 1 (else the outermost common
 * one; or, when one input has rank 0, the other's innermost axis) opens
 * each input's first run, and an input whose extent there is 1 is "scalar"
 * (broadcast) in it.  The run takes in the further axes while the input
 * stays broadcast or not broadcast; past the common rank the lower-rank
 * input counts as 1 and an axis of 1 does not skip, so it can end a run.
 * The looper then picks one path for the whole tensor: A scalar (checked
 * first), else B scalar, else two vectors, and calls MLAS once per span
 * (the shorter first run).  Per element only the path changes the bytes.
 */
enum { QADD_GENERAL, QADD_A_SCALAR, QADD_B_SCALAR };

struct qadd_run {
	size_t count;	/* elements of the output the first run covers */
	bool open;	/* still growing */
	bool scalar;	/* broadcast in the first run */
	bool bcast;	/* broadcast on the last axis seen */
};

static void qadd_run_init(struct qadd_run *r, int64_t dim, int64_t largest)
{
	r->scalar = r->bcast = dim <= 1;
	r->open = true;
	r->count = (size_t)largest;
}

static void qadd_run_append(struct qadd_run *r, int64_t dim, int64_t largest)
{
	if ((dim <= 1) != r->bcast) {
		r->bcast = dim <= 1;
		r->open = false;
	}
	if (r->open)
		r->count *= (size_t)largest;
}

/* Extent of v on axis i counted from the innermost (1 past its rank). */
static int64_t qadd_dim(const struct qo_value *v, uint32_t i)
{
	return i < v->rank ? v->dims[v->rank - 1 - i] : 1;
}

static void qadd_path(const struct qo_value *a, const struct qo_value *b, int64_t *path,
		      size_t *span)
{
	uint32_t lo = a->rank < b->rank ? a->rank : b->rank;
	uint32_t hi = a->rank > b->rank ? a->rank : b->rank, i = 0;
	struct qadd_run ra = { 0 }, rb = { 0 };

	if (lo == 0) {
		int64_t d = hi ? qadd_dim(a->rank ? a : b, 0) : 1;

		qadd_run_init(&ra, a->rank ? d : 1, d);
		qadd_run_init(&rb, b->rank ? d : 1, d);
		i = 1;
	}
	for (; lo && i < lo; i++) {
		int64_t da = qadd_dim(a, i), db = qadd_dim(b, i), d = da > db ? da : db;

		if (d <= 1 && i + 1 < lo)
			continue;
		qadd_run_init(&ra, da, d);
		qadd_run_init(&rb, db, d);
		i++;
		break;
	}
	for (; i < lo; i++) {
		int64_t da = qadd_dim(a, i), db = qadd_dim(b, i), d = da > db ? da : db;

		if (d == 1)
			continue;
		qadd_run_append(&ra, da, d);
		qadd_run_append(&rb, db, d);
	}
	for (; i < hi; i++) {
		int64_t d = qadd_dim(a->rank > b->rank ? a : b, i);

		qadd_run_append(&ra, qadd_dim(a, i), d);
		qadd_run_append(&rb, qadd_dim(b, i), d);
	}
	*path = ra.scalar ? QADD_A_SCALAR : rb.scalar ? QADD_B_SCALAR : QADD_GENERAL;
	*span = ra.count < rb.count ? ra.count : rb.count;
}

/*
 * QLinearAdd as ONNX Runtime computes it on x86 with AVX2 (MLAS's
 * MlasQLinearAddKernelAvx2Helper(X, Y) with X the vector input): ratios
 * rX = fl(sX / sC), rY = fl(sY / sC), a fixed part
 * F = zC - fma(rX, zX, rY * zY), then per element fma(x, rX, fma(y, rY, F)),
 * or, when Y is the scalar of its span, fma(x, rX, F') with
 * F' = fma(y, rY, F) folded first; converted with CVTPS2DQ (nearest even;
 * out of range gives INT32_MIN) and narrowed with signed saturation to
 * int16, then to the output type.  X is A except on the A-scalar path,
 * where ONNX Runtime passes B as X (qadd_path()).
 */
static int qlinearadd_prepare(struct qaccel_onnx_model *m, struct qo_node *n)
{
	const struct qo_value *a = in_val(m, n, 0), *b = in_val(m, n, 3);
	int64_t dims[QACCEL_ONNX_MAX_RANK];
	uint32_t rank = 0;
	float sa, sb, sc;
	int32_t za, zb, zc;
	int ret;

	if (!is_q8(a->dtype) || a->dtype != b->dtype)
		return qo_node_fail(n, -EINVAL, "A and B are %s and %s (both uint8 or both int8)",
				    qo_dtype_name(a->dtype), qo_dtype_name(b->dtype));
	if ((ret = qscalar(m, n, 1, 2, a->dtype, &sa, &za)) ||
	    (ret = qscalar(m, n, 4, 5, a->dtype, &sb, &zb)) ||
	    (ret = qscalar(m, n, 6, 7, a->dtype, &sc, &zc)) ||
	    (ret = broadcast(n, a, b, &rank, dims, n->bstride[0], n->bstride[1])))
		return ret;
	n->scale = calloc(3, sizeof(float));
	if (!n->scale)
		return qo_node_fail(n, -ENOMEM, "out of memory");
	n->n_scale = 3;
	n->scale[0] = sa / sc;
	n->scale[1] = sb / sc;
	/*
	 * The zero points, the path and the span, kept in fields a QLinearAdd
	 * node has no other use for.
	 */
	n->axis = zc;
	n->perm[0] = za;
	n->perm[1] = zb;
	qadd_path(a, b, &n->perm[2], &n->chan_div);
	return set_out(m, n, 0, a->dtype, rank, dims);
}

static void qadd_store(struct qo_value *y, size_t e, float t)
{
	int32_t q = t >= -2147483648.0f && t < 2147483648.0f ? (int32_t)nearbyintf(t) : INT32_MIN;

	q = q < -32768 ? -32768 : q > 32767 ? 32767 : q;
	if (y->dtype == QACCEL_ONNX_UINT8)
		((uint8_t *)y->data)[e] = (uint8_t)(q < 0 ? 0 : q > 255 ? 255 : q);
	else
		((int8_t *)y->data)[e] = (int8_t)(q < -128 ? -128 : q > 127 ? 127 : q);
}

static int qlinearadd_run(struct qaccel_onnx_model *m, struct qo_node *n)
{
	const struct qo_value *a = in_val(m, n, 0), *b = in_val(m, n, 3);
	struct qo_value *y = out_val(m, n, 0);
	int64_t path = n->perm[2];
	/* X and Y of the MLAS call: B is X on the A-scalar path. */
	const struct qo_value *x = path == QADD_A_SCALAR ? b : a;
	const struct qo_value *yv = path == QADD_A_SCALAR ? a : b;
	unsigned int xi = path == QADD_A_SCALAR, yi = !xi;
	float rx = n->scale[xi], ry = n->scale[yi];
	float fixed = (float)n->axis - fmaf(rx, (float)n->perm[xi], ry * (float)n->perm[yi]);
	size_t span = n->chan_div, idx[QACCEL_ONNX_MAX_RANK] = { 0 }, off[2] = { 0, 0 }, inner = 1;
	uint32_t outer = y->rank;

	/* A span is the innermost axes outer.. of the output. */
	while (outer > 0 && inner < span)
		inner *= (size_t)y->dims[--outer];

	for (size_t e0 = 0; e0 < y->count; e0 += span) {
		size_t ox = off[xi], oy = off[yi];

		if (path == QADD_GENERAL) {
			for (size_t e = 0; e < span; e++)
				qadd_store(y, e0 + e,
					   fmaf((float)zp_at(x, ox + e), rx,
						fmaf((float)zp_at(yv, oy + e), ry, fixed)));
		} else {
			float f = fmaf((float)zp_at(yv, oy), ry, fixed);

			for (size_t e = 0; e < span; e++)
				qadd_store(y, e0 + e, fmaf((float)zp_at(x, ox + e), rx, f));
		}
		/* The inputs' offsets at the next span's first element. */
		for (uint32_t i = outer; i-- > 0;) {
			off[0] += n->bstride[0][i];
			off[1] += n->bstride[1][i];
			if (++idx[i] < (size_t)y->dims[i])
				break;
			off[0] -= n->bstride[0][i] * idx[i];
			off[1] -= n->bstride[1][i] * idx[i];
			idx[i] = 0;
		}
	}
	return 0;
}

/* --- QLinearAveragePool / QLinearGlobalAveragePool (com.microsoft) ---------------- */

/*
 * ONNX Runtime's contrib kernels (docs/models.md, "Average pooling"):
 *  - QLinearGlobalAveragePool, and QLinearAveragePool whose kernel is the
 *    whole image without pads: the integer sum of each plane, minus
 *    x_zp * size, times s = fl(x_scale / fl(y_scale * size)) in float,
 *    clamped to [qmin - y_zp, qmax - y_zp], rounded to even, + y_zp
 *    (MlasQLinearGlobalAveragePoolNchw);
 *  - else every element dequantized ((float)(x - x_zp) * x_scale), summed
 *    row by row from 0.0, divided by the count, then
 *    nearbyintf(avg / y_scale + y_zp) clamped to the type (with y_zp + 128
 *    and the uint8 range, then - 128, for an int8 unit QDQ fusion marked
 *    qo_s8_as_u8: ONNX Runtime ran it as uint8).
 * The scales and zero points are one-element initializers: n->scale is
 * { x_scale, y_scale, s }, n->perm[1] and n->perm[2] the zero points,
 * n->axis POOL_GLOBAL or POOL_GENERIC, n->perm[3] the qo_s8_as_u8 mark.
 */
static int qpool_params(struct qaccel_onnx_model *m, struct qo_node *n, const struct qo_value *x,
			bool global)
{
	float xs, ys, s;
	int32_t xz, yz;
	int64_t last;
	size_t size;
	int ret;

	if (!is_q8(x->dtype))
		return qo_node_fail(n, -EINVAL, "X is %s (uint8 or int8)", qo_dtype_name(x->dtype));
	if (x->rank != 4)
		return qo_node_fail(n, -EOPNOTSUPP, "input rank %u: only 2-D pooling (rank 4)",
				    x->rank);
	if ((ret = attr_int(n, "channels_last", 0, &last)))
		return ret;
	if (!in_val(m, n, 1) || !in_val(m, n, 3))
		return qo_node_fail(n, -EINVAL, "x_scale and y_scale are required");
	if (last)
		return qo_node_fail(n, -EOPNOTSUPP, "channels_last not supported (NCHW only)");
	if ((ret = qscalar(m, n, 1, 2, x->dtype, &xs, &xz)) ||
	    (ret = qscalar(m, n, 3, 4, x->dtype, &ys, &yz)))
		return ret;
	n->scale = calloc(3, sizeof(float));
	if (!n->scale)
		return qo_node_fail(n, -ENOMEM, "out of memory");
	n->n_scale = 3;
	n->scale[0] = xs;
	n->scale[1] = ys;
	n->perm[1] = xz;
	n->perm[2] = yz;
	n->axis = global ? POOL_GLOBAL : POOL_GENERIC;
	if (!global)
		return 0;
	size = (size_t)(x->dims[2] * x->dims[3]);
	s = xs / (ys * (float)size);
	/* MLAS throws outside this range: ONNX Runtime fails the run. */
	if (size >= 0x1000000 || !(s >= 0x1.0p-32f) || !(s < 256.0f))
		return qo_node_fail(n, -EOPNOTSUPP,
				    "x_scale / (y_scale * %zu) outside ONNX Runtime's range [2^-32, 256)",
				    size);
	n->scale[2] = s;
	return 0;
}

static int qlinear_avgpool_prepare(struct qaccel_onnx_model *m, struct qo_node *n)
{
	const struct qo_value *x = in_val(m, n, 0);
	int64_t out_hw[2], dims[4];
	bool global;
	int ret;

	if (!is_q8(x->dtype))
		return qo_node_fail(n, -EINVAL, "X is %s (uint8 or int8)", qo_dtype_name(x->dtype));
	if ((ret = avgpool_geometry(m, n, x, out_hw)))
		return ret;
	/* ONNX Runtime's fallback to the global kernel: pads and strides aside. */
	global = n->kernel[0] == x->dims[2] && n->kernel[1] == x->dims[3] && !n->pad[0] &&
		 !n->pad[1] && !n->pad[2] && !n->pad[3];
	if ((ret = qpool_params(m, n, x, global)))
		return ret;
	for (size_t i = 0; i < n->proto->n_attribute; i++)
		n->perm[3] |= n->proto->attribute[i] == &qo_s8_as_u8;
	dims[0] = x->dims[0];
	dims[1] = x->dims[1];
	dims[2] = out_hw[0];
	dims[3] = out_hw[1];
	return set_out(m, n, 0, x->dtype, 4, dims);
}

static int qlinear_gap_prepare(struct qaccel_onnx_model *m, struct qo_node *n)
{
	const struct qo_value *x = in_val(m, n, 0);
	int64_t dims[4] = { 0, 0, 1, 1 };
	int ret;

	if ((ret = qpool_params(m, n, x, true)))
		return ret;
	dims[0] = x->dims[0];
	dims[1] = x->dims[1];
	return set_out(m, n, 0, x->dtype, 4, dims);
}

static int qlinear_avgpool_run(struct qaccel_onnx_model *m, struct qo_node *n)
{
	const struct qo_value *x = in_val(m, n, 0);
	struct qo_value *y = out_val(m, n, 0);
	bool u8 = x->dtype == QACCEL_ONNX_UINT8;
	int32_t qmin = u8 ? 0 : -128, qmax = u8 ? 255 : 127;
	int32_t xz = (int32_t)n->perm[1], yz = (int32_t)n->perm[2];
	/* int8 that ONNX Runtime ran as uint8: its zero point + 128 in the rounding. */
	int32_t shift = n->perm[3] ? 128 : 0;
	size_t planes = (size_t)(x->dims[0] * x->dims[1]);
	int64_t h = x->dims[2], w = x->dims[3], oh = y->dims[2], ow = y->dims[3];
	float *deq, *avg;

	if (n->axis == POOL_GLOBAL) {
		float lo = (float)(qmin - yz), hi = (float)(qmax - yz);

		for (size_t p = 0; p < planes; p++) {
			int32_t acc = -xz * (int32_t)(h * w);
			float v;

			for (int64_t i = 0; i < h * w; i++)
				acc += zp_at(x, p * (size_t)(h * w) + (size_t)i);
			v = (float)acc * n->scale[2];
			v = v > lo ? v : lo;
			v = v < hi ? v : hi;
			if (u8)
				((uint8_t *)y->data)[p] = (uint8_t)((int32_t)nearbyintf(v) + yz);
			else
				((int8_t *)y->data)[p] = (int8_t)((int32_t)nearbyintf(v) + yz);
		}
		return 0;
	}
	deq = malloc(x->count * sizeof(*deq));
	avg = malloc((size_t)(oh * ow) * sizeof(*avg));
	if (!deq || !avg) {
		free(deq);
		free(avg);
		return qo_node_fail(n, -ENOMEM, "out of memory");
	}
	for (size_t e = 0; e < x->count; e++)
		deq[e] = (float)(zp_at(x, e) - xz) * n->scale[0];
	for (size_t p = 0; p < planes; p++) {
		generic_plane(n, deq + p * (size_t)(h * w), h, w, oh, ow, avg);
		for (int64_t e = 0; e < oh * ow; e++) {
			int32_t q = (int32_t)nearbyintf(avg[e] / n->scale[1] + (float)(yz + shift));
			size_t o = p * (size_t)(oh * ow) + (size_t)e;

			q = q < qmin + shift ? qmin + shift : q > qmax + shift ? qmax + shift : q;
			q -= shift;
			if (u8)
				((uint8_t *)y->data)[o] = (uint8_t)q;
			else
				((int8_t *)y->data)[o] = (int8_t)q;
		}
	}
	free(deq);
	free(avg);
	return 0;
}

/* --- the table ------------------------------------------------------------------ */

static const char *const no_attrs[] = { NULL };
static const char *const conv_attrs[] = { "auto_pad", "dilations", "group", "kernel_shape",
					  "pads", "strides", NULL };
static const char *const pool_attrs[] = { "auto_pad", "ceil_mode", "dilations",
					  "kernel_shape", "pads", "storage_order", "strides",
					  NULL };
static const char *const avgpool_attrs[] = { "auto_pad", "ceil_mode", "count_include_pad",
					     "dilations", "kernel_shape", "pads", "strides",
					     NULL };
static const char *const qavgpool_attrs[] = { "auto_pad", "ceil_mode", "channels_last",
					      "count_include_pad", "kernel_shape", "pads",
					      "strides", NULL };
static const char *const qgap_attrs[] = { "channels_last", NULL };
static const char *const reshape_attrs[] = { "allowzero", NULL };
static const char *const axis_attrs[] = { "axis", NULL };
static const char *const axes_attrs[] = { "axes", NULL };
static const char *const perm_attrs[] = { "perm", NULL };
static const char *const qdq_attrs[] = { "axis", "saturate", NULL };
static const char *const clip_attrs[] = { "min", "max", NULL };
static const char *const qgemm_attrs[] = { "alpha", "transA", "transB", NULL };
static const char *const shape_attrs[] = { "start", "end", NULL };
static const char *const value_attrs[] = { "value", NULL };
static const char *const cast_attrs[] = { "to", "saturate", NULL };

static const struct qo_op ops[] = {
	{ "MatMulInteger", 2, 4, 1, no_attrs, matmulinteger_prepare, matmulinteger_run, 0 },
	{ "ConvInteger", 2, 4, 1, conv_attrs, convinteger_prepare, convinteger_run, 0 },
	{ "QLinearMatMul", 8, 8, 1, no_attrs, qlinearmatmul_prepare, matmulinteger_run, 0 },
	{ "QLinearConv", 8, 9, 1, conv_attrs, qlinearconv_prepare, convinteger_run, 0 },
	{ "MaxPool", 1, 1, 1, pool_attrs, maxpool_prepare, maxpool_run, 0 },
	{ "AveragePool", 1, 1, 1, avgpool_attrs, avgpool_prepare, avgpool_run, 0 },
	{ "GlobalAveragePool", 1, 1, 1, no_attrs, globalavgpool_prepare, avgpool_run, 0 },
	{ "Reshape", 2, 2, 1, reshape_attrs, reshape_prepare, copy_run, 0 },
	{ "Flatten", 1, 1, 1, axis_attrs, flatten_prepare, copy_run, 0 },
	{ "Squeeze", 1, 2, 1, axes_attrs, squeeze_prepare, copy_run, 0 },
	{ "Unsqueeze", 1, 2, 1, axes_attrs, unsqueeze_prepare, copy_run, 0 },
	{ "Transpose", 1, 1, 1, perm_attrs, transpose_prepare, transpose_run, 0 },
	{ "Concat", 1, QO_MAX_IO, 1, axis_attrs, concat_prepare, concat_run, 0 },
	{ "Shape", 1, 1, 1, shape_attrs, shape_prepare, const_run, 0 },
	{ "ConstantOfShape", 1, 1, 1, value_attrs, constantofshape_prepare, const_run, 0 },
	{ "Cast", 1, 1, 1, cast_attrs, cast_prepare, cast_run, 0 },
	{ "QuantizeLinear", 2, 3, 1, qdq_attrs, quantize_prepare, quantize_run, 0 },
	{ "DequantizeLinear", 2, 3, 1, qdq_attrs, dequantize_prepare, dequantize_run, 0 },
	{ "Add", 2, 2, 1, no_attrs, add_prepare, add_run, 0 },
	{ "Relu", 1, 1, 1, no_attrs, float_unary_prepare, clip_run, 0 },
	{ "Clip", 1, 3, 1, clip_attrs, clip_prepare, clip_run, 0 },
	{ "QGemm", 6, 9, 1, qgemm_attrs, qgemm_prepare, qgemm_run, QO_MS },
	{ "QLinearAdd", 7, 8, 1, no_attrs, qlinearadd_prepare, qlinearadd_run, QO_MS },
	{ "QLinearAveragePool", 1, 5, 1, qavgpool_attrs, qlinear_avgpool_prepare,
	  qlinear_avgpool_run, QO_MS },
	{ "QLinearGlobalAveragePool", 1, 5, 1, qgap_attrs, qlinear_gap_prepare,
	  qlinear_avgpool_run, QO_MS },
};

/* Ops people will bring that are known and not in this version, and why. */
static const struct {
	const char *name, *why;
} later[] = {
	{ "Conv", "a float convolution (ONNX Runtime runs it in float: its DQ -> Conv -> Q unit did not fuse, docs/models.md \"QDQ fusion\")" },
	{ "MatMul", "a float MatMul (ONNX Runtime runs it in float or as MatMulIntegerToFloat: its DQ -> MatMul -> Q unit did not fuse, docs/models.md \"QDQ fusion\")" },
	{ "Gemm", "a float Gemm (ONNX Runtime runs it in float: its DQ -> Gemm unit did not fuse, docs/models.md \"QDQ fusion\")" },
};

const char *qo_op_later(const char *name)
{
	for (size_t i = 0; i < sizeof(later) / sizeof(later[0]); i++)
		if (!strcmp(later[i].name, name))
			return later[i].why;
	return NULL;
}

const struct qo_op *qo_op_find(const char *name, bool ms_domain)
{
	for (size_t i = 0; i < sizeof(ops) / sizeof(ops[0]); i++)
		if (!strcmp(ops[i].name, name) && (ops[i].domain == QO_MS) == ms_domain)
			return &ops[i];
	return NULL;
}
