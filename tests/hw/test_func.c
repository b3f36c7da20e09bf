// SPDX-License-Identifier: MIT
/*
 * test_func: the functional model (sim/qsim_func.c, qsim_config.functional)
 * is the RTL as far as software can tell.
 *
 * Each test drives two devices side by side through sim/qsim_host.h: the
 * Verilated RTL and the functional model, each with its own host memory
 * laid out identically (the same page shuffle seed and the same
 * allocations in the same order, so every device address, page table and
 * descriptor is the same).  They get the same register writes and the same
 * jobs, and the test compares what software can see: every completion
 * record field that is not timing (tag, status, err_detail, sq_head, phase,
 * macs), every byte of every C buffer (guard bytes included), the
 * registers, and at the end the whole of both memories but the completion
 * ring (whose records carry cycle counts).
 *
 * C after a failed job: decode errors, a bad per-channel record and a C row
 * past its buffer leave exactly the same bytes on both devices (the tiles
 * written before the failure).  After a page fault, an AXI error or an
 * operand past its buffer, how much of C the RTL wrote depends on its
 * timing; there every byte of C on both devices must be either what was
 * there before or the right result, nothing else, and the functional
 * memory then takes the RTL's bytes so that the final comparison stays
 * exact.  docs/simulation.md ("Functional mode") says why.
 *
 * QACCEL_TEST_JOBS=N sets the length of the job stream (default 600),
 * QACCEL_TEST_SEED=S fixes the seed (default: printed, from the time),
 * QACCEL_TEST_CYCLES_OUT=FILE appends each RTL record's timing fields
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
#include "qaccel_prng.h"
#include "qaccel_ref.h"
#include "qsim.h"
#include "qsim_host.h"
#include "hw_test_common.h"

#define MEM_SIZE	(64u << 20)
#define RING		32u
#define WINDOW		(RING - 1)
/* Far more than any job here needs; hitting it means a device hung. */
#define JOB_CYCLE_LIMIT	(200ull * 1000 * 1000)
#define IDLE_LIMIT	(50ull * 1000 * 1000)
#define DEFAULT_JOBS	600u
/* Addresses no memory answers. */
#define NOWHERE		((uint64_t)MEM_SIZE * 4)

static uint64_t data_state;

/* Operand bytes: the project's PRNG, far cheaper than rand_r per byte. */
static uint64_t data64(void)
{
	return prng_next(&data_state);
}

static double now_s(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + t.tv_nsec * 1e-9;
}

/* ------------------------------------------------------------------ */
/* Two devices in lockstep                                             */
/* ------------------------------------------------------------------ */

struct twin {
	struct qsim_host rtl, fn;
};

/* A buffer allocated the same way in both memories. */
struct tbuf {
	struct qsim_host_buf r, f;
};

static int twin_open(struct twin *t, unsigned int shuffle_seed)
{
	unsigned int seed_r = shuffle_seed, seed_f = shuffle_seed;
	struct qsim_host_config cr = { .mem_size = MEM_SIZE, .ring_size = RING, .seed = &seed_r };
	struct qsim_host_config cf = cr;
	int ret;

	cf.seed = &seed_f;
	cf.functional = true;
	ret = qsim_host_open(&t->rtl, &cr);
	if (ret)
		return ret;
	ret = qsim_host_open(&t->fn, &cf);
	if (ret)
		qsim_host_close(&t->rtl);
	return ret;
}

static void twin_close(struct twin *t)
{
	qsim_host_close(&t->rtl);
	qsim_host_close(&t->fn);
}

static struct qsim_host *side(struct twin *t, int i)
{
	return i ? &t->fn : &t->rtl;
}

static int tbuf_alloc(struct twin *t, struct tbuf *b, uint32_t size)
{
	int ret = qsim_host_buf_alloc(&t->rtl, &b->r, size);

	ret |= qsim_host_buf_alloc(&t->fn, &b->f, size);
	if (ret)
		return -ENOMEM;
	if (b->r.table != b->f.table ||
	    memcmp(b->r.page, b->f.page, b->r.npages * sizeof(*b->r.page)))
		return -EIO;	/* the layouts drifted apart: a test bug */
	return 0;
}

static void tbuf_free(struct twin *t, struct tbuf *b)
{
	qsim_host_buf_free(&t->rtl, &b->r);
	qsim_host_buf_free(&t->fn, &b->f);
}

/* Fill every page of b with the same random bytes on both sides. */
static void tbuf_fill(struct twin *t, const struct tbuf *b)
{
	for (uint32_t p = 0; p < b->r.npages; p++) {
		uint64_t *r = qsim_host_ptr(&t->rtl, b->r.page[p]);
		uint64_t *f = qsim_host_ptr(&t->fn, b->f.page[p]);

		for (uint32_t i = 0; i < QACCEL_PAGE_SIZE / 8; i++)
			r[i] = f[i] = data64();
	}
}

static void tbuf_write(struct twin *t, const struct tbuf *b, uint32_t off, const void *src,
		       uint32_t len)
{
	qsim_host_buf_write(&t->rtl, &b->r, off, src, len);
	qsim_host_buf_write(&t->fn, &b->f, off, src, len);
}

/* A 64-bit word of both memories (page tables). */
static uint64_t *word(struct qsim_host *h, uint64_t addr)
{
	return qsim_host_ptr(h, addr);
}

static void twin_reg_write(struct twin *t, uint32_t off, uint32_t v)
{
	qsim_reg_write(t->rtl.q, off, v);
	qsim_reg_write(t->fn.q, off, v);
}

static void twin_reg_write64(struct twin *t, uint32_t off, uint64_t v)
{
	qsim_host_reg_write64(&t->rtl, off, v);
	qsim_host_reg_write64(&t->fn, off, v);
}

static int twin_run_until_idle(struct twin *t)
{
	return qsim_host_run_until_idle(&t->rtl, IDLE_LIMIT) |
	       qsim_host_run_until_idle(&t->fn, IDLE_LIMIT);
}

static bool timing_reg(uint32_t off)
{
	return off == QACCEL_REG_CNT_CYCLES || off == QACCEL_REG_CNT_CYCLES + 4 ||
	       (off >= QACCEL_REG_CNT_BUSY && off < QACCEL_REG_CNT_MACS) ||
	       (off >= QACCEL_REG_CNT_DMA_RD && off < QACCEL_REG_CNT_JOBS);
}

/*
 * Read every register of both devices (in the same order, so the counter
 * snapshots agree) and count those that differ; CAPS must differ by
 * QACCEL_CAP_FUNCTIONAL only, timing counters are skipped.
 */
static int compare_registers(struct __test_metadata *_metadata, struct twin *t,
			     const char *when)
{
	int bad = 0;

	for (uint32_t off = 0; off < QACCEL_REG_END; off += 4) {
		uint32_t r = qsim_reg_read(t->rtl.q, off), f = qsim_reg_read(t->fn.q, off);

		if (off == QACCEL_REG_CAPS)
			r |= QACCEL_CAP_FUNCTIONAL;
		if (timing_reg(off) || r == f)
			continue;
		TH_LOG("%s: register 0x%03x: RTL 0x%08x, functional 0x%08x", when, off, r, f);
		bad++;
	}
	if (qsim_irq(t->rtl.q) != qsim_irq(t->fn.q)) {
		TH_LOG("%s: irq: RTL %d, functional %d", when, qsim_irq(t->rtl.q),
		       qsim_irq(t->fn.q));
		bad++;
	}
	return bad;
}

/* Non-timing fields of two completion records. */
static int compare_cqe(struct __test_metadata *_metadata, const struct qaccel_hw_cqe *r,
		       const struct qaccel_hw_cqe *f, const char *what)
{
	cycles_out(r);
	if (r->tag == f->tag && r->status == f->status && r->info == f->info &&
	    r->sq_head == f->sq_head && r->err_detail == f->err_detail && r->macs == f->macs)
		return 0;
	TH_LOG("%s: record RTL {tag %u status %u info %u sq_head %u detail %u macs %llu}, "
	       "functional {tag %u status %u info %u sq_head %u detail %u macs %llu}", what,
	       r->tag, r->status, r->info, r->sq_head, r->err_detail,
	       (unsigned long long)r->macs, f->tag, f->status, f->info, f->sq_head,
	       f->err_detail, (unsigned long long)f->macs);
	return 1;
}

/*
 * What a job read: operands, page-table entries and the descriptor batch it
 * was the first of.  The DMA's translation cache decides how many
 * page-table lines a job reads, so a model with another cache (fewer ways,
 * another replacement order, no stream buffer) reads a different number of
 * bytes.  Writes go through the same cache but never depend on it, and the
 * RTL counts a record's write in the job that is running when its beat
 * leaves, which depends on timing: they are not compared.
 */
static int compare_dma_reads(struct __test_metadata *_metadata, const struct qaccel_hw_cqe *r,
			     const struct qaccel_hw_cqe *f, const char *what)
{
	if (r->dma_rd_bytes == f->dma_rd_bytes)
		return 0;
	TH_LOG("%s: DMA bytes read: RTL %llu, functional %llu", what,
	       (unsigned long long)r->dma_rd_bytes, (unsigned long long)f->dma_rd_bytes);
	return 1;
}

/* ------------------------------------------------------------------ */
/* Jobs                                                                */
/* ------------------------------------------------------------------ */

/* What is wrong with a job, and what both devices must answer. */
enum fault {
	F_NONE,
	/* decode */
	F_OPCODE, F_RESERVED0, F_RESERVED1, F_NOP_RESERVED, F_OPCODE_BEFORE_DIM,
	F_M_ZERO, F_N_ZERO, F_K_ZERO, F_DIM_BIG, F_DIM_BEFORE_FLAGS, F_FLAGS, F_OUT_TYPE_3,
	F_FLAGS_BEFORE_PARAM, F_A_ZP, F_B_ZP, F_C_ZP, F_CLAMP_ORDER, F_CLAMP_RANGE, F_SHIFT,
	F_RQ_FAMILY_3, F_FP32_SCALE,
	/* per-channel records, checked tile by tile */
	F_CHANNEL_SHIFT_FIRST, F_CHANNEL_SHIFT_LATER, F_CHANNEL_SHIFT_SMALL_M, F_CHANNEL_FP32,
	/* fields the device must ignore */
	F_INT32_IGNORES_REQUANT, F_PER_CHANNEL_IGNORES_SHIFT,
	/* bounds */
	F_BOUNDS_A, F_BOUNDS_B, F_BOUNDS_C, F_BOUNDS_BIAS, F_BOUNDS_QUANT, F_BOUNDS_1G,
	F_BOUNDS_STRIDE,
	/* page tables and the bus */
	F_L1_A, F_L1_C, F_PTE_A, F_PTE_B, F_PTE_C, F_PTE_BIAS, F_PTE_QUANT, F_PAGE_OUT_B,
	F_PAGE_OUT_C, F_L0_TABLE_OUT, F_L1_TABLE_OUT, F_INJECTED,
	F_COUNT
};

