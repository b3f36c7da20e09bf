// SPDX-License-Identifier: MIT
/*
 * The quantization toolkit (qaccel_quant.h) against TFLite's arithmetic:
 * QuantizeMultiplier's rounding cases, ChooseQuantizationParams' nudged
 * zero points, round-half-away-from-zero with saturation, per-channel
 * weights, calibration on known distributions, and a small float layer
 * that, quantized with the toolkit and run on the CPU reference, lands
 * within the error bound quantization allows.  No libm: the test links
 * like every libqaccel program.
 */
#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "kselftest_harness.h"
#include "qaccel_prng.h"
#include "qaccel_quant.h"

/* Irwin-Hall: the sum of 12 uniforms minus 6 is N(0, 1) to within 1%, |x| <= 6. */
static double gaussian(uint64_t *s)
{
	double sum = 0;

	for (int i = 0; i < 12; i++)
		sum += prng_unit(s);
	return sum - 6.0;
}

static double fabs_(double x)
{
	return x < 0 ? -x : x;
}

TEST(multiplier_matches_tflite_quantize_multiplier)
{
	int32_t m, s;

	ASSERT_EQ(0, qaccel_quantize_multiplier(0.5, &m, &s));
	EXPECT_EQ(1 << 30, m);
	EXPECT_EQ(0, s);
	ASSERT_EQ(0, qaccel_quantize_multiplier(1.0, &m, &s));
	EXPECT_EQ(1 << 30, m);
	EXPECT_EQ(1, s);
	ASSERT_EQ(0, qaccel_quantize_multiplier(0.25, &m, &s));
	EXPECT_EQ(1 << 30, m);
	EXPECT_EQ(-1, s);
	ASSERT_EQ(0, qaccel_quantize_multiplier(2.0, &m, &s));
	EXPECT_EQ(1 << 30, m);
	EXPECT_EQ(2, s);
	/* 0.75 * 2^31 and 3.5 = 0.875 * 2^2: multipliers below and above 1. */
	ASSERT_EQ(0, qaccel_quantize_multiplier(0.75, &m, &s));
	EXPECT_EQ(1610612736, m);
	EXPECT_EQ(0, s);
	ASSERT_EQ(0, qaccel_quantize_multiplier(3.5, &m, &s));
	EXPECT_EQ(1879048192, m);
	EXPECT_EQ(2, s);
	/* 1/3: 0.666... * 2^31 = 1431655765.33 rounds down, shift -1. */
	ASSERT_EQ(0, qaccel_quantize_multiplier(1.0 / 3.0, &m, &s));
	EXPECT_EQ(1431655765, m);
	EXPECT_EQ(-1, s);
	ASSERT_EQ(0, qaccel_quantize_multiplier(0.0, &m, &s));
	EXPECT_EQ(0, m);
	EXPECT_EQ(0, s);
}

TEST(multiplier_that_rounds_to_2_pow_31_renormalizes)
{
	int32_t m, s;

	/* Mantissa 1 - 2^-40 rounds to 2^31: halved, shift up by one. */
	ASSERT_EQ(0, qaccel_quantize_multiplier(1.0 - 1.0 / 1099511627776.0, &m, &s));
	EXPECT_EQ(1 << 30, m);
	EXPECT_EQ(1, s);
	ASSERT_EQ(0, qaccel_quantize_multiplier(0.5 - 1.0 / 1099511627776.0, &m, &s));
	EXPECT_EQ(1 << 30, m);
	EXPECT_EQ(0, s);
	/* 1 - 2^-32 gives 2^31 - 0.5: half rounds away, up to 2^31. */
	ASSERT_EQ(0, qaccel_quantize_multiplier(1.0 - 1.0 / 4294967296.0, &m, &s));
	EXPECT_EQ(1 << 30, m);
	EXPECT_EQ(1, s);
	/* 1 - 2^-31 is exactly 2^31 - 1: the largest multiplier, kept. */
	ASSERT_EQ(0, qaccel_quantize_multiplier(1.0 - 1.0 / 2147483648.0, &m, &s));
	EXPECT_EQ(INT32_MAX, m);
	EXPECT_EQ(0, s);
}

