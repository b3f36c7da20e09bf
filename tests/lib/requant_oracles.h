/* SPDX-License-Identifier: MIT */
/*
 * The C side of the gemmlowp oracle of test_requant_oracles.c (the C++
 * file requant_oracle_gemmlowp.cpp runs gemmlowp itself).
 */
#ifndef REQUANT_ORACLES_H
#define REQUANT_ORACLES_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* C (m x n bytes) = gemmlowp's GEMM of A (m x k) by B (n x k) with its
 * output pipeline: + bias[j], the fixed-point scale (multiplier[j],
 * shift[j], only [0] unless per_channel), + c_zp, clamp, cast. */
struct oracle_gemmlowp_job {
	int m, n, k;
	const uint8_t *a, *b;
	int a_u8, b_u8, out_u8, per_channel;
	int a_zp, b_zp, c_zp, clamp_min, clamp_max;
	const int32_t *bias, *multiplier, *shift;
	uint8_t *a_tmp, *b_tmp;		/* m x k and n x k bytes of scratch */
	uint8_t *c;
};

void oracle_gemmlowp(const struct oracle_gemmlowp_job *j);

#ifdef __cplusplus
}
#endif

#endif /* REQUANT_ORACLES_H */
