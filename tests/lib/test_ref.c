// SPDX-License-Identifier: MIT
/*
 * The CPU reference GEMM against values computed by hand, and its fixed-
 * point helpers against gemmlowp's SaturatingRoundingDoublingHighMul /
 * RoundingDivideByPOT and TFLite's MultiplyByQuantizedMultiplier (values
 * worked out on paper and cross-checked once with libgemmlowp-dev's
 * fixedpoint.h; the test does not depend on it).  The SINGLE and FP32
 * families get their ties and corners computed by hand as well; the
 * outside implementations are compared in test_requant_oracles.c.
 */
#include <errno.h>
#include <limits.h>
#include <stdint.h>
#include <string.h>

#include "kselftest_harness.h"
#include "qaccel_ref.h"

/* A GEMM of m x n with k = 2 or 3, int8 operands, dense strides. */
static struct qaccel_gemm_params dense(uint32_t m, uint32_t n, uint32_t k,
				       uint32_t flags)
{
	uint32_t esize = (flags & QACCEL_GEMM_OUT_MASK) == QACCEL_GEMM_OUT_INT32 ? 4 : 1;
	struct qaccel_gemm_params p = {
		.m = m, .n = n, .k = k,
		.lda = k, .ldb = k, .ldc = n * esize,
		.flags = flags,
		.clamp_min = (flags & QACCEL_GEMM_OUT_MASK) == QACCEL_GEMM_OUT_UINT8 ? 0 : -128,
		.clamp_max = (flags & QACCEL_GEMM_OUT_MASK) == QACCEL_GEMM_OUT_UINT8 ? 255 : 127,
		.out_multiplier = 1 << 30,	/* x 0.5 */
		.out_shift = 0,
	};
	return p;
}

TEST(srdhm_matches_gemmlowp)
{
	EXPECT_EQ(INT32_MAX, qaccel_srdhm(INT32_MIN, INT32_MIN));
	EXPECT_EQ(1 << 29, qaccel_srdhm(1 << 30, 1 << 30));
	EXPECT_EQ(INT32_MAX - 1, qaccel_srdhm(INT32_MAX, INT32_MAX));
	EXPECT_EQ(-(1 << 29), qaccel_srdhm(-(1 << 30), 1 << 30));
	/* 3 * 0.5 = 1.5 rounds up; -1.5 rounds toward zero (gemmlowp's nudge). */
	EXPECT_EQ(2, qaccel_srdhm(3, 1 << 30));
	EXPECT_EQ(-1, qaccel_srdhm(-3, 1 << 30));
	EXPECT_EQ(-INT32_MAX, qaccel_srdhm(INT32_MIN, INT32_MAX));
	EXPECT_EQ(56779306, qaccel_srdhm(123456789, 987654321));
	EXPECT_EQ(-56779306, qaccel_srdhm(-123456789, 987654321));
	EXPECT_EQ(0, qaccel_srdhm(1, 1));
}

TEST(rdbypot_rounds_half_away_from_zero)
{
	EXPECT_EQ(2, qaccel_rdbypot(3, 1));
	EXPECT_EQ(-2, qaccel_rdbypot(-3, 1));
	EXPECT_EQ(1, qaccel_rdbypot(5, 2));
	EXPECT_EQ(-1, qaccel_rdbypot(-5, 2));
	EXPECT_EQ(2, qaccel_rdbypot(6, 2));
	EXPECT_EQ(-2, qaccel_rdbypot(-6, 2));
	EXPECT_EQ(-2, qaccel_rdbypot(-7, 2));
	EXPECT_EQ(-1, qaccel_rdbypot(-1, 1));
	EXPECT_EQ(1, qaccel_rdbypot(1, 1));
}

TEST(rdbypot_extreme_exponents)
{
	EXPECT_EQ(12345, qaccel_rdbypot(12345, 0));
	EXPECT_EQ(-12345, qaccel_rdbypot(-12345, 0));
	EXPECT_EQ(-1, qaccel_rdbypot(INT32_MIN, 31));
	EXPECT_EQ(1, qaccel_rdbypot(INT32_MAX, 31));
	EXPECT_EQ(0, qaccel_rdbypot(-1, 31));
}