TEST(multiplier_shift_range_flushes_and_saturates)
{
	int32_t m, s;

	/* 2^-40: shift -39 is below -31, flushed to zero as TFLite does. */
	ASSERT_EQ(0, qaccel_quantize_multiplier(1.0 / 1099511627776.0, &m, &s));
	EXPECT_EQ(0, m);
	EXPECT_EQ(0, s);
	/* 2^-32 = 0.5 * 2^-31: the smallest shift kept. */
	ASSERT_EQ(0, qaccel_quantize_multiplier(1.0 / 4294967296.0, &m, &s));
	EXPECT_EQ(1 << 30, m);
	EXPECT_EQ(-31, s);
	ASSERT_EQ(0, qaccel_quantize_multiplier(1099511627776.0, &m, &s));
	EXPECT_EQ(INT32_MAX, m);
	EXPECT_EQ(30, s);
	EXPECT_EQ(-EINVAL, qaccel_quantize_multiplier(-0.5, &m, &s));
	EXPECT_EQ(-EINVAL, qaccel_quantize_multiplier(__builtin_nan(""), &m, &s));
	EXPECT_EQ(-EINVAL, qaccel_quantize_multiplier(__builtin_inf(), &m, &s));
	EXPECT_EQ(-EINVAL, qaccel_quantize_multiplier(0.5, NULL, &s));
}

TEST(multiplier_applied_by_requant_scales_accumulators)
{
	uint64_t rng = 7;

	for (int i = 0; i < 2000; i++) {
		/* Reals from 2^-12 to 2^4, accumulators up to 2^20. */
		double real = 1.0 / 4096.0 * (1 + prng_unit(&rng) * 65535.0);
		int32_t acc = (int32_t)(prng_next(&rng) % 2000001) - 1000000;
		int32_t m, s, got;
		double want;

		ASSERT_EQ(0, qaccel_quantize_multiplier(real, &m, &s));
		ASSERT_GE(m, 1 << 30);
		ASSERT_GE(s, -31);
		ASSERT_LE(s, 30);
		got = qaccel_requant(acc, m, s);
		want = acc * real;
		/*
		 * Two roundings (srdhm, then the rounding shift) and the
		 * multiplier's 2^-31 relative error: within one unit.
		 */
		ASSERT_LE(fabs_(got - want), 1.0 + fabs_(want) * 1e-9);
	}
}

TEST(range_params_nudge_zero_point_like_tflite)
{
	struct qaccel_qparams qp;

	/* [-1, 1] uint8: scale 2/255, zero point 127.5 rounds away to 128. */
	ASSERT_EQ(0, qaccel_qparams_from_range(-1, 1, QACCEL_QTYPE_UINT8,
					       QACCEL_QSCHEME_ASYMMETRIC, &qp));
	EXPECT_EQ(128, qp.zero_point);
	EXPECT_EQ(0, qp.qmin);
	EXPECT_EQ(255, qp.qmax);
	ASSERT_LT(fabs_(qp.scale - 2.0 / 255), 1e-8);
	/* The same range as int8: -0.5 rounds away from zero to -1. */
	ASSERT_EQ(0, qaccel_qparams_from_range(-1, 1, QACCEL_QTYPE_INT8,
					       QACCEL_QSCHEME_ASYMMETRIC, &qp));
	EXPECT_EQ(-1, qp.zero_point);
	EXPECT_EQ(-128, qp.qmin);
	/* [0.5, 2] widens to [0, 2]: zero point 0; [-3, -1] to [-3, 0]: 255. */
	ASSERT_EQ(0, qaccel_qparams_from_range(0.5f, 2, QACCEL_QTYPE_UINT8,
					       QACCEL_QSCHEME_ASYMMETRIC, &qp));
	EXPECT_EQ(0, qp.zero_point);
	ASSERT_LT(fabs_(qp.scale - 2.0 / 255), 1e-8);
	ASSERT_EQ(0, qaccel_qparams_from_range(-3, -1, QACCEL_QTYPE_UINT8,
					       QACCEL_QSCHEME_ASYMMETRIC, &qp));
	EXPECT_EQ(255, qp.zero_point);
	/* [-0.3, 5.7] uint8: 0.3 / (6/255) = 12.75 -> 13. */
	ASSERT_EQ(0, qaccel_qparams_from_range(-0.3f, 5.7f, QACCEL_QTYPE_UINT8,
					       QACCEL_QSCHEME_ASYMMETRIC, &qp));
	EXPECT_EQ(13, qp.zero_point);
	/* An all-zero range still gives a usable scale. */
	ASSERT_EQ(0, qaccel_qparams_from_range(0, 0, QACCEL_QTYPE_UINT8,
					       QACCEL_QSCHEME_ASYMMETRIC, &qp));
	EXPECT_EQ(0, qp.zero_point);
	EXPECT_EQ(1, qp.scale == 1.0f);
}

