// SPDX-License-Identifier: MIT
/*
 * test_gemm: the RTL (Verilated through qsim) runs GEMM jobs the way the
 * kernel driver submits them, and every output byte matches
 * qaccel_ref_gemm().
 *
 * The driver's part (64 MiB of "host memory" handed out in shuffled pages,
 * two-level page tables, the rings, completion polling by phase bit) is
 * sim/qsim_host.c.  Per-GEMM cycles and utilization are printed as KTAP
 * diagnostics; they are never pass/fail criteria.
 *
 * QACCEL_TEST_ITERS=N multiplies the number of random GEMMs (default 1).
 * QACCEL_TEST_JOBS=N sets the jobs of random_jobs_500_cover_every_edge_class
 * (default 500; 112 on arrays of 1024 PEs or more, which simulate slowly).
 * QACCEL_TEST_SEED=S fixes the random seed (default: printed, from time).
 * QACCEL_TEST_CYCLES_OUT=FILE appends every completion record's timing fields
 * (hw_test_common.h).
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "kselftest_harness.h"
#include "qaccel_hw.h"
#include "qaccel_ref.h"
#include "qsim.h"
#include "qsim_host.h"
#include "hw_test_common.h"

#define MEM_SIZE	(64u << 20)
#define RING_SIZE	16u
/* Far more than any job here needs; hitting it means the device hung. */
#define JOB_CYCLE_LIMIT	(200ull * 1000 * 1000)
#define MAX_DIM_TESTED	70u

static unsigned int iters = 1;

static void buf_fill_random(struct qsim_host *d, const struct qsim_host_buf *b)
{
	for (uint32_t p = 0; p < b->npages; p++) {
		uint8_t *m = qsim_host_ptr(d, b->page[p]);

		for (uint32_t i = 0; i < QACCEL_PAGE_SIZE; i++)
			m[i] = rnd(256);
	}
}

struct gemm {
	struct qaccel_gemm_params p;
	struct qsim_host_buf a, b, c, bias, quant;
	uint32_t a_off, b_off, c_off, bias_off, quant_off;
	uint8_t *a_host, *b_host, *c_expect;
	int32_t *bias_host;
	struct qaccel_quant *quant_host;
	uint32_t a_span, b_span, c_span;
	/* Edge-class knobs for gemm_place (random_jobs_500_*). */
	bool saturate;			/* per-channel records saturate too */
	bool cross_odd;			/* operands straddle a page at odd offsets */
	/* Sets the bias, the records and A after the random fill (may be NULL). */
	void (*construct)(struct qsim_host *d, struct gemm *g);
	unsigned int kind;		/* its construction, per tensor */
};

static int32_t zp(bool is_uint8)
{
	static const int32_t s8[] = { -128, 127, 0, -1 }, u8[] = { 0, 255, 128, 1 };

	if (rnd(2))
		return is_uint8 ? u8[rnd(4)] : s8[rnd(4)];
	return is_uint8 ? (int32_t)rnd(256) : (int32_t)rnd(256) - 128;
}

/* A requantization record of family rq (QACCEL_GEMM_RQ_*). */
static void requant_params(uint32_t rq, int32_t *mult, int32_t *shift)
{
	if (rq == QACCEL_GEMM_RQ_FP32) {
		*mult = fp32_scale();
		*shift = 0;
		return;
	}
	if (rq == QACCEL_GEMM_RQ_SINGLE && !rnd(4)) {
		/* A power of two: the product's dropped bits are often exactly half. */
		*mult = (int32_t)(1u << rnd_range(20, 30));
		*shift = (int32_t)rnd_range(0, QACCEL_SHIFT_MAX - QACCEL_SHIFT_MIN) + QACCEL_SHIFT_MIN;
		return;
	}
	if (rnd(8)) {
		*mult = (int32_t)rnd_range(1u << 30, INT32_MAX);
		*shift = -(int32_t)rnd_range(4, 14);
	} else {
		*mult = (int32_t)(rnd(2) ? INT32_MAX : rnd_range(1, INT32_MAX));
		*shift = (int32_t)rnd_range(0, QACCEL_SHIFT_MAX - QACCEL_SHIFT_MIN) + QACCEL_SHIFT_MIN;
	}
}

/*
 * Requantization that turns any accumulator of a few products into a value
 * far outside 8 bits (multiplier ~0.5..1, no right shift): with operands
 * centred on their zero points the outputs clamp at both ends.
 */
static void saturating_requant(uint32_t rq, int32_t *mult, int32_t *shift)
{
	if (rq == QACCEL_GEMM_RQ_FP32) {
		*mult = fp32_bits((int)rnd_range(0, 3), rnd(1u << 23));
		*shift = 0;
		return;
	}
	*mult = (int32_t)rnd_range(1u << 30, INT32_MAX);
	*shift = (int32_t)rnd_range(0, 3);
}

/* Lay out a job whose parameters are in g->p, fill its operands. */
static int gemm_place(struct qsim_host *d, struct gemm *g)
{
	struct qaccel_gemm_params *p = &g->p;
	uint32_t out = p->flags & QACCEL_GEMM_OUT_MASK;
	uint32_t esz = out == QACCEL_GEMM_OUT_INT32 ? 4 : 1;
	uint32_t guard = 64 + rnd(64);
	int ret = 0;

	if (g->cross_odd) {
		g->a_off = odd_cross_offset(span(p->m, p->lda, p->k), 1);
		g->b_off = odd_cross_offset(span(p->n, p->ldb, p->k), 1);
		g->c_off = odd_cross_offset(span(p->m, p->ldc, p->n * esz), esz);
	} else {
		g->a_off = rnd_offset(1);
		g->b_off = rnd_offset(1);
		g->c_off = rnd_offset(esz);
	}
	g->bias_off = rnd_offset(4);
	g->quant_off = rnd_offset(8);
	g->a_span = span(p->m, p->lda, p->k);
	g->b_span = span(p->n, p->ldb, p->k);
	g->c_span = span(p->m, p->ldc, p->n * esz);

	/* A and B sizes are exact: any touch past the operand would fault. */
	ret |= qsim_host_buf_alloc(d, &g->a, g->a_off + g->a_span);
	ret |= qsim_host_buf_alloc(d, &g->b, g->b_off + g->b_span);
	ret |= qsim_host_buf_alloc(d, &g->c, g->c_off + g->c_span + guard);
	ret |= qsim_host_buf_alloc(d, &g->bias, g->bias_off + 4 * p->n);
	ret |= qsim_host_buf_alloc(d, &g->quant, g->quant_off + 8 * p->n);
	if (ret)
		return -ENOMEM;
	buf_fill_random(d, &g->a);
	buf_fill_random(d, &g->b);
	buf_fill_random(d, &g->c);
	buf_fill_random(d, &g->bias);

	g->a_host = malloc(g->a_span);
	g->b_host = malloc(g->b_span);
	g->c_expect = malloc(g->c.size);
	g->bias_host = malloc(4 * p->n);
	g->quant_host = malloc(8 * p->n);
	if (!g->a_host || !g->b_host || !g->c_expect || !g->bias_host || !g->quant_host)
		return -ENOMEM;
	for (uint32_t j = 0; j < p->n; j++) {
		uint32_t rq = p->flags & QACCEL_GEMM_RQ_MASK;

		if (g->saturate)
			saturating_requant(rq, &g->quant_host[j].multiplier,
					   &g->quant_host[j].shift);
		else
			requant_params(rq, &g->quant_host[j].multiplier, &g->quant_host[j].shift);
		/*
		 * Bias of any magnitude: accumulation wraps in both models.  Not
		 * for the saturation class, whose outputs must reach both clamps:
		 * a huge bias on every channel of a narrow N can push them all to
		 * one side (seen with N = 5).
		 */
		if (g->saturate)
			g->bias_host[j] = (int32_t)rnd(2048) - 1024;
		else
			g->bias_host[j] = (int32_t)(rnd(4) ? rnd(1u << 20) - (1 << 19)
						   : rand_r(&seed) * 2u);
	}
	if (g->construct)
		g->construct(d, g);
	qsim_host_buf_write(d, &g->bias, g->bias_off, g->bias_host, 4 * p->n);
	qsim_host_buf_write(d, &g->quant, g->quant_off, g->quant_host, 8 * p->n);
	qsim_host_buf_read(d, &g->a, g->a_off, g->a_host, g->a_span);
	qsim_host_buf_read(d, &g->b, g->b_off, g->b_host, g->b_span);
	qsim_host_buf_read(d, &g->c, 0, g->c_expect, g->c.size);
	return qaccel_ref_gemm(p, g->a_host, g->b_host, g->bias_host, g->quant_host,
			       g->c_expect + g->c_off);
}

static void gemm_desc(struct qsim_host *d, const struct gemm *g, struct qaccel_hw_desc *desc)
{
	const struct qsim_host_gemm_bufs bufs = {
		.a = &g->a, .b = &g->b, .c = &g->c, .bias = &g->bias, .quant = &g->quant,
		.a_off = g->a_off, .b_off = g->b_off, .c_off = g->c_off,
		.bias_off = g->bias_off, .quant_off = g->quant_off,
	};

	qsim_host_gemm_desc(desc, ++d->tag, &g->p, &bufs);
}

