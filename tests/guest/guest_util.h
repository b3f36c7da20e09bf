/* SPDX-License-Identifier: MIT */
/*
 * Small helpers every guest test program may use, whatever interface it
 * tests: the operand generator, the output element size of a GEMM's flags
 * and the build directory the program runs from.
 */
#ifndef QACCEL_GUEST_UTIL_H
#define QACCEL_GUEST_UTIL_H

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "qaccel_prng.h"
#include "qaccel_ref.h"

/* Operands reproducible from a test's seed: the project's one PRNG. */
static inline uint64_t gc_rand(uint64_t *s)
{
	return prng_next(s);
}

/*
 * Compare got[0, bytes) with the reference: qaccel_ref_gemm() computes C
 * into a copy that starts as the tests' C does (0x5a everywhere) with C at
 * c_offset of c_size bytes.  -1 when they are equal, the byte index of the
 * first difference, or -2 when the reference refuses p or memory runs out.
 */
static inline long gc_ref_mismatch(const struct qaccel_gemm_params *p, const void *a,
				   const void *b, const int32_t *bias,
				   const struct qaccel_quant *quant, const void *got,
				   size_t bytes, size_t c_offset, size_t c_size)
{
	uint8_t *want = malloc(c_size);
	long bad = -1;

	if (!want)
		return -2;
	memset(want, 0x5a, c_size);
	if (qaccel_ref_gemm(p, a, b, bias, quant, want + c_offset)) {
		free(want);
		return -2;
	}
	for (size_t i = 0; i < bytes; i++) {
		if (((const uint8_t *)got)[i] != want[i]) {
			bad = (long)i;
			break;
		}
	}
	free(want);
	return bad;
}

static inline uint32_t gc_out_size(uint32_t flags)
{
	return (flags & QACCEL_GEMM_OUT_MASK) == QACCEL_GEMM_OUT_INT32 ? 4 : 1;
}

/*
 * The parameters of an m x n x k GEMM with the given flags: dense strides,
 * zero points and a requantization that keep outputs spread over the
 * int8/uint8 range.
 */
static inline struct qaccel_gemm_params gc_params(uint32_t m, uint32_t n,
						  uint32_t k, uint32_t flags)
{
	uint32_t out = flags & QACCEL_GEMM_OUT_MASK;

	return (struct qaccel_gemm_params){
		.m = m, .n = n, .k = k,
		.lda = k, .ldb = k, .ldc = n * gc_out_size(flags),
		.flags = flags,
		.a_zero_point = flags & QACCEL_GEMM_A_UINT8 ? 128 : -3,
		.b_zero_point = flags & QACCEL_GEMM_B_UINT8 ? 120 : 5,
		.c_zero_point = out == QACCEL_GEMM_OUT_UINT8 ? 128 : -7,
		.clamp_min = out == QACCEL_GEMM_OUT_UINT8 ? 0 : -128,
		.clamp_max = out == QACCEL_GEMM_OUT_UINT8 ? 255 : 127,
		.out_multiplier = 1518500250,
		.out_shift = -9,
	};
}

/*
 * Random operands for @p from @seed: A (m x k), B (n x k), bias[n] and
 * per-channel records[n]; C is filled with 0x5a so that unwritten
 * elements show.
 */
static inline void gc_fill(const struct qaccel_gemm_params *p, uint64_t seed,
			   void *a, void *b, void *c, int32_t *bias,
			   struct qaccel_quant *quant)
{
	uint64_t s = seed * 0x9e3779b97f4a7c15ull + 1;

	for (size_t i = 0; i < (size_t)p->m * p->k; i++)
		((uint8_t *)a)[i] = (uint8_t)(gc_rand(&s) >> 56);
	for (size_t i = 0; i < (size_t)p->n * p->k; i++)
		((uint8_t *)b)[i] = (uint8_t)(gc_rand(&s) >> 56);
	for (uint32_t j = 0; j < p->n; j++) {
		bias[j] = (int32_t)(gc_rand(&s) % 40001) - 20000;
		quant[j].multiplier = (int32_t)(0x40000000 + gc_rand(&s) % 0x3fffffff);
		quant[j].shift = -(int32_t)(7 + gc_rand(&s) % 4);
	}
	memset(c, 0x5a, (size_t)p->m * p->ldc);
}

/*
 * The build directory the running program came from (the guest sees the
 * host tree at the same path): .../build/tests/guest/NAME -> .../build.
 */
static inline int gc_build_dir(char *out, size_t len)
{
	ssize_t n = readlink("/proc/self/exe", out, len - 1);

	if (n <= 0)
		return -1;
	out[n] = 0;
	for (int i = 0; i < 3; i++) {
		char *slash = strrchr(out, '/');

		if (!slash)
			return -1;
		*slash = 0;
	}
	return 0;
}

#endif /* QACCEL_GUEST_UTIL_H */