TEST(range_params_zero_is_exact_for_random_ranges)
{
	uint64_t rng = 3;

	for (int i = 0; i < 1000; i++) {
		float lo = (float)(-prng_unit(&rng) * 10), hi = (float)(prng_unit(&rng) * 10);
		enum qaccel_qtype t = i & 1 ? QACCEL_QTYPE_INT8 : QACCEL_QTYPE_UINT8;
		struct qaccel_qparams qp;
		float zero = 0, back;
		uint8_t q;

		ASSERT_EQ(0, qaccel_qparams_from_range(lo, hi, t,
						       QACCEL_QSCHEME_ASYMMETRIC, &qp));
		ASSERT_EQ(0, qaccel_quantize(&zero, 1, &qp, &q));
		ASSERT_EQ(0, qaccel_dequantize(&q, 1, &qp, &back));
		ASSERT_EQ(1, back == 0.0f);
	}
}

TEST(range_params_symmetric_int8)
{
	struct qaccel_qparams qp;

	ASSERT_EQ(0, qaccel_qparams_from_range(-2, 1, QACCEL_QTYPE_INT8,
					       QACCEL_QSCHEME_SYMMETRIC, &qp));
	EXPECT_EQ(0, qp.zero_point);
	EXPECT_EQ(-127, qp.qmin);
	EXPECT_EQ(127, qp.qmax);
	ASSERT_LT(fabs_(qp.scale - 2.0 / 127), 1e-8);
	EXPECT_EQ(-EINVAL, qaccel_qparams_from_range(-2, 1, QACCEL_QTYPE_UINT8,
						     QACCEL_QSCHEME_SYMMETRIC, &qp));
}

TEST(range_params_reject_bad_ranges)
{
	struct qaccel_qparams qp;

	EXPECT_EQ(-EINVAL, qaccel_qparams_from_range(1, -1, QACCEL_QTYPE_INT8,
						     QACCEL_QSCHEME_ASYMMETRIC, &qp));
	EXPECT_EQ(-EINVAL, qaccel_qparams_from_range(__builtin_nanf(""), 1,
						     QACCEL_QTYPE_INT8,
						     QACCEL_QSCHEME_ASYMMETRIC, &qp));
	EXPECT_EQ(-EINVAL, qaccel_qparams_from_range(0, __builtin_inff(),
						     QACCEL_QTYPE_INT8,
						     QACCEL_QSCHEME_ASYMMETRIC, &qp));
	EXPECT_EQ(-EINVAL, qaccel_qparams_from_range(0, 1, (enum qaccel_qtype)7,
						     QACCEL_QSCHEME_ASYMMETRIC, &qp));
	EXPECT_EQ(-EINVAL, qaccel_qparams_from_range(0, 1, QACCEL_QTYPE_INT8,
						     QACCEL_QSCHEME_ASYMMETRIC, NULL));
	/* Denormal bounds: the scale would be 0.0f. */
	EXPECT_EQ(-ERANGE, qaccel_qparams_from_range(0, 3.5e-44f, QACCEL_QTYPE_UINT8,
						     QACCEL_QSCHEME_ASYMMETRIC, &qp));
	EXPECT_EQ(-ERANGE, qaccel_qparams_from_range(-1e-44f, 0, QACCEL_QTYPE_INT8,
						     QACCEL_QSCHEME_SYMMETRIC, &qp));
	EXPECT_EQ(0, qaccel_qparams_from_range(0, 1e-35f, QACCEL_QTYPE_UINT8,
					       QACCEL_QSCHEME_ASYMMETRIC, &qp));
	EXPECT_GT(qp.scale, 0);
}

