// SPDX-License-Identifier: MIT
/*
 * Post-training quantization toolkit; see qaccel_quant.h.  libqaccel links
 * no libm (programs link it as libqaccel.a + libdrm + liburing), so the two
 * math steps it needs, rounding half away from zero and frexp, are done
 * here on the IEEE-754 representation.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "qaccel_quant.h"

static int is_finite(double x)
{
	return x == x && x - x == 0.0;
}

/*
 * round() without libm: half away from zero.  Doubles of magnitude 2^52 or
 * more are integers already; below that the truncation and the difference
 * x - t are exact.
 */
static double round_away(double x)
{
	double ax = x < 0 ? -x : x;
	double t, frac;

	if (!(ax < 4503599627370496.0))	/* 2^52, also NaN */
		return x;
	t = (double)(int64_t)ax;
	frac = ax - t;
	if (frac >= 0.5)
		t += 1.0;
	return x < 0 ? -t : t;
}

/* frexp() for finite x > 0: x = m * 2^e with m in [0.5, 1). */
static double frexp_pos(double x, int *e)
{
	uint64_t bits;
	int bias = 0;

	memcpy(&bits, &x, sizeof(bits));
	if (!(bits >> 52)) {
		/* Subnormal: scale into the normal range first. */
		x *= 18014398509481984.0;	/* 2^54 */
		memcpy(&bits, &x, sizeof(bits));
		bias = -54;
	}
	*e = (int)((bits >> 52) & 0x7ff) - 1022 + bias;
	bits = (bits & ~(0x7ffull << 52)) | (1022ull << 52);
	memcpy(&x, &bits, sizeof(x));
	return x;
}

static int type_range(enum qaccel_qtype type, int32_t *qmin, int32_t *qmax)
{
	switch (type) {
	case QACCEL_QTYPE_INT8:
		*qmin = -128;
		*qmax = 127;
		return 0;
	case QACCEL_QTYPE_UINT8:
		*qmin = 0;
		*qmax = 255;
		return 0;
	}
	return -EINVAL;
}

int qaccel_qparams_from_range(float min, float max, enum qaccel_qtype type,
			      enum qaccel_qscheme scheme,
			      struct qaccel_qparams *out)
{
	double rmin = min, rmax = max, scale, zp_min, zp_max, zp;
	int32_t qmin, qmax;

	if (!out || !is_finite(rmin) || !is_finite(rmax) || rmin > rmax ||
	    type_range(type, &qmin, &qmax))
		return -EINVAL;
	if (rmin > 0)
		rmin = 0;
	if (rmax < 0)
		rmax = 0;

	if (scheme == QACCEL_QSCHEME_SYMMETRIC) {
		double amax = -rmin > rmax ? -rmin : rmax;

		if (type != QACCEL_QTYPE_INT8)
			return -EINVAL;
		if (amax > 0 && (float)(amax / 127.0) == 0)
			return -ERANGE;
		*out = (struct qaccel_qparams){
			.scale = amax > 0 ? (float)(amax / 127.0) : 1.0f,
			.zero_point = 0, .qmin = -127, .qmax = 127, .type = type,
		};
		return 0;
	}
	if (scheme != QACCEL_QSCHEME_ASYMMETRIC)
		return -EINVAL;
	/* A range of a few denormals: its scale would round to 0.0f. */
	if (rmin != rmax && (float)((rmax - rmin) / (qmax - qmin)) == 0)
		return -ERANGE;

	*out = (struct qaccel_qparams){
		.scale = 1.0f, .zero_point = 0, .qmin = qmin, .qmax = qmax,
		.type = type,
	};
	if (rmin == rmax)
		return 0;
	scale = (rmax - rmin) / (qmax - qmin);
	/*
	 * Two candidate zero points, from each end of the range; take the one
	 * whose arithmetic lost less (TFLite's choice), then round it so that
	 * 0.0 is exactly representable.
	 */
	zp_min = qmin - rmin / scale;
	zp_max = qmax - rmax / scale;
	if ((qmin < 0 ? -qmin : qmin) + -rmin / scale <
	    (qmax < 0 ? -qmax : qmax) + rmax / scale)
		zp = zp_min;
	else
		zp = zp_max;
	if (zp < qmin)
		out->zero_point = qmin;
	else if (zp > qmax)
		out->zero_point = qmax;
	else
		out->zero_point = (int32_t)round_away(zp);
	out->scale = (float)scale;
	return 0;
}