static void gemm_free(struct qsim_host *d, struct gemm *g)
{
	qsim_host_buf_free(d, &g->a);
	qsim_host_buf_free(d, &g->b);
	qsim_host_buf_free(d, &g->c);
	qsim_host_buf_free(d, &g->bias);
	qsim_host_buf_free(d, &g->quant);
	free(g->a_host);
	free(g->b_host);
	free(g->c_expect);
	free(g->bias_host);
	free(g->quant_host);
	memset(g, 0, sizeof(*g));
}

static void describe(const struct gemm *g, char *s, size_t len)
{
	const struct qaccel_gemm_params *p = &g->p;

	snprintf(s, len, "m=%u n=%u k=%u lda=%u ldb=%u ldc=%u flags=0x%x zp=%d/%d/%d "
		 "clamp=%d..%d mult=%d shift=%d off=%u/%u/%u",
		 p->m, p->n, p->k, p->lda, p->ldb, p->ldc, p->flags, p->a_zero_point,
		 p->b_zero_point, p->c_zero_point, p->clamp_min, p->clamp_max,
		 p->out_multiplier, p->out_shift, g->a_off, g->b_off, g->c_off);
}

/* Number of C bytes that differ from the reference (guards included). */
static uint32_t gemm_check(struct qsim_host *d, const struct gemm *g, char *why, size_t len)
{
	uint8_t *got = malloc(g->c.size);
	uint32_t bad = 0, first = 0;

	if (!got) {
		snprintf(why, len, "out of memory");
		return 1;
	}
	qsim_host_buf_read(d, &g->c, 0, got, g->c.size);
	for (uint32_t i = 0; i < g->c.size; i++) {
		if (got[i] != g->c_expect[i] && !bad++)
			first = i;
	}
	if (bad) {
		int64_t rel = (int64_t)first - g->c_off;
		bool inside = rel >= 0 && rel < g->c_span;

		snprintf(why, len, "%u bytes differ; first at buffer byte %u (%s, row %lld, "
			 "byte %lld of row): got 0x%02x want 0x%02x", bad, first,
			 inside ? "in C" : "guard", inside ? (long long)(rel / g->p.ldc) : -1,
			 inside ? (long long)(rel % g->p.ldc) : -1, got[first], g->c_expect[first]);
	}
	free(got);
	return bad;
}

static void report_perf(const struct gemm *g, const struct qaccel_hw_cqe *cqe)
{
	uint64_t macs = (uint64_t)g->p.m * g->p.n * g->p.k;
	double util = cqe->cycles ? (double)macs / ((double)cqe->cycles * qsim_rows() * qsim_cols()) : 0;

	diag("gemm %ux%ux%u flags 0x%02x: %llu cycles, utilization %.1f%%",
	     g->p.m, g->p.n, g->p.k, g->p.flags, (unsigned long long)cqe->cycles, 100 * util);
}

/* Random valid parameters using only what the device says it supports. */
static void random_params(struct qsim_host *d, struct qaccel_gemm_params *p, uint32_t out_type)
{
	static const uint32_t dims[] = { 1, 2, 3, 4, 5, 7, 13, 16, 17, 31, 32, 33, 61, 64, 67, 70 };
	uint32_t esz = out_type == QACCEL_GEMM_OUT_INT32 ? 4 : 1;
	bool u8_out = out_type == QACCEL_GEMM_OUT_UINT8;

	memset(p, 0, sizeof(*p));
	p->m = rnd(2) ? dims[rnd(16)] : rnd_range(1, MAX_DIM_TESTED);
	p->n = rnd(2) ? dims[rnd(16)] : rnd_range(1, MAX_DIM_TESTED);
	p->k = rnd(2) ? dims[rnd(16)] : rnd_range(1, MAX_DIM_TESTED);
	p->lda = p->k + (rnd(2) ? 0 : rnd(200));
	p->ldb = p->k + (rnd(2) ? 0 : rnd(200));
	p->ldc = p->n * esz + (rnd(2) ? 0 : rnd(100) * esz);
	p->flags = out_type;
	if (d->caps & QACCEL_CAP_UINT8_IN)
		p->flags |= rnd(4);
	if (d->caps & QACCEL_CAP_BIAS && rnd(2))
		p->flags |= QACCEL_GEMM_BIAS;
	p->a_zero_point = zp(p->flags & QACCEL_GEMM_A_UINT8);
	p->b_zero_point = zp(p->flags & QACCEL_GEMM_B_UINT8);
	if (out_type == QACCEL_GEMM_OUT_INT32)
		return;
	if (d->caps & QACCEL_CAP_PER_CHANNEL && rnd(2))
		p->flags |= QACCEL_GEMM_PER_CHANNEL;
	if (d->caps & QACCEL_CAP_RQ_MODES)
		p->flags |= rnd(3) << 6;
	requant_params(p->flags & QACCEL_GEMM_RQ_MASK, &p->out_multiplier, &p->out_shift);
	p->c_zero_point = zp(u8_out);
	p->clamp_min = u8_out ? 0 : -128;
	p->clamp_max = u8_out ? 255 : 127;
	if (rnd(3) == 0) {
		int32_t a = p->clamp_min + (int32_t)rnd(256), b = p->clamp_min + (int32_t)rnd(256);

		p->clamp_min = a < b ? a : b;
		p->clamp_max = a < b ? b : a;
	}
}

/* ------------------------------------------------------------------ */
/* Fixture                                                             */
/* ------------------------------------------------------------------ */

FIXTURE(dev) {
	struct qsim_host d;
	struct timespec start;
};

static double since(const struct timespec *t0)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)(t.tv_sec - t0->tv_sec) + (t.tv_nsec - t0->tv_nsec) * 1e-9;
}

FIXTURE_SETUP(dev)
{
	struct qsim_host *d = &self->d;
	struct qsim_host_config cfg = { .mem_size = MEM_SIZE, .ring_size = RING_SIZE };
	const char *env = getenv("QACCEL_TEST_SEED");

	seed = env ? (unsigned int)strtoul(env, NULL, 0) : (unsigned int)time(NULL) ^ getpid();
	env = getenv("QACCEL_TEST_ITERS");
	if (env && atoi(env) > 0)
		iters = atoi(env);
	diag("seed %u (QACCEL_TEST_SEED=%u to repeat)", seed, seed);

	/* The page shuffle draws from the test's stream: one seed repeats all. */
	cfg.seed = &seed;
	ASSERT_EQ(0, qsim_host_open(d, &cfg));
	clock_gettime(CLOCK_MONOTONIC, &self->start);
}

FIXTURE_TEARDOWN(dev)
{
	struct qsim_stats st;

	if (!self->d.q)
		return;
	qsim_get_stats(self->d.q, &st);
	diag("simulated %llu cycles at %.2f M cycles/s", (unsigned long long)st.cycles,
	     st.cycles / since(&self->start) / 1e6);
	EXPECT_EQ(0, st.protocol_errors);
	EXPECT_EQ(0, st.reg_timeouts);
	qsim_host_close(&self->d);
}

/* Submit one GEMM, wait, check every byte of the C buffer. */
static int run_gemm(struct __test_metadata *_metadata, struct qsim_host *d, struct gemm *g,
		    uint32_t *status)
{
	struct qaccel_hw_desc desc;
	struct qaccel_hw_cqe cqe;
	char why[256], what[256];

	gemm_desc(d, g, &desc);
	qsim_host_sq_push(d, &desc);
	qsim_host_sq_ring(d);
	if (qsim_host_cq_wait(d, &cqe, JOB_CYCLE_LIMIT)) {
		describe(g, what, sizeof(what));
		TH_LOG("no completion for %s", what);
		return -1;
	}
	cycles_out(&cqe);
	*status = cqe.status;
	if (cqe.tag != desc.tag) {
		TH_LOG("completion tag %u, want %u", cqe.tag, desc.tag);
		return -1;
	}
	if (cqe.status)
		return 0;
	report_perf(g, &cqe);
	if (cqe.macs != (uint64_t)g->p.m * g->p.n * g->p.k)
		TH_LOG("completion macs %llu, want %llu", (unsigned long long)cqe.macs,
		       (unsigned long long)g->p.m * g->p.n * g->p.k);
	if (gemm_check(d, g, why, sizeof(why))) {
		describe(g, what, sizeof(what));
		TH_LOG("%s: %s", what, why);
		return -1;
	}
	return 0;
}

static bool out_supported(const struct qsim_host *d, uint32_t out_type)
{
	if (out_type == QACCEL_GEMM_OUT_INT32)
		return d->caps & QACCEL_CAP_GEMM_I32;
	return d->caps & QACCEL_CAP_REQUANT;
}

static void random_gemms(struct __test_metadata *_metadata, struct qsim_host *d,
			 uint32_t out_type, unsigned int count)
{
	for (unsigned int i = 0; i < count * iters; i++) {
		struct gemm g = { 0 };
		uint32_t status = 0;

		random_params(d, &g.p, out_type);
		ASSERT_EQ(0, gemm_place(d, &g));
		ASSERT_EQ(0, run_gemm(_metadata, d, &g, &status));
		ASSERT_EQ(QACCEL_ERR_OK, status);
		gemm_free(d, &g);
	}
}

