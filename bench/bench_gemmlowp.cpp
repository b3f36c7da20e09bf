// SPDX-License-Identifier: MIT
/*
 * bench_gemmlowp: the one C++ file of bench/, a thin extern "C" door to
 * gemmlowp (header-only C++) for bench_cpu.c.  Nothing else belongs here.
 *
 * gemmlowp's public GEMM takes uint8 operands with int32 offsets added to
 * them, so an int8 operand x with zero point zp is passed as u = x ^ 0x80
 * (= x + 128) with offset -(128 + zp): (u + offset) == (x - zp) exactly.
 * The empty output pipeline keeps the raw int32 accumulators, which is
 * qaccel's QACCEL_GEMM_OUT_INT32.
 */
#include <cstdint>
#include <tuple>

#include <gemmlowp/public/gemmlowp.h>

extern "C" int bench_gemmlowp_s8s8s32(int m, int n, int k, const int8_t *a, const int8_t *b,
				      int a_zero_point, int b_zero_point, uint8_t *a_u8,
				      uint8_t *b_u8, int32_t *c);

extern "C" int bench_gemmlowp_s8s8s32(int m, int n, int k, const int8_t *a, const int8_t *b,
				      int a_zero_point, int b_zero_point, uint8_t *a_u8,
				      uint8_t *b_u8, int32_t *c)
{
	// One thread, like the other CPU implementations in bench_cpu.
	static gemmlowp::GemmContext context;

	context.set_max_num_threads(1);
	for (long i = 0; i < (long)m * k; i++)
		a_u8[i] = (uint8_t)a[i] ^ 0x80;
	for (long i = 0; i < (long)n * k; i++)
		b_u8[i] = (uint8_t)b[i] ^ 0x80;
	// A is M x K row-major; B (N x K row-major) is the K x N rhs in column-major.
	gemmlowp::MatrixMap<const uint8_t, gemmlowp::MapOrder::RowMajor> lhs(a_u8, m, k, k);
	gemmlowp::MatrixMap<const uint8_t, gemmlowp::MapOrder::ColMajor> rhs(b_u8, k, n, k);
	gemmlowp::MatrixMap<int32_t, gemmlowp::MapOrder::RowMajor> result(c, m, n, n);

	gemmlowp::GemmWithOutputPipeline<uint8_t, int32_t, gemmlowp::DefaultL8R8BitDepthParams>(
		&context, lhs, rhs, &result, -(128 + a_zero_point), -(128 + b_zero_point),
		std::make_tuple());
	return 0;
}
