// SPDX-License-Identifier: MIT
/*
 * qsim_func: the qaccel device as a functional C model (qsim_func.h).
 *
 * It follows the RTL block by block, so each part can be read next to the
 * module it stands for:
 *
 *   registers          qaccel_regs: offsets, widths, reset values, RW1C,
 *                      LO-snapshots-HI counters, BAD_QUEUE when enabling;
 *   command processor  qaccel_core: descriptor batches (up to 16, never past
 *                      SQ_TAIL or the ring's end) read from SQ_HEAD, SQ_HEAD
 *                      advancing as each one is taken, validation in the
 *                      same order, records with phase and sq_head, a record
 *                      waiting while the CQ is full, ring faults fatal;
 *   engines            qaccel_core's loader and post engine (struct gemm):
 *                      every request they issue, in their order, over the
 *                      same tiles (rows x cols x 512, or GEMV's 1 x ch x
 *                      slot for small M on arrays of 64 PEs or more);
 *   DMA                qaccel_dma: each request bounds checked, split into
 *                      the same bursts and translated through the same
 *                      per-stream cache of one level-1 pointer and two
 *                      level-0 lines (and GEMV's stream buffer), so that
 *                      page faults, AXI errors (outside memory, or
 *                      injected) and their err_detail come out as the
 *                      RTL's;
 *   compute            qaccel_ref_gemm(), the project's reference, on each
 *                      tile's operands gathered through the page tables.
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
 *    wrote before the failing request.  For a bad per-channel shift and a
 *    C row past the buffer's size that is exactly what the RTL leaves; for
 *    page faults and AXI errors the RTL may have written a few more or fewer
 *    rows around that point (its post engine runs concurrently with the
 *    loader, the model's POST_LAG chunks behind it);
 *  - with several faults in one job, the first in that order wins, which
 *    may differ from the RTL when a C write races a load;
 *  - a record is counted (CQ_TAIL, INT_STATUS.CQ, CNT_JOBS) as it is
 *    written, where the RTL counts it one write round trip later; and a
 *    failing record write is fatal at once (ERR_ADDR is the same), without
 *    the RTL's chance to take further descriptors meanwhile.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "qaccel_hw.h"
#include "qaccel_ref.h"
#include "qsim_func.h"

#if __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "qsim_func reads device structures straight from memory: little-endian only"
#endif

#define BEAT		QACCEL_AXI_DATA_BYTES
#define BEATS_PER_PAGE	(QACCEL_PAGE_SIZE / BEAT)
/* The AXI4-Lite slave decodes 12 address bits. */
#define REG_ADDR_MASK	0xfffu
/* Ring indices are 12-bit registers. */
#define INDEX_MASK	0xfffu
#define NUM_COUNTERS	8u
/* qaccel_core's KChunk (bytes of K per scratchpad bank), DescBuf and GemvK. */
#define K_CHUNK		512u
#define DESC_BATCH	16u
#define GEMV_K		2048u
/* Post events trail the loader by this many chunks (struct gemm). */
#define POST_LAG	2u

/*
 * What the device reports: what qaccel_top builds in (GEMV needs 64 PEs,
 * see tile_shape()), and that it is this model.
 */
#define FUNC_CAPS	(QACCEL_CAP_GEMM_I32 | QACCEL_CAP_REQUANT | QACCEL_CAP_PER_CHANNEL | \
			 QACCEL_CAP_BIAS | QACCEL_CAP_UINT8_IN | QACCEL_CAP_FUNCTIONAL)
#define GEMV_MIN_PES	64u

/*
 * Cost model, calibrated against the RTL's completion records (see
 * docs/simulation.md for the comparison): every job pays JOB_CYCLES (take,
 * decode, CQ check, record); the first of a descriptor batch also one
 * memory latency plus the batch's bytes; a GEMM also one latency before its
 * first step (its first reads) and one after its last (its last write's
 * answer), and for each step (step_cycles)
 *   one latency per page-table read  a walk stalls the DMA until it returns
 * + max(array, memory) + min(array, memory) / 2
 * where array is the array's time (per K chunk of a tile: chunk length +
 * rows + cols, or GEMV's lines), memory the larger of the bytes moved over
 * the bytes per cycle and the bursts over the requests the memory keeps in
 * flight per latency, and the last term the part that does not overlap.
 */
#define JOB_CYCLES	16u

/* Operand streams: the DMA's translation cache slots; err_detail - 1. */
enum stream { STREAM_A, STREAM_B, STREAM_C, STREAM_BIAS, STREAM_QUANT, NUM_STREAMS };