int qaccel_quantize_multiplier(double real, int32_t *multiplier,
			       int32_t *shift)
{
	int64_t q_fixed;
	double q;
	int e;

	if (!multiplier || !shift || !is_finite(real) || real < 0)
		return -EINVAL;
	if (real == 0) {
		*multiplier = 0;
		*shift = 0;
		return 0;
	}
	q = frexp_pos(real, &e);
	q_fixed = (int64_t)round_away(q * 2147483648.0);
	/* A mantissa just below 1 can round up to 2^31: renormalize. */
	if (q_fixed == 2147483648ll) {
		q_fixed /= 2;
		e++;
	}
	/* The device's shift range is TFLite's: flush tiny, saturate huge. */
	if (e < -31) {
		e = 0;
		q_fixed = 0;
	}
	if (e > 30) {
		e = 30;
		q_fixed = 2147483647ll;
	}
	*multiplier = (int32_t)q_fixed;
	*shift = e;
	return 0;
}

/* Positive, normal and finite: what an FP32 job accepts as a scale. */
static int scale_ok(float x)
{
	uint32_t bits;

	memcpy(&bits, &x, sizeof(bits));
	return bits >= 0x00800000u && bits < 0x7f800000u;
}

/*
 * The framework formulas below are written one rounding per statement with
 * float variables: C evaluates float operations in float on the targets
 * libqaccel builds for (FLT_EVAL_METHOD 0), and nothing here can be
 * contracted into a fused multiply-add.
 */
int qaccel_scale_onnxruntime(float a_scale, float b_scale, float y_scale,
			     float *scale)
{
	float ab;

	if (!scale || !scale_ok(a_scale) || !scale_ok(b_scale) ||
	    !scale_ok(y_scale))
		return -EINVAL;
	ab = a_scale * b_scale;
	*scale = ab / y_scale;
	return scale_ok(*scale) ? 0 : -ERANGE;
}

int qaccel_scale_xnnpack(float input_scale, float kernel_scale,
			 float output_scale, float *scale)
{
	float ik;

	if (!scale || !scale_ok(input_scale) || !scale_ok(kernel_scale) ||
	    !scale_ok(output_scale))
		return -EINVAL;
	ik = input_scale * kernel_scale;
	*scale = ik / output_scale;
	return scale_ok(*scale) && *scale < 256.0f ? 0 : -ERANGE;
}

int qaccel_scale_pytorch_qnnpack(float input_scale, float weight_scale,
				 float output_scale, float *scale)
{
	float wi, inv;

	if (!scale || !scale_ok(input_scale) || !scale_ok(weight_scale) ||
	    !scale_ok(output_scale))
		return -EINVAL;
	wi = weight_scale * input_scale;
	inv = 1.0f / output_scale;
	*scale = wi * inv;
	return scale_ok(*scale) ? 0 : -ERANGE;
}

int qaccel_fp32_multiplier(float scale, int32_t *multiplier)
{
	if (!multiplier || !scale_ok(scale))
		return -EINVAL;
	memcpy(multiplier, &scale, sizeof(*multiplier));
	return 0;
}

static int qparams_ok(const struct qaccel_qparams *qp)
{
	int32_t lo, hi;

	if (!qp || type_range(qp->type, &lo, &hi))
		return 0;
	return is_finite(qp->scale) && qp->scale > 0 && qp->qmin >= lo &&
	       qp->qmax <= hi && qp->qmin <= qp->qmax &&
	       qp->zero_point >= lo && qp->zero_point <= hi;
}

