// SPDX-License-Identifier: MIT
/*
 * qsim_func_cmd: qaccel_core's command processor in the functional model
 * (qsim_func_priv.h): descriptor batches (up to QACCEL_UARCH_DESC_BUF,
 * never past SQ_TAIL or the ring's end) read from SQ_HEAD, SQ_HEAD
 * advancing as each one is taken, validation in the same order, records
 * with phase and sq_head, a record waiting while the CQ is full, ring
 * faults fatal; and the virtual clock that runs only inside
 * qsim_func_run() (qsim_func.c says how time is estimated).
 */
#include <string.h>

#include "qsim_func_priv.h"

static uint64_t sq_base(const struct qsim_func *f)
{
	return (uint64_t)f->sq_base_hi << 32 | f->sq_base_lo;
}

static uint64_t cq_base(const struct qsim_func *f)
{
	return (uint64_t)f->cq_base_hi << 32 | f->cq_base_lo;
}

/* A ring access failed: the device stops until a reset (qaccel_core CHalt). */
void qf_ring_fault(struct qsim_func *f, uint64_t addr)
{
	qf_set_fatal(f, QACCEL_ERR_RING_FAULT, addr);
	f->running = false;
	f->record_due = false;
}

static bool zp_ok(int32_t v, bool is_uint8)
{
	return is_uint8 ? v >= 0 && v <= 255 : v >= -128 && v <= 127;
}

static bool dim_ok(uint32_t v)
{
	return v && v <= QACCEL_MAX_DIM;
}

/* qaccel_core's decode: the first failing check in status-code order. */
static uint16_t decode(const struct qaccel_hw_desc *d)
{
	uint32_t out = d->flags & QACCEL_F_OUT_MASK;
	bool out_u8 = out == QACCEL_F_OUT_UINT8;
	bool per_channel = (d->flags & QACCEL_F_PER_CHANNEL) && out != QACCEL_F_OUT_INT32;

	if (d->opcode > QACCEL_OP_GEMM || d->reserved0 || d->reserved1)
		return QACCEL_ERR_BAD_OPCODE;
	if (d->opcode == QACCEL_OP_NOP)
		return QACCEL_ERR_OK;
	if (!dim_ok(d->m) || !dim_ok(d->n) || !dim_ok(d->k))
		return QACCEL_ERR_BAD_DIM;
	if ((d->flags & ~QACCEL_F_ALL) || out == QACCEL_F_OUT_MASK ||
	    (d->flags & QACCEL_F_RQ_MASK) == QACCEL_F_RQ_MASK)
		return QACCEL_ERR_BAD_FLAGS;
	if (!zp_ok(d->a_zero_point, d->flags & QACCEL_F_A_UINT8) ||
	    !zp_ok(d->b_zero_point, d->flags & QACCEL_F_B_UINT8))
		return QACCEL_ERR_BAD_PARAM;
	if (out != QACCEL_F_OUT_INT32 &&
	    (!zp_ok(d->c_zero_point, out_u8) || !zp_ok(d->clamp_min, out_u8) ||
	     !zp_ok(d->clamp_max, out_u8) || d->clamp_min > d->clamp_max ||
	     (!per_channel && !qf_requant_ok(d->flags, d->out_multiplier, d->out_shift))))
		return QACCEL_ERR_BAD_PARAM;
	return QACCEL_ERR_OK;
}

/* Read the next batch of published descriptors (qaccel_core CIdle/CFetch). */
static void fetch_batch(struct qsim_func *f)
{
	uint32_t mask = sq_mask(f);
	uint32_t avail = ((f->sq_tail & mask) - f->sq_head) & mask;
	uint32_t to_end = (mask + 1 - f->sq_head) & (2 * QACCEL_MAX_QUEUE - 1);	/* an index and a carry, as the RTL */
	uint32_t n = min_u32(min_u32(avail, to_end), QACCEL_UARCH_DESC_BUF);
	uint64_t addr = sq_base(f) + (uint64_t)f->sq_head * sizeof(struct qaccel_hw_desc);
	uint32_t len = n * (uint32_t)sizeof(struct qaccel_hw_desc);

	/*
	 * Only a ring shrunk below SQ_HEAD while enabled gets here with
	 * nothing to read; the RTL would then issue a malformed burst.
	 */
	if (!n || !qf_phys_read(f, addr, f->batch, len)) {
		qf_ring_fault(f, addr);
		return;
	}
	f->batch_left = n;
	f->batch_next = 0;
	f->fetch_cycles += f->cfg.mem_latency + (len + f->cfg.mem_bytes_per_cycle - 1) /
			   f->cfg.mem_bytes_per_cycle;
}

