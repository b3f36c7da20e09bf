/* SPDX-License-Identifier: MIT */
/*
 * Post-training quantization toolkit: the float-side arithmetic that turns a
 * trained network into the integers a qaccel GEMM consumes.
 *
 * Conventions follow TFLite's so that models and numbers carry over:
 *   real = scale * (q - zero_point)
 * asymmetric ranges get TFLite's nudged zero point (zero is exactly
 * representable), symmetric int8 uses the narrow range -127..127 with zero
 * point 0, rounding is half away from zero, and a real multiplier becomes
 * (int32 multiplier, shift) exactly as TFLite's QuantizeMultiplier, which
 * is what qaccel_requant() (and the device) consume.
 *
 * Every function returns 0 or a negative errno (-EINVAL for a bad argument,
 * -ENOMEM); nothing is printed, nothing is kept between calls.  Pure C, no
 * device needed: the functions work on the host as well as in the guest.
 */
#ifndef QACCEL_QUANT_H
#define QACCEL_QUANT_H

#include <stddef.h>
#include <stdint.h>

#include "qaccel_ref.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Element type of a quantized tensor. */
enum qaccel_qtype {
	QACCEL_QTYPE_INT8 = 0,
	QACCEL_QTYPE_UINT8 = 1,
};

/* Quantization scheme for qaccel_qparams_from_range(). */
enum qaccel_qscheme {
	QACCEL_QSCHEME_ASYMMETRIC = 0,	/* full range, nudged zero point */
	QACCEL_QSCHEME_SYMMETRIC = 1,	/* int8 only: -127..127, zero point 0 */
};

/* Activation fused into a GEMM as its output clamp. */
enum qaccel_activation {
	QACCEL_ACT_NONE = 0,
	QACCEL_ACT_RELU = 1,
	QACCEL_ACT_RELU6 = 2,
};

/* real = scale * (q - zero_point), q clamped to [qmin, qmax]. */
struct qaccel_qparams {
	float scale;
	int32_t zero_point;
	int32_t qmin, qmax;
	enum qaccel_qtype type;
};

/*
 * Affine parameters for the float range [min, max].  The range is first
 * widened to include 0 (so that zero padding and ReLU's zero are exact).
 * Asymmetric: scale = (max - min) / (qmax - qmin), zero point nudged to
 * the nearest integer as TFLite's ChooseQuantizationParams does.
 * Symmetric (int8 only): scale = max(|min|, |max|) / 127, zero point 0.
 * An all-zero range gives scale 1 and zero point 0 (everything quantizes
 * to 0), where TFLite would give a scale of 0 that no multiplier can use.
 * -EINVAL: NaN or infinite bounds, min > max, symmetric uint8.
 * -ERANGE: a range so narrow (under about 255 x FLT_MIN, i.e. denormal
 * bounds) that its scale would round to 0.0f; *out is not written.
 */
int qaccel_qparams_from_range(float min, float max, enum qaccel_qtype type,
			      enum qaccel_qscheme scheme,
			      struct qaccel_qparams *out);

/*
 * TFLite's QuantizeMultiplier: real = multiplier * 2^(shift - 31), with
 * multiplier in [2^30, 2^31) (0 for real == 0), rounding to nearest; a
 * mantissa that rounds up to 2^31 is halved and the shift incremented.
 * Shifts below -31 flush to (0, 0); above 30 saturate to (2^31 - 1, 30).
 * -EINVAL: real negative, NaN or infinite.
 */
int qaccel_quantize_multiplier(double real, int32_t *multiplier,
			       int32_t *shift);

/*
 * The fp32 requantization scale (a QACCEL_GEMM_RQ_FP32 job's multiplier)
 * as each framework computes it from its tensors' scales: the same binary32
 * operations in the same order, each rounded to nearest even, so that the
 * job reproduces the framework's output bytes.
 *   ONNX Runtime QLinearMatMul:      fl(fl(a_scale * b_scale) / y_scale)
 *   XNNPACK qs8/qu8 fully connected: fl(fl(input_scale * kernel_scale) /
 *                                       output_scale)
 *   PyTorch (QNNPACK backend):       fl(fl(weight_scale * input_scale) *
 *                                       fl(1 / output_scale))
 * The two forms differ in the last bit for some scales (about one triple
 * in four), and then in output bytes at ties.  -EINVAL: an argument that
 * is not positive, normal and finite, or a NULL scale.  -ERANGE: the result
 * is not positive, normal and finite (no job can use it), or for XNNPACK
 * is 256 or more (XNNPACK refuses such an operator).
 */