TEST(quantize_rounds_half_away_from_zero_and_saturates)
{
	struct qaccel_qparams qp = {
		.scale = 0.5f, .zero_point = 0, .qmin = -128, .qmax = 127,
		.type = QACCEL_QTYPE_INT8,
	};
	const float x[] = { 0.25f, -0.25f, 0.75f, -0.75f, 0.2f, 1000, -1000,
			    __builtin_nanf(""), 63.75f, -64.25f };
	const int8_t want[] = { 1, -1, 2, -2, 0, 127, -128, 0, 127, -128 };
	int8_t q[10];
	uint8_t u[3];
	const float ux[] = { -100, 0, 1e30f };

	ASSERT_EQ(0, qaccel_quantize(x, 10, &qp, q));
	for (int i = 0; i < 10; i++)
		EXPECT_EQ(want[i], q[i]);

	qp = (struct qaccel_qparams){
		.scale = 0.1f, .zero_point = 10, .qmin = 0, .qmax = 255,
		.type = QACCEL_QTYPE_UINT8,
	};
	ASSERT_EQ(0, qaccel_quantize(ux, 3, &qp, u));
	EXPECT_EQ(0, u[0]);
	EXPECT_EQ(10, u[1]);
	EXPECT_EQ(255, u[2]);
	qp.scale = 0;
	EXPECT_EQ(-EINVAL, qaccel_quantize(ux, 3, &qp, u));
}

TEST(quantize_dequantize_round_trip_within_half_a_step)
{
	struct qaccel_qparams qp;
	uint64_t rng = 11;
	enum { N = 4096 };
	float x[N], back[N];
	uint8_t q[N];

	for (int i = 0; i < N; i++)
		x[i] = (float)(prng_unit(&rng) * 7.0 - 2.0);
	ASSERT_EQ(0, qaccel_qparams_from_range(-2, 5, QACCEL_QTYPE_UINT8,
					       QACCEL_QSCHEME_ASYMMETRIC, &qp));
	ASSERT_EQ(0, qaccel_quantize(x, N, &qp, q));
	ASSERT_EQ(0, qaccel_dequantize(q, N, &qp, back));
	for (int i = 0; i < N; i++)
		ASSERT_LE(fabs_(back[i] - x[i]), qp.scale * 0.5 + 1e-6);
}

TEST(per_channel_weights_use_each_rows_range)
{
	const float w[3][5] = {
		{ 1.0f, -0.5f, 0.25f, 0, 0.1f },
		{ -40, 20, 10, 0, 5 },
		{ 0, 0, 0, 0, 0 },
	};
	int8_t q[3][8];
	float scales[3];

	memset(q, 0x55, sizeof(q));
	ASSERT_EQ(0, qaccel_quantize_per_channel(&w[0][0], 3, 5, 5, &q[0][0], 8,
						 scales));
	ASSERT_LT(fabs_(scales[0] - 1.0 / 127), 1e-9);
	ASSERT_LT(fabs_(scales[1] - 40.0 / 127), 1e-7);
	EXPECT_EQ(1, scales[2] == 1.0f);
	EXPECT_EQ(127, q[0][0]);
	EXPECT_EQ(-64, q[0][1]);	/* -63.5 away from zero */
	EXPECT_EQ(32, q[0][2]);		/* 31.75 */
	EXPECT_EQ(13, q[0][4]);		/* 12.7 */
	EXPECT_EQ(-127, q[1][0]);
	EXPECT_EQ(64, q[1][1]);		/* 63.5 */
	EXPECT_EQ(32, q[1][2]);
	for (int i = 0; i < 5; i++)
		EXPECT_EQ(0, q[2][i]);
	/* The stride gap is left alone. */
	EXPECT_EQ(0x55, (uint8_t)q[0][5]);
	EXPECT_EQ(-EINVAL, qaccel_quantize_per_channel(&w[0][0], 3, 5, 4, &q[0][0],
						       8, scales));
}

TEST(calibration_minmax_on_uniform_data)
{
	uint64_t rng = 5;
	enum { N = 20000 };
	static float x[N];
	float lo, hi;

	for (int i = 0; i < N; i++)
		x[i] = (float)(prng_unit(&rng) * 4.0 - 1.0);
	ASSERT_EQ(0, qaccel_calib_minmax(x, N, &lo, &hi));
	ASSERT_GE(lo, -1.0f);
	ASSERT_LT(lo, -0.999f);
	ASSERT_LT(hi, 3.0f);
	ASSERT_GT(hi, 2.999f);
	/* The percentile of uniform data clips almost nothing. */
	ASSERT_EQ(0, qaccel_calib_percentile(x, N, 99.9, &lo, &hi));
	ASSERT_LT(lo, -0.99f);
	ASSERT_GT(hi, 2.99f);
}