static const struct {
	const char *name;
	uint16_t status;
	uint32_t detail;
	bool c_exact;		/* C is deterministic: both devices byte-equal */
	bool c_untouched;	/* the first request fails: C stays as it was */
} faults[F_COUNT] = {
	[F_NONE] = { "none", QACCEL_ERR_OK, 0, true, false },
	[F_OPCODE] = { "unknown opcode", QACCEL_ERR_BAD_OPCODE, 0, true, true },
	[F_RESERVED0] = { "reserved0 set", QACCEL_ERR_BAD_OPCODE, 0, true, true },
	[F_RESERVED1] = { "reserved1 set", QACCEL_ERR_BAD_OPCODE, 0, true, true },
	[F_NOP_RESERVED] = { "NOP with reserved0 set", QACCEL_ERR_BAD_OPCODE, 0, true, true },
	[F_OPCODE_BEFORE_DIM] = { "bad opcode and m = 0", QACCEL_ERR_BAD_OPCODE, 0, true, true },
	[F_M_ZERO] = { "m = 0", QACCEL_ERR_BAD_DIM, 0, true, true },
	[F_N_ZERO] = { "n = 0", QACCEL_ERR_BAD_DIM, 0, true, true },
	[F_K_ZERO] = { "k = 0", QACCEL_ERR_BAD_DIM, 0, true, true },
	[F_DIM_BIG] = { "a dim above 65535", QACCEL_ERR_BAD_DIM, 0, true, true },
	[F_DIM_BEFORE_FLAGS] = { "k = 0 and unknown flags", QACCEL_ERR_BAD_DIM, 0, true, true },
	[F_FLAGS] = { "unknown flag", QACCEL_ERR_BAD_FLAGS, 0, true, true },
	[F_OUT_TYPE_3] = { "output type 3", QACCEL_ERR_BAD_FLAGS, 0, true, true },
	[F_FLAGS_BEFORE_PARAM] = { "output type 3 and a bad zero point",
				   QACCEL_ERR_BAD_FLAGS, 0, true, true },
	[F_A_ZP] = { "A zero point outside its type", QACCEL_ERR_BAD_PARAM, 0, true, true },
	[F_B_ZP] = { "B zero point outside its type", QACCEL_ERR_BAD_PARAM, 0, true, true },
	[F_C_ZP] = { "C zero point outside its type", QACCEL_ERR_BAD_PARAM, 0, true, true },
	[F_CLAMP_ORDER] = { "clamp_min > clamp_max", QACCEL_ERR_BAD_PARAM, 0, true, true },
	[F_CLAMP_RANGE] = { "clamp outside the output type", QACCEL_ERR_BAD_PARAM, 0, true, true },
	[F_SHIFT] = { "per-tensor shift out of range", QACCEL_ERR_BAD_PARAM, 0, true, true },
	[F_RQ_FAMILY_3] = { "requantization family 3", QACCEL_ERR_BAD_FLAGS, 0, true, true },
	[F_FP32_SCALE] = { "per-tensor FP32 scale NaN, inf, 0, negative, subnormal or shifted",
			   QACCEL_ERR_BAD_PARAM, 0, true, true },
	[F_CHANNEL_FP32] = { "per-channel FP32 record bad in a later tile",
			     QACCEL_ERR_BAD_PARAM, 0, true, false },
	[F_CHANNEL_SHIFT_FIRST] = { "per-channel shift bad in the first tile",
				    QACCEL_ERR_BAD_PARAM, 0, true, true },
	[F_CHANNEL_SHIFT_LATER] = { "per-channel shift bad in a later tile",
				    QACCEL_ERR_BAD_PARAM, 0, true, false },
	/* Arrays of 64 PEs or more run M x cols < 64 in GEMV tiles (1 x ch x slot). */
	[F_CHANNEL_SHIFT_SMALL_M] = { "per-channel shift bad later, M of 1..3",
				      QACCEL_ERR_BAD_PARAM, 0, true, false },
	[F_INT32_IGNORES_REQUANT] = { "int32 output ignores requant fields", QACCEL_ERR_OK, 0,
				      true, false },
	[F_PER_CHANNEL_IGNORES_SHIFT] = { "per-channel ignores the per-tensor shift",
					  QACCEL_ERR_OK, 0, true, false },
	[F_BOUNDS_A] = { "A one byte past its buffer", QACCEL_ERR_DMA_BOUNDS, 1, false, false },
	[F_BOUNDS_B] = { "B one byte past its buffer", QACCEL_ERR_DMA_BOUNDS, 2, false, false },
	[F_BOUNDS_C] = { "a C row past its buffer", QACCEL_ERR_DMA_BOUNDS, 3, true, false },
	[F_BOUNDS_BIAS] = { "bias one byte short", QACCEL_ERR_DMA_BOUNDS, 4, false, false },
	[F_BOUNDS_QUANT] = { "quant one record short", QACCEL_ERR_DMA_BOUNDS, 5, false, false },
	[F_BOUNDS_1G] = { "A past the 1 GiB a table maps", QACCEL_ERR_DMA_BOUNDS, 1, true, true },
	[F_BOUNDS_STRIDE] = { "ldb = 2 GiB", QACCEL_ERR_DMA_BOUNDS, 2, true, true },
	[F_L1_A] = { "A level-1 entry invalid", QACCEL_ERR_DMA_FAULT, 1, true, true },
	[F_L1_C] = { "C level-1 entry invalid", QACCEL_ERR_DMA_FAULT, 3, true, true },
	[F_PTE_A] = { "A last page entry invalid", QACCEL_ERR_DMA_FAULT, 1, false, false },
	[F_PTE_B] = { "B last page entry invalid", QACCEL_ERR_DMA_FAULT, 2, false, false },
	[F_PTE_C] = { "C last page entry invalid", QACCEL_ERR_DMA_FAULT, 3, false, false },
	[F_PTE_BIAS] = { "bias page entry invalid", QACCEL_ERR_DMA_FAULT, 4, false, false },
	[F_PTE_QUANT] = { "quant page entry invalid", QACCEL_ERR_DMA_FAULT, 5, false, false },
	[F_PAGE_OUT_B] = { "B page outside memory", QACCEL_ERR_DMA_FAULT, 2, false, false },
	[F_PAGE_OUT_C] = { "C page outside memory", QACCEL_ERR_DMA_FAULT, 3, false, false },
	[F_L0_TABLE_OUT] = { "B level-0 table outside memory", QACCEL_ERR_DMA_FAULT, 2,
			     true, true },
	[F_L1_TABLE_OUT] = { "C level-1 table outside memory", QACCEL_ERR_DMA_FAULT, 3,
			     true, true },
	[F_INJECTED] = { "injected AXI read error", QACCEL_ERR_DMA_FAULT, 0, true, true },
};

/* Job shapes, cycled so that any stream covers every one. */
enum shape {
	S_INT32, S_UINT8_IN, S_INT8_TENSOR, S_UINT8_TENSOR, S_INT8_CHANNEL, S_UINT8_CHANNEL,
	S_ZP_EXTREME, S_DIM_ONE, S_PRIME, S_WIDE_STRIDES, S_ODD_PAGE_CROSS, S_LONG_K,
	S_OVERLAPPING_ROWS, S_NOP, S_BIGGER, S_MANY_LINES, S_COUNT
};

static const char *const shape_name[S_COUNT] = {
	"int32 out", "uint8 inputs", "int8 per-tensor", "uint8 per-tensor", "int8 per-channel",
	"uint8 per-channel", "zero-point extremes", "dims of 1", "prime dims", "wide strides",
	"odd offsets across pages", "K past one chunk", "overlapping rows", "NOP",
	"a dim of 100..160", "operands over 3..12 PTE lines",
};

/*
 * Buffer bytes one line of the DMA's translation cache maps: a beat of
 * level-0 entries, one page each.  S_MANY_LINES spreads A and B over more
 * lines than a stream's ways and revisits them (several row blocks, and K
 * past one chunk), so the number of page-table reads shows the cache's
 * ways and replacement order.
 */
#define PTE_LINE_BYTES	(QACCEL_PAGE_SIZE * (QACCEL_AXI_DATA_BYTES / 8))

struct job {
	struct qaccel_gemm_params p;
	enum shape shape;
	enum fault fault;
	bool nop;
	struct tbuf a, b, c, bias, quant;
	uint32_t a_off, b_off, c_off, bias_off, quant_off;
	uint32_t a_span, b_span, c_span;
	uint8_t *a_host, *b_host, *c_before, *c_ref;
	int32_t *bias_host;
	struct qaccel_quant *quant_host;
	struct qaccel_hw_desc desc;
	/* A page-table word changed for the fault, put back afterwards. */
	uint64_t pte_addr, pte_old;
};

static uint32_t rnd_dim(void)
{
	static const uint32_t dims[] = { 1, 2, 3, 4, 5, 7, 8, 13, 16, 17, 31, 32, 33 };

	return rnd(2) ? dims[rnd(13)] : rnd_range(1, 48);
}

static int32_t rnd_zp(bool is_uint8)
{
	return is_uint8 ? (int32_t)rnd(256) : (int32_t)rnd(256) - 128;
}

static int32_t zp_end(bool is_uint8)
{
	return is_uint8 ? (rnd(2) ? 255 : 0) : (rnd(2) ? 127 : -128);
}

/* A requantization record for the family of @flags. */
static void rnd_requant(uint32_t flags, int32_t *mult, int32_t *shift)
{
	if ((flags & QACCEL_GEMM_RQ_MASK) == QACCEL_GEMM_RQ_FP32) {
		*mult = fp32_scale();
		*shift = 0;
	} else if (rnd(4)) {
		*mult = (int32_t)rnd_range(1u << 30, INT32_MAX);
		*shift = -(int32_t)rnd_range(4, 14);
	} else {
		*mult = (int32_t)rnd_range(1, INT32_MAX);
		*shift = (int32_t)rnd_range(0, QACCEL_SHIFT_MAX - QACCEL_SHIFT_MIN) + QACCEL_SHIFT_MIN;
	}
}