TEST(requant_matches_tflite_formula)
{
	/* acc * 0.5 / 2: 1000 -> 250; 1001 -> 500.5 -> 501 -> 250.5 -> 251 */
	EXPECT_EQ(250, qaccel_requant(1000, 1 << 30, -1));
	EXPECT_EQ(251, qaccel_requant(1001, 1 << 30, -1));
	/* -1001 -> srdhm -500.5 -> -500 (toward zero) -> -250 */
	EXPECT_EQ(-250, qaccel_requant(-1001, 1 << 30, -1));
	/* 100 << 2 = 400, x 0.70710678 = 282.84 -> 283 */
	EXPECT_EQ(283, qaccel_requant(100, 1518500250, 2));
	EXPECT_EQ(-283, qaccel_requant(-100, 1518500250, 2));
	/* 123456 x 0.65 = 80246.4, / 1024 = 78.4 -> 78 */
	EXPECT_EQ(78, qaccel_requant(123456, 1395864371, -10));
	EXPECT_EQ(-78, qaccel_requant(-123456, 1395864371, -10));
	EXPECT_EQ(0, qaccel_requant(7, INT32_MAX, -31));
	EXPECT_EQ(1, qaccel_requant(INT32_MAX, INT32_MAX, -31));
	EXPECT_EQ(1 << 30, qaccel_requant(1, INT32_MAX, 30));
	EXPECT_EQ(INT32_MAX, qaccel_requant(INT32_MIN, INT32_MIN, 0));
}

TEST(requant_left_shift_wraps_modulo_2_32)
{
	/* 2^30 << 2 = 2^32 = 0 */
	EXPECT_EQ(0, qaccel_requant(1 << 30, INT32_MAX, 2));
	/* 0x40000001 << 1 = 0x80000002 = -2147483646, x 0.5 */
	EXPECT_EQ(-1073741823, qaccel_requant(0x40000001, 1 << 30, 1));
}

TEST(gemm_int8_int32_output)
{
	const int8_t a[] = { 1, 2, 3,  -1, 0, 4 };
	const int8_t b[] = { 1, 0, -1,  2, 2, 2 };
	const int32_t want[] = { -2, 12,  -5, 6 };
	struct qaccel_gemm_params p = dense(2, 2, 3, QACCEL_GEMM_OUT_INT32);
	int32_t c[4];

	ASSERT_EQ(0, qaccel_ref_gemm(&p, a, b, NULL, NULL, c));
	EXPECT_EQ(0, memcmp(want, c, sizeof(want)));
}

/* A = [130 126; 128 255] - 128, B = [101 99; 100 0] - 100 */
static const uint8_t u8_a[] = { 130, 126, 128, 255 };
static const uint8_t u8_b[] = { 101, 99, 100, 0 };

TEST(gemm_uint8_zero_points)
{
	/* A' = [2 -2; 0 127], B' = [1 -1; 0 -100] */
	const int32_t want[] = { 4, 200, -127, -12700 };
	struct qaccel_gemm_params p = dense(2, 2, 2, QACCEL_GEMM_OUT_INT32 |
					    QACCEL_GEMM_A_UINT8 | QACCEL_GEMM_B_UINT8);
	int32_t c[4];

	p.a_zero_point = 128;
	p.b_zero_point = 100;
	ASSERT_EQ(0, qaccel_ref_gemm(&p, u8_a, u8_b, NULL, NULL, c));
	EXPECT_EQ(0, memcmp(want, c, sizeof(want)));
}

TEST(gemm_int8_zero_points_negative)
{
	/* int8 A - (-3), B - 2 */
	const int8_t a[] = { -3, 0 };
	const int8_t b[] = { 2, 5,  -128, 127 };
	/* A' = [0 3]; B' = [0 3; -130 125] */
	const int32_t want[] = { 9, 375 };
	struct qaccel_gemm_params p = dense(1, 2, 2, QACCEL_GEMM_OUT_INT32);
	int32_t c[2];

	p.a_zero_point = -3;
	p.b_zero_point = 2;
	ASSERT_EQ(0, qaccel_ref_gemm(&p, a, b, NULL, NULL, c));
	EXPECT_EQ(0, memcmp(want, c, sizeof(want)));
}

TEST(gemm_bias_added_per_column)
{
	const int32_t bias[] = { 10, -20 };
	const int32_t want[] = { 14, 180, -117, -12720 };
	struct qaccel_gemm_params p = dense(2, 2, 2, QACCEL_GEMM_OUT_INT32 |
					    QACCEL_GEMM_A_UINT8 | QACCEL_GEMM_B_UINT8 |
					    QACCEL_GEMM_BIAS);
	int32_t c[4];

	p.a_zero_point = 128;
	p.b_zero_point = 100;
	ASSERT_EQ(0, qaccel_ref_gemm(&p, u8_a, u8_b, bias, NULL, c));
	EXPECT_EQ(0, memcmp(want, c, sizeof(want)));
}