TEST_F(dev, registers_after_reset)
{
	struct qsim *q = self->d.q;
	uint32_t array = qsim_reg_read(q, QACCEL_REG_ARRAY);

	EXPECT_EQ(QACCEL_ID_MAGIC, qsim_reg_read(q, QACCEL_REG_ID));
	EXPECT_EQ(QACCEL_VERSION, qsim_reg_read(q, QACCEL_REG_VERSION));
	EXPECT_EQ(qsim_rows(), array & 0xffff);
	EXPECT_EQ(qsim_cols(), array >> 16);
	EXPECT_EQ(QACCEL_MAX_DIM, qsim_reg_read(q, QACCEL_REG_MAX_DIM));
	EXPECT_EQ(0, qsim_reg_read(q, QACCEL_REG_SQ_HEAD));
	EXPECT_EQ(0, qsim_reg_read(q, QACCEL_REG_CQ_TAIL));
	EXPECT_EQ(0, qsim_reg_read(q, QACCEL_REG_ERR_CODE));
	EXPECT_TRUE(qsim_reg_read(q, QACCEL_REG_STATUS) & QACCEL_STATUS_ENABLED);
	EXPECT_TRUE(qsim_reg_read(q, QACCEL_REG_STATUS) & QACCEL_STATUS_IDLE);
	EXPECT_EQ(QSIM_STOP_IDLE, qsim_run(q, 1000));
	EXPECT_TRUE(self->d.caps & QACCEL_CAP_GEMM_I32);
	diag("caps 0x%x, array %ux%u", self->d.caps, qsim_rows(), qsim_cols());
}

TEST_F(dev, nop_completes_with_its_tag)
{
	struct qsim_host *d = &self->d;
	struct qaccel_hw_desc desc = { .opcode = QACCEL_OP_NOP, .tag = 0xc0ffee01 };
	struct qaccel_hw_cqe cqe;

	qsim_host_sq_push(d, &desc);
	qsim_host_sq_ring(d);
	ASSERT_EQ(0, qsim_host_cq_wait(d, &cqe, JOB_CYCLE_LIMIT));
	EXPECT_EQ(0xc0ffee01, cqe.tag);
	EXPECT_EQ(QACCEL_ERR_OK, cqe.status);
	EXPECT_EQ(1, cqe.sq_head);
	EXPECT_EQ(1, qsim_reg_read(d->q, QACCEL_REG_SQ_HEAD));
	EXPECT_EQ(1, qsim_reg_read(d->q, QACCEL_REG_CQ_TAIL));
	EXPECT_EQ(QSIM_STOP_IDLE, qsim_run(d->q, 100000));
	EXPECT_FALSE(qsim_irq(d->q));
}

TEST_F(dev, irq_rises_on_completion_and_clears_on_w1c)
{
	struct qsim_host *d = &self->d;
	struct qaccel_hw_desc desc = { .opcode = QACCEL_OP_NOP, .tag = 7 };
	volatile struct qaccel_hw_cqe *cqe = qsim_host_ptr(d, d->cq);

	qsim_host_sq_push(d, &desc);
	qsim_host_sq_ring(d);
	EXPECT_EQ(QSIM_STOP_IRQ, qsim_run(d->q, 1000000));
	EXPECT_EQ(QACCEL_INT_CQ, qsim_reg_read(d->q, QACCEL_REG_INT_STATUS) & QACCEL_INT_CQ);
	EXPECT_EQ(1, cqe->info & QACCEL_CQE_PHASE);
	qsim_reg_write(d->q, QACCEL_REG_CQ_HEAD, 1);
	qsim_reg_write(d->q, QACCEL_REG_INT_STATUS, QACCEL_INT_CQ);
	EXPECT_FALSE(qsim_irq(d->q));
}

TEST_F_TIMEOUT(dev, gemm_int32_random_shapes_match_reference, 300)
{
	random_gemms(_metadata, &self->d, QACCEL_GEMM_OUT_INT32, 20);
}

TEST_F_TIMEOUT(dev, gemm_int8_requant_matches_reference, 300)
{
	if (!out_supported(&self->d, QACCEL_GEMM_OUT_INT8))
		SKIP(return, "device has no requantization (CAPS 0x%x)", self->d.caps);
	random_gemms(_metadata, &self->d, QACCEL_GEMM_OUT_INT8, 12);
}

TEST_F_TIMEOUT(dev, gemm_uint8_requant_matches_reference, 300)
{
	if (!out_supported(&self->d, QACCEL_GEMM_OUT_UINT8))
		SKIP(return, "device has no requantization (CAPS 0x%x)", self->d.caps);
	random_gemms(_metadata, &self->d, QACCEL_GEMM_OUT_UINT8, 12);
}

TEST_F_TIMEOUT(dev, gemm_edge_shapes_match_reference, 300)
{
	static const uint32_t shapes[][3] = {
		{ 1, 1, 1 }, { 1, 70, 1 }, { 70, 1, 1 }, { 1, 1, 70 }, { 16, 16, 16 },
		{ 17, 15, 64 }, { 4, 4, 65 }, { 3, 5, 7 },
	};
	struct qsim_host *d = &self->d;

	for (size_t i = 0; i < sizeof(shapes) / sizeof(shapes[0]); i++) {
		struct gemm g = { 0 };
		uint32_t status;

		random_params(d, &g.p, QACCEL_GEMM_OUT_INT32);
		g.p.m = shapes[i][0];
		g.p.n = shapes[i][1];
		g.p.k = shapes[i][2];
		g.p.lda = g.p.k + (i & 1) * 3;
		g.p.ldb = g.p.k;
		g.p.ldc = g.p.n * 4 + (i & 2) * 8;
		ASSERT_EQ(0, gemm_place(d, &g));
		ASSERT_EQ(0, run_gemm(_metadata, d, &g, &status));
		ASSERT_EQ(QACCEL_ERR_OK, status);
		gemm_free(d, &g);
	}
}

/*
 * Small M runs on the GEMV datapath on arrays of 64 PEs or more (M x cols
 * < 64): one row of A, up to cols channels and a slot per bank of a chunk
 * of K (equal chunks of whole lines, at most 2 KiB, three where K needs two
 * and there are three banks; the slot the chunk rounded up to a power of
 * two).  Walk its edges: K around a line, around the slot sizes and around
 * the 2 KiB chunk (2049: three chunks of 704), channel counts around
 * the lane count and the tile width, B rows contiguous (one long read per
 * bank) or strided, every output type, per-channel requant and bias.  B's
 * rows step across pages, so the DMA's page-table prefetch is in use too.
 */
TEST_F_TIMEOUT(dev, gemv_small_m_shapes_match_reference, 600)
{
	static const uint32_t shapes[][3] = {
		{ 1, 1, 1 }, { 1, 7, 63 }, { 1, 8, 64 }, { 1, 9, 65 }, { 2, 4, 2047 },
		{ 1, 15, 2048 }, { 3, 5, 2049 }, { 1, 29, 4133 }, { 1, 64, 512 },
		{ 2, 3, 129 }, { 1, 40, 4096 }, { 3, 16, 700 },
	};
	static const uint32_t outs[] = {
		QACCEL_GEMM_OUT_INT32, QACCEL_GEMM_OUT_INT8, QACCEL_GEMM_OUT_UINT8,
	};
	struct qsim_host *d = &self->d;
	uint32_t pes = qsim_rows() * qsim_cols();

	EXPECT_EQ(pes >= 64, !!(d->caps & QACCEL_CAP_GEMV))
		TH_LOG("caps 0x%x on a %ux%u array", d->caps, qsim_rows(), qsim_cols());
	for (size_t i = 0; i < sizeof(shapes) / sizeof(shapes[0]); i++) {
		uint32_t out = outs[i % 3];
		struct gemm g = { 0 };
		uint32_t status;

		if (!out_supported(d, out))
			out = QACCEL_GEMM_OUT_INT32;
		random_params(d, &g.p, out);
		g.p.m = shapes[i][0];
		g.p.n = shapes[i][1];
		g.p.k = shapes[i][2];
		g.p.lda = g.p.k + (i & 1) * 5;
		/* Contiguous rows (one read per bank) on even shapes. */
		g.p.ldb = g.p.k + (i & 1) * (1 + rnd(300));
		g.p.ldc = g.p.n * (out == QACCEL_GEMM_OUT_INT32 ? 4 : 1) + (i & 2) * 4;
		g.cross_odd = i % 4 == 3;
		ASSERT_EQ(0, gemm_place(d, &g));
		ASSERT_EQ(0, run_gemm(_metadata, d, &g, &status));
		ASSERT_EQ(QACCEL_ERR_OK, status);
		gemm_free(d, &g);
	}
}