/* qaccel_dma's translation cache for one stream. */
struct tlb {
	bool l1_valid;
	uint32_t l1_tag;		/* x[29:21] */
	uint64_t l1_ptr;		/* the level-0 table */
	bool line_valid[2];
	uint32_t line_tag[2];		/* x[29:15] */
	uint64_t line[2][BEAT / 8];	/* a 64-byte line of level-0 entries */
	unsigned int victim;		/* the way the next fill replaces */
};

struct scratch {
	void *p;
	size_t size;
};

/* Which A block a scratchpad bank holds (the loader's A reuse). */
struct bank {
	bool valid;
	uint32_t m0, k0;
};

/* A tile whose last chunk is loaded, waiting for the post engine. */
struct tile {
	uint32_t m0, n0;
	uint64_t last_chunk;
};

#define POST_QUEUE	(POST_LAG + 2)

/*
 * A GEMM in progress: the RTL's loop nest over its tile shape (rows x cols
 * x K_CHUNK, or 1 x ch x slot in GEMV mode), one step at a time.  A step is
 * the loader's next chunk (bias and quant on a tile's last chunk, A unless
 * the bank still holds the same block, B; one request per row, or one for
 * all rows when the stride equals the chunk length) and the posts it lets
 * through: a tile's C rows follow the loads of the chunk POST_LAG after its
 * last one, because the RTL starts them when that last chunk leaves the
 * array, which frees the bank the loader fills next.  The post engine
 * checks the tile's per-channel shifts, computes it with qaccel_ref_gemm()
 * and writes its rows.  The first error ends the job.
 */
struct gemm {
	struct qaccel_hw_desc d;
	uint32_t esz;			/* bytes per C element */
	bool bias, per_channel, gemv;
	uint32_t t_rows, t_cols, t_k;	/* qaccel_core's tile shape */
	uint32_t m0, n0, k0;		/* the loader's next chunk */
	uint64_t chunk;
	bool loaded;			/* every chunk requested */
	struct bank bank[2];
	struct tile queue[POST_QUEUE];
	unsigned int head, count;
	bool a_valid;			/* the A scratch holds row block a_m0 */
	uint32_t a_m0;
	uint16_t status;
	uint32_t detail;
	uint64_t busy, stall;		/* the array's cycles; its waits for data */
};

struct qsim_func {
	struct qsim_config cfg;
	unsigned int rows, cols;
	uint8_t *mem;
	uint64_t mem_size;

	/* qaccel_regs */
	bool enable, fatal;
	uint32_t sq_base_lo, sq_base_hi, cq_base_lo, cq_base_hi;
	uint32_t sq_size, cq_size;
	uint32_t sq_tail, sq_head, cq_head, cq_tail;	/* 12 bits each */
	bool phase;
	uint32_t int_status, int_enable;
	uint16_t err_code;
	uint64_t err_addr;
	uint64_t cnt[NUM_COUNTERS];	/* in register order: CNT_CYCLES first */
	uint32_t snap;			/* HI half latched by the last LO read */

	/* qaccel_core */
	struct qaccel_hw_desc batch[DESC_BATCH];
	unsigned int batch_left, batch_next;
	uint64_t fetch_cycles;		/* the next job pays for its batch's fetch */
	uint64_t job_rd, job_wr;	/* bytes moved since the last record */
	uint64_t job_bursts, job_walks;	/* bursts, of which page-table reads */
	bool running;			/* a job's cycles are elapsing */
	uint64_t done_at;		/* ...until this cycle (then its next step) */
	uint64_t started;		/* the cycle it began */
	bool in_gemm;			/* it is the GEMM below */
	struct gemm gemm;
	bool record_due;		/* its record is to be written (waits while the CQ is full) */
	struct qaccel_hw_cqe rec;

	/* qaccel_dma */
	struct tlb tlb[NUM_STREAMS];
	/* The stream buffer: one prefetched level-0 line for GEMV's B. */
	bool sb_valid;
	unsigned int sb_stream;
	uint32_t sb_tag;
	uint64_t sb_line[BEAT / 8];
	bool rd_fault;
	uint64_t rd_fault_lo, rd_fault_hi;

	uint64_t now;			/* the virtual clock */
	struct qsim_stats st;
	/* A tile's operands and result for qaccel_ref_gemm(), kept between jobs. */
	struct scratch a, b, c, bias, quant;
};

enum {
	CNT_CYCLES, CNT_BUSY, CNT_MACS, CNT_DMA_RD, CNT_DMA_WR, CNT_DMA_STALL,
	CNT_COMPUTE_STALL, CNT_JOBS,
};