TEST(gemm_strides_skip_padding)
{
	/* 2x3 A with lda 5, 2x3 B with ldb 4; padding is 0x7f and ignored. */
	const int8_t a[] = { 1, 2, 3, 0x7f, 0x7f,  -1, 0, 4, 0x7f, 0x7f };
	const int8_t b[] = { 1, 0, -1, 0x7f,  2, 2, 2, 0x7f };
	struct qaccel_gemm_params p = dense(2, 2, 3, QACCEL_GEMM_OUT_INT32);
	int32_t c[2 * 3];

	p.lda = 5;
	p.ldb = 4;
	p.ldc = 12;	/* one spare int32 per row stays untouched */
	for (int i = 0; i < 6; i++)
		c[i] = 0x5a5a5a5a;
	ASSERT_EQ(0, qaccel_ref_gemm(&p, a, b, NULL, NULL, c));
	EXPECT_EQ(-2, c[0]);
	EXPECT_EQ(12, c[1]);
	EXPECT_EQ(0x5a5a5a5a, c[2]);
	EXPECT_EQ(-5, c[3]);
	EXPECT_EQ(6, c[4]);
	EXPECT_EQ(0x5a5a5a5a, c[5]);
}

TEST(gemm_accumulator_wraps_at_2_32)
{
	/* k = 65535 terms of (0-255)*(0-255) = 65025: 4261413375 mod 2^32 */
	static uint8_t zeros[65535];
	struct qaccel_gemm_params p = dense(1, 1, 65535, QACCEL_GEMM_OUT_INT32 |
					    QACCEL_GEMM_A_UINT8 | QACCEL_GEMM_B_UINT8);
	int32_t c;

	p.a_zero_point = 255;
	p.b_zero_point = 255;
	ASSERT_EQ(0, qaccel_ref_gemm(&p, zeros, zeros, NULL, NULL, &c));
	EXPECT_EQ(-33553921, c);
	/* 33025 such terms still fit in an int32, as the docs promise. */
	p.k = p.lda = p.ldb = 33025;
	ASSERT_EQ(0, qaccel_ref_gemm(&p, zeros, zeros, NULL, NULL, &c));
	EXPECT_EQ(2147450625, c);
}

TEST(gemm_bias_wraps_at_2_32)
{
	const int8_t one = 1;
	const int32_t bias = INT32_MAX;
	struct qaccel_gemm_params p = dense(1, 1, 1, QACCEL_GEMM_OUT_INT32 |
					    QACCEL_GEMM_BIAS);
	int32_t c;

	ASSERT_EQ(0, qaccel_ref_gemm(&p, &one, &one, &bias, NULL, &c));
	EXPECT_EQ(INT32_MIN, c);
}

TEST(gemm_int8_output_requant_zero_point_and_saturation)
{
	/* acc {4, 200, -127, -12700} x 0.5 + 10: -63.5 rounds to -63 (srdhm) */
	const int8_t want[] = { 12, 110, -53, -128 };
	struct qaccel_gemm_params p = dense(2, 2, 2, QACCEL_GEMM_OUT_INT8 |
					    QACCEL_GEMM_A_UINT8 | QACCEL_GEMM_B_UINT8);
	int8_t c[4];

	p.a_zero_point = 128;
	p.b_zero_point = 100;
	p.c_zero_point = 10;
	ASSERT_EQ(0, qaccel_ref_gemm(&p, u8_a, u8_b, NULL, NULL, c));
	EXPECT_EQ(0, memcmp(want, c, sizeof(want)));
	/* x 2 (shift 2 then x 0.5): 200 -> 400 + 10 saturates at 127 */
	p.out_shift = 2;
	ASSERT_EQ(0, qaccel_ref_gemm(&p, u8_a, u8_b, NULL, NULL, c));
	EXPECT_EQ(18, c[0]);
	EXPECT_EQ(127, c[1]);
	EXPECT_EQ(-128, c[3]);
}

