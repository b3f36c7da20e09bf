// SPDX-License-Identifier: MIT
/*
 * qsim_func_compute: what qaccel_array and qaccel_post compute for one
 * tile, in the functional model (qsim_func_priv.h): qaccel_ref_gemm(), the
 * project's reference, on the tile's operands gathered through the page
 * tables, into scratch buffers kept between jobs.
 */
#include <stdlib.h>

#include "qsim_func_priv.h"

/* At least size bytes in s (kept for the next job); NULL when out of memory. */
static void *scratch(struct scratch *s, size_t size)
{
	if (size > s->size) {
		void *p = malloc(size);

		if (!p)
			return NULL;
		free(s->p);
		s->p = p;
		s->size = size;
	}
	return s->p;
}

/* Scratch for one tile of g's shape (C: two, for paired rows); false when out of memory. */
bool qf_scratch_reserve(struct qsim_func *f, const struct gemm *g)
{
	uint32_t k = g->d.k;

	return scratch(&f->a, (size_t)g->t_rows * k) && scratch(&f->b, (size_t)g->t_cols * k) &&
	       scratch(&f->c, (size_t)2 * g->t_rows * g->t_cols * 4) &&
	       scratch(&f->bias, (size_t)g->t_cols * 4) && scratch(&f->quant, (size_t)g->t_cols * 8);
}

static bool gather_rows(struct qsim_func *f, const struct qaccel_hw_buf *b, uint32_t ld,
			uint32_t row0, uint32_t rows, uint32_t len, uint8_t *dst)
{
	for (uint32_t r = 0; r < rows; r++)
		if (!qf_buf_copy(f, b, b->offset + (uint64_t)(row0 + r) * ld,
				 dst + (size_t)r * len, len, false))
			return false;
	return true;
}

/*
 * A tile's mv x nv results into the C scratch, from operands gathered
 * through the page tables (the walk has just read them; failing now means
 * memory changed under the job).  A row block's A is gathered once.
 */
bool qf_tile_result(struct qsim_func *f, struct gemm *g, const struct tile *t, uint32_t mv,
		    uint32_t nv, void *out)
{
	const struct qaccel_hw_desc *d = &g->d;
	struct qaccel_gemm_params p = {
		.m = mv, .n = nv, .k = d->k, .lda = d->k, .ldb = d->k, .ldc = nv * g->esz,
		.flags = d->flags, .a_zero_point = d->a_zero_point,
		.b_zero_point = d->b_zero_point, .c_zero_point = d->c_zero_point,
		.clamp_min = d->clamp_min, .clamp_max = d->clamp_max,
		.out_multiplier = d->out_multiplier, .out_shift = d->out_shift,
	};

	if (!g->a_valid || g->a_m0 != t->m0) {
		if (!gather_rows(f, &d->a, d->lda, t->m0, mv, d->k, f->a.p))
			return qf_job_error(g, QACCEL_ERR_DMA_FAULT, STREAM_A);
		g->a_valid = true;
		g->a_m0 = t->m0;
	}
	if (!gather_rows(f, &d->b, d->ldb, t->n0, nv, d->k, f->b.p))
		return qf_job_error(g, QACCEL_ERR_DMA_FAULT, STREAM_B);
	if (g->bias && !qf_buf_copy(f, &d->bias, d->bias.offset + (uint64_t)t->n0 * 4, f->bias.p,
				 (uint64_t)nv * 4, false))
		return qf_job_error(g, QACCEL_ERR_DMA_FAULT, STREAM_BIAS);
	if (g->per_channel && !qf_buf_copy(f, &d->quant, d->quant.offset + (uint64_t)t->n0 * 8,
					f->quant.p, (uint64_t)nv * 8, false))
		return qf_job_error(g, QACCEL_ERR_DMA_FAULT, STREAM_QUANT);
	if (qaccel_ref_gemm(&p, f->a.p, f->b.p, f->bias.p, f->quant.p, out)) {
		/* Only a per-channel record that changed since the check does this. */
		g->status = QACCEL_ERR_BAD_PARAM;
		g->detail = 0;
		return false;
	}
	return true;
}