static uint32_t min_u32(uint32_t a, uint32_t b)
{
	return a < b ? a : b;
}

static uint64_t min_u64(uint64_t a, uint64_t b)
{
	return a < b ? a : b;
}

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

/* ------------------------------------------------------------------ */
/* Registers and queue state (qaccel_regs)                             */
/* ------------------------------------------------------------------ */

static uint32_t sq_mask(const struct qsim_func *f)
{
	return (f->sq_size - 1) & INDEX_MASK;
}

static uint32_t cq_mask(const struct qsim_func *f)
{
	return (f->cq_size - 1) & INDEX_MASK;
}

static uint64_t sq_base(const struct qsim_func *f)
{
	return (uint64_t)f->sq_base_hi << 32 | f->sq_base_lo;
}

static uint64_t cq_base(const struct qsim_func *f)
{
	return (uint64_t)f->cq_base_hi << 32 | f->cq_base_lo;
}

static bool ring_size_ok(uint32_t size)
{
	return size >= 2 && size <= QACCEL_MAX_QUEUE && !(size & (size - 1));
}

static bool queue_ok(const struct qsim_func *f)
{
	return ring_size_ok(f->sq_size) && ring_size_ok(f->cq_size) &&
	       !(f->sq_base_lo & 0x7f) && !(f->cq_base_lo & 0x3f);
}

/* A descriptor is published and the device may take it. */
static bool can_start(const struct qsim_func *f)
{
	return f->enable && !f->fatal && f->sq_head != (f->sq_tail & sq_mask(f));
}

/* The next record's slot would reach CQ_HEAD. */
static bool cq_full(const struct qsim_func *f)
{
	uint32_t mask = cq_mask(f);

	return (((f->cq_tail & mask) + 1) & mask) == (f->cq_head & mask);
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

static void set_fatal(struct qsim_func *f, uint16_t code, uint64_t addr)
{
	f->fatal = true;
	f->err_code = code;
	f->err_addr = addr;
	f->int_status |= QACCEL_INT_FATAL;
	/* Disabled or fatal: the descriptor copies are dropped. */
	f->batch_left = 0;
}

/* A ring access failed: the device stops until a reset (qaccel_core CHalt). */
static void ring_fault(struct qsim_func *f, uint64_t addr)
{
	set_fatal(f, QACCEL_ERR_RING_FAULT, addr);
	f->running = false;
	f->record_due = false;
}

static void flush_tlb(struct qsim_func *f)
{
	for (int s = 0; s < NUM_STREAMS; s++) {
		f->tlb[s].l1_valid = false;
		f->tlb[s].line_valid[0] = f->tlb[s].line_valid[1] = false;
	}
	f->sb_valid = false;
}

/* CTRL.RESET, equal in effect to rst_ni but for the TLB's victim choice. */
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
	flush_tlb(f);
}

void qsim_func_reset(struct qsim_func *f)
{
	soft_reset(f);
	for (int s = 0; s < NUM_STREAMS; s++)
		f->tlb[s].victim = 0;
}