TEST(calibration_percentile_is_exact_nearest_rank)
{
	enum { N = 10000 };
	static float x[N];
	float lo, hi;

	/* 0..9999 shuffled: 99% drops exactly the 100 lowest and highest. */
	for (int i = 0; i < N; i++)
		x[i] = (float)((i * 7919) % N);
	ASSERT_EQ(0, qaccel_calib_percentile(x, N, 99.0, &lo, &hi));
	EXPECT_EQ(1, lo == 100.0f);
	EXPECT_EQ(1, hi == 9899.0f);
	ASSERT_EQ(0, qaccel_calib_percentile(x, N, 100.0, &lo, &hi));
	EXPECT_EQ(1, lo == 0.0f);
	EXPECT_EQ(1, hi == 9999.0f);
	EXPECT_EQ(-EINVAL, qaccel_calib_percentile(x, N, 50.0, &lo, &hi));
	EXPECT_EQ(-EINVAL, qaccel_calib_percentile(x, N, 100.5, &lo, &hi));
	EXPECT_EQ(-EINVAL, qaccel_calib_percentile(x, 0, 99.0, &lo, &hi));
}

TEST(calibration_percentile_clips_gaussian_outliers)
{
	uint64_t rng = 9;
	enum { N = 100000, OUTLIERS = 20 };
	static float x[N];
	float lo, hi, plo, phi;

	for (int i = 0; i < N; i++)
		x[i] = (float)gaussian(&rng);
	for (int i = 0; i < OUTLIERS; i++)
		x[(i * 4999) % N] = i & 1 ? 1000.0f : -1000.0f;
	ASSERT_EQ(0, qaccel_calib_minmax(x, N, &lo, &hi));
	EXPECT_EQ(1, lo == -1000.0f);
	EXPECT_EQ(1, hi == 1000.0f);
	/* 99.9%: about +-3.3 sigma for N(0, 1); the outliers are gone. */
	ASSERT_EQ(0, qaccel_calib_percentile(x, N, 99.9, &plo, &phi));
	ASSERT_GT(phi, 2.8f);
	ASSERT_LT(phi, 3.8f);
	ASSERT_LT(plo, -2.8f);
	ASSERT_GT(plo, -3.8f);
	x[0] = __builtin_nanf("");
	EXPECT_EQ(-EINVAL, qaccel_calib_percentile(x, N, 99.9, &plo, &phi));
}

TEST(bias_is_quantized_at_the_accumulator_scale)
{
	const float bias[3] = { 1.0f, -0.3f, 1e20f };
	const float ws[3] = { 0.25f, 0.01f, 1e-3f };
	int32_t bq[3];

	ASSERT_EQ(0, qaccel_quantize_bias(bias, 3, 0.5f, ws, bq));
	EXPECT_EQ(8, bq[0]);
	EXPECT_EQ(-60, bq[1]);
	EXPECT_EQ(INT32_MAX, bq[2]);
	EXPECT_EQ(-EINVAL, qaccel_quantize_bias(bias, 3, 0, ws, bq));
}