static int32_t quantize_one(float x, float scale, int32_t zp, int32_t qmin,
			    int32_t qmax)
{
	/* Divide in float as TFLite does, so values land on the same side of .5. */
	double r = round_away((double)(x / scale));

	if (r != r)
		return zp < qmin ? qmin : zp > qmax ? qmax : zp;
	if (r < (double)qmin - zp)
		return qmin;
	if (r > (double)qmax - zp)
		return qmax;
	return (int32_t)r + zp;
}

int qaccel_quantize(const float *x, size_t n, const struct qaccel_qparams *qp,
		    void *out)
{
	if ((n && (!x || !out)) || !qparams_ok(qp))
		return -EINVAL;
	for (size_t i = 0; i < n; i++) {
		int32_t q = quantize_one(x[i], qp->scale, qp->zero_point,
					 qp->qmin, qp->qmax);

		if (qp->type == QACCEL_QTYPE_UINT8)
			((uint8_t *)out)[i] = (uint8_t)q;
		else
			((int8_t *)out)[i] = (int8_t)q;
	}
	return 0;
}

int qaccel_dequantize(const void *q, size_t n, const struct qaccel_qparams *qp,
		      float *out)
{
	if ((n && (!q || !out)) || !qparams_ok(qp))
		return -EINVAL;
	for (size_t i = 0; i < n; i++) {
		int32_t v = qp->type == QACCEL_QTYPE_UINT8 ?
			    ((const uint8_t *)q)[i] : ((const int8_t *)q)[i];

		out[i] = qp->scale * (float)(v - qp->zero_point);
	}
	return 0;
}

int qaccel_quantize_per_channel(const float *w, uint32_t channels, uint32_t k,
				size_t ldw, int8_t *q, size_t ldq,
				float *scales)
{
	if (!w || !q || !scales || !channels || !k || ldw < k || ldq < k)
		return -EINVAL;
	for (uint32_t c = 0; c < channels; c++) {
		const float *row = w + (size_t)c * ldw;
		float amax = 0;

		for (uint32_t i = 0; i < k; i++) {
			float a = row[i] < 0 ? -row[i] : row[i];

			if (!is_finite(a))
				return -EINVAL;
			if (a > amax)
				amax = a;
		}
		scales[c] = amax > 0 ? amax / 127.0f : 1.0f;
		for (uint32_t i = 0; i < k; i++)
			q[(size_t)c * ldq + i] =
				(int8_t)quantize_one(row[i], scales[c], 0, -127, 127);
	}
	return 0;
}

int qaccel_calib_minmax(const float *x, size_t n, float *min, float *max)
{
	float lo, hi;

	if (!x || !n || !min || !max)
		return -EINVAL;
	lo = hi = x[0];
	for (size_t i = 0; i < n; i++) {
		if (x[i] != x[i])
			return -EINVAL;
		if (x[i] < lo)
			lo = x[i];
		if (x[i] > hi)
			hi = x[i];
	}
	*min = lo;
	*max = hi;
	return 0;
}

static int cmp_float(const void *a, const void *b)
{
	float x = *(const float *)a, y = *(const float *)b;

	return (x > y) - (x < y);
}

int qaccel_calib_percentile(const float *x, size_t n, double percentile,
			    float *min, float *max)
{
	float *s;
	double drop;
	size_t lo_idx, hi_idx;
	int ret;

	if (!x || !n || !min || !max || !(percentile > 50 && percentile <= 100))
		return -EINVAL;
	/* The NaN check and the 100% case both come from min/max. */
	ret = qaccel_calib_minmax(x, n, min, max);
	if (ret || percentile == 100)
		return ret;
	s = malloc(n * sizeof(*s));
	if (!s)
		return -ENOMEM;
	memcpy(s, x, n * sizeof(*s));
	qsort(s, n, sizeof(*s), cmp_float);
	/* Nearest rank: drop floor(n * (100 - p) / 100) values at each end. */
	drop = (double)n * (100.0 - percentile) / 100.0;
	lo_idx = (size_t)drop;
	if (lo_idx >= n)
		lo_idx = n - 1;
	hi_idx = n - 1 - lo_idx;
	*min = s[lo_idx];
	*max = s[hi_idx];
	free(s);
	return 0;
}

