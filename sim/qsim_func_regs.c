// SPDX-License-Identifier: MIT
/*
 * qsim_func_regs: qaccel_regs, the register file of the functional model
 * (qsim_func_priv.h): offsets, widths, reset values, RW1C, LO-snapshots-HI
 * counters, BAD_QUEUE when enabling with a bad ring configuration.
 */
#include <string.h>

#include "qsim_func_priv.h"

static bool ring_size_ok(uint32_t size)
{
	return size >= 2 && size <= QACCEL_MAX_QUEUE && !(size & (size - 1));
}

static bool queue_ok(const struct qsim_func *f)
{
	/* Each ring aligned to its entries. */
	return ring_size_ok(f->sq_size) && ring_size_ok(f->cq_size) &&
	       !(f->sq_base_lo & (sizeof(struct qaccel_hw_desc) - 1)) &&
	       !(f->cq_base_lo & (sizeof(struct qaccel_hw_cqe) - 1));
}

bool qsim_func_idle(const struct qsim_func *f)
{
	if (f->running)
		return false;
	if (f->record_due)
		return cq_full(f);
	return !can_start(f);
}

bool qsim_func_irq(const struct qsim_func *f)
{
	return f->int_status & f->int_enable;
}

void qf_set_fatal(struct qsim_func *f, uint16_t code, uint64_t addr)
{
	f->fatal = true;
	f->err_code = code;
	f->err_addr = addr;
	f->int_status |= QACCEL_INT_FATAL;
	/* Disabled or fatal: the descriptor copies are dropped. */
	f->batch_left = 0;
}

/* CTRL.RESET, equal in effect to rst_ni but for the DMA's replacement pointers. */
static void soft_reset(struct qsim_func *f)
{
	f->enable = f->fatal = false;
	f->sq_base_lo = f->sq_base_hi = f->cq_base_lo = f->cq_base_hi = 0;
	f->sq_size = f->cq_size = 0;
	f->sq_tail = f->sq_head = f->cq_head = f->cq_tail = 0;
	f->phase = true;
	f->int_status = f->int_enable = 0;
	f->err_code = 0;
	f->err_addr = 0;
	memset(f->cnt, 0, sizeof(f->cnt));
	f->snap = 0;
	f->batch_left = f->batch_next = 0;
	f->fetch_cycles = 0;
	f->job_rd = f->job_wr = 0;
	f->job_bursts = f->job_walks = 0;
	f->running = f->in_gemm = f->record_due = false;
	qf_dma_flush(f);
}

void qsim_func_reset(struct qsim_func *f)
{
	soft_reset(f);
	qf_dma_reset(f);
}

uint32_t qsim_func_reg_read(struct qsim_func *f, uint32_t offset)
{
	uint32_t off = offset & REG_ADDR_MASK;

	if (off >= QACCEL_REG_CNT_CYCLES && off < QACCEL_REG_END) {
		uint64_t v = f->cnt[(off - QACCEL_REG_CNT_CYCLES) / 8];

		if (off & 4)
			return f->snap;
		f->snap = (uint32_t)(v >> 32);
		return (uint32_t)v;
	}
	switch (off & ~3u) {
	case QACCEL_REG_ID: return QACCEL_ID_MAGIC;
	case QACCEL_REG_VERSION: return QACCEL_VERSION;
	case QACCEL_REG_CAPS:
		return FUNC_CAPS | (f->rows * f->cols >= QACCEL_UARCH_GEMV_MIN_PES ? QACCEL_CAP_GEMV : 0);
	case QACCEL_REG_ARRAY: return f->cols << 16 | f->rows;
	case QACCEL_REG_MAX_DIM: return QACCEL_MAX_DIM;
	case QACCEL_REG_CTRL: return f->enable ? QACCEL_CTRL_ENABLE : 0;
	case QACCEL_REG_STATUS:
		return (f->enable ? QACCEL_STATUS_ENABLED : 0) |
		       (f->running || f->record_due ? QACCEL_STATUS_BUSY : 0) |
		       (f->fatal ? QACCEL_STATUS_FATAL : 0) |
		       (qsim_func_idle(f) ? QACCEL_STATUS_IDLE : 0);
	case QACCEL_REG_SQ_BASE_LO: return f->sq_base_lo;
	case QACCEL_REG_SQ_BASE_HI: return f->sq_base_hi;
	case QACCEL_REG_CQ_BASE_LO: return f->cq_base_lo;
	case QACCEL_REG_CQ_BASE_HI: return f->cq_base_hi;
	case QACCEL_REG_SQ_SIZE: return f->sq_size;
	case QACCEL_REG_CQ_SIZE: return f->cq_size;
	case QACCEL_REG_SQ_TAIL: return f->sq_tail;
	case QACCEL_REG_SQ_HEAD: return f->sq_head;
	case QACCEL_REG_CQ_HEAD: return f->cq_head;
	case QACCEL_REG_CQ_TAIL: return f->cq_tail;
	case QACCEL_REG_INT_STATUS: return f->int_status;
	case QACCEL_REG_INT_ENABLE: return f->int_enable;
	case QACCEL_REG_ERR_CODE: return f->err_code;
	case QACCEL_REG_ERR_ADDR_LO: return (uint32_t)f->err_addr;
	case QACCEL_REG_ERR_ADDR_HI: return (uint32_t)(f->err_addr >> 32);
	default: return 0;
	}
}

static void write_ctrl(struct qsim_func *f, uint32_t value)
{
	bool enabling = (value & QACCEL_CTRL_ENABLE) && !f->enable;

	if (value & QACCEL_CTRL_RESET) {
		soft_reset(f);
		return;
	}
	/* The RTL sets ENABLE even when the ring configuration is refused. */
	f->enable = value & QACCEL_CTRL_ENABLE;
	if (enabling && !queue_ok(f))
		qf_set_fatal(f, QACCEL_ERR_BAD_QUEUE, 0);
	if (!f->enable)
		f->batch_left = 0;
}

void qsim_func_reg_write(struct qsim_func *f, uint32_t offset, uint32_t value)
{
	switch (offset & REG_ADDR_MASK & ~3u) {
	case QACCEL_REG_CTRL: write_ctrl(f, value); break;
	case QACCEL_REG_SQ_BASE_LO: f->sq_base_lo = value; break;
	case QACCEL_REG_SQ_BASE_HI: f->sq_base_hi = value; break;
	case QACCEL_REG_CQ_BASE_LO: f->cq_base_lo = value; break;
	case QACCEL_REG_CQ_BASE_HI: f->cq_base_hi = value; break;
	case QACCEL_REG_SQ_SIZE: f->sq_size = value; break;
	case QACCEL_REG_CQ_SIZE: f->cq_size = value; break;
	case QACCEL_REG_SQ_TAIL: f->sq_tail = value & INDEX_MASK; break;
	case QACCEL_REG_CQ_HEAD: f->cq_head = value & INDEX_MASK; break;
	case QACCEL_REG_INT_STATUS:
		f->int_status &= ~value & (QACCEL_INT_CQ | QACCEL_INT_FATAL);
		break;
	case QACCEL_REG_INT_ENABLE:
		f->int_enable = value & (QACCEL_INT_CQ | QACCEL_INT_FATAL);
		break;
	default: break;		/* read-only or unknown: ignored, as the RTL does */
	}
}