TEST(gemm_requant_fills_fields_and_relu_clamp)
{
	const float ws[2] = { 0.02f, 0.5f };
	const float bias[2] = { 0.1f, -2.0f };
	struct qaccel_qparams out;
	struct qaccel_gemm_params p = { .flags = QACCEL_GEMM_A_UINT8 | QACCEL_GEMM_OUT_INT8 };
	struct qaccel_quant quant[2];
	int32_t bq[2], m, s;

	ASSERT_EQ(0, qaccel_qparams_from_range(0, 10, QACCEL_QTYPE_UINT8,
					       QACCEL_QSCHEME_ASYMMETRIC, &out));
	ASSERT_EQ(0, qaccel_gemm_requant(0.1f, ws, 2, &out, QACCEL_ACT_RELU, bias,
					 &p, quant, bq));
	EXPECT_EQ(QACCEL_GEMM_A_UINT8 | QACCEL_GEMM_OUT_UINT8 | QACCEL_GEMM_BIAS |
		  QACCEL_GEMM_PER_CHANNEL, p.flags);
	EXPECT_EQ(0, p.c_zero_point);
	EXPECT_EQ(0, p.clamp_min);
	EXPECT_EQ(255, p.clamp_max);
	ASSERT_EQ(0, qaccel_quantize_multiplier((double)0.1f * 0.02f / out.scale, &m, &s));
	EXPECT_EQ(m, quant[0].multiplier);
	EXPECT_EQ(s, quant[0].shift);
	ASSERT_EQ(0, qaccel_quantize_multiplier((double)0.1f * 0.5f / out.scale, &m, &s));
	EXPECT_EQ(m, quant[1].multiplier);
	EXPECT_EQ(s, quant[1].shift);
	EXPECT_EQ(50, bq[0]);
	EXPECT_EQ(-40, bq[1]);

	/* int8 output over [-6, 10] with ReLU6: clamp from zero to quantized 6. */
	ASSERT_EQ(0, qaccel_qparams_from_range(-6, 10, QACCEL_QTYPE_INT8,
					       QACCEL_QSCHEME_ASYMMETRIC, &out));
	ASSERT_EQ(0, qaccel_gemm_requant(0.1f, ws, 2, &out, QACCEL_ACT_RELU6, NULL,
					 &p, quant, NULL));
	EXPECT_EQ(out.zero_point, p.clamp_min);
	EXPECT_EQ(out.zero_point + 96, p.clamp_max);	/* 6 / (16/255) = 95.6 */
	EXPECT_EQ(QACCEL_GEMM_OUT_INT8, p.flags & QACCEL_GEMM_OUT_MASK);
	EXPECT_EQ(-EINVAL, qaccel_gemm_requant(0.1f, ws, 2, &out,
					       (enum qaccel_activation)9, NULL,
					       &p, quant, NULL));
	EXPECT_EQ(-EINVAL, qaccel_gemm_requant(0.1f, ws, 2, &out, QACCEL_ACT_NONE,
					       bias, &p, quant, NULL));
}

/*
 * An FP32 job gets per-channel records {bits of fl(fl(in * w) / out), 0},
 * the family stays as the caller chose it; family 3 is -EINVAL.
 */
TEST(gemm_requant_fills_fp32_records_in_the_chosen_family)
{
	const float ws[2] = { 0.02f, 0.5f };
	struct qaccel_qparams out;
	struct qaccel_gemm_params p = { .flags = QACCEL_GEMM_RQ_FP32 };
	struct qaccel_quant quant[2];
	float want;
	int32_t bits;

	ASSERT_EQ(0, qaccel_qparams_from_range(-6, 10, QACCEL_QTYPE_INT8,
					       QACCEL_QSCHEME_ASYMMETRIC, &out));
	ASSERT_EQ(0, qaccel_gemm_requant(0.1f, ws, 2, &out, QACCEL_ACT_NONE, NULL,
					 &p, quant, NULL));
	EXPECT_EQ(QACCEL_GEMM_RQ_FP32, p.flags & QACCEL_GEMM_RQ_MASK);
	for (int j = 0; j < 2; j++) {
		ASSERT_EQ(0, qaccel_scale_onnxruntime(0.1f, ws[j], out.scale, &want));
		memcpy(&bits, &want, sizeof(bits));
		EXPECT_EQ(bits, quant[j].multiplier);
		EXPECT_EQ(0, quant[j].shift);
	}

	p.flags = QACCEL_GEMM_RQ_MASK;
	EXPECT_EQ(-EINVAL, qaccel_gemm_requant(0.1f, ws, 2, &out, QACCEL_ACT_NONE, NULL,
					       &p, quant, NULL));
}

/*
 * A float layer y = relu(x W^T + b), quantized with the toolkit (uint8
 * input and output, per-channel int8 weights, int32 bias) and run on the
 * CPU reference, stays within a couple of output steps of the float one.
 */