TEST(gemm_uint8_output_relu_clamp)
{
	/* acc {4, 200, -127, -12700} x 0.5 + 128, clamped to [128, 200] */
	const uint8_t want[] = { 130, 200, 128, 128 };
	struct qaccel_gemm_params p = dense(2, 2, 2, QACCEL_GEMM_OUT_UINT8 |
					    QACCEL_GEMM_A_UINT8 | QACCEL_GEMM_B_UINT8);
	uint8_t c[4];

	p.a_zero_point = 128;
	p.b_zero_point = 100;
	p.c_zero_point = 128;
	p.clamp_min = 128;
	p.clamp_max = 200;
	ASSERT_EQ(0, qaccel_ref_gemm(&p, u8_a, u8_b, NULL, NULL, c));
	EXPECT_EQ(0, memcmp(want, c, sizeof(want)));
	/* Full range: 228 and 255 at the top, 64 and 0 at the bottom. */
	p.clamp_min = 0;
	p.clamp_max = 255;
	ASSERT_EQ(0, qaccel_ref_gemm(&p, u8_a, u8_b, NULL, NULL, c));
	EXPECT_EQ(130, c[0]);
	EXPECT_EQ(228, c[1]);
	EXPECT_EQ(65, c[2]);	/* -63.5 -> -63 (srdhm toward zero) + 128 */
	EXPECT_EQ(0, c[3]);
}

TEST(gemm_requant_saturates_before_zero_point)
{
	/* bias INT32_MIN, x (-1.0): srdhm saturates to INT32_MAX, + 127 */
	const int8_t zero = 0;
	const int32_t bias = INT32_MIN;
	struct qaccel_gemm_params p = dense(1, 1, 1, QACCEL_GEMM_OUT_INT8 |
					    QACCEL_GEMM_BIAS);
	int8_t c;

	p.out_multiplier = INT32_MIN;
	p.c_zero_point = 127;
	ASSERT_EQ(0, qaccel_ref_gemm(&p, &zero, &zero, &bias, NULL, &c));
	EXPECT_EQ(127, c);
	/* and the other end: INT32_MIN x 1.0 - 128 */
	p.out_multiplier = INT32_MAX;
	p.c_zero_point = -128;
	ASSERT_EQ(0, qaccel_ref_gemm(&p, &zero, &zero, &bias, NULL, &c));
	EXPECT_EQ(-128, c);
}

TEST(gemm_per_channel_multipliers)
{
	/* column 0 x 0.5, column 1 x 0.5 / 4 */
	const struct qaccel_quant quant[] = { { 1 << 30, 0 }, { 1 << 30, -2 } };
	/* acc {4, 200, -127, -12700}: 2, 25, -63 (-63.5 toward zero), clamp */
	const int8_t want[] = { 2, 25, -63, -128 };
	struct qaccel_gemm_params p = dense(2, 2, 2, QACCEL_GEMM_OUT_INT8 |
					    QACCEL_GEMM_PER_CHANNEL |
					    QACCEL_GEMM_A_UINT8 | QACCEL_GEMM_B_UINT8);
	int8_t c[4];

	p.a_zero_point = 128;
	p.b_zero_point = 100;
	p.out_shift = 99;	/* per-tensor fields are ignored */
	ASSERT_EQ(0, qaccel_ref_gemm(&p, u8_a, u8_b, NULL, quant, c));
	EXPECT_EQ(0, memcmp(want, c, sizeof(want)));
}

TEST(gemm_per_channel_bad_shift_rejected)
{
	const struct qaccel_quant quant[] = { { 1 << 30, 0 }, { 1 << 30, 31 } };
	struct qaccel_gemm_params p = dense(2, 2, 2, QACCEL_GEMM_OUT_INT8 |
					    QACCEL_GEMM_PER_CHANNEL);
	int8_t a[4] = { 0 }, c[4];

	EXPECT_EQ(-EINVAL, qaccel_ref_gemm(&p, a, a, NULL, quant, c));
	EXPECT_EQ(-EINVAL, qaccel_ref_gemm(&p, a, a, NULL, NULL, c));
}

/* The binary32 bits of f, as an FP32 job's multiplier carries them. */
static int32_t fbits(float f)
{
	int32_t b;

	memcpy(&b, &f, sizeof(b));
	return b;
}

