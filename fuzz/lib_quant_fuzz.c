// SPDX-License-Identifier: MIT
/*
 * libFuzzer target: the quantization helpers of lib/qaccel_quant.c with
 * fuzzed reals, ranges and arrays (NaN, infinities, denormals included).
 * Invariants:
 * - qaccel_quantize_multiplier(): -EINVAL exactly for negative or
 *   non-finite reals; otherwise multiplier in [2^30, 2^31) (or 0) and
 *   shift in -31..30, and multiplier * 2^(shift - 31) reconstructs the real
 *   within 2^-31 relative wherever the real is in the representable range;
 *   the result passes qaccel_requant() without UB;
 * - qaccel_qparams_from_range(): a positive finite scale, qmin <= zero
 *   point <= qmax, the type's range; real 0 is exactly representable;
 * - quantize/dequantize: every code in [qmin, qmax]; a value inside the
 *   representable range comes back within half a step; codes round-trip.
 */
#include <errno.h>
#include <float.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>

#include "qaccel.h"
#include "lib_fuzz_input.h"

#define MAXN 64

static void check_multiplier(double real, int32_t acc)
{
	int32_t m = 0x12345, s = 0x12345;
	int ret = qaccel_quantize_multiplier(real, &m, &s);

	if (!isfinite(real) || real < 0) {
		CHECK(ret == -EINVAL);
		return;
	}
	CHECK(ret == 0);
	CHECK(s >= -31 && s <= 30);
	CHECK(m == 0 || (m >= (1 << 30)));
	if (real == 0) {
		CHECK(m == 0);
	} else if (real >= ldexp(1.0, -32) && real < ldexp(1.0, 30) * 0.9999999995) {
		double back = ldexp((double)m, s - 31);

		CHECK(m != 0);
		CHECK(fabs(back - real) <= real * ldexp(1.0, -31));
	}
	/* Any result is a legal device multiplier/shift: no UB in the requant. */
	(void)qaccel_requant(acc, m, s);
}

static void check_qparams(float lo, float hi, enum qaccel_qtype type,
			  enum qaccel_qscheme scheme, struct fz_in *in)
{
	struct qaccel_qparams qp;
	float x[MAXN], back[MAXN], back2[MAXN];
	uint8_t q[MAXN], q2[MAXN];
	size_t n = fz_u8(in) % (MAXN + 1);
	double rlo, rhi;
	int ret = qaccel_qparams_from_range(lo, hi, type, scheme, &qp);

	/* A range of a few denormals has no float scale: -ERANGE. */
	if (ret == -ERANGE) {
		CHECK((double)hi - (double)lo < 255.0 * FLT_MIN);
		return;
	}
	if (ret) {
		CHECK(ret == -EINVAL);
		return;
	}
	CHECK(isfinite(qp.scale) && qp.scale > 0);
	CHECK(qp.qmin < qp.qmax);
	CHECK(type == QACCEL_QTYPE_UINT8 ? qp.qmin >= 0 && qp.qmax <= 255
					 : qp.qmin >= -128 && qp.qmax <= 127);
	CHECK(qp.zero_point >= qp.qmin && qp.zero_point <= qp.qmax);
	CHECK(scheme != QACCEL_QSCHEME_SYMMETRIC || qp.zero_point == 0);
	CHECK(qp.type == type);

	/* Values: inside the range mostly, anything sometimes. */
	for (size_t i = 0; i < n; i++) {
		uint8_t sel = fz_u8(in);

		if (sel < 200)
			x[i] = lo + (hi - lo) * (float)(fz_u8(in) / 255.0);
		else
			x[i] = fz_f32(in);
	}
	CHECK(qaccel_quantize(x, n, &qp, q) == 0);
	CHECK(qaccel_dequantize(q, n, &qp, back) == 0);
	rlo = (double)qp.scale * (qp.qmin - qp.zero_point);
	rhi = (double)qp.scale * (qp.qmax - qp.zero_point);
	for (size_t i = 0; i < n; i++) {
		int32_t v = type == QACCEL_QTYPE_UINT8 ? q[i] : (int8_t)q[i];
		double err;

		CHECK(v >= qp.qmin && v <= qp.qmax);
		if (isnan(x[i]) || x[i] < rlo || x[i] > rhi)
			continue;
		/*
		 * A range reaching FLT_MAX: scale rounded up in float, so the
		 * extreme code times scale overflows to infinity in float.
		 */
		if (isinf(back[i]) &&
		    fabs((double)qp.scale * (v - qp.zero_point)) > FLT_MAX * 0.999)
			continue;
		/* Half a step, plus float rounding of x / scale and of the result. */
		err = fabs((double)back[i] - (double)x[i]);
		CHECK(err <= 0.5 * qp.scale * (1 + 1e-5) +
		      fabs((double)x[i]) * 1e-6);
	}
	/* Dequantized codes quantize back to themselves. */
	CHECK(qaccel_quantize(back, n, &qp, q2) == 0);
	CHECK(qaccel_dequantize(q2, n, &qp, back2) == 0);
	for (size_t i = 0; i < n; i++)
		CHECK(q2[i] == q[i]);
	(void)back2;
	/* Real 0 is exact: zero padding of activations must stay exact. */
	x[0] = 0;
	CHECK(qaccel_quantize(x, 1, &qp, q) == 0);
	CHECK((type == QACCEL_QTYPE_UINT8 ? q[0] : (int8_t)q[0]) == qp.zero_point ||
	      0 < rlo || 0 > rhi);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fz_in in = { data, size };
	uint8_t sel = fz_u8(&in);
	double real;
	float lo, hi;

	/* A multiplier: a raw double, or a "typical" ratio of scales. */
	real = sel & 1 ? fz_f64(&in)
		       : ldexp(1.0 + fz_u32(&in) / 4294967296.0, (int)(fz_u8(&in) % 80) - 50);
	check_multiplier(real, (int32_t)fz_u32(&in));

	lo = sel & 2 ? fz_f32(&in) : -(float)(fz_u32(&in) % 100000) / 1000.0f;
	hi = sel & 4 ? fz_f32(&in) : (float)(fz_u32(&in) % 100000) / 1000.0f;
	check_qparams(lo, hi, (sel >> 3) & 1 ? QACCEL_QTYPE_UINT8 : QACCEL_QTYPE_INT8,
		      (sel >> 4) & 1 ? QACCEL_QSCHEME_SYMMETRIC : QACCEL_QSCHEME_ASYMMETRIC,
		      &in);
	return 0;
}
