// SPDX-License-Identifier: MIT
/*
 * qsim_func_engine: qaccel_core's loader and post engine in the functional
 * model (qsim_func_priv.h, struct gemm): every request they issue, in their
 * order, over the same tiles (rows x cols x QACCEL_UARCH_K_CHUNK, or GEMV's
 * 1 x ch x slot for small M on arrays with GEMV lanes), one step at a time,
 * with the cycle estimate of each step.
 */
#include <stdio.h>
#include <string.h>

#include "qsim_func_priv.h"

/* A GEMV lane's multipliers (one beat of K): QACCEL_UARCH_GEMV_MIN_PES. */
#define GEMV_LANE	QACCEL_UARCH_GEMV_MIN_PES

/* GEMV lanes of GEMV_LANE multipliers each; none below QACCEL_UARCH_GEMV_MIN_PES. */
uint32_t qf_gemv_lanes(const struct qsim_func *f)
{
	uint32_t pes = f->rows * f->cols;

	if (pes < QACCEL_UARCH_GEMV_MIN_PES)
		return 0;
	return min_u32(pes / GEMV_LANE, QACCEL_UARCH_GEMV_MAX_LANES);
}

/*
 * GEMV mode (arrays with GEMV lanes, M x cols < GEMV_LANE): one row of A,
 * K in equal chunks of at most QACCEL_UARCH_GEMV_K bytes, slots of the
 * chunk rounded up to a power of two (at least a beat), as many channels as
 * the bank's A and B areas hold slots after A's, at most cols.
 */
static void tile_shape(const struct qsim_func *f, struct gemm *g)
{
	uint32_t bank = (f->rows + f->cols) * QACCEL_UARCH_K_CHUNK, slot = BEAT, chunks;

	g->gemv = qf_gemv_lanes(f) && g->d.m * f->cols < GEMV_LANE;
	/* qaccel_top's Banks and PostPair, and qaccel_cmd's job_t.last_bank. */
	g->banks = QACCEL_UARCH_MAX_BANKS;
	g->pair = f->rows * f->cols >= QACCEL_UARCH_PAIR_MIN_PES;
	if (!g->gemv) {
		/*
		 * K in equal chunks of at most a bank's K (qaccel_cmd's t_k);
		 * K of two chunks uses two banks, each keeping one k0 of A
		 * (job_t.last_bank).
		 */
		chunks = (g->d.k + QACCEL_UARCH_K_CHUNK - 1) / QACCEL_UARCH_K_CHUNK;
		if (chunks == 2)
			g->banks = 2;
		g->t_rows = f->rows;
		g->t_cols = f->cols;
		g->t_k = chunks ? (g->d.k + chunks - 1) / chunks : QACCEL_UARCH_K_CHUNK;
		return;
	}
	/*
	 * K in equal chunks of whole beats, two made three with three banks
	 * (qaccel_cmd).
	 */
	chunks = (g->d.k + QACCEL_UARCH_GEMV_K - 1) / QACCEL_UARCH_GEMV_K;
	if (chunks == 2 && g->banks > 2)
		chunks = g->banks;
	g->t_k = chunks ? ((g->d.k + chunks - 1) / chunks + BEAT - 1) / BEAT * BEAT :
			  QACCEL_UARCH_GEMV_K;
	while (slot < QACCEL_UARCH_GEMV_K && g->t_k > slot)
		slot *= 2;
	g->slot = slot;
	g->t_rows = 1;
	g->t_cols = min_u32(f->cols, bank / slot - 1);
}

/*
 * The array's cycles for one chunk: its feed (the skew's fill and drain
 * overlap the next chunk's feed, qaccel_compute), or GEMV's lines.
 */
static uint64_t chunk_cycles(const struct qsim_func *f, const struct gemm *g, uint32_t nv,
			     uint32_t kl)
{
	uint32_t lanes = qf_gemv_lanes(f);

	if (g->gemv)
		return (uint64_t)(nv + lanes - 1) / lanes * ((kl + BEAT - 1) / BEAT) + 2;
	return kl;
}

bool qf_job_error(struct gemm *g, uint16_t status, enum stream s)
{
	g->status = status;
	g->detail = (uint32_t)s + 1;
	return false;
}

/* A load; GEMV's B is marked sequential for the DMA's stream buffer. */
static bool dma_read(struct qsim_func *f, struct gemm *g, enum stream s,
		     const struct qaccel_hw_buf *b, uint64_t x, uint32_t len)
{
	uint16_t err = qf_dma_request(f, s, b, x, len, s == STREAM_B && g->gemv, NULL);

	return err == QACCEL_ERR_OK || qf_job_error(g, err, s);
}