TEST(requant_single_rounds_once_ties_up)
{
	/* x 0.5 (shift 0, right shift 31): ties go toward +infinity */
	EXPECT_EQ(2, qaccel_requant_single(3, 1 << 30, 0));
	EXPECT_EQ(-1, qaccel_requant_single(-3, 1 << 30, 0));
	EXPECT_EQ(-2, qaccel_requant_single(-5, 1 << 30, 0));
	/* x 0.25: 1001 -> 250.25 -> 250, where double rounding gives 251 */
	EXPECT_EQ(250, qaccel_requant_single(1001, 1 << 30, -1));
	EXPECT_EQ(251, qaccel_requant(1001, 1 << 30, -1));
	/* -1002 -> -250.5: single -250 (up), double -251 (away from zero) */
	EXPECT_EQ(-250, qaccel_requant_single(-1002, 1 << 30, -1));
	EXPECT_EQ(-251, qaccel_requant(-1002, 1 << 30, -1));
	/* shift > 0 only shortens the right shift: 100 x 2.828427 = 282.84 */
	EXPECT_EQ(283, qaccel_requant_single(100, 1518500250, 2));
	EXPECT_EQ(-283, qaccel_requant_single(-100, 1518500250, 2));
}

TEST(requant_single_extremes_saturate)
{
	/* shift 30 (right shift 1): products far beyond int32 saturate */
	EXPECT_EQ(INT32_MAX, qaccel_requant_single(INT32_MAX, INT32_MAX, 30));
	EXPECT_EQ(INT32_MIN, qaccel_requant_single(INT32_MIN, INT32_MAX, 30));
	EXPECT_EQ(1 << 29, qaccel_requant_single(1, 1 << 30, 30));
	/* shift -31 (right shift 62): 2^62 / 2^62 = 1; -2^61 / 2^62 = -0.5 -> 0 */
	EXPECT_EQ(1, qaccel_requant_single(INT32_MIN, INT32_MIN, -31));
	EXPECT_EQ(0, qaccel_requant_single(INT32_MIN, 1 << 30, -31));
	EXPECT_EQ(-1, qaccel_requant_single(INT32_MIN, INT32_MAX, -31));
	/* a negative multiplier is the same exact formula */
	EXPECT_EQ(-1, qaccel_requant_single(3, -(1 << 30), 0));
	EXPECT_EQ(INT32_MAX, qaccel_requant_single(INT32_MIN, INT32_MIN, 0));
}

TEST(requant_fp32_rounds_half_to_even)
{
	EXPECT_EQ(2, qaccel_requant_fp32(3, 0.5f));
	EXPECT_EQ(2, qaccel_requant_fp32(5, 0.5f));
	EXPECT_EQ(-2, qaccel_requant_fp32(-3, 0.5f));
	EXPECT_EQ(-2, qaccel_requant_fp32(-5, 0.5f));
	EXPECT_EQ(0, qaccel_requant_fp32(-1, 0.5f));	/* -0.5 -> -0.0 -> 0 */
	EXPECT_EQ(0, qaccel_requant_fp32(-1, 0.25f));
	EXPECT_EQ(0, qaccel_requant_fp32(0, 1e30f));
	/* a tie above 2^22 (float spacing 0.5): 8388606.5 -> 8388606 */
	EXPECT_EQ(8388606, qaccel_requant_fp32(16777213, 0.5f));
}

TEST(requant_fp32_rounds_the_accumulator_and_the_product)
{
	/* float(2^24 + 1) is 2^24 (tie to even); 2^24 + 3 goes up to + 4 */
	EXPECT_EQ(16777216, qaccel_requant_fp32(16777217, 1.0f));
	EXPECT_EQ(16777220, qaccel_requant_fp32(16777219, 1.0f));
	/*
	 * (2^22 + 1) x (1 - 2^-24) = 4194304.74999994 exactly, but the float
	 * product is 4194304.5 (spacing 0.5), which then ties to even.
	 */
	EXPECT_EQ(4194304, qaccel_requant_fp32(4194305, 0x1.fffffep-1f));
	/* float(INT32_MAX) is 2^31 */
	EXPECT_EQ(1, qaccel_requant_fp32(INT32_MAX, 0x1p-31f));
	EXPECT_EQ(INT32_MAX, qaccel_requant_fp32(INT32_MAX, 1.0f));
	EXPECT_EQ(INT32_MIN, qaccel_requant_fp32(INT32_MIN, 1.0f));
	/* overflow to infinity saturates */
	EXPECT_EQ(INT32_MAX, qaccel_requant_fp32(2, 0x1.fffffep127f));
	EXPECT_EQ(INT32_MIN, qaccel_requant_fp32(-2, 0x1.fffffep127f));
	EXPECT_EQ(INT32_MIN, qaccel_requant_fp32(-3, 0x1p30f));
}

/*
 * The three families on one GEMM, accumulators {4, 200, -127, -12700},
 * scale 0.5: -63.5 is -63 for both integer families, -64 for FP32.
 */
