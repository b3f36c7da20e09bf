// SPDX-License-Identifier: MIT
/*
 * The CPU reference GEMM: the definition of what the device computes.
 * See qaccel_ref.h.  Integer arithmetic except the FP32 family's two
 * float roundings; wrapping is done on unsigned types so that it is defined
 * behaviour (and UBSan-clean).  No libm: the round to an integer is done by
 * hand so that it does not depend on what the C library links.
 */
#include <errno.h>
#include <stdbool.h>
#include <string.h>

#include "qaccel_ref.h"

int32_t qaccel_srdhm(int32_t a, int32_t b)
{
	int64_t ab, nudge;

	if (a == INT32_MIN && b == INT32_MIN)
		return INT32_MAX;
	ab = (int64_t)a * (int64_t)b;
	nudge = ab >= 0 ? (1ll << 30) : 1 - (1ll << 30);
	/* C division truncates toward zero, as gemmlowp's does. */
	return (int32_t)((ab + nudge) / (1ll << 31));
}

int32_t qaccel_rdbypot(int32_t x, int exponent)
{
	int32_t mask = (int32_t)((1ll << exponent) - 1);
	int32_t remainder = x & mask;
	int32_t threshold = (mask >> 1) + (x < 0 ? 1 : 0);

	return (x >> exponent) + (remainder > threshold ? 1 : 0);
}

int32_t qaccel_requant(int32_t acc, int32_t multiplier, int32_t shift)
{
	int left = shift > 0 ? shift : 0;
	int right = shift > 0 ? 0 : -shift;
	int32_t shifted = (int32_t)((uint32_t)acc << left);

	return qaccel_rdbypot(qaccel_srdhm(shifted, multiplier), right);
}

int32_t qaccel_requant_single(int32_t acc, int32_t multiplier, int32_t shift)
{
	int total = 31 - shift;
	/* |acc * multiplier| <= 2^62 and the nudge <= 2^61: no int64 overflow. */
	int64_t r = ((int64_t)acc * multiplier + (1ll << (total - 1))) >> total;

	if (r > INT32_MAX)
		return INT32_MAX;
	if (r < INT32_MIN)
		return INT32_MIN;
	return (int32_t)r;
}

int32_t qaccel_requant_fp32(int32_t acc, float scale)
{
	float v = (float)acc * scale;
	int32_t i;
	float frac;

	if (!(v < 2147483648.0f))
		return INT32_MAX;
	if (v < -2147483648.0f)
		return INT32_MIN;
	/* Every float of magnitude >= 2^23 is already an integer. */
	if (v >= 8388608.0f || v <= -8388608.0f)
		return (int32_t)v;
	/* Truncate, then round the exact fraction half to even. */
	i = (int32_t)v;
	frac = v - (float)i;
	if (frac > 0.5f || (frac == 0.5f && (i & 1)))
		i++;
	else if (frac < -0.5f || (frac == -0.5f && (i & 1)))
		i--;
	return i;
}

static bool in_type_range(int32_t v, bool is_uint8)
{
	return is_uint8 ? (v >= 0 && v <= 255) : (v >= -128 && v <= 127);
}

static bool shift_ok(int32_t shift)
{
	return shift >= QACCEL_GEMM_SHIFT_MIN && shift <= QACCEL_GEMM_SHIFT_MAX;
}

/* A positive, normal, finite binary32: sign 0, exponent 1..254. */
static bool fp32_scale_ok(int32_t bits)
{
	return bits >= 0x00800000 && bits < 0x7f800000;
}

/* A (multiplier, shift) pair the family rq can use. */
static bool requant_ok(uint32_t rq, int32_t multiplier, int32_t shift)
{
	if (rq == QACCEL_GEMM_RQ_FP32)
		return fp32_scale_ok(multiplier) && shift == 0;
	return shift_ok(shift);
}

int qaccel_gemm_params_check(const struct qaccel_gemm_params *p)
{
	uint32_t out = p->flags & QACCEL_GEMM_OUT_MASK;
	uint64_t c_row;

	if (p->flags & ~QACCEL_GEMM_FLAGS_ALL || out == QACCEL_GEMM_OUT_MASK ||
	    (p->flags & QACCEL_GEMM_RQ_MASK) == QACCEL_GEMM_RQ_MASK)
		return -EINVAL;
	if (p->m < 1 || p->m > QACCEL_GEMM_MAX_DIM || p->n < 1 ||
	    p->n > QACCEL_GEMM_MAX_DIM || p->k < 1 || p->k > QACCEL_GEMM_MAX_DIM)
		return -EINVAL;
	c_row = (uint64_t)p->n * (out == QACCEL_GEMM_OUT_INT32 ? 4 : 1);
	if (p->lda < p->k || p->ldb < p->k || p->ldc < c_row)
		return -EINVAL;
	if (!in_type_range(p->a_zero_point, p->flags & QACCEL_GEMM_A_UINT8) ||
	    !in_type_range(p->b_zero_point, p->flags & QACCEL_GEMM_B_UINT8))
		return -EINVAL;
	if (out != QACCEL_GEMM_OUT_INT32) {
		bool u8 = out == QACCEL_GEMM_OUT_UINT8;

		if (!in_type_range(p->c_zero_point, u8) ||
		    !in_type_range(p->clamp_min, u8) ||
		    !in_type_range(p->clamp_max, u8) ||
		    p->clamp_min > p->clamp_max)
			return -EINVAL;
		if (!(p->flags & QACCEL_GEMM_PER_CHANNEL) &&
		    !requant_ok(p->flags & QACCEL_GEMM_RQ_MASK, p->out_multiplier,
				p->out_shift))
			return -EINVAL;
	}
	return 0;
}