/* Rows [row0, row0 + rows) of a chunk: one request, or one per row. */
static bool load_rows(struct qsim_func *f, struct gemm *g, enum stream s,
		      const struct qaccel_hw_buf *b, uint32_t ld, bool whole, uint32_t row0,
		      uint32_t rows, uint32_t k0, uint32_t kl)
{
	if (whole)
		return dma_read(f, g, s, b, b->offset + (uint64_t)row0 * ld + k0, rows * kl);
	for (uint32_t r = 0; r < rows; r++)
		if (!dma_read(f, g, s, b, b->offset + (uint64_t)(row0 + r) * ld + k0, kl))
			return false;
	return true;
}

static bool load_chunk(struct qsim_func *f, struct gemm *g)
{
	const struct qaccel_hw_desc *d = &g->d;
	struct bank *bank = &g->bank[g->chunk % g->banks];
	uint32_t m0 = g->m0, n0 = g->n0, k0 = g->k0;
	uint32_t mv = min_u32(g->t_rows, d->m - m0), nv = min_u32(g->t_cols, d->n - n0);
	uint32_t kl = min_u32(g->t_k, d->k - k0);
	bool last_k = k0 + g->t_k >= d->k;
	bool keep_a = bank->valid && bank->m0 == m0 && bank->k0 == k0;

	*bank = (struct bank){ .valid = true, .m0 = m0, .k0 = k0 };
	if (last_k && g->bias &&
	    !dma_read(f, g, STREAM_BIAS, &d->bias, d->bias.offset + (uint64_t)n0 * 4, nv * 4))
		return false;
	if (last_k && g->per_channel &&
	    !dma_read(f, g, STREAM_QUANT, &d->quant, d->quant.offset + (uint64_t)n0 * 8, nv * 8))
		return false;
	if (!keep_a && !load_rows(f, g, STREAM_A, &d->a, d->lda, d->lda == kl, m0, mv, k0, kl))
		return false;
	/* GEMV's slots are a slot apart: only full-slot rows load as one range. */
	if (!load_rows(f, g, STREAM_B, &d->b, d->ldb, d->ldb == kl && (!g->gemv || kl == g->slot),
		       n0, nv, k0, kl))
		return false;
	g->busy += chunk_cycles(f, g, nv, kl);
	if (last_k)
		g->queue[(g->head + g->count++) % POST_QUEUE] = (struct tile){ m0, n0, g->chunk };
	return true;
}

/* qaccel_post_eng's pairs: a full-width tile with a right neighbour in its row of tiles. */
static bool pairs_with_next(const struct gemm *g, const struct tile *t)
{
	return g->pair && !g->gemv && t->n0 + g->t_cols < g->d.n;
}

/*
 * The post engine on one tile, or a pair (n = 2): the record check and the
 * result of each, then each C row's write (row r of a pair: both tiles' r
 * in one write, contiguous in C).
 */
static bool post_tiles(struct qsim_func *f, struct gemm *g, const struct tile *t, unsigned int n)
{
	const struct qaccel_hw_desc *d = &g->d;
	uint32_t mv = min_u32(g->t_rows, d->m - t[0].m0), nv[2] = { 0, 0 };
	size_t tile_bytes = (size_t)g->t_rows * g->t_cols * 4;
	uint8_t row[2 * 32 * 4];	/* two rows of int32 at 32 columns */

	for (unsigned int i = 0; i < n; i++) {
		nv[i] = min_u32(g->t_cols, d->n - t[i].n0);
		for (uint32_t c = 0; g->per_channel && c < nv[i]; c++) {
			struct qaccel_hw_quant q;

			/* The RTL checks the records its loader just read. */
			if (!qf_buf_copy(f, &d->quant, d->quant.offset + (uint64_t)(t[i].n0 + c) * 8,
					 (uint8_t *)&q, sizeof(q), false) ||
			    !qf_requant_ok(d->flags, q.multiplier, q.shift)) {
				g->status = QACCEL_ERR_BAD_PARAM;
				g->detail = 0;
				return false;
			}
		}
		if (!qf_tile_result(f, g, &t[i], mv, nv[i], (uint8_t *)f->c.p + i * tile_bytes))
			return false;
	}
	for (uint32_t r = 0; r < mv; r++) {
		uint64_t x = d->c.offset + (uint64_t)(t[0].m0 + r) * d->ldc +
			     (uint64_t)t[0].n0 * g->esz;
		const uint8_t *src = (const uint8_t *)f->c.p + (size_t)r * nv[0] * g->esz;
		uint16_t err;

		if (n == 2) {
			/* A pair's rows are full width, so two fit the buffer. */
			memcpy(row, src, nv[0] * g->esz);
			memcpy(row + nv[0] * g->esz,
			       (const uint8_t *)f->c.p + tile_bytes + (size_t)r * nv[1] * g->esz,
			       nv[1] * g->esz);
			src = row;
		}
		err = qf_dma_request(f, STREAM_C, &d->c, x, (nv[0] + nv[1]) * g->esz, false, src);
		if (err != QACCEL_ERR_OK)
			return qf_job_error(g, err, STREAM_C);
	}
	return true;
}