TEST(gemm_families_differ_on_negative_ties)
{
	static const struct {
		uint32_t rq;
		int32_t multiplier;
		int8_t want[4];
	} fam[] = {
		{ QACCEL_GEMM_RQ_GEMMLOWP, 1 << 30, { 2, 100, -63, -128 } },
		{ QACCEL_GEMM_RQ_SINGLE, 1 << 30, { 2, 100, -63, -128 } },
		{ QACCEL_GEMM_RQ_FP32, 0x3f000000, { 2, 100, -64, -128 } },
	};

	for (size_t f = 0; f < sizeof(fam) / sizeof(fam[0]); f++) {
		struct qaccel_gemm_params p = dense(2, 2, 2, QACCEL_GEMM_OUT_INT8 |
						    QACCEL_GEMM_A_UINT8 |
						    QACCEL_GEMM_B_UINT8 | fam[f].rq);
		int8_t c[4];

		p.a_zero_point = 128;
		p.b_zero_point = 100;
		p.out_multiplier = fam[f].multiplier;
		ASSERT_EQ(0, qaccel_ref_gemm(&p, u8_a, u8_b, NULL, NULL, c));
		EXPECT_EQ(0, memcmp(fam[f].want, c, sizeof(c)));
	}
}

TEST(gemm_fp32_per_channel_zero_point_and_relu)
{
	/* column 0 x 0.5, column 1 x 0.125; zero point 10, ReLU [10, 127] */
	const struct qaccel_quant quant[] = { { fbits(0.5f), 0 }, { fbits(0.125f), 0 } };
	/* 4 -> 2; 200 -> 25; -127 -> -63.5 -> -64 -> clamp; -12700 -> clamp */
	const int8_t want[] = { 12, 35, 10, 10 };
	struct qaccel_gemm_params p = dense(2, 2, 2, QACCEL_GEMM_OUT_INT8 |
					    QACCEL_GEMM_PER_CHANNEL | QACCEL_GEMM_RQ_FP32 |
					    QACCEL_GEMM_A_UINT8 | QACCEL_GEMM_B_UINT8);
	int8_t c[4];

	p.a_zero_point = 128;
	p.b_zero_point = 100;
	p.c_zero_point = 10;
	p.clamp_min = 10;
	p.out_multiplier = 0;	/* per-tensor fields are ignored */
	p.out_shift = 99;
	ASSERT_EQ(0, qaccel_ref_gemm(&p, u8_a, u8_b, NULL, quant, c));
	EXPECT_EQ(0, memcmp(want, c, sizeof(want)));
}

TEST(gemm_fp32_bad_scales_rejected)
{
	/* NaN, +inf, +0, -0, negative, largest subnormal; and a shift */
	static const int32_t bad[] = { 0x7fc00000, 0x7f800000, 0, INT32_MIN,
				       (int32_t)0xbf000000, 0x007fffff };
	struct qaccel_gemm_params p;
	struct qaccel_quant quant[2] = { { 0x3f000000, 0 }, { 0x3f000000, 0 } };
	int8_t a[4] = { 0 }, c[4];

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		p = dense(2, 2, 2, QACCEL_GEMM_OUT_INT8 | QACCEL_GEMM_RQ_FP32);
		p.out_multiplier = bad[i];
		EXPECT_EQ(-EINVAL, qaccel_gemm_params_check(&p));
		p.flags |= QACCEL_GEMM_PER_CHANNEL;
		EXPECT_EQ(0, qaccel_gemm_params_check(&p));
		quant[1].multiplier = bad[i];
		EXPECT_EQ(-EINVAL, qaccel_ref_gemm(&p, a, a, NULL, quant, c));
		quant[1].multiplier = 0x3f000000;
	}
	p = dense(2, 2, 2, QACCEL_GEMM_OUT_INT8 | QACCEL_GEMM_RQ_FP32);
	p.out_multiplier = 0x00800000;	/* FLT_MIN is fine */
	EXPECT_EQ(0, qaccel_gemm_params_check(&p));
	p.out_multiplier = 0x7f7fffff;	/* FLT_MAX too */
	EXPECT_EQ(0, qaccel_gemm_params_check(&p));
	p.out_shift = 1;
	EXPECT_EQ(-EINVAL, qaccel_gemm_params_check(&p));
	p.flags |= QACCEL_GEMM_PER_CHANNEL;
	quant[0].shift = -1;
	EXPECT_EQ(-EINVAL, qaccel_ref_gemm(&p, a, a, NULL, quant, c));
	/* int32 output ignores the requant fields */
	p = dense(2, 2, 2, QACCEL_GEMM_OUT_INT32 | QACCEL_GEMM_RQ_FP32);
	p.out_multiplier = 0x7fc00000;
	EXPECT_EQ(0, qaccel_gemm_params_check(&p));
}

