// SPDX-License-Identifier: MIT
/*
 * The gemmlowp oracle of test_requant_oracles.c: a thin extern "C" door to
 * gemmlowp (header-only C++, Debian's libgemmlowp-dev).  Nothing else
 * belongs here; the cases and the comparison are in the C test.
 *
 * gemmlowp's GEMM takes uint8 operands with int32 offsets added to them, so
 * an int8 operand x with zero point zp is passed as u = x ^ 0x80 (= x + 128)
 * with offset -(128 + zp): (u + offset) == (x - zp) exactly.  The output
 * pipeline is gemmlowp's own: bias addition, the fixed-point scale stage
 * (QuantizeDownInt32ByFixedPoint for a per-tensor right shift,
 * ScaleInt32ByFixedPointAndExponent for a per-tensor left shift, its PC
 * variant per channel), then clamp and the saturating cast.  Built with
 * -fwrapv: gemmlowp's left shift and additions wrap modulo 2^32 as the
 * SIMD code paths do.
 */
#include <cstdint>
#include <tuple>

#include <gemmlowp/public/gemmlowp.h>

#include "requant_oracles.h"

namespace {

template <typename OutType, typename CastStage, typename ScaleStage>
void run(const struct oracle_gemmlowp_job *j, const ScaleStage &scale, CastStage cast)
{
	static gemmlowp::GemmContext context;

	context.set_max_num_threads(1);
	gemmlowp::MatrixMap<const uint8_t, gemmlowp::MapOrder::RowMajor> lhs(j->a_tmp, j->m, j->k,
									      j->k);
	gemmlowp::MatrixMap<const uint8_t, gemmlowp::MapOrder::ColMajor> rhs(j->b_tmp, j->k, j->n,
									      j->k);
	gemmlowp::MatrixMap<OutType, gemmlowp::MapOrder::RowMajor> result((OutType *)j->c, j->m,
									  j->n, j->n);
	gemmlowp::VectorMap<const int32_t, gemmlowp::VectorShape::Row> bias(j->bias, j->n);
	gemmlowp::OutputStageBiasAddition<decltype(bias)> bias_stage;
	gemmlowp::OutputStageClamp clamp;

	bias_stage.bias_vector = bias;
	clamp.min = j->clamp_min;
	clamp.max = j->clamp_max;
	gemmlowp::GemmWithOutputPipeline<uint8_t, OutType, gemmlowp::DefaultL8R8BitDepthParams>(
		&context, lhs, rhs, &result, j->a_u8 ? -j->a_zp : -(128 + j->a_zp),
		j->b_u8 ? -j->b_zp : -(128 + j->b_zp),
		std::make_tuple(bias_stage, scale, clamp, cast));
}

template <typename OutType, typename CastStage>
void run_scaled(const struct oracle_gemmlowp_job *j, CastStage cast)
{
	if (j->per_channel) {
		gemmlowp::OutputStageScaleInt32ByFixedPointAndExponentPC<gemmlowp::VectorShape::Row>
			s;

		s.result_fixedpoint_multiplier =
			gemmlowp::VectorMap<const int32_t, gemmlowp::VectorShape::Row>(
				j->multiplier, j->n);
		s.result_exponent = gemmlowp::VectorMap<const int32_t, gemmlowp::VectorShape::Row>(
			j->shift, j->n);
		s.result_offset_after_shift = j->c_zp;
		run<OutType>(j, s, cast);
	} else if (j->shift[0] <= 0) {
		gemmlowp::OutputStageQuantizeDownInt32ByFixedPoint s;

		s.result_fixedpoint_multiplier = j->multiplier[0];
		s.result_shift = -j->shift[0];
		s.result_offset_after_shift = j->c_zp;
		run<OutType>(j, s, cast);
	} else {
		gemmlowp::OutputStageScaleInt32ByFixedPointAndExponent s;

		s.result_fixedpoint_multiplier = j->multiplier[0];
		s.result_exponent = j->shift[0];
		s.result_offset_after_shift = j->c_zp;
		run<OutType>(j, s, cast);
	}
}

} // namespace

extern "C" void oracle_gemmlowp(const struct oracle_gemmlowp_job *j)
{
	for (long i = 0; i < (long)j->m * j->k; i++)
		j->a_tmp[i] = j->a_u8 ? j->a[i] : j->a[i] ^ 0x80;
	for (long i = 0; i < (long)j->n * j->k; i++)
		j->b_tmp[i] = j->b_u8 ? j->b[i] : j->b[i] ^ 0x80;
	if (j->out_u8)
		run_scaled<uint8_t>(j, gemmlowp::OutputStageSaturatingCastToUint8());
	else
		run_scaled<int8_t>(j, gemmlowp::OutputStageSaturatingCastToInt8());
}