/* More jobs than ring slots, submitted in batches: the rings wrap. */
TEST_F_TIMEOUT(dev, many_queued_jobs_wrap_the_rings, 300)
{
	struct qsim_host *d = &self->d;
	struct gemm g[RING_SIZE - 1];
	const unsigned int rounds = 3;

	for (unsigned int r = 0; r < rounds; r++) {
		uint32_t first_tag = d->tag + 1, n = RING_SIZE - 1;

		ASSERT_EQ(RING_SIZE - 1, qsim_host_sq_free(d));
		for (uint32_t i = 0; i < n; i++) {
			struct qaccel_hw_desc desc;

			memset(&g[i], 0, sizeof(g[i]));
			if (i % 3 == 0) {
				memset(&desc, 0, sizeof(desc));
				desc.opcode = QACCEL_OP_NOP;
				desc.tag = ++d->tag;
			} else {
				random_params(d, &g[i].p, QACCEL_GEMM_OUT_INT32);
				g[i].p.m = rnd_range(1, 20);
				g[i].p.n = rnd_range(1, 20);
				g[i].p.k = rnd_range(1, 20);
				g[i].p.lda = g[i].p.k;
				g[i].p.ldb = g[i].p.k;
				g[i].p.ldc = g[i].p.n * 4;
				ASSERT_EQ(0, gemm_place(d, &g[i]));
				gemm_desc(d, &g[i], &desc);
			}
			qsim_host_sq_push(d, &desc);
		}
		qsim_host_sq_ring(d);
		for (uint32_t i = 0; i < n; i++) {
			struct qaccel_hw_cqe cqe;
			char why[256];

			ASSERT_EQ(0, qsim_host_cq_wait(d, &cqe, JOB_CYCLE_LIMIT));
			cycles_out(&cqe);
			EXPECT_EQ(first_tag + i, cqe.tag);
			EXPECT_EQ(QACCEL_ERR_OK, cqe.status);
			if (i % 3) {
				EXPECT_EQ(0, gemm_check(d, &g[i], why, sizeof(why)))
					TH_LOG("job %u of round %u: %s", i, r, why);
				gemm_free(d, &g[i]);
			}
		}
	}
	EXPECT_EQ(d->sq_tail, qsim_reg_read(d->q, QACCEL_REG_SQ_HEAD));
}

/* ------------------------------------------------------------------ */
/* 500 random jobs, every edge class, 15 in flight                     */
/* ------------------------------------------------------------------ */

/*
 * Job i belongs to class i % EC_COUNT: the class forces its edge, every
 * other parameter stays random.  Cycling (rather than drawing) the class
 * means any run of 500 jobs hits each class ~35 times whatever the seed.
 */
enum edge_class {
	EC_DIM_ONE,		/* M, N or K (or several) is 1 */
	EC_PRIME,		/* M, N and K prime */
	EC_NOT_MULTIPLE,	/* M, N, K = q * array size + r, r != 0 */
	EC_WIDE_STRIDES,	/* lda, ldb, ldc well past the row widths */
	EC_UINT8_IN,		/* uint8 A and/or B */
	EC_ZP_EXTREME,		/* every zero point at an end of its type */
	EC_SATURATE,		/* requant output clamps at both ends */
	EC_PER_TENSOR,
	EC_PER_CHANNEL,
	EC_INT32_OUT,
	EC_BIAS_ON,
	EC_BIAS_OFF,
	EC_PAGE_CROSS,		/* A, B, C straddle pages at odd offsets */
	EC_LARGE,		/* one dimension of a few hundred */
	EC_COUNT
};

static const char *const edge_class_name[EC_COUNT] = {
	"dim of 1", "prime dims", "dims not multiples of the array", "strides > widths",
	"uint8 inputs", "zero-point extremes", "saturation both ends", "per-tensor requant",
	"per-channel requant", "int32 output", "bias on", "bias off",
	"odd offsets across pages", "a dim of 100..400",
};

/* What the jobs actually had (whatever class forced it), for the summary. */
struct edge_coverage {
	unsigned int cls[EC_COUNT];
	unsigned int m1, n1, k1, all_prime, not_multiple, lda_wide, ldb_wide, ldc_wide;
	unsigned int a_u8, b_u8, out_i32, out_i8, out_u8, per_tensor, per_channel;
	unsigned int bias_on, bias_off, cross_odd, big_dim;
	/* [operand a/b/c][0: int8 -128, 1: int8 127, 2: uint8 0, 3: uint8 255] */
	unsigned int zp[3][4];
	unsigned int sat_min, sat_max, sat_both;
	unsigned int rq[3];		/* int8/uint8 jobs per requantization family */
};

#define RANDOM_JOBS_DEFAULT	500u
#define RANDOM_JOBS_SMALL_DIM	100u
#define RANDOM_JOBS_FULL_COVERAGE	(8u * EC_COUNT)
/*
 * Arrays of 1024 PEs and more simulate ~50x slower than 4x4: make check
 * runs the fewest jobs that still reach every edge there; make
 * check-hw-full (QACCEL_TEST_JOBS=500) runs all 500.
 */
#define RANDOM_JOBS_32X32	RANDOM_JOBS_FULL_COVERAGE

/* Mostly small, so 500 jobs simulate in seconds. */
static uint32_t small_dim(void)
{
	static const uint32_t dims[] = { 1, 2, 3, 4, 5, 7, 8, 15, 16, 17, 31, 32, 33, 63, 64, 65 };

	return rnd(2) ? dims[rnd(16)] : rnd_range(1, RANDOM_JOBS_SMALL_DIM);
}

/* q * unit + r with 0 < r < unit; any value but a multiple of unit. */
static uint32_t not_multiple(uint32_t unit)
{
	if (unit < 2)
		return small_dim();
	return unit * rnd(RANDOM_JOBS_SMALL_DIM / unit + 1) + rnd_range(1, unit - 1);
}

static int32_t zp_end(bool is_uint8, bool high)
{
	if (is_uint8)
		return high ? 255 : 0;
	return high ? 127 : -128;
}

static void edge_params(struct qsim_host *d, struct gemm *g, enum edge_class cls, unsigned int j)
{
	struct qaccel_gemm_params *p = &g->p;
	bool requant = d->caps & QACCEL_CAP_REQUANT;
	bool u8_in = d->caps & QACCEL_CAP_UINT8_IN;
	uint32_t out, esz, extra;

	/* Output type: cycled in most classes, forced where the class says. */
	out = (uint32_t[]){ QACCEL_GEMM_OUT_INT32, QACCEL_GEMM_OUT_INT8,
			    QACCEL_GEMM_OUT_UINT8 }[(j + cls) % 3];
	if (cls == EC_INT32_OUT)
		out = QACCEL_GEMM_OUT_INT32;
	if (cls == EC_SATURATE || cls == EC_PER_TENSOR || cls == EC_PER_CHANNEL ||
	    cls == EC_ZP_EXTREME)
		out = j & 1 ? QACCEL_GEMM_OUT_UINT8 : QACCEL_GEMM_OUT_INT8;
	if (!requant)
		out = QACCEL_GEMM_OUT_INT32;
	esz = out == QACCEL_GEMM_OUT_INT32 ? 4 : 1;
	random_params(d, p, out);

	p->m = small_dim();
	p->n = small_dim();
	p->k = small_dim();
	switch (cls) {
	case EC_DIM_ONE:
		/* j cycles through the seven non-empty subsets of {M, N, K}. */
		if ((j % 7 + 1) & 1)
			p->m = 1;
		if ((j % 7 + 1) & 2)
			p->n = 1;
		if ((j % 7 + 1) & 4)
			p->k = 1;
		break;
	case EC_PRIME:
		p->m = rnd_prime(rnd(4) ? RANDOM_JOBS_SMALL_DIM : 300);
		p->n = rnd_prime(RANDOM_JOBS_SMALL_DIM);
		p->k = rnd_prime(RANDOM_JOBS_SMALL_DIM);
		break;
	case EC_NOT_MULTIPLE:
		p->m = not_multiple(qsim_rows());
		p->n = not_multiple(qsim_cols());
		p->k = not_multiple(rnd(2) ? qsim_rows() : 64);
		break;
	case EC_SATURATE:
		/* Enough outputs and products that both signs occur. */
		p->m = rnd_range(4, 40);
		p->n = rnd_range(4, 40);
		p->k = rnd_range(4, 64);
		break;
	case EC_LARGE:
		/* One long dimension, the others small: few MACs, long DMA. */
		p->m = rnd_range(1, 24);
		p->n = rnd_range(1, 24);
		p->k = rnd_range(1, 24);
		*(uint32_t *[]){ &p->m, &p->n, &p->k }[j % 3] = rnd_range(101, 400);
		break;
	default:
		break;
	}

	extra = cls == EC_WIDE_STRIDES ? 1 + rnd(300) : rnd(3) ? 0 : rnd(32);
	p->lda = p->k + extra;
	p->ldb = p->k + (cls == EC_WIDE_STRIDES ? 1 + rnd(300) : rnd(3) ? 0 : rnd(32));
	p->ldc = p->n * esz + (cls == EC_WIDE_STRIDES ? 1 + rnd(300) : rnd(3) ? 0 : rnd(32)) * esz;

	if (cls == EC_UINT8_IN && u8_in) {
		p->flags &= ~(QACCEL_GEMM_A_UINT8 | QACCEL_GEMM_B_UINT8);
		p->flags |= (uint32_t[]){ QACCEL_GEMM_A_UINT8, QACCEL_GEMM_B_UINT8,
					  QACCEL_GEMM_A_UINT8 | QACCEL_GEMM_B_UINT8 }[j % 3];
	}
	if (cls == EC_ZP_EXTREME) {
		/*
		 * Two bits of j pick (type, end) for A, the same bits swapped
		 * for B, and (output type, end) for C: every four jobs of the
		 * class put each operand at each end of each of its types.
		 */
		p->flags &= ~(QACCEL_GEMM_A_UINT8 | QACCEL_GEMM_B_UINT8);
		if (u8_in && (j & 1))
			p->flags |= QACCEL_GEMM_A_UINT8;
		if (u8_in && (j & 2))
			p->flags |= QACCEL_GEMM_B_UINT8;
		p->a_zero_point = zp_end(p->flags & QACCEL_GEMM_A_UINT8, j & 2);
		p->b_zero_point = zp_end(p->flags & QACCEL_GEMM_B_UINT8, j & 1);
		if (out != QACCEL_GEMM_OUT_INT32)
			p->c_zero_point = zp_end(out == QACCEL_GEMM_OUT_UINT8, (j >> 1) & 1);
	} else {
		p->a_zero_point = zp(p->flags & QACCEL_GEMM_A_UINT8);
		p->b_zero_point = zp(p->flags & QACCEL_GEMM_B_UINT8);
	}
	if (cls == EC_SATURATE) {
		/* Operands centred on their zero points: products of both signs. */
		p->a_zero_point = p->flags & QACCEL_GEMM_A_UINT8 ? 128 : 0;
		p->b_zero_point = p->flags & QACCEL_GEMM_B_UINT8 ? 128 : 0;
		saturating_requant(p->flags & QACCEL_GEMM_RQ_MASK, &p->out_multiplier,
				   &p->out_shift);
		g->saturate = true;
	}
	if (out != QACCEL_GEMM_OUT_INT32 && (d->caps & QACCEL_CAP_PER_CHANNEL)) {
		if (cls == EC_PER_TENSOR)
			p->flags &= ~QACCEL_GEMM_PER_CHANNEL;
		if (cls == EC_PER_CHANNEL)
			p->flags |= QACCEL_GEMM_PER_CHANNEL;
	}
	if (d->caps & QACCEL_CAP_BIAS) {
		if (cls == EC_BIAS_ON)
			p->flags |= QACCEL_GEMM_BIAS;
		if (cls == EC_BIAS_OFF)
			p->flags &= ~QACCEL_GEMM_BIAS;
	}
	g->cross_odd = cls == EC_PAGE_CROSS;
}