TEST(gemm_single_shift_range_as_gemmlowp)
{
	const struct qaccel_quant quant[] = { { 1 << 30, 0 }, { 1 << 30, 31 } };
	struct qaccel_gemm_params p = dense(2, 2, 2, QACCEL_GEMM_OUT_INT8 |
					    QACCEL_GEMM_RQ_SINGLE);
	int8_t a[4] = { 0 }, c[4];

	p.out_shift = 30;
	EXPECT_EQ(0, qaccel_gemm_params_check(&p));
	p.out_shift = -31;
	EXPECT_EQ(0, qaccel_gemm_params_check(&p));
	p.out_shift = 31;
	EXPECT_EQ(-EINVAL, qaccel_gemm_params_check(&p));
	p.out_shift = -32;
	EXPECT_EQ(-EINVAL, qaccel_gemm_params_check(&p));
	p.out_shift = 0;
	p.flags |= QACCEL_GEMM_PER_CHANNEL;
	EXPECT_EQ(-EINVAL, qaccel_ref_gemm(&p, a, a, NULL, quant, c));
}

TEST(gemm_null_operands_rejected)
{
	struct qaccel_gemm_params p = dense(1, 1, 1, QACCEL_GEMM_OUT_INT32);
	int8_t a = 0;
	int32_t c;

	EXPECT_EQ(-EINVAL, qaccel_ref_gemm(&p, NULL, &a, NULL, NULL, &c));
	EXPECT_EQ(-EINVAL, qaccel_ref_gemm(&p, &a, NULL, NULL, NULL, &c));
	EXPECT_EQ(-EINVAL, qaccel_ref_gemm(&p, &a, &a, NULL, NULL, NULL));
	p.flags |= QACCEL_GEMM_BIAS;
	EXPECT_EQ(-EINVAL, qaccel_ref_gemm(&p, &a, &a, NULL, NULL, &c));
}

TEST(params_check_accepts_valid_jobs)
{
	struct qaccel_gemm_params p = dense(65535, 65535, 65535, QACCEL_GEMM_OUT_INT8);

	EXPECT_EQ(0, qaccel_gemm_params_check(&p));
	p = dense(1, 1, 1, QACCEL_GEMM_OUT_INT32);
	p.clamp_min = 5;	/* clamps are ignored for int32 output */
	p.clamp_max = -5;
	p.out_shift = 1000;
	EXPECT_EQ(0, qaccel_gemm_params_check(&p));
	p = dense(1, 1, 1, QACCEL_GEMM_OUT_UINT8 | QACCEL_GEMM_A_UINT8 |
		  QACCEL_GEMM_B_UINT8);
	p.a_zero_point = 255;
	p.b_zero_point = 0;
	p.c_zero_point = 255;
	p.out_shift = -31;
	EXPECT_EQ(0, qaccel_gemm_params_check(&p));
	p.out_shift = 30;
	EXPECT_EQ(0, qaccel_gemm_params_check(&p));
}

TEST(params_check_rejects_bad_dimensions)
{
	struct qaccel_gemm_params p;

	p = dense(0, 1, 1, QACCEL_GEMM_OUT_INT8);
	EXPECT_EQ(-EINVAL, qaccel_gemm_params_check(&p));
	p = dense(1, 0, 1, QACCEL_GEMM_OUT_INT8);
	EXPECT_EQ(-EINVAL, qaccel_gemm_params_check(&p));
	p = dense(1, 1, 0, QACCEL_GEMM_OUT_INT8);
	EXPECT_EQ(-EINVAL, qaccel_gemm_params_check(&p));
	p = dense(65536, 1, 1, QACCEL_GEMM_OUT_INT8);
	EXPECT_EQ(-EINVAL, qaccel_gemm_params_check(&p));
	p = dense(1, 65536, 1, QACCEL_GEMM_OUT_INT8);
	EXPECT_EQ(-EINVAL, qaccel_gemm_params_check(&p));
	p = dense(1, 1, 65536, QACCEL_GEMM_OUT_INT8);
	EXPECT_EQ(-EINVAL, qaccel_gemm_params_check(&p));
}