/*
 * Tiles the post engine takes next: 1, 2 for a pair, or 0 while it waits
 * (a tile's posts follow the loads of the chunk `banks` after its last one;
 * a pair's, after its second tile's; once everything is loaded, at once).
 */
static unsigned int post_ready(const struct gemm *g)
{
	const struct tile *t = &g->queue[g->head];
	unsigned int n = pairs_with_next(g, t) ? 2 : 1;

	if (g->count < n)
		return 0;
	t = &g->queue[(g->head + n - 1) % POST_QUEUE];
	return g->loaded || t->last_chunk + g->banks <= g->chunk ? n : 0;
}

/* Post the oldest waiting tile, or pair (n tiles). */
static bool post_next(struct qsim_func *f, struct gemm *g, unsigned int n)
{
	struct tile t[2];

	for (unsigned int i = 0; i < n; i++) {
		t[i] = g->queue[g->head];
		g->head = (g->head + 1) % POST_QUEUE;
		g->count--;
	}
	return post_tiles(f, g, t, n);
}

bool qf_gemm_done(const struct gemm *g)
{
	return g->status != QACCEL_ERR_OK || (g->loaded && !g->count);
}

/*
 * Cycles of a step that moved bytes in bursts (walks of them page-table
 * reads) while the array worked for array cycles; see JOB_CYCLES.
 */
static uint64_t step_cycles(struct qsim_func *f, uint64_t array, uint64_t bytes,
			    uint64_t bursts, uint64_t walks, uint64_t *stall)
{
	uint64_t bpc = f->cfg.mem_bytes_per_cycle, lat = f->cfg.mem_latency;
	uint64_t out = f->cfg.mem_max_outstanding;
	uint64_t mem = (bytes + bpc - 1) / bpc, rate = (bursts * lat + out - 1) / out;

	mem = mem > rate ? mem : rate;
	*stall = mem > array ? mem - array : 0;
	return walks * lat + (array > mem ? array + mem / 2 : mem + array / 2);
}

/* One step of the GEMM; returns the cycles it took. */
uint64_t qf_gemm_step(struct qsim_func *f)
{
	struct gemm *g = &f->gemm;
	uint64_t bytes = f->job_rd + f->job_wr, bursts = f->job_bursts;
	uint64_t walks = f->job_walks, busy = g->busy, stall, cycles;

	if (!g->loaded) {
		if (load_chunk(f, g)) {
			for (unsigned int n; g->count && (n = post_ready(g));)
				if (!post_next(f, g, n))
					break;
			/* The loader moves on: k, then n, then m, as qaccel_core's. */
			g->chunk++;
			g->k0 += g->t_k;
			if (g->k0 >= g->d.k) {
				g->k0 = 0;
				g->n0 += g->t_cols;
				if (g->n0 >= g->d.n) {
					g->n0 = 0;
					g->m0 += g->t_rows;
					g->loaded = g->m0 >= g->d.m;
				}
			}
		}
	} else {
		post_next(f, g, post_ready(g));
	}
	cycles = step_cycles(f, g->busy - busy, f->job_rd + f->job_wr - bytes,
			     f->job_bursts - bursts, f->job_walks - walks, &stall);
	g->stall += stall;
	return cycles;
}

/* Set up a validated GEMM; false (and the job's status set) if it cannot run. */
bool qf_gemm_start(struct qsim_func *f, const struct qaccel_hw_desc *d)
{
	struct gemm *g = &f->gemm;
	uint32_t out = d->flags & QACCEL_F_OUT_MASK;

	memset(g, 0, sizeof(*g));
	g->d = *d;
	g->esz = out == QACCEL_F_OUT_INT32 ? 4 : 1;
	g->bias = d->flags & QACCEL_F_BIAS;
	g->per_channel = (d->flags & QACCEL_F_PER_CHANNEL) && out != QACCEL_F_OUT_INT32;
	tile_shape(f, g);
	if (!qf_scratch_reserve(f, g)) {
		fprintf(stderr, "qsim: functional model: out of memory for a %ux%ux%u GEMM\n",
			d->m, d->n, d->k);
		g->status = QACCEL_ERR_UNSUPPORTED;
		return false;
	}
	return true;
}