static bool crosses_odd(uint32_t off, uint32_t len)
{
	return (off & 1) && off / QACCEL_PAGE_SIZE != (off + len - 1) / QACCEL_PAGE_SIZE;
}

static void zp_count(unsigned int *c, int32_t zp_value, bool is_uint8)
{
	if (!is_uint8 && (zp_value == -128 || zp_value == 127))
		c[zp_value == 127]++;
	if (is_uint8 && (zp_value == 0 || zp_value == 255))
		c[2 + (zp_value == 255)]++;
}

/*
 * Record what job g covered.  Returns false when a saturation-class job's
 * expected output does not reach both clamps (the test would not test it).
 */
static bool edge_cover(struct edge_coverage *cv, const struct gemm *g, enum edge_class cls)
{
	const struct qaccel_gemm_params *p = &g->p;
	uint32_t out = p->flags & QACCEL_GEMM_OUT_MASK;
	bool lo = false, hi = false;

	cv->cls[cls]++;
	cv->m1 += p->m == 1;
	cv->n1 += p->n == 1;
	cv->k1 += p->k == 1;
	cv->all_prime += is_prime(p->m) && is_prime(p->n) && is_prime(p->k);
	cv->not_multiple += p->m % qsim_rows() && p->n % qsim_cols();
	cv->lda_wide += p->lda > p->k;
	cv->ldb_wide += p->ldb > p->k;
	cv->ldc_wide += p->ldc > p->n * (out == QACCEL_GEMM_OUT_INT32 ? 4 : 1);
	cv->a_u8 += !!(p->flags & QACCEL_GEMM_A_UINT8);
	cv->b_u8 += !!(p->flags & QACCEL_GEMM_B_UINT8);
	cv->out_i32 += out == QACCEL_GEMM_OUT_INT32;
	cv->out_i8 += out == QACCEL_GEMM_OUT_INT8;
	cv->out_u8 += out == QACCEL_GEMM_OUT_UINT8;
	if (out != QACCEL_GEMM_OUT_INT32) {
		cv->per_channel += !!(p->flags & QACCEL_GEMM_PER_CHANNEL);
		cv->per_tensor += !(p->flags & QACCEL_GEMM_PER_CHANNEL);
		cv->rq[(p->flags & QACCEL_GEMM_RQ_MASK) >> 6]++;
		zp_count(cv->zp[2], p->c_zero_point, out == QACCEL_GEMM_OUT_UINT8);
	}
	cv->bias_on += !!(p->flags & QACCEL_GEMM_BIAS);
	cv->bias_off += !(p->flags & QACCEL_GEMM_BIAS);
	cv->cross_odd += crosses_odd(g->a_off, g->a_span) && crosses_odd(g->b_off, g->b_span);
	cv->big_dim += p->m > RANDOM_JOBS_SMALL_DIM || p->n > RANDOM_JOBS_SMALL_DIM ||
		       p->k > RANDOM_JOBS_SMALL_DIM;
	zp_count(cv->zp[0], p->a_zero_point, p->flags & QACCEL_GEMM_A_UINT8);
	zp_count(cv->zp[1], p->b_zero_point, p->flags & QACCEL_GEMM_B_UINT8);

	if (out == QACCEL_GEMM_OUT_INT32)
		return cls != EC_SATURATE;
	/* The device's C equals c_expect (checked before): look at that. */
	for (uint32_t i = 0; i < p->m; i++) {
		const uint8_t *row = g->c_expect + g->c_off + i * p->ldc;

		for (uint32_t jj = 0; jj < p->n; jj++) {
			int32_t v = out == QACCEL_GEMM_OUT_UINT8 ? row[jj] : (int8_t)row[jj];

			lo |= v == p->clamp_min;
			hi |= v == p->clamp_max;
		}
	}
	cv->sat_min += lo;
	cv->sat_max += hi;
	cv->sat_both += lo && hi;
	return cls != EC_SATURATE || (lo && hi);
}

static void edge_summary(const struct edge_coverage *cv, unsigned int jobs)
{
	static const char *const zp_name[4] = { "int8 -128", "int8 127", "uint8 0", "uint8 255" };

	diag("coverage of %u jobs (%ux%u array), jobs per forced class:", jobs,
	     qsim_rows(), qsim_cols());
	for (int c = 0; c < EC_COUNT; c++)
		diag("  class %-32s %u", edge_class_name[c], cv->cls[c]);
	diag("jobs that had (whatever their class):");
	diag("  M=1 %u, N=1 %u, K=1 %u, M,N,K all prime %u, M and N not multiples %u",
	     cv->m1, cv->n1, cv->k1, cv->all_prime, cv->not_multiple);
	diag("  lda>K %u, ldb>K %u, ldc>row %u, a dim >%u %u", cv->lda_wide, cv->ldb_wide,
	     cv->ldc_wide, RANDOM_JOBS_SMALL_DIM, cv->big_dim);
	diag("  A uint8 %u, B uint8 %u, out int32 %u / int8 %u / uint8 %u", cv->a_u8, cv->b_u8,
	     cv->out_i32, cv->out_i8, cv->out_u8);
	diag("  per-tensor %u, per-channel %u, bias on %u, bias off %u", cv->per_tensor,
	     cv->per_channel, cv->bias_on, cv->bias_off);
	diag("  requantization GEMMLOWP %u, SINGLE %u, FP32 %u", cv->rq[0], cv->rq[1], cv->rq[2]);
	diag("  A and B across a page at odd offsets %u", cv->cross_odd);
	for (int o = 0; o < 3; o++)
		diag("  %c zero point: %s %u, %s %u, %s %u, %s %u", "abc"[o], zp_name[0],
		     cv->zp[o][0], zp_name[1], cv->zp[o][1], zp_name[2], cv->zp[o][2],
		     zp_name[3], cv->zp[o][3]);
	diag("  requant output at clamp_min %u, at clamp_max %u, at both %u", cv->sat_min,
	     cv->sat_max, cv->sat_both);
}

static unsigned int random_job_count(void)
{
	const char *env = getenv("QACCEL_TEST_JOBS");

	if (env && atoi(env) > 0)
		return atoi(env);
	return qsim_rows() * qsim_cols() >= 1024 ? RANDOM_JOBS_32X32 : RANDOM_JOBS_DEFAULT;
}

/*
 * RANDOM_JOBS_DEFAULT jobs (QACCEL_TEST_JOBS=N to change), up to
 * RING_SIZE - 1 in flight: the ring is filled, then refilled whenever it
 * drains below a random level, so doorbells announce one job or many.
 * Every C byte (guards included) is compared with qaccel_ref_gemm().
 */