/* Parameters of a job of the given shape (strides and offsets: job_place). */
static void job_params(struct job *j)
{
	struct qaccel_gemm_params *p = &j->p;
	uint32_t out = (uint32_t[]){ QACCEL_GEMM_OUT_INT32, QACCEL_GEMM_OUT_INT8,
				     QACCEL_GEMM_OUT_UINT8 }[rnd(3)];

	memset(p, 0, sizeof(*p));
	switch (j->shape) {
	case S_INT32: out = QACCEL_GEMM_OUT_INT32; break;
	case S_INT8_TENSOR: case S_INT8_CHANNEL: out = QACCEL_GEMM_OUT_INT8; break;
	case S_UINT8_TENSOR: case S_UINT8_CHANNEL: out = QACCEL_GEMM_OUT_UINT8; break;
	default: break;
	}
	p->flags = out | (rnd(2) ? QACCEL_GEMM_BIAS : 0) | rnd(3) << 6;
	if (j->shape == S_UINT8_IN)
		p->flags |= 1 + rnd(3);
	else
		p->flags |= rnd(4);
	if (out != QACCEL_GEMM_OUT_INT32 &&
	    (j->shape == S_INT8_CHANNEL || j->shape == S_UINT8_CHANNEL ||
	     (j->shape != S_INT8_TENSOR && j->shape != S_UINT8_TENSOR && rnd(2))))
		p->flags |= QACCEL_GEMM_PER_CHANNEL;
	p->m = rnd_dim();
	p->n = rnd_dim();
	p->k = rnd_dim();
	switch (j->shape) {
	case S_DIM_ONE:
		if (rnd(2))
			p->m = 1;
		if (rnd(2))
			p->n = 1;
		if (rnd(2) || (p->m > 1 && p->n > 1))
			p->k = 1;
		break;
	case S_PRIME:
		p->m = rnd_prime(60);
		p->n = rnd_prime(60);
		p->k = rnd_prime(60);
		break;
	case S_LONG_K:
		p->m = rnd_range(1, 9);
		p->n = rnd_range(1, 9);
		p->k = rnd_range(513, 1100);
		break;
	case S_BIGGER:
		*(uint32_t *[]){ &p->m, &p->n, &p->k }[rnd(3)] = rnd_range(100, 160);
		break;
	case S_MANY_LINES:
		p->m = rnd_range(qsim_rows() + 1, 3 * qsim_rows());
		p->n = rnd_range(2, 3 * qsim_cols());
		p->k = rnd(2) ? rnd_range(1, 200) : rnd_range(513, 1100);
		break;
	default:
		break;
	}
	p->a_zero_point = rnd_zp(p->flags & QACCEL_GEMM_A_UINT8);
	p->b_zero_point = rnd_zp(p->flags & QACCEL_GEMM_B_UINT8);
	if (j->shape == S_ZP_EXTREME) {
		p->a_zero_point = zp_end(p->flags & QACCEL_GEMM_A_UINT8);
		p->b_zero_point = zp_end(p->flags & QACCEL_GEMM_B_UINT8);
	}
	if (out == QACCEL_GEMM_OUT_INT32)
		return;
	rnd_requant(p->flags, &p->out_multiplier, &p->out_shift);
	p->c_zero_point = j->shape == S_ZP_EXTREME ? zp_end(out == QACCEL_GEMM_OUT_UINT8)
						   : rnd_zp(out == QACCEL_GEMM_OUT_UINT8);
	p->clamp_min = out == QACCEL_GEMM_OUT_UINT8 ? 0 : -128;
	p->clamp_max = p->clamp_min + 255;
	if (rnd(3) == 0) {
		int32_t a = p->clamp_min + (int32_t)rnd(256), b = p->clamp_min + (int32_t)rnd(256);

		p->clamp_min = a < b ? a : b;
		p->clamp_max = a < b ? b : a;
	}
}

/* Make an int32-output job requantize to int8 or uint8. */
static void requantize(struct qaccel_gemm_params *p)
{
	bool u8 = rnd(2);

	if ((p->flags & QACCEL_GEMM_OUT_MASK) != QACCEL_GEMM_OUT_INT32)
		return;
	p->flags |= u8 ? QACCEL_GEMM_OUT_UINT8 : QACCEL_GEMM_OUT_INT8;
	p->c_zero_point = rnd_zp(u8);
	p->clamp_min = u8 ? 0 : -128;
	p->clamp_max = p->clamp_min + 255;
	rnd_requant(p->flags, &p->out_multiplier, &p->out_shift);
}

/* The parameters a fault needs before the job is laid out. */
static void fault_params(struct job *j)
{
	struct qaccel_gemm_params *p = &j->p;

	switch (j->fault) {
	case F_C_ZP: case F_CLAMP_ORDER: case F_CLAMP_RANGE: case F_SHIFT:
		requantize(p);
		if (j->fault == F_SHIFT)
			p->flags &= ~QACCEL_GEMM_PER_CHANNEL;
		break;
	case F_FP32_SCALE:
		requantize(p);
		p->flags = (p->flags & ~(QACCEL_GEMM_PER_CHANNEL | QACCEL_GEMM_RQ_MASK)) |
			   QACCEL_GEMM_RQ_FP32;
		rnd_requant(p->flags, &p->out_multiplier, &p->out_shift);
		break;
	case F_CHANNEL_SHIFT_FIRST: case F_CHANNEL_SHIFT_LATER: case F_CHANNEL_SHIFT_SMALL_M:
	case F_BOUNDS_QUANT: case F_PTE_QUANT: case F_PER_CHANNEL_IGNORES_SHIFT:
	case F_CHANNEL_FP32:
		requantize(p);
		p->flags |= QACCEL_GEMM_PER_CHANNEL;
		if (j->fault == F_CHANNEL_FP32)
			p->flags = (p->flags & ~QACCEL_GEMM_RQ_MASK) | QACCEL_GEMM_RQ_FP32;
		if (j->fault == F_CHANNEL_SHIFT_LATER || j->fault == F_CHANNEL_FP32) {
			/* Past the first tile in both tiled and GEMV mode. */
			p->n = qsim_cols() + rnd_range(2, 2 * qsim_cols());
			p->m = rnd_range(1, 2 * qsim_rows() + 1);
		}
		if (j->fault == F_CHANNEL_SHIFT_SMALL_M) {
			/* K picks GEMV's slot, and so its channels per tile. */
			p->n = qsim_cols() + rnd_range(2, 2 * qsim_cols());
			p->m = rnd_range(1, 3);
			p->k = (uint32_t[]){ rnd_range(1, 64), rnd_range(65, 1024),
					     rnd_range(1025, 2100) }[rnd(3)];
		}
		break;
	case F_BOUNDS_C:
		/* Several tiles each way, so that the failing row is inside one. */
		p->m = rnd_range(qsim_rows() + 1, 3 * qsim_rows());
		p->n = rnd_range(qsim_cols() + 1, 3 * qsim_cols());
		break;
	case F_INT32_IGNORES_REQUANT:
		p->flags = (p->flags & ~QACCEL_GEMM_OUT_MASK) | QACCEL_GEMM_PER_CHANNEL;
		break;
	case F_BOUNDS_BIAS: case F_PTE_BIAS:
		p->flags |= QACCEL_GEMM_BIAS;
		break;
	case F_BOUNDS_STRIDE:
		p->n = p->n < 2 ? 2 : p->n;
		break;
	default:
		break;
	}
}

/* Strides, offsets, buffers, data and the reference result of job j. */
static int job_place(struct twin *t, struct job *j)
{
	struct qaccel_gemm_params *p = &j->p;
	bool i32 = (p->flags & QACCEL_GEMM_OUT_MASK) == QACCEL_GEMM_OUT_INT32;
	uint32_t esz = i32 ? 4 : 1, extra = j->shape == S_WIDE_STRIDES ? 300 : 0;
	int ret = 0;

	p->lda = p->k + (rnd(3) ? 0 : rnd(40)) + (extra ? rnd_range(1, extra) : 0);
	p->ldb = p->k + (rnd(3) ? 0 : rnd(40)) + (extra ? rnd_range(1, extra) : 0);
	p->ldc = (p->n + (rnd(3) ? 0 : rnd(20)) + (extra ? rnd_range(1, extra) : 0)) * esz;
	if (j->shape == S_OVERLAPPING_ROWS) {
		/* Rows that share bytes: the device's order decides what C holds. */
		p->lda = rnd(p->k);
		p->ldb = rnd(p->k);
		p->ldc = rnd(p->n) * esz;
	}
	if (j->shape == S_MANY_LINES) {
		/* Rows spread over 3..12 lines of page-table entries. */
		uint32_t a_lines = rnd_range(3, 12), b_lines = rnd_range(3, 12);

		p->lda = p->k + a_lines * PTE_LINE_BYTES / p->m;
		p->ldb = p->k + b_lines * PTE_LINE_BYTES / p->n;
	}
	j->a_span = span(p->m, p->lda, p->k);
	j->b_span = span(p->n, p->ldb, p->k);
	j->c_span = span(p->m, p->ldc, p->n * esz);
	if (j->shape == S_ODD_PAGE_CROSS) {
		j->a_off = odd_cross_offset(j->a_span, 1);
		j->b_off = odd_cross_offset(j->b_span, 1);
		j->c_off = odd_cross_offset(j->c_span, esz);
	} else {
		j->a_off = rnd_offset(1);
		j->b_off = rnd_offset(1);
		j->c_off = rnd_offset(esz);
	}
	j->bias_off = rnd_offset(4);
	j->quant_off = rnd_offset(8);

	ret |= tbuf_alloc(t, &j->a, j->a_off + j->a_span + (rnd(2) ? 0 : rnd(100)));
	ret |= tbuf_alloc(t, &j->b, j->b_off + j->b_span + (rnd(2) ? 0 : rnd(100)));
	ret |= tbuf_alloc(t, &j->c, j->c_off + j->c_span + 64 + rnd(64));
	ret |= tbuf_alloc(t, &j->bias, j->bias_off + 4 * p->n);
	ret |= tbuf_alloc(t, &j->quant, j->quant_off + 8 * p->n);
	if (ret)
		return ret;
	tbuf_fill(t, &j->a);
	tbuf_fill(t, &j->b);
	tbuf_fill(t, &j->c);
	tbuf_fill(t, &j->bias);
	tbuf_fill(t, &j->quant);

	j->a_host = malloc(j->a_span);
	j->b_host = malloc(j->b_span);
	j->c_before = malloc(j->c.r.size);
	j->c_ref = malloc(j->c.r.size);
	j->bias_host = malloc(4 * p->n);
	j->quant_host = malloc(8 * p->n);
	if (!j->a_host || !j->b_host || !j->c_before || !j->c_ref || !j->bias_host ||
	    !j->quant_host)
		return -ENOMEM;
	for (uint32_t n = 0; n < p->n; n++)
		rnd_requant(p->flags, &j->quant_host[n].multiplier, &j->quant_host[n].shift);
	tbuf_write(t, &j->quant, j->quant_off, j->quant_host, 8 * p->n);
	qsim_host_buf_read(&t->rtl, &j->a.r, j->a_off, j->a_host, j->a_span);
	qsim_host_buf_read(&t->rtl, &j->b.r, j->b_off, j->b_host, j->b_span);
	qsim_host_buf_read(&t->rtl, &j->bias.r, j->bias_off, j->bias_host, 4 * p->n);
	qsim_host_buf_read(&t->rtl, &j->c.r, 0, j->c_before, j->c.r.size);
	memcpy(j->c_ref, j->c_before, j->c.r.size);
	/* Overlapping rows are not a valid job for the reference: no c_ref. */
	if (qaccel_ref_gemm(p, j->a_host, j->b_host, j->bias_host, j->quant_host,
			    j->c_ref + j->c_off)) {
		free(j->c_ref);
		j->c_ref = NULL;
	}
	return 0;
}