/*
 * sum over x of (a[x] - a_zp) * (b[x] - b_zp), modulo 2^32.  Each product
 * fits an int32 (at most 383 x 383); the sum wraps like the device's
 * accumulator.  Inlined with constant element types below, so that each of
 * the four loops is branch-free (a third faster than testing the types per
 * element; the tests, benchmarks and qaccel-sim's functional model all run
 * on this function).
 */
static inline __attribute__((always_inline)) uint32_t
dot(const uint8_t *a, const uint8_t *b, uint32_t k, int32_t a_zp, int32_t b_zp,
    bool a_u8, bool b_u8)
{
	uint32_t acc = 0;

	for (uint32_t x = 0; x < k; x++) {
		int32_t av = (a_u8 ? (int32_t)a[x] : (int32_t)(int8_t)a[x]) - a_zp;
		int32_t bv = (b_u8 ? (int32_t)b[x] : (int32_t)(int8_t)b[x]) - b_zp;

		acc += (uint32_t)(av * bv);
	}
	return acc;
}

static uint32_t dot_any(const uint8_t *a, const uint8_t *b, uint32_t k, int32_t a_zp,
			int32_t b_zp, bool a_u8, bool b_u8)
{
	if (a_u8)
		return b_u8 ? dot(a, b, k, a_zp, b_zp, true, true)
			    : dot(a, b, k, a_zp, b_zp, true, false);
	return b_u8 ? dot(a, b, k, a_zp, b_zp, false, true)
		    : dot(a, b, k, a_zp, b_zp, false, false);
}

int qaccel_ref_gemm(const struct qaccel_gemm_params *p, const void *a,
		    const void *b, const int32_t *bias,
		    const struct qaccel_quant *quant, void *c)
{
	bool a_u8 = p->flags & QACCEL_GEMM_A_UINT8;
	bool b_u8 = p->flags & QACCEL_GEMM_B_UINT8;
	uint32_t out = p->flags & QACCEL_GEMM_OUT_MASK;
	uint32_t rq = p->flags & QACCEL_GEMM_RQ_MASK;
	int ret = qaccel_gemm_params_check(p);

	if (ret)
		return ret;
	if (!a || !b || !c || (p->flags & QACCEL_GEMM_BIAS && !bias))
		return -EINVAL;
	if (out != QACCEL_GEMM_OUT_INT32 && p->flags & QACCEL_GEMM_PER_CHANNEL) {
		if (!quant)
			return -EINVAL;
		for (uint32_t j = 0; j < p->n; j++)
			if (!requant_ok(rq, quant[j].multiplier, quant[j].shift))
				return -EINVAL;
	}

	for (uint32_t i = 0; i < p->m; i++) {
		const uint8_t *arow = (const uint8_t *)a + (size_t)i * p->lda;
		uint8_t *crow = (uint8_t *)c + (size_t)i * p->ldc;

		for (uint32_t j = 0; j < p->n; j++) {
			const uint8_t *brow = (const uint8_t *)b + (size_t)j * p->ldb;
			uint32_t acc = dot_any(arow, brow, p->k, p->a_zero_point,
					       p->b_zero_point, a_u8, b_u8);
			int32_t v, mult, shift;

			if (p->flags & QACCEL_GEMM_BIAS)
				acc += (uint32_t)bias[j];

			if (out == QACCEL_GEMM_OUT_INT32) {
				int32_t r = (int32_t)acc;

				memcpy(crow + (size_t)j * 4, &r, 4);
				continue;
			}
			if (p->flags & QACCEL_GEMM_PER_CHANNEL) {
				mult = quant[j].multiplier;
				shift = quant[j].shift;
			} else {
				mult = p->out_multiplier;
				shift = p->out_shift;
			}
			if (rq == QACCEL_GEMM_RQ_SINGLE) {
				v = qaccel_requant_single((int32_t)acc, mult, shift);
			} else if (rq == QACCEL_GEMM_RQ_FP32) {
				float scale;

				memcpy(&scale, &mult, sizeof(scale));
				v = qaccel_requant_fp32((int32_t)acc, scale);
			} else {
				v = qaccel_requant((int32_t)acc, mult, shift);
			}
			/* c_zero_point is at most 255 in magnitude: saturate first. */
			if (v > INT32_MAX - 255)
				v = INT32_MAX - 255;
			if (v < INT32_MIN + 255)
				v = INT32_MIN + 255;
			v += p->c_zero_point;
			if (v < p->clamp_min)
				v = p->clamp_min;
			if (v > p->clamp_max)
				v = p->clamp_max;
			crow[j] = (uint8_t)v;
		}
	}
	return 0;
}