TEST(quantized_layer_on_reference_tracks_float_layer)
{
	enum { M = 16, N = 24, K = 64 };
	static float x[M][K], w[N][K], b[N], y[M][N];
	static uint8_t xq[M][K], yq[M][N];
	static int8_t wq[N][K];
	float ws[N], xlo, xhi, ylo, yhi, err_max = 0;
	int32_t bq[N];
	struct qaccel_quant quant[N];
	struct qaccel_qparams in, out;
	struct qaccel_gemm_params p = {
		.m = M, .n = N, .k = K, .lda = K, .ldb = K, .ldc = N,
		.flags = QACCEL_GEMM_A_UINT8,
	};
	uint64_t rng = 42;

	for (int i = 0; i < M; i++)
		for (int k = 0; k < K; k++)
			x[i][k] = (float)(prng_unit(&rng) * 2.0);
	for (int j = 0; j < N; j++) {
		for (int k = 0; k < K; k++)
			w[j][k] = (float)(gaussian(&rng) * 0.1 * (1 + j % 4));
		b[j] = (float)(gaussian(&rng) * 0.5);
	}
	for (int i = 0; i < M; i++)
		for (int j = 0; j < N; j++) {
			double acc = b[j];

			for (int k = 0; k < K; k++)
				acc += (double)x[i][k] * w[j][k];
			y[i][j] = acc > 0 ? (float)acc : 0;
		}

	ASSERT_EQ(0, qaccel_calib_minmax(&x[0][0], M * K, &xlo, &xhi));
	ASSERT_EQ(0, qaccel_qparams_from_range(xlo, xhi, QACCEL_QTYPE_UINT8,
					       QACCEL_QSCHEME_ASYMMETRIC, &in));
	ASSERT_EQ(0, qaccel_calib_minmax(&y[0][0], M * N, &ylo, &yhi));
	ASSERT_EQ(0, qaccel_qparams_from_range(ylo, yhi, QACCEL_QTYPE_UINT8,
					       QACCEL_QSCHEME_ASYMMETRIC, &out));
	ASSERT_EQ(0, qaccel_quantize(&x[0][0], M * K, &in, xq));
	ASSERT_EQ(0, qaccel_quantize_per_channel(&w[0][0], N, K, K, &wq[0][0], K, ws));
	p.a_zero_point = in.zero_point;
	ASSERT_EQ(0, qaccel_gemm_requant(in.scale, ws, N, &out, QACCEL_ACT_RELU, b,
					 &p, quant, bq));
	ASSERT_EQ(0, qaccel_ref_gemm(&p, xq, wq, bq, quant, yq));
	for (int i = 0; i < M; i++)
		for (int j = 0; j < N; j++) {
			float back = out.scale * (float)(yq[i][j] - out.zero_point);
			float e = (float)fabs_(back - y[i][j]);

			if (e > err_max)
				err_max = e;
		}
	/*
	 * Output rounding is half a step; input and weight rounding add about
	 * sqrt(K) * half-steps * magnitudes, well under two output steps here.
	 */
	TH_LOG("max error %.4f, output step %.4f", err_max, out.scale);
	ASSERT_LT(err_max, 2.0f * out.scale);
}

/*
 * The frameworks' fp32 scale formulas, checked against the same formulas
 * evaluated in double and rounded once to float: a product of two floats is
 * exact in double, and a quotient of two floats rounded to double and then
 * to float equals the quotient rounded to float directly (53 >= 2 x 24 + 2).
 */
TEST(fp32_scales_follow_each_frameworks_float_ops)
{
	uint64_t seed = 0x8d3f1b2a9c4e6f01ull;
	int differ = 0;

	for (int i = 0; i < 10000; i++) {
		float s[3], ort, xnn, pt;

		for (int x = 0; x < 3; x++) {
			seed = seed * 6364136223846793005ull + 1442695040888963407ull;
			s[x] = (float)(1e-4 + (double)(seed >> 11) * 0x1p-53 * 0.2);
		}
		ASSERT_EQ(0, qaccel_scale_onnxruntime(s[0], s[1], s[2], &ort));
		ASSERT_EQ(0, qaccel_scale_xnnpack(s[0], s[1], s[2], &xnn));
		ASSERT_EQ(0, qaccel_scale_pytorch_qnnpack(s[0], s[1], s[2], &pt));
		EXPECT_EQ((float)((double)(float)((double)s[0] * s[1]) / s[2]), ort);
		EXPECT_EQ(ort, xnn);
		EXPECT_EQ((float)((double)(float)((double)s[1] * s[0]) *
				  (float)(1.0 / s[2])), pt);
		differ += ort != pt;
	}
	/* the two forms are not the same function */
	EXPECT_LT(0, differ);
}