static void job_desc(struct twin *t, struct job *j)
{
	const struct qsim_host_gemm_bufs bufs = {
		.a = &j->a.r, .b = &j->b.r, .c = &j->c.r, .bias = &j->bias.r, .quant = &j->quant.r,
		.a_off = j->a_off, .b_off = j->b_off, .c_off = j->c_off,
		.bias_off = j->bias_off, .quant_off = j->quant_off,
	};
	uint32_t tag = ++t->rtl.tag;

	t->fn.tag = t->rtl.tag;
	if (j->nop)
		j->desc = (struct qaccel_hw_desc){ .tag = tag };
	else
		qsim_host_gemm_desc(&j->desc, tag, &j->p, &bufs);
}

/* Address of the level-0 entry (or, level1, the level-1 entry) of buffer byte x. */
static uint64_t pte_of(struct twin *t, const struct tbuf *b, uint64_t x, bool level1)
{
	uint64_t l1 = b->r.table + (x >> QACCEL_PT_L1_SHIFT) * 8;

	if (level1)
		return l1;
	return (*word(&t->rtl, l1) & QACCEL_PTE_ADDR_MASK) +
	       ((x >> QACCEL_PAGE_SHIFT) % QACCEL_PT_ENTRIES) * 8;
}

static void set_pte(struct twin *t, struct job *j, uint64_t addr, uint64_t value)
{
	j->pte_addr = addr;
	j->pte_old = *word(&t->rtl, addr);
	*word(&t->rtl, addr) = *word(&t->fn, addr) = value;
}

/* Break the laid-out job the way its fault says (same on both sides). */
static void fault_apply(struct twin *t, struct job *j)
{
	struct qaccel_hw_desc *d = &j->desc;
	uint32_t esz = (d->flags & QACCEL_F_OUT_MASK) == QACCEL_F_OUT_INT32 ? 4 : 1;
	struct qaccel_quant bad = { .multiplier = 1 << 30 };
	static const int32_t bad_shifts[] = { 31, -32, 1000, INT32_MIN };
	/* NaN, +inf, +0, -1.0, the largest subnormal, -0: no FP32 scale. */
	static const uint32_t bad_scales[] = { 0x7fc00000, 0x7f800000, 0, 0xbf800000,
					       0x007fffff, 0x80000000 };
	uint64_t last;

	switch (j->fault) {
	case F_NONE: case F_INJECTED: break;
	case F_OPCODE: d->opcode = (uint8_t)rnd_range(2, 255); break;
	case F_RESERVED0: d->reserved0 = (uint8_t)rnd_range(1, 255); break;
	case F_RESERVED1: d->reserved1 = (uint8_t)rnd_range(1, 255); break;
	case F_NOP_RESERVED: d->opcode = QACCEL_OP_NOP; d->reserved0 = 1; break;
	case F_OPCODE_BEFORE_DIM: d->opcode = 0x80; d->m = 0; break;
	case F_M_ZERO: d->m = 0; break;
	case F_N_ZERO: d->n = 0; break;
	case F_K_ZERO: d->k = 0; break;
	case F_DIM_BIG:
		*(uint32_t *[]){ &d->m, &d->n, &d->k }[rnd(3)] = rnd(2) ? QACCEL_MAX_DIM + 1
								    : 0xffffffffu;
		break;
	case F_DIM_BEFORE_FLAGS: d->k = 0; d->flags |= 0x100; break;
	case F_FLAGS: d->flags |= 1u << rnd_range(8, 15); break;
	case F_RQ_FAMILY_3: d->flags |= QACCEL_F_RQ_MASK; break;
	case F_FP32_SCALE:
		/* A bad scale, or a good one with a shift. */
		if (rnd(7))
			d->out_multiplier = (int32_t)bad_scales[rnd(6)];
		else
			d->out_shift = (int8_t)(rnd(2) ? 1 : -1);
		break;
	case F_CHANNEL_FP32: {
		uint32_t c = rnd_range(qsim_cols(), d->n - 1);

		bad.multiplier = (int32_t)bad_scales[rnd(6)];
		if (!rnd(7))
			bad = (struct qaccel_quant){ .multiplier = 0x3f800000, .shift = 1 };
		tbuf_write(t, &j->quant, j->quant_off + 8 * c, &bad, sizeof(bad));
		break;
	}
	case F_OUT_TYPE_3: d->flags |= QACCEL_F_OUT_MASK; break;
	case F_FLAGS_BEFORE_PARAM: d->flags |= QACCEL_F_OUT_MASK; d->a_zero_point = 300; break;
	case F_A_ZP:
		d->a_zero_point = d->flags & QACCEL_F_A_UINT8 ? (rnd(2) ? -1 : 256)
							      : (rnd(2) ? -129 : 128);
		break;
	case F_B_ZP:
		d->b_zero_point = d->flags & QACCEL_F_B_UINT8 ? (rnd(2) ? -1 : 256)
							      : (rnd(2) ? -129 : 128);
		break;
	case F_C_ZP:
		d->c_zero_point = (d->flags & QACCEL_F_OUT_MASK) == QACCEL_F_OUT_UINT8 ? -1 : 128;
		break;
	case F_CLAMP_ORDER:
		d->clamp_max = d->clamp_min;
		d->clamp_min = d->clamp_min + 1;
		if ((d->flags & QACCEL_F_OUT_MASK) == QACCEL_F_OUT_INT8 && d->clamp_max == 127) {
			d->clamp_max = 126;
			d->clamp_min = 127;
		}
		if ((d->flags & QACCEL_F_OUT_MASK) == QACCEL_F_OUT_UINT8 && d->clamp_max == 255) {
			d->clamp_max = 254;
			d->clamp_min = 255;
		}
		break;
	case F_CLAMP_RANGE:
		if (rnd(2))
			d->clamp_max = (d->flags & QACCEL_F_OUT_MASK) == QACCEL_F_OUT_UINT8 ? 256 : 128;
		else
			d->clamp_min = (d->flags & QACCEL_F_OUT_MASK) == QACCEL_F_OUT_UINT8 ? -1 : -129;
		break;
	case F_SHIFT: d->out_shift = (int8_t)(rnd(2) ? (rnd(2) ? 31 : 127) : (rnd(2) ? -32 : -128)); break;
	case F_CHANNEL_SHIFT_FIRST: case F_CHANNEL_SHIFT_LATER: case F_CHANNEL_SHIFT_SMALL_M: {
		/* A later tile's first or last column, or any later column. */
		uint32_t c = (uint32_t[]){ qsim_cols(), 2 * qsim_cols() - 1,
					   rnd_range(qsim_cols(), d->n - 1) }[rnd(3)];

		bad.shift = bad_shifts[rnd(4)];
		if (j->fault == F_CHANNEL_SHIFT_FIRST)
			c = 0;
		tbuf_write(t, &j->quant, j->quant_off + 8 * (c < d->n ? c : d->n - 1), &bad,
			   sizeof(bad));
		break;
	}
	case F_INT32_IGNORES_REQUANT:
		d->c_zero_point = 1000;
		d->clamp_min = 300;
		d->clamp_max = -300;
		d->out_shift = 100;
		bad.shift = 99;
		tbuf_write(t, &j->quant, j->quant_off, &bad, sizeof(bad));
		break;
	case F_PER_CHANNEL_IGNORES_SHIFT: d->out_shift = 100; break;
	case F_BOUNDS_A: d->a.size = j->a_off + j->a_span - 1; break;
	case F_BOUNDS_B: d->b.size = j->b_off + j->b_span - 1; break;
	case F_BOUNDS_C:
		/* Some C row, and every row after it that reaches further, fails. */
		d->c.size = j->c_off + rnd(d->m) * d->ldc + d->n * esz - 1;
		break;
	case F_BOUNDS_BIAS: d->bias.size = j->bias_off + 4 * d->n - 1; break;
	case F_BOUNDS_QUANT: d->quant.size = j->quant_off + 8 * d->n - 1; break;
	case F_BOUNDS_1G:
		/* Short of 1 GiB by less than the first A request's length. */
		d->a.offset = QACCEL_MAX_BUF_SIZE - rnd(d->k < 512 ? d->k : 512);
		d->a.size = 0xffffffffu;
		break;
	case F_BOUNDS_STRIDE: d->ldb = 0x80000000u; break;
	case F_L1_A:
		set_pte(t, j, pte_of(t, &j->a, j->a_off, true), 0);
		break;
	case F_L1_C:
		last = pte_of(t, &j->c, j->c_off, true);
		set_pte(t, j, last, *word(&t->rtl, last) & ~QACCEL_PTE_VALID);
		break;
	case F_PTE_A: case F_PTE_B: case F_PTE_C: case F_PTE_BIAS: case F_PTE_QUANT: {
		const struct tbuf *b = (const struct tbuf *[]){ &j->a, &j->b, &j->c, &j->bias,
								 &j->quant }[j->fault - F_PTE_A];
		uint64_t x = (uint64_t[]){ j->a_off + j->a_span, j->b_off + j->b_span,
					   j->c_off + j->c_span, j->bias_off + 4 * d->n,
					   j->quant_off + 8 * d->n }[j->fault - F_PTE_A] - 1;

		last = pte_of(t, b, x, false);
		set_pte(t, j, last, *word(&t->rtl, last) & ~QACCEL_PTE_VALID);
		break;
	}
	case F_PAGE_OUT_B:
		set_pte(t, j, pte_of(t, &j->b, j->b_off + j->b_span - 1, false),
			NOWHERE | QACCEL_PTE_VALID);
		break;
	case F_PAGE_OUT_C:
		set_pte(t, j, pte_of(t, &j->c, j->c_off + j->c_span - 1, false),
			NOWHERE | QACCEL_PTE_VALID);
		break;
	case F_L0_TABLE_OUT:
		set_pte(t, j, pte_of(t, &j->b, j->b_off, true), NOWHERE | QACCEL_PTE_VALID);
		break;
	case F_L1_TABLE_OUT: d->c.table = NOWHERE; break;
	case F_COUNT: break;
	}
}