int qaccel_scale_onnxruntime(float a_scale, float b_scale, float y_scale,
			     float *scale);
int qaccel_scale_xnnpack(float input_scale, float kernel_scale,
			 float output_scale, float *scale);
int qaccel_scale_pytorch_qnnpack(float input_scale, float weight_scale,
				 float output_scale, float *scale);
/*
 * The int32 an FP32 job carries for scale (its IEEE-754 binary32 bits), for
 * out_multiplier or a per-channel record's multiplier (with shift 0).
 * -EINVAL: scale not positive, normal and finite (the job would be
 * rejected), or multiplier NULL.
 */
int qaccel_fp32_multiplier(float scale, int32_t *multiplier);

/*
 * Quantize n floats to qp->type (int8_t or uint8_t elements of out):
 * q = clamp(round(x / scale) + zero_point, qmin, qmax), rounding half away
 * from zero; NaN quantizes to the zero point.
 */
int qaccel_quantize(const float *x, size_t n, const struct qaccel_qparams *qp,
		    void *out);
/* real = scale * (q - zero_point) for n elements of qp->type. */
int qaccel_dequantize(const void *q, size_t n, const struct qaccel_qparams *qp,
		      float *out);

/*
 * Per-channel symmetric int8 weights: w is channels x k floats (row stride
 * ldw floats), one row per output channel (a qaccel GEMM's B).  For each
 * row c: scales[c] = max|w[c][.]| / 127 (1 for an all-zero row) and
 * q[c][.] = clamp(round(w / scales[c]), -127, 127), written with row
 * stride ldq bytes.
 */
int qaccel_quantize_per_channel(const float *w, uint32_t channels, uint32_t k,
				size_t ldw, int8_t *q, size_t ldq,
				float *scales);

/* Calibration: the range [*min, *max] to quantize a tensor's values with. */

/* The plain observed range.  -EINVAL for n == 0 or a NaN among x. */
int qaccel_calib_minmax(const float *x, size_t n, float *min, float *max);
/*
 * An outlier-robust range: the lower (100 - percentile) and upper
 * percentile of x, e.g. percentile = 99.99 ignores the 0.01% most extreme
 * values at each end (nearest-rank on a sorted copy).  percentile in
 * (50, 100]; 100 is min/max.  -ENOMEM when the copy cannot be made.
 */
int qaccel_calib_percentile(const float *x, size_t n, double percentile,
			    float *min, float *max);

/*
 * Bias of a GEMM whose A has scale in_scale and whose B channel j has
 * scale w_scales[j]: bias_q[j] = round(bias[j] / (in_scale * w_scales[j])),
 * saturated to int32.  That is the accumulator's own scale, so it adds
 * straight into the int32 sum.
 */
int qaccel_quantize_bias(const float *bias, uint32_t n, float in_scale,
			 const float *w_scales, int32_t *bias_q);

/*
 * Fill a GEMM's requantization from its scales, in the family p->flags
 * already names (QACCEL_GEMM_RQ_*; 3 is -EINVAL): for each of the n output
 * channels quant[j] = QuantizeMultiplier(in_scale * w_scales[j] /
 * out->scale) for GEMMLOWP and SINGLE, or for FP32 {the binary32 bits of
 * fl(fl(in_scale * w_scales[j]) / out->scale), 0} (-ERANGE when that is not
 * a positive normal float), c_zero_point = out->zero_point, the clamp from the
 * activation (NONE: [qmin, qmax]; RELU: [zero_point, qmax]; RELU6: up to
 * the quantized 6.0 as well), flags |= PER_CHANNEL and the output type;
 * with bias != NULL also bias_q (qaccel_quantize_bias) and flags |= BIAS.
 * Shape, strides, input flags and zero points of p are left to the caller.
 */
int qaccel_gemm_requant(float in_scale, const float *w_scales, uint32_t n,
			const struct qaccel_qparams *out,
			enum qaccel_activation act, const float *bias,
			struct qaccel_gemm_params *p,
			struct qaccel_quant *quant, int32_t *bias_q);

#ifdef __cplusplus
}
#endif

#endif /* QACCEL_QUANT_H */