uint32_t qsim_func_reg_read(struct qsim_func *f, uint32_t offset)
{
	uint32_t off = offset & REG_ADDR_MASK;

	if (off >= QACCEL_REG_CNT_CYCLES && off < QACCEL_REG_END) {
		uint64_t v = f->cnt[(off >> 3) & 7];

		if (off & 4)
			return f->snap;
		f->snap = (uint32_t)(v >> 32);
		return (uint32_t)v;
	}
	switch (off & ~3u) {
	case QACCEL_REG_ID: return QACCEL_ID_MAGIC;
	case QACCEL_REG_VERSION: return QACCEL_VERSION;
	case QACCEL_REG_CAPS:
		return FUNC_CAPS | (f->rows * f->cols >= GEMV_MIN_PES ? QACCEL_CAP_GEMV : 0);
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
		set_fatal(f, QACCEL_ERR_BAD_QUEUE, 0);
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

/* ------------------------------------------------------------------ */
/* The memory port (the AXI4 master and qsim.c's memory slave)         */
/* ------------------------------------------------------------------ */

static bool in_memory(const struct qsim_func *f, uint64_t addr, uint64_t len)
{
	return addr < f->mem_size && len <= f->mem_size - addr;
}

/*
 * One read burst of beats 64-byte beats at a 64-byte aligned address:
 * counted like the RTL counts them, answered with an error when it reaches
 * outside memory or when qsim_func_inject_read_error() is armed for it.
 */
static bool burst_read(struct qsim_func *f, uint64_t addr, unsigned int beats)
{
	uint64_t bytes = (uint64_t)beats * BEAT;
	bool bad = !in_memory(f, addr, bytes);

	f->st.rd_bursts++;
	f->cnt[CNT_DMA_RD] += bytes;
	f->job_rd += bytes;
	f->job_bursts++;
	if (!bad && f->rd_fault && (addr < f->rd_fault_lo || addr >= f->rd_fault_hi)) {
		f->rd_fault = false;
		bad = true;
	}
	if (bad)
		f->st.axi_errors++;
	else
		f->st.rd_bytes += bytes;
	return !bad;
}

/* One single-beat write of len bytes of the block at addr (64-byte aligned). */
static bool block_write(struct qsim_func *f, uint64_t addr, uint32_t len)
{
	bool bad = !in_memory(f, addr, BEAT);

	f->st.wr_bursts++;
	f->cnt[CNT_DMA_WR] += len;
	f->job_bursts++;
	if (bad)
		f->st.axi_errors++;
	else
		f->st.wr_bytes += len;
	return !bad;
}

/* Bursts of a read range: to the range's end, the page's end or 64 beats. */
static unsigned int burst_beats(uint64_t blk, uint64_t end)
{
	uint64_t left = (end - blk + BEAT - 1) / BEAT;
	uint64_t to_page = BEATS_PER_PAGE - (blk / BEAT) % BEATS_PER_PAGE;

	return (unsigned int)min_u64(left, to_page);
}

/* A device-physical read (a descriptor batch) into dst; false on an AXI error. */
static bool phys_read(struct qsim_func *f, uint64_t addr, void *dst, uint32_t len)
{
	uint64_t end = addr + len;

	/* A ring at the top of the address space: no memory answers there. */
	if (end < addr) {
		burst_read(f, addr & ~(uint64_t)(BEAT - 1), 1);
		return false;
	}
	for (uint64_t blk = addr & ~(uint64_t)(BEAT - 1); blk < end;) {
		unsigned int beats = burst_beats(blk, end);

		if (!burst_read(f, blk, beats))
			return false;
		blk += (uint64_t)beats * BEAT;
	}
	memcpy(dst, f->mem + addr, len);
	return true;
}

/* A device-physical write (a completion record); false on an AXI error. */
static bool phys_write(struct qsim_func *f, uint64_t addr, const void *src, uint32_t len)
{
	const uint8_t *p = src;
	uint64_t end = addr + len;
	bool ok = true;

	if (end < addr) {
		block_write(f, addr & ~(uint64_t)(BEAT - 1), 0);
		return false;
	}
	for (uint64_t blk = addr & ~(uint64_t)(BEAT - 1); blk < end; blk += BEAT) {
		uint64_t lo = blk > addr ? blk : addr, hi = min_u64(end, blk + BEAT);

		if (block_write(f, blk, (uint32_t)(hi - lo)))
			memcpy(f->mem + lo, p + (lo - addr), hi - lo);
		else
			ok = false;
	}
	return ok;
}

/* ------------------------------------------------------------------ */
/* Translation (qaccel_dma's page walk and its cache)                  */
/* ------------------------------------------------------------------ */

static int tlb_way(const struct tlb *t, uint32_t line_tag)
{
	/* As the RTL's mux: way 1 if it hits, else way 0. */
	if (t->line_valid[1] && t->line_tag[1] == line_tag)
		return 1;
	if (t->line_valid[0] && t->line_tag[0] == line_tag)
		return 0;
	return -1;
}

/* Put a line of level-0 entries into the way the stream replaces next. */
static int tlb_fill(struct tlb *t, uint32_t line_tag, const void *line)
{
	int way = (int)t->victim;

	t->line_valid[way] = true;
	t->line_tag[way] = line_tag;
	memcpy(t->line[way], line, BEAT);
	t->victim = !way;
	return way;
}

/*
 * The stream buffer, for sequential requests (GEMV's B): a burst that hits
 * a line whose successor is in neither way nor the buffer, and lies under
 * the same cached level-1 entry, first reads that successor into the
 * buffer.  A failed read just leaves the buffer empty.  (In the RTL the
 * read is in flight while the data burst goes; here it lands at once.)
 */
static void prefetch_next_line(struct qsim_func *f, enum stream s, uint32_t line_tag)
{
	struct tlb *t = &f->tlb[s];
	uint32_t next = (line_tag + 1) & 0x7fff;
	uint64_t addr = t->l1_ptr + (uint64_t)(next & 63) * BEAT;

	if (tlb_way(t, next) >= 0 || (f->sb_valid && f->sb_stream == s && f->sb_tag == next) ||
	    !t->l1_valid || t->l1_tag != next >> 6)
		return;
	f->sb_valid = burst_read(f, addr, 1);
	f->sb_stream = s;
	f->sb_tag = next;
	if (f->sb_valid)
		memcpy(f->sb_line, f->mem + addr, BEAT);
}

/*
 * Translate buffer byte x (x < 1 GiB, 64-byte aligned) of stream s as the
 * DMA does before a data burst: a level-0 line hit needs no read; a miss
 * takes the line from the stream buffer if it holds it, or else reads the
 * level-1 entry (unless cached) and the level-0 line.  An AXI error on
 * either read, an invalid level-1 entry or an invalid level-0 entry is a
 * fault.  The way just used stays; the other one is replaced next.
 */
static bool translate(struct qsim_func *f, enum stream s, uint64_t table, uint64_t x,
		      bool seq, uint64_t *addr)
{
	struct tlb *t = &f->tlb[s];
	uint32_t line_tag = (uint32_t)(x >> 15) & 0x7fff, l1_idx = (uint32_t)(x >> 21) & 0x1ff;
	int way = tlb_way(t, line_tag);
	uint64_t pte;

	if (way < 0 && f->sb_valid && f->sb_stream == s && f->sb_tag == line_tag) {
		f->sb_valid = false;
		way = tlb_fill(t, line_tag, f->sb_line);
	}
	if (way < 0) {
		uint64_t line_addr;

		if (!t->l1_valid || t->l1_tag != l1_idx) {
			uint64_t pte_addr = (table & ~7ull) + (uint64_t)l1_idx * 8;

			f->job_walks++;
			if (!burst_read(f, pte_addr & ~(uint64_t)(BEAT - 1), 1))
				return false;
			memcpy(&pte, f->mem + pte_addr, sizeof(pte));
			if (!(pte & QACCEL_PTE_VALID))
				return false;
			t->l1_valid = true;
			t->l1_tag = l1_idx;
			t->l1_ptr = pte & QACCEL_PTE_ADDR_MASK;
		}
		line_addr = t->l1_ptr + ((x >> 15) & 63) * BEAT;
		f->job_walks++;
		if (!burst_read(f, line_addr, 1))
			return false;
		way = tlb_fill(t, line_tag, f->mem + line_addr);
	}
	pte = t->line[way][(x >> 12) & 7];
	if (!(pte & QACCEL_PTE_VALID))
		return false;
	if (seq)
		prefetch_next_line(f, s, line_tag);
	t->victim = way == 1 ? 0 : 1;
	*addr = (pte & QACCEL_PTE_ADDR_MASK) | (x & (QACCEL_PAGE_SIZE - 1));
	return true;
}

/* The walk itself, without the cache or the bus: for moving operands. */
static bool lookup(const struct qsim_func *f, uint64_t table, uint64_t x, uint64_t *addr)
{
	uint64_t at = (table & ~7ull) + ((x >> QACCEL_PT_L1_SHIFT) & 0x1ff) * 8, pte;

	if (!in_memory(f, at, 8))
		return false;
	memcpy(&pte, f->mem + at, 8);
	if (!(pte & QACCEL_PTE_VALID))
		return false;
	at = (pte & QACCEL_PTE_ADDR_MASK) + ((x >> QACCEL_PAGE_SHIFT) & 0x1ff) * 8;
	if (!in_memory(f, at, 8))
		return false;
	memcpy(&pte, f->mem + at, 8);
	if (!(pte & QACCEL_PTE_VALID))
		return false;
	*addr = (pte & QACCEL_PTE_ADDR_MASK) | (x & (QACCEL_PAGE_SIZE - 1));
	return true;
}

/* Copy bytes [x, x + len) of a buffer out (to_buf false) or in. */
static bool buf_copy(struct qsim_func *f, const struct qaccel_hw_buf *b, uint64_t x,
		     uint8_t *p, uint64_t len, bool to_buf)
{
	if (x + len > b->size || x + len > QACCEL_MAX_BUF_SIZE)
		return false;
	while (len) {
		uint64_t n = min_u64(len, QACCEL_PAGE_SIZE - (x & (QACCEL_PAGE_SIZE - 1))), addr;

		if (!lookup(f, b->table, x, &addr) || !in_memory(f, addr, n))
			return false;
		if (to_buf)
			memcpy(f->mem + addr, p, n);
		else
			memcpy(p, f->mem + addr, n);
		x += n;
		p += n;
		len -= n;
	}
	return true;
}

/* ------------------------------------------------------------------ */
/* A GEMM, step by step (qaccel_core's loader and post engine)         */
/* ------------------------------------------------------------------ */

static uint32_t gemv_lanes(const struct qsim_func *f)
{
	uint32_t pes = f->rows * f->cols;

	return pes >= 256 ? 4 : pes / GEMV_MIN_PES;
}

/*
 * GEMV mode (arrays of 64 PEs or more, M x cols < 64): one row of A, slots
 * of K rounded up to a power of two (64..GEMV_K bytes), as many channels as
 * the bank's A and B areas hold slots after A's, at most cols.
 */
static void tile_shape(const struct qsim_func *f, struct gemm *g)
{
	uint32_t bank = (f->rows + f->cols) * K_CHUNK, slot = 64;

	g->gemv = gemv_lanes(f) && g->d.m * f->cols < 64;
	if (!g->gemv) {
		g->t_rows = f->rows;
		g->t_cols = f->cols;
		g->t_k = K_CHUNK;
		return;
	}
	while (slot < GEMV_K && g->d.k > slot)
		slot *= 2;
	g->t_rows = 1;
	g->t_cols = min_u32(f->cols, bank / slot - 1);
	g->t_k = slot;
}

/* The array's cycles for one chunk: skewed fill and drain, or GEMV's lines. */
static uint64_t chunk_cycles(const struct qsim_func *f, const struct gemm *g, uint32_t nv,
			     uint32_t kl)
{
	uint32_t lanes = gemv_lanes(f);

	if (g->gemv)
		return (uint64_t)(nv + lanes - 1) / lanes * ((kl + BEAT - 1) / BEAT) + 2;
	return (uint64_t)kl + f->rows + f->cols;
}

static bool job_error(struct gemm *g, uint16_t status, enum stream s)
{
	g->status = status;
	g->detail = (uint32_t)s + 1;
	return false;
}

/*
 * One DMA request: bounds, then bursts.  A write carries its bytes in src
 * and lands block by block, so a fault part-way leaves the blocks before
 * it written, as in the RTL; seq marks GEMV's B for the stream buffer.
 */
static bool dma_request(struct qsim_func *f, struct gemm *g, enum stream s,
			const struct qaccel_hw_buf *b, uint64_t x, uint32_t len, bool seq,
			const uint8_t *src)
{
	uint64_t end = x + len;

	if (end > b->size || end > QACCEL_MAX_BUF_SIZE)
		return job_error(g, QACCEL_ERR_DMA_BOUNDS, s);
	for (uint64_t blk = x & ~(uint64_t)(BEAT - 1); blk < end;) {
		unsigned int beats = src ? 1 : burst_beats(blk, end);
		uint64_t addr;

		if (!translate(f, s, b->table, blk, seq, &addr))
			return job_error(g, QACCEL_ERR_DMA_FAULT, s);
		if (src) {
			uint64_t lo = blk > x ? blk : x, hi = min_u64(end, blk + BEAT);

			f->job_wr += hi - lo;
			if (!block_write(f, addr, (uint32_t)(hi - lo)))
				return job_error(g, QACCEL_ERR_DMA_FAULT, s);
			memcpy(f->mem + addr + (lo - blk), src + (lo - x), hi - lo);
		} else if (!burst_read(f, addr, beats)) {
			return job_error(g, QACCEL_ERR_DMA_FAULT, s);
		}
		blk += (uint64_t)beats * BEAT;
	}
	return true;
}

static bool dma_read(struct qsim_func *f, struct gemm *g, enum stream s,
		     const struct qaccel_hw_buf *b, uint64_t x, uint32_t len)
{
	return dma_request(f, g, s, b, x, len, s == STREAM_B && g->gemv, NULL);
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
	struct bank *bank = &g->bank[g->chunk & 1];
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
	if (!load_rows(f, g, STREAM_B, &d->b, d->ldb, d->ldb == kl && (!g->gemv || kl == g->t_k),
		       n0, nv, k0, kl))
		return false;
	g->busy += chunk_cycles(f, g, nv, kl);
	if (last_k)
		g->queue[(g->head + g->count++) % POST_QUEUE] = (struct tile){ m0, n0, g->chunk };
	return true;
}

static bool gather_rows(struct qsim_func *f, const struct qaccel_hw_buf *b, uint32_t ld,
			uint32_t row0, uint32_t rows, uint32_t len, uint8_t *dst)
{
	for (uint32_t r = 0; r < rows; r++)
		if (!buf_copy(f, b, b->offset + (uint64_t)(row0 + r) * ld, dst + (size_t)r * len,
			      len, false))
			return false;
	return true;
}

/*
 * A tile's mv x nv results into the C scratch, from operands gathered
 * through the page tables (the walk has just read them; failing now means
 * memory changed under the job).  A row block's A is gathered once.
 */
static bool tile_result(struct qsim_func *f, struct gemm *g, const struct tile *t,
			uint32_t mv, uint32_t nv)
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
			return job_error(g, QACCEL_ERR_DMA_FAULT, STREAM_A);
		g->a_valid = true;
		g->a_m0 = t->m0;
	}
	if (!gather_rows(f, &d->b, d->ldb, t->n0, nv, d->k, f->b.p))
		return job_error(g, QACCEL_ERR_DMA_FAULT, STREAM_B);
	if (g->bias && !buf_copy(f, &d->bias, d->bias.offset + (uint64_t)t->n0 * 4, f->bias.p,
				 (uint64_t)nv * 4, false))
		return job_error(g, QACCEL_ERR_DMA_FAULT, STREAM_BIAS);
	if (g->per_channel && !buf_copy(f, &d->quant, d->quant.offset + (uint64_t)t->n0 * 8,
					f->quant.p, (uint64_t)nv * 8, false))
		return job_error(g, QACCEL_ERR_DMA_FAULT, STREAM_QUANT);
	if (qaccel_ref_gemm(&p, f->a.p, f->b.p, f->bias.p, f->quant.p, f->c.p)) {
		/* Only a per-channel shift that changed since the check does this. */
		g->status = QACCEL_ERR_BAD_PARAM;
		g->detail = 0;
		return false;
	}
	return true;
}