static void job_free(struct twin *t, struct job *j)
{
	if (j->pte_addr)
		*word(&t->rtl, j->pte_addr) = *word(&t->fn, j->pte_addr) = j->pte_old;
	tbuf_free(t, &j->a);
	tbuf_free(t, &j->b);
	tbuf_free(t, &j->c);
	tbuf_free(t, &j->bias);
	tbuf_free(t, &j->quant);
	free(j->a_host);
	free(j->b_host);
	free(j->c_before);
	free(j->c_ref);
	free(j->bias_host);
	free(j->quant_host);
	memset(j, 0, sizeof(*j));
}

static int job_make(struct twin *t, struct job *j, enum shape shape, enum fault fault)
{
	int ret;

	memset(j, 0, sizeof(*j));
	/* Without a reference, only deterministic outcomes can be compared. */
	if (shape == S_OVERLAPPING_ROWS && !faults[fault].c_exact)
		shape = S_INT32;
	j->shape = shape;
	j->fault = fault;
	j->nop = (shape == S_NOP && fault == F_NONE) || fault == F_NOP_RESERVED;
	job_params(j);
	fault_params(j);
	ret = job_place(t, j);
	if (ret)
		return ret;
	job_desc(t, j);
	fault_apply(t, j);
	return 0;
}

static void describe(const struct job *j, char *s, size_t len)
{
	const struct qaccel_hw_desc *d = &j->desc;

	snprintf(s, len, "tag %u, %s, fault: %s; m=%u n=%u k=%u lda=%u ldb=%u ldc=%u "
		 "flags=0x%x off=%u/%u/%u", d->tag, shape_name[j->shape], faults[j->fault].name,
		 d->m, d->n, d->k, d->lda, d->ldb, d->ldc, d->flags, j->a_off, j->b_off, j->c_off);
}

/*
 * Check job j after both devices completed it (records r and f).  Returns
 * the number of problems (each logged).
 */
static int job_check(struct __test_metadata *_metadata, struct twin *t, struct job *j,
		     const struct qaccel_hw_cqe *r, const struct qaccel_hw_cqe *f)
{
	uint32_t size = j->c.r.size, bad = 0, first = 0;
	uint8_t *cr = malloc(size), *cf = malloc(size);
	uint16_t want = faults[j->fault].status;
	bool exact = faults[j->fault].c_exact;
	char what[320];
	int problems = 0;

	describe(j, what, sizeof(what));
	if (!cr || !cf) {
		free(cr);
		free(cf);
		TH_LOG("out of memory");
		return 1;
	}
	problems += compare_cqe(_metadata, r, f, what);
	if (r->tag != j->desc.tag) {
		TH_LOG("%s: completion for tag %u", what, r->tag);
		problems++;
	}
	if (r->status != want || (faults[j->fault].detail && r->err_detail != faults[j->fault].detail)) {
		TH_LOG("%s: status %u detail %u, the test meant %u", what, r->status,
		       r->err_detail, want);
		problems++;
	}
	if (j->nop)
		goto out;
	qsim_host_buf_read(&t->rtl, &j->c.r, 0, cr, size);
	qsim_host_buf_read(&t->fn, &j->c.f, 0, cf, size);
	for (uint32_t i = 0; i < size; i++) {
		const uint8_t *ref = r->status == QACCEL_ERR_OK ? j->c_ref : NULL;
		bool ok;

		if (faults[j->fault].c_untouched)
			ok = cr[i] == j->c_before[i] && cf[i] == j->c_before[i];
		else if (ref)
			ok = cr[i] == ref[i] && cf[i] == ref[i];
		else if (exact || !j->c_ref)
			ok = cr[i] == cf[i];
		else	/* timing-dependent: each byte as before or right */
			ok = (cr[i] == j->c_before[i] || cr[i] == j->c_ref[i]) &&
			     (cf[i] == j->c_before[i] || cf[i] == j->c_ref[i]);
		if (!ok && !bad++)
			first = i;
	}
	if (bad) {
		TH_LOG("%s: %u C buffer bytes wrong; first at byte %u (C starts at %u): RTL 0x%02x, "
		       "functional 0x%02x, before 0x%02x, right 0x%02x", what, bad, first, j->c_off,
		       cr[first], cf[first], j->c_before[first], j->c_ref ? j->c_ref[first] : 0);
		problems++;
	}
	/* Keep the memories equal where the RTL's timing decided. */
	qsim_host_buf_write(&t->fn, &j->c.f, 0, cr, size);
out:
	free(cr);
	free(cf);
	return problems;
}

/* Bytes of the two memories that differ, the completion ring excepted. */
static uint64_t compare_memories(struct __test_metadata *_metadata, struct twin *t)
{
	uint64_t bad = 0, first = 0;

	for (uint64_t a = 0; a < MEM_SIZE; a += QACCEL_PAGE_SIZE) {
		const uint8_t *r = qsim_host_ptr(&t->rtl, a), *f = qsim_host_ptr(&t->fn, a);

		if (a == t->rtl.cq || !memcmp(r, f, QACCEL_PAGE_SIZE))
			continue;
		for (uint32_t i = 0; i < QACCEL_PAGE_SIZE; i++)
			if (r[i] != f[i] && !bad++)
				first = a + i;
	}
	if (bad)
		TH_LOG("%llu bytes of memory differ, the first at 0x%llx",
		       (unsigned long long)bad, (unsigned long long)first);
	return bad;
}

/* ------------------------------------------------------------------ */
/* Fixture                                                             */
/* ------------------------------------------------------------------ */

FIXTURE(twin) {
	struct twin t;
};

FIXTURE_SETUP(twin)
{
	const char *env = getenv("QACCEL_TEST_SEED");

	seed = env ? (unsigned int)strtoul(env, NULL, 0) : (unsigned int)time(NULL) ^ getpid();
	data_state = seed * 0x9e3779b97f4a7c15ull + 1;
	diag("seed %u (QACCEL_TEST_SEED=%u to repeat)", seed, seed);
	ASSERT_EQ(0, twin_open(&self->t, seed));
	ASSERT_EQ(self->t.rtl.caps | QACCEL_CAP_FUNCTIONAL, self->t.fn.caps);
}

FIXTURE_TEARDOWN(twin)
{
	struct qsim_stats st;

	qsim_get_stats(self->t.rtl.q, &st);
	EXPECT_EQ(0, st.protocol_errors);
	EXPECT_EQ(0, st.reg_timeouts);
	twin_close(&self->t);
}

static unsigned int stream_length(void)
{
	const char *env = getenv("QACCEL_TEST_JOBS");

	return env && atoi(env) > 0 ? (unsigned int)atoi(env) : DEFAULT_JOBS;
}

/*
 * Wait for the oldest job's records on both devices and check it.  The
 * bytes a completed job read must match too; with read_diffs they are
 * only counted there (see same_job_stream_same_results).
 */
static int retire(struct __test_metadata *_metadata, struct twin *t, struct job *j,
		  unsigned int *read_diffs)
{
	struct qaccel_hw_cqe r, f;
	char what[320];
	int problems;

	describe(j, what, sizeof(what));
	if (qsim_host_cq_wait(&t->rtl, &r, JOB_CYCLE_LIMIT) ||
	    qsim_host_cq_wait(&t->fn, &f, JOB_CYCLE_LIMIT)) {
		TH_LOG("%s: no completion", what);
		return 1;
	}
	problems = job_check(_metadata, t, j, &r, &f);
	if (r.status == QACCEL_ERR_OK && compare_dma_reads(_metadata, &r, &f, what)) {
		if (read_diffs)
			(*read_diffs)++;
		else
			problems++;
	}
	job_free(t, j);
	return problems;
}

/*
 * The main comparison: a stream of random jobs of every shape, one in three
 * broken in one of the ways of faults[] (cycled, so every fault occurs),
 * up to 31 in flight (the rings wrap many times), the same on both devices.
 */