/*
 * Take a descriptor and start its job: a NOP or a refused descriptor only
 * takes its fixed cycles; a GEMM then runs step by step (run_job_step).
 */
static void start_job(struct qsim_func *f)
{
	const struct qaccel_hw_desc *d = &f->batch[f->batch_next];

	f->batch_next = (f->batch_next + 1) % QACCEL_UARCH_DESC_BUF;
	f->batch_left--;
	f->sq_head = (f->sq_head + 1) & sq_mask(f);
	qf_dma_flush(f);
	memset(&f->rec, 0, sizeof(f->rec));
	f->rec.tag = d->tag;
	f->rec.status = decode(d);
	f->running = true;
	f->started = f->now;
	f->done_at = f->now + JOB_CYCLES + f->fetch_cycles;
	f->fetch_cycles = 0;
	if (f->rec.status == QACCEL_ERR_OK && d->opcode == QACCEL_OP_GEMM) {
		f->in_gemm = true;
		if (qf_gemm_start(f, d))
			f->done_at += f->cfg.mem_latency;	/* its first reads */
	}
}

/* The job's cycles up to now have passed: its next step, or its record. */
static void run_job_step(struct qsim_func *f)
{
	struct gemm *g = &f->gemm;

	if (f->in_gemm && !qf_gemm_done(g)) {
		f->done_at = f->now + qf_gemm_step(f);
		return;
	}
	if (f->in_gemm) {
		f->in_gemm = false;
		f->rec.status = g->status;
		f->rec.err_detail = g->detail;
		if (g->status == QACCEL_ERR_OK)
			f->rec.macs = (uint64_t)g->d.m * g->d.n * g->d.k;
		f->rec.busy_cycles = g->busy;
		f->rec.dma_stall_cycles = (uint32_t)min_u64(g->stall, UINT32_MAX);
		f->cnt[CNT_DMA_STALL] += g->stall;
		/* Its last write's answer. */
		f->done_at = f->now + f->cfg.mem_latency;
		return;
	}
	f->rec.cycles = f->now - f->started;
	f->rec.dma_rd_bytes = f->job_rd;
	f->rec.dma_wr_bytes = f->job_wr;
	f->job_rd = f->job_wr = f->job_bursts = f->job_walks = 0;
	f->running = false;
	f->record_due = true;
}

static void write_record(struct qsim_func *f)
{
	uint32_t mask = cq_mask(f), slot = f->cq_tail & mask;

	f->rec.info = (f->phase ^ (f->cq_tail > mask)) ? QACCEL_CQE_PHASE : 0;
	f->rec.sq_head = f->sq_head;
	if (!qf_phys_write(f, cq_base(f) + (uint64_t)slot * sizeof(f->rec), &f->rec,
			sizeof(f->rec))) {
		qf_ring_fault(f, cq_base(f) + (uint64_t)f->cq_tail * sizeof(f->rec));
		return;
	}
	f->record_due = false;
	f->cq_tail = (f->cq_tail + 1) & mask;
	if (!f->cq_tail)
		f->phase = !f->phase;
	f->int_status |= QACCEL_INT_CQ;
	f->cnt[CNT_MACS] += f->rec.macs;
	f->cnt[CNT_JOBS]++;
}

static void advance(struct qsim_func *f, uint64_t cycles)
{
	f->now += cycles;
	f->st.cycles += cycles;
	f->cnt[CNT_CYCLES] += cycles;
	f->cnt[CNT_BUSY] += cycles;	/* the clock only runs while a job does */
}

enum qsim_stop qsim_func_run(struct qsim_func *f, uint64_t max_cycles)
{
	uint64_t end = f->now + min_u64(max_cycles, UINT64_MAX - f->now);

	for (;;) {
		bool irq_before = qsim_func_irq(f);

		if (f->now >= end)
			return QSIM_STOP_LIMIT;
		if (qsim_func_idle(f))
			return QSIM_STOP_IDLE;
		if (f->running) {
			advance(f, min_u64(f->done_at, end) - f->now);
			if (f->now < f->done_at)
				return QSIM_STOP_LIMIT;
			run_job_step(f);
			continue;
		}
		if (f->record_due)
			write_record(f);	/* not idle, so the CQ has room */
		else if (!f->batch_left)
			fetch_batch(f);
		else
			start_job(f);
		if (!irq_before && qsim_func_irq(f))
			return QSIM_STOP_IRQ;
	}
}