/* The post engine on one tile: the shift check, the result, each C row's write. */
static bool post_tile(struct qsim_func *f, struct gemm *g, const struct tile *t)
{
	const struct qaccel_hw_desc *d = &g->d;
	uint32_t mv = min_u32(g->t_rows, d->m - t->m0), nv = min_u32(g->t_cols, d->n - t->n0);

	for (uint32_t c = 0; g->per_channel && c < nv; c++) {
		struct qaccel_hw_quant q;

		/* The RTL checks the records its loader just read. */
		if (!buf_copy(f, &d->quant, d->quant.offset + (uint64_t)(t->n0 + c) * 8,
			      (uint8_t *)&q, sizeof(q), false) ||
		    q.shift < QACCEL_SHIFT_MIN || q.shift > QACCEL_SHIFT_MAX) {
			g->status = QACCEL_ERR_BAD_PARAM;
			g->detail = 0;
			return false;
		}
	}
	if (!tile_result(f, g, t, mv, nv))
		return false;
	for (uint32_t r = 0; r < mv; r++) {
		uint64_t x = d->c.offset + (uint64_t)(t->m0 + r) * d->ldc + (uint64_t)t->n0 * g->esz;

		if (!dma_request(f, g, STREAM_C, &d->c, x, nv * g->esz, false,
				 (const uint8_t *)f->c.p + (size_t)r * nv * g->esz))
			return false;
	}
	return true;
}