TEST_F_TIMEOUT(twin, same_job_stream_same_results, 1800)
{
	struct twin *t = &self->t;
	struct job *win = calloc(WINDOW, sizeof(*win));
	unsigned int jobs = stream_length(), issued = 0, done = 0, problems = 0;
	unsigned int next_fault = 1, shape_seen[S_COUNT] = { 0 }, fault_seen[F_COUNT] = { 0 };
	unsigned int read_diffs = 0;
	uint32_t refill = 0;
	double t0 = now_s();
	struct qsim_stats sr, sf;

	ASSERT_NE(NULL, win);
	while (done < jobs) {
		if (issued == done || (issued - done <= refill && issued < jobs)) {
			while (issued < jobs && issued - done < WINDOW) {
				struct job *j = &win[issued % WINDOW];
				enum fault fault = issued % 3 == 2 ? (enum fault)next_fault : F_NONE;

				/* An injected error must hit this job: it goes alone. */
				if (fault == F_INJECTED && issued != done)
					break;
				if (fault != F_NONE)
					next_fault = next_fault + 1 < F_COUNT ? next_fault + 1 : 1;
				ASSERT_EQ(0, job_make(t, j, (enum shape)(issued % S_COUNT), fault));
				shape_seen[j->shape]++;
				fault_seen[fault]++;
				qsim_host_sq_push(&t->rtl, &j->desc);
				qsim_host_sq_push(&t->fn, &j->desc);
				issued++;
				if (fault == F_INJECTED) {
					for (int s = 0; s < 2; s++)
						qsim_inject_read_error(side(t, s)->q, side(t, s)->sq,
								       side(t, s)->sq + QACCEL_PAGE_SIZE);
					break;
				}
			}
			qsim_host_sq_ring(&t->rtl);
			qsim_host_sq_ring(&t->fn);
			refill = rnd(WINDOW);
		}
		problems += retire(_metadata, t, &win[done % WINDOW], &read_diffs);
		done++;
		ASSERT_LE(problems, 20);
	}
	free(win);
	EXPECT_EQ(0, problems);
	EXPECT_FALSE(qsim_read_error_pending(t->rtl.q));
	EXPECT_FALSE(qsim_read_error_pending(t->fn.q));

	/*
	 * The RTL counts a record (CQ_TAIL, INT_STATUS.CQ) one write round trip
	 * after it is in memory, so it may set INT_STATUS.CQ again after the
	 * host acknowledged the last record; the model counts it when it writes
	 * it.  Once idle, acknowledge what is left as a driver would.
	 */
	ASSERT_EQ(0, twin_run_until_idle(t));
	twin_reg_write(t, QACCEL_REG_INT_STATUS, QACCEL_INT_CQ);
	EXPECT_EQ(0, compare_registers(_metadata, t, "after the stream"));
	EXPECT_EQ(0, compare_memories(_metadata, t));
	EXPECT_EQ(jobs, qsim_host_reg_read64(&t->fn, QACCEL_REG_CNT_JOBS));

	diag("%u jobs, shapes:", jobs);
	for (int s = 0; s < S_COUNT; s++)
		diag("  %-28s %u", shape_name[s], shape_seen[s]);
	diag("faults (each job's own, whatever its shape):");
	for (int f = 1; f < F_COUNT; f++) {
		diag("  %-44s %u", faults[f].name, fault_seen[f]);
		if (jobs >= 3 * F_COUNT)
			EXPECT_LT(0, fault_seen[f]);
	}
	qsim_get_stats(t->rtl.q, &sr);
	qsim_get_stats(t->fn.q, &sf);
	diag("RTL %llu cycles, functional %llu estimated; %.1f s", (unsigned long long)sr.cycles,
	     (unsigned long long)sf.cycles, now_s() - t0);
	/*
	 * In a stream, the first GEMM after a job ended by a bad per-channel
	 * shift reads one or two beats more on the RTL than on the model (3 of
	 * 600 jobs with seed 1 on 4x4): the RTL counts beats that land after
	 * the aborted job's record in the job already queued behind it (with
	 * the device idle in between, the next job's count is the model's).
	 * So the stream counts these, and page_table_reads_follow_the_rtl_cache
	 * asserts.
	 */
	diag("%u completed jobs read another byte count than the RTL", read_diffs);
	diag("DMA bytes read: RTL %llu, functional %llu; written: RTL %llu, functional %llu",
	     (unsigned long long)sr.rd_bytes, (unsigned long long)sf.rd_bytes,
	     (unsigned long long)sr.wr_bytes, (unsigned long long)sf.wr_bytes);
}

/* Every register reads the same after reset and after the same writes. */
TEST_F(twin, registers_read_and_write_alike)
{
	struct twin *t = &self->t;
	static const uint32_t values[] = { 0xffffffffu, 0, 0xa5a5a5a5u, 0x12345678u, 0x80u };
	static const uint32_t rw[] = {
		QACCEL_REG_SQ_BASE_LO, QACCEL_REG_SQ_BASE_HI, QACCEL_REG_CQ_BASE_LO,
		QACCEL_REG_CQ_BASE_HI, QACCEL_REG_SQ_SIZE, QACCEL_REG_CQ_SIZE, QACCEL_REG_SQ_TAIL,
		QACCEL_REG_CQ_HEAD, QACCEL_REG_INT_ENABLE, QACCEL_REG_INT_STATUS,
		/* read-only or unknown: writes are ignored */
		QACCEL_REG_ID, QACCEL_REG_STATUS, QACCEL_REG_SQ_HEAD, QACCEL_REG_CQ_TAIL,
		QACCEL_REG_ERR_CODE, QACCEL_REG_CNT_MACS, 0x01c, 0x0fc,
	};

	twin_reg_write(t, QACCEL_REG_CTRL, QACCEL_CTRL_RESET);
	EXPECT_EQ(0, compare_registers(_metadata, t, "after reset"));
	EXPECT_EQ(QACCEL_STATUS_IDLE, qsim_reg_read(t->fn.q, QACCEL_REG_STATUS));
	for (size_t v = 0; v < sizeof(values) / sizeof(values[0]); v++) {
		char when[64];

		for (size_t i = 0; i < sizeof(rw) / sizeof(rw[0]); i++)
			twin_reg_write(t, rw[i], values[v] + (uint32_t)i);
		snprintf(when, sizeof(when), "after writing 0x%08x", values[v]);
		EXPECT_EQ(0, compare_registers(_metadata, t, when));
	}
	/* Unaligned reads decode the word; a counter's HI reads its snapshot. */
	for (uint32_t off = 0; off < QACCEL_REG_END; off += 4) {
		for (uint32_t b = 1; b < 4; b++) {
			uint32_t r = qsim_reg_read(t->rtl.q, off + b);

			if (off == QACCEL_REG_CAPS)
				r |= QACCEL_CAP_FUNCTIONAL;
			if (!timing_reg(off)) {
				EXPECT_EQ(r, qsim_reg_read(t->fn.q, off + b))
					TH_LOG("offset 0x%x", off + b);
			}
		}
	}
	EXPECT_EQ(qsim_reg_read(t->rtl.q, QACCEL_REG_CNT_JOBS + 4),
		  qsim_reg_read(t->fn.q, QACCEL_REG_CNT_JOBS + 4));
	EXPECT_EQ(qsim_rows() | qsim_cols() << 16, qsim_reg_read(t->fn.q, QACCEL_REG_ARRAY));
	EXPECT_EQ(QACCEL_CAP_FUNCTIONAL, qsim_reg_read(t->fn.q, QACCEL_REG_CAPS) &
		  QACCEL_CAP_FUNCTIONAL);
}

/* Enabling with a bad ring size or base: FATAL, BAD_QUEUE, nothing fetched. */
TEST_F(twin, enable_refuses_a_bad_ring_configuration)
{
	struct twin *t = &self->t;
	static const struct { uint32_t sq_size, cq_size, sq_lo, cq_lo; } bad[] = {
		{ 0, 16, 0, 0 }, { 1, 16, 0, 0 }, { 16, 3, 0, 0 }, { 8192, 16, 0, 0 },
		{ 16, 0x80000000u, 0, 0 }, { 16, 16, 0x40, 0 }, { 16, 16, 0, 0x20 },
	};

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char when[64];

		snprintf(when, sizeof(when), "bad ring configuration %zu", i);
		twin_reg_write(t, QACCEL_REG_CTRL, QACCEL_CTRL_RESET);
		twin_reg_write64(t, QACCEL_REG_SQ_BASE_LO, t->rtl.sq + bad[i].sq_lo);
		twin_reg_write64(t, QACCEL_REG_CQ_BASE_LO, t->rtl.cq + bad[i].cq_lo);
		twin_reg_write(t, QACCEL_REG_SQ_SIZE, bad[i].sq_size);
		twin_reg_write(t, QACCEL_REG_CQ_SIZE, bad[i].cq_size);
		twin_reg_write(t, QACCEL_REG_INT_ENABLE, QACCEL_INT_FATAL);
		twin_reg_write(t, QACCEL_REG_CTRL, QACCEL_CTRL_ENABLE);
		twin_reg_write(t, QACCEL_REG_SQ_TAIL, 1);
		ASSERT_EQ(0, twin_run_until_idle(t));
		EXPECT_EQ(0, compare_registers(_metadata, t, when));
		EXPECT_EQ(QACCEL_ERR_BAD_QUEUE, qsim_reg_read(t->fn.q, QACCEL_REG_ERR_CODE));
		EXPECT_EQ(0, qsim_reg_read(t->fn.q, QACCEL_REG_SQ_HEAD));
		EXPECT_TRUE(qsim_irq(t->fn.q));
	}
}

/*
 * The DMA's translation cache as memory sees it: jobs whose A and B rows
 * spread over 3..12 lines of page-table entries, revisited by later row
 * blocks and K chunks, read exactly the page-table bytes the RTL reads
 * (a cache of fewer ways, or another replacement order, reads more); and a
 * page fault past the second line is found with the same status, operand
 * and C (as before, or right).
 */
TEST_F_TIMEOUT(twin, page_table_reads_follow_the_rtl_cache, 600)
{
	static const enum fault kinds[] = { F_NONE, F_NONE, F_PTE_A, F_NONE, F_NONE, F_PTE_B };
	struct twin *t = &self->t;
	int problems = 0;

	for (unsigned int i = 0; i < 24; i++) {
		struct job j;

		ASSERT_EQ(0, job_make(t, &j, S_MANY_LINES, kinds[i % 6]));
		qsim_host_sq_push(&t->rtl, &j.desc);
		qsim_host_sq_push(&t->fn, &j.desc);
		qsim_host_sq_ring(&t->rtl);
		qsim_host_sq_ring(&t->fn);
		problems += retire(_metadata, t, &j, NULL);
	}
	EXPECT_EQ(0, problems);
}

/* Submit one NOP per device through the hosts' rings, without waiting. */
static void twin_nop(struct twin *t)
{
	struct qaccel_hw_desc d = { .opcode = QACCEL_OP_NOP, .tag = 0x4e4f50 };

	qsim_host_sq_push(&t->rtl, &d);
	qsim_host_sq_push(&t->fn, &d);
	qsim_host_sq_ring(&t->rtl);
	qsim_host_sq_ring(&t->fn);
}

static void twin_restart(struct __test_metadata *_metadata, struct twin *t)
{
	struct qaccel_hw_cqe r, f;

	twin_reg_write(t, QACCEL_REG_CTRL, QACCEL_CTRL_RESET);
	qsim_host_rings_start(&t->rtl);
	qsim_host_rings_start(&t->fn);
	twin_nop(t);
	ASSERT_EQ(0, qsim_host_cq_wait(&t->rtl, &r, JOB_CYCLE_LIMIT));
	ASSERT_EQ(0, qsim_host_cq_wait(&t->fn, &f, JOB_CYCLE_LIMIT));
	EXPECT_EQ(0, compare_cqe(_metadata, &r, &f, "NOP after the reset"));
	EXPECT_EQ(QACCEL_ERR_OK, f.status);
}

