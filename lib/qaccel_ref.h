/* SPDX-License-Identifier: MIT */
/*
 * The CPU reference for everything the device computes.  It is the only
 * reference in the project: the library exports it (qaccel.h includes this
 * header), and the RTL tests, the driver tests and the demo all check the
 * device against it.  It has no dependencies beyond libc, so the host RTL
 * tests link lib/qaccel_ref.c directly.
 */
#ifndef QACCEL_REF_H
#define QACCEL_REF_H

#include <stdint.h>
#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/*
 * Flags: the same bits as the device descriptor and the uapi.  This header
 * stays self-contained (host tests and the installed library use it
 * without the kernel's or the device's headers), so these values and the
 * limits below are copies; tests/hw/iface_check compares every one with
 * include/qaccel_hw.h and the uapi.
 */
#define QACCEL_GEMM_A_UINT8	(1u << 0)
#define QACCEL_GEMM_B_UINT8	(1u << 1)
#define QACCEL_GEMM_OUT_INT32	(0u << 2)
#define QACCEL_GEMM_OUT_INT8	(1u << 2)
#define QACCEL_GEMM_OUT_UINT8	(2u << 2)
#define QACCEL_GEMM_OUT_MASK	(3u << 2)
#define QACCEL_GEMM_BIAS	(1u << 4)
#define QACCEL_GEMM_PER_CHANNEL	(1u << 5)
/*
 * Requantization family (int8/uint8 output only; see qaccel_requant*()
 * below and docs/quantization.md).  Value 3 is not a family: -EINVAL.
 */
#define QACCEL_GEMM_RQ_GEMMLOWP	(0u << 6)
#define QACCEL_GEMM_RQ_SINGLE	(1u << 6)
#define QACCEL_GEMM_RQ_FP32	(2u << 6)
#define QACCEL_GEMM_RQ_MASK	(3u << 6)
#define QACCEL_GEMM_FLAGS_ALL	0xffu

/* Limits of a valid job: M, N and K, and a requantization shift. */
#define QACCEL_GEMM_MAX_DIM	65535u
#define QACCEL_GEMM_SHIFT_MIN	(-31)
#define QACCEL_GEMM_SHIFT_MAX	30

/*
 * Per-output-channel requantization record, as the device reads it.
 * GEMMLOWP and SINGLE: a Q31 multiplier and a shift.  FP32: multiplier
 * holds the IEEE-754 binary32 bits of the scale (positive, normal,
 * finite) and shift is 0.
 */
struct qaccel_quant {
	int32_t multiplier;
	int32_t shift;		/* > 0 shifts left; QACCEL_GEMM_SHIFT_MIN..MAX; 0 for FP32 */
};

/*
 * The shape and arithmetic of one GEMM:
 *   C[i][j] = out(sum_k (A[i][k] - a_zp) * (B[j][k] - b_zp) + bias[j])
 * A is m x k (lda bytes between rows), B is n x k (ldb), C is m x n (ldc
 * bytes between rows; int32 elements for QACCEL_GEMM_OUT_INT32, else one
 * byte).  Accumulation wraps modulo 2^32.  For int8/uint8 output, out() is
 * qaccel_requant() with the per-tensor or per-channel multiplier and shift,
 * then + c_zero_point and a clamp to [clamp_min, clamp_max].
 * Zero points and clamps are values of their element's type (-128..127 for
 * int8, 0..255 for uint8).
 */
struct qaccel_gemm_params {
	uint32_t m, n, k;
	uint32_t lda, ldb, ldc;
	uint32_t flags;
	int32_t a_zero_point, b_zero_point, c_zero_point;
	int32_t clamp_min, clamp_max;
	int32_t out_multiplier;
	int32_t out_shift;
};

/* gemmlowp's SaturatingRoundingDoublingHighMul. */
int32_t qaccel_srdhm(int32_t a, int32_t b);
/* gemmlowp's RoundingDivideByPOT, exponent 0..31. */
int32_t qaccel_rdbypot(int32_t x, int exponent);
/*
 * TFLite's MultiplyByQuantizedMultiplier: a left shift (shift > 0, wrapping
 * modulo 2^32), srdhm by multiplier, then a rounding right shift (shift < 0).
 */
int32_t qaccel_requant(int32_t acc, int32_t multiplier, int32_t shift);
/*
 * Single rounding (TFLite with TFLITE_SINGLE_ROUNDING, ruy, XNNPACK rndnu):
 * the exact 64-bit acc * multiplier, + 2^(30 - shift), arithmetically
 * shifted right by 31 - shift (1..62), i.e. rounded to nearest with ties
 * toward +infinity, saturated to int32.  shift -31..30.
 */
int32_t qaccel_requant_single(int32_t acc, int32_t multiplier, int32_t shift);
/*
 * fp32 scale (ONNX Runtime, XNNPACK fp32, PyTorch): float(acc) rounded to
 * nearest even, times scale rounded to nearest even, rounded to an integer
 * with ties to even, saturated to int32 (+-infinity saturate; -0.0 is 0).
 * scale must be positive, normal and finite (as the job check enforces).
 * Assumes the default floating-point environment (round to nearest even).
 */
int32_t qaccel_requant_fp32(int32_t acc, float scale);

/*
 * Compute C on the CPU exactly as the device does.  bias (n int32) is read
 * only with QACCEL_GEMM_BIAS, quant (n records) only with
 * QACCEL_GEMM_PER_CHANNEL.  Returns 0, or -EINVAL when the parameters are
 * not a valid job (the same rules the kernel applies to sizes and ranges).
 */
int qaccel_ref_gemm(const struct qaccel_gemm_params *p, const void *a,
		    const void *b, const int32_t *bias,
		    const struct qaccel_quant *quant, void *c);

/* 0 when p describes a valid job; -EINVAL otherwise. */
int qaccel_gemm_params_check(const struct qaccel_gemm_params *p);

#ifdef __cplusplus
}
#endif

#endif /* QACCEL_REF_H */