/* Post the oldest waiting tile. */
static bool post_next(struct qsim_func *f, struct gemm *g)
{
	struct tile t = g->queue[g->head];

	g->head = (g->head + 1) % POST_QUEUE;
	g->count--;
	return post_tile(f, g, &t);
}

static bool gemm_done(const struct gemm *g)
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
static uint64_t gemm_step(struct qsim_func *f)
{
	struct gemm *g = &f->gemm;
	uint64_t bytes = f->job_rd + f->job_wr, bursts = f->job_bursts;
	uint64_t walks = f->job_walks, busy = g->busy, stall, cycles;

	if (!g->loaded) {
		if (load_chunk(f, g)) {
			while (g->count && g->queue[g->head].last_chunk + POST_LAG <= g->chunk)
				if (!post_next(f, g))
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
		post_next(f, g);
	}
	cycles = step_cycles(f, g->busy - busy, f->job_rd + f->job_wr - bytes,
			     f->job_bursts - bursts, f->job_walks - walks, &stall);
	g->stall += stall;
	return cycles;
}

/* Set up a validated GEMM; false (and the job's status set) if it cannot run. */
static bool gemm_start(struct qsim_func *f, const struct qaccel_hw_desc *d)
{
	struct gemm *g = &f->gemm;
	uint32_t out = d->flags & QACCEL_F_OUT_MASK;

	memset(g, 0, sizeof(*g));
	g->d = *d;
	g->esz = out == QACCEL_F_OUT_INT32 ? 4 : 1;
	g->bias = d->flags & QACCEL_F_BIAS;
	g->per_channel = (d->flags & QACCEL_F_PER_CHANNEL) && out != QACCEL_F_OUT_INT32;
	tile_shape(f, g);
	if (!scratch(&f->a, (size_t)g->t_rows * d->k) || !scratch(&f->b, (size_t)g->t_cols * d->k) ||
	    !scratch(&f->c, (size_t)g->t_rows * g->t_cols * 4) ||
	    !scratch(&f->bias, (size_t)g->t_cols * 4) || !scratch(&f->quant, (size_t)g->t_cols * 8)) {
		fprintf(stderr, "qsim: functional model: out of memory for a %ux%ux%u GEMM\n",
			d->m, d->n, d->k);
		g->status = QACCEL_ERR_UNSUPPORTED;
		return false;
	}
	return true;
}

/* ------------------------------------------------------------------ */
/* Jobs and records (qaccel_core's sequencer)                          */
/* ------------------------------------------------------------------ */

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
	if ((d->flags & ~QACCEL_F_ALL) || out == QACCEL_F_OUT_MASK)
		return QACCEL_ERR_BAD_FLAGS;
	if (!zp_ok(d->a_zero_point, d->flags & QACCEL_F_A_UINT8) ||
	    !zp_ok(d->b_zero_point, d->flags & QACCEL_F_B_UINT8))
		return QACCEL_ERR_BAD_PARAM;
	if (out != QACCEL_F_OUT_INT32 &&
	    (!zp_ok(d->c_zero_point, out_u8) || !zp_ok(d->clamp_min, out_u8) ||
	     !zp_ok(d->clamp_max, out_u8) || d->clamp_min > d->clamp_max ||
	     (!per_channel && (d->out_shift < QACCEL_SHIFT_MIN ||
			       d->out_shift > QACCEL_SHIFT_MAX))))
		return QACCEL_ERR_BAD_PARAM;
	return QACCEL_ERR_OK;
}