/* Program the rings by hand: SQ at sq (size sq_size), CQ at cq (size cq_size). */
static void twin_rings(struct twin *t, uint64_t sq, uint32_t sq_size, uint64_t cq,
		       uint32_t cq_size)
{
	twin_reg_write(t, QACCEL_REG_CTRL, QACCEL_CTRL_RESET);
	twin_reg_write64(t, QACCEL_REG_SQ_BASE_LO, sq);
	twin_reg_write64(t, QACCEL_REG_CQ_BASE_LO, cq);
	twin_reg_write(t, QACCEL_REG_SQ_SIZE, sq_size);
	twin_reg_write(t, QACCEL_REG_CQ_SIZE, cq_size);
	twin_reg_write(t, QACCEL_REG_INT_ENABLE, QACCEL_INT_CQ | QACCEL_INT_FATAL);
	twin_reg_write(t, QACCEL_REG_CTRL, QACCEL_CTRL_ENABLE);
}

static void twin_put_nop(struct twin *t, uint64_t addr, uint32_t tag)
{
	struct qaccel_hw_desc d = { .opcode = QACCEL_OP_NOP, .tag = tag };

	memcpy(qsim_host_ptr(&t->rtl, addr), &d, sizeof(d));
	memcpy(qsim_host_ptr(&t->fn, addr), &d, sizeof(d));
}

/*
 * Ring accesses that fail stop the device: FATAL, RING_FAULT with the
 * address, INT_STATUS.FATAL, nothing more runs until a reset.
 */
TEST_F(twin, ring_faults_are_fatal_until_reset)
{
	struct twin *t = &self->t;
	uint64_t last_page = MEM_SIZE - QACCEL_PAGE_SIZE, cq = qsim_host_page_alloc(&t->rtl);

	ASSERT_EQ(cq, qsim_host_page_alloc(&t->fn));
	if (cq == last_page) {
		cq = qsim_host_page_alloc(&t->rtl);
		ASSERT_EQ(cq, qsim_host_page_alloc(&t->fn));
	}
	memset(qsim_host_ptr(&t->rtl, cq), 0, QACCEL_PAGE_SIZE);
	memset(qsim_host_ptr(&t->fn, cq), 0, QACCEL_PAGE_SIZE);

	/* The ring outside memory. */
	twin_rings(t, MEM_SIZE, 16, cq, 16);
	twin_reg_write(t, QACCEL_REG_SQ_TAIL, 1);
	ASSERT_EQ(0, twin_run_until_idle(t));
	EXPECT_EQ(0, compare_registers(_metadata, t, "SQ outside memory"));
	EXPECT_EQ(QACCEL_ERR_RING_FAULT, qsim_reg_read(t->fn.q, QACCEL_REG_ERR_CODE));
	EXPECT_EQ(MEM_SIZE, qsim_host_reg_read64(&t->fn, QACCEL_REG_ERR_ADDR_LO));
	EXPECT_EQ(QACCEL_STATUS_ENABLED | QACCEL_STATUS_FATAL | QACCEL_STATUS_IDLE,
		  qsim_reg_read(t->fn.q, QACCEL_REG_STATUS));
	EXPECT_EQ(QACCEL_INT_FATAL, qsim_reg_read(t->fn.q, QACCEL_REG_INT_STATUS));
	EXPECT_TRUE(qsim_irq(t->fn.q));
	/* A new doorbell changes nothing. */
	twin_reg_write(t, QACCEL_REG_SQ_TAIL, 2);
	ASSERT_EQ(0, twin_run_until_idle(t));
	EXPECT_EQ(0, compare_registers(_metadata, t, "doorbell while fatal"));
	twin_restart(_metadata, t);

	/*
	 * A ring whose first two slots are the last 256 bytes of memory: those
	 * two run; a batch reaching past the end faults at its first slot.
	 */
	twin_rings(t, last_page + QACCEL_PAGE_SIZE - 256, 16, cq, 16);
	twin_put_nop(t, last_page + QACCEL_PAGE_SIZE - 256, 1);
	twin_put_nop(t, last_page + QACCEL_PAGE_SIZE - 128, 2);
	twin_reg_write(t, QACCEL_REG_SQ_TAIL, 2);
	ASSERT_EQ(0, twin_run_until_idle(t));
	EXPECT_EQ(0, compare_registers(_metadata, t, "ring in the last page"));
	EXPECT_EQ(2, qsim_reg_read(t->fn.q, QACCEL_REG_CQ_TAIL));
	twin_reg_write(t, QACCEL_REG_SQ_TAIL, 4);
	ASSERT_EQ(0, twin_run_until_idle(t));
	EXPECT_EQ(0, compare_registers(_metadata, t, "ring past the end of memory"));
	EXPECT_EQ(MEM_SIZE, qsim_host_reg_read64(&t->fn, QACCEL_REG_ERR_ADDR_LO));
	EXPECT_EQ(2, qsim_reg_read(t->fn.q, QACCEL_REG_SQ_HEAD));
	twin_restart(_metadata, t);

	/* A ring at the very top of the address space. */
	twin_rings(t, 0ull - 128, 16, cq, 16);
	twin_reg_write(t, QACCEL_REG_SQ_TAIL, 1);
	ASSERT_EQ(0, twin_run_until_idle(t));
	EXPECT_EQ(0, compare_registers(_metadata, t, "SQ at the top of the address space"));
	EXPECT_EQ(0ull - 128, qsim_host_reg_read64(&t->fn, QACCEL_REG_ERR_ADDR_LO));
	twin_restart(_metadata, t);
	twin_rings(t, t->rtl.sq, 16, 0ull - 64, 16);
	twin_put_nop(t, t->rtl.sq, 6);
	twin_reg_write(t, QACCEL_REG_SQ_TAIL, 1);
	ASSERT_EQ(0, twin_run_until_idle(t));
	EXPECT_EQ(0, compare_registers(_metadata, t, "CQ at the top of the address space"));
	EXPECT_EQ(0ull - 64, qsim_host_reg_read64(&t->fn, QACCEL_REG_ERR_ADDR_LO));
	twin_restart(_metadata, t);

	/* The completion ring outside memory: the record's write fails. */
	twin_rings(t, t->rtl.sq, 16, NOWHERE, 16);
	twin_put_nop(t, t->rtl.sq, 7);
	twin_reg_write(t, QACCEL_REG_SQ_TAIL, 1);
	ASSERT_EQ(0, twin_run_until_idle(t));
	EXPECT_EQ(0, compare_registers(_metadata, t, "CQ outside memory"));
	EXPECT_EQ(QACCEL_ERR_RING_FAULT, qsim_reg_read(t->fn.q, QACCEL_REG_ERR_CODE));
	EXPECT_EQ(NOWHERE, qsim_host_reg_read64(&t->fn, QACCEL_REG_ERR_ADDR_LO));
	EXPECT_EQ(0, qsim_reg_read(t->fn.q, QACCEL_REG_CQ_TAIL));
	twin_restart(_metadata, t);

	/* An AXI error on the descriptor fetch itself. */
	qsim_inject_read_error(t->rtl.q, 0, 0);
	qsim_inject_read_error(t->fn.q, 0, 0);
	twin_nop(t);
	ASSERT_EQ(0, twin_run_until_idle(t));
	EXPECT_EQ(0, compare_registers(_metadata, t, "injected error on the fetch"));
	EXPECT_EQ(QACCEL_ERR_RING_FAULT, qsim_reg_read(t->fn.q, QACCEL_REG_ERR_CODE));
	/* twin_restart() ran a NOP from slot 0: the fetch was of slot 1. */
	EXPECT_EQ(t->fn.sq + sizeof(struct qaccel_hw_desc),
		  qsim_host_reg_read64(&t->fn, QACCEL_REG_ERR_ADDR_LO));
	twin_restart(_metadata, t);
	qsim_host_page_free(&t->rtl, cq);
	qsim_host_page_free(&t->fn, cq);
}

/*
 * A full CQ holds records back: the job after the last free slot still
 * runs (SQ_HEAD moves, its C is written) but its record waits, the device
 * reports BUSY and IDLE, and every consumed record lets one more through.
 */