TEST_F_TIMEOUT(dev, random_jobs_500_cover_every_edge_class, 3600)
{
	struct qsim_host *d = &self->d;
	struct gemm g[RING_SIZE - 1];
	uint32_t tag[RING_SIZE - 1];
	unsigned int cls[RING_SIZE - 1];
	const uint32_t window = RING_SIZE - 1;
	unsigned int jobs = random_job_count() * iters, issued = 0, done = 0, refill = 0;
	struct edge_coverage cv = { 0 };

	memset(g, 0, sizeof(g));
	while (done < jobs) {
		struct qaccel_hw_cqe cqe;
		char why[256], what[320];
		uint32_t s;

		if (issued == done || issued - done <= refill) {
			while (issued < jobs && issued - done < window) {
				struct qaccel_hw_desc desc;

				s = issued % window;
				memset(&g[s], 0, sizeof(g[s]));
				cls[s] = issued % EC_COUNT;
				edge_params(d, &g[s], cls[s], issued / EC_COUNT);
				ASSERT_EQ(0, gemm_place(d, &g[s]));
				gemm_desc(d, &g[s], &desc);
				tag[s] = desc.tag;
				ASSERT_LT(0, qsim_host_sq_free(d));
				qsim_host_sq_push(d, &desc);
				issued++;
			}
			qsim_host_sq_ring(d);
			refill = rnd(window);
		}
		s = done % window;
		describe(&g[s], what, sizeof(what));
		ASSERT_EQ(0, qsim_host_cq_wait(d, &cqe, JOB_CYCLE_LIMIT))
			TH_LOG("job %u (%s): no completion: %s", done, edge_class_name[cls[s]], what);
		cycles_out(&cqe);
		ASSERT_EQ(tag[s], cqe.tag) TH_LOG("job %u: completion out of order", done);
		ASSERT_EQ(QACCEL_ERR_OK, cqe.status)
			TH_LOG("job %u (%s): status %u detail %u: %s", done, edge_class_name[cls[s]],
			       cqe.status, cqe.err_detail, what);
		EXPECT_EQ((uint64_t)g[s].p.m * g[s].p.n * g[s].p.k, cqe.macs);
		ASSERT_EQ(0, gemm_check(d, &g[s], why, sizeof(why)))
			TH_LOG("job %u (%s): %s: %s", done, edge_class_name[cls[s]], what, why);
		EXPECT_TRUE(edge_cover(&cv, &g[s], cls[s]))
			TH_LOG("job %u does not saturate at both ends: %s", done, what);
		gemm_free(d, &g[s]);
		done++;
	}
	edge_summary(&cv, jobs);

	/*
	 * Every edge was reached (where the device has the feature): the
	 * class cycles guarantee it from 8 jobs per class on.
	 */
	if (jobs < RANDOM_JOBS_FULL_COVERAGE)
		return;
	EXPECT_LT(0, cv.m1);
	EXPECT_LT(0, cv.n1);
	EXPECT_LT(0, cv.k1);
	EXPECT_LT(0, cv.all_prime);
	EXPECT_LT(0, cv.not_multiple);
	EXPECT_LT(0, cv.lda_wide);
	EXPECT_LT(0, cv.ldb_wide);
	EXPECT_LT(0, cv.ldc_wide);
	EXPECT_LT(0, cv.out_i32);
	EXPECT_LT(0, cv.cross_odd);
	EXPECT_LT(0, cv.big_dim);
	for (int o = 0; o < 2; o++) {
		EXPECT_LT(0, cv.zp[o][0]);
		EXPECT_LT(0, cv.zp[o][1]);
	}
	if (d->caps & QACCEL_CAP_UINT8_IN) {
		EXPECT_LT(0, cv.a_u8);
		EXPECT_LT(0, cv.b_u8);
		for (int o = 0; o < 2; o++) {
			EXPECT_LT(0, cv.zp[o][2]);
			EXPECT_LT(0, cv.zp[o][3]);
		}
	}
	if (d->caps & QACCEL_CAP_BIAS) {
		EXPECT_LT(0, cv.bias_on);
		EXPECT_LT(0, cv.bias_off);
	}
	if (d->caps & QACCEL_CAP_REQUANT) {
		EXPECT_LT(0, cv.out_i8);
		EXPECT_LT(0, cv.out_u8);
		EXPECT_LT(0, cv.per_tensor);
		for (int e = 0; e < 4; e++)
			EXPECT_LT(0, cv.zp[2][e]);
		EXPECT_LE(cv.cls[EC_SATURATE], cv.sat_both);
	}
	if (d->caps & QACCEL_CAP_PER_CHANNEL)
		EXPECT_LT(0, cv.per_channel);
	if (d->caps & QACCEL_CAP_RQ_MODES)
		for (int f = 0; f < 3; f++)
			EXPECT_LT(0, cv.rq[f]);
}

/* ------------------------------------------------------------------ */
/* Constructed accumulators: ties, float rounding, overflow            */
/* ------------------------------------------------------------------ */

/*
 * K = 1 and the even rows of A at a_zero_point, so an even row's
 * accumulator is exactly bias[n]: the bias picks it.  Each column (or, per
 * tensor, the whole job) gets one construction, cycled by column:
 *   0: a final tie: FP32 scale 2^-e and bias (2t+1) * 2^(e-1); SINGLE
 *      multiplier 2^p, 31 - shift = total, bias (2t+1) * 2^(total-1-p);
 *      GEMMLOWP multiplier 2^30 and bias (2t+1) * 2^(-shift) (SRDHM's tie);
 *   1: beyond 2^24, halfway between two binary32 values (float(acc) rounds
 *      half to even), FP32 scale (2k+1) * 2^-(e+1): a tie only after it;
 *   2: near INT32_MIN or INT32_MAX with a large scale or a left shift;
 *   3: an FP32 scale that overflows the product to infinity, and any bias;
 *   4: any int32 bias and any record of the family.
 */
#define RQ_KINDS 5

static void rq_construct_one(uint32_t rq, unsigned int kind, bool set_record,
			     struct qaccel_quant *rec, int32_t *bias)
{
	int32_t t = (int32_t)rnd(261) - 130;

	switch (kind) {
	case 0:
		if (rq == QACCEL_GEMM_RQ_FP32) {
			int e = (int)rnd_range(1, 20);

			if (set_record)
				*rec = (struct qaccel_quant){ fp32_bits(-e, 0), 0 };
			else
				e = 127 - (rec->multiplier >> 23 & 0xff);
			*bias = (2 * t + 1) * (1 << (e - 1));
		} else if (rq == QACCEL_GEMM_RQ_SINGLE) {
			int pw = (int)rnd_range(20, 30), total = pw + 1 + (int)rnd(8);

			if (set_record)
				*rec = (struct qaccel_quant){ (int32_t)(1u << pw), 31 - total };
			else
				total = 31 - rec->shift, pw = __builtin_ctz((uint32_t)rec->multiplier);
			*bias = (int32_t)((int64_t)(2 * t + 1) * (1ll << (total - 1 - pw)));
		} else {
			int e = (int)rnd(8);

			if (set_record)
				*rec = (struct qaccel_quant){ 1 << 30, -e };
			else
				e = -rec->shift;
			*bias = (2 * t + 1) * (1 << e);
		}
		break;
	case 1: {
		int e = (int)rnd_range(24, 30);
		int32_t mid = (int32_t)((1u << e) + (2 * rnd(64) + 1) * (1u << (e - 24)));
		float odd = (float)(2 * rnd(127) + 1);
		int32_t odd_bits;

		/* (2k+1) * 2^-(e+1): float(acc) * scale is about k + 1/2. */
		memcpy(&odd_bits, &odd, sizeof(odd_bits));
		if (set_record)
			*rec = rq == QACCEL_GEMM_RQ_FP32 ?
			       (struct qaccel_quant){ odd_bits - ((e + 1) << 23), 0 } :
			       (struct qaccel_quant){ (int32_t)rnd_range(1u << 30, INT32_MAX),
						      -(int32_t)rnd_range(20, 31) };
		*bias = rnd(2) ? -mid : mid;
		break;
	}
	case 2:
		if (set_record)
			*rec = rq == QACCEL_GEMM_RQ_FP32 ?
			       (struct qaccel_quant){ fp32_bits((int)rnd_range(0, 40), rnd(1u << 23)), 0 } :
			       (struct qaccel_quant){ (int32_t)rnd_range(1u << 30, INT32_MAX),
						      (int32_t)rnd(QACCEL_SHIFT_MAX + 1) };
		*bias = rnd(2) ? INT32_MAX - (int32_t)rnd(20000) : INT32_MIN + (int32_t)rnd(20000);
		break;
	case 3:
		if (set_record)
			*rec = rq == QACCEL_GEMM_RQ_FP32 ?
			       (struct qaccel_quant){ fp32_bits((int)rnd_range(100, 127), rnd(1u << 23)), 0 } :
			       (struct qaccel_quant){ (int32_t)rnd_range(1, INT32_MAX),
						      (int32_t)rnd_range(20, QACCEL_SHIFT_MAX) };
		*bias = rnd(4) ? (int32_t)rand_r(&seed) * (rnd(2) ? 1 : -1) : (int32_t)rnd(3) - 1;
		break;
	default:
		if (set_record)
			requant_params(rq, &rec->multiplier, &rec->shift);
		*bias = (int32_t)(rand_r(&seed) * 2u + rnd(2));
		break;
	}
}