TEST(fp32_scales_differ_in_the_last_bit_for_some_triples)
{
	float ort, pt;

	/* 0.02 x 0.005 / 0.10400001: division 0x1.f81f7ep-11, reciprocal ...8p-11 */
	ASSERT_EQ(0, qaccel_scale_onnxruntime(0.02f, 0.005f, 0x1.a9fbeap-4f, &ort));
	ASSERT_EQ(0, qaccel_scale_pytorch_qnnpack(0.02f, 0.005f, 0x1.a9fbeap-4f, &pt));
	EXPECT_EQ(0x1.f81f7ep-11f, ort);
	EXPECT_EQ(0x1.f81f80p-11f, pt);
}

TEST(fp32_scales_reject_what_no_job_can_use)
{
	float s;
	int32_t m;

	EXPECT_EQ(-EINVAL, qaccel_scale_onnxruntime(0.0f, 1.0f, 1.0f, &s));
	EXPECT_EQ(-EINVAL, qaccel_scale_onnxruntime(1.0f, -1.0f, 1.0f, &s));
	EXPECT_EQ(-EINVAL, qaccel_scale_xnnpack(1.0f, 1.0f, NAN, &s));
	EXPECT_EQ(-EINVAL, qaccel_scale_xnnpack(1.0f, INFINITY, 1.0f, &s));
	EXPECT_EQ(-EINVAL, qaccel_scale_pytorch_qnnpack(0x1p-149f, 1.0f, 1.0f, &s));
	EXPECT_EQ(-EINVAL, qaccel_scale_pytorch_qnnpack(1.0f, 1.0f, 1.0f, NULL));
	/* results out of a job's reach */
	EXPECT_EQ(-ERANGE, qaccel_scale_onnxruntime(0x1p100f, 0x1p100f, 1.0f, &s));
	EXPECT_EQ(-ERANGE, qaccel_scale_onnxruntime(0x1p-100f, 0x1p-100f, 1.0f, &s));
	EXPECT_EQ(-ERANGE, qaccel_scale_pytorch_qnnpack(0x1p-70f, 0x1p-70f, 1.0f, &s));
	/* XNNPACK refuses 256 and more */
	EXPECT_EQ(0, qaccel_scale_xnnpack(255.0f, 1.0f, 1.0f, &s));
	EXPECT_EQ(-ERANGE, qaccel_scale_xnnpack(256.0f, 1.0f, 1.0f, &s));
	EXPECT_EQ(0, qaccel_scale_onnxruntime(256.0f, 1.0f, 1.0f, &s));
	EXPECT_EQ(256.0f, s);

	EXPECT_EQ(0, qaccel_fp32_multiplier(0.5f, &m));
	EXPECT_EQ(0x3f000000, m);
	EXPECT_EQ(0, qaccel_fp32_multiplier(0x1p-126f, &m));
	EXPECT_EQ(0x00800000, m);
	EXPECT_EQ(-EINVAL, qaccel_fp32_multiplier(-0.5f, &m));
	EXPECT_EQ(-EINVAL, qaccel_fp32_multiplier(0.0f, &m));
	EXPECT_EQ(-EINVAL, qaccel_fp32_multiplier(0x1p-127f, &m));
	EXPECT_EQ(-EINVAL, qaccel_fp32_multiplier(INFINITY, &m));
	EXPECT_EQ(-EINVAL, qaccel_fp32_multiplier(0.5f, NULL));
}

/* A framework's scales through the toolkit give an FP32 job it accepts. */
TEST(fp32_scale_drives_an_fp32_job)
{
	const int8_t a[2] = { 100, -100 }, b[2] = { 1, 0 };
	struct qaccel_gemm_params p = {
		.m = 2, .n = 1, .k = 1, .lda = 1, .ldb = 1, .ldc = 1,
		.flags = QACCEL_GEMM_OUT_INT8 | QACCEL_GEMM_RQ_FP32,
		.clamp_min = -128, .clamp_max = 127,
	};
	int8_t c[2];
	float s;

	/* 0.5 x 0.01 / 0.1 = 0.05 (in float): 100 -> 5, -100 -> -5 */
	ASSERT_EQ(0, qaccel_scale_onnxruntime(0.5f, 0.01f, 0.1f, &s));
	ASSERT_EQ(0, qaccel_fp32_multiplier(s, &p.out_multiplier));
	ASSERT_EQ(0, qaccel_ref_gemm(&p, a, b, NULL, NULL, c));
	EXPECT_EQ(5, c[0]);
	EXPECT_EQ(-5, c[1]);
}

TEST_HARNESS_MAIN