TEST(params_check_rejects_short_strides)
{
	struct qaccel_gemm_params p = dense(2, 3, 4, QACCEL_GEMM_OUT_INT8);

	p.lda = 3;
	EXPECT_EQ(-EINVAL, qaccel_gemm_params_check(&p));
	p = dense(2, 3, 4, QACCEL_GEMM_OUT_INT8);
	p.ldb = 3;
	EXPECT_EQ(-EINVAL, qaccel_gemm_params_check(&p));
	p = dense(2, 3, 4, QACCEL_GEMM_OUT_INT8);
	p.ldc = 2;
	EXPECT_EQ(-EINVAL, qaccel_gemm_params_check(&p));
	/* int32 output needs 4 bytes per element */
	p = dense(2, 3, 4, QACCEL_GEMM_OUT_INT32);
	p.ldc = 11;
	EXPECT_EQ(-EINVAL, qaccel_gemm_params_check(&p));
}

TEST(params_check_rejects_bad_flags)
{
	struct qaccel_gemm_params p = dense(1, 1, 1, QACCEL_GEMM_OUT_INT8);

	p.flags |= 1u << 8;
	EXPECT_EQ(-EINVAL, qaccel_gemm_params_check(&p));
	p = dense(1, 1, 1, QACCEL_GEMM_OUT_INT8 | QACCEL_GEMM_RQ_MASK);
	EXPECT_EQ(-EINVAL, qaccel_gemm_params_check(&p));
	/* the invalid family is rejected even where requant is unused */
	p = dense(1, 1, 1, QACCEL_GEMM_OUT_INT32 | QACCEL_GEMM_RQ_MASK);
	EXPECT_EQ(-EINVAL, qaccel_gemm_params_check(&p));
	p = dense(1, 1, 1, QACCEL_GEMM_OUT_MASK);
	EXPECT_EQ(-EINVAL, qaccel_gemm_params_check(&p));
}

TEST(params_check_rejects_out_of_type_zero_points)
{
	struct qaccel_gemm_params p;

	p = dense(1, 1, 1, QACCEL_GEMM_OUT_INT8);
	p.a_zero_point = 128;
	EXPECT_EQ(-EINVAL, qaccel_gemm_params_check(&p));
	p = dense(1, 1, 1, QACCEL_GEMM_OUT_INT8);
	p.b_zero_point = -129;
	EXPECT_EQ(-EINVAL, qaccel_gemm_params_check(&p));
	p = dense(1, 1, 1, QACCEL_GEMM_OUT_INT8 | QACCEL_GEMM_A_UINT8);
	p.a_zero_point = -1;
	EXPECT_EQ(-EINVAL, qaccel_gemm_params_check(&p));
	p = dense(1, 1, 1, QACCEL_GEMM_OUT_INT8 | QACCEL_GEMM_B_UINT8);
	p.b_zero_point = 256;
	EXPECT_EQ(-EINVAL, qaccel_gemm_params_check(&p));
	p = dense(1, 1, 1, QACCEL_GEMM_OUT_INT8);
	p.c_zero_point = 200;
	EXPECT_EQ(-EINVAL, qaccel_gemm_params_check(&p));
	p = dense(1, 1, 1, QACCEL_GEMM_OUT_UINT8);
	p.c_zero_point = -1;
	EXPECT_EQ(-EINVAL, qaccel_gemm_params_check(&p));
}

TEST(params_check_rejects_bad_clamps_and_shift)
{
	struct qaccel_gemm_params p;

	p = dense(1, 1, 1, QACCEL_GEMM_OUT_INT8);
	p.clamp_min = 10;
	p.clamp_max = 9;
	EXPECT_EQ(-EINVAL, qaccel_gemm_params_check(&p));
	p = dense(1, 1, 1, QACCEL_GEMM_OUT_UINT8);
	p.clamp_max = 256;
	EXPECT_EQ(-EINVAL, qaccel_gemm_params_check(&p));
	p = dense(1, 1, 1, QACCEL_GEMM_OUT_INT8);
	p.clamp_min = -129;
	EXPECT_EQ(-EINVAL, qaccel_gemm_params_check(&p));
	p = dense(1, 1, 1, QACCEL_GEMM_OUT_INT8);
	p.out_shift = 31;
	EXPECT_EQ(-EINVAL, qaccel_gemm_params_check(&p));
	p.out_shift = -32;
	EXPECT_EQ(-EINVAL, qaccel_gemm_params_check(&p));
}

TEST_HARNESS_MAIN