static void rq_construct(struct qsim_host *d, struct gemm *g)
{
	struct qaccel_gemm_params *p = &g->p;
	uint32_t rq = p->flags & QACCEL_GEMM_RQ_MASK;
	bool per_channel = p->flags & QACCEL_GEMM_PER_CHANNEL;
	unsigned int job_kind = g->kind % RQ_KINDS;
	struct qaccel_quant tensor = { p->out_multiplier, p->out_shift };
	uint8_t zp_byte = (uint8_t)p->a_zero_point;

	/* Per tensor, the record is chosen once; every column follows it. */
	if (!per_channel) {
		int32_t unused;

		rq_construct_one(rq, job_kind, true, &tensor, &unused);
		p->out_multiplier = tensor.multiplier;
		p->out_shift = tensor.shift;
	}
	for (uint32_t j = 0; j < p->n; j++) {
		unsigned int kind = per_channel ? j % RQ_KINDS : job_kind;

		if (per_channel)
			rq_construct_one(rq, kind, true, &g->quant_host[j], &g->bias_host[j]);
		else
			rq_construct_one(rq, kind, false, &tensor, &g->bias_host[j]);
	}
	for (uint32_t i = 0; i < p->m; i += 2)
		for (uint32_t x = 0; x < p->k; x++)
			qsim_host_buf_write(d, &g->a, g->a_off + i * p->lda + x, &zp_byte, 1);
}

/* Outputs of g whose accumulator makes a tie or rounds in float(acc). */
static void rq_count(const struct gemm *g, unsigned int *ties, unsigned int *beyond)
{
	const struct qaccel_gemm_params *p = &g->p;
	uint32_t rq = p->flags & QACCEL_GEMM_RQ_MASK;

	for (uint32_t i = 0; i < p->m; i += 2) {
		for (uint32_t j = 0; j < p->n; j++) {
			int32_t acc = g->bias_host[j], mult = p->out_multiplier, sh = p->out_shift;

			if (p->flags & QACCEL_GEMM_PER_CHANNEL)
				mult = g->quant_host[j].multiplier, sh = g->quant_host[j].shift;
			if (rq == QACCEL_GEMM_RQ_FP32) {
				float s, v;

				memcpy(&s, &mult, sizeof(s));
				v = (float)acc * s;
				*beyond += (int64_t)(float)acc != acc;
				*ties += v < 1e9f && v > -1e9f && (v - (float)(int64_t)v == 0.5f ||
								   v - (float)(int64_t)v == -0.5f);
			} else if (rq == QACCEL_GEMM_RQ_SINGLE) {
				int total = 31 - sh;

				*ties += (((uint64_t)((int64_t)acc * mult)) &
					  ((1ull << total) - 1)) == 1ull << (total - 1);
			} else if (sh < 0) {
				/* RoundingDivideByPOT's tie after SRDHM. */
				int32_t high = qaccel_requant(acc, mult, 0);

				*ties += ((uint32_t)high & ((1u << -sh) - 1)) == 1u << (-sh - 1);
			} else {
				*ties += mult == 1 << 30 && (acc & 1);	/* SRDHM's */
			}
		}
	}
}

/*
 * For each family, per tensor and per channel: jobs of constructed
 * accumulators (rq_construct) match the reference byte for byte, and the
 * constructions did make ties and (FP32) accumulators that float rounds.
 */
TEST_F_TIMEOUT(dev, requant_families_match_reference_on_ties_and_big_accumulators, 600)
{
	struct qsim_host *d = &self->d;

	if (!(d->caps & QACCEL_CAP_RQ_MODES) || !out_supported(d, QACCEL_GEMM_OUT_INT8))
		SKIP(return, "device has no requantization families (CAPS 0x%x)", d->caps);
	for (uint32_t rq = 0; rq < 3; rq++) {
		for (int pc = 0; pc < 2; pc++) {
			unsigned int ties = 0, beyond = 0, jobs = 0;

			if (pc && !(d->caps & QACCEL_CAP_PER_CHANNEL))
				continue;
			for (int i = 0; i < 12; i++) {
				struct gemm g = { 0 };
				uint32_t status = ~0u, out = i & 1 ? QACCEL_GEMM_OUT_UINT8
								    : QACCEL_GEMM_OUT_INT8;

				random_params(d, &g.p, out);
				g.p.flags &= ~(QACCEL_GEMM_RQ_MASK | QACCEL_GEMM_PER_CHANNEL);
				g.p.flags |= rq << 6 | QACCEL_GEMM_BIAS |
					     (pc ? QACCEL_GEMM_PER_CHANNEL : 0);
				requant_params(rq << 6, &g.p.out_multiplier, &g.p.out_shift);
				g.p.m = rnd_range(2, 24);
				g.p.n = rnd_range(RQ_KINDS, 60);
				g.p.k = rnd_range(1, 3);
				g.p.lda = g.p.ldb = g.p.k;
				g.p.ldc = g.p.n;
				g.construct = rq_construct;
				g.kind = i;
				ASSERT_EQ(0, gemm_place(d, &g));
				ASSERT_EQ(0, run_gemm(_metadata, d, &g, &status));
				ASSERT_EQ(QACCEL_ERR_OK, status);
				rq_count(&g, &ties, &beyond);
				jobs++;
				gemm_free(d, &g);
			}
			diag("requant family %u %s: %u jobs, %u ties, %u accumulators float rounds",
			     rq, pc ? "per channel" : "per tensor", jobs, ties, beyond);
			EXPECT_LT(0, ties);
			if (rq == 2)
				EXPECT_LT(0, beyond);
		}
	}
}

/* A small good job after a bad one: the device must not be wedged. */
static void good_job_still_works(struct __test_metadata *_metadata, struct qsim_host *d)
{
	struct gemm g = { 0 };
	uint32_t status = ~0u;

	random_params(d, &g.p, QACCEL_GEMM_OUT_INT32);
	g.p.m = 5;
	g.p.n = 6;
	g.p.k = 7;
	g.p.lda = g.p.ldb = 7;
	g.p.ldc = 24;
	ASSERT_EQ(0, gemm_place(d, &g));
	ASSERT_EQ(0, run_gemm(_metadata, d, &g, &status));
	EXPECT_EQ(QACCEL_ERR_OK, status);
	gemm_free(d, &g);
}

enum corruption {
	BAD_OPCODE, BAD_RESERVED, ZERO_M, ZERO_K, BIG_N, BAD_FLAGS, OUT_TYPE_3, RQ_FAMILY_3,
	A_BEYOND_SIZE, C_BEYOND_SIZE, INVALID_PTE, INVALID_L1, OUTSIDE_MEMORY,
};

static const struct {
	enum corruption what;
	const char *name;
	uint32_t status;
} bad_cases[] = {
	{ BAD_OPCODE, "unknown opcode", QACCEL_ERR_BAD_OPCODE },
	{ BAD_RESERVED, "reserved byte set", QACCEL_ERR_BAD_OPCODE },
	{ ZERO_M, "m = 0", QACCEL_ERR_BAD_DIM },
	{ ZERO_K, "k = 0", QACCEL_ERR_BAD_DIM },
	{ BIG_N, "n > max", QACCEL_ERR_BAD_DIM },
	{ BAD_FLAGS, "unknown flag", QACCEL_ERR_BAD_FLAGS },
	{ OUT_TYPE_3, "output type 3", QACCEL_ERR_BAD_FLAGS },
	{ RQ_FAMILY_3, "requantization family 3", QACCEL_ERR_BAD_FLAGS },
	{ A_BEYOND_SIZE, "A one byte past its buffer", QACCEL_ERR_DMA_BOUNDS },
	{ C_BEYOND_SIZE, "C one byte past its buffer", QACCEL_ERR_DMA_BOUNDS },
	{ INVALID_PTE, "B page entry invalid", QACCEL_ERR_DMA_FAULT },
	{ INVALID_L1, "A level-1 entry invalid", QACCEL_ERR_DMA_FAULT },
	{ OUTSIDE_MEMORY, "C page outside memory", QACCEL_ERR_DMA_FAULT },
};