/* Read the next batch of published descriptors (qaccel_core CIdle/CFetch). */
static void fetch_batch(struct qsim_func *f)
{
	uint32_t mask = sq_mask(f);
	uint32_t avail = ((f->sq_tail & mask) - f->sq_head) & mask;
	uint32_t to_end = (mask + 1 - f->sq_head) & 0x1fff;	/* 13 bits, as the RTL */
	uint32_t n = min_u32(min_u32(avail, to_end), DESC_BATCH);
	uint64_t addr = sq_base(f) + (uint64_t)f->sq_head * sizeof(struct qaccel_hw_desc);
	uint32_t len = n * (uint32_t)sizeof(struct qaccel_hw_desc);

	/*
	 * Only a ring shrunk below SQ_HEAD while enabled gets here with
	 * nothing to read; the RTL would then issue a malformed burst.
	 */
	if (!n || !phys_read(f, addr, f->batch, len)) {
		ring_fault(f, addr);
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

	f->batch_next = (f->batch_next + 1) % DESC_BATCH;
	f->batch_left--;
	f->sq_head = (f->sq_head + 1) & sq_mask(f);
	flush_tlb(f);
	memset(&f->rec, 0, sizeof(f->rec));
	f->rec.tag = d->tag;
	f->rec.status = decode(d);
	f->running = true;
	f->started = f->now;
	f->done_at = f->now + JOB_CYCLES + f->fetch_cycles;
	f->fetch_cycles = 0;
	if (f->rec.status == QACCEL_ERR_OK && d->opcode == QACCEL_OP_GEMM) {
		f->in_gemm = true;
		if (gemm_start(f, d))
			f->done_at += f->cfg.mem_latency;	/* its first reads */
	}
}

/* The job's cycles up to now have passed: its next step, or its record. */
static void run_job_step(struct qsim_func *f)
{
	struct gemm *g = &f->gemm;

	if (f->in_gemm && !gemm_done(g)) {
		f->done_at = f->now + gemm_step(f);
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
	if (!phys_write(f, cq_base(f) + (uint64_t)slot * sizeof(f->rec), &f->rec,
			sizeof(f->rec))) {
		ring_fault(f, cq_base(f) + (uint64_t)f->cq_tail * sizeof(f->rec));
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

/* ------------------------------------------------------------------ */
/* The rest of the qsim API                                            */
/* ------------------------------------------------------------------ */

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