TEST_F_TIMEOUT(twin, full_cq_holds_records_back, 300)
{
	struct twin *t = &self->t;
	struct job g[2];
	const uint32_t cq_size = 4, jobs = 9;
	uint32_t head = 0, seen = 0;

	twin_rings(t, t->rtl.sq, 16, t->rtl.cq, cq_size);
	memset(qsim_host_ptr(&t->rtl, t->rtl.cq), 0, QACCEL_PAGE_SIZE);
	memset(qsim_host_ptr(&t->fn, t->fn.cq), 0, QACCEL_PAGE_SIZE);
	/* Jobs 3 and 7 are GEMMs (tags 4 and 8), the rest NOPs. */
	for (uint32_t i = 0; i < jobs; i++) {
		struct qaccel_hw_desc d = { .opcode = QACCEL_OP_NOP, .tag = i + 1 };

		if (i == 3 || i == 7) {
			struct job *j = &g[i == 7];

			ASSERT_EQ(0, job_make(t, j, S_INT8_CHANNEL, F_NONE));
			j->desc.tag = i + 1;
			d = j->desc;
		}
		memcpy(qsim_host_ptr(&t->rtl, t->rtl.sq + i * sizeof(d)), &d, sizeof(d));
		memcpy(qsim_host_ptr(&t->fn, t->fn.sq + i * sizeof(d)), &d, sizeof(d));
	}
	twin_reg_write(t, QACCEL_REG_SQ_TAIL, jobs);
	ASSERT_EQ(0, twin_run_until_idle(t));
	EXPECT_EQ(0, compare_registers(_metadata, t, "CQ full"));
	EXPECT_EQ(4, qsim_reg_read(t->fn.q, QACCEL_REG_SQ_HEAD));
	EXPECT_EQ(3, qsim_reg_read(t->fn.q, QACCEL_REG_CQ_TAIL));
	EXPECT_EQ(QACCEL_STATUS_ENABLED | QACCEL_STATUS_BUSY | QACCEL_STATUS_IDLE,
		  qsim_reg_read(t->fn.q, QACCEL_REG_STATUS));
	/* Job 3's C is already there although its record is not. */
	for (int s = 0; s < 2; s++) {
		uint8_t *c = malloc(g[0].c.r.size);

		ASSERT_NE(NULL, c);
		qsim_host_buf_read(side(t, s), s ? &g[0].c.f : &g[0].c.r, 0, c, g[0].c.r.size);
		EXPECT_EQ(0, memcmp(c, g[0].c_ref, g[0].c.r.size)) TH_LOG("side %d", s);
		free(c);
	}
	/* Consume one or two records at a time; each frees as many slots. */
	while (seen < jobs) {
		uint32_t n = 1 + (seen & 1), tail = qsim_reg_read(t->fn.q, QACCEL_REG_CQ_TAIL);

		for (uint32_t i = 0; i < n && head != tail; i++, seen++) {
			struct qaccel_hw_cqe r, f;
			uint64_t at = (uint64_t)head * sizeof(r);

			memcpy(&r, qsim_host_ptr(&t->rtl, t->rtl.cq + at), sizeof(r));
			memcpy(&f, qsim_host_ptr(&t->fn, t->fn.cq + at), sizeof(f));
			EXPECT_EQ(0, compare_cqe(_metadata, &r, &f, "a held-back record"));
			EXPECT_EQ(seen + 1, f.tag);
			EXPECT_EQ((seen / cq_size + 1) & 1, f.info & QACCEL_CQE_PHASE);
			head = (head + 1) % cq_size;
		}
		twin_reg_write(t, QACCEL_REG_CQ_HEAD, head);
		ASSERT_EQ(0, twin_run_until_idle(t));
		EXPECT_EQ(0, compare_registers(_metadata, t, "after consuming"));
	}
	EXPECT_EQ(jobs, qsim_reg_read(t->fn.q, QACCEL_REG_SQ_HEAD));
	EXPECT_EQ(QACCEL_STATUS_ENABLED | QACCEL_STATUS_IDLE,
		  qsim_reg_read(t->fn.q, QACCEL_REG_STATUS));
	for (int i = 0; i < 2; i++)
		job_free(t, &g[i]);
}

/* CTRL.RESET in the middle of queued work abandons all of it. */
TEST_F_TIMEOUT(twin, reset_abandons_queued_work, 300)
{
	struct twin *t = &self->t;
	struct job j[6];

	/* Without interrupts a run stops only at its limit or when idle. */
	twin_reg_write(t, QACCEL_REG_INT_ENABLE, 0);
	for (int i = 0; i < 6; i++) {
		ASSERT_EQ(0, job_make(t, &j[i], S_BIGGER, F_NONE));
		qsim_host_sq_push(&t->rtl, &j[i].desc);
		qsim_host_sq_push(&t->fn, &j[i].desc);
	}
	qsim_host_sq_ring(&t->rtl);
	qsim_host_sq_ring(&t->fn);
	qsim_run(t->rtl.q, 300);
	EXPECT_EQ(QSIM_STOP_LIMIT, qsim_run(t->fn.q, 300));
	EXPECT_TRUE(qsim_reg_read(t->fn.q, QACCEL_REG_STATUS) & QACCEL_STATUS_BUSY);
	EXPECT_FALSE(qsim_idle(t->fn.q));
	twin_reg_write(t, QACCEL_REG_CTRL, QACCEL_CTRL_RESET);
	ASSERT_EQ(0, twin_run_until_idle(t));
	EXPECT_EQ(0, compare_registers(_metadata, t, "after the reset"));
	EXPECT_EQ(QACCEL_STATUS_IDLE, qsim_reg_read(t->fn.q, QACCEL_REG_STATUS));
	EXPECT_EQ(0, qsim_reg_read(t->fn.q, QACCEL_REG_SQ_HEAD));
	for (int i = 0; i < 6; i++)
		job_free(t, &j[i]);

	/* The device works again from a fresh ring set-up. */
	qsim_host_rings_start(&t->rtl);
	qsim_host_rings_start(&t->fn);
	ASSERT_EQ(0, job_make(t, &j[0], S_INT32, F_NONE));
	qsim_host_sq_push(&t->rtl, &j[0].desc);
	qsim_host_sq_push(&t->fn, &j[0].desc);
	qsim_host_sq_ring(&t->rtl);
	qsim_host_sq_ring(&t->fn);
	EXPECT_EQ(0, retire(_metadata, t, &j[0], NULL));
}

/* qsim_run() stops where the RTL's does: an irq edge, idle, the limit. */
TEST_F(twin, run_stops_on_irq_edges_and_when_idle)
{
	struct twin *t = &self->t;
	struct qaccel_hw_cqe r, f;
	struct job j;

	for (int s = 0; s < 2; s++) {
		EXPECT_EQ(QSIM_STOP_IDLE, qsim_run(side(t, s)->q, 1000)) TH_LOG("side %d", s);
	}
	twin_nop(t);
	for (int s = 0; s < 2; s++) {
		struct qsim *q = side(t, s)->q;

		EXPECT_FALSE(qsim_idle(q));
		EXPECT_EQ(QSIM_STOP_IRQ, qsim_run(q, 1000000)) TH_LOG("side %d", s);
		EXPECT_TRUE(qsim_irq(q));
		EXPECT_EQ(QSIM_STOP_IDLE, qsim_run(q, 1000000)) TH_LOG("side %d", s);
	}
	ASSERT_EQ(0, qsim_host_cq_wait(&t->rtl, &r, JOB_CYCLE_LIMIT));
	ASSERT_EQ(0, qsim_host_cq_wait(&t->fn, &f, JOB_CYCLE_LIMIT));
	EXPECT_FALSE(qsim_irq(t->fn.q));

	/* No interrupt enabled: the job just ends in idle. */
	twin_reg_write(t, QACCEL_REG_INT_ENABLE, 0);
	twin_nop(t);
	for (int s = 0; s < 2; s++) {
		EXPECT_EQ(QSIM_STOP_IDLE, qsim_run(side(t, s)->q, 1000000)) TH_LOG("side %d", s);
	}
	ASSERT_EQ(0, qsim_host_cq_wait(&t->rtl, &r, JOB_CYCLE_LIMIT));
	ASSERT_EQ(0, qsim_host_cq_wait(&t->fn, &f, JOB_CYCLE_LIMIT));
	EXPECT_EQ(0, compare_cqe(_metadata, &r, &f, "NOP without interrupts"));

	/* A GEMM takes its estimated cycles: a short run ends at the limit. */
	twin_reg_write(t, QACCEL_REG_INT_ENABLE, QACCEL_INT_CQ);
	ASSERT_EQ(0, job_make(t, &j, S_BIGGER, F_NONE));
	qsim_host_sq_push(&t->fn, &j.desc);
	qsim_host_sq_push(&t->rtl, &j.desc);
	qsim_host_sq_ring(&t->fn);
	qsim_host_sq_ring(&t->rtl);
	EXPECT_EQ(QSIM_STOP_LIMIT, qsim_run(t->fn.q, 100));
	EXPECT_TRUE(qsim_reg_read(t->fn.q, QACCEL_REG_STATUS) & QACCEL_STATUS_BUSY);
	EXPECT_EQ(0, retire(_metadata, t, &j, NULL));
}

/*
 * How fast the functional device serves jobs through qsim_host (the
 * numbers are diagnostics, never pass/fail): NOPs 31 at a time, and
 * 64x64x64 int8 GEMMs; the RTL's NOP rate for comparison.
 */
TEST_F_TIMEOUT(twin, functional_speed, 300)
{
	struct twin *t = &self->t;
	const unsigned int nops = 200000, gemms = 500, rtl_nops = 2000;
	struct qaccel_hw_cqe cqe;
	struct job j;
	double t0;

	for (int s = 1; s >= 0; s--) {
		struct qsim_host *h = side(t, s);
		unsigned int n = s ? nops : rtl_nops;

		t0 = now_s();
		for (unsigned int done = 0; done < n;) {
			unsigned int batch = n - done < WINDOW ? n - done : WINDOW;
			struct qaccel_hw_desc d = { .opcode = QACCEL_OP_NOP };

			for (unsigned int i = 0; i < batch; i++) {
				d.tag = ++h->tag;
				qsim_host_sq_push(h, &d);
			}
			qsim_host_sq_ring(h);
			for (unsigned int i = 0; i < batch; i++, done++) {
				ASSERT_EQ(0, qsim_host_cq_wait(h, &cqe, JOB_CYCLE_LIMIT));
				ASSERT_EQ(QACCEL_ERR_OK, cqe.status);
			}
		}
		diag("%s: %.0f NOP jobs/s (%u NOPs, 31 in flight)", s ? "functional" : "RTL",
		     n / (now_s() - t0), n);
	}

	/* One 64x64x64 job, run over and over through the same buffers. */
	memset(&j, 0, sizeof(j));
	j.shape = S_INT8_TENSOR;
	job_params(&j);
	j.p.m = j.p.n = j.p.k = 64;
	ASSERT_EQ(0, job_place(t, &j));
	job_desc(t, &j);
	t0 = now_s();
	for (unsigned int done = 0; done < gemms;) {
		unsigned int batch = gemms - done < WINDOW ? gemms - done : WINDOW;

		for (unsigned int i = 0; i < batch; i++)
			qsim_host_sq_push(&t->fn, &j.desc);
		qsim_host_sq_ring(&t->fn);
		for (unsigned int i = 0; i < batch; i++, done++) {
			ASSERT_EQ(0, qsim_host_cq_wait(&t->fn, &cqe, JOB_CYCLE_LIMIT));
			ASSERT_EQ(QACCEL_ERR_OK, cqe.status);
		}
	}
	diag("functional: %.0f 64x64x64 GEMM jobs/s (%s out, %u jobs, 31 in flight)",
	     gemms / (now_s() - t0),
	     (j.p.flags & QACCEL_GEMM_OUT_MASK) == QACCEL_GEMM_OUT_INT32 ? "int32" : "requantized",
	     gemms);
	if (j.c_ref) {
		uint8_t *c = malloc(j.c.f.size);

		ASSERT_NE(NULL, c);
		qsim_host_buf_read(&t->fn, &j.c.f, 0, c, j.c.f.size);
		EXPECT_EQ(0, memcmp(c, j.c_ref, j.c.f.size));
		free(c);
	}
	job_free(t, &j);
}

TEST_HARNESS_MAIN