TEST_F_TIMEOUT(dev, bad_descriptors_complete_with_their_error, 300)
{
	struct qsim_host *d = &self->d;

	for (size_t i = 0; i < sizeof(bad_cases) / sizeof(bad_cases[0]); i++) {
		struct gemm g = { 0 };
		struct qaccel_hw_desc desc;
		struct qaccel_hw_cqe cqe;
		uint64_t *l1, *l0;

		random_params(d, &g.p, QACCEL_GEMM_OUT_INT32);
		g.p.m = 9;
		g.p.n = 10;
		g.p.k = 11;
		g.p.lda = g.p.ldb = 11;
		g.p.ldc = 40;
		ASSERT_EQ(0, gemm_place(d, &g));
		gemm_desc(d, &g, &desc);
		switch (bad_cases[i].what) {
		case BAD_OPCODE: desc.opcode = 0x7f; break;
		case BAD_RESERVED: desc.reserved0 = 1; break;
		case ZERO_M: desc.m = 0; break;
		case ZERO_K: desc.k = 0; break;
		case BIG_N: desc.n = QACCEL_MAX_DIM + 1; break;
		case BAD_FLAGS: desc.flags |= 0x100; break;
		case RQ_FAMILY_3: desc.flags |= QACCEL_F_RQ_MASK; break;
		case OUT_TYPE_3: desc.flags |= QACCEL_F_OUT_MASK; break;
		case A_BEYOND_SIZE: desc.a.size -= 1; break;
		case C_BEYOND_SIZE: desc.c.size = desc.c.offset + (desc.m - 1) * desc.ldc + desc.n * 4 - 1; break;
		case INVALID_PTE:
			l1 = qsim_host_ptr(d, g.b.table);
			l0 = qsim_host_ptr(d, l1[0] & QACCEL_PTE_ADDR_MASK);
			l0[(g.b_off + g.b_span - 1) / QACCEL_PAGE_SIZE] &= ~QACCEL_PTE_VALID;
			break;
		case INVALID_L1:
			l1 = qsim_host_ptr(d, g.a.table);
			l1[0] &= ~QACCEL_PTE_VALID;
			break;
		case OUTSIDE_MEMORY:
			l1 = qsim_host_ptr(d, g.c.table);
			l0 = qsim_host_ptr(d, l1[0] & QACCEL_PTE_ADDR_MASK);
			l0[g.c_off / QACCEL_PAGE_SIZE] = (uint64_t)MEM_SIZE * 4 | QACCEL_PTE_VALID;
			break;
		}
		qsim_host_sq_push(d, &desc);
		qsim_host_sq_ring(d);
		ASSERT_EQ(0, qsim_host_cq_wait(d, &cqe, JOB_CYCLE_LIMIT)) TH_LOG("%s: no completion", bad_cases[i].name);
		EXPECT_EQ(desc.tag, cqe.tag);
		EXPECT_EQ(bad_cases[i].status, cqe.status)
			TH_LOG("%s: status %u, want %u (detail %u)", bad_cases[i].name,
			       cqe.status, bad_cases[i].status, cqe.err_detail);
		EXPECT_FALSE(qsim_reg_read(d->q, QACCEL_REG_STATUS) & QACCEL_STATUS_FATAL);
		gemm_free(d, &g);
		good_job_still_works(_metadata, d);
	}
}

/*
 * Errors in the middle of a GEMV job: a B page entry that only a prefetched
 * line of entries holds, and a per-channel shift out of range in a later
 * tile.  Each completes with its error and the next job is right.
 */
TEST_F_TIMEOUT(dev, gemv_errors_mid_job_then_next_job_works, 600)
{
	struct qsim_host *d = &self->d;

	for (int what = 0; what < 2; what++) {
		struct gemm g = { 0 };
		struct qaccel_hw_desc desc;
		struct qaccel_hw_cqe cqe;
		uint64_t *l1, *l0;
		uint32_t page;

		random_params(d, &g.p, what ? QACCEL_GEMM_OUT_INT8 : QACCEL_GEMM_OUT_INT32);
		if (what && !out_supported(d, QACCEL_GEMM_OUT_INT8))
			continue;
		g.p.m = 1;
		g.p.n = 40;
		g.p.k = QACCEL_PAGE_SIZE;
		g.p.lda = g.p.ldb = g.p.k;
		g.p.ldc = g.p.n * 4;
		if (what)
			g.p.flags |= QACCEL_GEMM_PER_CHANNEL;
		ASSERT_EQ(0, gemm_place(d, &g));
		gemm_desc(d, &g, &desc);
		if (what == 0) {
			/* Row 33 of B: its entry is in the fifth line of entries. */
			page = (g.b_off + 33 * g.p.ldb) / QACCEL_PAGE_SIZE;
			l1 = qsim_host_ptr(d, g.b.table);
			l0 = qsim_host_ptr(d, l1[0] & QACCEL_PTE_ADDR_MASK);
			l0[page] &= ~QACCEL_PTE_VALID;
		} else {
			struct qaccel_quant bad = { .multiplier = 1 << 30, .shift = 40 };

			qsim_host_buf_write(d, &g.quant, g.quant_off + 8 * 37, &bad, sizeof(bad));
		}
		qsim_host_sq_push(d, &desc);
		qsim_host_sq_ring(d);
		ASSERT_EQ(0, qsim_host_cq_wait(d, &cqe, JOB_CYCLE_LIMIT));
		EXPECT_EQ(desc.tag, cqe.tag);
		EXPECT_EQ(what ? QACCEL_ERR_BAD_PARAM : QACCEL_ERR_DMA_FAULT, cqe.status)
			TH_LOG("case %d: status %u detail %u", what, cqe.status, cqe.err_detail);
		if (what == 0)
			EXPECT_EQ(2, cqe.err_detail);	/* stream B + 1 */
		EXPECT_FALSE(qsim_reg_read(d->q, QACCEL_REG_STATUS) & QACCEL_STATUS_FATAL);
		gemm_free(d, &g);
		good_job_still_works(_metadata, d);
	}
}

TEST_F_TIMEOUT(dev, ctrl_reset_mid_job_then_jobs_run_again, 300)
{
	struct qsim_host *d = &self->d;
	struct gemm g = { 0 };
	struct qaccel_hw_desc desc;

	random_params(d, &g.p, QACCEL_GEMM_OUT_INT32);
	g.p.m = g.p.n = g.p.k = 64;
	g.p.lda = g.p.ldb = 64;
	g.p.ldc = 256;
	ASSERT_EQ(0, gemm_place(d, &g));
	gemm_desc(d, &g, &desc);
	qsim_host_sq_push(d, &desc);
	qsim_host_sq_ring(d);
	qsim_run(d->q, 2000);
	EXPECT_TRUE(qsim_reg_read(d->q, QACCEL_REG_STATUS) & QACCEL_STATUS_BUSY);
	qsim_reg_write(d->q, QACCEL_REG_CTRL, QACCEL_CTRL_RESET);
	/* Reset lets in-flight DMA drain, then the device is idle. */
	EXPECT_EQ(QSIM_STOP_IDLE, qsim_run(d->q, 1000000));
	EXPECT_EQ(0, qsim_reg_read(d->q, QACCEL_REG_CTRL) & QACCEL_CTRL_RESET);
	EXPECT_EQ(0, qsim_reg_read(d->q, QACCEL_REG_SQ_HEAD));
	gemm_free(d, &g);
	qsim_host_rings_start(d);
	good_job_still_works(_metadata, d);
	good_job_still_works(_metadata, d);
}

TEST_F_TIMEOUT(dev, counters_count_the_work, 300)
{
	struct qsim_host *d = &self->d;
	uint64_t macs0 = qsim_host_reg_read64(d, QACCEL_REG_CNT_MACS);
	uint64_t jobs0 = qsim_host_reg_read64(d, QACCEL_REG_CNT_JOBS);
	uint64_t cyc0 = qsim_host_reg_read64(d, QACCEL_REG_CNT_CYCLES);
	uint64_t busy0 = qsim_host_reg_read64(d, QACCEL_REG_CNT_BUSY);
	uint64_t rd0 = qsim_host_reg_read64(d, QACCEL_REG_CNT_DMA_RD);
	uint64_t wr0 = qsim_host_reg_read64(d, QACCEL_REG_CNT_DMA_WR);
	struct gemm g = { 0 };
	uint32_t status;
	uint64_t macs, busy, cycles;

	random_params(d, &g.p, QACCEL_GEMM_OUT_INT32);
	g.p.m = 23;
	g.p.n = 19;
	g.p.k = 37;
	g.p.lda = g.p.ldb = 37;
	g.p.ldc = 19 * 4;
	ASSERT_EQ(0, gemm_place(d, &g));
	ASSERT_EQ(0, run_gemm(_metadata, d, &g, &status));
	ASSERT_EQ(0, status);
	/* The counters move on the record's write response, after we saw it. */
	ASSERT_EQ(0, qsim_host_run_until_idle(d, 1000000));
	macs = qsim_host_reg_read64(d, QACCEL_REG_CNT_MACS) - macs0;
	busy = qsim_host_reg_read64(d, QACCEL_REG_CNT_BUSY) - busy0;
	cycles = qsim_host_reg_read64(d, QACCEL_REG_CNT_CYCLES) - cyc0;
	EXPECT_EQ(23 * 19 * 37, macs);
	EXPECT_EQ(1, qsim_host_reg_read64(d, QACCEL_REG_CNT_JOBS) - jobs0);
	EXPECT_LT(0, busy);
	EXPECT_LE(busy, cycles);
	/* At least the operands were read and C written. */
	EXPECT_LE(23 * 37 + 19 * 37, qsim_host_reg_read64(d, QACCEL_REG_CNT_DMA_RD) - rd0);
	EXPECT_LE(23 * 19 * 4, qsim_host_reg_read64(d, QACCEL_REG_CNT_DMA_WR) - wr0);
	gemm_free(d, &g);
}

TEST_HARNESS_MAIN
