// SPDX-License-Identifier: MIT
/*
 * The runtime's convolution lowering on the host: im2col (qo_im2col) and
 * the GEMM the device runs (qaccel_ref_gemm, the device's reference)
 * against a direct convolution, over random shapes, strides, dilations,
 * pads, types and zero points.
 */
#include <stdlib.h>
#include <string.h>

#include "kselftest_harness.h"
#include "qaccel_prng.h"
#include "qaccel_onnx_internal.h"

/* Uniform in [0, n). */
static uint32_t below(uint64_t *rng, uint32_t n)
{
	return (uint32_t)(prng_next(rng) % n);
}

static int32_t elem(const uint8_t *p, size_t i, bool u8)
{
	return u8 ? p[i] : (int8_t)p[i];
}

TEST(im2col_gemm_equals_direct_convolution)
{
	uint64_t rng = prng_seed(42);
	int cases = 0;

	for (int t = 0; t < 200; t++) {
		uint32_t nb = 1 + below(&rng, 2), ch = 1 + below(&rng, 4);
		uint32_t h = 1 + below(&rng, 12), w = 1 + below(&rng, 12);
		uint32_t kh = 1 + below(&rng, 4), kw = 1 + below(&rng, 4);
		uint32_t co = 1 + below(&rng, 6);
		int64_t stride[2] = { 1 + below(&rng, 3), 1 + below(&rng, 3) };
		int64_t dil[2] = { 1 + below(&rng, 2), 1 + below(&rng, 2) };
		int64_t pad[4];
		bool xu8 = below(&rng, 2), wu8 = below(&rng, 2);
		int32_t xzp, wzp;
		int64_t oh, ow;
		uint32_t k = ch * kh * kw;
		struct qaccel_gemm_params p = { 0 };
		uint8_t *x, *wt, *a;
		int32_t *c;

		for (int i = 0; i < 4; i++)
			pad[i] = below(&rng, 3);
		oh = (h + pad[0] + pad[2] - (dil[0] * (kh - 1) + 1));
		ow = (w + pad[1] + pad[3] - (dil[1] * (kw - 1) + 1));
		if (oh < 0 || ow < 0)
			continue;
		oh = oh / stride[0] + 1;
		ow = ow / stride[1] + 1;
		xzp = xu8 ? (int32_t)below(&rng, 256) : (int32_t)below(&rng, 256) - 128;
		wzp = wu8 ? (int32_t)below(&rng, 256) : (int32_t)below(&rng, 256) - 128;
		x = malloc((size_t)nb * ch * h * w);
		wt = malloc((size_t)co * k);
		a = malloc((size_t)nb * oh * ow * k);
		c = malloc((size_t)nb * oh * ow * co * 4);
		for (size_t i = 0; i < (size_t)nb * ch * h * w; i++)
			x[i] = (uint8_t)below(&rng, 256);
		for (size_t i = 0; i < (size_t)co * k; i++)
			wt[i] = (uint8_t)below(&rng, 256);

		qo_im2col(x, nb, ch, h, w, kh, kw, (uint32_t)oh, (uint32_t)ow, stride, dil, pad,
			  (uint8_t)xzp, a);
		p.m = (uint32_t)(nb * oh * ow);
		p.n = co;
		p.k = k;
		p.lda = p.ldb = k;
		p.ldc = co * 4;
		p.flags = QACCEL_GEMM_OUT_INT32 | (xu8 ? QACCEL_GEMM_A_UINT8 : 0) |
			  (wu8 ? QACCEL_GEMM_B_UINT8 : 0);
		p.a_zero_point = xzp;
		p.b_zero_point = wzp;
		ASSERT_EQ(0, qaccel_ref_gemm(&p, a, wt, NULL, NULL, c));

		for (uint32_t b = 0; b < nb; b++)
			for (uint32_t o = 0; o < co; o++)
				for (int64_t y = 0; y < oh; y++)
					for (int64_t xo = 0; xo < ow; xo++) {
						int32_t acc = 0;

						for (uint32_t cc = 0; cc < ch; cc++)
							for (uint32_t i = 0; i < kh; i++)
								for (uint32_t j = 0; j < kw; j++) {
									int64_t iy = y * stride[0] - pad[0] + i * dil[0];
									int64_t ix = xo * stride[1] - pad[1] + j * dil[1];
									int32_t xv = 0;

									if (iy >= 0 && iy < h && ix >= 0 && ix < w)
										xv = elem(x, ((b * ch + cc) * h + iy) * w + ix, xu8) - xzp;
									acc += xv * (elem(wt, ((o * ch + cc) * kh + i) * kw + j, wu8) - wzp);
								}
						ASSERT_EQ(acc, c[((b * oh + y) * ow + xo) * co + o])
							TH_LOG("case %d: b %u o %u y %lld x %lld", t, b, o,
							       (long long)y, (long long)xo);
					}
		free(x);
		free(wt);
		free(a);
		free(c);
		cases++;
	}
	ksft_print_msg("%d convolutions compared\n", cases);
	fflush(stdout);
	EXPECT_GT(cases, 100);
}

TEST_HARNESS_MAIN
