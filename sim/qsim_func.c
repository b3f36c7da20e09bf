// SPDX-License-Identifier: MIT
/*
 * qsim_func: the qaccel device as a functional C model (qsim_func.h), and
 * its top: qaccel_top's part, building the blocks and serving the qsim API.
 *
 * It follows the RTL block by block, one file each, so each part can be
 * read next to the module it stands for:
 *
 *   qsim_func_regs.c     qaccel_regs: offsets, widths, reset values, RW1C,
 *                        LO-snapshots-HI counters, BAD_QUEUE when enabling;
 *   qsim_func_cmd.c      qaccel_core's command processor: descriptor
 *                        batches (up to QACCEL_UARCH_DESC_BUF, never past
 *                        SQ_TAIL or the ring's end) read from SQ_HEAD,
 *                        SQ_HEAD advancing as each one is taken, validation
 *                        in the same order, records with phase and sq_head,
 *                        a record waiting while the CQ is full, ring faults
 *                        fatal;
 *   qsim_func_engine.c   qaccel_core's loader and post engine (struct gemm):
 *                        every request they issue, in their order, over the
 *                        same tiles (rows x cols x QACCEL_UARCH_K_CHUNK, or
 *                        GEMV's 1 x ch x slot for small M on arrays with
 *                        GEMV lanes);
 *   qsim_func_dma.c      qaccel_dma: each request bounds checked, split into
 *                        the same bursts and translated through the same
 *                        per-stream cache of one level-1 pointer and
 *                        QACCEL_UARCH_DMA_WAYS level-0 lines, with the same
 *                        replacement and GEMV's stream buffer, so that page
 *                        faults, AXI errors (outside memory, or injected),
 *                        their err_detail and every page-table read come
 *                        out as the RTL's;
 *   qsim_func_compute.c  qaccel_array and qaccel_post: qaccel_ref_gemm(),
 *                        the project's reference, on each tile's operands
 *                        gathered through the page tables.
 *
 * qsim_func_priv.h holds the state and the calls between the blocks.  The
 * microarchitecture numbers all come from include/qaccel_hw.h, whose
 * values tests/hw/iface_check compares with hw/rtl/qaccel_pkg.sv.
 *
 * Time is estimated, not simulated.  A virtual clock runs only inside
 * qsim_func_run(): a job takes a fixed number of cycles, and a GEMM one
 * step (a chunk's loads and the tiles they let through) at a time, each
 * step's effects happening at its start and its estimated cycles passing
 * before the next.  So qsim_run() stops at its limit, on an irq edge or
 * when idle as with the RTL; STATUS.BUSY shows a job in progress; a reset
 * lands in the middle of one and abandons the rest; and the host work per
 * call is bounded by the cycles asked for, so that a huge job never holds
 * qaccel-sim's loop.
 *
 * Where the model and the RTL part (docs/simulation.md has the list):
 *  - cycle counts are estimates (CAPS says QACCEL_CAP_FUNCTIONAL);
 *  - a job that fails half-way leaves the C written that its post engine
 *    wrote before the failing request.  For a bad per-channel record and a
 *    C row past the buffer's size that is exactly what the RTL leaves; for
 *    page faults and AXI errors the RTL may have written a few more or fewer
 *    rows around that point (its post engine runs concurrently with the
 *    loader, the model's `banks` chunks behind it);
 *  - with several faults in one job, the first in that order wins, which
 *    may differ from the RTL when a C write races a load;
 *  - a record is counted (CQ_TAIL, INT_STATUS.CQ, CNT_JOBS) as it is
 *    written, where the RTL counts it one write round trip later; and a
 *    failing record write is fatal at once (ERR_ADDR is the same), without
 *    the RTL's chance to take further descriptors meanwhile.
 */
#include <stdlib.h>

#include "qsim_func_priv.h"

struct qsim_func *qsim_func_new(const struct qsim_config *cfg, unsigned int rows,
				unsigned int cols)
{
	struct qsim_func *f = calloc(1, sizeof(*f));

	if (!f)
		return NULL;
	f->cfg = *cfg;
	f->rows = rows;
	f->cols = cols;
	f->mem = cfg->mem;
	f->mem_size = cfg->mem ? cfg->mem_size : 0;
	qsim_func_reset(f);
	return f;
}

void qsim_func_free(struct qsim_func *f)
{
	if (!f)
		return;
	free(f->a.p);
	free(f->b.p);
	free(f->c.p);
	free(f->bias.p);
	free(f->quant.p);
	free(f);
}

void qsim_func_get_stats(const struct qsim_func *f, struct qsim_stats *st)
{
	*st = f->st;
}

void qsim_func_inject_read_error(struct qsim_func *f, uint64_t skip_lo, uint64_t skip_hi)
{
	f->rd_fault = true;
	f->rd_fault_lo = skip_lo;
	f->rd_fault_hi = skip_hi;
}

bool qsim_func_read_error_pending(const struct qsim_func *f)
{
	return f->rd_fault;
}