int qaccel_quantize_bias(const float *bias, uint32_t n, float in_scale,
			 const float *w_scales, int32_t *bias_q)
{
	if (!bias || !w_scales || !bias_q || !n || !is_finite(in_scale) ||
	    in_scale <= 0)
		return -EINVAL;
	for (uint32_t j = 0; j < n; j++) {
		double s = (double)in_scale * w_scales[j];
		double r;

		if (!is_finite(s) || s <= 0 || !is_finite(bias[j]))
			return -EINVAL;
		r = round_away(bias[j] / s);
		bias_q[j] = r >= 2147483647.0 ? INT32_MAX :
			    r <= -2147483648.0 ? INT32_MIN : (int32_t)r;
	}
	return 0;
}

int qaccel_gemm_requant(float in_scale, const float *w_scales, uint32_t n,
			const struct qaccel_qparams *out,
			enum qaccel_activation act, const float *bias,
			struct qaccel_gemm_params *p,
			struct qaccel_quant *quant, int32_t *bias_q)
{
	int32_t lo, hi;
	int ret;

	uint32_t rq;

	if (!w_scales || !n || !p || !quant || (bias && !bias_q) ||
	    !qparams_ok(out) || !is_finite(in_scale) || in_scale <= 0)
		return -EINVAL;
	rq = p->flags & QACCEL_GEMM_RQ_MASK;
	if (rq == QACCEL_GEMM_RQ_MASK)
		return -EINVAL;
	lo = out->qmin;
	hi = out->qmax;
	switch (act) {
	case QACCEL_ACT_NONE:
		break;
	case QACCEL_ACT_RELU6: {
		double six = round_away(6.0 / out->scale) + out->zero_point;

		if (six < hi)
			hi = six < lo ? lo : (int32_t)six;
	}
		/* fall through */
	case QACCEL_ACT_RELU:
		if (out->zero_point > lo)
			lo = out->zero_point;
		break;
	default:
		return -EINVAL;
	}
	if (lo > hi)
		return -EINVAL;
	for (uint32_t j = 0; j < n; j++) {
		double real = (double)in_scale * w_scales[j] / out->scale;

		if (!is_finite(w_scales[j]) || w_scales[j] <= 0)
			return -EINVAL;
		if (rq == QACCEL_GEMM_RQ_FP32) {
			float scale;

			/* fl(fl(in * w) / out), as ONNX Runtime and XNNPACK do. */
			ret = qaccel_scale_onnxruntime(in_scale, w_scales[j], out->scale,
						       &scale);
			if (!ret)
				ret = qaccel_fp32_multiplier(scale, &quant[j].multiplier);
			quant[j].shift = 0;
		} else {
			/* GEMMLOWP and SINGLE take the same Q31 record. */
			ret = qaccel_quantize_multiplier(real, &quant[j].multiplier,
							 &quant[j].shift);
		}
		if (ret)
			return ret;
	}
	if (bias) {
		ret = qaccel_quantize_bias(bias, n, in_scale, w_scales, bias_q);
		if (ret)
			return ret;
		p->flags |= QACCEL_GEMM_BIAS;
	}
	p->flags &= ~QACCEL_GEMM_OUT_MASK;
	p->flags |= QACCEL_GEMM_PER_CHANNEL |
		    (out->type == QACCEL_QTYPE_UINT8 ? QACCEL_GEMM_OUT_UINT8 :
						       QACCEL_GEMM_OUT_INT8);
	p->c_zero_point = out->zero_point;
	p->clamp_min = lo;
	p->clamp_max = hi;
	return 0;
}
